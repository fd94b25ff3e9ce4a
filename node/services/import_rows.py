"""Turning spreadsheet rows (CSV or JSON) into write-API input: one activity per row.

Social-map teams keep their offering in spreadsheets with Dutch headers and free-form cells
("di en do", "€ 2,50", "gratis", "10.00"). This module reads such cells into the same JSON the write
API takes, so an import goes through exactly the checks an organisation's own request does. Every
problem is reported by row number (as the spreadsheet shows it) and column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from node.errors import FieldError
from node.services.area_index import AreaIndex

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# Column name -> the other headers it is known by. Headers compare case-, space- and dash-insensitively.
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("rij_id", "row_id"),
    "organisation": ("organisatie", "aanbieder", "vereniging", "organization"),
    "activity": ("activiteit", "naam", "name", "titel"),
    "description": ("omschrijving", "beschrijving"),
    "sport": ("sport", "sportsoort"),
    "place": ("locatie", "accommodatie", "location"),
    "street": ("adres", "straat", "street_address", "address"),
    "postal_code": ("postcode",),
    "city": ("plaats", "woonplaats", "locality"),
    "municipality": ("gemeente",),
    "neighbourhood": ("wijk",),
    "latitude": ("lat", "breedtegraad"),
    "longitude": ("lon", "lng", "lengtegraad"),
    "days": ("dag", "dagen", "day"),
    "date": ("datum",),
    "start_time": ("begintijd", "starttijd", "van", "start"),
    "end_time": ("eindtijd", "tot", "end"),
    "price": ("prijs", "kosten"),
    "target_groups": ("doelgroep", "doelgroepen", "target_group"),
    "age_min": ("leeftijd_van", "minimum_leeftijd", "min_age"),
    "age_max": ("leeftijd_tot", "maximum_leeftijd", "max_age"),
    "accessibility": ("toegankelijkheid",),
    "contact_name": ("contactpersoon", "contact"),
    "contact_email": ("email", "e_mail", "e-mail"),
    "contact_phone": ("telefoon", "telefoonnummer", "phone"),
    "website": ("url", "site"),
    "valid_from": ("geldig_van", "geldig_vanaf"),
    "valid_through": ("geldig_tot", "geldig_t_m"),
}
REQUIRED = ("organisation", "activity", "sport", "place", "street", "postal_code", "city", "municipality",
            "start_time", "end_time")

DAY_NAMES = {
    "monday": ("maandag", "ma", "mon", "monday"),
    "tuesday": ("dinsdag", "di", "tue", "tuesday"),
    "wednesday": ("woensdag", "wo", "wed", "wednesday"),
    "thursday": ("donderdag", "do", "thu", "thursday"),
    "friday": ("vrijdag", "vr", "fri", "friday"),
    "saturday": ("zaterdag", "za", "sat", "saturday"),
    "sunday": ("zondag", "zo", "sun", "sunday"),
}
DAY_BY_WORD = {word: day for day, words in DAY_NAMES.items() for word in words}
FREE_WORDS = {"gratis", "free", "0", "nvt-gratis"}
LIST_SEPARATORS = re.compile(r"\s*(?:[,;|/+&]|\ben\b|\band\b)\s*")

# Which column each write-API field came from, so a publishing error is reported in the user's words.
COLUMN_OF_POINTER = {
    "/name": "activity", "/description": "description", "/sport": "sport", "/place": "place",
    "/schedule/days": "days", "/schedule/startTime": "start_time", "/schedule/endTime": "end_time",
    "/startTime": "start_time", "/endTime": "end_time", "/price": "price", "/targetGroups": "target_groups",
    "/ageRange/min": "age_min", "/ageRange/max": "age_max", "/accessibility": "accessibility",
    "/contact/name": "contact_name", "/contact/email": "contact_email", "/contact/telephone": "contact_phone",
    "/website": "website", "/validFrom": "valid_from", "/validThrough": "valid_through",
    "/address/streetAddress": "street", "/address/postalCode": "postal_code",
    "/address/addressLocality": "city", "/municipalityCode": "municipality",
    "/neighbourhoodCode": "neighbourhood", "/latitude": "latitude", "/longitude": "longitude",
}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, headers)."""


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-./]+", "_", text.strip().casefold()).strip("_")


HEADER_LOOKUP = {_header_key(alias): name for name, aliases in COLUMNS.items() for alias in (name, *aliases)}


@dataclass(frozen=True)
class SourceRow:
    number: int  # as the user sees it: the spreadsheet's row (header is 1), or the 1-based item of a JSON list
    cells: dict[str, str]


@dataclass
class ParsedRow:
    number: int
    organisation: str
    place: dict[str, Any]
    activity: dict[str, Any]
    place_key: str
    activity_key: str
    warnings: list[str] = field(default_factory=list)


def row_error(number: int, column: str, message: str) -> FieldError:
    return FieldError(f"row {number} / {column}", message)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_cell_text(v) for v in value)
    return str(value).strip()


def _columns(headers: Iterable[str]) -> dict[str, str]:
    """Header as written -> our column name; unknown or doubled headers are refused."""
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for header in headers:
        name = HEADER_LOOKUP.get(_header_key(header))
        if name is None:
            if header.strip():
                unknown.append(header)
            continue
        if name in mapping.values():
            raise ImportFileError(f"two columns mean {name!r}: keep one")
        mapping[header] = name
    if unknown:
        raise ImportFileError(
            "unknown column(s): " + ", ".join(repr(u) for u in unknown) + "; see docs/import.md for the columns"
        )
    missing = [c for c in REQUIRED if c not in mapping.values()]
    if missing:
        raise ImportFileError("missing column(s): " + ", ".join(missing))
    return mapping


def read_rows(path: Path) -> list[SourceRow]:
    """The rows of a CSV (comma or semicolon separated, UTF-8) or JSON (a list of objects) file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError(f"no file at {path}") from None
    except UnicodeDecodeError:
        raise ImportFileError(f"{path} is not UTF-8 text; save the spreadsheet as CSV UTF-8") from None
    if path.suffix.lower() == ".json":
        return _json_rows(text)
    return _csv_rows(text)


def _csv_rows(text: str) -> list[SourceRow]:
    first_line = text.split("\n", 1)[0]
    # Dutch spreadsheet programs write semicolons, since the comma is the decimal sign.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    # The csv module's own line handling, not splitlines(): a quoted cell may hold a line break.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError("the file is empty") from None
    mapping = _columns(headers)
    rows = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(headers):
            raise ImportFileError(f"row {line} has {len(values)} cells but there are {len(headers)} columns")
        cells = {mapping[h]: v.strip() for h, v in zip(headers, values, strict=False) if h in mapping}
        rows.append(SourceRow(line, cells))
    return rows


def _json_rows(text: str) -> list[SourceRow]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(f"not valid JSON: {error.msg} at line {error.lineno}") from None
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ImportFileError('a JSON import is a list of objects (or {"rows": [...]}), one per activity')
    headers = {key for item in data for key in item}
    mapping = _columns(sorted(headers))
    return [
        SourceRow(i, {mapping[k]: _cell_text(v) for k, v in item.items() if k in mapping})
        for i, item in enumerate(data, start=1)
    ]


def _split(text: str) -> list[str]:
    return [part for part in LIST_SEPARATORS.split(text) if part]


def parse_days(text: str) -> list[str]:
    days = []
    for word in _split(text.casefold().replace(".", "")):
        if word not in DAY_BY_WORD:
            raise ValueError(f"{word!r} is not a day of the week (maandag ... zondag, or ma, di, wo, ...)")
        days.append(DAY_BY_WORD[word])
    if not days:
        raise ValueError("name at least one day")
    return sorted(set(days), key=list(DAY_NAMES).index)


def parse_time(text: str) -> str:
    match = re.fullmatch(r"(\d{1,2})[:.hu](\d{2})", text.strip().casefold())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{text!r} is not a time of day like 19:30")
    return f"{int(match[1]):02d}:{match[2]}"


def parse_price(text: str) -> float | None:
    cleaned = text.casefold().replace("€", "").replace("eur", "").strip()
    if not cleaned:
        return None
    if cleaned in FREE_WORDS:
        return 0
    cleaned = cleaned.replace(",-", "").replace(",", ".")
    try:
        price = float(cleaned)
    except ValueError:
        price = math.nan
    if not math.isfinite(price):  # float() takes "nan" and "inf", which no document may hold
        raise ValueError(f"{text!r} is not a price like 2,50 or gratis")
    if price < 0:
        raise ValueError("a price cannot be negative")
    return price


def parse_date(text: str) -> str:
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date like 2026-09-01 or 1-9-2026")


def parse_number(text: str, kind: type[int] | type[float]) -> float | int:
    try:
        number = kind(text.replace(",", ".")) if kind is float else int(text)
    except ValueError:
        number = math.nan
    # float() takes "nan" and "inf", which no document may hold
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"{text!r} is not a {'number' if kind is float else 'whole number'}")
    return number


def local_moment(day: str, time_of_day: str) -> str:
    """A wall-clock time in Amsterdam on `day` as ISO 8601 with its UTC offset (summer or winter)."""
    moment = datetime.combine(date.fromisoformat(day), datetime.strptime(time_of_day, "%H:%M").time())
    return moment.replace(tzinfo=AMSTERDAM).isoformat()


def stable_key(*parts: str) -> str:
    """A source key that is the same whenever the same file is imported again."""
    joined = "\x1f".join(" ".join(p.split()).casefold() for p in parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:24]


class _RowReader:
    """Reads one row's cells, collecting every problem instead of stopping at the first."""

    def __init__(self, row: SourceRow) -> None:
        self.row = row
        self.errors: list[FieldError] = []

    def text(self, column: str) -> str:
        return self.row.cells.get(column, "")

    def required(self, column: str) -> str:
        value = self.text(column)
        if not value:
            self.errors.append(row_error(self.row.number, column, "is empty"))
        return value

    def parsed(self, column: str, parse: Any) -> Any:
        value = self.text(column)
        if not value:
            return None
        try:
            return parse(value)
        except ValueError as error:
            self.errors.append(row_error(self.row.number, column, str(error)))
            return None


def _municipality(reader: _RowReader, areas: AreaIndex) -> str | None:
    text = reader.required("municipality")
    if not text:
        return None
    if text.upper() in areas.municipalities:
        return text.upper()
    by_name = [m.code for m in areas.municipalities.values() if m.name.casefold() == text.casefold()]
    if not by_name:
        reader.errors.append(row_error(reader.row.number, "municipality", f"{text!r} is not a municipality"))
        return None
    return by_name[0]


def _neighbourhood(reader: _RowReader, areas: AreaIndex, municipality: str | None) -> str | None:
    text = reader.text("neighbourhood")
    if not text or municipality is None:
        return None
    if text.upper()[:2] in ("WK", "BU"):
        return text.upper()
    found = [n.code for n in areas.neighbourhoods.values()
             if n.municipality_code == municipality and n.name.casefold() == text.casefold()]
    if not found:
        reader.errors.append(row_error(reader.row.number, "neighbourhood", f"{text!r} is no wijk of {municipality}"))
        return None
    return found[0]


def _coordinates(
    reader: _RowReader, areas: AreaIndex, municipality: str | None, neighbourhood: str | None
) -> tuple[float | None, float | None, str | None]:
    """Latitude, longitude and, when the row gave none, a warning that a centroid stands in."""
    lat = reader.parsed("latitude", lambda t: parse_number(t, float))
    lon = reader.parsed("longitude", lambda t: parse_number(t, float))
    if lat is not None and lon is not None:
        return lat, lon, None
    if reader.text("latitude") or reader.text("longitude"):
        reader.errors.append(row_error(reader.row.number, "latitude", "give both latitude and longitude, or neither"))
        return None, None, None
    wijk = areas.neighbourhoods.get(f"WK{neighbourhood[2:8]}") if neighbourhood else None
    area = wijk or (areas.municipalities.get(municipality) if municipality else None)
    if area is None:
        return None, None, None
    return area.lat, area.lon, f"no coordinates: placed at the centre of {area.name}; add latitude and longitude"


def _place(reader: _RowReader, areas: AreaIndex) -> tuple[dict[str, Any], list[str]]:
    municipality = _municipality(reader, areas)
    neighbourhood = _neighbourhood(reader, areas, municipality)
    lat, lon, warning = _coordinates(reader, areas, municipality, neighbourhood)
    place: dict[str, Any] = {
        "name": reader.required("place"),
        "address": {
            "streetAddress": reader.required("street"),
            "postalCode": reader.required("postal_code").upper(),
            "addressLocality": reader.required("city"),
        },
        "latitude": lat,
        "longitude": lon,
        "municipalityCode": municipality,
    }
    if neighbourhood:
        place["neighbourhoodCode"] = neighbourhood
    return place, [warning] if warning else []


def _when(reader: _RowReader, activity: dict[str, Any]) -> None:
    start = reader.parsed("start_time", parse_time)
    end = reader.parsed("end_time", parse_time)
    reader.required("start_time")
    reader.required("end_time")
    if reader.text("date") and reader.text("days"):
        reader.errors.append(row_error(reader.row.number, "date", "give a date (one-off) or days (weekly), not both"))
        return
    if reader.text("date"):
        day = reader.parsed("date", parse_date)
        if day and start and end:
            activity["startTime"], activity["endTime"] = local_moment(day, start), local_moment(day, end)
        return
    days = reader.parsed("days", parse_days)
    if not reader.text("days"):
        reader.errors.append(row_error(reader.row.number, "days", "is empty: give the weekdays, or a date"))
    if days and start and end:
        activity["schedule"] = {"days": days, "startTime": start, "endTime": end}


def _activity(reader: _RowReader) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "name": reader.required("activity"),
        "sport": reader.required("sport"),
        "place": "",  # filled in once the place exists
    }
    _when(reader, activity)
    optional = {
        "description": reader.text("description") or None,
        "price": reader.parsed("price", parse_price),
        "targetGroups": _split(reader.text("target_groups")) or None,
        "accessibility": _split(reader.text("accessibility")) or None,
        "website": reader.text("website") or None,
        "validFrom": reader.parsed("valid_from", parse_date),
        "validThrough": reader.parsed("valid_through", parse_date),
    }
    age = {k: reader.parsed(c, lambda t: parse_number(t, int)) for k, c in (("min", "age_min"), ("max", "age_max"))}
    contact = {k: reader.text(c) for k, c in
               (("name", "contact_name"), ("email", "contact_email"), ("telephone", "contact_phone"))}
    optional["ageRange"] = {k: v for k, v in age.items() if v is not None} or None
    optional["contact"] = {k: v for k, v in contact.items() if v} or None
    activity.update({k: v for k, v in optional.items() if v is not None})
    return activity


def parse_rows(rows: Iterable[SourceRow], areas: AreaIndex) -> tuple[list[ParsedRow], list[FieldError]]:
    """Every row as write-API input, or the problems found; rows with problems are left out."""
    parsed: list[ParsedRow] = []
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for row in rows:
        reader = _RowReader(row)
        organisation = reader.required("organisation")
        place, warnings = _place(reader, areas)
        activity = _activity(reader)
        errors.extend(reader.errors)
        if reader.errors:
            continue
        place_key = stable_key("place", organisation, place["name"], place["address"]["streetAddress"],
                               place["address"]["postalCode"])
        # Without an id column, the n-th row of the same activity at the same place keeps its identity
        # across imports of the same file.
        natural = stable_key("activity", organisation, activity["name"], place["name"])
        seen[natural] = seen.get(natural, 0) + 1
        explicit = reader.text("id")
        activity_key = stable_key("id", organisation, explicit) if explicit else f"{natural}-{seen[natural]}"
        parsed.append(ParsedRow(row.number, organisation, place, activity, place_key, activity_key, warnings))
    return parsed, errors


def duplicate_ids(rows: Iterable[ParsedRow]) -> list[FieldError]:
    first: dict[str, int] = {}
    errors = []
    for row in rows:
        if row.activity_key in first:
            errors.append(row_error(row.number, "id", f"the same id as row {first[row.activity_key]}"))
        first.setdefault(row.activity_key, row.number)
    return errors


def column_of(pointer: str) -> str:
    """The spreadsheet column a write-API field pointer came from (`/targetGroups/1` -> target_groups)."""
    while pointer:
        if pointer in COLUMN_OF_POINTER:
            return COLUMN_OF_POINTER[pointer]
        pointer = pointer.rsplit("/", 1)[0]
    return "row"


def documented_columns() -> Mapping[str, tuple[str, ...]]:
    return COLUMNS
