"""The query string of /api/search: parsed and checked, every problem reported by parameter.

Pure: the raw parameters in, a `SearchParams` out, or a `SportnodeError` (400) that lists each bad
parameter as `{"pointer": "/name", "detail": ...}`. Names of concepts and areas stay as the client wrote
them; the query service resolves them against the vocabulary and the CBS lists.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from node.errors import FieldError, SportnodeError
from node.protocol.objects import CRITERIA, DAYS

KINDS = ("activity", "organisation", "place", "course")
SORTS = ("updated", "distance", "next")
FORMATS = ("json", "jsonld", "csv", "ical", "geojson")
FACETS = ("sport", "municipality", "targetGroup")

DEFAULT_LIMIT = 20
MAX_LIMIT = 500
MAX_VALUES = 50  # per list parameter: an IN list stays small
MAX_TEXT = 200
MAX_WORDS = 10
MAX_KM = 20040.0  # half the Earth's circumference: everything is within it
MAX_AGE = 150
MAX_PRICE = 1_000_000.0

# Weekday names a client may use, each to its index (Monday = 0): English, Dutch, iCalendar's two letters.
DAY_NAMES: dict[str, int] = {
    **{name: i for i, name in enumerate(DAYS)},
    **{name: i for i, name in enumerate(("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"))},
    **{name: i for i, name in enumerate(("mo", "tu", "we", "th", "fr", "sa", "su"))},
}

LIST_PARAMS = ("type", "sport", "targetGroup", "accessibility", "municipality", "province", "neighbourhood",
               "day", "facets")
SCALAR_PARAMS = ("q", "lat", "lon", "km", "age", "free", "maxPrice", "startsAfter", "endsBefore", "sort",
                 "limit", "cursor", "format", *CRITERIA)
PARAMETERS = frozenset((*LIST_PARAMS, *SCALAR_PARAMS))

_MUNICIPALITY = re.compile(r"^GM[0-9]{4}$")
# CBS codes are GMxxxx digits and then digits, or letters in Amsterdam's wijken (WK0363AB).
_NEIGHBOURHOOD = re.compile(r"^(WK[0-9]{4}[0-9A-Z]{2}|BU[0-9]{4}[0-9A-Z]{4})$")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$")
_WORD = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


@dataclass(frozen=True)
class SearchParams:
    words: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    sports: tuple[str, ...] = ()
    target_groups: tuple[str, ...] = ()
    accessibility: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    neighbourhoods: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    km: float | None = None
    age: int | None = None
    free: bool | None = None
    max_price: float | None = None
    days: tuple[int, ...] = ()
    starts_after: int | None = None  # minutes after midnight
    ends_before: int | None = None
    criteria: tuple[tuple[str, bool], ...] = ()
    sort: str = "updated"
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    format: str | None = None
    facets: tuple[str, ...] = ()

    def filter_key(self) -> tuple[object, ...]:
        """What selects and orders the results: a cursor is only valid for the query it came from."""
        return (
            self.words, self.types, self.sports, self.target_groups, self.accessibility, self.municipalities,
            self.provinces, self.neighbourhoods, self.lat, self.lon, self.km, self.age, self.free,
            self.max_price, self.days, self.starts_after, self.ends_before, self.criteria, self.sort,
        )


def fts_match(words: Sequence[str]) -> str:
    """An FTS5 expression in which every word must start a token: `"korf"* "zuid"*`.

    Words are runs of letters and digits only, so quoting them cannot break out of the string.
    """
    return " ".join(f'"{word}"*' for word in words)


def minutes_of(text: str) -> int:
    """'HH:MM' (or '24:00') as minutes after midnight; the text must match _TIME."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass
class _Reader:
    raw: Mapping[str, Sequence[str]]
    errors: list[FieldError] = field(default_factory=list)

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(f"/{name}", f"{name}: {message}"))

    def scalar(self, name: str) -> str | None:
        values = self.raw.get(name)
        if not values:
            return None
        if len(values) > 1:
            self.fail(name, "give it once")
            return None
        return values[0].strip()

    def values(self, name: str) -> tuple[str, ...]:
        found = [v.strip() for raw in self.raw.get(name, ()) for v in raw.split(",")]
        found = [v for v in found if v]
        if name in self.raw and not found:
            self.fail(name, "needs a value")
        if len(found) > MAX_VALUES:
            self.fail(name, f"at most {MAX_VALUES} values")
            return ()
        return tuple(dict.fromkeys(found))  # repeated values count once, in order

    def number(self, name: str, low: float, high: float, *, low_open: bool = False) -> float | None:
        text = self.scalar(name)
        if text is None:
            return None
        if not _NUMBER.match(text) or not math.isfinite(float(text)):
            self.fail(name, f"must be a number, not {text!r}")
            return None
        value = float(text)
        if value < low or value > high or (low_open and value == low):
            bound = "above" if low_open else "from"
            self.fail(name, f"must be {bound} {low:g} up to {high:g}, not {text}")
            return None
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        text = self.scalar(name)
        if text is None:
            return None
        if not re.fullmatch(r"-?[0-9]{1,12}", text):
            self.fail(name, f"must be a whole number, not {text!r}")
            return None
        value = int(text)
        if not low <= value <= high:
            self.fail(name, f"must be from {low} up to {high}, not {value}")
            return None
        return value

    def boolean(self, name: str) -> bool | None:
        text = self.scalar(name)
        if text is None:
            return None
        if text.lower() not in ("true", "false"):
            self.fail(name, f"must be true or false, not {text!r}")
            return None
        return text.lower() == "true"

    def choice(self, name: str, options: Sequence[str]) -> str | None:
        text = self.scalar(name)
        if text is not None and text not in options:
            self.fail(name, f"must be one of {', '.join(options)}, not {text!r}")
            return None
        return text

    def choices(self, name: str, options: Sequence[str]) -> tuple[str, ...]:
        found = self.values(name)
        unknown = [v for v in found if v not in options]
        if unknown:
            self.fail(name, f"must be among {', '.join(options)}, not {', '.join(map(repr, unknown))}")
            return ()
        return found

    def matching(self, name: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
        found = tuple(v.upper() for v in self.values(name))
        bad = [v for v in found if not pattern.match(v)]
        if bad:
            self.fail(name, f"{', '.join(map(repr, bad))} is not {what}")
            return ()
        return found

    def time(self, name: str) -> int | None:
        text = self.scalar(name)
        if text is None:
            return None
        if not _TIME.match(text):
            self.fail(name, f"must be a time HH:MM from 00:00 up to 24:00, not {text!r}")
            return None
        return minutes_of(text)


def _words(reader: _Reader) -> tuple[str, ...]:
    text = reader.scalar("q")
    if text is None:
        return ()
    if len(text) > MAX_TEXT:
        reader.fail("q", f"at most {MAX_TEXT} characters")
        return ()
    words = tuple(dict.fromkeys(w.casefold() for w in _WORD.findall(text)))
    if not words:
        reader.fail("q", "has no letters or digits to search for")
    elif len(words) > MAX_WORDS:
        reader.fail("q", f"at most {MAX_WORDS} words")
        return ()
    return words


def _days(reader: _Reader) -> tuple[int, ...]:
    found = reader.values("day")
    unknown = [d for d in found if d.lower() not in DAY_NAMES]
    if unknown:
        reader.fail("day", f"{', '.join(map(repr, unknown))} is not a weekday (monday ... sunday)")
        return ()
    return tuple(sorted({DAY_NAMES[d.lower()] for d in found}))


def parse_search(raw: Mapping[str, Sequence[str]]) -> SearchParams:
    """`raw` maps each parameter name to the values it was given (a query string may repeat a name)."""
    reader = _Reader(raw)
    for name in sorted(set(raw) - PARAMETERS):
        reader.fail(name, "is not a parameter of this endpoint")
    criteria = tuple((name, value) for name in CRITERIA if (value := reader.boolean(name)) is not None)
    params = SearchParams(
        words=_words(reader),
        types=reader.choices("type", KINDS),
        sports=reader.values("sport"),
        target_groups=reader.values("targetGroup"),
        accessibility=reader.values("accessibility"),
        municipalities=reader.matching("municipality", _MUNICIPALITY, "a CBS municipality code (GMxxxx)"),
        provinces=reader.values("province"),
        neighbourhoods=reader.matching(
            "neighbourhood", _NEIGHBOURHOOD, "a CBS wijk (WKxxxxxx) or buurt (BUxxxxxxxx) code"
        ),
        lat=reader.number("lat", -90, 90),
        lon=reader.number("lon", -180, 180),
        km=reader.number("km", 0, MAX_KM, low_open=True),
        age=reader.integer("age", 0, MAX_AGE),
        free=reader.boolean("free"),
        max_price=reader.number("maxPrice", 0, MAX_PRICE),
        days=_days(reader),
        starts_after=reader.time("startsAfter"),
        ends_before=reader.time("endsBefore"),
        criteria=criteria,
        sort=reader.choice("sort", SORTS) or "updated",
        limit=reader.integer("limit", 1, MAX_LIMIT) or DEFAULT_LIMIT,
        cursor=reader.scalar("cursor") or None,
        format=reader.choice("format", FORMATS),
        facets=reader.choices("facets", FACETS),
    )
    _check_combinations(reader, params)
    if reader.errors:
        names = ", ".join(dict.fromkeys(e.path.lstrip("/") for e in reader.errors))
        raise SportnodeError(400, "bad-request", f"Bad query parameter: {names}.", reader.errors)
    return params


def _check_combinations(reader: _Reader, params: SearchParams) -> None:
    names = {name for name, values in reader.raw.items() if values}
    for one, other in (("lat", "lon"), ("lon", "lat")):
        if one in names and other not in names:
            reader.fail(one, f"needs {other} too")
    if "km" in names and not {"lat", "lon"} <= names:
        reader.fail("km", "needs lat and lon (the point to measure from)")
    if params.sort == "distance" and not {"lat", "lon"} <= names:
        reader.fail("sort", "distance needs lat and lon")
