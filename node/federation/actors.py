"""Remote actors and their keys: fetched with a signed GET, checked, cached in the database.

An actor document is believed only for its own host: its id must be the URL it was fetched from (or at
least on the same host), and its key must name it as owner, so that one host cannot hand out keys or
inboxes for another.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urldefrag, urlsplit

from node.federation.key_guard import key_guard
from node.services.http import FetchError, Gone
from node.services.node import Node
from node.store import access
from node.store.federation import RemoteActor, get_remote_actor, get_remote_actor_by_key, put_remote_actor

ACTOR_TYPES = {"Person", "Organization", "Application", "Service", "Group"}


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def same_host(a: str, b: str) -> bool:
    return host_of(a) == host_of(b)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _key_of(document: dict[str, Any], actor_id: str) -> tuple[str, str]:
    keys = document.get("publicKey")
    for key in keys if isinstance(keys, list) else [keys]:
        if isinstance(key, dict) and key.get("owner") == actor_id and _text(key.get("publicKeyPem")):
            key_id = _text(key.get("id"))
            if key_id and same_host(key_id, actor_id):
                return key_id, str(key["publicKeyPem"])
    raise FetchError(f"{actor_id} publishes no RSA public key that it owns")


def parse_actor(document: dict[str, Any], fetched_from: str, now: str) -> RemoteActor:
    """The parts of an actor document we rely on, checked; FetchError when any is missing or foreign."""
    actor_id = _text(document.get("id"))
    types = document.get("type")
    type_list = types if isinstance(types, list) else [types]
    if actor_id is None or not ACTOR_TYPES.intersection(t for t in type_list if isinstance(t, str)):
        raise FetchError(f"{fetched_from} is not an actor")
    if not same_host(actor_id, fetched_from):
        raise FetchError(f"{fetched_from} answered an actor of another host ({actor_id})")
    inbox = _text(document.get("inbox"))
    if inbox is None or not same_host(inbox, actor_id):
        raise FetchError(f"{actor_id} has no inbox on its own host")
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    shared = _text(endpoints.get("sharedInbox")) if endpoints else None
    if shared and not same_host(shared, actor_id):
        shared = None
    key_id, pem = _key_of(document, actor_id)
    outbox = _text(document.get("outbox"))
    return RemoteActor(actor_id, key_id, pem, inbox, shared, outbox, document, now)


async def node_key(node: Node) -> access.KeyPair:
    async with node.db.read() as db:
        pair = await access.get_key(db, node.config.node_id)
    if pair is None:
        raise RuntimeError("the node has no key yet (ensure_node_key runs at start)")
    return pair


async def fetch_actor(node: Node, actor_id: str) -> RemoteActor:
    """Fetch (signed, as the node) and cache an actor, whatever the cache holds."""
    url, _ = urldefrag(actor_id)
    document = await node.http.get_json(url, await node_key(node))
    actor = parse_actor(document, url, node.now())
    async with node.db.write() as db:
        await put_remote_actor(db, actor)
    return actor


async def get_actor(node: Node, actor_id: str) -> RemoteActor:
    async with node.db.read() as db:
        cached = await get_remote_actor(db, actor_id)
    return cached or await fetch_actor(node, actor_id)


async def actor_for_key(node: Node, key_id: str, *, refresh: bool = False) -> RemoteActor:
    """The actor owning `key_id`: from the cache unless `refresh`, else fetched from the key's URL.

    The key URL may answer the actor itself (Mastodon: `actor#main-key`) or a key document naming its
    owner (`/keys/1`), which we then fetch.
    """
    if not refresh:
        async with node.db.read() as db:
            cached = await get_remote_actor_by_key(db, key_id)
        if cached:
            return cached
    guard, now = key_guard(node), node.clock()
    guard.allow(key_id, now)  # limited per host; a recent failure is not fetched again
    try:
        return await _fetch_key_owner(node, key_id)
    except Gone:
        raise  # a deleted actor's farewell is handled by the inbox, and needs the 410 each time
    except FetchError as error:
        guard.failed(key_id, now, str(error))
        raise


async def _fetch_key_owner(node: Node, key_id: str) -> RemoteActor:
    url, _ = urldefrag(key_id)
    document = await node.http.get_json(url, await node_key(node))
    owner = document.get("owner")
    if isinstance(owner, str) and "inbox" not in document:
        if not same_host(owner, key_id):
            raise FetchError(f"the key {key_id} names an owner on another host")
        actor = await fetch_actor(node, owner)
    else:
        actor = parse_actor(document, url, node.now())
        async with node.db.write() as db:
            await put_remote_actor(db, actor)
    if actor.key_id != key_id:
        raise FetchError(f"{actor.id} does not own the key {key_id}")
    return actor
