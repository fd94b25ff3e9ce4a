"""SQL of the area pages (/wijk/CODE, /gemeente/CODE) beyond what /api/search gives: counts per wijk and
the organisations behind an area's offering.

Both count over the query index with `store.query.where`, the WHERE clause of /api/search itself, so a
number on an area page is the total /api/search answers for the same filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.store.query import Anchor, Filters, where


@dataclass(frozen=True)
class Organiser:
    id: str  # the organisation's URL (`attributedTo` of the offering)
    count: int  # matching objects it publishes
    name: str | None  # None: an organisation this node does not hold
    origin: str | None  # None: one of ours


async def count_per_wijk(db: aiosqlite.Connection, filters: Filters, anchor: Anchor) -> dict[str, int]:
    """Matches per wijk code; wijken without any are left out."""
    params: dict[str, Any] = {}
    sql = f"""SELECT s.wijk AS wijk, count(*) AS n FROM search_index s
              WHERE {where(filters, anchor, params)} AND s.wijk IS NOT NULL GROUP BY s.wijk"""
    return {row["wijk"]: int(row["n"]) for row in await db.execute_fetchall(sql, params)}


async def organisers(db: aiosqlite.Connection, filters: Filters, anchor: Anchor, *, limit: int) -> list[Organiser]:
    """The organisations that publish the matches, most matches first, with their names where held."""
    params: dict[str, Any] = {"limit": limit}
    sql = f"""
        WITH m AS (
            SELECT json_extract(o.document, '$.attributedTo') AS organiser, count(*) AS n
            FROM search_index s JOIN objects o ON o.id = s.id
            WHERE {where(filters, anchor, params)} AND json_type(o.document, '$.attributedTo') = 'text'
            GROUP BY organiser
        )
        SELECT m.organiser AS id, m.n AS n, json_extract(g.document, '$.name') AS name, g.origin AS origin
        FROM m LEFT JOIN objects g ON g.id = m.organiser AND g.kind = 'organisation' AND g.deleted IS NULL
        ORDER BY m.n DESC, coalesce(name, m.organiser)
        LIMIT :limit
    """
    return [
        Organiser(
            id=row["id"],
            count=int(row["n"]),
            name=row["name"] if isinstance(row["name"], str) else None,
            origin=row["origin"],
        )
        for row in await db.execute_fetchall(sql, params)
    ]
