"""A search result as a resident reads it: name and link, sport, when, where, cost, for whom, organiser.

Shared by the search page and the home page's "new" list (templates/search/result.html). Text from
other servers (an aggregator's remote objects) is reduced to plain text here; the templates escape it.
Every word goes through gettext, so the English interface reads the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

from node.i18n import N_, current_language
from node.i18n import gettext as _
from node.protocol.formats import Hit, place_of
from node.protocol.local_time import AMSTERDAM
from node.protocol.sanitise import plain_text
from node.protocol.vocab import Concept, ConceptList, Vocabulary
from node.web.html import template_gettext as markup_

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

    def html(self) -> Markup:
        return item_html(self)


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


# A remote object's names, reduced once: the same few hundred names come back page after page.
_plain_text = lru_cache(maxsize=4096)(plain_text)


def _text(value: Any, remote: bool) -> str:
    if not isinstance(value, str):
        return ""
    return _plain_text(value) if remote else value


@dataclass(frozen=True)
class _Facts:
    """What a result shows that its stored document alone decides (in one language, on one day)."""

    values: tuple[Any, ...]  # a ResultItem's fields, without next_time, distance and organiser (the query's)
    remote: bool
    scheduled: bool  # weekly: the next time is shown for an activity too
    organiser: str | None  # attributedTo


@lru_cache(maxsize=2048)
def _facts(document_json: str, hit_id: str, origin: str | None, kind: str, base_url: str, vocabulary: Vocabulary,
           language: str, today: date) -> _Facts:
    """Kept by the document's text itself (with the language and day the words depend on), so an object that
    changes is simply another entry: a result list shows the same objects again and again, and decoding
    and describing one cost more than showing it."""
    document: dict[str, Any] = json.loads(document_json)
    remote = origin is not None or not hit_id.startswith(base_url + "/")
    item = ResultItem(
        name=_text(document.get("name"), remote) or _("(zonder naam)"),
        url=f"{base_url}/aanbod?id={quote(hit_id, safe='')}" if remote else hit_id,
        kind=kind,
        kind_name=_(KIND_NAMES.get(kind, kind)),
        sport=label_of(vocabulary.sports, document.get("sport")),
        cost=cost(document) if kind == "activity" else "",
    )
    if remote:
        parts = urlsplit(origin or hit_id)
        item.origin_host = parts.netloc
        item.origin_url = f"{parts.scheme}://{parts.netloc}/"
    schedule = document.get("eventSchedule")
    if isinstance(schedule, Mapping):
        item.when = weekly(schedule, today)
    elif kind == "activity":
        item.when = once(document)
    place = place_of(document)
    if place:
        item.place = _text(place.get("name"), remote) if place is not document else ""
        address = place.get("address")
        if isinstance(address, Mapping):
            item.locality = _text(address.get("addressLocality"), remote)
        item.lat, item.lon = _coordinate(place.get("latitude"), 90), _coordinate(place.get("longitude"), 180)
    groups = [label_of(vocabulary.target_groups, uri) for uri in document.get("targetGroup") or ()]
    item.for_whom = [g for g in groups if g] + ([a] if (a := ages(document)) else [])
    organiser = document.get("attributedTo")
    values = tuple(getattr(item, f.name) for f in fields(ResultItem))
    return _Facts(values, remote, isinstance(schedule, Mapping), organiser if isinstance(organiser, str) else None)


@lru_cache(maxsize=1024)
def _next_time(start: datetime, with_time: bool, language: str, today: date) -> str:
    moment = start.astimezone(AMSTERDAM)
    text = long_date(moment.date(), weekday=True, year=moment.year != today.year)
    return text + (f", {moment:%H:%M}" if with_time else "")


def item_of(
    hit: Hit, *, base_url: str, vocabulary: Vocabulary, organisers: Mapping[str, str], today: date
) -> ResultItem:
    language = current_language.get()
    facts = _facts(hit.document_json, hit.id, hit.origin, hit.kind, base_url, vocabulary, language, today)
    item = ResultItem(*facts.values)
    item.for_whom = list(item.for_whom)  # the kept one stays as it was
    kind = hit.kind
    if hit.next_start is not None and (kind == "course" or facts.scheduled):
        item.next_time = _next_time(hit.next_start, kind == "activity", language, today)
    if hit.distance_km is not None:
        item.distance = kilometres(hit.distance_km)
    if kind != "organisation" and facts.organiser is not None and facts.organiser in organisers:
        item.organiser = _text(organisers[facts.organiser], facts.remote)
    return item


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if abs(value) <= limit else None


# The words of a result's facts; translated (as Markup: our own catalogue's text) where the item is made.
FACT_WORDS = {"when": N_("Wanneer"), "next": N_("volgende keer %(moment)s"), "where": N_("Waar"),
              "away": N_("%(km)s hiervandaan"), "cost": N_("Kosten"), "for_whom": N_("Voor wie"),
              "organiser": N_("Organisator"), "origin": N_("Komt van")}


def item_html(item: ResultItem) -> Markup:
    """One result as a list shows it (templates/search/result.html): made here rather than in the template,
    since a map page lists 200 and the template cost several times this per item; and kept by everything it
    shows, since the same results come back page after page."""
    return _item_html(current_language.get(), item.name, item.url, item.kind_name, item.sport, item.when,
                      item.next_time, item.place, item.locality, item.distance, item.cost, tuple(item.for_whom),
                      item.organiser, item.origin_host, item.origin_url, item.lat, item.lon)


@lru_cache(maxsize=2048)
def _item_html(language: str, name: str, url: str, kind_name: str, sport: str, when: str, next_time: str,
               place: str, locality: str, distance: str, cost: str, for_whom: tuple[str, ...], organiser: str,
               origin_host: str, origin_url: str, lat: float | None, lon: float | None) -> Markup:
    """Every value is escaped; `language` is that of the words."""
    e, words = escape, FACT_WORDS
    parts = [
        f'<li data-lat="{e(lat)}" data-lon="{e(lon)}">\n' if lat is not None and lon is not None
        else "<li>\n",
        f'  <h3><a href="{e(url)}">{e(name)}</a></h3>\n  <p><span class="tag">{e(kind_name)}</span>',
        f' <span class="tag">{e(sport)}</span>' if sport else "",
        '</p>\n  <dl class="facts">\n',
    ]
    if when or next_time:
        then = markup_(words["next"], moment=next_time) if next_time else ""
        parts.append(f"    <dt>{markup_(words['when'])}</dt>\n"
                     f"    <dd>{e(when)}{'; ' if when and next_time else ''}{then}</dd>\n")
    if place or locality or distance:
        away = f" ({markup_(words['away'], km=distance)})" if distance else ""
        parts.append(f"    <dt>{markup_(words['where'])}</dt>\n"
                     f"    <dd>{e(place)}{', ' if place and locality else ''}{e(locality)}{away}</dd>\n")
    if cost:
        parts.append(f"    <dt>{markup_(words['cost'])}</dt>\n    <dd>{e(cost)}</dd>\n")
    if for_whom:
        parts.append(f"    <dt>{markup_(words['for_whom'])}</dt>\n    <dd>{', '.join(e(w) for w in for_whom)}</dd>\n")
    if organiser:
        parts.append(f"    <dt>{markup_(words['organiser'])}</dt>\n    <dd>{e(organiser)}</dd>\n")
    parts.append("  </dl>\n")
    if origin_host:
        parts.append(f'  <p class="origin">{markup_(words["origin"])} '
                     f'<a href="{e(origin_url)}">{e(origin_host)}</a></p>\n')
    parts.append("</li>")
    return Markup("".join(parts))  # safe: every value above is escaped, every word is our catalogue's
