"""The inbox: every inbound POST is authenticated first, then parsed, schema-checked, checked for who may
say what, and only then applied, once per activity id. Any failure raises a SportnodeError (4xx) and
stores nothing.

The order is the answer's order: a request that is not signed, or whose signature does not verify,
is 401 whatever its body holds (nothing of an unauthenticated body is read); then the body's limits
(400); then activities of a kind we do not act on are answered 202 and counted (`ignored.py`); then
the schema of the kind we do act on (422); then the hosts (403); then, for content only, the contexts
(400).

Who may say what (DESIGN.md, "Security rules"): the request is signed with a key whose owner is the
activity's actor; the activity's id, and the id of any object it creates, updates or deletes, are on
the actor's own host. Content is taken only from hosts this node follows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node import observe
from node.errors import forbidden, invalid_input, unauthorized
from node.federation import follows, ignored, remote_objects, sync
from node.federation.actors import ACTOR_TYPES, actor_for_key, host_of, parse_actor, same_host
from node.protocol import inbound
from node.protocol.inbound_fields import type_names
from node.protocol.limits import parse_json_object
from node.protocol.signatures import SignatureError, signature_key_id, verify_request
from node.services.http import FetchError, Gone
from node.services.node import Node
from node.store.federation import RemoteActor, mark_seen, put_remote_actor

log = logging.getLogger(__name__)

# The activities whose object may become content of ours.
CONTENT_TYPES = ("Create", "Update", "Announce")


@dataclass(frozen=True)
class InboundRequest:
    method: str
    url: str  # the absolute URL as our public base URL names it (behind a proxy too)
    headers: Mapping[str, str]
    body: bytes


class _SignerGone(Exception):
    """The signing key's actor answers 410: deleted, so its signature can no longer be checked."""


def _parse(node: Node, body: bytes) -> dict[str, Any]:
    return parse_json_object(body, max_bytes=node.config.max_body_bytes, max_depth=node.config.max_json_depth)


def _validated(node: Node, activity: dict[str, Any]) -> dict[str, Any]:
    errors = inbound.validate_inbound(activity, node.inbound_schemas)
    if errors:
        raise invalid_input(errors, "The activity is not one this node accepts.")
    return inbound.normalise_addressing(activity)


async def _actor_for(node: Node, key_id: str, *, refresh: bool = False) -> RemoteActor:
    try:
        return await actor_for_key(node, key_id, refresh=refresh)
    except Gone:
        raise _SignerGone(key_id) from None
    except FetchError as error:
        raise unauthorized(f"The signing key {key_id} cannot be fetched: {error}") from None


def require_signed(headers: Mapping[str, str]) -> str:
    """The key id a request's signature names; 401 when it carries none. Runs before the body is read,
    so that an unsigned request is 401 whatever its body (even one too large to read)."""
    try:
        return signature_key_id(headers)
    except SignatureError as error:
        raise unauthorized(f"The request is not signed: {error}") from None


async def verified_actor(node: Node, request: InboundRequest) -> RemoteActor:
    """The actor whose key signed the request; refetches the key once when it does not verify
    (the actor may have rotated it)."""
    key_id = require_signed(request.headers)
    actor = await _actor_for(node, key_id)
    for attempt in (1, 2):
        try:
            verify_request(request.method, request.url, request.headers, request.body, actor.public_key_pem,
                           now=node.clock())
            return actor
        except SignatureError as error:
            if attempt == 2 or "does not verify" not in str(error):
                raise unauthorized(f"The signature is not valid: {error}") from None
        actor = await _actor_for(node, key_id, refresh=True)
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


async def _gone_signer(node: Node, request: InboundRequest, key_id: str) -> None:
    """A deleted actor's farewell: Mastodon sends the Delete of an account, signed with its key, after
    the account answers 410, so the key can no longer be fetched. Such a Delete changes nothing here
    that a check could protect: answered 202 and counted. Anything else is unauthenticated (401)."""
    try:
        activity = json.loads(request.body)
    except ValueError:
        activity = None
    if (isinstance(activity, dict) and activity.get("type") == "Delete"
            and isinstance(activity.get("actor"), str) and host_of(activity["actor"]) == host_of(key_id)
            and inbound_object_id(activity) == activity["actor"]):
        await ignored.ignore(node, activity, "gone-actor")
        return
    raise unauthorized(f"The signing key {key_id} is gone (410); the signature cannot be checked.")


def _is_actor_object(activity: Mapping[str, Any], actor: RemoteActor) -> bool:
    return inbound_object_id(activity) == actor.id


def _also_held_as_object(activity: Mapping[str, Any]) -> bool:
    """An organisation is an actor and also an object we store (its profile): its Update changes both."""
    obj = activity["object"]
    return isinstance(obj, Mapping) and remote_objects.kind_of(obj) is not None


def _not_acted_on(activity: Mapping[str, Any]) -> str | None:
    """Why a checked activity of a kind we act on is still left aside (its ignored label), or None."""
    kind, obj = activity["type"], activity["object"]
    if kind in CONTENT_TYPES and isinstance(obj, Mapping) and remote_objects.kind_of(obj) is None:
        return ignored.object_type(activity)  # a Note, a Question, ...: not part of our model
    if kind == "Undo" and isinstance(obj, Mapping) and obj.get("type") != "Follow":
        return ignored.object_type(activity)  # the Undo of a Like, say
    return None


async def _not_ours_to_take(node: Node, activity: Mapping[str, Any], actor: RemoteActor) -> str | None:
    """Who may make us fetch or change what: an Announce only from an actor on a host we follow, and of
    an object on a host we follow or trust (nothing is fetched otherwise); a Delete of an object only
    from a host we follow (no Tombstone is planted otherwise). The ignored label, or None."""
    kind = activity["type"]
    if kind == "Announce":
        if not await remote_objects.follows_host_of(node, actor.id):
            return "unfollowed-actor"
        object_id = inbound_object_id(activity)
        if object_id is None or not await remote_objects.may_fetch_from(node, object_id):
            return "unfollowed-host"
    if kind == "Delete" and not _is_actor_object(activity, actor) and not await remote_objects.follows_host_of(
            node, actor.id):
        return "unfollowed-host"
    return None


async def _refresh_actor(node: Node, activity: Mapping[str, Any], actor: RemoteActor) -> None:
    """An Update of the signing actor itself: its new document (and key) replaces the cached one.
    Embedded, the document is vouched for by the actor's own signature; linked, it is fetched."""
    obj = activity["object"]
    if isinstance(obj, Mapping) and ACTOR_TYPES.intersection(type_names(obj.get("type"))):
        try:
            fresh = parse_actor(dict(obj), actor.id, node.now())
        except FetchError as error:
            log.info("the embedded update of %s is not usable (%s); fetching it", actor.id, error)
        else:
            async with node.db.write() as db:
                await put_remote_actor(db, fresh)
            return
    try:
        await actor_for_key(node, actor.key_id, refresh=True)
    except FetchError as error:
        log.info("the update of %s could not be fetched: %s", actor.id, error)


async def receive(node: Node, request: InboundRequest) -> None:
    """Check and apply one inbound activity. Personal and shared inboxes are treated alike: what an
    activity is about (the Follow's object, say) is in the activity, not in the inbox it came to."""
    try:
        actor = await verified_actor(node, request)
    except _SignerGone as gone:
        await _gone_signer(node, request, str(gone))
        return
    activity = _parse(node, request.body)
    if isinstance(activity.get("type"), str) and activity["type"] not in inbound.INBOUND_TYPES:
        await ignored.ignore(node, activity)
        return
    if activity.get("type") in CONTENT_TYPES and isinstance(activity.get("object"), list):
        # GoToSocial sends the votes of a poll as one Create of several Notes: nothing of ours.
        await ignored.ignore(node, activity, "several-objects")
        return
    activity = _validated(node, activity)
    check_hosts(activity, actor)
    if activity["type"] == "Update" and _is_actor_object(activity, actor):
        await _refresh_actor(node, activity, actor)
        if not _also_held_as_object(activity):
            return
    if reason := _not_acted_on(activity):
        await ignored.ignore(node, activity, reason)
        return
    if reason := await _not_ours_to_take(node, activity, actor):
        await ignored.ignore(node, activity, reason)
        return
    if activity["type"] in CONTENT_TYPES:
        # Only what we may store is read as linked data: a context we would have to fetch is refused
        # there, and nowhere else (GoToSocial names one in everything it sends).
        inbound.check_context(activity)
    # Network work (fetching an announced or linked object) happens before the write transaction.
    prepared = await remote_objects.prepare(node, activity, actor)
    if prepared is None and activity["type"] in CONTENT_TYPES:
        await ignored.ignore(node, activity, "not-modelled")
        return

    async def apply(db: aiosqlite.Connection) -> bool:
        if not await mark_seen(db, activity["id"], actor.id, node.now()):
            return False
        await _apply(db, node, activity, actor, prepared)
        return True

    # Group commit: concurrent activities share one transaction (one that fails is undone alone), and
    # this returns, so that the caller answers 202, only once this one is committed.
    if not await node.db.grouped_write(apply):
        log.info("already applied %s; ignored", activity["id"])
        observe.inbox_duplicate()  # for /metrics
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
    elif kind == "Delete" and _is_actor_object(activity, actor):
        await follows.forget_actor(db, actor.id)
    elif kind == "Delete":
        await remote_objects.on_delete(db, node, activity, actor)
    elif prepared is not None:
        await remote_objects.store(db, node, prepared)
