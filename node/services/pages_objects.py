"""What an object's web page shows, gathered in one place so the handlers stay thin.

One `ObjectPage` per activity, organisation, place or course, whether it is one of ours or one that an
aggregator (or any node) holds from another host. For a remote object the page says where it comes
from (its origin node, from the host of its id and the provenance we keep), and its canonical URL is
the object's own id at that origin. Text is kept as the document has it: the templates show names
through `plain` and HTML through `clean` (node.protocol.sanitise), for every object alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from node.errors import not_found
from node.protocol import page_jsonld
from node.protocol.formats import Hit, ResultPage
from node.protocol.ical import to_ical
from node.protocol.occurrences import Occurrence, next_occurrences
from node.protocol.sanitise import plain_text
from node.services.node import Node
from node.services.query import concept_key
from node.store import object_pages
from node.store.federation import get_provenance, get_remote_actor
from node.store.objects import StoredObject, get_object, get_objects

REMOTE_PAGE_PATH = "/aanbod"
LIST_LIMIT = 200  # items a page lists of an organisation's or a place's offering
NEXT_COUNT = 3


@dataclass(frozen=True)
class Item:
    """Another object as a page lists or links it."""

    id: str
    kind: str
    name: str  # plain text
    url: str  # its page on this node (or its own id, when we do not hold it)
    document: dict[str, Any]
    remote: bool
    next: Occurrence | None = None


@dataclass(frozen=True)
class Origin:
    """Where a remote object comes from."""

    node_url: str  # the origin host's root, which is its node's actor id
    name: str  # that node's name as it told us, else its host name
    via: tuple[str, ...]  # the actors it reached us through (an aggregator, or the origin itself)
    last_changed: str | None


@dataclass(frozen=True)
class ObjectPage:
    kind: str
    document: dict[str, Any]
    name: str  # plain text
    url: str  # this page
    canonical: str  # the object's own id: its page at its origin
    remote: bool
    origin: Origin | None
    occurrences: list[Occurrence]
    place: dict[str, Any] | None  # the Place document the page maps (an activity's location, a place)
    point: tuple[float, float] | None
    organiser: Item | None
    json_ld: dict[str, Any]
    agenda_url: str | None = None
    municipality: str | None = None
    neighbourhood: str | None = None
    activities: list[Item] = field(default_factory=list)
    courses: list[Item] = field(default_factory=list)
    places: list[Item] = field(default_factory=list)


def is_local(node: Node, object_id: str) -> bool:
    return object_id.startswith(node.config.base_url + "/")


def page_url(node: Node, object_id: str) -> str:
    """Where this node shows an object: our own at its id, another host's at /aanbod?id=."""
    if is_local(node, object_id):
        return object_id
    return f"{node.config.base_url}{REMOTE_PAGE_PATH}?id={quote(object_id, safe='')}"


def agenda_url(node: Node, object_id: str) -> str:
    if is_local(node, object_id):
        return f"{object_id}/agenda.ics"
    return f"{node.config.base_url}{REMOTE_PAGE_PATH}/agenda.ics?id={quote(object_id, safe='')}"


def host_root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def place_of(document: dict[str, Any]) -> dict[str, Any] | None:
    """The Place a page maps: the document itself, an activity's location, a course's first place."""
    if document.get("type") == "Place":
        return document
    location = document.get("location")
    candidates = location if isinstance(location, list) else [location]
    candidates += [i.get("location") for i in document.get("hasCourseInstance") or () if isinstance(i, dict)]
    return next((c for c in candidates if isinstance(c, dict) and c.get("type") == "Place"), None)


def point_of(place: dict[str, Any] | None) -> tuple[float, float] | None:
    if not place:
        return None
    lat, lon = place.get("latitude"), place.get("longitude")
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
        return float(lat), float(lon)
    return None


def _name(document: dict[str, Any]) -> str:
    return plain_text(str(document.get("name") or "")) or document.get("id", "")


def item(node: Node, stored: StoredObject, now: datetime) -> Item:
    found = next_occurrences(stored.document, now, 1) if stored.kind in ("activity", "course") else []
    return Item(stored.id, stored.kind, _name(stored.document), page_url(node, stored.id), stored.document,
                stored.origin is not None, found[0] if found else None)


def _sorted(items: list[Item]) -> list[Item]:
    """Soonest session first; those without one after, by name."""
    return sorted(items, key=lambda i: (i.next is None, i.next.start if i.next else 0, i.name.casefold()))


async def _origin(node: Node, stored: StoredObject) -> Origin | None:
    if stored.origin is None:
        return None
    root = host_root(stored.id)
    async with node.db.read() as db:
        actor = await get_remote_actor(db, root)
        provenance = await get_provenance(db, stored.id)
    told = actor.document.get("name") if actor else None
    name = plain_text(told) if isinstance(told, str) else ""
    via = tuple(provenance["via"]) if provenance else (stored.origin,)
    return Origin(root, name or urlsplit(root).netloc, via, provenance["lastChanged"] if provenance else None)


async def _organiser(node: Node, document: dict[str, Any]) -> Item | None:
    owner = document.get("attributedTo")
    if not isinstance(owner, str):
        return None
    async with node.db.read() as db:
        found = await get_object(db, owner)
    if found is None or found.deleted or found.kind != "organisation":
        # Not held: link to it where it lives, named by its address.
        return Item(owner, "organisation", urlsplit(owner).netloc, owner, {}, True) if owner.startswith("http") else None
    return Item(found.id, found.kind, _name(found.document), page_url(node, found.id), found.document,
                found.origin is not None)


def _today(now: datetime) -> str:
    return now.date().isoformat()


async def _offering_of(node: Node, organisation: str, now: datetime) -> tuple[list[Item], list[Item], list[Item]]:
    async with node.db.read() as db:
        found = await object_pages.offered_by(db, organisation, ("activity", "course", "place"), _today(now),
                                              LIST_LIMIT * 3)
    items = [item(node, s, now) for s in found]
    return (_sorted([i for i in items if i.kind == "activity"]), _sorted([i for i in items if i.kind == "course"]),
            sorted([i for i in items if i.kind == "place"], key=lambda i: i.name.casefold()))


def _held_at(document: dict[str, Any], place_id: str) -> bool:
    place = document.get("location")
    places = place if isinstance(place, list) else [place]
    places += [i.get("location") for i in document.get("hasCourseInstance") or () if isinstance(i, dict)]
    return any(isinstance(p, dict) and p.get("id") == place_id for p in places)


async def _offering_at(node: Node, place: dict[str, Any], now: datetime) -> tuple[list[Item], list[Item]]:
    point = point_of(place)
    async with node.db.read() as db:
        found = {s.id: s for s in await object_pages.at_place(db, place["id"], _today(now), LIST_LIMIT)}
        if point:
            for stored in await object_pages.at_position(db, point[0], point[1], _today(now), LIST_LIMIT):
                if _held_at(stored.document, place["id"]):
                    found.setdefault(stored.id, stored)
    items = [item(node, s, now) for s in found.values()]
    return _sorted([i for i in items if i.kind == "activity"]), _sorted([i for i in items if i.kind == "course"])


def _areas(node: Node, document: dict[str, Any], place: dict[str, Any] | None) -> tuple[str | None, str | None]:
    code = (place or {}).get("municipalityCode") or document.get("municipalityCode")
    municipality = node.areas.municipalities.get(code) if isinstance(code, str) else None
    wijk_code = (place or {}).get("neighbourhoodCode")
    if isinstance(wijk_code, str) and wijk_code.startswith("BU"):
        wijk_code = "WK" + wijk_code[2:8]
    wijk = node.areas.neighbourhoods.get(wijk_code) if isinstance(wijk_code, str) else None
    return (municipality.name if municipality else None), (wijk.name if wijk else None)


def _regions(node: Node, document: dict[str, Any]) -> dict[str, str]:
    """The province of each municipality the document's places are in (addressRegion)."""
    location = document.get("location")
    places = [document] + (location if isinstance(location, list) else [location])
    places += [i.get("location") for i in document.get("hasCourseInstance") or () if isinstance(i, dict)]
    found = {}
    for place in places:
        code = place.get("municipalityCode") if isinstance(place, dict) else None
        municipality = node.areas.municipalities.get(code) if isinstance(code, str) else None
        if municipality is not None:
            found[municipality.code] = municipality.province_name
    return found


async def object_page(node: Node, stored: StoredObject) -> ObjectPage:
    """Everything the page of a live object shows."""
    now = node.clock()
    document = stored.document
    kind = stored.kind
    place = place_of(document)
    occurrences = next_occurrences(document, now) if kind in ("activity", "course") else []
    organiser = await _organiser(node, document) if kind != "organisation" else None
    organiser_document = organiser.document if organiser else None
    regions = _regions(node, document)
    if kind == "activity":
        json_ld = page_jsonld.event(document, occurrences, organiser_document, regions)
    elif kind == "course":
        json_ld = page_jsonld.course(document, organiser_document, regions)
    elif kind == "place":
        json_ld = page_jsonld.place_page(document, regions)
    else:
        json_ld = page_jsonld.organisation(document)
    activities: list[Item] = []
    courses: list[Item] = []
    places: list[Item] = []
    if kind == "organisation":
        activities, courses, places = await _offering_of(node, stored.id, now)
    elif kind == "place":
        activities, courses = await _offering_at(node, document, now)
    municipality, neighbourhood = _areas(node, document, place)
    return ObjectPage(
        kind=kind, document=document, name=_name(document), url=page_url(node, stored.id), canonical=stored.id,
        remote=stored.origin is not None, origin=await _origin(node, stored), occurrences=occurrences,
        place=place, point=point_of(place), organiser=organiser, json_ld=json_ld,
        agenda_url=agenda_url(node, stored.id) if kind == "activity" else None,
        municipality=municipality, neighbourhood=neighbourhood,
        activities=activities, courses=courses, places=places,
    )


async def remote_object(node: Node, object_id: str) -> StoredObject:
    """A public, live object of another host that this node holds; 404 otherwise."""
    async with node.db.read() as db:
        found = (await get_objects(db, [object_id])).get(object_id)
        public = found is not None and await object_pages.is_public(db, object_id)
    if found is None or found.origin is None or found.deleted or not public:
        raise not_found("Dit aanbod is hier niet bekend.")
    return found


def _plain_place(place: Any) -> Any:
    if not isinstance(place, dict):
        return place
    address = place.get("address")
    if isinstance(address, dict):
        address = {k: plain_text(v) if isinstance(v, str) else v for k, v in address.items()}
    elif isinstance(address, str):
        address = plain_text(address)
    return {**place, "name": plain_text(str(place.get("name") or "")), "address": address}


def _calendar_text(document: dict[str, Any]) -> dict[str, Any]:
    """The fields a calendar shows, as plain text and plain links: some calendar apps render HTML."""
    location = document.get("location")
    return {
        **document,
        "name": _name(document),
        "location": [_plain_place(p) for p in location] if isinstance(location, list) else _plain_place(location),
        "url": page_jsonld.http_url(document.get("url")),
    }


def agenda_ics(node: Node, stored: StoredObject) -> bytes:
    """One activity as an iCalendar file (protocol/ical.py, as the query API writes its results)."""
    name = _name(stored.document)
    document = _calendar_text(stored.document)
    hit = Hit(id=stored.id, document_json=json.dumps(document), kind=stored.kind, origin=stored.origin,
              distance_km=None, next_start=None)
    page = ResultPage(hits=[hit], self_url=agenda_url(node, stored.id), next_url=None, anchor=node.now())
    return to_ical(page, concept_key(node), name)
