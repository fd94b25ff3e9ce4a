"""Every recorded payload in tests/fixtures/fediverse (Mastodon, Misskey, Pleroma, PeerTube, GoToSocial,
Mobilizon) through the signed inbox of a real node, sent by a loopback stand-in for its server
(tests/fedi_host.py). What the fixtures' README says about them is what these tests prove."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from federation_net import Network, Peer, eventually
from fedi_host import FediActor, FediHost
from inbox_net import snapshot

from node.federation import follows

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fediverse"
# Every host the recorded payloads name; each is moved onto the stand-in server.
RECORDED_HOSTS = ("http://mastodon.example.org", "https://ap.example.com", "https://framapiaf.org",
                  "https://misskey.io", "https://misskey.xyz", "http://localtesting.pleroma.lol",
                  "https://testing.pleroma.lol", "http://2hu.gensokyo", "http://mobilizon.test",
                  "http://mobilizon2.test", "https://peertube.stream", "http://127.0.0.1:9002",
                  "https://framatube.org", "http://example.org", "https://example.org", "https://sample.com",
                  "https://somewhere.else.example.org")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Network, Peer, FediHost]]:
    net = Network(tmp_path)
    target = await net.add("target")
    fedi = await FediHost().start()
    yield net, target, fedi
    await fedi.stop()
    await net.close()


def recorded(fedi: FediHost, name: str) -> Any:
    return fedi.moved((FIXTURES / name).read_text(encoding="utf-8"), *RECORDED_HOSTS)


def serve_actor(fedi: FediHost, activity: dict[str, Any], actor_fixture: str | None) -> FediActor:
    """The activity's actor, served at its path: the recorded actor document of its server (or a plain
    Person), with a fresh test key."""
    path = activity["actor"][len(fedi.base):]
    return fedi.actor(path, recorded(fedi, actor_fixture) if actor_fixture else None)


async def ignored_counts(peer: Peer) -> dict[str, int]:
    return {row[0]: row[1] for row in await peer.query("SELECT label, count FROM inbox_ignored")}


async def send(net: Network, fedi: FediHost, target: Peer, activity: dict[str, Any], actor: FediActor) -> None:
    status, text = await fedi.post(net.http, f"{target.base}/inbox", activity, actor)
    assert status == 202, text


async def followed_by(target: Peer, fedi: FediHost, actor: FediActor, net: Network) -> None:
    """The target follows `actor` for real: its Follow reaches the stand-in, whose Accept (as Mastodon
    writes one, embedding the Follow) comes back signed."""
    await follows.follow(target.running, actor.id)
    follow = await eventually(lambda: _received(fedi, "Follow"), what="the Follow")
    accept = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor.id}#accepts/follows/1",
              "type": "Accept", "actor": actor.id, "object": follow}
    await send(net, fedi, target, accept, actor)
    assert await target.query("SELECT state FROM following WHERE remote_actor = ?", actor.id) == [("accepted",)]


async def _received(fedi: FediHost, kind: str) -> dict[str, Any] | None:
    return next((a for a in fedi.received if a.get("type") == kind), None)


async def test_mastodon_follow_update_and_delete_of_a_person(world: tuple[Network, Peer, FediHost]) -> None:
    net, target, fedi = world
    follow = recorded(fedi, "mastodon-follow.json")
    follow["object"] = target.actor  # it followed Pleroma's test account
    admin = serve_actor(fedi, follow, "mastodon-actor.json")
    await send(net, fedi, target, follow, admin)
    assert await target.query("SELECT local_actor, remote_actor FROM followers") == [(target.actor, admin.id)]
    accept = await eventually(lambda: _received(fedi, "Accept"), what="the Accept")
    assert accept["object"]["id"] == follow["id"] and accept["actor"] == target.actor

    update = recorded(fedi, "mastodon-update-person.json")
    gargron = serve_actor(fedi, update, "mastodon-actor.json")
    await send(net, fedi, target, update, gargron)
    cached = await target.query("SELECT public_key_pem FROM remote_actors WHERE id = ?", gargron.id)
    assert cached == [(update["object"]["publicKey"]["publicKeyPem"],)]  # the recorded key, from the Update

    delete = recorded(fedi, "mastodon-delete-person.json")
    assert delete["actor"] == admin.id  # framapiaf.org/users/admin, moved
    await send(net, fedi, target, delete, admin)
    assert await target.query("SELECT count(*) FROM followers") == [(0,)]
    assert await target.query("SELECT count(*) FROM remote_actors WHERE id = ?", admin.id) == [(0,)]


async def test_mastodon_note_and_its_delete_change_nothing(world: tuple[Network, Peer, FediHost]) -> None:
    net, target, fedi = world
    note = recorded(fedi, "mastodon-create-note.json")
    admin = serve_actor(fedi, note, "mastodon-actor.json")
    await followed_by(target, fedi, admin, net)
    before = await snapshot(target)
    await send(net, fedi, target, note, admin)
    delete = recorded(fedi, "mastodon-delete-note.json")
    delete["actor"] = admin.id  # recorded by gargron; sent here by the followed account of the same host
    delete["object"]["id"] = note["object"]["id"]
    delete["id"] = note["object"]["id"] + "#delete"
    await send(net, fedi, target, delete, admin)
    after = await snapshot(target)
    # The Delete is applied (recorded once), but it buries nothing: no object of ours, no Tombstone.
    assert after[0] == before[0] and after[2] == before[2]
    assert [row[0] for row in after[1]] == sorted([*(row[0] for row in before[1]), delete["id"]])
    assert await ignored_counts(target) == {"Create/Note": 1}


async def test_misskey_like_pleroma_reaction_and_chat_mobilizon_join(world: tuple[Network, Peer, FediHost]) -> None:
    net, target, fedi = world
    misskey = fedi.actor("/users/83ssedkv53", recorded(fedi, "misskey-actor.json"))
    like = recorded(fedi, "misskey-like.json")
    like["actor"] = misskey.id  # recorded with Pleroma's test account as actor
    reaction = recorded(fedi, "pleroma-emoji-reaction.json")
    chat = recorded(fedi, "pleroma-create-chat-message.json")
    join = recorded(fedi, "mobilizon-join.json")
    before = await snapshot(target)
    await send(net, fedi, target, like, misskey)
    for activity in (reaction, chat, join):
        await send(net, fedi, target, activity, serve_actor(fedi, activity, None))
    assert await snapshot(target) == before
    assert await ignored_counts(target) == {"Like": 1, "EmojiReaction": 1, "Create/ChatMessage": 1, "Join": 1}


async def test_peertube_announce_of_its_video(world: tuple[Network, Peer, FediHost]) -> None:
    net, target, fedi = world
    announce = recorded(fedi, "peertube-announce.json")
    account = serve_actor(fedi, announce, "peertube-actor.json")
    await followed_by(target, fedi, account, net)
    video = recorded(fedi, "peertube-video.json")
    video["id"] = announce["object"]
    fedi.serve(announce["object"][len(fedi.base):], video)
    before = await snapshot(target)
    await send(net, fedi, target, announce, account)
    assert announce["object"][len(fedi.base):] in fedi.fetched  # fetched from its own host, then left aside
    assert await snapshot(target) == before
    assert await ignored_counts(target) == {"Announce/not-modelled": 1}


async def test_gotosocial_actor_update_and_poll_votes(world: tuple[Network, Peer, FediHost]) -> None:
    net, target, fedi = world
    votes = recorded(fedi, "gotosocial-create-poll-votes.json")
    willy = serve_actor(fedi, votes, "gotosocial-actor.json")
    assert "http://joinmastodon.org/ns" in willy.document["@context"]
    before = await snapshot(target)
    await send(net, fedi, target, votes, willy)
    assert await snapshot(target) == before
    # An Update of itself, carrying GoToSocial's own context: read (key refreshed), not refused.
    fresh = fedi.rotate(willy)
    update = {"@context": willy.document["@context"], "id": f"{willy.id}#updates/1", "type": "Update",
              "actor": willy.id, "object": fresh.document, "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    await send(net, fedi, target, update, willy)
    cached = await target.query("SELECT public_key_pem FROM remote_actors WHERE id = ?", willy.id)
    assert cached == [(fresh.key.public_pem,)]
    assert await ignored_counts(target) == {"Create/several-objects": 1}


def test_every_fixture_is_used_and_cited() -> None:
    names = {p.name for p in FIXTURES.glob("*.json")}
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    tests = "".join(path.read_text(encoding="utf-8") for path in Path(__file__).parent.glob("test_*.py"))
    for name in names:
        assert f"`{name}`" in readme, f"{name} is not cited in the README"
        assert f'"{name}"' in tests, f"{name} is sent by no test"
        json.loads((FIXTURES / name).read_text(encoding="utf-8"))
