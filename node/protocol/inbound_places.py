"""Remote locations into our shape: a Place (with a PostalAddress, a text address, or only a name, and
coordinates) or a VirtualLocation. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from node.protocol.inbound_fields import (
    MAX_PLACE_TEXT,
    Problems,
    compact,
    read_link,
    read_text,
    read_url,
    type_names,
)

POSTAL_FIELDS = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")


def _coordinates(place: Mapping[str, Any], field: str, problems: Problems) -> dict[str, float]:
    source, at = place, field
    if "latitude" not in place and "longitude" not in place and isinstance(place.get("geo"), Mapping):
        source, at = place["geo"], f"{field}/geo"  # schema.org writes them in a GeoCoordinates
    latitude, longitude = source.get("latitude"), source.get("longitude")
    if latitude is None and longitude is None:
        return {}
    result: dict[str, float] = {}
    # Coordinates that cannot be read are dropped, the place kept: it is still found by its address.
    for name, value, bound in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if value is None:
            problems.drop(f"{at}/{name}", "is required with the other coordinate")
        elif isinstance(value, bool) or not isinstance(value, int | float) or not -bound <= value <= bound:
            problems.drop(f"{at}/{name}", f"must be a number from -{bound} to {bound}")
        else:
            result[name] = float(value)
    return result if len(result) == 2 else {}


def _postal_address(address: Mapping[str, Any], field: str, problems: Problems) -> dict[str, str] | None:
    result: dict[str, str] = {}
    for name in POSTAL_FIELDS:
        value = address.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, int) and not isinstance(value, bool) and name == "postalCode":
            value = str(value)  # a postal code sent as a number is still a postal code
        if not isinstance(value, str):
            problems.add(f"{field}/{name}", "must be text")
        elif len(value) > MAX_PLACE_TEXT:
            problems.add(f"{field}/{name}", f"must be at most {MAX_PLACE_TEXT} characters")
        else:
            result[name] = value.strip()
    return {"type": "PostalAddress", **result} if result else None


def _virtual(
    url_value: Any, url_field: str, name: str | None, location_id: str | None, problems: Problems
) -> dict[str, Any]:
    url = read_link(url_value, url_field, problems) if url_value is not None else None
    if url is None and url_value is None:
        problems.add(url_field, "is required for a VirtualLocation")
    return compact({"id": location_id, "type": "VirtualLocation", "name": name, "url": url})


# Fields of our own nodes' embedded places, carried over as they are for the schema to check.
_OWN_PLACE_FIELDS = (
    "attributedTo",
    "municipalityCode",
    "neighbourhoodCode",
    "accessibilitySupport",
    "published",
    "updated",
)


def _location(value: Any, field: str, problems: Problems) -> dict[str, Any] | None:
    """One location in our shape: a Place (with a PostalAddress, a text address, or only a name) or a
    VirtualLocation. Gancio writes an online location as a Place whose address is a VirtualLocation;
    it becomes a VirtualLocation here, since schema:address cannot hold one."""
    if not isinstance(value, Mapping):
        problems.add(field, "must be an embedded Place or VirtualLocation (a location URL is not followed)")
        return None
    types = type_names(value.get("type"))
    name = read_text(value.get("name"), f"{field}/name", problems, limit=MAX_PLACE_TEXT)
    location_id = read_url(value.get("id"), f"{field}/id", problems)
    if "VirtualLocation" in types:
        return _virtual(value.get("url"), f"{field}/url", name, location_id, problems)
    if types and "Place" not in types:
        problems.add(f"{field}/type", "must be Place or VirtualLocation")
        return None

    address: Any = value.get("address")
    if isinstance(address, Mapping):
        address_types = type_names(address.get("type"))
        if "VirtualLocation" in address_types:
            return _virtual(address.get("url"), f"{field}/address/url", name, location_id, problems)
        if address_types and "PostalAddress" not in address_types:
            problems.add(f"{field}/address/type", "must be PostalAddress or VirtualLocation")
            return None
        address = _postal_address(address, f"{field}/address", problems)
    elif isinstance(address, str):
        address = read_text(address, f"{field}/address", problems, limit=MAX_PLACE_TEXT)
        address = address.strip() if address else None
    elif address is not None:
        problems.add(f"{field}/address", "must be a PostalAddress, a VirtualLocation or text")
        return None

    if name is None and address is None:
        problems.add(field, "a Place needs a name or an address")
        return None
    own = {k: value[k] for k in _OWN_PLACE_FIELDS if k in value}
    return compact(
        {
            "id": location_id,
            "type": "Place",
            "name": name.strip() if name else None,
            **own,
            "address": address,
            **_coordinates(value, field, problems),
        }
    )


def _readable(value: Any, field: str, problems: Problems) -> dict[str, Any] | None:
    """One location, or None when it cannot be read: then its problems are noted as dropped, and the
    event goes on without it (a place that cannot be read does not sink its event)."""
    own = Problems(problems.at)
    mapped = _location(value, field, own)
    problems.dropped.extend(own.dropped)
    if own.found:
        problems.dropped.extend(own.found)
        return None
    return mapped


def locations(value: Any, field: str, problems: Problems) -> Any:
    """The readable locations: one, a list of several, or None."""
    if value is None:
        return None
    if isinstance(value, list):
        mapped = [_readable(item, f"{field}/{i}", problems) for i, item in enumerate(value[:10])]
        kept = [m for m in mapped if m is not None]
        return kept[0] if len(kept) == 1 else kept or None
    return _readable(value, field, problems)
