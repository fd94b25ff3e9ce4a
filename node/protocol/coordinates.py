"""Do a place's coordinates fit its address? Pure: the areas to check against are handed in.

Older Mobilizon versions published latitude and longitude exchanged, and other servers geocode an
address to the wrong town now and then. A point that contradicts the address is corrected when
exchanging the two numbers makes it fit, and dropped otherwise (a place without coordinates is still
found by its address; a place on the wrong spot on a map misleads). Only Dutch addresses can be
judged: for them the bundled CBS municipalities and wijken give where the point should be.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

# The Netherlands with the Wadden islands and a margin of a few km (WGS 84).
NL_SOUTH, NL_NORTH, NL_WEST, NL_EAST = 50.70, 53.60, 3.30, 7.25
# How far a point may lie from the centroid of the municipality it names: the largest municipalities
# (Súdwest-Fryslân, Westerkwartier) reach about 25 km from their centroid.
MUNICIPALITY_RADIUS_KM = 30.0
# A wijk or village is smaller; the margin covers centroids of oddly shaped ones.
WIJK_RADIUS_KM = 10.0
DUTCH_COUNTRIES = frozenset({"nl", "nld", "nederland", "netherlands", "the netherlands", "holland", "pays-bas",
                             "niederlande", "países bajos", "paesi bassi"})
_DUTCH_POSTAL_CODE = re.compile(r"^\d{4}\s?[A-Za-z]{2}$")


class Verdict(Enum):
    KEPT = "kept"
    SWAPPED = "swapped"
    DROPPED = "dropped"


@dataclass(frozen=True)
class Area:
    """Where a point should lie: within `radius_km` of (latitude, longitude)."""

    name: str
    latitude: float
    longitude: float
    radius_km: float


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def squashed(name: str) -> str:
    """A place name as compared: case, apostrophes, spaces, hyphens and dots do not count."""
    return re.sub(r"[\s'\u2019`\-.]", "", name.casefold())


def is_dutch(address: Any) -> bool:
    """An address in the Netherlands: its country says so, or it has none and a Dutch postal code."""
    if not isinstance(address, Mapping):
        return False
    country = address.get("addressCountry")
    if isinstance(country, str) and country.strip():
        return country.strip().casefold() in DUTCH_COUNTRIES
    code = address.get("postalCode")
    return isinstance(code, str) and _DUTCH_POSTAL_CODE.match(code.strip()) is not None


def in_the_netherlands(latitude: float, longitude: float) -> bool:
    return NL_SOUTH <= latitude <= NL_NORTH and NL_WEST <= longitude <= NL_EAST


def _fits(latitude: float, longitude: float, area: Area | None) -> bool:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or not in_the_netherlands(latitude, longitude):
        return False
    return area is None or distance_km(latitude, longitude, area.latitude, area.longitude) <= area.radius_km


def check(latitude: float, longitude: float, area: Area | None) -> Verdict:
    """Whether a Dutch address's point fits (in the Netherlands, and within `area` when known), fits
    once latitude and longitude are exchanged, or fits neither way."""
    if _fits(latitude, longitude, area):
        return Verdict.KEPT
    if _fits(longitude, latitude, area):
        return Verdict.SWAPPED
    return Verdict.DROPPED


def checked_place(place: Mapping[str, Any], area_of: Any) -> tuple[dict[str, Any], Verdict]:
    """The place with its coordinates kept, exchanged or dropped, and which. A place whose address is
    not Dutch, or that has no coordinates, is returned as it is (KEPT).

    `area_of(place) -> Area | None` names the area the address (or our own municipality code) points
    at, when it is known."""
    latitude, longitude = place.get("latitude"), place.get("longitude")
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        return dict(place), Verdict.KEPT
    if not is_dutch(place.get("address")) and not isinstance(place.get("municipalityCode"), str):
        return dict(place), Verdict.KEPT
    verdict = check(float(latitude), float(longitude), area_of(place))
    if verdict is Verdict.SWAPPED:
        return {**place, "latitude": float(longitude), "longitude": float(latitude)}, verdict
    if verdict is Verdict.DROPPED:
        return {k: v for k, v in place.items() if k not in ("latitude", "longitude")}, verdict
    return dict(place), verdict
