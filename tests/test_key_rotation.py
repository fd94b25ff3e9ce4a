"""`sportnode keys rotate`, on two nodes on loopback: after an organisation's (and the node's) key is
replaced, the follower holds the new key (the actor's Update), the running node's deliveries go on
with the new key, and a signature made with the old key is refused."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import place_input
from federation_net import Network, Peer, eventually

from node.cli.main import main
from node.config import load_config
from node.federation import follows
from node.protocol.signatures import sign_request
from node.services.key_rotation import rotate
from node.store.access import KeyPair

TIMEOUT = 20.0
AS = "https://www.w3.org/ns/activitystreams"


async def post_signed(net: Network, target: Peer, activity: dict[str, Any], key: KeyPair) -> int:
    url, body = f"{target.base}/inbox", json.dumps(activity).encode()
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_request("POST", url, headers, body, f"{key.actor_id}#main-key", key.private_pem,
                                now=datetime.now(UTC)))
    async with net.http.post(url, data=body, headers=headers) as response:
        return response.status


async def key_of(peer: Peer, actor_id: str) -> KeyPair:
    [(private, public)] = await peer.query("SELECT private_pem, public_pem FROM keys WHERE actor_id = ?", actor_id)
    return KeyPair(actor_id, private, public)


async def cached_key(peer: Peer, actor_id: str) -> str | None:
    found = await peer.query("SELECT public_key_pem FROM remote_actors WHERE id = ?", actor_id)
    return found[0][0] if found else None


def like(actor: str, n: int, target: Peer) -> dict[str, Any]:
    return {"@context": AS, "id": f"{actor}#likes/{n}", "type": "Like", "actor": actor, "object": target.actor}


async def test_rotated_keys_reach_the_follower_and_the_old_ones_stop_working(tmp_path: Path) -> None:
    net = Network(tmp_path)
    try:
        origin, follower = await net.add("origin"), await net.add("follower")
        club = await net.organisation(origin, "Sportclub West")
        await follows.follow(follower.running, origin.actor)

        async def backfilled() -> bool:
            return bool(await follower.query("SELECT 1 FROM following WHERE backfilled IS NOT NULL"))

        await eventually(backfilled, TIMEOUT, "the follow to be accepted and backfilled")
        # Pushed, signed by the organisation: the follower fetches and caches the organisation's key.
        first = await net.api(origin, "POST", "/api/places", club["headers"], place_input(name="Sporthal West"))

        async def holds(object_id: str) -> bool:
            return bool(await follower.query("SELECT 1 FROM objects WHERE id = ? AND deleted IS NULL", object_id))

        await eventually(lambda: holds(first["id"]), TIMEOUT, "the place at the follower")
        old_club, old_node = await key_of(origin, club["id"]), await key_of(origin, origin.actor)
        assert await cached_key(follower, club["id"]) == old_club.public_pem
        assert await post_signed(net, follower, like(club["id"], 1, follower), old_club) == 202  # it works now

        # The organisation's key.
        new_club = await rotate(origin.running, club["id"])
        assert new_club.public_pem != old_club.public_pem
        async with net.http.get(club["id"], headers={"Accept": "application/activity+json"}) as response:
            assert (await response.json())["publicKey"]["publicKeyPem"] == new_club.public_pem

        async def follower_has(actor_id: str, pem: str) -> bool:
            return await cached_key(follower, actor_id) == pem

        await eventually(lambda: follower_has(club["id"], new_club.public_pem), TIMEOUT, "the new key at the follower")
        # The running node's delivery worker had the old key cached: its next delivery still arrives.
        second = await net.api(origin, "POST", "/api/places", club["headers"], place_input(name="Sporthal Oost"))
        await eventually(lambda: holds(second["id"]), TIMEOUT, "a delivery signed with the new key")
        assert await post_signed(net, follower, like(club["id"], 2, follower), old_club) == 401
        assert await post_signed(net, follower, like(club["id"], 3, follower), new_club) == 202

        # The node's own key.
        new_node = await rotate(origin.running, origin.actor)
        await eventually(lambda: follower_has(origin.actor, new_node.public_pem), TIMEOUT, "the node's new key")
        assert await post_signed(net, follower, like(origin.actor, 4, follower), old_node) == 401
        assert (await net.signed_post(follower, like(origin.actor, 5, follower), origin))[0] == 202
        assert await origin.query("SELECT count(*) FROM failed_deliveries") == [(0,)]
    finally:
        await net.close()


def test_keys_rotate_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_file = tmp_path / "node" / "sportnode.toml"
    assert main(["init", "--config", str(config_file), "--base-url", "http://127.0.0.1:8099", "--name", "Test",
                 "--development"]) == 0
    assert main(["org", "create", "--config", str(config_file), "Zwemvereniging De Golf", "--club"]) == 0
    db = load_config(config_file).db_path

    def keys() -> dict[str, str]:
        with sqlite3.connect(db) as connection:
            return dict(connection.execute("SELECT actor_id, public_pem FROM keys").fetchall())

    before = keys()
    org = "http://127.0.0.1:8099/organisations/zwemvereniging-de-golf"
    assert main(["keys", "rotate", "--config", str(config_file), "--org", "zwemvereniging-de-golf"]) == 0
    assert "New key for " + org in capsys.readouterr().out
    after = keys()
    assert after[org] != before[org] and after["http://127.0.0.1:8099/"] == before["http://127.0.0.1:8099/"]
    assert main(["keys", "rotate", "--config", str(config_file)]) == 0
    assert keys()["http://127.0.0.1:8099/"] != before["http://127.0.0.1:8099/"]
    with sqlite3.connect(db) as connection:
        updates = connection.execute("SELECT count(*) FROM outbox WHERE type = 'Update'").fetchone()[0]
    assert updates == 2
    assert main(["keys", "rotate", "--config", str(config_file), "--org", "nobody"]) == 2
