"""Europe/Amsterdam wall-clock time as the query index counts it: whole minutes and days since 1970-01-01.

Schedules are written in Amsterdam time (`scheduleTimezone`), so the index keeps one-offs in the same
wall-clock terms (migration 0005 converts them with the EU summer-time rule). Counting wall-clock minutes
as if they were UTC gives plain integers that sort and compare like the times they stand for.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_EPOCH = datetime(1970, 1, 1)
MINUTES_PER_DAY = 1440


def local(moment: datetime) -> datetime:
    """`moment` (aware) as naive Amsterdam wall-clock time."""
    return moment.astimezone(AMSTERDAM).replace(tzinfo=None)


def day_number(day: date) -> int:
    """Days since 1970-01-01 (a Thursday)."""
    return (day - _EPOCH.date()).days


def wall_minutes(moment: datetime) -> int:
    """Whole Amsterdam wall-clock minutes since 1970-01-01 00:00 of an aware moment."""
    return int((local(moment) - _EPOCH).total_seconds() // 60)


def from_wall_minutes(minutes: int) -> datetime:
    """The aware moment at `minutes` Amsterdam wall-clock minutes since the epoch (the earlier one in a fold)."""
    naive = _EPOCH + timedelta(minutes=minutes)
    return naive.replace(tzinfo=AMSTERDAM)


def iso_local(moment: datetime) -> str:
    """RFC 3339 with the Amsterdam offset, to the second: what a person in the Netherlands reads."""
    return moment.astimezone(AMSTERDAM).isoformat(timespec="seconds")


def utc_date(moment: datetime) -> str:
    """The UTC date of a moment, as the collections use it for validThrough."""
    return moment.astimezone(UTC).date().isoformat()
