"""The durable delivery queue: retries with backoff on an injectable clock, dead hosts that hold up
nobody, and a node killed with SIGKILL in the middle of a large delivery that loses nothing."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import activity_input, place_input
from federation_net import Network, Peer, eventually, free_port

from node.federation import follows
from node.federation.delivery import backoff


@pytest.fixture
async def net(tmp_path: Path) -> AsyncIterator[Network]:
    network = Network(tmp_path)
    yield network
    await network.close()


async def follow_and_wait(follower: Peer, origin_actor: str) -> None:
    await follows.follow(follower.running, origin_actor)
    await eventually(lambda: follower.query("SELECT 1 FROM following WHERE state = 'accepted'"), what="accept")


async def remote_ids(peer: Peer, origin_base: str) -> set[str]:
    rows = await peer.query("SELECT id FROM objects WHERE origin IS NOT NULL AND deleted IS NULL "
                            "AND substr(id, 1, length(?)) = ?", origin_base + "/", origin_base + "/")
    return {row[0] for row in rows}


def test_backoff_grows_from_minutes_to_a_day() -> None:
    waits = [backoff(n) for n in range(1, 14)]
    assert waits[0] == timedelta(minutes=1) and waits[1] == timedelta(minutes=2)
    assert all(a <= b for a, b in itertools.pairwise(waits))
    assert waits[-1] == timedelta(days=1)


async def test_a_follower_that_was_down_gets_everything_and_holds_up_nobody(net: Network) -> None:
    origin, sleeper, awake = await net.add("origin"), await net.add("sleeper"), await net.add("awake")
    for follower in (sleeper, awake):
        await follow_and_wait(follower, origin.actor)
    club = await net.organisation(origin, "Tennisclub Het Net")
    place = await net.api(origin, "POST", "/api/places", club["headers"], place_input())
    await eventually(lambda: remote_ids(sleeper, origin.base), what="the first push")

    await sleeper.stop()
    created = [await net.api(origin, "POST", "/api/activities", club["headers"],
                             activity_input(place["id"], name=f"Tennisles {i}")) for i in range(5)]
    # The awake follower is served at once, whatever the sleeper does.
    wanted = {c["id"] for c in created}
    await eventually(lambda: _has_all(awake, origin.base, wanted), what="the awake follower")
    # The sleeper's deliveries wait with backoff, on the origin's clock.
    sleeper_inbox = f"{sleeper.base}/inbox"
    pending = await eventually(
        lambda: origin.query("SELECT attempts, next_attempt FROM deliveries WHERE inbox = ? AND attempts >= 1",
                             sleeper_inbox), what="failed attempts")
    assert len(pending) >= 5

    origin.clock.advance(timedelta(minutes=3))  # past the first retry; a second failure waits longer
    await eventually(lambda: _attempts_at_least(origin, sleeper_inbox, 2), what="a second attempt")
    rows = await origin.query("SELECT next_attempt, last_error FROM deliveries WHERE inbox = ?", sleeper_inbox)
    assert all("Connect" in (error or "") or "refused" in (error or "") for _, error in rows), rows

    await sleeper.start()  # back, on the same port and file
    origin.clock.advance(timedelta(minutes=10))
    await eventually(lambda: _has_all(sleeper, origin.base, wanted), what="the sleeper to catch up")
    await eventually(lambda: origin.query("SELECT 1 WHERE (SELECT count(*) FROM deliveries) = 0"), what="empty queue")


async def _has_all(peer: Peer, origin_base: str, wanted: set[str]) -> bool:
    return wanted <= await remote_ids(peer, origin_base)


async def _attempts_at_least(peer: Peer, inbox: str, n: int) -> bool:
    rows = await peer.query("SELECT min(attempts) FROM deliveries WHERE inbox = ?", inbox)
    return bool(rows and rows[0][0] is not None and rows[0][0] >= n)


def sportnode(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "node.cli.main", *args], capture_output=True, text=True,
                          timeout=timeout, check=True)


def spreadsheet(path: Path, rows: int) -> Path:
    lines = ["organisation;activity;sport;place;street;postal_code;city;municipality;latitude;longitude;days;"
             "start_time;end_time"]
    lines += [f"Buurtsport Leusden;Bewegen {i};wandelen;Park {i % 7};Parkweg {i % 7};3831 AA;Leusden;GM0327;"
              f"52.13;5.43;ma;10:00;11:00" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class ServedNode:
    """A node in its own process (`sportnode serve`), so that it can be killed for real."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.config = folder / "sportnode.toml"
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        sportnode("init", "--config", str(self.config), "--base-url", self.base, "--name", "Leusden",
                  "--development", "--port", str(self.port))

    async def start(self, net: Network) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "node.cli.main", "serve", "--config",
                                         str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)

        async def answers() -> bool:
            try:
                async with net.http.get(self.base + "/nodeinfo/2.1") as response:
                    return response.status == 200
            except OSError:
                return False

        await eventually(answers, what="the served node to answer")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def query(self, sql: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.config.parent / "data" / "sportnode.sqlite3") as db:
            return db.execute(sql).fetchall()


async def test_sigkill_in_the_middle_of_a_large_delivery_loses_nothing(net: Network, tmp_path: Path) -> None:
    origin = ServedNode(tmp_path / "leusden")
    await origin.start(net)
    try:
        followers = [await net.add(f"follower{i}") for i in range(2)]
        for follower in followers:
            await follow_and_wait(follower, origin.base + "/")
        sportnode("import", "--config", str(origin.config), str(spreadsheet(tmp_path / "aanbod.csv", 400)))
        total = len(origin.query("SELECT id FROM objects WHERE deleted IS NULL"))
        # Kill it once deliveries are under way, well before they are done.
        await eventually(lambda: _seen_at_least(followers[0], 10), timeout=30, what="deliveries to start")
        origin.kill()
        pending = origin.query("SELECT count(*) FROM deliveries")[0][0]
        assert isinstance(pending, int) and pending > 0, "the node finished before it was killed"
        await origin.start(net)
        for follower in followers:
            try:
                ids = await eventually(lambda f=follower: _has_count(f, origin.base, total), timeout=60,
                                       what=f"{follower.name} to get all {total} objects")
            except AssertionError:
                print(origin.query("SELECT attempts, next_attempt, last_error, inbox FROM deliveries LIMIT 5"))
                print(origin.query("SELECT * FROM failed_deliveries LIMIT 5"))
                print(len(await remote_ids(follower, origin.base)))
                raise
            assert ids == {row[0] for row in origin.query("SELECT id FROM objects WHERE deleted IS NULL")}
            # Applied once each: one inbox_seen row per public activity of the origin, no more.
            seen = await follower.query("SELECT activity_id FROM inbox_seen WHERE substr(activity_id, 1, length(?)) = ?",
                                        origin.base + "/", origin.base + "/")
            published = {row[0] for row in origin.query("SELECT id FROM outbox WHERE public = 1")}
            answers = {row[0] for row in origin.query("SELECT id FROM outbox WHERE public = 0")}
            assert {row[0] for row in seen} - answers == published
        assert origin.query("SELECT count(*) FROM deliveries") == [(0,)]
        assert origin.query("SELECT count(*) FROM failed_deliveries") == [(0,)]
    finally:
        if origin.process and origin.process.poll() is None:
            origin.kill()


async def _seen_at_least(peer: Peer, n: int) -> bool:
    rows = await peer.query("SELECT count(*) FROM inbox_seen")
    return rows[0][0] >= n


async def _has_count(peer: Peer, origin_base: str, n: int) -> set[str] | None:
    ids = await remote_ids(peer, origin_base)
    return ids if len(ids) >= n else None

