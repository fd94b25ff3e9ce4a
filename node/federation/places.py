"""The coordinates of remote places checked against their Dutch address, with the bundled CBS areas
(`protocol.coordinates` does the judging; this names the areas and logs what changed)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from node.protocol.coordinates import (
    MUNICIPALITY_RADIUS_KM,
    WIJK_RADIUS_KM,
    Area,
    Verdict,
    checked_place,
    squashed,
)

if TYPE_CHECKING:
    from node.services.area_index import AreaIndex

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _gazetteer(areas: AreaIndex) -> tuple[dict[str, Area], dict[str, Area]]:
    """(by municipality code, by place name): municipalities by name, and wijken whose name no other
    wijk shares (a village like Hoogland is a wijk of Amersfoort; "Centrum" names twenty)."""
    by_code = {m.code: Area(m.name, m.lat, m.lon, MUNICIPALITY_RADIUS_KM) for m in areas.municipalities.values()}
    by_name: dict[str, Area] = {}
    seen: dict[str, int] = {}
    for wijk in areas.neighbourhoods.values():
        seen[squashed(wijk.name)] = seen.get(squashed(wijk.name), 0) + 1
    for wijk in areas.neighbourhoods.values():
        if seen[squashed(wijk.name)] == 1:
            by_name[squashed(wijk.name)] = Area(wijk.name, wijk.lat, wijk.lon, WIJK_RADIUS_KM)
    by_name.update({squashed(area.name): area for area in by_code.values()})  # a municipality wins
    return by_code, by_name


def area_finder(areas: AreaIndex) -> Any:
    by_code, by_name = _gazetteer(areas)

    def area_of(place: Mapping[str, Any]) -> Area | None:
        code = place.get("municipalityCode")
        if isinstance(code, str) and code in by_code:
            return by_code[code]
        address = place.get("address")
        locality = address.get("addressLocality") if isinstance(address, Mapping) else None
        return by_name.get(squashed(locality)) if isinstance(locality, str) else None

    return area_of


def _checked(place: Any, area_of: Any, owner: str) -> Any:
    if not isinstance(place, Mapping) or place.get("type") != "Place":
        return place
    fixed, verdict = checked_place(place, area_of)
    if verdict is Verdict.SWAPPED:
        log.info("%s: latitude and longitude of %s were exchanged; corrected", owner, place.get("id") or "its place")
    elif verdict is Verdict.DROPPED:
        log.warning("%s: the coordinates of %s (%s, %s) do not fit its address; dropped", owner,
                    place.get("id") or "its place", place.get("latitude"), place.get("longitude"))
    return fixed


def check_coordinates(document: dict[str, Any], areas: AreaIndex) -> dict[str, Any]:
    """A mapped activity (its location or locations) or place, with coordinates that contradict a
    Dutch address exchanged back or dropped."""
    area_of = area_finder(areas)
    owner = str(document.get("id"))
    if document.get("type") == "Place":
        checked: dict[str, Any] = _checked(document, area_of, owner)
        return checked
    location = document.get("location")
    if isinstance(location, list):
        return {**document, "location": [_checked(item, area_of, owner) for item in location]}
    if isinstance(location, Mapping):
        return {**document, "location": _checked(location, area_of, owner)}
    return document
