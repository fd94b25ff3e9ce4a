"""SQL for harvesting RPDE feeds (migration 0004): feed cursors, item -> object, organizer -> organisation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.store.objects import COLUMNS, StoredObject, row_to_object


@dataclass(frozen=True)
class FeedCursor:
    feed_url: str
    next_url: str
    last_modified: int | None
    pages: int
    items: int
    harvested: str


@dataclass(frozen=True)
class HarvestedItem:
    kind: str  # "activity" or "course"
    object_id: str
    course_key: str | None
    instance: dict[str, Any] | None


async def get_cursor(db: aiosqlite.Connection, feed_url: str) -> FeedCursor | None:
    sql = "SELECT feed_url, next_url, last_modified, pages, items, harvested FROM harvest_feeds WHERE feed_url = ?"
    async with db.execute(sql, (feed_url,)) as cursor:
        row = await cursor.fetchone()
    return FeedCursor(*row) if row else None


async def save_cursor(
    db: aiosqlite.Connection, feed_url: str, next_url: str, last_modified: int | None, items: int, now: str
) -> None:
    """Move the feed's cursor on by one page of `items` items (inside the page's write transaction)."""
    await db.execute(
        """
        INSERT INTO harvest_feeds (feed_url, next_url, last_modified, pages, items, harvested)
        VALUES (?, ?, ?, 1, ?, ?)
        ON CONFLICT (feed_url) DO UPDATE SET
            next_url = excluded.next_url,
            last_modified = coalesce(excluded.last_modified, harvest_feeds.last_modified),
            pages = harvest_feeds.pages + 1, items = harvest_feeds.items + excluded.items,
            harvested = excluded.harvested
        """,
        (feed_url, next_url, last_modified, items, now),
    )


async def get_item(db: aiosqlite.Connection, feed_url: str, item_id: str) -> HarvestedItem | None:
    sql = "SELECT kind, object_id, course_key, instance FROM harvest_items WHERE feed_url = ? AND item_id = ?"
    async with db.execute(sql, (feed_url, item_id)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return HarvestedItem(row[0], row[1], row[2], json.loads(row[3]) if row[3] else None)


async def put_item(
    db: aiosqlite.Connection,
    feed_url: str,
    item_id: str,
    kind: str,
    object_id: str,
    course_key: str | None = None,
    instance: dict[str, Any] | None = None,
) -> None:
    await db.execute(
        """
        INSERT INTO harvest_items (feed_url, item_id, kind, object_id, course_key, instance)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (feed_url, item_id) DO UPDATE SET
            kind = excluded.kind, object_id = excluded.object_id, course_key = excluded.course_key,
            instance = excluded.instance
        """,
        (feed_url, item_id, kind, object_id, course_key, json.dumps(instance) if instance is not None else None),
    )


async def drop_item(db: aiosqlite.Connection, feed_url: str, item_id: str) -> None:
    await db.execute("DELETE FROM harvest_items WHERE feed_url = ? AND item_id = ?", (feed_url, item_id))


async def course_instances(db: aiosqlite.Connection, feed_url: str, course_key: str) -> list[dict[str, Any]]:
    """The live instances (write-API input) harvested for one course, in item id order."""
    sql = """SELECT instance FROM harvest_items WHERE feed_url = ? AND course_key = ? AND instance IS NOT NULL
             ORDER BY item_id"""
    async with db.execute(sql, (feed_url, course_key)) as cursor:
        return [json.loads(row[0]) for row in await cursor.fetchall()]


async def set_course_object(db: aiosqlite.Connection, feed_url: str, course_key: str, object_id: str) -> None:
    """Point every instance item of a course at the course object (it is new when the owner changed)."""
    await db.execute(
        "UPDATE harvest_items SET object_id = ? WHERE feed_url = ? AND course_key = ?",
        (object_id, feed_url, course_key),
    )


async def get_organisation(db: aiosqlite.Connection, source_key: str) -> str | None:
    sql = "SELECT organisation_id FROM harvest_organisations WHERE source_key = ?"
    async with db.execute(sql, (source_key,)) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def put_organisation(db: aiosqlite.Connection, source_key: str, organisation_id: str) -> None:
    await db.execute(
        "INSERT OR REPLACE INTO harvest_organisations (source_key, organisation_id) VALUES (?, ?)",
        (source_key, organisation_id),
    )


async def live_by_source_key(db: aiosqlite.Connection, kind: str, key: str) -> StoredObject | None:
    """Our live object made under a source key, whichever organisation owns it."""
    sql = f"""SELECT {COLUMNS} FROM objects WHERE kind = ? AND source_key = ? AND deleted IS NULL
              AND origin IS NULL ORDER BY published, id LIMIT 1"""
    async with db.execute(sql, (kind, key)) as cursor:
        row = await cursor.fetchone()
    return row_to_object(row) if row else None
