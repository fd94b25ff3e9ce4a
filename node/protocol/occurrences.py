"""The next sessions of an activity or course, by the rules the query API's `nextOccurrence` uses.

The search index computes the next start in SQL (store/query.next_start_sql); an object's page shows
the next few, so the same rules are spelled out here over the document:

- weekly (an activity with `eventSchedule`): from the later of today and the schedule's startDate, each
  day named in byDay at startTime, Amsterdam wall-clock time; today only while its start time has not
  passed (a session starting this very minute still counts); none after the schedule's endDate;
- a one-off activity: its startTime, while that has not passed;
- a course: each instance's startDate, until the end of that day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from node.protocol.local_time import AMSTERDAM

SCHEMA_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY = {"https://schema.org/" + name: i for i, name in enumerate(SCHEMA_DAYS)}
_WEEKDAY.update({"schema:" + name: i for i, name in enumerate(SCHEMA_DAYS)})


@dataclass(frozen=True)
class Occurrence:
    """One session: aware datetimes in Europe/Amsterdam; `end` None when unknown. `all_day`: a course
    instance, which has dates but no times."""

    start: datetime
    end: datetime | None
    all_day: bool = False


def weekdays(schedule: Mapping[str, Any]) -> list[int]:
    """The schedule's days as Python weekdays (Monday 0), in week order."""
    days = schedule.get("byDay") or ()
    return sorted({_WEEKDAY[d] for d in days if isinstance(d, str) and d in _WEEKDAY})


def _hhmm(text: str) -> tuple[int, int]:
    hours, minutes = (int(p) for p in text.split(":")[:2])
    return hours, minutes


def _at(day: date, hhmm: str) -> datetime:
    hours, minutes = _hhmm(hhmm)
    # "24:00" is the end of the day; the index counts it as minute 1440 of the day.
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM) + timedelta(hours=hours, minutes=minutes)


def _date(text: Any) -> date | None:
    if not isinstance(text, str):
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    head, dot, rest = text.partition(".")
    if dot:  # at most six fraction digits for fromisoformat
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(AMSTERDAM) if moment.tzinfo else moment.replace(tzinfo=AMSTERDAM)


def _weekly(schedule: Mapping[str, Any], now: datetime, count: int) -> list[Occurrence]:
    days = weekdays(schedule)
    if not days or not isinstance(schedule.get("startTime"), str):
        return []
    wall = now.astimezone(AMSTERDAM)
    today = wall.date()
    start_from = _date(schedule.get("startDate"))
    base = max(today, start_from) if start_from else today
    until = _date(schedule.get("endDate"))
    start_hm = _hhmm(schedule["startTime"])
    passed_today = base == today and start_hm[0] * 60 + start_hm[1] < wall.hour * 60 + wall.minute
    found: list[Occurrence] = []
    day = base
    while len(found) < count:
        if day.weekday() in days and not (day == today and passed_today):
            if until is not None and day > until:
                break
            starts = _at(day, schedule["startTime"])
            ends = _at(day, schedule["endTime"]) if isinstance(schedule.get("endTime"), str) else None
            found.append(Occurrence(starts, ends if ends and ends > starts else None))
        day += timedelta(days=1)
    return found


def _one_off(document: Mapping[str, Any], now: datetime) -> list[Occurrence]:
    starts = _moment(document.get("startTime"))
    if starts is None:
        return []
    # The index compares whole wall-clock minutes: a session starting this minute is still "next".
    if starts.replace(second=0, microsecond=0) < now.astimezone(AMSTERDAM).replace(second=0, microsecond=0):
        return []
    return [Occurrence(starts, _moment(document.get("endTime")))]


def _course(document: Mapping[str, Any], now: datetime, count: int) -> list[Occurrence]:
    today = now.astimezone(AMSTERDAM).date()
    found = []
    for instance in document.get("hasCourseInstance") or ():
        first = _date(instance.get("startDate")) if isinstance(instance, Mapping) else None
        if first is None or first < today:
            continue
        last = _date(instance.get("endDate")) or first
        found.append(Occurrence(datetime.combine(first, time(0), tzinfo=AMSTERDAM),
                                datetime.combine(last, time(0), tzinfo=AMSTERDAM), all_day=True))
    return sorted(found, key=lambda o: o.start)[:count]


def next_occurrences(document: Mapping[str, Any], now: datetime, count: int = 3) -> list[Occurrence]:
    """The next `count` sessions at or after `now` (aware), soonest first; [] when none is coming."""
    if isinstance(document.get("hasCourseInstance"), list):
        return _course(document, now, count)
    schedule = document.get("eventSchedule")
    if isinstance(schedule, Mapping):
        return _weekly(schedule, now, count)
    return _one_off(document, now)[:count]
