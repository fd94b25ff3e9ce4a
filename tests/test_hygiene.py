"""Hygiene: inbox_seen and failed_deliveries are pruned after their documented periods (the scheduler's
job), and deliveries given up can be listed and sent again from the CLI (`sportnode deliveries`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from federation_net import Network, Peer, eventually

from node.cli import commands
from node.cli.main import build_parser
from node.config import render_config
from node.federation import follows
from node.federation.hygiene import FAILED_DELIVERY_DAYS, INBOX_SEEN_DAYS, prune
from node.services.node import iso
from node.store.federation import Delivery, give_up
from node.store.hygiene import failed_deliveries


@pytest.fixture
async def net(tmp_path: Path) -> AsyncIterator[Network]:
    network = Network(tmp_path)
    yield network
    await network.close()


async def test_old_rows_are_pruned_and_recent_ones_kept(net: Network) -> None:
    peer = await net.add("solo")
    now = peer.clock()
    old_seen, new_seen = iso(now - timedelta(days=INBOX_SEEN_DAYS, hours=1)), iso(now - timedelta(days=1))
    old_failed = iso(now - timedelta(days=FAILED_DELIVERY_DAYS, hours=1))
    async with peer.running.db.write() as db:
        await db.executemany("INSERT INTO inbox_seen (activity_id, actor, received) VALUES (?, 'a', ?)",
                             [("https://x.example/old", old_seen), ("https://x.example/new", new_seen)])
        await db.executemany(
            "INSERT INTO failed_deliveries (activity_id, inbox, attempts, last_error, failed) VALUES (?, ?, 16, 'x', ?)",
            [("https://me/ap/old", "https://x.example/inbox", old_failed),
             ("https://me/ap/new", "https://x.example/inbox", new_seen)])
    assert await prune(peer.running) == (1, 1)
    assert await peer.query("SELECT activity_id FROM inbox_seen") == [("https://x.example/new",)]
    assert await peer.query("SELECT activity_id FROM failed_deliveries") == [("https://me/ap/new",)]
    assert await prune(peer.running) == (0, 0)


async def run(peer: Peer, tmp_path: Path, *argv: str) -> int:
    config = tmp_path / f"{peer.name}.toml"
    config.write_text(render_config(peer.config), encoding="utf-8")
    return await commands.run(build_parser().parse_args([*argv, "--config", str(config)]))


async def test_given_up_deliveries_are_listed_and_sent_again(net: Network, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    origin, follower = await net.add("origin"), await net.add("follower")
    await follows.follow(follower.running, origin.actor)
    await eventually(lambda: follower.query("SELECT 1 FROM following WHERE state = 'accepted'"), what="accept")
    await follower.stop()
    club = await net.organisation(origin, "Hockeyclub Eemland")
    inbox = f"{follower.base}/inbox"
    # The worker tries and fails; the row is then given up, as after its last retry.
    rows = await eventually(lambda: origin.query(
        "SELECT id, activity_id, inbox, signer, attempts FROM deliveries WHERE inbox = ? AND attempts >= 1", inbox),
        what="a failed attempt")
    async with origin.running.db.write() as db:
        for row in rows:
            await give_up(db, Delivery(*row, body=""), "connection refused", origin.running.now())
    capsys.readouterr()
    assert await run(origin, tmp_path, "deliveries", "list") == 0
    listed = capsys.readouterr().out
    assert inbox in listed and "connection refused" in listed and f"{len(rows)} given up." in listed
    with pytest.raises(SystemExit):
        await run(origin, tmp_path, "deliveries", "retry", "1", "--all")  # numbers or --all, not both

    await follower.start()
    async with origin.running.db.read() as db:
        first = (await failed_deliveries(db))[0].id
    assert await run(origin, tmp_path, "deliveries", "retry", str(first)) == 0
    assert await run(origin, tmp_path, "deliveries", "retry", "--all") == 0
    assert "queued again" in capsys.readouterr().out
    assert await origin.query("SELECT count(*) FROM failed_deliveries") == [(0,)]
    found = await eventually(lambda: follower.query("SELECT document FROM objects WHERE id = ?", club["id"]),
                             what="the retried delivery")
    assert json.loads(found[0][0])["name"] == "Hockeyclub Eemland"
    await eventually(lambda: origin.query("SELECT 1 WHERE (SELECT count(*) FROM deliveries) = 0"), what="empty queue")
