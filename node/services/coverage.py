"""Coverage for Sportakkoorden: what is offered in a municipality and its wijken, and for whom nothing is.

Definitions (docs/coverage.md says the same to readers):
- An activity is *current* when it is public, not deleted, not past its `validThrough`, and, for a
  one-off, its `endTime` has not passed. Activities of other nodes count as our own do.
- An activity is *in* a wijk when its place's `neighbourhoodCode` is that wijk (or a buurt in it), and
  *in* a municipality when its place's `municipalityCode` is that one.
- An activity is *for* a target group when it names that group or a narrower one ("jeugd" is served by
  an activity for "kinderen-4-12"). An activity that names no target group counts in the totals but is
  for no group in particular.
- A target group has a *gap* in a wijk when no current activity for that group lies within `radius_km`
  (straight line, default 3 km) of the wijk's centroid (vocab/areas/neighbourhoods.csv), wherever that
  activity is, also across the municipal border. Activities without coordinates (online) are near none.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from node.errors import bad_request, not_found
from node.protocol.vocab import Concept, ConceptList
from node.services.areas import Municipality, Neighbourhood
from node.services.node import Node
from node.store.coverage import ActivitySpot, activities_around, activities_per_municipality

DEFAULT_RADIUS_KM = 3.0
MAX_RADIUS_KM = 50.0
EARTH_RADIUS_KM = 6371.0
MUNICIPALITY_CODE = re.compile(r"^GM\d{4}$")
# CBS wijk codes are WK, the municipality's 4 digits, then 2 digits, or letters in Amsterdam (WK0363AF).
WIJK_CODE = re.compile(r"^WK\d{4}[0-9A-Z]{2}$")


@dataclass(frozen=True)
class Count:
    concept: Concept
    count: int


@dataclass(frozen=True)
class WijkCoverage:
    wijk: Neighbourhood
    activities: int  # current activities in the wijk
    by_target_group: list[Count]  # of those, per target group (only groups with any)
    gaps: list[Concept]  # target groups with nothing within the radius of the centroid


@dataclass(frozen=True)
class Coverage:
    municipality: Municipality
    neighbourhood: Neighbourhood | None  # the wijk asked for, if one was
    radius_km: float
    today: str
    activities: int  # in the municipality (or the wijk asked for)
    without_target_group: int
    by_sport: list[Count]
    by_target_group: list[Count]
    wijken: list[WijkCoverage]


@dataclass(frozen=True)
class Held:
    municipality: Municipality
    activities: int  # current activities in it that the node holds


async def held_municipalities(node: Node) -> list[Held]:
    """The municipalities the node holds current activities in (its own, and on an aggregator those of
    the nodes it follows), by name: what a coverage request without a municipality can choose from."""
    async with node.db.read() as db:
        found = await activities_per_municipality(db, today=node.clock().date().isoformat(), now=node.now())
    held = [Held(node.areas.municipalities[code], n) for code, n in found.items() if code in node.areas.municipalities]
    return sorted(held, key=lambda h: h.municipality.name)


def parse_radius(value: str | None) -> float:
    if value is None or value == "":
        return DEFAULT_RADIUS_KM
    try:
        radius = float(value.replace(",", "."))
    except ValueError:
        raise bad_request(f"radius must be a number of kilometres, not {value!r}") from None
    if not 0 < radius <= MAX_RADIUS_KM:
        raise bad_request(f"radius must be more than 0 and at most {MAX_RADIUS_KM:g} km, not {value}")
    return radius


def find_area(node: Node, municipality: str | None, neighbourhood: str | None) -> tuple[Municipality, Neighbourhood | None]:
    """The municipality and wijk named by CBS code: 400 for a malformed code, 404 for an unknown one."""
    code = (municipality or "").strip().upper()
    if not MUNICIPALITY_CODE.match(code):
        raise bad_request(f"municipality must be a CBS code GM followed by 4 digits, not {municipality!r}")
    found = node.areas.municipalities.get(code)
    if found is None:
        raise not_found(f"{code} is not a CBS municipality code of 2025")
    if not neighbourhood:
        return found, None
    wijk_code = neighbourhood.strip().upper()
    if not WIJK_CODE.match(wijk_code):
        raise bad_request(f"neighbourhood must be a CBS wijk code (WK030701, WK0363AF), not {neighbourhood!r}")
    wijk = node.areas.neighbourhoods.get(wijk_code)
    if wijk is None:
        raise not_found(f"{wijk_code} is not a CBS wijk code of 2025")
    if wijk.municipality_code != code:
        raise bad_request(f"{wijk_code} lies in {wijk.municipality_code}, not in {code}")
    return found, wijk


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _box(points: Iterable[tuple[float, float]], radius_km: float) -> tuple[float, float, float, float]:
    """(south, west, north, east) around the points, widened by the radius (generously, for any latitude)."""
    lats, lons = zip(*points, strict=True)
    dlat = radius_km / 111.0
    dlon = radius_km / (111.0 * math.cos(math.radians(max(abs(min(lats)), abs(max(lats))))))
    return min(lats) - dlat, min(lons) - dlon, max(lats) + dlat, max(lons) + dlon


def _wijk_of(spot: ActivitySpot) -> str | None:
    code = spot.neighbourhood_code or ""
    return f"WK{code[2:8]}" if code.startswith("BU") else code or None


def _groups_served(spot: ActivitySpot, groups: ConceptList) -> set[str]:
    """The target groups an activity is for: those it names and every broader one (see the module doc)."""
    served: set[str] = set()
    todo = [g for g in spot.target_groups if g in groups]
    while todo:
        uri = todo.pop()
        if uri not in served:
            served.add(uri)
            concept = groups.resolve(uri)
            todo.extend(concept.broader if concept else ())
    return served


def _counts(counter: Counter[str], concepts: ConceptList) -> list[Count]:
    found = [Count(c, counter[c.uri]) for uri in counter if (c := concepts.resolve(uri)) is not None]
    return sorted(found, key=lambda c: (-c.count, c.concept.label_nl))


async def coverage(node: Node, municipality: Municipality, neighbourhood: Neighbourhood | None, radius_km: float) -> Coverage:
    groups = node.vocabulary.target_groups
    wijken = [neighbourhood] if neighbourhood else sorted(
        (n for n in node.areas.neighbourhoods.values() if n.municipality_code == municipality.code),
        key=lambda n: n.code,
    )
    points = [(w.lat, w.lon) for w in wijken] or [(municipality.lat, municipality.lon)]
    now = node.clock()
    async with node.db.read() as db:
        spots = await activities_around(
            db, municipality.code, _box(points, radius_km), today=now.date().isoformat(), now=node.now()
        )
    served = {spot.id: _groups_served(spot, groups) for spot in spots}
    inside = [
        s for s in spots
        if (neighbourhood is None and s.municipality_code == municipality.code)
        or (neighbourhood is not None and _wijk_of(s) == neighbourhood.code)
    ]
    return Coverage(
        municipality=municipality,
        neighbourhood=neighbourhood,
        radius_km=radius_km,
        today=now.date().isoformat(),
        activities=len(inside),
        without_target_group=sum(1 for s in inside if not served[s.id]),
        by_sport=_counts(Counter(s.sport for s in inside if s.sport), node.vocabulary.sports),
        by_target_group=_counts(Counter(g for s in inside for g in served[s.id]), groups),
        wijken=[_wijk(w, spots, served, groups, radius_km) for w in wijken],
    )


def _wijk(
    wijk: Neighbourhood, spots: list[ActivitySpot], served: dict[str, set[str]], groups: ConceptList, radius_km: float
) -> WijkCoverage:
    here = [s for s in spots if _wijk_of(s) == wijk.code]
    near: set[str] = set()
    for spot in spots:
        if spot.latitude is None or spot.longitude is None:
            continue  # online: near no wijk
        if distance_km(wijk.lat, wijk.lon, spot.latitude, spot.longitude) <= radius_km:
            near |= served[spot.id]
    return WijkCoverage(
        wijk=wijk,
        activities=len(here),
        by_target_group=_counts(Counter(g for s in here for g in served[s.id]), groups),
        gaps=[c for c in groups if c.uri not in near],
    )
