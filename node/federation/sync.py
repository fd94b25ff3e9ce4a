"""Reading followed actors' outboxes: backfill after an Accept, and the periodic reconcile.

Both walk the outbox pages and apply every Create, Update, Delete and Announce in them, one write
transaction a page, with the page's URL saved in the same transaction. Backfill starts at the first
page; reconcile goes on from the saved page, so a delivery that never came (a node that was down, a
lost request) is repaired without reading everything again. Re-applying what we already hold changes
nothing (`remote_objects.store` compares), so overlap is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from node.errors import SportnodeError
from node.federation import remote_objects
from node.federation.actors import fetch_actor, host_of, node_key, same_host
from node.federation.follows import drop_host_in
from node.federation.remote_objects import Prepared
from node.services.http import FetchError, Gone
from node.services.node import Node
from node.services.outbox import announce_in
from node.store import federation as store
from node.store.federation import RemoteActor

log = logging.getLogger(__name__)

MAX_PAGES = 10_000


def schedule_backfill(node: Node, actor_id: str) -> None:
    task = asyncio.create_task(_backfill(node, actor_id))
    node.background.add(task)
    task.add_done_callback(node.background.discard)


async def _backfill(node: Node, actor_id: str) -> None:
    # A few at a time (Node.backfill_slots): an aggregator that follows 30 nodes at once would otherwise
    # read all 30 outboxes side by side and announce the first one finished only near the end; the
    # aggregators above it could not start until then (docs/benchmarks.md, the national simulation).
    async with node.backfill_slots:
        await _sync_logged(node, actor_id, from_start=True)


async def _sync_logged(node: Node, actor_id: str, *, from_start: bool) -> None:
    try:
        count = await sync(node, actor_id, from_start=from_start)
        log.info("applied %d activities from the outbox of %s", count, actor_id)
    except (FetchError, SportnodeError) as error:
        log.warning("reading the outbox of %s failed: %s", actor_id, error)


async def reconcile_all(node: Node) -> int:
    """Go on reading every accepted follow's outbox from where we stopped, and finish every announced
    outbox whose reading was cut short."""
    async with node.db.read() as db:
        accepted = [f.remote_actor for f in await store.list_following(db) if f.state == "accepted"]
    done = 0
    for actor_id in accepted:
        try:
            done += await sync(node, actor_id, from_start=False)
        except (FetchError, SportnodeError) as error:
            log.warning("reconcile of %s failed: %s", actor_id, error)
    return done + await run_origin_syncs(node)


def _items(page: dict[str, Any]) -> list[Any]:
    items = page.get("orderedItems") or page.get("items") or []
    return items if isinstance(items, list) else []


async def _pages(node: Node, start: str, from_collection: bool) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """(URL, page) of a paged OrderedCollection from `start`, each fetched from the outbox's host."""
    signer = await node_key(node)
    page: Any = start
    if from_collection:
        collection = await node.http.get_json(start, signer)
        # An unpaged collection (bovine's) is its own only page.
        page = collection.get("first") or (collection if _items(collection) else None)
    seen: set[str] = set()
    url = start
    for _ in range(MAX_PAGES):
        if isinstance(page, str):
            if page in seen or not same_host(page, start):
                return
            seen.add(page)
            url = page
            page = await node.http.get_json(page, signer)
        if not isinstance(page, dict):
            return
        yield url, page
        page = page.get("next")


async def sync(node: Node, actor_id: str, *, from_start: bool) -> int:
    """Apply the followed actor's outbox (all of it, or from the saved page on); the number applied.

    An aggregator that backfills a node (an actor that is no object of ours) for the first time
    announces nothing per object: when the outbox is read to its end it announces the node's actor,
    and its followers read that outbox themselves (`run_origin_syncs`)."""
    async with node.db.read() as db:
        ours = await store.get_following(db, actor_id)
        cursor = await store.get_cursor(db, actor_id)
    if ours is None or ours.state != "accepted":
        return 0
    try:
        actor = await fetch_actor(node, actor_id)
    except Gone:
        await _followed_is_gone(node, actor_id)
        return 0
    if not actor.outbox or not same_host(actor.outbox, actor.id):
        return 0
    bulk = node.config.is_aggregator and ours.backfilled is None and remote_objects.kind_of(actor.document) is None
    start, whole = (actor.outbox, True) if from_start or not cursor else (cursor, False)
    applied = 0
    async for url, page in _pages(node, start, whole):
        batch = await _page_batch(node, page, actor)
        async with node.db.write() as db:
            applied += await remote_objects.store_all(db, node, batch, announce=not bulk, skip_refused=True)
            await store.set_cursor(db, actor_id, url if url != actor.outbox else None)
    async with node.db.write() as db:
        await store.set_backfilled(db, actor_id, node.now())
        if bulk and applied:
            await announce_in(db, node, actor.id)
    _start_origin_syncs(node)
    return applied


# --- origin syncs: reading an outbox an aggregator announced as a whole ------------------------------

ORIGIN_SYNC_TASK = "origin-syncs"
ORIGIN_SYNCS_AT_ONCE = 4


def _start_origin_syncs(node: Node) -> None:
    """Run the pending origin syncs in the background, unless that runs already."""
    if any(task.get_name() == ORIGIN_SYNC_TASK and not task.done() for task in node.background):
        return
    task = asyncio.create_task(_origin_syncs_logged(node), name=ORIGIN_SYNC_TASK)
    node.background.add(task)
    task.add_done_callback(node.background.discard)


def schedule_origin_syncs(node: Node) -> None:
    _start_origin_syncs(node)


async def _origin_syncs_logged(node: Node) -> None:
    count = await run_origin_syncs(node)
    if count:
        log.info("applied %d activities from announced outboxes", count)


async def run_origin_syncs(node: Node) -> int:
    """Read every pending announced outbox to its end (a few at a time); the number of items applied.
    A read that fails stays pending, from its saved page, for the next reconcile."""
    applied = 0
    failed: set[tuple[str, str]] = set()
    while True:
        async with node.db.read() as db:
            pending = [p for p in await store.pending_origin_syncs(db) if (p.origin, p.via) not in failed]
        if not pending:
            return applied
        batch = pending[:ORIGIN_SYNCS_AT_ONCE]
        results = await asyncio.gather(*(_origin_sync(node, p) for p in batch), return_exceptions=True)
        for item, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, FetchError | SportnodeError):
                    raise result
                log.warning("reading the announced outbox of %s failed: %s", item.origin, result)
                failed.add((item.origin, item.via))
            else:
                applied += result


async def _origin_sync(node: Node, pending: store.OriginSync) -> int:
    """The announced origin's outbox, from its own host: its own objects only, provenance `via`."""
    try:
        actor = await fetch_actor(node, pending.origin)
    except Gone:
        async with node.db.write() as db:
            await store.set_origin_done(db, pending.origin, pending.via, node.now())
        return 0
    if not actor.outbox or not same_host(actor.outbox, actor.id):
        async with node.db.write() as db:
            await store.set_origin_done(db, pending.origin, pending.via, node.now())
        return 0
    start, whole = (pending.cursor, False) if pending.cursor else (actor.outbox, True)
    applied = 0
    async for url, page in _pages(node, start, whole):
        batch = await _page_batch(node, page, actor, via=pending.via)
        async with node.db.write() as db:
            applied += await remote_objects.store_all(db, node, batch, announce=False, skip_refused=True)
            await store.set_origin_cursor(db, pending.origin, pending.via, url if url != actor.outbox else None)
    async with node.db.write() as db:
        await store.set_origin_done(db, pending.origin, pending.via, node.now())
        # Re-published further up as a whole, like a backfill; only when it changed something, so
        # that aggregators following each other in a circle come to rest.
        if applied:
            await announce_in(db, node, actor.id)
    return applied


async def _followed_is_gone(node: Node, actor_id: str) -> None:
    """The followed actor answers 410: it and everything of its host leave the view."""
    log.info("%s is gone (410): dropping its objects", actor_id)
    async with node.db.write() as db:
        await store.remove_following(db, actor_id)
        await drop_host_in(db, node, actor_id)


async def _resolved(node: Node, item: Any, actor: RemoteActor) -> Any:
    """An outbox item, fetched when given by id (bovine lists ids only), with the object it names
    fetched from its own host when only linked (an Announce's always); before the page's transaction.
    Returns the item, or a Prepared for an Announce, or None when it cannot be had."""
    try:
        if isinstance(item, str) and same_host(item, actor.id):
            item = await node.http.get_json(item, await node_key(node))
        if not isinstance(item, dict):
            return None
        object_id = item.get("object")
        if item.get("type") == "Announce" and isinstance(object_id, str):
            if not await remote_objects.may_fetch_from(node, object_id):
                log.info("outbox item of %s skipped: %s is on a host this node neither follows nor trusts",
                         actor.id, object_id)
                return None
            return await remote_objects.fetch_from_origin(node, object_id, actor.id)
        if item.get("type") in ("Create", "Update") and isinstance(object_id, str) and same_host(object_id, actor.id):
            item = {**item, "object": await node.http.get_json(object_id, await node_key(node))}
    except (FetchError, SportnodeError) as error:
        log.info("outbox item of %s skipped: %s", actor.id, error)
        return None
    return item


async def _page_batch(node: Node, page: dict[str, Any], actor: RemoteActor, via: str = "") -> list[Prepared]:
    """What a page's items ask to store, fetched and mapped before the page's write transaction (the
    mapping is most of the CPU, and needs no database)."""
    batch: list[Prepared] = []
    for item in _items(page):
        prepared = _prepared(node, await _resolved(node, item, actor), actor, via)
        if prepared is not None:
            batch.append(prepared)
    return batch


def _prepared(node: Node, item: Any, actor: RemoteActor, via: str) -> Prepared | None:
    """One outbox item as what to store; items from another host, or that do not fit, are skipped
    (and logged). `via`: the aggregator that brought us to this outbox (default: its owner); then the
    origin is the host's root, as when an Announce makes us fetch an object from its host."""
    if isinstance(item, Prepared):
        return item
    if not isinstance(item, dict) or item.get("type") not in ("Create", "Update", "Delete"):
        return None
    obj = item.get("object")
    object_id = obj.get("id") if isinstance(obj, dict) else obj
    if not isinstance(object_id, str) or not same_host(object_id, actor.id):
        return None
    if host_of(str(item.get("actor"))) != host_of(actor.id):
        return None
    if item["type"] == "Delete":
        former = obj.get("formerType") if isinstance(obj, dict) else None
        return Prepared("", {"id": object_id}, "", actor.id, via or actor.id, gone=True, former_type=former)
    if not isinstance(obj, dict):
        return None
    origin = remote_objects.origin_prefix(object_id) if via else str(item["actor"])
    try:
        return remote_objects.map_object(node, obj, origin, "/object", via or actor.id)
    except SportnodeError as error:
        log.info("outbox item %s skipped: %s", object_id, error.detail)
        return None
