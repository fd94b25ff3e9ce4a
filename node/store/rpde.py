"""SQL for the RPDE feeds: the change sequence that triggers keep in `rpde_changes` (migration 0003).

A feed is read in `seq` order. `seq` is the RPDE `modified` value; the triggers give an object's rows a
new, larger one on every change, so a consumer walking the feed meets every change again later on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.store.objects import StoredObject, row_to_object

# The largest SQLite integer: "no change is held back".
NO_HORIZON = 2**63 - 1


@dataclass(frozen=True)
class FeedRow:
    seq: int
    width: int  # how many feed items (course instances) this object ever stood for
    object: StoredObject


async def feed_rows(
    db: aiosqlite.Connection,
    feed: str,
    *,
    from_seq: int,
    limit: int,
    held_back_after_ms: int,
    remote: bool = False,
) -> list[FeedRow]:
    """Up to `limit` rows of `feed` with seq >= from_seq, in seq order.

    Rows changed after `held_back_after_ms` (Unix ms) are left out, and so is every row after the first
    of them, in any feed: were the wall clock to step back, a later seq could carry an earlier time, and a
    consumer given it would skip the held-back row below it. `remote` also lists objects of other nodes
    (an aggregator's feed); without it only our own.
    """
    sql = f"""
        SELECT c.seq AS seq, c.width AS width, o.id, o.kind, o.owner, o.document, o.published, o.updated,
               o.deleted, o.source_key, o.origin
        FROM rpde_changes c JOIN objects o ON o.id = c.object_id
        WHERE c.feed = :feed AND c.seq >= :from_seq
          AND c.seq < coalesce((SELECT min(seq) FROM rpde_changes WHERE changed_ms > :cutoff), {NO_HORIZON})
          {"" if remote else "AND o.origin IS NULL"}
        ORDER BY c.seq LIMIT :limit
    """
    params = {"feed": feed, "from_seq": from_seq, "cutoff": held_back_after_ms, "limit": limit}
    async with db.execute(sql, params) as cursor:
        rows = await cursor.fetchall()
    return [FeedRow(seq=row["seq"], width=row["width"], object=row_to_object(row)) for row in rows]


async def documents_by_id(db: aiosqlite.Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The current documents of these objects (live or Tombstone), by id: organisers of a feed page."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    async with db.execute(f"SELECT id, document FROM objects WHERE id IN ({marks})", wanted) as cursor:
        return {row["id"]: json.loads(row["document"]) for row in await cursor.fetchall()}


async def last_change(db: aiosqlite.Connection, feed: str) -> tuple[int, int] | None:
    """(seq, changed_ms) of the newest change in `feed`, our own objects only; None for an empty feed."""
    sql = """SELECT c.seq, c.changed_ms FROM rpde_changes c JOIN objects o ON o.id = c.object_id
             WHERE c.feed = ? AND o.origin IS NULL ORDER BY c.seq DESC LIMIT 1"""
    async with db.execute(sql, (feed,)) as cursor:
        row = await cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else None


async def resequence(db: aiosqlite.Connection, object_ids: Iterable[str]) -> None:
    """Announce these objects again in every feed they are in, without changing them.

    For changes that time makes rather than a write (an activity passing its validThrough): the expiry
    job calls this so that consumers hear of it.
    """
    for object_id in object_ids:
        await db.execute(
            """INSERT INTO rpde_changes (feed, object_id, changed_ms, width)
               SELECT feed, object_id, CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER), width
               FROM rpde_changes WHERE object_id = ? ORDER BY seq""",
            (object_id,),
        )
        await db.execute(
            """DELETE FROM rpde_changes WHERE object_id = ?
               AND seq NOT IN (SELECT max(seq) FROM rpde_changes WHERE object_id = ? GROUP BY feed)""",
            (object_id, object_id),
        )
