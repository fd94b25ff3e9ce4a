"""Following and being followed: Follow / Accept / Reject / Undo, and backfill after an Accept.

Inbound Follows of our actors are accepted automatically unless the follower's domain is blocked, or
an allow list is set and does not name it. Our node follows other actors as the node actor; once the
Accept arrives, `backfill` pulls what the followed actor already published (its paged outbox), and
from then on pushes keep us current.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import aiosqlite

from node.errors import SportnodeError, forbidden
from node.federation import remote_objects
from node.federation.actors import fetch_actor, same_host
from node.protocol import activities
from node.services.http import FetchError
from node.services.node import Node
from node.services.outbox import new_activity_id, send_in
from node.store import federation as store
from node.store.federation import RemoteActor
from node.store.objects import get_object, live_remote_of_host, purge_remote_tombstones_of_host

log = logging.getLogger(__name__)

ACCT = re.compile(r"^(?:acct:)?@?([^@\s/]+)@([^@\s/]+)$")


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
    """The actor itself was deleted: it follows nothing of ours any more, and its key is no longer
    believed (a later request signed with it fetches the actor again, and finds it gone)."""
    await store.forget_remote_actor(db, actor_id)


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
        # Tombstones left by an earlier unfollow would hide what the new backfill brings.
        await purge_remote_tombstones_of_host(db, remote_objects.origin_prefix(actor.id))
        await store.put_following(db, actor.id, message["id"], node.now())
        await send_in(db, node, message, [actor.inbox], public=False)
    return actor


async def unfollow(node: Node, target: str) -> str:
    """Undo our Follow; what we hold from that host leaves the view (Tombstones, so that our own
    followers and feeds hear of it), unless we follow another actor there."""
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
        await drop_host_in(db, node, actor_id)
    return actor_id


async def drop_host_in(db: aiosqlite.Connection, node: Node, actor_id: str) -> None:
    """Bury every object of the actor's host, unless we still follow another actor there."""
    prefix = remote_objects.origin_prefix(actor_id)
    if await store.followed_host(db, prefix):
        return
    for found in await live_remote_of_host(db, prefix):
        await remote_objects.bury(db, node, found.id, None, found.origin or prefix)
