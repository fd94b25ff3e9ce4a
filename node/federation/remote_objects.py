"""Objects of other hosts: checked and mapped into our model, stored once, changed only by their origin.

An object is stored under its own id with `origin` set to the actor that vouched for it (an actor on
the object's own host, or that host's root when an aggregator's Announce made us fetch it there). It
may reach us along several paths (the origin itself, one or more aggregators): it is still one row,
and `provenance` lists the paths. A later version replaces it only when it is not older (`updated`);
a Tombstone keeps its row, so a late or replayed Create cannot bring a deleted object back.

An aggregator announces every change it stores to its own followers (`outbox.announce_in`), in the same
transaction; they fetch the object from its origin, so nothing an aggregator says needs trusting.
What an aggregator pulls in bulk (the backfill of a node it starts to follow) it announces as a whole:
one Announce of the node's actor instead of one per object. A follower that receives it reads that
node's outbox itself, page by page from the node's own host (`sync.run_origin_syncs`); measured in
docs/benchmarks.md, this replaces one signed POST and one signed GET per object by two page GETs per
hundred objects.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import aiosqlite

from node.errors import FieldError, SportnodeError, forbidden, invalid_input
from node.federation.actors import node_key, same_host
from node.federation.places import check_coordinates
from node.protocol import inbound, remote_text
from node.protocol.jsonld import OBJECT_CONTEXT, compact_our_terms
from node.protocol.objects import tombstone_document
from node.services.http import FetchError, Gone
from node.services.node import Node
from node.services.outbox import announce_all_in, announce_in
from node.store.federation import (
    Provenance,
    RemoteActor,
    followed_host,
    provenance_of,
    put_provenance,
    request_origin_sync,
)
from node.store.objects import (
    ObjectWrite,
    StoredObject,
    bury_object,
    get_object,
    get_objects,
    put_object,
    put_objects,
)

log = logging.getLogger(__name__)

# The AS / schema.org types we model, and the kind each is stored as.
KIND_OF_TYPE = {"Event": "activity", "Place": "place", "Course": "course", "Organization": "organisation"}


@dataclass(frozen=True)
class Prepared:
    """What to store: `document` mapped into our model, or `gone` (its origin answered 410)."""

    kind: str
    document: dict[str, Any]
    owner: str
    origin: str
    via: str
    gone: bool = False
    # An announced actor that is no object of ours (a node): read its outbox (origin = the actor).
    sync_outbox: bool = False
    former_type: Any = None  # of a deleted object (`gone`), when the Delete said it


def _types(value: Any) -> list[str]:
    return [t for t in (value if isinstance(value, list) else [value]) if isinstance(t, str)]


def kind_of(document: Mapping[str, Any]) -> str | None:
    for kind_type in _types(document.get("type")):
        if kind_type in KIND_OF_TYPE:
            return KIND_OF_TYPE[kind_type]
    return None


def origin_prefix(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def map_object(node: Node, document: Mapping[str, Any], origin: str, at: str, via: str = "") -> Prepared | None:
    """Our model of a remote object, its text cleaned (`remote_text`) and its coordinates checked,
    validated; None for a type we do not model (a Note, say)."""
    document = compact_our_terms(document)
    kind = kind_of(document)
    if kind is None:
        return None
    if kind == "activity":
        dropped: list[FieldError] = []
        mapped = inbound.event_to_activity(document, sports=node.vocabulary.sports, received=node.now(), at=at,
                                           dropped=dropped)
        mapped = check_coordinates(remote_text.cleaned(mapped), node.areas)
        errors = node.object_schemas.errors("remote-activity", mapped)
        if errors and "location" in mapped and all(e.path.startswith("/location") for e in errors):
            # A place that does not fit our model does not sink its event: the event is kept without it.
            dropped += errors
            mapped = {k: v for k, v in mapped.items() if k != "location"}
            errors = node.object_schemas.errors("remote-activity", mapped)
        for problem in dropped:
            log.info("%s: left out %s (%s)", mapped.get("id"), problem.path, problem.message)
    else:
        mapped = remote_text.cleaned({"@context": OBJECT_CONTEXT, **{k: v for k, v in document.items()
                                                                      if k != "@context"}})
        mapped.setdefault("published", node.now())
        mapped.setdefault("updated", mapped["published"])
        if kind == "place":
            mapped = check_coordinates(mapped, node.areas)
        errors = node.object_schemas.errors(kind, mapped)
    if errors:
        raise invalid_input(errors, f"The {kind} at {at or '/'} does not fit this node's model.")
    owner = mapped.get("attributedTo") if kind != "organisation" else mapped["id"]
    if not isinstance(owner, str) or not same_host(owner, mapped["id"]):
        raise forbidden(f"{mapped['id']} is attributed to an actor of another host.")
    return Prepared(kind, mapped, owner, origin, via or origin)


async def follows_host_of(node: Node, url: str) -> bool:
    """Whether this node follows (accepted) some actor on the host of `url`."""
    async with node.db.read() as db:
        return await followed_host(db, origin_prefix(url))


def trusted_host(node: Node, url: str) -> bool:
    """Whether `[federation] trust` names the host of `url` (or a parent domain, or "*")."""
    host = (urlsplit(url).hostname or "").lower()
    return any(entry == "*" or host == entry or host.endswith("." + entry) for entry in node.config.trust)


async def may_fetch_from(node: Node, url: str) -> bool:
    """Whether an Announce (or an announced outbox) may make this node fetch `url`: only from a host it
    follows or is configured to trust. Otherwise a followed peer could make it fetch from anywhere."""
    return trusted_host(node, url) or await follows_host_of(node, url)


async def _require_followed(node: Node, actor: RemoteActor) -> None:
    if not await follows_host_of(node, actor.id):
        raise forbidden(f"This node does not follow {urlsplit(actor.id).netloc}; it takes no content from it.")


async def fetch_from_origin(node: Node, object_id: str, via: str) -> Prepared | None:
    """An object as its own host serves it now (signed GET): mapped, or `gone` when it answers 410."""
    try:
        document = await node.http.get_json(object_id, await node_key(node))
    except Gone:
        return Prepared("", {"id": object_id}, "", origin_prefix(object_id), via, gone=True)
    except FetchError as error:
        raise invalid_input([], f"The object {object_id} cannot be fetched: {error}") from None
    if document.get("id") != object_id:
        raise forbidden(f"{object_id} answered a document with another id.")
    if document.get("type") == "Tombstone":
        return Prepared("", {"id": object_id}, "", origin_prefix(object_id), via, gone=True)
    if kind_of(document) is None and isinstance(document.get("outbox"), str) and isinstance(document.get("inbox"), str):
        return Prepared("", {"id": object_id}, "", object_id, via, sync_outbox=True)
    return map_object(node, document, origin_prefix(object_id), "/object", via)


async def prepare(node: Node, activity: Mapping[str, Any], actor: RemoteActor) -> Prepared | None:
    """For a Create, Update or Announce: the object to store, fetched if only linked."""
    kind = activity["type"]
    if kind not in ("Create", "Update", "Announce"):
        return None
    await _require_followed(node, actor)
    obj = activity["object"]
    if kind == "Announce":
        # An Announce vouches for nothing: what the object says is taken from its own host.
        return await fetch_from_origin(node, obj["id"] if isinstance(obj, dict) else obj, actor.id)
    if not isinstance(obj, dict):
        return await fetch_from_origin(node, obj, actor.id)
    if not same_host(str(obj.get("id", "")), actor.id):
        raise forbidden(f"{actor.id} may not {kind.lower()} an object of another host.")
    return map_object(node, obj, actor.id, "/object")


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return {k: v for k, v in a.items() if k != "@context"} == {k: v for k, v in b.items() if k != "@context"}


async def store(db: aiosqlite.Connection, node: Node, prepared: Prepared, *, announce: bool = True) -> bool:
    """Store unless what we hold is newer, the same, or ours (403); True when something changed. An
    aggregator announces the change unless `announce` is False (a bulk read, announced as a whole)."""
    return bool(await store_all(db, node, [prepared], announce=announce))


async def store_all(
    db: aiosqlite.Connection, node: Node, batch: Sequence[Prepared], *, announce: bool = True,
    skip_refused: bool = False,
) -> int:
    """`store` for each, in order (an outbox page); the number that changed something.

    Runs of objects are written together: one read of what we hold and of its provenance, one
    `executemany` each for objects and provenance, instead of five thread hops an object (measured in
    docs/benchmarks.md). With `skip_refused`, an object we may not take (one of ours) is logged and
    skipped instead of refusing the whole batch."""
    changed = 0
    run: list[Prepared] = []
    for prepared in batch:
        if not (prepared.sync_outbox or prepared.gone):
            run.append(prepared)
            continue
        changed += await _store_run(db, node, run, announce, skip_refused)
        run = []
        try:
            changed += await _store_special(db, node, prepared, announce)
        except SportnodeError as error:
            if not skip_refused:
                raise
            log.info("%s skipped: %s", prepared.document["id"], error.detail)
    return changed + await _store_run(db, node, run, announce, skip_refused)


async def _store_special(db: aiosqlite.Connection, node: Node, prepared: Prepared, announce: bool) -> int:
    if prepared.sync_outbox:
        await request_origin_sync(db, prepared.origin, prepared.via, node.now())
        return 0
    return int(await bury(db, node, prepared.document["id"], prepared.former_type, prepared.origin,
                          announce=announce))


async def _store_run(
    db: aiosqlite.Connection, node: Node, run: Sequence[Prepared], announce: bool, skip_refused: bool
) -> int:
    if not run:
        return 0
    ids = [p.document["id"] for p in run]
    held: dict[str, StoredObject | Prepared] = dict(await get_objects(db, ids))
    paths = await provenance_of(db, ids)
    now = node.now()
    writes: list[ObjectWrite] = []
    changed_paths: dict[str, Provenance] = {}
    for prepared in run:
        document = prepared.document
        existing = held.get(document["id"])
        if isinstance(existing, StoredObject) and existing.origin is None:
            if not skip_refused:
                raise forbidden("That id names an object of this node.")
            log.info("%s skipped: it names an object of this node", document["id"])
            continue
        newer = existing is None or not _held_is_newer_or_same(existing, document)
        if path := _with_path(paths.get(document["id"]), prepared, now, newer):
            paths[document["id"]] = changed_paths[document["id"]] = path
        if newer:
            held[document["id"]] = prepared
            writes.append(ObjectWrite(prepared.kind, prepared.owner, document, origin=prepared.origin))
    await put_provenance(db, changed_paths)
    await put_objects(db, writes)
    if announce:
        await announce_all_in(db, node, [write.document["id"] for write in writes])
    return len(writes)


def _held_is_newer_or_same(held: StoredObject | Prepared, document: Mapping[str, Any]) -> bool:
    current = held.document
    updated = held.updated if isinstance(held, StoredObject) else current["updated"]
    return bool(updated > document["updated"]) or _same(current, document)


def _with_path(known: Provenance | None, prepared: Prepared, now: str, changed: bool) -> Provenance | None:
    """The provenance row after this arrival, or None when it stays as it is: `last_changed` moves
    when the object changed or a new path was seen."""
    if known is None:
        return Provenance(prepared.origin, (prepared.via,), now, now)
    if prepared.via in known.via:
        return replace(known, last_changed=now) if changed else None
    return replace(known, via=(*known.via, prepared.via), last_changed=now)


async def bury(
    db: aiosqlite.Connection, node: Node, object_id: str, former_type: Any, origin: str, *, announce: bool = True
) -> bool:
    """Make a remote object a Tombstone. A Delete always wins over what we hold, whatever the clocks
    say; an id we never saw gets a Tombstone when its type is known, so a late Create cannot bring it in."""
    existing = await get_object(db, object_id)
    now = node.now()
    if existing is None:
        kind = kind_of({"type": former_type})
        if kind is None:
            return False
        tombstone = tombstone_document(object_id, former_type, published=now, deleted=now)
        await put_object(db, kind, origin, tombstone, origin=origin)
    elif existing.origin is None:
        raise forbidden("That id names an object of this node.")
    elif existing.deleted:
        return False
    else:
        tombstone = tombstone_document(object_id, existing.document.get("type"), published=existing.published,
                                       deleted=max(now, existing.updated))
    await bury_object(db, tombstone)
    if announce:
        await announce_in(db, node, object_id)
    return True


async def on_delete(
    db: aiosqlite.Connection, node: Node, activity: Mapping[str, Any], actor: RemoteActor, *, announce: bool = True
) -> bool:
    """Bury the deleted object; True when that changed something."""
    obj = activity["object"]
    object_id = obj["id"] if isinstance(obj, dict) else obj
    former = obj.get("formerType") if isinstance(obj, dict) else None
    return await bury(db, node, object_id, former, actor.id, announce=announce)
