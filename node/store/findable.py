"""SQL for the sitemap and the widget editor: what the node publishes itself, and which areas have offering.

Both read the query index (`search_index`), which holds live, public objects only, so "public" is decided
in one place (migration 0011). "Current" is the same rule as the query API's: not past `validThrough`.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

CURRENT = "(valid_through IS NULL OR valid_through >= :today)"
# Offering is what a resident can join; places and organisations alone do not make an area's page.
OFFERING = "kind IN ('activity', 'course')"


@dataclass(frozen=True)
class Dated:
    """A URL-bearing thing and when it last changed (RFC 3339)."""

    key: str  # an object id, or an area code
    updated: str


async def own_objects(db: aiosqlite.Connection, today: str) -> list[Dated]:
    """Every public, current object of this node itself (no remote one), in id order."""
    sql = f"SELECT id, updated FROM search_index WHERE local = 1 AND {CURRENT} ORDER BY id"
    rows = await db.execute_fetchall(sql, {"today": today})
    return [Dated(row[0], row[1]) for row in rows]


async def areas_with_offering(db: aiosqlite.Connection, today: str, column: str) -> list[Dated]:
    """Area codes (`column` is "wijk" or "municipality") with current offering, local or remote, each with
    the latest change of that offering."""
    if column not in ("wijk", "municipality"):
        raise ValueError(column)
    sql = f"""SELECT {column}, max(updated) FROM search_index
              WHERE {OFFERING} AND {CURRENT} AND coalesce({column}, '') != ''
              GROUP BY {column} ORDER BY {column}"""
    rows = await db.execute_fetchall(sql, {"today": today})
    return [Dated(row[0], row[1]) for row in rows]


async def last_change(db: aiosqlite.Connection, today: str) -> str | None:
    """When anything current the node holds last changed: the lastmod of its search pages."""
    rows = list(await db.execute_fetchall(f"SELECT max(updated) FROM search_index WHERE {CURRENT}", {"today": today}))
    return str(rows[0][0]) if rows and rows[0][0] is not None else None
