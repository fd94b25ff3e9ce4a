"""Recording what we publish as activities, and queueing them for every follower, in the caller's
write transaction: an object change and its deliveries commit together or not at all, so a crash
can neither lose a delivery nor send one for a change that never happened.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import aiosqlite

from node.protocol import activities
from node.services.node import Node
from node.store.federation import enqueue, follower_inboxes, put_outbox

BUILDERS = {"Create": activities.create, "Update": activities.update, "Delete": activities.delete}


def new_activity_id(node: Node) -> str:
    return node.activity_url(secrets.token_hex(12))


def node_followers(node: Node) -> str:
    return f"{node.config.node_id}followers"


async def publish_in(
    db: aiosqlite.Connection, node: Node, verb: str, document: Mapping[str, Any], actor: str
) -> dict[str, Any]:
    """Create/Update/Delete of one of our objects by `actor`, to the actor's and the node's followers."""
    activity = BUILDERS[verb](new_activity_id(node), actor, document, node.now(), [node_followers(node)])
    await put_outbox(db, activity, public=True)
    inboxes = await follower_inboxes(db, [actor, node.config.node_id])
    await enqueue(db, activity["id"], inboxes, actor, node.now())
    return activity


async def send_in(
    db: aiosqlite.Connection, node: Node, activity: Mapping[str, Any], inboxes: Iterable[str], *, public: bool
) -> None:
    """Record and queue an activity of ours (Follow, Accept, Undo, ...) for the given inboxes."""
    await put_outbox(db, activity, public=public)
    await enqueue(db, activity["id"], inboxes, activity["actor"], node.now())


async def announce_in(db: aiosqlite.Connection, node: Node, object_id: str) -> None:
    """An aggregator re-publishes a change to a remote object it holds: an Announce of the object's id
    by the node actor, to the node's followers. Plain nodes announce nothing."""
    await announce_all_in(db, node, [object_id])


async def announce_all_in(db: aiosqlite.Connection, node: Node, object_ids: Iterable[str]) -> None:
    """`announce_in` for each, the node's follower inboxes read once (a page stores up to 100)."""
    if not node.config.is_aggregator:
        return
    inboxes: list[str] | None = None
    for object_id in object_ids:
        activity = activities.announce(new_activity_id(node), node.config.node_id, object_id, node.now(),
                                       [node_followers(node)])
        await put_outbox(db, activity, public=True)
        if inboxes is None:
            inboxes = await follower_inboxes(db, [node.config.node_id])
        await enqueue(db, activity["id"], inboxes, node.config.node_id, node.now())
