"""iCalendar (RFC 5545) of query results, with the `icalendar` package rather than by hand.

Activities become VEVENTs: a one-off with its start and end, a recurring one as a weekly RRULE in
Europe/Amsterdam (with its VTIMEZONE), from its first session on or after its schedule's startDate
(else validFrom, else the day it was published) until its endDate (else validThrough). Each course
instance becomes an all-day VEVENT. Places and organisations are not events and are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from node.protocol.formats import ResultPage, place_of, plain_text
from node.protocol.local_time import AMSTERDAM
from node.protocol.objects import DAYS, SCHEMA

if TYPE_CHECKING:
    from icalendar import Event

PRODID = "-//Sportnode//query API//NL"
_WEEKDAY_OF_URI = {SCHEMA + day.capitalize(): i for i, day in enumerate(DAYS)}
_RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _moment(text: str) -> datetime:
    # fromisoformat in 3.11 reads "Z" and offsets, but at most six fraction digits.
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    return datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))


def _utc(text: str) -> datetime:
    return _moment(text).astimezone(UTC)


def _location(document: Mapping[str, Any]) -> tuple[str | None, tuple[float, float] | None]:
    place = place_of(document)
    if not place:
        return None, None
    address = place.get("address")
    parts = [place.get("name")]
    if isinstance(address, dict):
        parts += [address.get("streetAddress"), " ".join(filter(None, (address.get("postalCode"), address.get("addressLocality"))))]
    elif isinstance(address, str):
        parts.append(address)
    text = ", ".join(p for p in parts if p)
    lat, lon = place.get("latitude"), place.get("longitude")
    geo = (float(lat), float(lon)) if isinstance(lat, (int, float)) and isinstance(lon, (int, float)) else None
    return text or None, geo


def _base_event(uid: str, document: Mapping[str, Any], key_of: Callable[[str], str]) -> Event:
    from icalendar import Event  # imported on first use: ~3 MB a node that serves no iCal never needs

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", _utc(document["updated"]))
    event.add("last-modified", _utc(document["updated"]))
    event.add("summary", document.get("name", ""))
    description = plain_text(document.get("content") or document.get("summary"))
    if description:
        event.add("description", description)
    where, geo = _location(document)
    if where:
        event.add("location", where)
    if geo:
        event.add("geo", geo)
    event.add("url", document.get("url") or document["id"])
    if isinstance(document.get("sport"), str):
        event.add("categories", [key_of(document["sport"])])
    return event


def _first_session(schedule: Mapping[str, Any], document: Mapping[str, Any], weekdays: list[int]) -> date:
    """The first date on or after the schedule's start whose weekday is in the schedule."""
    start_text = schedule.get("startDate") or document.get("validFrom")
    start = date.fromisoformat(start_text) if start_text else _utc(document["published"]).astimezone(AMSTERDAM).date()
    return start + timedelta(days=min((w - start.weekday()) % 7 for w in weekdays))


def _hhmm(text: str) -> time:
    hours, minutes = (int(p) for p in text.split(":"))
    return time(23, 59) if hours >= 24 else time(hours, minutes)


def _recurring(event: Event, document: Mapping[str, Any]) -> bool:
    schedule = document["eventSchedule"]
    weekdays = sorted({_WEEKDAY_OF_URI[d] for d in schedule.get("byDay", ()) if d in _WEEKDAY_OF_URI})
    if not weekdays:
        return False
    first = _first_session(schedule, document, weekdays)
    starts = datetime.combine(first, _hhmm(schedule["startTime"]), tzinfo=AMSTERDAM)
    ends = datetime.combine(first, _hhmm(schedule["endTime"]), tzinfo=AMSTERDAM)
    rule: dict[str, Any] = {"freq": "weekly", "byday": [_RRULE_DAYS[w] for w in weekdays]}
    last_text = schedule.get("endDate") or document.get("validThrough")
    if last_text:
        # UNTIL is in UTC when DTSTART has a time zone (RFC 5545, 3.3.10): the end of that local day.
        until = datetime.combine(date.fromisoformat(last_text), time(23, 59, 59), tzinfo=AMSTERDAM)
        if until < starts:
            return False
        rule["until"] = until.astimezone(UTC)
    event.add("dtstart", starts)
    event.add("dtend", ends if ends > starts else starts + timedelta(hours=1))
    event.add("rrule", rule)
    return True


def _one_off(event: Event, document: Mapping[str, Any]) -> bool:
    if not document.get("startTime"):
        return False
    starts = _moment(document["startTime"]).astimezone(AMSTERDAM)
    event.add("dtstart", starts)
    if document.get("endTime"):
        event.add("dtend", _moment(document["endTime"]).astimezone(AMSTERDAM))
    return True


def _course_events(document: Mapping[str, Any], key_of: Callable[[str], str]) -> list[Event]:
    events = []
    for i, instance in enumerate(document.get("hasCourseInstance") or ()):
        if not instance.get("startDate"):
            continue
        event = _base_event(f"{document['id']}#instance-{i}", {**document, "location": instance.get("location")}, key_of)
        first = date.fromisoformat(instance["startDate"])
        last = date.fromisoformat(instance["endDate"]) if instance.get("endDate") else first
        event.add("dtstart", first)
        event.add("dtend", last + timedelta(days=1))  # DTEND of an all-day event is exclusive
        events.append(event)
    return events


def to_ical(page: ResultPage, key_of: Callable[[str], str], name: str) -> bytes:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for hit in page.hits:
        doc = hit.document
        if hit.kind == "course":
            for event in _course_events(doc, key_of):
                calendar.add_component(event)
            continue
        if hit.kind != "activity":
            continue
        event = _base_event(doc["id"], doc, key_of)
        made = _recurring(event, doc) if isinstance(doc.get("eventSchedule"), dict) else _one_off(event, doc)
        if made:
            calendar.add_component(event)
    calendar.add_missing_timezones()
    result: bytes = calendar.to_ical()
    return result
