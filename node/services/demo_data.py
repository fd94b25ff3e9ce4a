"""Synthetic, clearly fake sport and movement offering for one municipality: the demo node's content.

Pure and deterministic: no network, no database, no files; the same arguments and seed give the same
output. Everything it makes is write-API input (schemas/input/*.json), so the demo is loaded through the
same services and checks as real content (see demo_loader.py).

What makes it plausible: sports weighted roughly as the Dutch club landscape and the unorganised offer
(football, tennis, fitness, walking and swimming common), buurtsportcoach teams with many free,
low-threshold offers that meet the buurtsportcoach criteria, age ranges and target groups that fit each
offer's name ("65+" means ageRange min 65), weekday-evening and Saturday-morning schedules (weekday
mornings for seniors, after school for children), a few one-off events in the weeks after `today`, and
courses for buurtsportcoaches from a regional academy. Places lie within ~600 m of a real neighbourhood
centroid and carry the real CBS codes.

What makes it obviously fake: every organisation name ends in "(demo)" and its summary starts with
"Demo-gegevens, niet echt."; websites and e-mail addresses are on example.org; telephone numbers are in
the unassigned 06-00000xxx and +31 20 000 xxxx ranges.

The generator's catalogue names its concepts by key (`catalogue_keys()`); it uses only the keys the
caller passes (the node's SKOS lists), so a key missing from vocab/ silently drops the offers that need it.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from node.services.areas import Municipality, Neighbourhood

DEMO_MARK = "Demo-gegevens, niet echt."
TIME_ZONE = "Europe/Amsterdam"
JITTER_METRES = 600.0
DEMO_WEBSITE = "https://example.org/demo/"
MAX_ONE_OFFS_PER_ORGANISATION = 2

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
DAY_ORDER = (*WEEKDAYS, "saturday", "sunday")


# --- time slots -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    days: tuple[str, ...]
    earliest: int  # minutes after midnight, first possible start
    latest: int  # last possible start
    duration: tuple[int, int]  # minutes, multiples of 15
    two_days: float = 0.0  # chance of training twice a week


SLOTS: dict[str, Slot] = {
    "kids": Slot(WEEKDAYS, 15 * 60 + 30, 18 * 60, (45, 75), 0.2),  # after school until dinner
    "youth": Slot(WEEKDAYS, 17 * 60 + 30, 19 * 60 + 30, (60, 90), 0.4),
    "evening": Slot(WEEKDAYS, 19 * 60, 21 * 60, (60, 120), 0.15),
    "saturday": Slot(("saturday",), 8 * 60 + 30, 12 * 60, (45, 120)),
    "morning": Slot(WEEKDAYS, 9 * 60, 11 * 60, (45, 90)),  # seniors, parents with toddlers
    "afternoon": Slot(WEEKDAYS, 13 * 60 + 30, 15 * 60, (45, 90)),
    "wednesday": Slot(("wednesday",), 13 * 60 + 30, 15 * 60 + 30, (45, 90)),  # free school afternoon
    "sunday": Slot(("sunday",), 9 * 60, 10 * 60 + 30, (60, 120)),
}
TWO_DAY_PAIRS = (
    ("monday", "wednesday"), ("tuesday", "thursday"), ("monday", "thursday"), ("wednesday", "friday"),
)

KIDS = ("kids", "saturday")
YOUTH = ("youth", "saturday")
EVENING = ("evening",)
ADULT = ("evening", "saturday")
SENIOR = ("morning", "afternoon")
SENIOR_ANY = ("morning", "afternoon", "evening")


# --- the catalogue of offers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    sport: str
    name: str  # "{wijk}" is replaced by the neighbourhood's name
    groups: tuple[str, ...]
    age: tuple[int | None, int | None] | None
    slots: tuple[str, ...]
    venue: str
    price: tuple[float, float] = (2.0, 6.0)
    access: tuple[str, ...] = ()
    weight: float = 1.0
    weeks: int | None = None  # a series with a start and end date, e.g. "Start to run"


O = Offer  # noqa: E741 - the catalogue below reads better with a short name
G_ACCESS = ("g-team", "aangepast-materiaal", "begeleiding-op-maat")
G_GROUPS = ("mensen-met-een-beperking", "verstandelijke-beperking")
CARE_ACCESS = ("begeleiding-op-maat", "kleine-groep")

FOOTBALL = (
    O("voetbal", "Voetbal voor de allerkleinsten (4-6 jaar)", ("jeugd", "kinderen"), (4, 6), ("saturday",), "sportpark"),
    O("voetbal", "Voetbaltraining JO9", ("jeugd", "kinderen"), (7, 8), YOUTH, "sportpark", weight=2),
    O("voetbal", "Voetbaltraining JO11", ("jeugd", "kinderen"), (9, 10), YOUTH, "sportpark", weight=2),
    O("voetbal", "Voetbaltraining JO13", ("jeugd", "kinderen", "jongeren"), (11, 12), YOUTH, "sportpark", weight=2),
    O("voetbal", "Voetbaltraining JO15", ("jeugd", "jongeren"), (13, 14), YOUTH, "sportpark"),
    O("voetbal", "Meidenvoetbal MO13", ("jeugd", "meiden-en-vrouwen"), (10, 12), YOUTH, "sportpark"),
    O("voetbal", "Meidenvoetbal MO15", ("jeugd", "jongeren", "meiden-en-vrouwen"), (13, 14), YOUTH, "sportpark"),
    O("voetbal", "Vrouwenvoetbal recreatief", ("volwassenen", "meiden-en-vrouwen"), (18, None), EVENING, "sportpark"),
    O("voetbal", "Voetbal 35+ recreanten", ("volwassenen",), (35, None), EVENING, "sportpark"),
    O("walking-football", "Walking football 60+", ("senioren",), (60, None), SENIOR_ANY, "sportpark", weight=2),
    O("voetbal", "G-voetbal", G_GROUPS, (8, None), ("saturday", "youth"), "sportpark", access=G_ACCESS, weight=1.5),
    O("zaalvoetbal", "Zaalvoetbal recreanten", ("volwassenen",), (18, None), EVENING, "sporthal"),
)
TENNIS = (
    O("tennis", "Tenniskids (6-8 jaar)", ("jeugd", "kinderen"), (6, 8), KIDS, "tennispark"),
    O("tennis", "Tennisles jeugd (8-12 jaar)", ("jeugd", "kinderen"), (8, 12), YOUTH, "tennispark", weight=2),
    O("tennis", "Tennis voor beginners", ("volwassenen",), (18, None), ADULT, "tennispark", (5, 12), weight=2),
    O("tennis", "Seniorentennis 65+", ("senioren",), (65, None), SENIOR, "tennispark", weight=1.5),
    O("padel", "Padel voor beginners", ("volwassenen",), (16, None), ADULT, "tennispark", (6, 15), weight=1.5),
    O("padel", "Padel jeugd (12-17 jaar)", ("jeugd", "jongeren"), (12, 17), YOUTH, "tennispark", (4, 8)),
    O("rolstoeltennis", "Rolstoeltennis", ("mensen-met-een-beperking", "lichamelijke-beperking"), None,
      ADULT, "tennispark", access=("aangepast-materiaal",), weight=0.5),
)
HOCKEY = (
    O("hockey", "Hockeytraining jongste jeugd (6-8 jaar)", ("jeugd", "kinderen"), (6, 8), KIDS, "sportpark", weight=2),
    O("hockey", "Hockeytraining jeugd (9-12 jaar)", ("jeugd", "kinderen"), (9, 12), YOUTH, "sportpark", weight=2),
    O("hockey", "Hockey jongeren (13-17 jaar)", ("jeugd", "jongeren"), (13, 17), YOUTH, "sportpark"),
    O("hockey", "Trimhockey volwassenen", ("volwassenen",), (18, None), EVENING, "sportpark"),
    O("walking-hockey", "Walking hockey 60+", ("senioren",), (60, None), SENIOR, "sportpark"),
    O("hockey", "G-hockey", G_GROUPS, (8, None), ("saturday",), "sportpark", access=G_ACCESS),
)
KORFBALL = (
    O("korfbal", "Korfbal kangoeroes (4-6 jaar)", ("jeugd", "kinderen"), (4, 6), ("saturday",), "sportpark"),
    O("korfbal", "Korfbaltraining jeugd (8-12 jaar)", ("jeugd", "kinderen"), (8, 12), YOUTH, "sportpark", weight=2),
    O("korfbal", "Korfbal jongeren (12-18 jaar)", ("jeugd", "jongeren"), (12, 18), YOUTH, "sporthal"),
    O("korfbal", "Recreatiekorfbal", ("volwassenen",), (18, None), EVENING, "sporthal"),
    O("korfbal", "G-korfbal", G_GROUPS, (8, None), ("saturday",), "sporthal", access=G_ACCESS),
)
SWIMMING_CLUB = (
    O("zwemles", "Zwemles A-diploma (4-7 jaar)", ("jeugd", "kinderen"), (4, 7), KIDS, "zwembad", (6, 12), weight=2),
    O("zwemmen", "Banenzwemmen", ("volwassenen", "senioren"), (18, None), ("morning", "evening"), "zwembad", (4, 7)),
    O("aquarobics", "Aquarobics 55+", ("senioren",), (55, None), SENIOR, "zwembad", (4, 8), weight=1.5),
    O("zwemmen", "Zwemmen voor mensen met een beperking", ("mensen-met-een-beperking",), None, ("saturday",),
      "zwembad", (3, 6), access=("aangepast-materiaal", "begeleiding-op-maat")),
    O("waterpolo", "Waterpolo jeugd (10-16 jaar)", ("jeugd", "jongeren"), (10, 16), YOUTH, "zwembad"),
    O("zwemles", "Zwemvaardigheid voor nieuwkomers", ("nieuwkomers", "volwassenen"), (16, None), EVENING,
      "zwembad", (0, 3), weeks=12),
)
VOLLEYBALL = (
    O("volleybal", "Volleybal recreanten", ("volwassenen",), (18, None), EVENING, "sporthal", weight=2),
    O("volleybal", "Volleybal jeugd (10-14 jaar)", ("jeugd", "kinderen", "jongeren"), (10, 14), YOUTH, "sporthal"),
    O("zitvolleybal", "Zitvolleybal", ("mensen-met-een-beperking", "lichamelijke-beperking"), None, EVENING,
      "sporthal", access=("aangepast-materiaal",), weight=0.5),
    O("beachvolleybal", "Beachvolleybal", ("volwassenen", "jongeren"), (16, None), ("saturday", "evening"),
      "sportpark", weight=0.5),
)
BASKETBALL = (
    O("basketbal", "Basketbal jeugd (10-14 jaar)", ("jeugd", "kinderen", "jongeren"), (10, 14), YOUTH, "sporthal"),
    O("basketbal", "Basketbal recreanten", ("volwassenen",), (18, None), EVENING, "sporthal"),
    O("rolstoelbasketbal", "Rolstoelbasketbal", ("mensen-met-een-beperking", "lichamelijke-beperking"), None,
      EVENING, "sporthal", access=("aangepast-materiaal",), weight=0.5),
)
HANDBALL = (
    O("handbal", "Handbal jeugd (8-12 jaar)", ("jeugd", "kinderen"), (8, 12), YOUTH, "sporthal"),
    O("handbal", "Handbal jongeren (13-17 jaar)", ("jeugd", "jongeren"), (13, 17), YOUTH, "sporthal"),
    O("handbal", "Handbal recreanten", ("volwassenen",), (18, None), EVENING, "sporthal"),
)
BADMINTON = (
    O("badminton", "Badminton recreanten", ("volwassenen",), (18, None), EVENING, "sporthal", weight=2),
    O("badminton", "Badminton jeugd (9-17 jaar)", ("jeugd", "kinderen", "jongeren"), (9, 17), YOUTH, "sporthal"),
    O("badminton", "Badminton 55+", ("senioren",), (55, None), SENIOR, "sporthal"),
)
TABLE_TENNIS = (
    O("tafeltennis", "Tafeltennis recreanten", ("volwassenen",), (18, None), EVENING, "gymzaal", weight=2),
    O("tafeltennis", "Tafeltennis jeugd (8-16 jaar)", ("jeugd", "kinderen", "jongeren"), (8, 16), YOUTH, "gymzaal"),
    O("tafeltennis", "Tafeltennis 65+", ("senioren",), (65, None), SENIOR, "gymzaal"),
    O("tafeltennis", "Tafeltennis voor mensen met Parkinson", ("chronisch-zieken",), None, SENIOR, "gymzaal",
      access=CARE_ACCESS, weight=0.5),
)
GYMNASTICS = (
    O("peutergym", "Peutergym (2-4 jaar)", ("peuters", "ouder-en-kind"), (2, 4), ("morning", "saturday"), "gymzaal"),
    O("turnen", "Kleutergym (4-6 jaar)", ("jeugd", "kinderen"), (4, 6), KIDS, "gymzaal"),
    O("turnen", "Turnen (6-12 jaar)", ("jeugd", "kinderen"), (6, 12), KIDS, "gymzaal", weight=2),
    O("trampolinespringen", "Trampolinespringen (8-16 jaar)", ("jeugd", "kinderen", "jongeren"), (8, 16), YOUTH,
      "gymzaal"),
    O("freerunning", "Freerunning jongeren (12-18 jaar)", ("jeugd", "jongeren"), (12, 18), YOUTH, "gymzaal"),
    O("seniorengym", "Seniorengym 65+", ("senioren",), (65, None), SENIOR, "gymzaal", (2, 4), weight=1.5),
    O("turnen", "G-gym", G_GROUPS, (6, None), ("saturday", "kids"), "gymzaal", access=G_ACCESS),
)
ATHLETICS = (
    O("atletiek", "Atletiek pupillen (7-11 jaar)", ("jeugd", "kinderen"), (7, 11), YOUTH, "atletiekbaan", weight=2),
    O("atletiek", "Atletiek junioren (12-17 jaar)", ("jeugd", "jongeren"), (12, 17), YOUTH, "atletiekbaan"),
    O("hardlopen", "Start to run", ("volwassenen", "inactieven"), (18, None), ("evening", "sunday"),
      "atletiekbaan", (0, 4), weeks=10, weight=1.5),
    O("hardlopen", "Hardlopen recreanten", ("volwassenen",), (18, None), ("evening", "sunday"), "atletiekbaan"),
    O("nordic-walking", "Nordic walking", ("volwassenen", "senioren"), (40, None), SENIOR_ANY, "atletiekbaan"),
)
JUDO = (
    O("judo", "Judo kinderen (6-12 jaar)", ("jeugd", "kinderen"), (6, 12), KIDS, "dojo", weight=2),
    O("judo", "Judo jongeren (12-17 jaar)", ("jeugd", "jongeren"), (12, 17), YOUTH, "dojo"),
    O("judo", "G-judo", G_GROUPS, (6, None), ("saturday", "youth"), "dojo", access=G_ACCESS),
    O("zelfverdediging", "Zelfverdediging voor vrouwen", ("meiden-en-vrouwen", "volwassenen"), (16, None),
      EVENING, "dojo", (3, 8), weeks=8),
)
JEU_DE_BOULES = (
    O("jeu-de-boules", "Jeu de boules vrije inloop", ("volwassenen", "senioren"), (18, None),
      ("afternoon", "saturday"), "jeudeboules", (0, 3), weight=2),
    O("jeu-de-boules", "Jeu de boules voor beginners", ("senioren", "inactieven"), (55, None), SENIOR,
      "jeudeboules", (0, 3)),
)
RIDING = (
    O("paardrijden", "Ponyrijles (6-12 jaar)", ("jeugd", "kinderen"), (6, 12), ("wednesday", "saturday"),
      "manege", (10, 15), weight=2),
    O("paardrijden", "Rijles volwassenen", ("volwassenen",), (18, None), EVENING, "manege", (12, 15)),
    O("paardrijden", "Aangepast paardrijden", ("mensen-met-een-beperking",), None, ("saturday", "afternoon"),
      "manege", (8, 15), access=("aangepast-materiaal", "begeleiding-op-maat")),
)
CYCLING = (
    O("fietsen", "Toertocht 55+", ("senioren",), (55, None), SENIOR, "park", (0, 2), weight=2),
    O("wielrennen", "Wielrennen recreanten", ("volwassenen",), (18, None), ("sunday", "evening"), "park", (0, 3)),
    O("mountainbiken", "Mountainbiken jeugd (10-16 jaar)", ("jeugd", "kinderen", "jongeren"), (10, 16),
      ("saturday", "wednesday"), "park"),
)
WALKING_CLUB = (
    O("wandelen", "Wandelgroep {wijk}", ("volwassenen", "senioren"), None, ("morning", "saturday"), "park",
      (0, 2), weight=2),
    O("sportief-wandelen", "Sportief wandelen", ("volwassenen", "inactieven"), (18, None), SENIOR_ANY, "park", (0, 3)),
    O("nordic-walking", "Nordic walking", ("volwassenen", "senioren"), (40, None), SENIOR_ANY, "park", (1, 4)),
)
RUNNING_CLUB = (
    O("hardlopen", "Start to run", ("volwassenen", "inactieven"), (18, None), ("evening", "sunday"), "park",
      (0, 4), weeks=10, weight=2),
    O("hardlopen", "Hardloopgroep zaterdagochtend", ("volwassenen",), (18, None), ("saturday",), "park", (0, 3)),
    O("hardlopen", "Hardlopen 50+", ("volwassenen", "senioren"), (50, None), SENIOR_ANY, "park", (0, 3)),
)
GOLF = (
    O("golf", "Golfclinic voor beginners", ("volwassenen",), (18, None), ("saturday", "evening"), "golfbaan", (10, 15)),
    O("golf", "Golf jeugd (8-17 jaar)", ("jeugd", "kinderen", "jongeren"), (8, 17), ("wednesday", "saturday"),
      "golfbaan", (5, 10)),
    O("golf", "Golf 55+", ("senioren",), (55, None), SENIOR, "golfbaan", (10, 15)),
)
PADEL_CLUB = (
    O("padel", "Padel voor beginners", ("volwassenen",), (16, None), ADULT, "padelbaan", (8, 15), weight=2),
    O("padel", "Padel jeugd (12-17 jaar)", ("jeugd", "jongeren"), (12, 17), YOUTH, "padelbaan", (5, 10)),
    O("padel", "Padel 55+", ("senioren",), (55, None), SENIOR, "padelbaan", (8, 15)),
)
ROWING = (
    O("roeien", "Roeien voor beginners", ("volwassenen",), (18, None), ("saturday", "evening"), "botenhuis",
      (5, 10), weeks=6),
    O("roeien", "Roeien jeugd (12-17 jaar)", ("jeugd", "jongeren"), (12, 17), YOUTH, "botenhuis"),
    O("roeien", "Aangepast roeien", ("mensen-met-een-beperking", "lichamelijke-beperking"), None, ("saturday",),
      "botenhuis", access=("aangepast-materiaal",)),
)

GYM = (
    O("fitness", "Fitness 65+", ("senioren",), (65, None), SENIOR, "studio", (6, 12), weight=2),
    O("krachttraining", "Krachttraining voor beginners", ("volwassenen", "inactieven"), (18, None), ADULT,
      "studio", (8, 15), weight=2),
    O("bootcamp", "Bootcamp in het park", ("volwassenen",), (18, None), ("evening", "saturday", "morning"),
      "park", (6, 12), weight=1.5),
    O("spinning", "Spinning", ("volwassenen",), (18, None), ADULT, "studio", (8, 15)),
    O("circuittraining", "Circuittraining", ("volwassenen",), (18, None), ADULT, "studio", (7, 13)),
    O("zumba", "Zumba", ("volwassenen", "meiden-en-vrouwen"), (16, None), ADULT, "studio", (6, 12)),
    O("hiit", "HIIT-training", ("volwassenen",), (18, None), EVENING, "studio", (8, 15)),
    O("fitness", "Beweeggroep bij overgewicht", ("volwassenen", "mensen-met-overgewicht", "inactieven"),
      (18, None), ("evening", "morning"), "studio", (0, 5), access=CARE_ACCESS, weeks=12),
    O("fitness", "Fitness bij een chronische aandoening", ("volwassenen", "chronisch-zieken"), (18, None),
      ("morning", "afternoon"), "studio", (8, 15), access=("begeleiding-op-maat",)),
)
YOGA = (
    O("yoga", "Yoga voor beginners", ("volwassenen",), (18, None), ("evening", "morning", "saturday"), "studio",
      (8, 15), weight=3),
    O("stoelyoga", "Stoelyoga 65+", ("senioren",), (65, None), SENIOR, "studio", (5, 10), weight=1.5),
    O("yoga", "Yoga voor jongeren (14-18 jaar)", ("jeugd", "jongeren"), (14, 18), YOUTH, "studio", (5, 10)),
    O("pilates", "Pilates", ("volwassenen",), (18, None), ("evening", "morning"), "studio", (8, 15), weight=2),
    O("tai-chi", "Tai chi", ("volwassenen", "senioren"), (40, None), SENIOR_ANY, "studio", (6, 12)),
    O("qigong", "Qigong", ("volwassenen", "senioren"), (40, None), SENIOR, "studio", (6, 12)),
)
DANCE = (
    O("streetdance", "Streetdance kids (8-12 jaar)", ("jeugd", "kinderen"), (8, 12), KIDS, "studio", (5, 10), weight=2),
    O("hiphop", "Hiphop jongeren (12-18 jaar)", ("jeugd", "jongeren"), (12, 18), YOUTH, "studio", (5, 10)),
    O("ballet", "Ballet (6-10 jaar)", ("jeugd", "kinderen"), (6, 10), ("wednesday", "saturday"), "studio", (6, 11)),
    O("stijldansen", "Stijldansen voor beginners", ("volwassenen",), (18, None), EVENING, "studio", (8, 15), weight=2),
    O("salsa", "Salsa", ("volwassenen",), (18, None), EVENING, "studio", (8, 14)),
    O("linedance", "Linedance 55+", ("senioren",), (55, None), SENIOR_ANY, "studio", (4, 8)),
    O("rolstoeldansen", "Rolstoeldansen", ("mensen-met-een-beperking", "lichamelijke-beperking"), None, SENIOR_ANY,
      "studio", (3, 8), access=("aangepast-materiaal",), weight=0.5),
    O("zumba", "Zumba", ("volwassenen", "meiden-en-vrouwen"), (16, None), ADULT, "studio", (6, 12)),
)
MARTIAL_ARTS = (
    O("kickboksen", "Kickboksen jongeren (12-17 jaar)", ("jeugd", "jongeren"), (12, 17), YOUTH, "dojo", (4, 8), weight=2),
    O("kickboksen", "Kickboksen voor vrouwen", ("volwassenen", "meiden-en-vrouwen"), (16, None), EVENING, "dojo", (6, 12)),
    O("boksen", "Boksen voor beginners", ("volwassenen",), (16, None), EVENING, "dojo", (6, 12)),
    O("karate", "Karate kinderen (6-12 jaar)", ("jeugd", "kinderen"), (6, 12), KIDS, "dojo", (5, 9), weight=1.5),
    O("taekwondo", "Taekwondo (8-16 jaar)", ("jeugd", "kinderen", "jongeren"), (8, 16), YOUTH, "dojo", (5, 9)),
)
WELFARE = (
    O("wandelen", "Wandelgroep {wijk}", ("volwassenen", "senioren", "sociaal-isolement"), None, SENIOR, "park",
      (0, 1), weight=2),
    O("meer-bewegen-voor-ouderen", "Meer bewegen voor ouderen", ("senioren",), (65, None), SENIOR, "buurthuis",
      (1, 3), weight=2),
    O("stoelgym", "Stoelgym", ("senioren", "chronisch-zieken"), (60, None), SENIOR, "buurthuis", (1, 3), weight=1.5),
    O("valpreventie", "Valpreventietraining 65+", ("senioren",), (65, None), SENIOR, "buurthuis", (0, 3),
      access=("kleine-groep",), weeks=10),
    O("koersbal", "Koersbal", ("senioren",), (60, None), SENIOR, "buurthuis", (1, 2)),
    O("seniorengym", "Beweegles voor mensen met dementie en hun mantelzorger",
      ("mensen-met-dementie", "mantelzorgers", "senioren"), None, SENIOR, "buurthuis", (0, 2),
      access=("prikkelarm", "kleine-groep", "begeleiding-op-maat"), weight=0.7),
    O("wandelen", "Wandelen voor mantelzorgers", ("mantelzorgers", "volwassenen"), (18, None), SENIOR, "park", (0, 0)),
    O("sjoelen", "Sjoelen en ontmoeten", ("senioren", "sociaal-isolement"), (55, None), ("afternoon",),
      "buurthuis", (0, 2), weight=0.7),
    O("tai-chi", "Tai chi in de wijk", ("senioren", "volwassenen"), (50, None), SENIOR, "buurthuis", (1, 3)),
)
SENIORS_CLUB = (
    O("seniorengym", "Seniorengym 65+", ("senioren",), (65, None), SENIOR, "buurthuis", (2, 4), weight=2),
    O("koersbal", "Koersbal", ("senioren",), (60, None), SENIOR, "buurthuis", (1, 2), weight=1.5),
    O("jeu-de-boules", "Jeu de boules 60+", ("senioren",), (60, None), SENIOR, "jeudeboules", (0, 2)),
    O("fietsen", "Fietsgroep 65+", ("senioren",), (65, None), SENIOR, "park", (0, 2), weight=1.5),
    O("wandelen", "Wandelgroep {wijk}", ("senioren",), (55, None), SENIOR, "park", (0, 1), weight=1.5),
    O("biljart", "Biljarten 60+", ("senioren",), (60, None), ("afternoon",), "buurthuis", (1, 3), weight=0.5),
    O("linedance", "Linedance 55+", ("senioren",), (55, None), SENIOR, "buurthuis", (2, 4)),
)
G_SPORT = (
    O("boccia", "Boccia", ("mensen-met-een-beperking", "lichamelijke-beperking"), None, SENIOR_ANY, "sporthal",
      (0, 3), access=("aangepast-materiaal",), weight=1.5),
    O("powerchair-voetbal", "Powerchair voetbal", ("mensen-met-een-beperking", "lichamelijke-beperking"), (8, None),
      ("saturday",), "sporthal", (0, 4), access=G_ACCESS),
    O("zwemmen", "G-zwemmen", G_GROUPS, (6, None), ("saturday", "evening"), "zwembad", (2, 5), access=G_ACCESS),
    O("goalbal", "Goalbal", ("mensen-met-een-beperking", "visuele-beperking"), (10, None), EVENING, "sporthal",
      (0, 4), access=("aangepast-materiaal",), weight=0.5),
    O("fitness", "G-fitness", G_GROUPS, (16, None), ("evening", "afternoon"), "sporthal", (2, 6), access=G_ACCESS),
    O("rolstoeldansen", "Rolstoeldansen", ("mensen-met-een-beperking", "lichamelijke-beperking"), None, SENIOR_ANY,
      "buurthuis", (0, 4), access=("aangepast-materiaal",)),
)
POOL_OPERATOR = (
    O("zwemles", "Zwemles A-diploma (4-7 jaar)", ("jeugd", "kinderen"), (4, 7), KIDS, "zwembad", (8, 13), weight=2),
    O("zwemmen", "Banenzwemmen", ("volwassenen", "senioren"), (16, None), ("morning", "evening"), "zwembad",
      (4, 7), weight=2),
    O("aquarobics", "Aquarobics 55+", ("senioren",), (55, None), SENIOR, "zwembad", (5, 8), weight=1.5),
    O("aquajoggen", "Aquajoggen", ("volwassenen", "senioren"), (18, None), ("morning", "evening"), "zwembad", (5, 8)),
    O("zwemmen", "Ouder-en-kindzwemmen (0-4 jaar)", ("peuters", "ouder-en-kind"), (0, 4), ("morning", "saturday"),
      "zwembad", (5, 8)),
    O("zwemles", "Zwemles voor volwassenen", ("volwassenen", "nieuwkomers"), (18, None), EVENING, "zwembad",
      (8, 14), weeks=12),
    O("zwemmen", "Vrouwenzwemmen", ("meiden-en-vrouwen", "volwassenen"), (16, None), ("evening", "morning"),
      "zwembad", (4, 7), access=("prikkelarm",)),
)
BSC = (
    O("voetbal", "Sport na school: voetbal", ("jeugd", "kinderen"), (6, 12), ("kids", "wednesday"), "schoolplein",
      (0, 1), weight=2),
    O("trefbal", "Sport na school: trefbal", ("jeugd", "kinderen"), (6, 12), ("kids", "wednesday"), "gymzaal",
      (0, 1), weight=1.5),
    O("basketbal", "Sport na school: basketbal", ("jeugd", "kinderen"), (8, 12), ("kids", "wednesday"),
      "schoolplein", (0, 1)),
    O("voetbal", "Straatvoetbal op het trapveld {wijk}", ("jeugd", "jongeren", "kwetsbare-doelgroepen"), (10, 18),
      ("kids", "youth", "wednesday"), "trapveld", (0, 0), weight=2),
    O("zaalvoetbal", "Avondsport voor jongeren", ("jongeren", "kwetsbare-doelgroepen"), (12, 23), EVENING,
      "sporthal", (0, 0), weight=1.5),
    O("walking-football", "Walking football 60+", ("senioren", "inactieven"), (60, None), SENIOR, "trapveld",
      (0, 2), weight=1.5),
    O("meer-bewegen-voor-ouderen", "Meer bewegen voor ouderen", ("senioren",), (65, None), SENIOR, "buurthuis",
      (0, 2), weight=2),
    O("stoelyoga", "Stoelyoga 65+", ("senioren",), (65, None), SENIOR, "buurthuis", (0, 2)),
    O("valpreventie", "Valpreventietraining 65+", ("senioren",), (65, None), SENIOR, "buurthuis", (0, 2),
      access=("kleine-groep",), weeks=10),
    O("wandelen", "Wandelgroep {wijk}", ("volwassenen", "senioren", "inactieven", "sociaal-isolement"), None,
      SENIOR, "park", (0, 0), weight=2),
    O("bootcamp", "Bootcamp in het park", ("volwassenen", "inactieven"), (18, None), ("evening", "saturday"),
      "park", (0, 2), weight=1.5),
    O("buitenfitness", "Buitenfitness voor iedereen", ("volwassenen", "senioren", "inactieven"), (18, None),
      SENIOR_ANY, "park", (0, 0)),
    O("zumba", "Zumba voor vrouwen", ("meiden-en-vrouwen", "volwassenen", "lage-inkomens"), (16, None),
      ("morning", "evening"), "buurthuis", (0, 2)),
    O("kickboksen", "Kickboksen voor meiden (12-17 jaar)", ("jeugd", "jongeren", "meiden-en-vrouwen"), (12, 17),
      YOUTH, "gymzaal", (0, 1)),
    O("volleybal", "Volleybal voor nieuwkomers", ("nieuwkomers", "volwassenen"), (16, None), EVENING, "gymzaal",
      (0, 0)),
    O("turnen", "Sporten met je kind (2-4 jaar)", ("peuters", "ouder-en-kind"), (2, 4), ("morning",), "gymzaal",
      (0, 1)),
    O("boccia", "G-sport: boccia", G_GROUPS, (12, None), SENIOR_ANY, "gymzaal", (0, 1), access=G_ACCESS),
    O("fitness", "Beweeggroep bij overgewicht", ("volwassenen", "mensen-met-overgewicht", "inactieven"),
      (18, None), ("evening", "morning"), "buurthuis", (0, 2), access=CARE_ACCESS, weeks=12),
    O("seniorengym", "Bewegen met dementie", ("mensen-met-dementie", "mantelzorgers", "senioren"), None, SENIOR,
      "buurthuis", (0, 0), access=("prikkelarm", "kleine-groep", "begeleiding-op-maat"), weight=0.7),
)


# --- kinds of organisation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgKind:
    key: str
    names: tuple[str, ...]  # patterns: {pool}, {wijk}, {gemeente}
    pool: tuple[str, ...]
    description: str  # "voetbalvereniging"
    offers: tuple[Offer, ...]
    weight: float  # share among the ordinary organisations; 0: placed by the generator itself
    is_club: bool
    free_share: float  # chance that an offer is free
    criteria: str  # "bsc" | "social" | "club" | "commercial": how it scores on the buurtsportcoach criteria
    home_venue: str  # the place it has even without activities
    one_off_prefixes: tuple[str, ...] = ("Open les", "Gratis proefles")


CLUB_NAMES = (
    "De Zwaluwen", "De Meeuwen", "De Valken", "De Kieviten", "De Spechten", "De Reigers", "De Eendracht",
    "De Vriendschap", "Vios", "Unitas", "Concordia", "Fortuna", "Olympia", "Hercules", "Achilles", "Victoria",
    "Velocitas", "Excelsior", "Animo", "Be Quick", "Blauw-Wit", "Rood-Wit", "Oranje-Zwart", "Groen-Geel",
    "Sportlust", "Kwiek", "Dynamo", "Juventa", "Sparta", "Ons Genoegen", "Door Oefening Sterk", "Altijd Sneller",
    "De Flamingo's", "De Wieken", "Het Noorden", "De Bataven", "De Ooievaars", "De Hazen", "Vitesse", "Spirit",
    "Atlantis", "Tempo", "Avanti", "Pluvia", "De Lobbers", "De Bossche Sprong", "De Smashers", "Trio",
)
STUDIO_NAMES = (
    "Vitaal", "In Beweging", "Balans", "Energie", "Top Fit", "Body & Mind", "Actief", "De Kern", "Flow",
    "Zonnegroet", "Lotus", "Move", "Puur", "Sterk", "Ritme", "Swing", "De Tijger", "Shinsei", "Kracht",
    "Vrij", "De Bron", "Fit & Fun", "Adem", "Dynamiek",
)
SCHOOL_NAMES = (
    "De Regenboog", "De Wereldwijzer", "De Vlindertuin", "Het Kompas", "De Springplank", "De Zonnewijzer",
    "De Klimop", "Het Palet", "De Toermalijn", "De Sterrenkijker", "Het Mozaïek", "De Boomgaard",
)
POOL_NAMES = ("De Vijver", "De Golfslag", "De Otter", "De Waterlelie", "De Zeehond", "De Dolfijn", "Het Bad")
MANEGE_NAMES = ("De Hoefslag", "De Rijkampen", "Het Hoefijzer", "De Paddock", "Op Stal", "De Manen")


def _club(key: str, word: str, description: str, offers: tuple[Offer, ...], weight: float,
          home: str, free_share: float = 0.25) -> OrgKind:
    return OrgKind(
        key, (f"{word} {{pool}}", f"{word} {{pool}}", f"{word} {{pool}} {{gemeente}}"), CLUB_NAMES, description,
        offers, weight, True, free_share, "club", home, ("Open dag", "Gratis proeftraining", "Clinic"),
    )


def _studio(key: str, words: tuple[str, ...], description: str, offers: tuple[Offer, ...], weight: float,
            home: str) -> OrgKind:
    return OrgKind(
        key, tuple(f"{w} {{pool}}" for w in words), STUDIO_NAMES, description, offers, weight, False, 0.05,
        "commercial", home, ("Open les", "Gratis proefles", "Workshop"),
    )


# Weights: roughly the number of such organisations in an average Dutch municipality, so football and
# tennis clubs, gyms and walking groups are common and rowing clubs rare.
ORG_KINDS: tuple[OrgKind, ...] = (
    _club("voetbal", "Voetbalvereniging", "voetbalvereniging", FOOTBALL, 14, "sportpark"),
    _club("tennis", "Tennisclub", "tennisvereniging", TENNIS, 10, "tennispark"),
    _club("turnen", "Gymnastiekvereniging", "gymnastiekvereniging", GYMNASTICS, 6, "gymzaal"),
    _club("volleybal", "Volleybalvereniging", "volleybalvereniging", VOLLEYBALL, 4, "sporthal"),
    _club("korfbal", "Korfbalvereniging", "korfbalvereniging", KORFBALL, 4, "sportpark"),
    _club("zwemmen", "Zwemvereniging", "zwemvereniging", SWIMMING_CLUB, 4, "zwembad"),
    _club("hockey", "Mixed Hockey Club", "hockeyclub", HOCKEY, 3, "sportpark"),
    _club("judo", "Judoclub", "judovereniging", JUDO, 3, "dojo"),
    _club("handbal", "Handbalvereniging", "handbalvereniging", HANDBALL, 2.5, "sporthal"),
    _club("badminton", "Badmintonclub", "badmintonclub", BADMINTON, 2.5, "sporthal"),
    _club("tafeltennis", "Tafeltennisvereniging", "tafeltennisvereniging", TABLE_TENNIS, 2.5, "gymzaal"),
    _club("jeu-de-boules", "Jeu de Boulesclub", "jeu-de-boulesclub", JEU_DE_BOULES, 2.5, "jeudeboules", 0.4),
    _club("atletiek", "Atletiekvereniging", "atletiekvereniging", ATHLETICS, 2, "atletiekbaan"),
    _club("basketbal", "Basketbalvereniging", "basketbalvereniging", BASKETBALL, 2, "sporthal"),
    _club("paardrijden", "Rijvereniging", "rijvereniging", RIDING, 2, "manege", 0.05),
    _club("fietsen", "Toerfietsclub", "toerfietsclub", CYCLING, 2, "park", 0.5),
    _club("wandelen", "Wandelsportvereniging", "wandelsportvereniging", WALKING_CLUB, 2, "park", 0.5),
    _club("hardlopen", "Loopgroep", "loopgroep", RUNNING_CLUB, 2, "park", 0.4),
    _club("padel", "Padelclub", "padelclub", PADEL_CLUB, 1.5, "padelbaan", 0.1),
    _club("golf", "Golfclub", "golfclub", GOLF, 1, "golfbaan", 0.05),
    _club("roeien", "Roeivereniging", "roeivereniging", ROWING, 0.7, "botenhuis"),
    _studio("fitness", ("Sportschool", "Fitnesscentrum", "Sportcentrum"), "sportschool", GYM, 7, "studio"),
    _studio("yoga", ("Yogastudio", "Yoga & Pilates"), "yoga- en pilatesstudio", YOGA, 3.5, "studio"),
    _studio("dans", ("Dansschool", "Dansstudio"), "dansschool", DANCE, 3.5, "studio"),
    _studio("vechtsport", ("Vechtsportschool", "Sportschool"), "vechtsportschool", MARTIAL_ARTS, 2.5, "dojo"),
    OrgKind("welzijn", ("Stichting Bewegen {wijk}", "Welzijn {wijk}", "Beweegcentrum {wijk}"), (),
            "welzijnsorganisatie met beweegaanbod", WELFARE, 4, False, 0.5, "social", "buurthuis",
            ("Kennismaking", "Beweegmiddag")),
    OrgKind("senioren", ("Seniorenvereniging {wijk}", "Ouderenvereniging {wijk}"), (),
            "seniorenvereniging", SENIORS_CLUB, 2.5, True, 0.4, "social", "buurthuis", ("Open middag", "Proefles")),
)
BSC_KIND = OrgKind(
    "buurtsportcoach", ("Buurtsportcoach-team {wijk}",), (), "team van buurtsportcoaches", BSC, 0, False, 0.85,
    "bsc", "buurthuis", ("Sportinstuif", "Gratis kennismaking"),
)
# At most one of each per municipality, in larger demos.
SINGLE_KINDS: tuple[OrgKind, ...] = (
    OrgKind("sportbedrijf", ("Sportbedrijf {gemeente}",), (), "gemeentelijk sportbedrijf met zwembad",
            POOL_OPERATOR, 0, False, 0.05, "social", "zwembad", ("Open dag", "Gratis proefles")),
    OrgKind("g-sport", ("Stichting G-sport {gemeente}",), (), "stichting voor aangepast sporten", G_SPORT, 0,
            False, 0.4, "social", "sporthal", ("G-sportdag", "Gratis kennismaking")),
)


# --- venues ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Venue:
    names: tuple[str, ...]  # {wijk}, {short} (the organisation's own name part), {pool}, {street}, {province}
    scope: str  # "wijk": one per neighbourhood, shared by its users; "municipality": one; "own": per organisation
    streets: tuple[str, ...] = ()
    pool: tuple[str, ...] = ()
    access: tuple[tuple[str, float], ...] = ()


STREETS = (
    "Kerkstraat", "Dorpsstraat", "Schoolstraat", "Molenweg", "Parklaan", "Julianalaan", "Beatrixlaan",
    "Wilhelminastraat", "Stationsweg", "Nieuwstraat", "Hoofdstraat", "Emmalaan", "Oranjestraat",
    "Prins Bernhardlaan", "Lindelaan", "Eikenlaan", "Beukenlaan", "Esdoornlaan", "Merelstraat", "Kastanjelaan",
    "Populierenlaan", "Rozenstraat", "Tulpstraat", "Irisstraat", "Vondellaan", "Rembrandtlaan", "Havenstraat",
)
INDOOR = (
    ("rolstoeltoegankelijk", 0.85), ("invalidentoilet", 0.7), ("kleedkamer-toegankelijk", 0.4),
    ("toegankelijk-met-ov", 0.6), ("invalidenparkeerplaats", 0.4), ("fietsenstalling", 0.7),
)
OUTDOOR = (
    ("rolstoeltoegankelijk", 0.5), ("toegankelijk-met-ov", 0.5), ("fietsenstalling", 0.8),
    ("gratis-parkeren", 0.6),
)
VENUES: dict[str, Venue] = {
    "sportpark": Venue(("Sportpark {wijk}",), "wijk", ("Sportlaan", "Sportparklaan", "Sportweg"),
                       access=(*OUTDOOR, ("invalidentoilet", 0.5))),
    "sporthal": Venue(("Sporthal {wijk}",), "wijk", ("Sportlaan", *STREETS), access=(*INDOOR, ("lift", 0.2))),
    "gymzaal": Venue(("Gymzaal {street}",), "wijk", STREETS, access=INDOOR[:4]),
    "zwembad": Venue(("Zwembad {pool}",), "municipality", ("Zwembadweg", "Badweg", "Sportlaan"), POOL_NAMES,
                     (*INDOOR, ("tillift", 0.6), ("warm-water", 0.3))),
    "atletiekbaan": Venue(("Atletiekbaan {wijk}",), "municipality", ("Sportlaan", "Sportweg"), access=OUTDOOR),
    "tennispark": Venue(("Tennispark {short}",), "own", ("Sportlaan", "Tennislaan", *STREETS[:8]),
                        access=(*OUTDOOR, ("invalidentoilet", 0.4))),
    "padelbaan": Venue(("Padelbanen {short}",), "own", ("Sportlaan", *STREETS[:8]), access=OUTDOOR),
    "golfbaan": Venue(("Golfbaan {short}",), "own", ("Golflaan", "Clubhuisweg"), access=OUTDOOR),
    "botenhuis": Venue(("Botenhuis {short}",), "own", ("Kade", "Havenstraat", "Dijkweg"), access=OUTDOOR[:3]),
    "manege": Venue(("Manege {pool}",), "own", ("Paardenweg", "Hoeveweg", "Molenweg"), MANEGE_NAMES,
                    (("invalidentoilet", 0.4), ("gratis-parkeren", 0.8), ("rolstoeltoegankelijk", 0.3))),
    "dojo": Venue(("Dojo {short}",), "own", STREETS, access=INDOOR[:4]),
    "studio": Venue(("{name}",), "own", STREETS, access=INDOOR[:4]),
    "buurthuis": Venue(("Buurthuis {wijk}", "Wijkcentrum {wijk}"), "wijk", STREETS,
                       access=(*INDOOR, ("ringleiding", 0.3), ("lift", 0.3))),
    "park": Venue(("Verzamelpunt hoofdingang wijkpark {wijk}",), "wijk", ("Parklaan", "Parkweg", *STREETS[:6]),
                  access=(("rolstoeltoegankelijk", 0.4), ("toegankelijk-met-ov", 0.6), ("fietsenstalling", 0.5))),
    "schoolplein": Venue(("Schoolplein basisschool {pool}",), "wijk", STREETS, SCHOOL_NAMES,
                         (("rolstoeltoegankelijk", 0.6), ("fietsenstalling", 0.9))),
    "trapveld": Venue(("Trapveld {wijk}",), "wijk", STREETS, access=(("toegankelijk-met-ov", 0.5),)),
    "jeudeboules": Venue(("Jeu-de-boulesbanen {wijk}",), "wijk", ("Parklaan", *STREETS),
                         access=(("rolstoeltoegankelijk", 0.5), ("invalidentoilet", 0.3), ("gratis-parkeren", 0.7))),
    "opleiding": Venue(("Leslocatie Sportacademie {province}",), "own", ("Stationsplein", "Stationsweg", *STREETS[:5]),
                       access=(*INDOOR, ("ringleiding", 0.4), ("lift", 0.6))),
}

# Four-digit postcode ranges by province: close enough to look right, not meant to match reality.
POSTCODE_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "PV20": ((9350, 9999),), "PV21": ((8400, 9299),), "PV22": ((7740, 7999), (9400, 9540)),
    "PV23": ((7400, 7739), (8000, 8299)), "PV24": ((1300, 1399), (8200, 8319)), "PV25": ((6500, 7299),),
    "PV26": ((3400, 3999),), "PV27": ((1000, 1299), (1400, 1999)), "PV28": ((2200, 3299),),
    "PV29": ((4300, 4599),), "PV30": ((4600, 5899),), "PV31": ((5900, 6499),),
}
POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"  # letters Dutch postcodes use
NO_POSTCODE_PAIRS = ("SA", "SD", "SS")


# --- courses --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseTemplate:
    name: str
    description: str
    sport: str | None
    intended_for: str
    weeks: int  # 0: a single day


COURSES = (
    CourseTemplate("Bewegen met ouderen: basiscursus", "Oefenvormen, belastbaarheid en motivatie bij 65-plussers.",
                   "seniorengym", "Buurtsportcoaches en beweegbegeleiders", 4),
    CourseTemplate("Walking football begeleiden", "Spelregels, warming-up en veilig spelen met 60-plussers.",
                   "walking-football", "Buurtsportcoaches en voetbaltrainers", 0),
    CourseTemplate("Valpreventie: trainerscursus", "Een erkend beweegprogramma tegen vallen leren geven.",
                   "valpreventie", "Buurtsportcoaches en fysiotherapeuten", 6),
    CourseTemplate("Sporten met mensen met een beperking", "Aanpassen van spel en materiaal; G-teams opzetten.",
                   None, "Buurtsportcoaches en trainers van G-teams", 3),
    CourseTemplate("Positief coachen van jeugd", "Pedagogisch sportklimaat en omgaan met lastig gedrag.",
                   None, "Buurtsportcoaches en jeugdtrainers", 0),
    CourseTemplate("Grensoverschrijdend gedrag herkennen", "Signaleren, bespreekbaar maken en doorverwijzen.",
                   None, "Buurtsportcoaches", 0),
    CourseTemplate("Motiverende gespreksvoering voor sport en bewegen", "Inactieve inwoners in beweging krijgen.",
                   None, "Buurtsportcoaches en leefstijlcoaches", 2),
    CourseTemplate("Samenwerken met het sociaal domein", "Wijkteam, huisarts en sport verbinden; warme overdracht.",
                   None, "Buurtsportcoaches", 0),
    CourseTemplate("EHBO en reanimatie (AED) voor sportbegeleiders", "Eerste hulp bij sportletsel en reanimatie.",
                   None, "Buurtsportcoaches en trainers", 0),
    CourseTemplate("Sport en bewegen met nieuwkomers", "Taal, cultuur en vertrouwen in de sportles.",
                   None, "Buurtsportcoaches", 0),
    CourseTemplate("Bewegen met mensen met dementie", "Prikkelarm en veilig bewegen in kleine groepen.",
                   None, "Buurtsportcoaches en activiteitenbegeleiders", 2),
    CourseTemplate("Schoolzwemmen en zwemvaardigheid", "Lesopbouw voor kinderen zonder zwemdiploma.",
                   "zwemles", "Buurtsportcoaches en zweminstructeurs", 3),
)

FIRST_NAMES = (
    "Anouk", "Bram", "Daan", "Eva", "Fatima", "Jeroen", "Kim", "Lotte", "Mohammed", "Noor", "Pieter", "Sanne",
    "Thijs", "Yara", "Ingrid", "Hans", "Mila", "Sem", "Ayla", "Joost", "Romy", "Youssef", "Lieke", "Tim",
)
LAST_NAMES = (
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos",
    "Peters", "Hendriks", "van Dijk", "Yilmaz", "Dekker", "van Leeuwen", "Kok", "Brouwer", "Postma",
)


def catalogue_keys() -> dict[str, frozenset[str]]:
    """The concept keys the catalogue can use, by list ("sports", "target-groups", "accessibility")."""
    offers = [o for kind in (*ORG_KINDS, BSC_KIND, *SINGLE_KINDS) for o in kind.offers]
    return {
        "sports": frozenset([o.sport for o in offers] + [c.sport for c in COURSES if c.sport]),
        "target-groups": frozenset(g for o in offers for g in o.groups),
        "accessibility": frozenset(
            [a for o in offers for a in o.access] + [a for v in VENUES.values() for a, _ in v.access]
        ),
    }


# --- the generator --------------------------------------------------------------------------------------


@dataclass
class DemoOrganisation:
    organisation: dict[str, Any]  # organisation input
    places: list[tuple[str, dict[str, Any]]]  # (local ref, place input)
    activities: list[dict[str, Any]]  # activity input; its "place" is one of this organisation's local refs
    courses: list[dict[str, Any]]  # course input; an instance's "place" likewise a local ref


@dataclass
class _Org:
    kind: OrgKind
    home: Neighbourhood | None
    demo: DemoOrganisation
    name: str  # without "(demo)"
    short: str  # the distinctive part of the name, for venue names
    slug: str
    venues: dict[tuple[str, str], str] = field(default_factory=dict)  # (venue, scope key) -> local ref


def generate_offering(
    municipality: Municipality,
    neighbourhoods: Sequence[Neighbourhood],
    sport_keys: Sequence[str],
    target_group_keys: Sequence[str],
    accessibility_keys: Sequence[str],
    *,
    organisations: int = 200,
    activities: int = 350,
    courses: int = 6,
    seed: int = 0,
    today: date,
) -> list[DemoOrganisation]:
    """Exactly `organisations` organisations offering exactly `activities` activities and `courses` courses.

    Only the given concept keys are used. Neighbourhoods of other municipalities are ignored; without any,
    places lie around the municipality's centroid. The courses belong to a regional academy, which is one
    of the organisations (when there are courses).
    """
    if organisations < 0 or activities < 0 or courses < 0:
        raise ValueError("counts must not be negative")
    if organisations == 0:
        if activities or courses:
            raise ValueError("activities and courses need at least one organisation")
        return []
    if activities and not sport_keys:
        raise ValueError("activities need at least one sport key")
    wijken = [n for n in neighbourhoods if n.municipality_code == municipality.code]
    return _Generator(
        Random(seed), municipality, wijken, sport_keys, target_group_keys, accessibility_keys, today
    ).run(organisations, activities, courses)


class _Generator:
    def __init__(
        self,
        rng: Random,
        municipality: Municipality,
        wijken: list[Neighbourhood],
        sport_keys: Sequence[str],
        target_group_keys: Sequence[str],
        accessibility_keys: Sequence[str],
        today: date,
    ) -> None:
        self.rng = rng
        self.municipality = municipality
        self.wijken = wijken
        self.sports = frozenset(sport_keys)
        self.groups = frozenset(target_group_keys)
        self.access = frozenset(accessibility_keys)
        self.today = today
        self.zone = ZoneInfo(TIME_ZONE)
        self.locality = _locality(municipality.name)
        self.slugs: set[str] = set()
        self.names: set[str] = set()
        self.shared_places: dict[tuple[str, str], dict[str, Any]] = {}
        self.kinds = [k for k in (_usable(k, self.sports) for k in ORG_KINDS) if k.offers]
        self.bsc = _usable(BSC_KIND, self.sports)
        self.singles = [k for k in (_usable(k, self.sports) for k in SINGLE_KINDS) if k.offers]
        if not self.kinds and sport_keys:
            self.kinds = [_fallback_kind(sport_keys)]

    # -- planning

    def run(self, organisations: int, activities: int, courses: int) -> list[DemoOrganisation]:
        academy = courses > 0
        plan = self._plan_kinds(organisations - academy)
        orgs = [self._organisation(kind, home) for kind, home in plan]
        if academy:
            orgs.append(self._academy())
        hosts = [o for o in orgs if o.kind.key != "academy"] or orgs
        for org, count in zip(hosts, _allocate(activities, [self._wanted(o.kind) for o in hosts], self.rng),
                              strict=True):
            self._activities(org, count)
        if academy:
            self._courses(orgs[-1], courses)
        for org in orgs:
            if not org.demo.places:  # every organisation has a home, even without activities yet
                self._place(org, org.kind.home_venue)
            self._finish(org)
        return [o.demo for o in orgs]

    def _plan_kinds(self, count: int) -> list[tuple[OrgKind, Neighbourhood | None]]:
        if count <= 0:
            return []
        plan: list[tuple[OrgKind, Neighbourhood | None]] = []
        if self.bsc.offers:
            teams = min(max(1, round(count * 0.04)), max(1, len(self.wijken)), count)
            homes: list[Neighbourhood | None] = list(self.rng.sample(self.wijken, teams)) if self.wijken else [None]
            plan += [(self.bsc, home) for home in homes]
        if count >= 20:
            plan += [(kind, self._random_wijk()) for kind in self.singles]
        kinds = self.kinds or [self.bsc]
        weights = [k.weight or 1.0 for k in kinds]
        while len(plan) < count:
            plan.append((self.rng.choices(kinds, weights)[0], self._random_wijk()))
        return plan[:count]

    def _wanted(self, kind: OrgKind) -> int:
        if kind.criteria == "bsc":
            return self.rng.randint(4, 8)
        if kind.weight == 0:  # the municipal single organisations
            return self.rng.randint(2, 5)
        return self.rng.choice((1, 1, 1, 2, 2, 3))

    def _random_wijk(self) -> Neighbourhood | None:
        return self.rng.choice(self.wijken) if self.wijken else None

    # -- organisations

    def _organisation(self, kind: OrgKind, home: Neighbourhood | None) -> _Org:
        wijk = _wijk_name(home) if home else self.locality
        name, short = "", ""
        for attempt in range(12):
            pattern = self.rng.choice(kind.names)
            short = self.rng.choice(kind.pool) if kind.pool else wijk
            name = pattern.format(pool=short, wijk=wijk, gemeente=self.locality)
            if attempt >= 6:
                name = f"{name} {wijk}" if wijk not in name else f"{name} {attempt - 4}"
            if name not in self.names:
                break
        else:
            name = f"{name} {len(self.names) + 1}"
        return self._new_org(kind, home, name, short)

    def _new_org(self, kind: OrgKind, home: Neighbourhood | None, name: str, short: str) -> _Org:
        self.names.add(name)
        slug = _slugify(name)
        if slug in self.slugs:
            slug = next(f"{slug}-{i}" for i in range(2, 10_000) if f"{slug}-{i}" not in self.slugs)
        self.slugs.add(slug)
        organisation: dict[str, Any] = {
            "name": f"{name} (demo)",
            "slug": slug,
            "website": f"{DEMO_WEBSITE}{slug}",
            "contact": {
                "name": self.rng.choice(("Secretariaat", "Ledenadministratie", "Informatie"))
                if kind.is_club else self._person(),
                "email": f"info@{slug}.example.org",
                "telephone": self._telephone(),
            },
            "isClub": kind.is_club,
            "municipalityCode": self.municipality.code,
        }
        return _Org(kind, home, DemoOrganisation(organisation, [], [], []), name, short, slug)

    def _academy(self) -> _Org:
        # Its activities (open clinics) only when it is the demo's one organisation.
        clinics = self.bsc.offers or (self.kinds[0].offers if self.kinds else ())
        kind = OrgKind("academy", (), (), "regionale sportacademie voor buurtsportcoaches en trainers", clinics, 0, False, 0.3, "social", "opleiding",
                       ("Open clinic", "Demonstratieles"))
        province = self.municipality.province_name
        name = f"Sportacademie {province}"
        if name in self.names:
            name = f"{name} {self.locality}"
        return self._new_org(kind, None, name, province)

    def _finish(self, org: _Org) -> None:
        demo = org.demo
        sports = [a["sport"] for a in demo.activities] + [c["sport"] for c in demo.courses if "sport" in c]
        focus = list(dict.fromkeys(sports))[:10]
        if focus:
            demo.organisation["focusAreas"] = focus
        if org.kind.key == "academy":
            where = f"de provincie {self.municipality.province_name}; leslocatie {self.locality}"
        else:
            where = _wijk_name(org.home) + ", " + self.locality if org.home else self.locality
        offer = list(dict.fromkeys(_base_name(a["name"]) for a in demo.activities))[:4]
        offer += [c["name"] for c in demo.courses][: 4 - len(offer)]
        description = org.kind.description[:1].upper() + org.kind.description[1:]
        summary = f"{DEMO_MARK} {description} in {where}."
        if offer:
            summary += " Aanbod onder meer: " + "; ".join(offer) + "."
        demo.organisation["summary"] = summary

    # -- places

    def _place(self, org: _Org, venue_key: str, wijk: Neighbourhood | None = None) -> str:
        """The local ref of the organisation's place of this kind, made on first use."""
        venue = VENUES[venue_key]
        wijk = wijk or org.home
        if venue.scope == "wijk":
            scope = wijk.code if wijk else self.municipality.code
        elif venue.scope == "municipality":
            scope = self.municipality.code
        else:
            scope = org.slug
        ref = org.venues.get((venue_key, scope))
        if ref:
            return ref
        shared = self.shared_places.get((venue_key, scope))
        if shared is None:
            if venue.scope == "municipality":
                wijk = self._random_wijk()
            shared = self._new_place(org, venue, wijk)
            if venue.scope != "own":
                self.shared_places[(venue_key, scope)] = shared
        ref = f"{org.slug}-{len(org.demo.places) + 1}"
        org.demo.places.append((ref, _copy(shared)))
        org.venues[(venue_key, scope)] = ref
        return ref

    def _new_place(self, org: _Org, venue: Venue, wijk: Neighbourhood | None) -> dict[str, Any]:
        rng = self.rng
        street = rng.choice(venue.streets or STREETS)
        name = rng.choice(venue.names).format(
            wijk=_wijk_name(wijk) if wijk else self.locality,
            short=org.short,
            name=org.name,
            pool=rng.choice(venue.pool) if venue.pool else "",
            street=street,
            province=self.municipality.province_name,
        )
        lat0, lon0 = (wijk.lat, wijk.lon) if wijk else (self.municipality.lat, self.municipality.lon)
        lat, lon = _jitter(rng, lat0, lon0, JITTER_METRES)
        place: dict[str, Any] = {
            "name": name,
            "address": {
                "streetAddress": f"{street} {rng.randint(1, 140)}",
                "postalCode": self._postcode(wijk),
                "addressLocality": self.locality,
            },
            "latitude": lat,
            "longitude": lon,
            "municipalityCode": self.municipality.code,
        }
        if wijk:
            place["neighbourhoodCode"] = wijk.code
        access = [key for key, chance in venue.access if key in self.access and rng.random() < chance]
        if access:
            place["accessibility"] = access
        return place

    def _postcode(self, wijk: Neighbourhood | None) -> str:
        ranges = POSTCODE_RANGES.get(self.municipality.province_code, ((1000, 9999),))
        low, high = ranges[zlib.crc32(self.municipality.code.encode()) % len(ranges)]
        base = low + zlib.crc32(self.municipality.code.encode()) % max(1, high - low - 30)
        digits = base + (zlib.crc32(wijk.code.encode()) % 30 if wijk else 0)
        while True:
            letters = self.rng.choice(POSTCODE_LETTERS) + self.rng.choice(POSTCODE_LETTERS)
            if letters not in NO_POSTCODE_PAIRS:
                return f"{digits} {letters}"

    # -- activities

    def _activities(self, org: _Org, count: int) -> None:
        offers = list(org.kind.offers)
        chosen: list[Offer] = []
        while len(chosen) < count:  # each offer once, until they run out
            pool = [o for o in offers if o not in chosen] or offers
            chosen.append(self.rng.choices(pool, [o.weight for o in pool])[0])
        seen: dict[str, int] = {}
        one_offs = 0
        for offer in chosen:
            wijk = org.home
            if org.kind.weight == 0 and org.kind.criteria != "bsc" and self.rng.random() < 0.4:
                wijk = self._random_wijk()  # municipal organisations work all over town
            name = offer.name.format(wijk=_wijk_name(wijk) if wijk else self.locality)
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name} (groep {seen[name]})"
            one_off = one_offs < MAX_ONE_OFFS_PER_ORGANISATION and self.rng.random() < 0.1
            one_offs += one_off
            org.demo.activities.append(self._activity(org, offer, name, wijk, one_off))

    def _activity(self, org: _Org, offer: Offer, name: str, wijk: Neighbourhood | None, one_off: bool) -> dict[str, Any]:
        rng = self.rng
        slot = SLOTS[rng.choice(offer.slots)]
        days = self._days(slot)
        start = slot.earliest + 15 * rng.randint(0, (slot.latest - slot.earliest) // 15)
        minutes = 15 * rng.randint(slot.duration[0] // 15, slot.duration[1] // 15)
        if one_off:
            name = f"{rng.choice(org.kind.one_off_prefixes)}: {name}"
        activity: dict[str, Any] = {
            "name": name,
            "sport": offer.sport,
            "place": self._place(org, offer.venue, wijk),
        }
        groups = [g for g in offer.groups if g in self.groups]
        if org.kind.criteria == "bsc" and rng.random() < 0.4:
            extra = rng.choice(("lage-inkomens", "kwetsbare-doelgroepen", "inactieven"))
            if extra in self.groups and extra not in groups:
                groups.append(extra)
        if groups:
            activity["targetGroups"] = groups
        if offer.age:
            activity["ageRange"] = {k: v for k, v in zip(("min", "max"), offer.age, strict=True) if v is not None}
        activity["price"] = 0 if one_off and rng.random() < 0.7 else self._price(org.kind, offer)
        access = [a for a in offer.access if a in self.access]
        if access:
            activity["accessibility"] = access
        criteria = self._criteria(org.kind)
        if criteria:
            activity["criteria"] = criteria
        if rng.random() < 0.35:
            activity["maximumAttendeeCapacity"] = rng.choice((8, 10, 12, 15, 16, 20, 24, 30))
        if rng.random() < 0.4:
            given = rng.choice(FIRST_NAMES)
            activity["contact"] = {
                "name": f"{given} {rng.choice(LAST_NAMES)}", "email": f"{given.lower()}@{org.slug}.example.org"
            }
        activity["validFrom"] = self.today.isoformat()
        if one_off:
            day = self._next_day(days[0], self.today + timedelta(days=rng.randint(3, 42)))
            begin = datetime.combine(day, time(start // 60, start % 60), self.zone)
            activity["startTime"] = begin.isoformat()
            activity["endTime"] = (begin + timedelta(minutes=minutes)).isoformat()  # wall-clock time, own offset
            activity["validThrough"] = day.isoformat()
        else:
            schedule: dict[str, Any] = {"days": days, "startTime": _hhmm(start), "endTime": _hhmm(start + minutes)}
            if offer.weeks:
                first = self._next_day(days[0], self.today + timedelta(days=rng.randint(7, 28)))
                last = first + timedelta(weeks=offer.weeks, days=-1)
                schedule["startDate"], schedule["endDate"] = first.isoformat(), last.isoformat()
                activity["validThrough"] = last.isoformat()
            else:
                activity["validThrough"] = (self.today + timedelta(days=365)).isoformat()
            activity["schedule"] = schedule
        activity["description"] = self._description(org, name, wijk, activity)
        return activity

    def _description(self, org: _Org, name: str, wijk: Neighbourhood | None, activity: dict[str, Any]) -> str:
        where = _wijk_name(wijk) if wijk else self.locality
        parts = [DEMO_MARK, f"{_base_name(name)} van {org.name} in {where}."]
        if activity["price"] == 0:
            parts.append("Gratis.")
        if "startTime" in activity:
            parts.append("Eenmalige activiteit; aanmelden niet nodig.")
        elif org.kind.criteria == "bsc":
            parts.append("Laagdrempelig, onder begeleiding van een buurtsportcoach. Je kunt altijd instromen.")
        elif "schedule" in activity and "startDate" in activity["schedule"]:
            parts.append("Een reeks lessen; meld je vooraf aan.")
        elif org.kind.is_club:
            parts.append("Kom gerust een paar keer meetrainen voordat je lid wordt.")
        return " ".join(parts)

    def _days(self, slot: Slot) -> list[str]:
        if len(slot.days) > 1 and self.rng.random() < slot.two_days:
            return list(self.rng.choice(TWO_DAY_PAIRS))
        return [self.rng.choice(slot.days)]

    @staticmethod
    def _next_day(day_name: str, after: date) -> date:
        """The first date on or after `after` that is a `day_name`."""
        return after + timedelta(days=(DAY_ORDER.index(day_name) - after.weekday()) % 7)

    def _price(self, kind: OrgKind, offer: Offer) -> float:
        if self.rng.random() < kind.free_share or offer.price[1] <= 0:
            return 0
        low, high = max(offer.price[0], 1.0), min(max(offer.price[1], 1.0), 15.0)
        return round(self.rng.uniform(low, high) * 2) / 2

    def _criteria(self, kind: OrgKind) -> dict[str, bool]:
        rng = self.rng
        keys = ("openToVulnerableGroups", "acceptsNewParticipants", "startsNewGroups", "safeGuidance",
                "qualityAndContinuity", "givesFeedbackToProfessionals")
        if kind.criteria == "bsc":
            chances = (0.95, 0.95, 0.85, 0.95, 0.9, 0.85)
        elif kind.criteria == "social" and rng.random() < 0.8:
            chances = (0.85, 0.9, 0.5, 0.85, 0.8, 0.6)
        elif kind.criteria == "club" and rng.random() < 0.4:
            chances = (0.4, 0.9, 0.3, 0.8, 0.7, 0.2)
        elif kind.criteria == "commercial" and rng.random() < 0.15:
            chances = (0.2, 0.9, 0.3, 0.7, 0.6, 0.1)
        else:
            return {}
        return {key: rng.random() < chance for key, chance in zip(keys, chances, strict=True)}

    # -- courses

    def _courses(self, org: _Org, count: int) -> None:
        rng = self.rng
        templates = rng.sample(COURSES, min(count, len(COURSES)))
        while len(templates) < count:
            templates.append(rng.choice(COURSES))
        seen: dict[str, int] = {}
        for template in templates:
            seen[template.name] = seen.get(template.name, 0) + 1
            name = template.name if seen[template.name] == 1 else f"{template.name} (groep {seen[template.name]})"
            instances: list[dict[str, Any]] = []
            start = self.today + timedelta(days=rng.randint(14, 120))
            for _ in range(rng.choice((1, 1, 2, 3))):
                mode = rng.choices(("onsite", "blended", "online"), (5, 2, 2))[0]
                instance: dict[str, Any] = {"startDate": start.isoformat(), "courseMode": mode}
                end = start + timedelta(weeks=template.weeks)
                if template.weeks:
                    instance["endDate"] = end.isoformat()
                if mode != "online":
                    instance["place"] = self._place(org, "opleiding")
                instance["price"] = 0 if rng.random() < 0.3 else float(rng.randrange(45, 400, 5))
                instances.append(instance)
                start = end + timedelta(days=rng.randint(21, 90))
            last = max(i.get("endDate", i["startDate"]) for i in instances)
            course: dict[str, Any] = {
                "name": name,
                "description": f"{DEMO_MARK} {template.description}",
                "provider": org.demo.organisation["name"],
                "intendedFor": template.intended_for,
                "website": f"{DEMO_WEBSITE}{org.slug}/{_slugify(name)}",
                "contact": {"name": self._person(), "email": f"cursussen@{org.slug}.example.org"},
                "instances": instances,
                "validFrom": self.today.isoformat(),
                "validThrough": last,
            }
            if template.sport and template.sport in self.sports:
                course["sport"] = template.sport
            org.demo.courses.append(course)

    # -- small things

    def _person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def _telephone(self) -> str:
        if self.rng.random() < 0.5:
            return f"06-00000{self.rng.randint(0, 999):03d}"
        return f"+31 20 000 {self.rng.randint(0, 9999):04d}"


def _usable(kind: OrgKind, sports: frozenset[str]) -> OrgKind:
    """The kind with only the offers whose sport is in the vocabulary."""
    offers = tuple(o for o in kind.offers if o.sport in sports)
    return kind if offers == kind.offers else replace(kind, offers=offers)


def _fallback_kind(sport_keys: Iterable[str]) -> OrgKind:
    """For a vocabulary that shares no key with the catalogue: one generic offer per key."""
    offers = tuple(O(key, f"Sportaanbod {key}", (), None, ADULT, "sporthal") for key in list(sport_keys)[:20])
    return OrgKind("sport", ("Sportvereniging {pool}",), CLUB_NAMES, "sportvereniging", offers, 1, True, 0.25,
                   "club", "sporthal")


def _allocate(total: int, wants: list[int], rng: Random) -> list[int]:
    """`total` split over len(wants) organisations: one each first, the rest in proportion to want - 1."""
    n = len(wants)
    if n == 0:
        if total:
            raise ValueError("activities need an organisation")
        return []
    if total < n:
        chosen = set(rng.sample(range(n), total))
        return [int(i in chosen) for i in range(n)]
    extra = [max(w - 1, 0) for w in wants]
    if not sum(extra):
        extra = [1] * n
    rest = total - n
    shares = [rest * e / sum(extra) for e in extra]
    counts = [1 + int(s) for s in shares]
    ties = [rng.random() for _ in range(n)]
    by_remainder = sorted(range(n), key=lambda i: (int(shares[i]) - shares[i], ties[i]))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _jitter(rng: Random, lat: float, lon: float, metres: float) -> tuple[float, float]:
    """A point uniformly distributed within `metres` of (lat, lon)."""
    distance = metres * math.sqrt(rng.random())
    angle = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(angle) / 111_320
    dlon = distance * math.sin(angle) / (111_320 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _wijk_name(wijk: Neighbourhood | None) -> str:
    """"Wijk 04 Puttershoek" -> "Puttershoek"."""
    if wijk is None:
        return ""
    return re.sub(r"^Wijk \d+\s+", "", wijk.name).strip() or wijk.name


def _locality(name: str) -> str:
    """A place name for addresses: "Laren (NH.)" -> "Laren", "Nuenen, Gerwen en Nederwetten" -> "Nuenen"."""
    return re.sub(r"\s*\(.*\)$", "", name).split(",")[0].strip() or name


def _base_name(name: str) -> str:
    return name.split(": ", 1)[1] if ": " in name and not name.startswith("Sport na school") else name


def _slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > 60:
        slug = slug[:60].rsplit("-", 1)[0]
    return slug or "organisatie"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _copy(place: dict[str, Any]) -> dict[str, Any]:
    copied = {**place, "address": dict(place["address"])}
    if "accessibility" in place:
        copied["accessibility"] = list(place["accessibility"])
    return copied
