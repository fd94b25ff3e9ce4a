"""Following and being followed: Follow / Accept / Reject / Undo, and backfill after an Accept.

Inbound Follows of our actors are accepted automatically unless the follower's domain is blocked, or
an allow list is set and does not name it. Our node follows other actors as the node actor; once the
Accept arrives, `backfill` pulls what the followed actor already published (its paged outbox), and
from then on pushes keep us current.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import aiosqlite

from node.errors import SportnodeError, forbidden
from node.federation import remote_objects
from node.federation.actors import fetch_actor, get_actor, host_of, node_key, same_host
from node.federation.http import FetchError, Gone
from node.federation.outbox import new_activity_id, send_in
from node.protocol import activities
from node.services.node import Node
from node.store import federation as store
from node.store.federation import RemoteActor
from node.store.objects import get_object

log = logging.getLogger(__name__)

ACCT = re.compile(r"^(?:acct:)?@?([^@\s/]+)@([^@\s/]+)$")
MAX_BACKFILL_PAGES = 10_000


def _id_of(value: Any) -> str | None:
    found = value.get("id") if isinstance(value, dict) else value
    return found if isinstance(found, str) else None


def domain_allowed(node: Node, actor_id: str) -> bool:
    host = urlsplit(actor_id).hostname or ""

    def listed(domains: tuple[str, ...]) -> bool:
        return any(host == d or host.endswith("." + d) for d in domains)

    if listed(node.config.block_domains):
        return False
    return not node.config.allow_domains or listed(node.config.allow_domains)


async def _is_local_actor(db: aiosqlite.Connection, node: Node, actor_id: str) -> bool:
    if actor_id == node.config.node_id:
        return True
    found = await get_object(db, actor_id)
    return found is not None and found.kind == "organisation" and found.origin is None and not found.deleted


async def on_follow(db: aiosqlite.Connection, node: Node, activity: Mapping[str, Any], actor: RemoteActor) -> None:
    target = _id_of(activity["object"])
    if target is None or not await _is_local_actor(db, node, target):
        raise forbidden("The Follow names no actor of this node.")
    follow = {k: v for k, v in activity.items() if k != "@context"}
    if not domain_allowed(node, actor.id):
        answer = activities.reject(new_activity_id(node), target, follow, node.now())
        log.info("rejected a follow of %s by %s (domain policy)", target, actor.id)
    else:
        await store.add_follower(db, target, actor.id, activity["id"], actor.delivery_inbox, node.now())
        answer = activities.accept(new_activity_id(node), target, follow, node.now())
    await send_in(db, node, answer, [actor.inbox], public=False)


async def on_answer(db: aiosqlite.Connection, node: Node, activity: Mapping[str, Any], actor: RemoteActor) -> None:
    """An Accept or Reject of our Follow; the Follow may be given by id or embedded (some servers
    embed it without its id: then it is matched by who followed whom)."""
    state = "accepted" if activity["type"] == "Accept" else "rejected"
    follow_id = _id_of(activity["object"])
    if follow_id is None and isinstance(activity["object"], dict):
        ours = await store.get_following(db, actor.id)
        follow_id = ours.follow_id if ours else None
    if follow_id and await store.set_following_state(db, follow_id, actor.id, state, node.now()):
        log.info("%s %s our follow", actor.id, state)


async def on_undo(db: aiosqlite.Connection, node: Node, activity: Mapping[str, Any], actor: RemoteActor) -> None:
    inner = activity["object"]
    if isinstance(inner, dict) and inner.get("type") == "Follow":
        target = _id_of(inner.get("object"))
        if target:
            await store.remove_follower(db, target, actor.id)
        return
    follow_id = _id_of(inner)
    if follow_id:
        await db.execute("DELETE FROM followers WHERE follow_id = ? AND remote_actor = ?", (follow_id, actor.id))


async def forget_actor(db: aiosqlite.Connection, actor_id: str) -> None:
    """The actor itself was deleted: it follows nothing of ours any more."""
    await store.remove_remote_follower_everywhere(db, actor_id)


# --- our node following others ---------------------------------------------------------------------


async def resolve(node: Node, target: str) -> RemoteActor:
    """An actor from `user@host`, `acct:user@host` (WebFinger) or an actor URL."""
    match = ACCT.match(target.strip())
    if match:
        scheme = "http" if node.config.development else "https"
        resource = f"acct:{match[1]}@{match[2]}"
        url = f"{scheme}://{match[2]}/.well-known/webfinger?resource={quote(resource)}"
        try:
            document = await node.http.get_json(url, None)
        except FetchError as error:
            raise SportnodeError(2, "not-found", f"WebFinger found no {resource}: {error}") from None
        links: list[Any] = document["links"] if isinstance(document.get("links"), list) else []
        selves = [link.get("href") for link in links if isinstance(link, dict) and link.get("rel") == "self"
                  and "json" in str(link.get("type", ""))]
        if not selves or not isinstance(selves[0], str):
            raise SportnodeError(2, "not-found", f"WebFinger names no ActivityPub actor for {resource}")
        target = selves[0]
    try:
        return await fetch_actor(node, target)
    except FetchError as error:
        raise SportnodeError(2, "not-found", f"{target} is no actor this node can follow: {error}") from None


async def follow(node: Node, target: str) -> RemoteActor:
    """Send a Follow from the node actor; backfill starts when the Accept arrives."""
    actor = await resolve(node, target)
    if same_host(actor.id, node.config.base_url + "/"):
        raise SportnodeError(2, "bad-request", "A node does not follow itself.")
    message = activities.follow(new_activity_id(node), node.config.node_id, actor.id, node.now())
    async with node.db.write() as db:
        await store.put_following(db, actor.id, message["id"], node.now())
        await send_in(db, node, message, [actor.inbox], public=False)
    return actor


async def unfollow(node: Node, target: str) -> str:
    """Undo our Follow and drop what we hold from that host (unless we follow another actor there)."""
    actor_id = target if "://" in target else (await resolve(node, target)).id
    async with node.db.write() as db:
        ours = await store.get_following(db, actor_id)
        if ours is None:
            raise SportnodeError(2, "not-found", f"This node does not follow {actor_id}")
        follow_message = activities.follow(ours.follow_id, node.config.node_id, actor_id, ours.created)
        undo = activities.undo(new_activity_id(node), node.config.node_id, follow_message, node.now())
        actor = await store.get_remote_actor(db, actor_id)
        if actor:
            await send_in(db, node, undo, [actor.inbox], public=False)
        await store.remove_following(db, actor_id)
        prefix = remote_objects.origin_prefix(actor_id)
        if not await store.followed_host(db, prefix):
            await db.execute("DELETE FROM object_places WHERE object_id IN (SELECT id FROM objects WHERE origin "
                             "IS NOT NULL AND substr(id, 1, length(?)) = ?)", (prefix, prefix))
            await db.execute("DELETE FROM objects WHERE origin IS NOT NULL AND substr(id, 1, length(?)) = ?",
                             (prefix, prefix))
    return actor_id


# --- backfill --------------------------------------------------------------------------------------


def schedule_backfill(node: Node, actor_id: str) -> None:
    task = asyncio.create_task(_backfill_logged(node, actor_id))
    node.background.add(task)
    task.add_done_callback(node.background.discard)


async def _backfill_logged(node: Node, actor_id: str) -> None:
    try:
        count = await backfill(node, actor_id)
        log.info("backfilled %d activities from %s", count, actor_id)
    except (FetchError, SportnodeError) as error:
        log.warning("backfill from %s failed: %s", actor_id, error)


async def _pages(node: Node, outbox: str) -> Any:
    """The pages of a paged OrderedCollection, first to last, each fetched from the outbox's host."""
    signer = await node_key(node)
    collection = await node.http.get_json(outbox, signer)
    # An unpaged collection (bovine's) is its own only page.
    page: Any = collection.get("first") or (collection if _items(collection) else None)
    seen: set[str] = set()
    for _ in range(MAX_BACKFILL_PAGES):
        if isinstance(page, str):
            if page in seen or not same_host(page, outbox):
                return
            seen.add(page)
            page = await node.http.get_json(page, signer)
        if not isinstance(page, dict):
            return
        yield page
        page = page.get("next")


async def backfill(node: Node, actor_id: str) -> int:
    """Apply every Create, Update and Delete in the actor's outbox; one transaction a page."""
    async with node.db.read() as db:
        ours = await store.get_following(db, actor_id)
    if ours is None or ours.state != "accepted":
        return 0
    try:
        actor = await get_actor(node, actor_id)
    except Gone:
        return 0
    if not actor.outbox or not same_host(actor.outbox, actor.id):
        return 0
    applied = 0
    async for page in _pages(node, actor.outbox):
        items = [await _resolved(node, item, actor) for item in _items(page)]
        async with node.db.write() as db:
            for item in items:
                applied += await _apply_backfilled(db, node, item, actor)
    async with node.db.write() as db:
        await store.set_backfilled(db, actor_id, node.now())
    return applied


def _items(page: dict[str, Any]) -> list[Any]:
    items = page.get("orderedItems") or page.get("items") or []
    return items if isinstance(items, list) else []


async def _resolved(node: Node, item: Any, actor: RemoteActor) -> Any:
    """An outbox item given by id (bovine lists ids only) fetched from the actor's own host, and its
    object too when that is only linked; before the page's write transaction opens."""
    try:
        if isinstance(item, str) and same_host(item, actor.id):
            item = await node.http.get_json(item, await node_key(node))
        if isinstance(item, dict) and isinstance(item.get("object"), str) and item.get("type") != "Delete":
            object_id = item["object"]
            if same_host(object_id, actor.id):
                item = {**item, "object": await node.http.get_json(object_id, await node_key(node))}
    except FetchError as error:
        log.info("backfill could not fetch %s: %s", item if isinstance(item, str) else item.get("id"), error)
        return None
    return item


async def _apply_backfilled(db: aiosqlite.Connection, node: Node, item: Any, actor: RemoteActor) -> int:
    """One outbox item; items from another host, or that do not fit, are skipped (and logged)."""
    if not isinstance(item, dict) or item.get("type") not in ("Create", "Update", "Delete"):
        return 0
    obj = item.get("object")
    object_id = _id_of(obj)
    if object_id is None or not same_host(object_id, actor.id) or host_of(str(item.get("actor"))) != host_of(actor.id):
        return 0
    try:
        if item["type"] == "Delete":
            await remote_objects.on_delete(db, node, item, actor)
            return 1
        if not isinstance(obj, dict):
            return 0
        prepared = remote_objects.map_object(node, obj, str(item["actor"]), "/object")
        if prepared is None:
            return 0
        return int(await remote_objects.store(db, node, prepared))
    except SportnodeError as error:
        log.info("backfill skipped %s: %s", object_id, error.detail)
        return 0
