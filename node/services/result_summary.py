"""One search result in a few short lines: its name, when, where and what it costs.

Used where a result is shown compactly: the widget, and the summaries of the Atom feed. Text of objects
from other servers goes through `protocol.sanitise.plain_text` (names, places); the caller's template
escapes the rest. Dates and prices are written in the request's language by Babel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime, get_day_names
from babel.lists import format_list
from babel.numbers import format_currency

from node.i18n import current_language
from node.i18n import gettext as _
from node.protocol.formats import Hit, place_of
from node.protocol.local_time import AMSTERDAM
from node.protocol.objects import DAYS
from node.protocol.sanitise import plain_text
from node.services.node import Node
from node.services.pages_objects import page_url

_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
# Where one block of text ends: its words must not run into the next block's once the tags are gone.
_BLOCK_END = re.compile(r"(</(?:p|li|blockquote|h[1-6]|div)\s*>|<br\s*/?>)", re.IGNORECASE)
DATE_FORMAT = "EEEE d MMMM"


@dataclass(frozen=True)
class Summary:
    name: str
    url: str | None  # the object's page; None when its id is no web address
    when: str
    where: str
    cost: str
    description: str  # plain text


def _text(value: Any, remote: bool) -> str:
    if not isinstance(value, str):
        return ""
    return plain_text(value) if remote else " ".join(value.split())


def _weekdays(schedule: Mapping[str, Any]) -> list[str]:
    names = get_day_names("wide", locale=current_language.get())
    found = []
    for value in schedule.get("byDay") or ():
        if isinstance(value, str):
            day = value.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower()
            if day in DAYS:
                found.append(names[DAYS.index(day)])
    return found


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment.astimezone(AMSTERDAM) if moment.tzinfo else None


def _when(document: Mapping[str, Any], next_start: datetime | None) -> str:
    language = current_language.get()
    schedule = document.get("eventSchedule")
    upcoming = _moment(next_start)
    if isinstance(schedule, dict) and (days := _weekdays(schedule)):
        text = _("elke %(days)s") % {"days": format_list(days, locale=language)}
        start, end = schedule.get("startTime"), schedule.get("endTime")
        if isinstance(start, str) and _TIME.match(start):
            text += f", {start}" + (f"\u2013{end}" if isinstance(end, str) and _TIME.match(end) else "")
        if upcoming:
            text += "; " + _("volgende keer %(date)s") % {"date": format_date(upcoming, DATE_FORMAT, locale=language)}
        return text[0].upper() + text[1:]
    one_off = upcoming or _moment(document.get("startTime"))
    if one_off:
        return format_datetime(one_off, DATE_FORMAT + ", HH:mm", locale=language).capitalize()
    for instance in document.get("hasCourseInstance") or ():
        if isinstance(instance, dict) and isinstance(instance.get("startDate"), str):
            try:
                start_date = date.fromisoformat(instance["startDate"])
            except ValueError:
                continue
            return _("Begint %(date)s") % {"date": format_date(start_date, DATE_FORMAT, locale=language)}
    return ""


def _where(document: Mapping[str, Any], remote: bool) -> str:
    place = place_of(document)
    name = _text(place.get("name"), remote)
    address = place.get("address")
    locality = _text(address.get("addressLocality"), remote) if isinstance(address, dict) else ""
    return ", ".join(part for part in dict.fromkeys((name, locality)) if part)


def _prices(document: Mapping[str, Any]) -> list[float]:
    offers = list(document.get("offers") or ())
    for instance in document.get("hasCourseInstance") or ():
        if isinstance(instance, dict):
            offers += instance.get("offers") or ()
    found = []
    for offer in offers:
        price = offer.get("price") if isinstance(offer, dict) else None
        if isinstance(price, (int, float, str)):
            try:
                found.append(float(price))
            except ValueError:
                continue
    return [p for p in found if p >= 0]


def _cost(document: Mapping[str, Any]) -> str:
    prices = _prices(document)
    if document.get("isAccessibleForFree") is True or (prices and min(prices) == 0):
        return _("Gratis")
    if not prices:
        return ""
    amount = format_currency(min(prices), "EUR", locale=current_language.get())
    return amount if len(set(prices)) == 1 else _("Vanaf %(price)s") % {"price": amount}


def summarise(hit: Hit, node: Node) -> Summary:
    document = hit.document
    remote = hit.origin is not None
    # Our own objects at their id, another host's at this node's /aanbod?id= (which names the origin).
    url = page_url(node, hit.id) if hit.id.startswith(("https://", "http://")) else None
    description = document.get("content") or document.get("summary")
    return Summary(
        name=_text(document.get("name"), remote) or _("Zonder naam"),
        url=url,
        when=_when(document, hit.next_start),
        where=_where(document, remote),
        cost=_cost(document),
        # Our own content is HTML built from escaped text; either way only its text is wanted here.
        description=plain_text(_BLOCK_END.sub(r"\1 ", description)) if isinstance(description, str) else "",
    )
