"""The bovine-herd peer for interop tests starts, and alice is found, described and can post."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from bovine_peer import AS_PUBLIC, BovinePeer


@pytest.fixture
async def peer(tmp_path: Path) -> AsyncIterator[BovinePeer]:
    async with BovinePeer(tmp_path / "bovine") as running:
        yield running


async def test_webfinger_finds_alice(peer: BovinePeer) -> None:
    jrd = await peer.webfinger(f"acct:alice@127.0.0.1:{peer.port}")

    assert jrd["subject"] == peer.account
    selves = [link for link in jrd["links"] if link["rel"] == "self"]
    assert selves == [{"href": peer.actor_id, "rel": "self", "type": "application/activity+json"}]
    assert peer.actor_id.startswith(f"http://127.0.0.1:{peer.port}/")


async def test_alice_has_inbox_and_public_key(peer: BovinePeer) -> None:
    actor = await peer.get_as_alice(peer.actor_id)

    assert actor["id"] == peer.actor_id
    assert actor["type"] == "Person"
    assert actor["preferredUsername"] == "alice"
    assert actor["inbox"].startswith(f"http://127.0.0.1:{peer.port}/endpoints/")
    assert actor["publicKey"]["id"] == f"{peer.actor_id}#serverKey"
    assert actor["publicKey"]["owner"] == peer.actor_id
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")


async def test_alice_posts_a_note_to_her_outbox(peer: BovinePeer) -> None:
    created = await peer.post_as_alice(
        {
            "type": "Create",
            "to": [AS_PUBLIC],
            "cc": [peer.followers],
            "object": {
                "type": "Note",
                "attributedTo": peer.actor_id,
                "content": "Training tonight at 19:00",
                "to": [AS_PUBLIC],
                "cc": [peer.followers],
            },
        }
    )

    assert created["id"].startswith(f"http://127.0.0.1:{peer.port}/objects/")
    assert created["object"]["content"] == "Training tonight at 19:00"
    assert await peer.collection_ids(peer.outbox) == [created["id"]]
    [listed] = await peer.outbox_items()
    assert listed["type"] == "Create"
    assert listed["object"]["id"] == created["object"]["id"]
