"""A search result as a resident reads it: name and link, sport, when, where, cost, for whom, organiser.

Shared by the search page and the home page's "new" list (templates/search/result.html). Text from
other servers (an aggregator's remote objects) is reduced to plain text here; the templates escape it.
Every word goes through gettext, so the English interface reads the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from node.protocol.formats import Hit, place_of
from node.protocol.local_time import AMSTERDAM
from node.protocol.sanitise import plain_text
from node.protocol.vocab import Concept, ConceptList, Vocabulary
from node.web.i18n import N_, current_language
from node.web.i18n import gettext as _

DAY_NAMES = (N_("maandag"), N_("dinsdag"), N_("woensdag"), N_("donderdag"), N_("vrijdag"), N_("zaterdag"),
             N_("zondag"))
MONTH_NAMES = (N_("januari"), N_("februari"), N_("maart"), N_("april"), N_("mei"), N_("juni"), N_("juli"),
               N_("augustus"), N_("september"), N_("oktober"), N_("november"), N_("december"))
KIND_NAMES = {"activity": N_("Activiteit"), "course": N_("Cursus"), "organisation": N_("Organisatie"),
              "place": N_("Locatie")}
SCHEMA_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class ResultItem:
    name: str
    url: str
    kind: str
    kind_name: str
    sport: str = ""
    when: str = ""
    next_time: str = ""
    place: str = ""
    locality: str = ""
    distance: str = ""
    cost: str = ""
    for_whom: list[str] = field(default_factory=list)
    organiser: str = ""
    origin_host: str = ""  # set for a remote object: where it comes from
    origin_url: str = ""
    lat: float | None = None
    lon: float | None = None


def concept_label(concept: Concept) -> str:
    return concept.label_en if current_language.get() == "en" and concept.label_en else concept.label_nl


def label_of(concepts: ConceptList, uri: Any) -> str:
    concept = concepts.resolve(uri) if isinstance(uri, str) else None
    return concept_label(concept) if concept else ""


def day_name(index: int) -> str:
    return _(DAY_NAMES[index])


def and_list(words: Sequence[str]) -> str:
    """"maandag, woensdag en vrijdag"."""
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s en %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def long_date(day: date, *, weekday: bool = False, year: bool = True) -> str:
    text = f"{day.day} {_(MONTH_NAMES[day.month - 1])}" + (f" {day.year}" if year else "")
    return f"{day_name(day.weekday())} {text}" if weekday else text


def money(amount: float) -> str:
    return _("gratis") if amount == 0 else "€ " + f"{amount:.2f}".replace(".", ",")


def kilometres(km: float) -> str:
    text = f"{km:.0f}" if km >= 10 or km == int(km) else f"{km:.1f}"
    return text.replace(".", ",") + " km"


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _moment(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if isinstance(text, str) else None
    except ValueError:
        return None
    return moment.astimezone(AMSTERDAM) if moment and moment.tzinfo else None


def _hhmm(text: Any) -> str:
    return text[:5] if isinstance(text, str) and len(text) >= 5 and text[2] == ":" else ""


def weekly(schedule: Mapping[str, Any], today: date) -> str:
    """"elke dinsdag en donderdag 10:00-11:00, vanaf 22 december"."""
    days = schedule.get("byDay") or []
    names = [i for i, name in enumerate(SCHEMA_DAYS) if any(str(d).endswith(name) for d in days)]
    hours = "-".join(filter(None, (_hhmm(schedule.get("startTime")), _hhmm(schedule.get("endTime")))))
    text = _("elke %(days)s") % {"days": and_list([day_name(i) for i in names])} if names else _("elke week")
    text += f" {hours}" if hours else ""
    start, end = _date(schedule.get("startDate")), _date(schedule.get("endDate"))
    if start and start > today:
        text += ", " + _("vanaf %(date)s") % {"date": long_date(start, year=start.year != today.year)}
    if end:
        text += ", " + _("tot en met %(date)s") % {"date": long_date(end)}
    return text


def once(document: Mapping[str, Any]) -> str:
    """"woensdag 30 december 2026, 19:15-20:30"."""
    start, end = _moment(document.get("startTime")), _moment(document.get("endTime"))
    if start is None:
        return ""
    text = f"{long_date(start.date(), weekday=True)}, {start:%H:%M}"
    if end and end.date() == start.date():
        text += f"-{end:%H:%M}"
    return text


def cost(document: Mapping[str, Any]) -> str:
    if document.get("isAccessibleForFree") is True:
        return _("gratis")
    prices = []
    for offer in document.get("offers") or ():
        try:
            prices.append(float(offer.get("price")))
        except (AttributeError, TypeError, ValueError):
            continue
    return money(min(prices)) if prices else ""


def ages(document: Mapping[str, Any]) -> str:
    age = document.get("ageRange")
    if not isinstance(age, Mapping):
        return ""
    low, high = age.get("minValue"), age.get("maxValue")
    if isinstance(low, int) and isinstance(high, int):
        return _("%(low)s tot %(high)s jaar") % {"low": low, "high": high}
    if isinstance(low, int):
        return _("%(low)s jaar en ouder") % {"low": low}
    if isinstance(high, int):
        return _("tot %(high)s jaar") % {"high": high}
    return ""


def _text(value: Any, remote: bool) -> str:
    if not isinstance(value, str):
        return ""
    return plain_text(value) if remote else value


def item_of(
    hit: Hit, *, base_url: str, vocabulary: Vocabulary, organisers: Mapping[str, str], today: date
) -> ResultItem:
    document = hit.document
    remote = hit.origin is not None or not hit.id.startswith(base_url + "/")
    kind = hit.kind
    item = ResultItem(
        name=_text(document.get("name"), remote) or _("(zonder naam)"),
        url=f"{base_url}/aanbod?id={quote(hit.id, safe='')}" if remote else hit.id,
        kind=kind,
        kind_name=_(KIND_NAMES.get(kind, kind)),
        sport=label_of(vocabulary.sports, document.get("sport")),
        cost=cost(document) if kind == "activity" else "",
    )
    if remote:
        parts = urlsplit(hit.origin or hit.id)
        item.origin_host = parts.netloc
        item.origin_url = f"{parts.scheme}://{parts.netloc}/"
    schedule = document.get("eventSchedule")
    if isinstance(schedule, Mapping):
        item.when = weekly(schedule, today)
    elif kind == "activity":
        item.when = once(document)
    if hit.next_start is not None and (kind == "course" or isinstance(schedule, Mapping)):
        moment = hit.next_start.astimezone(AMSTERDAM)
        text = long_date(moment.date(), weekday=True, year=moment.year != today.year)
        item.next_time = text + (f", {moment:%H:%M}" if kind == "activity" else "")
    place = place_of(document)
    if place:
        item.place = _text(place.get("name"), remote) if place is not document else ""
        address = place.get("address")
        if isinstance(address, Mapping):
            item.locality = _text(address.get("addressLocality"), remote)
        item.lat, item.lon = _coordinate(place.get("latitude"), 90), _coordinate(place.get("longitude"), 180)
    if hit.distance_km is not None:
        item.distance = kilometres(hit.distance_km)
    groups = [label_of(vocabulary.target_groups, uri) for uri in document.get("targetGroup") or ()]
    item.for_whom = [g for g in groups if g] + ([a] if (a := ages(document)) else [])
    organiser = document.get("attributedTo")
    if kind != "organisation" and isinstance(organiser, str) and organiser in organisers:
        item.organiser = _text(organisers[organiser], remote)
    return item


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if abs(value) <= limit else None
