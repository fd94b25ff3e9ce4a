"""What the inbox tests share: a target node that follows a sender node, and signed (or unsigned, or
forged) POSTs to the target's shared inbox, with a snapshot of what the target stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from federation_net import Network, Peer, eventually

from node.federation import follows
from node.protocol.signatures import sign_request
from node.store.access import KeyPair

PROBLEM = "application/problem+json"


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Network, Peer, Peer]]:
    """`target` follows `sender` (accepted), so content from `sender` is welcome at `target`."""
    net = Network(tmp_path)
    target, sender = await net.add("target"), await net.add("sender")
    await follows.follow(target.running, sender.actor)
    await eventually(lambda: target.query("SELECT 1 FROM following WHERE state = 'accepted'"), what="accept")
    yield net, target, sender
    await net.close()


def event(sender: Peer, key: str = "e1", **changes: Any) -> dict[str, Any]:
    return {
        "id": f"{sender.base}/activities/{key}",
        "type": "Event",
        "name": "Walking football",
        "attributedTo": sender.actor,
        "startTime": "2027-03-02T10:00:00+01:00",
        "endTime": "2027-03-02T11:00:00+01:00",
        "published": "2026-11-30T10:00:00Z",
        "updated": "2026-11-30T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        **changes,
    }


def create(sender: Peer, obj: dict[str, Any], key: str = "c1", **changes: Any) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{sender.base}/ap/{key}", "type": "Create",
            "actor": sender.actor, "object": obj, "to": ["as:Public"], **changes}


async def snapshot(peer: Peer) -> list[Any]:
    return [await peer.query("SELECT id, document, deleted FROM objects ORDER BY id"),
            await peer.query("SELECT activity_id FROM inbox_seen ORDER BY activity_id"),
            await peer.query("SELECT * FROM followers ORDER BY remote_actor")]


async def post(net: Network, target: Peer, body: bytes, key: KeyPair | None, *,
               date: datetime | None = None, tamper: bytes | None = None, key_id: str | None = None) -> Any:
    url = f"{target.base}/inbox"
    headers = {"Content-Type": "application/activity+json"}
    if key is not None:
        headers.update(sign_request("POST", url, headers, body, key_id or f"{key.actor_id}#main-key",
                                    key.private_pem, now=date or datetime.now(UTC)))
    async with net.http.post(url, data=tamper if tamper is not None else body, headers=headers) as response:
        return response.status, response.content_type, await response.text()


async def refused(net: Network, target: Peer, status: int, body: bytes, key: KeyPair | None, **kw: Any) -> str:
    before = await snapshot(target)
    got, content_type, text = await post(net, target, body, key, **kw)
    assert (got, content_type) == (status, PROBLEM), text
    assert await snapshot(target) == before
    return text
