"""The hostile peer: every forged, replayed, foreign or oversized inbound POST is refused with the right
status and stores nothing. Requests are really signed (with a real peer node's key) and really sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import SHARED
from federation_net import Network, Peer, eventually
from inbox_net import create, event, post, refused
from inbox_net import pair as pair  # the fixture

from node.federation import follows
from node.protocol.signatures import sign_request, sign_rfc9421
from node.services.keys import generate_key_pair
from node.store.access import KeyPair


async def test_a_good_signed_create_is_stored_once(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    body = json.dumps(create(sender, event(sender))).encode()
    assert (await post(net, target, body, await sender.key()))[0] == 202
    assert (await post(net, target, body, await sender.key()))[0] == 202  # a replay: answered, not re-applied
    rows = await target.query("SELECT id, origin FROM objects WHERE id = ?", f"{sender.base}/activities/e1")
    assert rows == [(f"{sender.base}/activities/e1", sender.actor)]
    assert await target.query("SELECT count(*) FROM inbox_seen WHERE activity_id LIKE ?", "%/ap/c1") == [(1,)]


async def test_unsigned_forged_and_tampered(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    body = json.dumps(create(sender, event(sender))).encode()
    assert "not signed" in await refused(net, target, 401, body, None)
    stranger = await net.add("stranger")
    # Signed with the stranger's key while claiming the sender's key id: the signature does not verify.
    forged = KeyPair(sender.actor, (await stranger.key()).private_pem, "")
    assert "not valid" in await refused(net, target, 401, body, forged)
    tampered = body.replace(b"Walking football", b"Walking footbalL")
    assert "igest" in await refused(net, target, 401, body, await sender.key(), tamper=tampered)


async def test_date_outside_the_window(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    body = json.dumps(create(sender, event(sender))).encode()
    now = datetime.now(UTC)
    await refused(net, target, 401, body, await sender.key(), date=now - timedelta(hours=1, minutes=10))
    await refused(net, target, 401, body, await sender.key(), date=now + timedelta(hours=1, minutes=5))


async def test_key_of_another_actor_and_objects_of_another_host(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    stranger = await net.add("stranger")
    # The stranger signs, with its own valid key, an activity that claims the sender as actor.
    body = json.dumps(create(sender, event(sender))).encode()
    assert "signed by" in await refused(net, target, 403, body, await stranger.key())
    # The sender creates (or updates, or deletes) an object whose id is on the target's or stranger's host.
    for kind in ("Create", "Update", "Delete"):
        foreign = event(sender, id=f"{stranger.base}/activities/x")
        activity = create(sender, foreign, key=f"k{kind}", type=kind)
        await refused(net, target, 403, json.dumps(activity).encode(), await sender.key())
    # A host the target does not follow may not bring content at all.
    body = json.dumps(create(stranger, event(stranger))).encode()
    assert "does not follow" in await refused(net, target, 403, body, await stranger.key())


async def test_oversized_deep_and_foreign_context(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    key = await sender.key()
    huge = create(sender, event(sender, content="x" * (target.config.max_body_bytes + 10)))
    await refused(net, target, 413, json.dumps(huge).encode(), key)
    deep: Any = "bottom"
    for _ in range(60):
        deep = {"a": deep}
    await refused(net, target, 400, json.dumps(create(sender, event(sender, extra=deep))).encode(), key)
    remote_context = create(sender, event(sender), **{"@context": ["https://www.w3.org/ns/activitystreams",
                                                                    "https://evil.example/context.jsonld"]})
    assert "evil.example" in await refused(net, target, 400, json.dumps(remote_context).encode(), key)
    await refused(net, target, 400, b'{"id": ', key)
    # A type that is no name at all is refused; a type we merely do not act on (a Like) is answered
    # 202 and ignored (tests/test_inbox_ignored.py).
    await refused(net, target, 422, json.dumps({**create(sender, event(sender)), "type": 5}).encode(), key)


def fixture_as_sent_by(sender: Peer, name: str, host: str, actor: str) -> dict[str, Any]:
    """A real recorded payload, moved onto the sender's host (ids and actor), everything else as recorded."""
    text = (SHARED / "fixtures" / "fediverse" / name).read_text(encoding="utf-8")
    moved: dict[str, Any] = json.loads(text.replace(actor, sender.actor).replace(host, sender.base))
    return moved


async def test_real_mobilizon_and_gancio_payloads_are_ingested(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    key = await sender.key()
    mobilizon = fixture_as_sent_by(sender, "mobilizon-post-activity.json", "https://mobilizon.fr",
                                   "https://mobilizon.fr/@metacartes")
    gancio = fixture_as_sent_by(sender, "gancio-event-activity.json", "https://demo.gancio.org",
                                "https://demo.gancio.org/federation/u/gancio")
    for activity in (mobilizon, gancio):
        assert (await post(net, target, json.dumps(activity).encode(), key))[0] == 202
    stored = {row[0]: json.loads(row[1]) for row in await target.query(
        "SELECT id, document FROM objects WHERE kind = 'activity' AND origin = ?", sender.actor)}
    event = stored[mobilizon["object"]["id"]]
    assert event["name"] == "My first event" and event["location"]["address"]["addressLocality"] == "Lyon"
    assert event["location"]["id"].startswith("https://event1.tcit.fr/")  # a place id may live elsewhere
    assert stored[gancio["object"]["id"]]["location"]["name"] == "Colosseo"
    broken = {**mobilizon, "id": mobilizon["id"] + "-2",
              "object": {**mobilizon["object"], "id": mobilizon["object"]["id"] + "-2", "name": None}}
    assert "/object/name" in await refused(net, target, 422, json.dumps(broken).encode(), key)


async def test_rfc9421_and_hs2019_signatures_are_accepted(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    key = await sender.key()
    url = f"{target.base}/inbox"
    body = json.dumps(create(sender, event(sender, "e9421"), key="c9421")).encode()
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_rfc9421("POST", url, headers, body, f"{sender.actor}#main-key", key.private_pem,
                                now=datetime.now(UTC)))
    async with net.http.post(url, data=body, headers=headers) as response:
        assert response.status == 202, await response.text()
    body = json.dumps(create(sender, event(sender, "ehs"), key="chs")).encode()
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_request("POST", url, headers, body, f"{sender.actor}#main-key", key.private_pem,
                                "hs2019", now=datetime.now(UTC),
                                signed_headers=["(request-target)", "(created)", "host", "digest"]))
    async with net.http.post(url, data=body, headers=headers) as response:
        assert response.status == 202, await response.text()
    ids = {row[0] for row in await target.query("SELECT id FROM objects WHERE origin = ?", sender.actor)}
    assert {f"{sender.base}/activities/e9421", f"{sender.base}/activities/ehs"} <= ids


async def test_a_rotated_key_is_fetched_again_once(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    cached = await target.query("SELECT public_key_pem FROM remote_actors WHERE id = ?", sender.actor)
    fresh = generate_key_pair(sender.actor)
    async with sender.running.db.write() as db:
        await db.execute("UPDATE keys SET private_pem = ?, public_pem = ? WHERE actor_id = ?",
                         (fresh.private_pem, fresh.public_pem, sender.actor))
    body = json.dumps(create(sender, event(sender, "rotated"), key="crot")).encode()
    assert (await post(net, target, body, fresh))[0] == 202
    now_cached = await target.query("SELECT public_key_pem FROM remote_actors WHERE id = ?", sender.actor)
    assert cached != now_cached == [(fresh.public_pem,)]


async def test_blocked_domains_get_a_reject(tmp_path: Path) -> None:
    net = Network(tmp_path)
    try:
        closed = await net.add("closed", block_domains=("127.0.0.1",))
        hopeful = await net.add("hopeful")
        await follows.follow(hopeful.running, closed.actor)
        await eventually(lambda: hopeful.query("SELECT 1 FROM following WHERE state = 'rejected'"), what="reject")
        assert await closed.query("SELECT count(*) FROM followers") == [(0,)]
    finally:
        await net.close()
