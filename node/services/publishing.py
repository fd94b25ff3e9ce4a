"""Places, activities and courses: an organisation creates, replaces and deletes only its own.

The `*_in` functions work inside a write transaction the caller holds, so an import can apply a whole
file in one transaction; the others open their own.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import aiosqlite

from node.errors import FieldError, conflict, forbidden, gone, invalid_input, not_found
from node.protocol.objects import (
    KIND_TYPES,
    activity_document,
    course_document,
    place_document,
    tombstone_document,
    with_place,
)
from node.services.node import Node
from node.services.outbox import publish_in
from node.services.vocab_refs import resolve_concept, resolve_concepts
from node.services.write_shape import to_write_shape
from node.store.objects import (
    StoredObject,
    bury_object,
    get_by_source_key,
    get_object,
    objects_at_place,
    put_object,
    set_places,
)

PUBLISHED_KINDS = ("place", "activity", "course")


def new_object_key() -> str:
    return secrets.token_hex(8)


async def _live_place(
    db: aiosqlite.Connection, node: Node, owner: str, ref: str, pointer: str, errors: list[FieldError]
) -> dict[str, Any]:
    key = node.key_from_ref("place", ref)
    found = await get_object(db, node.object_url("place", key)) if key else None
    if found is None or found.deleted:
        errors.append(FieldError(pointer, f"no place {ref!r} on this node"))
        return {}
    if found.owner != owner:
        errors.append(FieldError(pointer, "the place belongs to another organisation"))
        return {}
    return found.document


def _moment(value: str, pointer: str, errors: list[FieldError]) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors.append(FieldError(pointer, f"{value!r} is not an ISO 8601 date-time"))
        return None
    if moment.tzinfo is None:
        errors.append(FieldError(pointer, "needs a UTC offset, e.g. 2026-05-01T19:00:00+02:00"))
        return None
    return moment


def _check_order(data: dict[str, Any], first: str, last: str, base: str, errors: list[FieldError]) -> None:
    if data.get(first) and data.get(last) and data[last] < data[first]:
        errors.append(FieldError(f"{base}/{last}", f"is before {first}"))


def _check_common(data: dict[str, Any], errors: list[FieldError]) -> None:
    _check_order(data, "validFrom", "validThrough", "", errors)
    age = data.get("ageRange", {})
    if "min" in age and "max" in age and age["max"] < age["min"]:
        errors.append(FieldError("/ageRange/max", "is below ageRange/min"))


def _place(
    node: Node, owner: str, data: dict[str, Any], ids: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    errors: list[FieldError] = []
    code = data["municipalityCode"]
    if code not in node.areas.municipalities:
        errors.append(FieldError("/municipalityCode", f"{code} is not a CBS municipality code of 2025"))
    elif data.get("neighbourhoodCode"):
        problem = node.areas.neighbourhood_error(code, data["neighbourhoodCode"])
        if problem:
            errors.append(FieldError("/neighbourhoodCode", problem))
    access = resolve_concepts(
        node.vocabulary.accessibility,
        data.get("accessibility", []),
        "/accessibility",
        "accessibility support",
        errors,
    )
    if errors:
        raise invalid_input(errors)
    return place_document(data, owner=owner, accessibility=access, **ids), []


async def _activity(
    db: aiosqlite.Connection, node: Node, owner: str, data: dict[str, Any], ids: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    errors: list[FieldError] = []
    sport = resolve_concept(node.vocabulary.sports, data["sport"], "/sport", "sport", errors)
    place = await _live_place(db, node, owner, data["place"], "/place", errors)
    groups = resolve_concepts(
        node.vocabulary.target_groups, data.get("targetGroups", []), "/targetGroups", "target group", errors
    )
    access = resolve_concepts(
        node.vocabulary.accessibility,
        data.get("accessibility", []),
        "/accessibility",
        "accessibility support",
        errors,
    )
    if "schedule" in data:
        schedule = data["schedule"]
        if schedule["endTime"] <= schedule["startTime"]:
            errors.append(FieldError("/schedule/endTime", "is not after startTime"))
        _check_order(schedule, "startDate", "endDate", "/schedule", errors)
    else:
        start = _moment(data["startTime"], "/startTime", errors)
        end = _moment(data["endTime"], "/endTime", errors)
        if start and end and end <= start:
            errors.append(FieldError("/endTime", "is not after startTime"))
    _check_common(data, errors)
    if errors:
        raise invalid_input(errors)
    document = activity_document(
        data, owner=owner, sport=sport, place=place, target_groups=groups, accessibility=access, **ids
    )
    return document, [place["id"]]


async def _course(
    db: aiosqlite.Connection, node: Node, owner: str, data: dict[str, Any], ids: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    errors: list[FieldError] = []
    sport = (
        resolve_concept(node.vocabulary.sports, data["sport"], "/sport", "sport", errors)
        if "sport" in data
        else None
    )
    places: dict[str, dict[str, Any]] = {}
    for i, instance in enumerate(data["instances"]):
        pointer = f"/instances/{i}"
        _check_order(instance, "startDate", "endDate", pointer, errors)
        if "place" in instance:
            places[instance["place"]] = await _live_place(
                db, node, owner, instance["place"], pointer + "/place", errors
            )
        elif instance["courseMode"] != "online":
            errors.append(
                FieldError(pointer + "/place", f"is required for a {instance['courseMode']} course")
            )
    _check_common(data, errors)
    if errors:
        raise invalid_input(errors)
    document = course_document(data, owner=owner, sport=sport, places=places, **ids)
    return document, [p["id"] for p in places.values()]


async def _build(
    db: aiosqlite.Connection, node: Node, owner: str, kind: str, data: dict[str, Any], ids: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    schema_errors = node.schemas.errors(kind, data)
    if schema_errors:
        raise invalid_input(schema_errors)
    if kind == "place":
        return _place(node, owner, data, ids)
    if kind == "activity":
        return await _activity(db, node, owner, data, ids)
    return await _course(db, node, owner, data, ids)


async def _owned(db: aiosqlite.Connection, node: Node, owner: str, kind: str, key: str) -> StoredObject:
    found = await get_object(db, node.object_url(kind, key))
    if found is None:
        raise not_found()
    if found.deleted:
        raise gone()
    if found.owner != owner:
        raise forbidden("This object belongs to another organisation.")
    return found


async def _store(
    db: aiosqlite.Connection,
    node: Node,
    owner: str,
    kind: str,
    document: dict[str, Any],
    place_ids: list[str],
    source_key: str | None,
) -> StoredObject:
    existing = await get_object(db, document["id"])
    verb = "Update" if existing else "Create"
    await put_object(db, kind, owner, document, source_key)
    await set_places(db, document["id"], place_ids)
    await publish_in(db, node, verb, document, owner)
    if kind == "place":
        for user in await objects_at_place(db, document["id"]):
            moved = with_place(user.document, document, document["updated"])
            await put_object(db, user.kind, user.owner, moved)
            await publish_in(db, node, "Update", moved, user.owner)
    stored = await get_object(db, document["id"])
    assert stored is not None
    return stored


async def create_in(
    db: aiosqlite.Connection,
    node: Node,
    owner: str,
    kind: str,
    data: dict[str, Any],
    source_key: str | None = None,
) -> StoredObject:
    now = node.now()
    ids = {"object_id": node.object_url(kind, new_object_key()), "published": now, "updated": now}
    data = to_write_shape(kind, data, owner=owner)
    document, place_ids = await _build(db, node, owner, kind, data, ids)
    return await _store(db, node, owner, kind, document, place_ids, source_key)


def _same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {**a, "updated": None} == {**b, "updated": None}


async def replace_in(
    db: aiosqlite.Connection, node: Node, owner: str, kind: str, key: str, data: dict[str, Any]
) -> StoredObject:
    """Replace an object; one whose content would not change is left as it is (no new `updated`)."""
    current = await _owned(db, node, owner, kind, key)
    ids = {"object_id": current.id, "published": current.published, "updated": node.now()}
    data = to_write_shape(kind, data, object_id=current.id, owner=owner)
    document, place_ids = await _build(db, node, owner, kind, data, ids)
    if _same_content(document, current.document):
        return current
    return await _store(db, node, owner, kind, document, place_ids, current.source_key)


async def upsert_in(
    db: aiosqlite.Connection, node: Node, owner: str, kind: str, data: dict[str, Any], source_key: str
) -> tuple[StoredObject, str]:
    """Create, or replace the object this owner created earlier under the same source key.

    The second value says what happened: "created", "updated" or "unchanged".
    """
    current = await get_by_source_key(db, owner, kind, source_key)
    if current is None or current.deleted:
        return await create_in(db, node, owner, kind, data, source_key), "created"
    replaced = await replace_in(db, node, owner, kind, current.id.rsplit("/", 1)[1], data)
    return replaced, "unchanged" if replaced.document == current.document else "updated"


async def delete_in(db: aiosqlite.Connection, node: Node, owner: str, kind: str, key: str) -> None:
    current = await _owned(db, node, owner, kind, key)
    if kind == "place":
        users = await objects_at_place(db, current.id)
        if users:
            names = ", ".join(u.document.get("name", u.id) for u in users[:5])
            raise conflict(
                f"The place is still used by {len(users)} object(s): {names}. Move or delete those first."
            )
    tombstone = tombstone_document(current.id, KIND_TYPES[kind], published=current.published, deleted=node.now())
    await bury_object(db, tombstone)
    await publish_in(db, node, "Delete", tombstone, owner)


async def create(node: Node, owner: str, kind: str, data: dict[str, Any]) -> StoredObject:
    async with node.db.write() as db:
        return await create_in(db, node, owner, kind, data)


async def replace(node: Node, owner: str, kind: str, key: str, data: dict[str, Any]) -> StoredObject:
    async with node.db.write() as db:
        return await replace_in(db, node, owner, kind, key, data)


async def delete(node: Node, owner: str, kind: str, key: str) -> None:
    async with node.db.write() as db:
        await delete_in(db, node, owner, kind, key)
