"""The inbox: every inbound POST is limited, parsed, schema-checked, signature-checked and only then
applied, once per activity id. Any failure raises a SportnodeError (4xx) and stores nothing.

Who may say what (DESIGN.md, "Security rules"): the request is signed with a key whose owner is the
activity's actor; the activity's id, and the id of any object it creates, updates or deletes, are on
the actor's own host. Content is taken only from hosts this node follows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.errors import forbidden, invalid_input, unauthorized
from node.federation import follows, remote_objects, sync
from node.federation.actors import actor_for_key, same_host
from node.federation.http import FetchError
from node.protocol import inbound
from node.protocol.limits import parse_json_object
from node.protocol.signatures import SignatureError, signature_key_id, verify_request
from node.services.node import Node
from node.store.federation import RemoteActor, mark_seen

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundRequest:
    method: str
    url: str  # the absolute URL as our public base URL names it (behind a proxy too)
    headers: Mapping[str, str]
    body: bytes


def _parse(node: Node, body: bytes) -> dict[str, Any]:
    activity = parse_json_object(body, max_bytes=node.config.max_body_bytes, max_depth=node.config.max_json_depth)
    inbound.check_context(activity)
    errors = inbound.validate_inbound(activity, node.inbound_schemas)
    if errors:
        raise invalid_input(errors, "The activity is not one this node accepts.")
    return inbound.normalise_addressing(activity)


async def verified_actor(node: Node, request: InboundRequest) -> RemoteActor:
    """The actor whose key signed the request; refetches the key once when it does not verify
    (the actor may have rotated it)."""
    try:
        key_id = signature_key_id(request.headers)
    except SignatureError as error:
        raise unauthorized(f"The request is not signed: {error}") from None
    try:
        actor = await actor_for_key(node, key_id)
    except FetchError as error:
        raise unauthorized(f"The signing key {key_id} cannot be fetched: {error}") from None
    for attempt in (1, 2):
        try:
            verify_request(request.method, request.url, request.headers, request.body, actor.public_key_pem,
                           now=node.clock())
            return actor
        except SignatureError as error:
            if attempt == 2 or "does not verify" not in str(error):
                raise unauthorized(f"The signature is not valid: {error}") from None
        try:
            actor = await actor_for_key(node, key_id, refresh=True)
        except FetchError as error:
            raise unauthorized(f"The signing key {key_id} cannot be fetched: {error}") from None
    raise AssertionError("unreachable")


def inbound_object_id(activity: Mapping[str, Any]) -> str | None:
    obj = activity.get("object")
    value = obj.get("id") if isinstance(obj, dict) else obj
    return value if isinstance(value, str) else None


def check_hosts(activity: Mapping[str, Any], actor: RemoteActor) -> None:
    if activity["actor"] != actor.id:
        raise forbidden(f"The request is signed by {actor.id}, but the activity's actor is {activity['actor']}.")
    if not same_host(activity["id"], actor.id):
        raise forbidden("The activity's id is not on its actor's host.")
    if activity["type"] in ("Create", "Update", "Delete"):
        object_id = inbound_object_id(activity)
        if object_id is None or not same_host(object_id, actor.id):
            raise forbidden(f"{actor.id} may not {activity['type'].lower()} an object of another host.")


async def receive(node: Node, request: InboundRequest) -> None:
    """Check and apply one inbound activity. Personal and shared inboxes are treated alike: what an
    activity is about (the Follow's object, say) is in the activity, not in the inbox it came to."""
    activity = _parse(node, request.body)
    actor = await verified_actor(node, request)
    check_hosts(activity, actor)
    # Network work (fetching an announced or linked object) happens before the write transaction.
    prepared = await remote_objects.prepare(node, activity, actor)

    async def apply(db: aiosqlite.Connection) -> bool:
        if not await mark_seen(db, activity["id"], actor.id, node.now()):
            return False
        await _apply(db, node, activity, actor, prepared)
        return True

    # Group commit: concurrent activities share one transaction (one that fails is undone alone), and
    # this returns, so that the caller answers 202, only once this one is committed.
    if not await node.db.grouped_write(apply):
        log.info("already applied %s; ignored", activity["id"])
        return
    if activity["type"] == "Accept":
        sync.schedule_backfill(node, actor.id)
    if prepared is not None and prepared.sync_outbox:
        sync.schedule_origin_syncs(node)


async def _apply(
    db: aiosqlite.Connection,
    node: Node,
    activity: dict[str, Any],
    actor: RemoteActor,
    prepared: remote_objects.Prepared | None,
) -> None:
    kind = activity["type"]
    if kind == "Follow":
        await follows.on_follow(db, node, activity, actor)
    elif kind in ("Accept", "Reject"):
        await follows.on_answer(db, node, activity, actor)
    elif kind == "Undo":
        await follows.on_undo(db, node, activity, actor)
    elif kind == "Delete" and inbound_object_id(activity) == actor.id:
        await follows.forget_actor(db, actor.id)
    elif kind == "Delete":
        await remote_objects.on_delete(db, node, activity, actor)
    elif prepared is not None:
        await remote_objects.store(db, node, prepared)

