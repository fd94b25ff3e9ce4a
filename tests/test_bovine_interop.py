"""Interop with a real third-party ActivityPub server on loopback: bovine-herd (issue 3, point 7).

No mocks: bovine runs as its own process (tests/bovine_peer.py, account alice) and one of our nodes
runs in this process (tests/federation_net.py); they talk HTTP on 127.0.0.1 with their real keys.

1. Our node follows alice (found by WebFinger); bovine never accepts by itself, so alice accepts
   through bovine's client API, and our `following` row turns 'accepted'.
2. alice's Create, Update and Delete of an Event reach our inbox. The inbox applies an activity only
   after the HTTP signature verified against the key it fetched from bovine (else 401) and only from
   a host we follow (else 403), and records its id in `inbox_seen` (a backfill records nothing): so
   the Event in `objects` with origin alice, renamed, then a Tombstone, proves all three verified.
3. alice follows our node; our node accepts by itself and bovine records the Accept (alice's
   `following`). An organisation publishes a place and an activity, changes and deletes the
   activity: each Create, Update and Delete shows in alice's inbox, which bovine fills only after
   verifying our signature, and bovine's own copy follows (renamed, then a Tombstone). Our delivery
   queue ends empty with nothing given up: bovine answered every delivery 2xx.

What bovine sends (seen here, worth knowing for any peer of its kind): draft-cavage `Signature`
(rsa-sha256, keyId `<actor>#serverKey`, headers "(request-target) host date digest content-type")
with `Digest: sha-256=`; every activity recompacted against bovine's own context (ActivityStreams,
security/v1, did/v1, multikey/v1), so terms outside those come as full IRIs; `to`/`cc` of one
address as a plain string, the public collection as "as:Public"; a Delete names only the object's id.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bovine_peer import AS_PUBLIC, BovinePeer
from conftest import activity_input, place_input
from federation_net import Network, Peer, eventually

from node.federation import follows
from node.protocol.jsonld import AS_CONTEXT, SPORTNODE_CONTEXT

TIMEOUT = 30.0
# What alice writes: ActivityStreams plus our context (seeded in bovine's context cache), so that
# bovine's JSON-LD processing keeps the schema.org terms of the location.
CONTEXT = [AS_CONTEXT, SPORTNODE_CONTEXT]


@pytest.fixture
async def bovine(tmp_path: Path) -> AsyncIterator[BovinePeer]:
    async with BovinePeer(tmp_path / "bovine") as running:
        yield running


@pytest.fixture
async def net(tmp_path: Path) -> AsyncIterator[Network]:
    network = Network(tmp_path / "nodes")
    yield network
    await network.close()


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


async def _row(peer: Peer, object_id: str) -> dict[str, Any] | None:
    rows = await peer.query("SELECT kind, origin, document, deleted FROM objects WHERE id = ?", object_id)
    if not rows:
        return None
    kind, origin, document, deleted = rows[0]
    return {"kind": kind, "origin": origin, "document": json.loads(document), "deleted": deleted}


async def _seen(peer: Peer, activity_id: str) -> list[tuple[Any, ...]]:
    """Who sent `activity_id` to our inbox (recorded only after its signature verified)."""
    return await peer.query("SELECT actor FROM inbox_seen WHERE activity_id = ?", activity_id)


async def _queue_empty(peer: Peer) -> bool:
    rows = await peer.query("SELECT (SELECT count(*) FROM deliveries), (SELECT count(*) FROM failed_deliveries)")
    return rows[0] == (0, 0)


def _event(bovine: BovinePeer, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Event",
        "attributedTo": bovine.actor_id,
        "name": name,
        "content": "<p>Rustig voetballen, zonder rennen.</p>",
        "startTime": "2027-03-02T10:00:00+01:00",
        "endTime": "2027-03-02T11:00:00+01:00",
        "location": {
            "type": "Place",
            "name": "Sporthal Noord",
            "address": {
                "type": "PostalAddress",
                "streetAddress": "Noorderweg 3",
                "postalCode": "3812 CD",
                "addressLocality": "Amersfoort",
            },
        },
        "to": [AS_PUBLIC],
        "cc": [bovine.followers],
        **extra,
    }


async def _post(bovine: BovinePeer, kind: str, obj: Any) -> dict[str, Any]:
    """alice posts `kind` of `obj` to the public and her followers (our node, once it follows her)."""
    return await bovine.post_as_alice(
        {"@context": CONTEXT, "type": kind, "to": [AS_PUBLIC], "cc": [bovine.followers], "object": obj}
    )


async def _follow_alice(bovine: BovinePeer, ours: Peer, target: str) -> None:
    """Our node follows alice (`target`: her actor id or alice@host), and she accepts."""
    followed = await follows.follow(ours.running, target)
    assert (followed.id, followed.inbox, followed.key_id) == (bovine.actor_id, bovine.inbox, bovine.key_id)
    # In her inbox only if bovine verified our signature (it fetched our node actor's key for that).
    follow = await bovine.wait_for_inbox(
        lambda item: item["type"] == "Follow" and _id(item["actor"]) == ours.actor, timeout=TIMEOUT
    )
    assert _id(follow["object"]) == bovine.actor_id
    rows = await ours.query("SELECT follow_id, state FROM following WHERE remote_actor = ?", bovine.actor_id)
    assert rows == [(follow["id"], "pending")]

    accept = await bovine.accept_follow(follow)
    await eventually(
        lambda: ours.query("SELECT 1 FROM following WHERE remote_actor = ? AND state = 'accepted'", bovine.actor_id),
        TIMEOUT, "alice's Accept of our Follow",
    )
    assert await _seen(ours, accept["id"]) == [(bovine.actor_id,)]
    assert ours.actor in await bovine.follower_ids()
    # The Accept starts a backfill of her outbox (signed GET); wait for it, so that what follows
    # comes by push alone.
    await eventually(
        lambda: ours.query("SELECT 1 FROM following WHERE remote_actor = ? AND backfilled IS NOT NULL",
                           bovine.actor_id),
        TIMEOUT, "the backfill from alice's outbox",
    )


async def test_bovine_and_our_node_federate_both_ways(bovine: BovinePeer, net: Network) -> None:
    ours = await net.add("amersfoort")

    # -- 1. our node follows alice, found by WebFinger (by actor URL it resolves the same) ---------
    assert (await follows.resolve(ours.running, bovine.actor_id)).id == bovine.actor_id
    await _follow_alice(bovine, ours, f"alice@127.0.0.1:{bovine.port}")

    # -- 2. alice's Create, Update and Delete of an Event reach our node, signatures verified ------
    created = await _post(bovine, "Create", _event(bovine, "Walking football in Noord"))
    event_id = created["object"]["id"]
    assert event_id.startswith(bovine.base_url + "/objects/")
    stored = await eventually(lambda: _row(ours, event_id), TIMEOUT, "alice's Create of the Event")
    assert await _seen(ours, created["id"]) == [(bovine.actor_id,)]
    assert (stored["kind"], stored["origin"], stored["deleted"]) == ("activity", bovine.actor_id, None)
    event = stored["document"]
    assert event["type"] == "Event" and event["attributedTo"] == bovine.actor_id
    assert event["name"] == "Walking football in Noord"
    assert (event["startTime"], event["endTime"]) == ("2027-03-02T10:00:00+01:00", "2027-03-02T11:00:00+01:00")
    assert event["sport"] == "https://w3id.org/sportnode/sports#walking-football"  # read from the name
    assert event["location"]["type"] == "Place" and event["location"]["name"] == "Sporthal Noord"
    # bovine wrote to: "as:Public" and cc: <followers> as strings; we hold them spelled out, as lists.
    assert (event["to"], event["cc"]) == ([AS_PUBLIC], [bovine.followers])

    updated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    changed = await _post(bovine, "Update", _event(bovine, "Walking football in Noord, ook op zaterdag",
                                                   id=event_id, updated=updated))

    async def renamed() -> dict[str, Any] | None:
        row = await _row(ours, event_id)
        return row if row and row["document"]["name"] == "Walking football in Noord, ook op zaterdag" else None

    stored = await eventually(renamed, TIMEOUT, "alice's Update of the Event")
    assert await _seen(ours, changed["id"]) == [(bovine.actor_id,)]
    assert stored["document"]["updated"] == updated and stored["origin"] == bovine.actor_id

    deleted = await bovine.post_as_alice(
        {"type": "Delete", "to": [AS_PUBLIC], "cc": [bovine.followers], "object": event_id}
    )

    async def buried() -> dict[str, Any] | None:
        row = await _row(ours, event_id)
        return row if row and row["deleted"] else None

    tomb = await eventually(buried, TIMEOUT, "alice's Delete of the Event")
    assert await _seen(ours, deleted["id"]) == [(bovine.actor_id,)]
    assert tomb["document"]["type"] == "Tombstone" and tomb["document"]["formerType"] == "Event"

    # -- 3. alice follows our node; our Accept, Create, Update and Delete reach her ---------------
    follow = await bovine.post_as_alice({"type": "Follow", "object": ours.actor, "to": [ours.actor]})
    await eventually(
        lambda: ours.query("SELECT 1 FROM followers WHERE local_actor = ? AND remote_actor = ? AND follow_id = ?",
                           ours.actor, bovine.actor_id, follow["id"]),
        TIMEOUT, "alice's Follow of our node",
    )
    accept = await bovine.wait_for_inbox(
        lambda item: item["type"] == "Accept" and _id(item["actor"]) == ours.actor, timeout=TIMEOUT
    )
    assert _id(accept["object"]) == follow["id"]

    async def alice_follows_us() -> bool:
        return ours.actor in await bovine.following_ids()

    await bovine.wait_for(alice_follows_us, TIMEOUT)  # bovine took our Accept

    club = await net.organisation(ours, "Buurtsportcoach Amersfoort")
    place = await net.api(ours, "POST", "/api/places", club["headers"], place_input())
    activity = await net.api(ours, "POST", "/api/activities", club["headers"], activity_input(place["id"]))
    for object_id in (club["id"], place["id"], activity["id"]):
        got = await bovine.wait_for_inbox(
            lambda item, o=object_id: item["type"] == "Create" and _id(item["object"]) == o, timeout=TIMEOUT
        )
        assert _id(got["actor"]) == club["id"]
    theirs = await bovine.fetch_as_alice(activity["id"])  # bovine's stored copy
    assert theirs["type"] == "Event" and theirs["name"] == activity["name"]
    assert _id(theirs["attributedTo"]) == club["id"]

    key = activity["id"].rsplit("/", 1)[1]
    await net.api(ours, "PUT", f"/api/activities/{key}", club["headers"],
                  activity_input(place["id"], name="Walking football, nu ook op vrijdag"))
    await bovine.wait_for_inbox(
        lambda item: item["type"] == "Update" and _id(item["object"]) == activity["id"], timeout=TIMEOUT
    )
    theirs = await bovine.fetch_as_alice(activity["id"])
    assert theirs["name"] == "Walking football, nu ook op vrijdag"

    await net.api(ours, "DELETE", f"/api/activities/{key}", club["headers"])
    await bovine.wait_for_inbox(
        lambda item: item["type"] == "Delete" and _id(item["object"]) == activity["id"], timeout=TIMEOUT
    )
    assert (await bovine.fetch_as_alice(activity["id"]))["type"] == "Tombstone"

    # Every delivery of ours (Follow, Accept, 3 Creates, Update, Delete) was answered 2xx.
    await eventually(lambda: _queue_empty(ours), TIMEOUT, "our delivery queue to drain")


async def test_backfill_from_bovine_keeps_the_address(bovine: BovinePeer, net: Network) -> None:
    """An Event alice posted before we followed arrives by backfill: bovine's outbox is one unpaged
    collection of ids, each fetched (signed); its schema.org terms come as full IRIs, and are read."""
    ours = await net.add("utrecht")
    created = await _post(bovine, "Create", _event(bovine, "Walking football in Noord"))
    await _follow_alice(bovine, ours, bovine.actor_id)  # by actor URL this time
    stored = await eventually(lambda: _row(ours, created["object"]["id"]), TIMEOUT, "the backfilled Event")
    assert await _seen(ours, created["id"]) == []  # it came by backfill, not by push
    assert stored["document"]["location"]["address"] == {
        "type": "PostalAddress", "streetAddress": "Noorderweg 3", "postalCode": "3812 CD",
        "addressLocality": "Amersfoort"}
