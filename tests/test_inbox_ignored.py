"""Authentication first, then generosity: an unsigned or badly signed POST is 401 whatever its body; a
correctly signed activity of a kind the node does not act on is answered 202, stores nothing, and is
counted by kind; the Delete and the Update of an actor are acted on (its key and follows)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from federation_net import Network, Peer, eventually
from fedi_host import FediHost
from inbox_net import create, event, post, refused, snapshot
from inbox_net import pair as pair  # the fixture

from node.cli import commands
from node.cli.main import build_parser
from node.config import render_config
from node.federation import follows
from node.services.keys import generate_key_pair
from node.store.access import KeyPair

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = AS + "#Public"
# What Mastodon, Misskey, Pleroma/Akkoma, PeerTube, Lemmy and Mobilizon send to followers and
# shared inboxes that a sportnode node has no use for; the last is made up.
NOT_ACTED_ON = ["Like", "Dislike", "EmojiReact", "Join", "Leave", "Flag", "Block", "Move", "Add", "Remove",
                "Question", "View", "Invented"]


@pytest.fixture
async def fedi() -> AsyncIterator[FediHost]:
    host = await FediHost().start()
    yield host
    await host.stop()


def activity(sender: Peer, key: str, kind: str, obj: Any, **more: Any) -> dict[str, Any]:
    return {"@context": AS, "id": f"{sender.base}/ap/{key}", "type": kind, "actor": sender.actor, "object": obj,
            "to": [PUBLIC], **more}


async def ignored_counts(peer: Peer) -> dict[str, int]:
    return {row[0]: row[1] for row in await peer.query("SELECT label, count FROM inbox_ignored")}


async def test_unsigned_or_badly_signed_is_401_whatever_the_body(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    deep: Any = "bottom"
    for _ in range(60):
        deep = {"a": deep}
    bodies = [
        b"", b'{"id": ', b"[]", b"null", json.dumps(deep).encode(),
        json.dumps(create(sender, event(sender), **{"@context": [AS, "https://evil.example/c.jsonld"]})).encode(),
        json.dumps(activity(sender, "l1", "Like", f"{target.base}/x")).encode(),
        json.dumps({**create(sender, event(sender)), "type": 5}).encode(),
        json.dumps(create(sender, event(sender))).encode(),
    ]
    stranger = await net.add("stranger")
    forged = KeyPair(sender.actor, (await stranger.key()).private_pem, "")
    for body in bodies:
        assert "not signed" in await refused(net, target, 401, body, None), body
        assert "not valid" in await refused(net, target, 401, body, forged), body
    # Even a body too large to read: an unsigned request is refused before it is read.
    huge = json.dumps(create(sender, event(sender, content="x" * (target.config.max_body_bytes + 10)))).encode()
    assert "not signed" in await refused(net, target, 401, huge, None)
    assert await ignored_counts(target) == {}


@pytest.mark.parametrize("kind", NOT_ACTED_ON)
async def test_each_kind_not_acted_on_is_202_and_stores_nothing(pair: tuple[Network, Peer, Peer], kind: str) -> None:
    net, target, sender = pair
    before = await snapshot(target)
    body = json.dumps(activity(sender, f"a-{kind}", kind, f"{target.base}/organisations/nobody")).encode()
    assert (await post(net, target, body, await sender.key()))[0] == 202
    assert (await post(net, target, body, await sender.key()))[0] == 202
    assert await snapshot(target) == before
    assert await ignored_counts(target) == {kind: 2}


async def test_wrapped_kinds_not_acted_on_are_202_and_counted(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    key = await sender.key()
    note = {"id": f"{sender.base}/notes/1", "type": "Note", "attributedTo": sender.actor, "content": "<p>hoi</p>",
            "to": [PUBLIC]}
    stranger = await net.add("stranger")
    sent = [
        (activity(sender, "c-note", "Create", note), key),
        (activity(sender, "u-note", "Update", note), key),
        (activity(sender, "b-note", "Announce", note), key),
        (activity(sender, "poll", "Create", {**note, "id": f"{sender.base}/q/1", "type": "Question"}), key),
        (activity(sender, "undo-like", "Undo", {"id": f"{sender.base}/ap/l", "type": "Like",
                                                "actor": sender.actor, "object": note["id"]}), key),
        # The target does not follow the stranger: its Announce is nothing to relay.
        (activity(stranger, "boost", "Announce", f"{sender.base}/activities/e1"), await stranger.key()),
    ]
    before = await snapshot(target)
    for body, signer in sent:
        status, _, text = await post(net, target, json.dumps(body).encode(), signer)
        assert status == 202, text
    assert await snapshot(target) == before
    assert await ignored_counts(target) == {"Create/Note": 1, "Update/Note": 1, "Announce/Note": 1,
                                            "Create/Question": 1, "Undo/Like": 1, "Announce/unfollowed-actor": 1}


async def test_a_made_up_type_per_request_cannot_grow_the_counter(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    key = await sender.key()
    for i in range(103):
        body = json.dumps(activity(sender, f"m{i}", f"Made{i}", "x")).encode()
        assert (await post(net, target, body, key))[0] == 202
    counts = await ignored_counts(target)
    assert len(counts) == 100 and counts["other"] == 4


async def test_the_delete_of_an_actor_forgets_its_key_and_its_follows(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, _ = pair
    stranger = await net.add("stranger")  # not followed by the target, but following it
    await follows.follow(stranger.running, target.actor)
    await eventually(lambda: stranger.query("SELECT 1 FROM following WHERE state = 'accepted'"), what="accept")
    assert await target.query("SELECT remote_actor FROM followers") == [(stranger.actor,)]
    assert await target.query("SELECT 1 FROM remote_actors WHERE id = ?", stranger.actor) == [(1,)]
    farewell = activity(stranger, "bye", "Delete", stranger.actor)
    assert (await post(net, target, json.dumps(farewell).encode(), await stranger.key()))[0] == 202
    assert await target.query("SELECT count(*) FROM followers") == [(0,)]
    assert await target.query("SELECT count(*) FROM remote_actors WHERE id = ?", stranger.actor) == [(0,)]
    assert await target.query("SELECT count(*) FROM objects WHERE deleted IS NOT NULL") == [(0,)]


async def test_the_delete_of_an_actor_that_is_already_gone(pair: tuple[Network, Peer, Peer], fedi: FediHost) -> None:
    """Mastodon deletes the account first (410), then sends its Delete signed with the lost key."""
    net, target, _ = pair
    alice = fedi.actor("/users/alice")
    fedi.gone("/users/alice")
    inbox = f"{target.base}/inbox"
    delete = {"@context": AS, "id": f"{alice.id}#delete", "type": "Delete", "actor": alice.id, "object": alice.id,
              "to": [PUBLIC]}
    before = await snapshot(target)
    assert (await fedi.post(net.http, inbox, delete, alice))[0] == 202
    like = {**delete, "id": f"{alice.id}#like", "type": "Like", "object": f"{target.base}/x"}
    status, text = await fedi.post(net.http, inbox, like, alice)
    assert status == 401 and "gone" in text
    assert await snapshot(target) == before
    assert await ignored_counts(target) == {"Delete/gone-actor": 1}


async def test_the_update_of_an_actor_refreshes_its_key(pair: tuple[Network, Peer, Peer], fedi: FediHost) -> None:
    net, target, _ = pair
    alice = fedi.actor("/users/alice")
    inbox = f"{target.base}/inbox"

    async def cached_pem() -> str:
        rows = await target.query("SELECT public_key_pem FROM remote_actors WHERE id = ?", alice.id)
        return str(rows[0][0])

    like = {"@context": AS, "id": f"{alice.id}#likes/1", "type": "Like", "actor": alice.id, "object": "https://x.example/1"}
    assert (await fedi.post(net.http, inbox, like, alice))[0] == 202
    assert await cached_pem() == alice.key.public_pem
    # Embedded: the new document comes with the Update, signed with the old key; the host is not asked.
    new_key = generate_key_pair(alice.id)
    document = {**alice.document, "publicKey": {**alice.document["publicKey"], "publicKeyPem": new_key.public_pem}}
    update = {"@context": AS, "id": f"{alice.id}#updates/1", "type": "Update", "actor": alice.id, "object": document,
              "to": [PUBLIC]}
    assert (await fedi.post(net.http, inbox, update, alice))[0] == 202
    assert await cached_pem() == new_key.public_pem
    # Linked: the Update names the actor; the node fetches it again.
    rotated = fedi.rotate(alice)
    linked = {**update, "id": f"{alice.id}#updates/2", "object": alice.id}
    assert (await fedi.post(net.http, inbox, linked, alice, key=new_key))[0] == 202
    assert await cached_pem() == rotated.key.public_pem


async def test_following_lists_what_was_ignored(pair: tuple[Network, Peer, Peer], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    net, target, sender = pair
    for i, kind in enumerate(["Like", "Like", "EmojiReact"]):
        body = json.dumps(activity(sender, f"x{i}", kind, f"{target.base}/x")).encode()
        assert (await post(net, target, body, await sender.key()))[0] == 202
    config = tmp_path / "target.toml"
    config.write_text(render_config(target.config), encoding="utf-8")
    capsys.readouterr()
    assert await commands.run(build_parser().parse_args(["following", "--config", str(config)])) == 0
    out = capsys.readouterr().out
    assert f"accepted\t{sender.actor}" in out
    assert "Like\t2\t" in out and "EmojiReact\t1\t" in out
