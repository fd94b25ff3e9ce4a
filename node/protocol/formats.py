"""Output formats of the query API, except iCalendar (ical.py): our JSON envelope, JSON-LD, CSV, GeoJSON.

Pure: a `ResultPage` in, text or plain data out. Concept URIs are shown as keys in CSV (a spreadsheet
user reads "korfbal", not a URI) through the `key_of` function the caller passes.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from node.protocol.jsonld import OBJECT_CONTEXT
from node.protocol.local_time import iso_local
from node.protocol.objects import CRITERIA, DAYS, SCHEMA, embedded

MEDIA_TYPES = {
    "json": "application/json",
    "jsonld": "application/ld+json",
    "csv": "text/csv",
    "ical": "text/calendar",
    "geojson": "application/geo+json",
}


@dataclass(frozen=True)
class Hit:
    id: str  # the object's id, which is its document's `id`
    document_json: str  # the document as stored: compact JSON text (store/objects.py)
    kind: str
    origin: str | None
    distance_km: float | None
    next_start: datetime | None

    @cached_property
    def document(self) -> dict[str, Any]:
        """The document decoded, on first use only: the JSON envelope splices the text instead."""
        decoded: dict[str, Any] = json.loads(self.document_json)
        return decoded


@dataclass(frozen=True)
class ResultPage:
    hits: Sequence[Hit]
    self_url: str
    next_url: str | None
    anchor: str  # the moment the results are judged at (RFC 3339, UTC)
    total: int | None = None
    facets: Mapping[str, Sequence[Mapping[str, Any]]] | None = None


def place_of(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The Place that locates an object, as the index takes it (migration 0005), or {}."""
    if document.get("type") == "Place":
        return document
    location = document.get("location")
    if isinstance(location, list):
        location = next((p for p in location if isinstance(p, dict) and p.get("type") == "Place"), None)
    if isinstance(location, dict) and location.get("type") == "Place":
        return location
    for instance in document.get("hasCourseInstance") or ():
        place = instance.get("location")
        if isinstance(place, dict) and place.get("type") == "Place":
            return place
    return {}


def plain_text(markup: str | None) -> str:
    """HTML as one line of text: tags dropped, entities decoded, whitespace folded."""
    if not markup:
        return ""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", markup)).split())


def _round_km(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _item_head(hit: Hit) -> dict[str, Any]:
    """An item of the envelope but its document."""
    item: dict[str, Any] = {"id": hit.id, "kind": hit.kind, "origin": hit.origin}
    if hit.distance_km is not None:
        item["distanceKm"] = _round_km(hit.distance_km)
    if hit.next_start is not None:
        item["nextOccurrence"] = iso_local(hit.next_start)
    return item


def _envelope_rest(page: ResultPage) -> dict[str, Any]:
    """The members of the envelope after `items`."""
    rest: dict[str, Any] = {"next": page.next_url}
    if page.total is not None:
        rest["total"] = page.total
    if page.facets is not None:
        rest["facets"] = page.facets
    return rest


def to_json(page: ResultPage) -> dict[str, Any]:
    """Our own envelope: each item says what it is, where it came from and (when asked) how far and when."""
    items = [{**_item_head(h), "document": h.document} for h in page.hits]
    return {"at": page.anchor, "items": items, **_envelope_rest(page)}


# One encoder for every answer: json.dumps with options builds a new one each call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_string = json.encoder.encode_basestring  # a str as the encoder writes it: quoted, escaped
# Next starts repeat across rows and requests (the service hands out the same datetime objects, whose hash
# is kept): the conversion to Amsterdam time is done once per moment.
_local_text = lru_cache(maxsize=4096)(iso_local)


def _item_head_text(hit: Hit) -> str:
    """`_item_head` as JSON text without its closing brace, written directly: encoding a small dict per
    item cost more than the rest of the envelope."""
    origin = "null" if hit.origin is None else _string(hit.origin)
    text = f'{{"id":{_string(hit.id)},"kind":{_string(hit.kind)},"origin":{origin}'
    if hit.distance_km is not None:
        text += f',"distanceKm":{_ENCODER.encode(_round_km(hit.distance_km))}'
    if hit.next_start is not None:
        text += f',"nextOccurrence":{_string(_local_text(hit.next_start))}'
    return text


def to_json_text(page: ResultPage) -> str:
    """`to_json` as JSON text, with each stored document spliced in as it is, never decoded.

    The stored text is one JSON value (objects.py writes it with json.dumps), so putting it where the
    encoder would write the document gives the same content; decoding ~21 documents and encoding them
    again was most of the CPU of a search. Members are in the order of `to_json`.
    """
    items = ",".join(f'{_item_head_text(h)},"document":{h.document_json}}}' for h in page.hits)
    rest = _ENCODER.encode(_envelope_rest(page))[1:]  # '"next":...}'
    return f'{{"at":{_string(page.anchor)},"items":[{items}],{rest}'


def to_jsonld(page: ResultPage) -> dict[str, Any]:
    """An ActivityStreams OrderedCollectionPage of the full documents: linked data like the collections."""
    body: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": page.self_url,
        "type": "OrderedCollectionPage",
        "orderedItems": [embedded(h.document) for h in page.hits],
    }
    if page.next_url:
        body["next"] = page.next_url
    if page.total is not None:
        body["totalItems"] = page.total
    return body


CSV_COLUMNS = (
    "id", "kind", "name", "sport", "organiser", "place", "street", "postal_code", "locality", "municipality",
    "neighbourhood", "latitude", "longitude", "days", "start_time", "end_time", "start", "end",
    "next_occurrence", "target_groups", "min_age", "max_age", "price", "free", "accessibility",
    *CRITERIA, "url", "updated", "origin", "distance_km",
)
_DAY_OF_URI = {SCHEMA + day.capitalize(): day for day in DAYS}


def _safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula is prefixed with an apostrophe (OWASP)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _row(hit: Hit, key_of: Callable[[str], str]) -> dict[str, Any]:
    doc = hit.document
    place = place_of(doc)
    raw_address = place.get("address")
    address: Mapping[str, Any] = raw_address if isinstance(raw_address, dict) else {}
    schedule = doc.get("eventSchedule") or {}
    age = doc.get("ageRange") or {}
    prices = [o["price"] for o in doc.get("offers") or () if isinstance(o.get("price"), (int, float))]
    accessibility = list(dict.fromkeys([*(doc.get("accessibilitySupport") or ()), *(place.get("accessibilitySupport") or ())]))
    row: dict[str, Any] = {
        "id": doc["id"],
        "kind": hit.kind,
        "name": doc.get("name", ""),
        "sport": key_of(doc["sport"]) if isinstance(doc.get("sport"), str) else "",
        "organiser": doc.get("attributedTo", "") if hit.kind != "organisation" else "",
        "place": place.get("name", "") if place is not doc else "",
        "street": address.get("streetAddress", ""),
        "postal_code": address.get("postalCode", ""),
        "locality": address.get("addressLocality", "") or (place.get("address") if isinstance(place.get("address"), str) else ""),
        "municipality": place.get("municipalityCode") or doc.get("municipalityCode", ""),
        "neighbourhood": place.get("neighbourhoodCode", ""),
        "latitude": place.get("latitude", ""),
        "longitude": place.get("longitude", ""),
        "days": ";".join(_DAY_OF_URI.get(d, d) for d in schedule.get("byDay", ())),
        "start_time": schedule.get("startTime", ""),
        "end_time": schedule.get("endTime", ""),
        "start": doc.get("startTime", ""),
        "end": doc.get("endTime", ""),
        "next_occurrence": iso_local(hit.next_start) if hit.next_start else "",
        "target_groups": ";".join(key_of(t) for t in doc.get("targetGroup", ())),
        "min_age": age.get("minValue", ""),
        "max_age": age.get("maxValue", ""),
        "price": min(prices) if prices else "",
        "free": "" if doc.get("isAccessibleForFree") is None else str(doc["isAccessibleForFree"]).lower(),
        "accessibility": ";".join(key_of(a) for a in accessibility),
        **{name: "" if doc.get(name) is None else str(doc[name]).lower() for name in CRITERIA},
        "url": doc.get("url", ""),
        "updated": doc.get("updated", ""),
        "origin": hit.origin or "",
        "distance_km": "" if hit.distance_km is None else _round_km(hit.distance_km),
    }
    return {name: _safe(value) for name, value in row.items()}


def to_csv(page: ResultPage, key_of: Callable[[str], str]) -> str:
    """RFC 4180 CSV with a header row; lists are joined with ';'. The next page is in the Link header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for hit in page.hits:
        writer.writerow(_row(hit, key_of))
    return out.getvalue()


def to_geojson(page: ResultPage) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection; an object without coordinates has a null geometry."""
    features = []
    for hit in page.hits:
        doc = hit.document
        place = place_of(doc)
        lat, lon = place.get("latitude"), place.get("longitude")
        geometry = (
            {"type": "Point", "coordinates": [lon, lat]}
            if isinstance(lat, (int, float)) and isinstance(lon, (int, float))
            else None
        )
        properties: dict[str, Any] = {
            "kind": hit.kind,
            "name": doc.get("name"),
            "sport": doc.get("sport"),
            "place": place.get("name") if place is not doc else None,
            "municipality": place.get("municipalityCode") or doc.get("municipalityCode"),
            "updated": doc.get("updated"),
            "origin": hit.origin,
        }
        if hit.next_start is not None:
            properties["nextOccurrence"] = iso_local(hit.next_start)
        if hit.distance_km is not None:
            properties["distanceKm"] = _round_km(hit.distance_km)
        features.append({"type": "Feature", "id": doc["id"], "geometry": geometry, "properties": properties})
    body: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if page.next_url:
        body["next"] = page.next_url  # a foreign member (RFC 7946, 6.1)
    return body
