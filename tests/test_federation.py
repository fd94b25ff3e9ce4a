"""Federation between real nodes on loopback: discovery, follow, backfill, and pushes of every change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import activity_input, place_input
from federation_net import Network, Peer, eventually

from node.federation import follows

AS = {"Accept": "application/activity+json"}


@pytest.fixture
async def net(tmp_path: Path) -> AsyncIterator[Network]:
    network = Network(tmp_path)
    yield network
    await network.close()


async def remote_objects(peer: Peer, origin: Peer, kind: str) -> dict[str, dict[str, Any]]:
    import json

    rows = await peer.query("SELECT id, document, deleted FROM objects WHERE kind = ? AND substr(id, 1, length(?)) = ?",
                            kind, origin.base + "/", origin.base + "/")
    return {row[0]: {**json.loads(row[1]), "_deleted": row[2]} for row in rows}


async def test_webfinger_and_nodeinfo(net: Network) -> None:
    peer = await net.add("solo")
    club = await net.organisation(peer, "Korfbalvereniging De Zwaluwen")
    host = peer.base.split("://")[1]
    async with net.http.get(f"{peer.base}/.well-known/webfinger", params={"resource": f"acct:node@{host}"}) as r:
        assert r.status == 200 and r.content_type == "application/jrd+json"
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        body = await r.json(content_type=None)
        assert body["subject"] == f"acct:node@{host}"
        assert {"rel": "self", "type": "application/activity+json", "href": peer.actor} in body["links"]
    resource = f"acct:korfbalvereniging-de-zwaluwen@{host}"
    async with net.http.get(f"{peer.base}/.well-known/webfinger", params={"resource": resource}) as r:
        assert (await r.json(content_type=None))["links"][0]["href"] == club["id"]
    for bad, status in (("nobody", 400), ("acct:nobody@" + host, 404), ("acct:node@elsewhere.example", 404),
                        ("", 400)):
        async with net.http.get(f"{peer.base}/.well-known/webfinger", params={"resource": bad}) as r:
            assert r.status == status, bad
            assert r.content_type == "application/problem+json"
    async with net.http.get(f"{peer.base}/.well-known/nodeinfo") as r:
        links = (await r.json())["links"]
        assert [link["rel"] for link in links] == ["http://nodeinfo.diaspora.software/ns/schema/2.1"]
    async with net.http.get(links[0]["href"]) as r:
        info = await r.json(content_type=None)
        assert info["version"] == "2.1" and info["protocols"] == ["activitypub"]
        assert info["software"]["name"] == "sportnode" and info["usage"]["users"]["total"] == 1
    async with net.http.get(club["id"], headers=AS) as r:
        actor = await r.json(content_type=None)
        assert actor["endpoints"]["sharedInbox"] == f"{peer.base}/inbox"
        assert actor["publicKey"]["owner"] == club["id"]


async def test_follow_backfill_and_every_change_propagates(net: Network) -> None:
    origin = await net.add("amersfoort")
    first, second = await net.add("utrecht"), await net.add("provincie")
    club = await net.organisation(origin, "Buurtsportcoach Amersfoort")
    place = await net.api(origin, "POST", "/api/places", club["headers"], place_input())
    before = await net.api(origin, "POST", "/api/activities", club["headers"], activity_input(place["id"]))

    for follower in (first, second):
        await follows.follow(follower.running, origin.actor)
        await eventually(lambda f=follower: f.query("SELECT 1 FROM following WHERE state = 'accepted'"),
                         what=f"{follower.name}'s follow accepted")
    # Backfill: what was published before the follow arrives by the paged outbox.
    for follower in (first, second):
        found = await eventually(lambda f=follower: remote_objects(f, origin, "activity"), what="backfill")
        assert found[before["id"]]["name"] == before["name"]
        assert (await remote_objects(follower, origin, "place"))[place["id"]]["address"]["postalCode"] == "3811 AB"
        assert club["id"] in await remote_objects(follower, origin, "organisation")

    # Then pushes: create, update, delete.
    new = await net.api(origin, "POST", "/api/activities", club["headers"],
                        activity_input(place["id"], name="Zitvoetbal"))
    key = new["id"].rsplit("/", 1)[1]
    for follower in (first, second):
        await eventually(lambda f=follower: _has(f, origin, new["id"]), what="pushed Create")
    changed = await net.api(origin, "PUT", f"/api/activities/{key}", club["headers"],
                            activity_input(place["id"], name="Zitvoetbal voor iedereen"))
    for follower in (first, second):
        await eventually(lambda f=follower: _named(f, origin, new["id"], "Zitvoetbal voor iedereen"),
                         what="pushed Update")
    await net.api(origin, "DELETE", f"/api/activities/{key}", club["headers"])
    for follower in (first, second):
        await eventually(lambda f=follower: _deleted(f, origin, new["id"]), what="pushed Delete")
    assert changed["updated"] >= new["updated"]
    # Nothing of the origin shows in the followers' own collections: they list their own offering only.
    async with net.http.get(first.base + "/activities?page=1", headers=AS) as r:
        assert (await r.json(content_type=None)).get("orderedItems", []) == []
    # The queue ends empty and nothing failed.
    await eventually(lambda: _queue_empty(origin), what="origin's queue to drain")


async def _has(peer: Peer, origin: Peer, object_id: str) -> bool:
    return object_id in await remote_objects(peer, origin, "activity")


async def _named(peer: Peer, origin: Peer, object_id: str, name: str) -> bool:
    return (await remote_objects(peer, origin, "activity")).get(object_id, {}).get("name") == name


async def _deleted(peer: Peer, origin: Peer, object_id: str) -> bool:
    found = (await remote_objects(peer, origin, "activity")).get(object_id)
    return bool(found and found["_deleted"] and found["type"] == "Tombstone")


async def _queue_empty(peer: Peer) -> bool:
    rows = await peer.query("SELECT (SELECT count(*) FROM deliveries), (SELECT count(*) FROM failed_deliveries)")
    return rows[0] == (0, 0)


async def test_redelivery_is_applied_once(net: Network) -> None:
    origin, follower = await net.add("origin"), await net.add("follower")
    await follows.follow(follower.running, origin.actor)
    await eventually(lambda: follower.query("SELECT 1 FROM following WHERE state = 'accepted'"), what="accept")
    club = await net.organisation(origin, "Zwemclub De Golf")
    await eventually(lambda: remote_objects(follower, origin, "organisation"), what="the org's Create")
    # Queue the same Create again for the same inbox, as after a crash between send and dequeue.
    rows = await origin.query("SELECT id, actor FROM outbox WHERE type = 'Create' AND object_id = ?", club["id"])
    async with origin.running.db.write() as db:
        await db.execute("INSERT INTO deliveries (activity_id, inbox, signer, next_attempt, created) "
                         "VALUES (?, ?, ?, '2000-01-01T00:00:00Z', '2000-01-01T00:00:00Z')",
                         (rows[0][0], follower.base + "/inbox", rows[0][1]))
    await eventually(lambda: _queue_empty(origin), what="the redelivery")
    seen = await follower.query("SELECT count(*) FROM inbox_seen WHERE activity_id = ?", rows[0][0])
    assert seen == [(1,)]


async def test_unfollow_sends_undo_and_drops_the_hosts_objects(net: Network) -> None:
    origin, follower = await net.add("origin"), await net.add("follower")
    club = await net.organisation(origin, "Judoclub Kyu")
    await follows.follow(follower.running, origin.actor)
    await eventually(lambda: remote_objects(follower, origin, "organisation"), what="backfill")
    assert await origin.query("SELECT remote_actor FROM followers") == [(follower.actor,)]
    assert await follows.unfollow(follower.running, origin.actor) == origin.actor
    await eventually(lambda: _no_followers(origin), what="the Undo at the origin")
    # Out of the view, as Tombstones (so the follower's own followers and feeds hear of it).
    assert await _live(follower, origin) == set()
    await net.api(origin, "PUT", "/api/organisations/judoclub-kyu", club["headers"], {"name": "Judoclub Kyu Leusden"})
    await eventually(lambda: _queue_empty(origin), what="origin's queue")  # nobody left to deliver to
    assert await _live(follower, origin) == set()
    # Following again brings it all back, the change included.
    await follows.follow(follower.running, origin.actor)
    found = await eventually(lambda: _live(follower, origin), what="the second backfill")
    assert found == {club["id"]}
    assert (await remote_objects(follower, origin, "organisation"))[club["id"]]["name"] == "Judoclub Kyu Leusden"


async def _live(peer: Peer, origin: Peer) -> set[str]:
    found = await remote_objects(peer, origin, "organisation")
    return {i for i, d in found.items() if not d["_deleted"]}


async def _no_followers(peer: Peer) -> bool:
    return await peer.query("SELECT count(*) FROM followers") == [(0,)]


async def test_an_announce_is_believed_only_as_the_origin_says(net: Network) -> None:
    """An aggregator's Announce names an object; the follower fetches it from its own host."""
    # The follower trusts the origin's host (127.0.0.1): it follows only the aggregator.
    origin, aggregator = await net.add("origin"), await net.add("aggregator")
    follower = await net.add("follower", trust=("127.0.0.1",))
    club = await net.organisation(origin, "Hockeyclub Eemland")
    place = await net.api(origin, "POST", "/api/places", club["headers"], place_input())
    await follows.follow(follower.running, aggregator.actor)
    await eventually(lambda: follower.query("SELECT 1 FROM following WHERE state = 'accepted'"), what="accept")
    announce = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{aggregator.base}/ap/announce1",
                "type": "Announce", "actor": aggregator.actor, "object": place["id"],
                "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    status, text = await net.signed_post(follower, announce, aggregator)
    assert status == 202, text
    stored = await remote_objects(follower, origin, "place")
    assert stored[place["id"]]["name"] == place["name"]
    rows = await follower.query("SELECT origin FROM objects WHERE id = ?", place["id"])
    assert rows == [(origin.base + "/",)]


async def test_an_organisations_profile_change_reaches_its_followers(net: Network) -> None:
    """An organisation is both an actor and an object: the Update of its profile refreshes the followers'
    copy of its key and their stored copy of the organisation (its name here)."""
    origin, follower = await net.add("amersfoort"), await net.add("regio")
    club = await net.organisation(origin, "Korfbalvereniging De Zwaluwen")
    await follows.follow(follower.running, origin.actor)
    await eventually(lambda: _organisation_named(follower, origin, club["id"], "Korfbalvereniging De Zwaluwen"),
                     what="the organisation backfilled")
    slug = club["id"].rsplit("/", 1)[1]
    await net.api(origin, "PUT", f"/api/organisations/{slug}", club["headers"],
                  {"name": "Korfbalvereniging De Zwaluwen 1928", "isClub": True})
    await eventually(lambda: _organisation_named(follower, origin, club["id"], "Korfbalvereniging De Zwaluwen 1928"),
                     what="the profile change pushed")


async def _organisation_named(peer: Peer, origin: Peer, object_id: str, name: str) -> bool:
    return (await remote_objects(peer, origin, "organisation")).get(object_id, {}).get("name") == name
