"""Keeping the federation tables small: pruning what is old, and failed deliveries for the operator."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite


async def prune_inbox_seen(db: aiosqlite.Connection, before: str) -> int:
    """Forget the ids of inbound activities received before `before`; how many."""
    cursor = await db.execute("DELETE FROM inbox_seen WHERE received < ?", (before,))
    return cursor.rowcount


async def prune_failed_deliveries(db: aiosqlite.Connection, before: str) -> int:
    """Drop the record of deliveries given up before `before`; how many."""
    cursor = await db.execute("DELETE FROM failed_deliveries WHERE failed < ?", (before,))
    return cursor.rowcount


@dataclass(frozen=True)
class FailedDelivery:
    id: int  # the row's rowid: what `sportnode deliveries retry ID` names
    activity_id: str
    inbox: str
    attempts: int
    last_error: str | None
    failed: str


async def failed_deliveries(db: aiosqlite.Connection) -> list[FailedDelivery]:
    sql = """SELECT rowid, activity_id, inbox, attempts, last_error, failed FROM failed_deliveries
             ORDER BY failed, rowid"""
    return [FailedDelivery(*row) for row in await db.execute_fetchall(sql)]


async def retry_failed(db: aiosqlite.Connection, ids: list[int] | None, now: str) -> int:
    """Put failed deliveries (these rowids, or all for None) back in the queue, due now, with their
    attempts counted afresh; the record of the failure goes. A failed delivery of an activity that is
    no longer in the outbox cannot be sent and stays listed. How many were queued."""
    where, args = ("", []) if ids is None else (f"AND f.rowid IN ({', '.join('?' for _ in ids)})", list(ids))
    rows = list(await db.execute_fetchall(
        f"""SELECT f.rowid, f.activity_id, f.inbox, o.actor FROM failed_deliveries f
            JOIN outbox o ON o.id = f.activity_id WHERE 1 = 1 {where}""", args))
    await db.executemany(
        """INSERT OR IGNORE INTO deliveries (activity_id, inbox, signer, next_attempt, created)
           VALUES (?, ?, ?, ?, ?)""",
        [(row[1], row[2], row[3], now, now) for row in rows])
    await db.executemany("DELETE FROM failed_deliveries WHERE rowid = ?", [(row[0],) for row in rows])
    return len(rows)
