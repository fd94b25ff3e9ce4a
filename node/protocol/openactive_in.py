"""OpenActive RPDE pages and items read back into our write-API input: pure functions.

The reverse of `node.protocol.openactive`. A harvester checks each page (`parse_page`: the RPDE rules a
consumer relies on) and maps each item (`map_item`) to the input that `services.publishing` takes from an
organisation, so harvested objects pass exactly the checks the write API applies. Our own extension
terms (`sn:sport`, `sn:targetGroup`, ...) are read when present, so a Sportnode feed comes back
unchanged; a foreign feed is mapped from the plain OpenActive terms (the sport from the Activity List
concept, places from `location`, organisations from `organizer`).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from node.protocol.objects import CRITERIA, DAYS
from node.protocol.openactive import ACTIVITY_LIST, ATTENDANCE, FEMALE_ONLY_GROUP
from node.protocol.vocab import Concept, ConceptList

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
OPPORTUNITY_KINDS = {"SessionSeries": "activity", "Event": "activity", "CourseInstance": "course"}
MODES = {uri: mode for mode, uri in ATTENDANCE.items()}
TWO_LETTER_DAYS = {day[:2]: day for day in DAYS}
TELEPHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
POSTAL_CODE = re.compile(r"^([1-9][0-9]{3}) ?([A-Za-z]{2})$")
DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


class FeedError(ValueError):
    """The page breaks the RPDE rules a harvester depends on; the text says how."""


class Unmappable(ValueError):
    """One item cannot become an object of our model (the text says why); the harvest skips it."""


# --- RPDE pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    state: str  # "updated" or "deleted"
    kind: str
    id: str
    modified: int
    data: Mapping[str, Any] | None


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next_url: str


def _modified(value: Any, where: str) -> int:
    # RPDE 1.0 `modified` is an integer; older feeds send it as a string of digits.
    # Not isdigit(): it takes "²", which int() refuses; 18 digits fit SQLite's integers.
    if isinstance(value, bool) or not isinstance(value, int | str) or not re.fullmatch(r"[0-9]{1,18}", str(value)):
        raise FeedError(f"{where}: `modified` must be a whole number, not {value!r}")
    return int(value)


def _item(raw: Any, where: str) -> FeedItem:
    if not isinstance(raw, Mapping):
        raise FeedError(f"{where} is not an object")
    state, kind, item_id = raw.get("state"), raw.get("kind"), raw.get("id")
    if state not in ("updated", "deleted"):
        raise FeedError(f"{where}: `state` must be \"updated\" or \"deleted\", not {state!r}")
    if not isinstance(kind, str) or not kind:
        raise FeedError(f"{where}: no `kind`")
    if isinstance(item_id, bool) or not isinstance(item_id, str | int) or item_id == "":
        raise FeedError(f"{where}: `id` must be a string or a number")
    data = raw.get("data")
    if state == "updated" and not isinstance(data, Mapping):
        raise FeedError(f"{where}: an updated item needs `data`")
    return FeedItem(state, kind, str(item_id), _modified(raw.get("modified"), where),
                    data if state == "updated" else None)


def parse_page(body: Any, page_url: str, after_modified: int | None) -> FeedPage:
    """Check an RPDE page and return its items and the absolute `next` URL.

    `after_modified` is the `modified` of the last item applied before this page: `modified` may not go
    backwards, neither within the page nor from one page to the next (ties are allowed: items with the
    same `modified` are ordered by id, which publishers compare as strings or as numbers).
    """
    if not isinstance(body, Mapping):
        raise FeedError("the page is not a JSON object")
    raw_items, next_page = body.get("items"), body.get("next")
    if not isinstance(raw_items, list):
        raise FeedError("the page has no `items` array: is this an RPDE feed?")
    if not isinstance(next_page, str) or not next_page:
        raise FeedError("the page has no `next` URL")
    next_url = urljoin(page_url, next_page)
    if urlsplit(next_url).scheme not in ("http", "https"):
        raise FeedError(f"`next` is not an http(s) URL: {next_page!r}")
    items = [_item(raw, f"item {i + 1}") for i, raw in enumerate(raw_items)]
    previous = after_modified
    for i, item in enumerate(items):
        if previous is not None and item.modified < previous:
            raise FeedError(
                f"`modified` goes backwards at item {i + 1} (id {item.id!r}): {item.modified} after {previous}"
            )
        previous = item.modified
    if items and next_url == page_url:
        raise FeedError("`next` of a page with items points at the page itself: the feed does not move on")
    return FeedPage(items, next_url)


# --- Sports: the Activity List concept -> our SKOS concept ---------------------------------------------


@dataclass(frozen=True)
class ActivityIndex:
    """What a harvester needs to read an item's `activity` as one of our sports."""

    sports: Mapping[str, str]  # Activity List concept id -> our sport concept URI
    labels: Mapping[str, str]  # casefolded prefLabel / altLabel -> Activity List concept id
    broader: Mapping[str, tuple[str, ...]]  # Activity List concept id -> its broader concepts


def activity_index(sports: Iterable[Concept], activity_list: Mapping[str, Any] | None) -> ActivityIndex:
    """Index our sports by the Activity List concepts they link (`Concept.matches`: exactMatch first).

    When several of our sports link one concept, the sport that lists it earliest wins (an exactMatch
    beats a closeMatch), then the shortest key (the general sport over a variant of it). With the Activity
    List document, an item may also name its concept by label, and a concept none of our sports links
    is read as its nearest broader one that we have.
    """
    ranked: dict[str, tuple[int, int, str, str]] = {}
    for concept in sports:
        for position, match in enumerate(concept.matches):
            if match.startswith(ACTIVITY_LIST + "#"):
                rank = (position, len(concept.key), concept.key, concept.uri)
                if match not in ranked or rank < ranked[match]:
                    ranked[match] = rank
    labels: dict[str, str] = {}
    broader: dict[str, tuple[str, ...]] = {}
    concepts = activity_list.get("concept") if activity_list else None
    for entry in concepts if isinstance(concepts, list) else ():
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            continue
        for label in [entry.get("prefLabel"), *(entry.get("altLabel") or [])]:
            if isinstance(label, str):
                labels.setdefault(label.casefold(), entry["id"])
        parents = entry.get("broader") or []
        broader[entry["id"]] = tuple(p for p in parents if isinstance(p, str))
    return ActivityIndex({k: v[3] for k, v in ranked.items()}, labels, broader)


def sport_of(activities: Any, index: ActivityIndex) -> str | None:
    """Our sport concept URI for an item's `activity` list (first concept that maps), else None."""
    for concept in activities if isinstance(activities, list) else [activities]:
        if not isinstance(concept, Mapping):
            continue
        concept_id = _id(concept)
        if concept_id is None and isinstance(concept.get("prefLabel"), str):
            concept_id = index.labels.get(concept["prefLabel"].casefold())
        todo, seen = [concept_id] if concept_id else [], set()
        while todo:
            current = todo.pop(0)
            if current in index.sports:
                return index.sports[current]
            seen.add(current)
            todo.extend(b for b in index.broader.get(current, ()) if b not in seen)
    return None


# --- small readers --------------------------------------------------------------------------------------


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _is_coordinate(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _id(node: Mapping[str, Any]) -> str | None:
    # Items may use JSON-LD's keywords or the OpenActive context's aliases for them.
    value = node.get("@id", node.get("id"))
    return value if isinstance(value, str) and value else None


def _text(value: Any, limit: int, *, one_line: bool = True) -> str | None:
    """A string value, cut to the write API's limit; names on one line, descriptions keep paragraphs."""
    if not isinstance(value, str) or not value.strip():
        return None
    return (" ".join(value.split()) if one_line else value.strip())[:limit]


def _http_url(value: Any) -> str | None:
    if isinstance(value, str) and re.fullmatch(r"https?://\S+", value) and len(value) <= 500:
        return value
    return None


def source_key(*parts: str) -> str:
    """A stable key for what a feed item (or its organizer or place) stands for: the same on every harvest."""
    return "rpde:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _concepts(values: Any, concepts: ConceptList, what: str, warnings: list[str]) -> list[str]:
    found: list[str] = []
    for value in values if isinstance(values, list) else []:
        concept = concepts.resolve(value) if isinstance(value, str) else None
        if concept is None:
            warnings.append(f"unknown {what} {value!r} left out")
        elif concept.uri not in found:
            found.append(concept.uri)
    return found


# --- organisations and places ------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganiserIn:
    key: str  # the same for the organizer in every feed of one publisher
    data: dict[str, Any]  # organisation write-API input


@dataclass(frozen=True)
class PlaceIn:
    key: str
    data: dict[str, Any]  # place write-API input; `municipalityCode` may still be missing
    locality: str | None


def organiser(raw: Any, site: str) -> OrganiserIn:
    if not isinstance(raw, Mapping):
        raise Unmappable("no organizer")
    name = _text(raw.get("name"), 200)
    if name is None:
        raise Unmappable("the organizer has no name")
    contact = {
        "email": raw["email"] if isinstance(raw.get("email"), str) and EMAIL.match(raw["email"]) else None,
        "telephone": raw["telephone"]
        if isinstance(raw.get("telephone"), str) and TELEPHONE.match(raw["telephone"])
        else None,
    }
    data: dict[str, Any] = {"name": name}
    if _http_url(raw.get("url")):
        data["website"] = raw["url"]
    if any(contact.values()):
        data["contact"] = {k: v for k, v in contact.items() if v}
    return OrganiserIn(source_key(site, "organizer", _id(raw) or "name:" + name.casefold()), data)


def _postal_code(value: Any) -> str | None:
    match = POSTAL_CODE.match(value.strip()) if isinstance(value, str) else None
    return f"{match[1]} {match[2].upper()}" if match else None


def place(raw: Any, site: str, concepts: ConceptList, warnings: list[str]) -> PlaceIn:
    """A `location` as place input; a place must have a Dutch address and coordinates in our model."""
    if not isinstance(raw, Mapping):
        raise Unmappable("no location")
    address = _mapping(raw.get("address"))
    geo = _mapping(raw.get("geo"))
    name = _text(raw.get("name"), 200)
    street, locality = _text(address.get("streetAddress"), 200), _text(address.get("addressLocality"), 200)
    postal_code = _postal_code(address.get("postalCode"))
    latitude, longitude = geo.get("latitude"), geo.get("longitude")
    missing = [
        label
        for label, value in (("name", name), ("streetAddress", street), ("addressLocality", locality),
                             ("a Dutch postalCode", postal_code))
        if value is None
    ]
    if not (_is_coordinate(latitude) and _is_coordinate(longitude)):
        missing.append("geo coordinates")
    if address.get("addressCountry") not in (None, "NL", "Nederland", "Netherlands"):
        missing.append("an address in the Netherlands")
    if missing:
        raise Unmappable("the location lacks " + ", ".join(missing))
    data: dict[str, Any] = {
        "name": name,
        "address": {"streetAddress": street, "postalCode": postal_code, "addressLocality": locality},
        "latitude": float(geo["latitude"]),
        "longitude": float(geo["longitude"]),
    }
    for ours, theirs in (("municipalityCode", "sn:municipalityCode"), ("neighbourhoodCode", "sn:neighbourhoodCode")):
        if isinstance(raw.get(theirs), str):
            data[ours] = raw[theirs]
    access = _concepts(raw.get("sn:accessibilitySupport"), concepts, "accessibility support", warnings)
    if access:
        data["accessibility"] = access
    key = _id(raw) or f"{name}\x1f{street}\x1f{postal_code}".casefold()
    return PlaceIn(source_key(site, "place", key), data, locality)


# --- opportunities ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabularies:
    sports: ConceptList
    target_groups: ConceptList
    accessibility: ConceptList
    activities: ActivityIndex


@dataclass
class Opportunity:
    """One feed item as our input: an activity, or one instance of a course."""

    kind: str  # "activity" or "course"
    organiser: OrganiserIn
    place: PlaceIn | None  # an activity's place; a course instance's (None when online)
    data: dict[str, Any]  # activity input without `place`; course input without `instances`
    instance: dict[str, Any] | None = None  # a course instance's input without `place`
    course_key: str | None = None  # which course the instance belongs to, within the feed
    warnings: list[str] = field(default_factory=list)


def _sport(data: Mapping[str, Any], vocabularies: Vocabularies) -> str | None:
    # A Sportnode feed names our own concept; it says more than the Activity List concept it maps to.
    ours = data.get("sn:sport")
    concept = vocabularies.sports.resolve(ours) if isinstance(ours, str) else None
    if concept is not None:
        return concept.uri
    return sport_of(data.get("activity"), vocabularies.activities)


def _price(data: Mapping[str, Any]) -> float | None:
    """The lowest price in euro among the offers (a price per time in our model)."""
    prices = [
        float(o["price"])
        for o in data.get("offers") or []
        if isinstance(o, Mapping) and isinstance(o.get("price"), int | float | str)
        and o.get("priceCurrency", "EUR") == "EUR" and _is_number(o["price"])
    ]
    if prices:
        return min(prices)
    return 0.0 if data.get("isAccessibleForFree") is True else None


def _is_number(value: Any) -> bool:
    try:
        return 0 <= float(value) <= 10000 and not isinstance(value, bool)
    except (TypeError, ValueError):
        return False


def _age_range(raw: Any) -> dict[str, int] | None:
    if not isinstance(raw, Mapping):
        return None
    age = {ours: int(raw[theirs]) for ours, theirs in (("min", "minValue"), ("max", "maxValue"))
           if isinstance(raw.get(theirs), int | float) and 0 <= raw[theirs] <= 120}
    return age or None


def _day(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    word = re.split(r"[/#:]", value)[-1].casefold()
    if word in DAYS:
        return word
    return TWO_LETTER_DAYS.get(word[-2:]) if len(word) <= 3 else None


def _time_of_day(value: Any) -> str | None:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?", value) if isinstance(value, str) else None
    return f"{int(match[1]):02d}:{match[2]}" if match else None


def _date(value: Any) -> str | None:
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value):
        return value[:10]
    return None


def _schedule(raw: Any, warnings: list[str]) -> dict[str, Any]:
    schedules = [s for s in (raw if isinstance(raw, list) else [raw]) if isinstance(s, Mapping)]
    if not schedules:
        raise Unmappable("a SessionSeries without eventSchedule")
    first = schedules[0]
    start, end = _time_of_day(first.get("startTime")), _time_of_day(first.get("endTime"))
    if start is None or end is None:
        raise Unmappable("the schedule has no startTime and endTime")
    days: list[str] = []
    for schedule in schedules:
        if (_time_of_day(schedule.get("startTime")), _time_of_day(schedule.get("endTime"))) != (start, end):
            warnings.append("a second schedule with other times left out (our model has one weekly time)")
            continue
        days += [d for d in map(_day, schedule.get("byDay") or []) if d and d not in days]
    if first.get("repeatFrequency", "P1W") != "P1W" or not days:
        raise Unmappable("only weekly schedules (repeatFrequency P1W, byDay) are in our model")
    result: dict[str, Any] = {"days": [d for d in DAYS if d in days], "startTime": start, "endTime": end}
    for key in ("startDate", "endDate"):
        if _date(first.get(key)):
            result[key] = _date(first[key])
    return result


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # OpenActive asks for an offset; a local time without one is read as Dutch time.
    return moment if moment.tzinfo else moment.replace(tzinfo=AMSTERDAM)


def _duration(value: Any) -> timedelta | None:
    match = DURATION.match(value) if isinstance(value, str) else None
    if not match or not any(match.groups()):
        return None
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def _when(data: Mapping[str, Any]) -> dict[str, str]:
    start = _moment(data.get("startDate"))
    end = _moment(data.get("endDate"))
    if start is None:
        raise Unmappable("an Event without a startDate")
    if end is None:
        length = _duration(data.get("duration"))
        if length is None:
            raise Unmappable("an Event without endDate or duration")
        end = start + length
    return {"startTime": start.isoformat(), "endTime": end.isoformat()}


def _common(data: Mapping[str, Any], vocabularies: Vocabularies, warnings: list[str]) -> dict[str, Any]:
    name = _text(data.get("name"), 200)
    if name is None:
        raise Unmappable("no name")
    sport = _sport(data, vocabularies)
    if sport is None:
        labels = [a.get("prefLabel") or _id(a) for a in data.get("activity") or [] if isinstance(a, Mapping)]
        raise Unmappable(f"no sport of ours for the activity {', '.join(map(str, labels)) or '(none given)'}")
    result: dict[str, Any] = {"name": name, "sport": sport}
    description = _text(data.get("description"), 5000, one_line=False)
    if description:
        result["description"] = description
    if _http_url(data.get("url")):
        result["website"] = data["url"]
    return result


def _activity(data: Mapping[str, Any], kind: str, vocabularies: Vocabularies, warnings: list[str]) -> dict[str, Any]:
    result = _common(data, vocabularies, warnings)
    if kind == "SessionSeries":
        result["schedule"] = _schedule(data.get("eventSchedule"), warnings)
        # The schedule's dates bound the offering: past them it expires like any stale activity.
        for ours, theirs in (("validFrom", "startDate"), ("validThrough", "endDate")):
            if theirs in result["schedule"]:
                result[ours] = result["schedule"][theirs]
    else:
        result.update(_when(data))
    groups = _concepts(data.get("sn:targetGroup"), vocabularies.target_groups, "target group", warnings)
    if data.get("genderRestriction") in ("https://openactive.io/FemaleOnly", "oa:FemaleOnly", "FemaleOnly"):
        female = vocabularies.target_groups.resolve(FEMALE_ONLY_GROUP)
        if female is not None and female.uri not in groups:
            groups.append(female.uri)
    access = _concepts(data.get("sn:accessibilitySupport"), vocabularies.accessibility, "accessibility", warnings)
    criteria = {name: data[f"sn:{name}"] for name in CRITERIA if isinstance(data.get(f"sn:{name}"), bool)}
    capacity = data.get("maximumAttendeeCapacity")
    optional: dict[str, Any] = {
        "targetGroups": groups or None,
        "accessibility": access or None,
        "ageRange": _age_range(data.get("ageRange")),
        "price": _price(data),
        "criteria": criteria or None,
        "maximumAttendeeCapacity": capacity
        if isinstance(capacity, int) and not isinstance(capacity, bool) and 1 <= capacity <= 100000
        else None,
    }
    result.update({k: v for k, v in optional.items() if v is not None})
    return result


def _course(data: Mapping[str, Any], vocabularies: Vocabularies, warnings: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A CourseInstance item: the course it is an instance of, and the instance."""
    parent = _mapping(data.get("instanceOfCourse"))
    course = _common({**data, **{k: v for k, v in parent.items() if k in ("name", "description", "url")}},
                     vocabularies, warnings)
    intended = _text(data.get("sn:intendedFor"), 200)
    if intended:
        course["intendedFor"] = intended
    start = _date(data.get("startDate"))
    if start is None:
        raise Unmappable("a CourseInstance without a startDate")
    mode = data.get("eventAttendanceMode")
    instance: dict[str, Any] = {"startDate": start, "courseMode": MODES.get(mode, "onsite") if isinstance(mode, str)
                                else "onsite"}
    end = _date(data.get("endDate"))
    if end and end != start:
        instance["endDate"] = end
    price = _price(data)
    if price is not None:
        instance["price"] = price
    return course, instance


def map_item(item: FeedItem, feed_url: str, site: str, vocabularies: Vocabularies) -> Opportunity:
    """An updated item as our input; `site` (the publisher's scheme://host) scopes organizers and places,
    which a publisher repeats across its feeds; items themselves are scoped by `feed_url`."""
    kind = OPPORTUNITY_KINDS.get(item.kind)
    if kind is None:
        raise Unmappable(f"items of kind {item.kind} are not harvested (only {', '.join(OPPORTUNITY_KINDS)})")
    data = item.data or {}
    warnings: list[str] = []
    owner = organiser(data.get("organizer"), site)
    if kind == "activity":
        activity = _activity(data, item.kind, vocabularies, warnings)
        at = place(data.get("location"), site, vocabularies.accessibility, warnings)
        return Opportunity("activity", owner, at, activity, warnings=warnings)
    course, instance = _course(data, vocabularies, warnings)
    location: PlaceIn | None = None
    if instance["courseMode"] != "online":
        location = place(data.get("location"), site, vocabularies.accessibility, warnings)
    parent = data.get("instanceOfCourse")
    course_key = (_id(parent) if isinstance(parent, Mapping) else None) or item.id
    return Opportunity("course", owner, location, course, instance, course_key, warnings)


def sorted_instances(instances: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return sorted((dict(i) for i in instances), key=lambda i: (i["startDate"], i.get("endDate", ""), i.get("place", "")))
