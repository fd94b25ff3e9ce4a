"""Group commit (`Database.grouped_write`): concurrent small writes share a transaction, each caller is
answered only after its own write is committed, and one that fails loses and poisons nobody else's.
On a real SQLite file, and through a real node's inbox with really signed requests on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiosqlite
import pytest
from federation_net import Network, eventually
from test_inbox_security import create, event

from node.config import RateLimits
from node.federation import follows
from node.store.database import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "group.sqlite3")
    await database.open()
    yield database
    await database.close()


async def seen_ids(database: Database) -> set[str]:
    async with database.read() as reader:
        return {row[0] for row in await reader.execute_fetchall("SELECT activity_id FROM inbox_seen")}


def insert(activity_id: str, *, fail: Exception | None = None) -> Callable[[aiosqlite.Connection], Awaitable[str]]:
    async def work(connection: aiosqlite.Connection) -> str:
        await connection.execute("INSERT INTO inbox_seen (activity_id, actor, received) VALUES (?, 'a', 'now')",
                                 (activity_id,))
        if fail is not None:
            raise fail
        return activity_id

    return work


async def test_concurrent_writes_share_transactions_and_each_gets_its_own_answer(db: Database) -> None:
    commits: list[int] = []
    db.on_commit(lambda: commits.append(1))
    answers = await asyncio.gather(*(db.grouped_write(insert(f"a{i}")) for i in range(40)))
    assert answers == [f"a{i}" for i in range(40)]
    assert await seen_ids(db) == {f"a{i}" for i in range(40)}
    assert len(commits) < 40, "every write had a transaction of its own"


async def test_a_failing_write_is_undone_alone_and_only_its_caller_hears_of_it(db: Database) -> None:
    works = [insert(f"b{i}", fail=ValueError("no") if i == 7 else None) for i in range(20)]
    works.append(insert("b3"))  # a primary-key clash with an earlier one in the same batch: SQL's own error
    results = await asyncio.gather(*(db.grouped_write(w) for w in works), return_exceptions=True)
    assert isinstance(results[7], ValueError)
    assert isinstance(results[20], sqlite3.IntegrityError)
    assert [r for i, r in enumerate(results) if i not in (7, 20)] == [f"b{i}" for i in range(20) if i != 7]
    assert await seen_ids(db) == {f"b{i}" for i in range(20) if i != 7}


async def test_a_caller_that_goes_away_holds_up_and_loses_nobody(db: Database) -> None:
    async with db.write():  # hold the writer, so that every grouped write below has to wait
        tasks = [asyncio.create_task(db.grouped_write(insert(f"c{i}"))) for i in range(10)]

        async def all_waiting() -> bool:
            return db.waiting_writes == 10

        await eventually(all_waiting, what="all ten writes waiting")  # waiting, not a guess at how long that takes
        tasks[0].cancel()  # the first waiting, the one that would have run the batch
        tasks[5].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError) and isinstance(results[5], asyncio.CancelledError)
    assert [r for i, r in enumerate(results) if i not in (0, 5)] == [f"c{i}" for i in range(10) if i not in (0, 5)]
    assert await seen_ids(db) == {f"c{i}" for i in range(10) if i not in (0, 5)}
    assert await db.grouped_write(insert("after")) == "after"  # nothing left stuck


async def test_concurrent_signed_creates_are_each_stored_once_and_answered_after_commit(tmp_path: Path) -> None:
    net = Network(tmp_path)
    try:
        # Room for all 25 in the inbox at once: this is about batching their writes, not the inbox's
        # concurrency limit (tests/test_limits.py), which would let only a few in at a time.
        roomy = dataclasses.replace(RateLimits(), concurrency=tuple(
            (name, 64 if name == "inbox" else n) for name, n in RateLimits().concurrency))
        target, sender = await net.add("target", rate_limits=roomy), await net.add("sender")
        await follows.follow(target.running, sender.actor)
        await eventually(lambda: target.query("SELECT 1 FROM following WHERE state = 'accepted'"), what="accept")
        commits: list[int] = []
        target.running.db.on_commit(lambda: commits.append(1))
        activities = [create(sender, event(sender, f"e{i}", name=f"Walking football {i}"), f"c{i}") for i in range(24)]
        activities.append(activities[3])  # a redelivery in the same burst: applied once, answered 202
        database = target.running.db

        async def all_waiting() -> bool:
            return database.waiting_writes == 25

        # The writer is held until every request has passed its checks and waits for its write, so
        # that they come together however slow the machine is (else they may come one by one).
        async with database.write():
            posts = [asyncio.create_task(net.signed_post(target, a, sender)) for a in activities]
            await eventually(all_waiting, what="25 inbox writes waiting")
            commits.clear()
        answers = await asyncio.gather(*posts)
        assert [status for status, _ in answers] == [202] * 25
        # 202 means committed: every object is there the moment the answers are in.
        stored = await target.query("SELECT count(*) FROM objects WHERE origin IS NOT NULL AND kind = 'activity'")
        seen = await target.query("SELECT count(*) FROM inbox_seen WHERE activity_id LIKE ?", f"{sender.base}/ap/c%")
        assert stored[0][0] == 24 and seen[0][0] == 24
        assert len(commits) < 24, "every activity had a transaction of its own"
    finally:
        await net.close()
