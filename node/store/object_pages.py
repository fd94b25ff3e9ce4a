"""SQL for the object pages: what is held at a place, and which objects an organisation offers.

Our own objects list their places in `object_places`; objects of other hosts do not (they embed a
place the writer of that table never saw). The search index knows every public object's position, so
the activities and courses at a place are found there by its exact coordinates (indexed), and the
caller keeps those whose location really is that place.
"""

from __future__ import annotations

import aiosqlite

from node.store.objects import COLUMNS, StoredObject, row_to_object

# Live, still valid, and public (the search index holds only public objects).
_CURRENT = (
    "deleted IS NULL AND (valid_through IS NULL OR valid_through >= :today) "
    "AND id IN (SELECT id FROM search_index)"
)


async def at_position(
    db: aiosqlite.Connection, lat: float, lon: float, today: str, limit: int
) -> list[StoredObject]:
    """Current public activities and courses indexed at exactly (lat, lon), at most `limit`."""
    sql = f"""SELECT {COLUMNS} FROM objects WHERE id IN (
                  SELECT s.id FROM search_index s
                  WHERE s.lat = :lat AND s.lon = :lon AND s.kind IN ('activity', 'course')
                    AND (s.valid_through IS NULL OR s.valid_through >= :today))
              AND {_CURRENT} ORDER BY name, id LIMIT :limit"""
    params = {"lat": lat, "lon": lon, "today": today, "limit": limit}
    return [row_to_object(row) for row in await db.execute_fetchall(sql, params)]


async def is_public(db: aiosqlite.Connection, object_id: str) -> bool:
    """Whether the object is one the search index holds: public (and not deleted)."""
    rows = await db.execute_fetchall("SELECT 1 FROM search_index WHERE id = ?", (object_id,))
    return bool(rows)


async def at_place(db: aiosqlite.Connection, place_id: str, today: str, limit: int) -> list[StoredObject]:
    """Current objects that our own writes recorded at this place (object_places)."""
    sql = f"""SELECT {COLUMNS} FROM objects
              WHERE id IN (SELECT object_id FROM object_places WHERE place_id = :place) AND {_CURRENT}
              ORDER BY name, id LIMIT :limit"""
    params = {"place": place_id, "today": today, "limit": limit}
    return [row_to_object(row) for row in await db.execute_fetchall(sql, params)]


async def offered_by(
    db: aiosqlite.Connection, owner: str, kinds: tuple[str, ...], today: str, limit: int
) -> list[StoredObject]:
    """Current objects of these kinds attributed to `owner` (ours or a peer's), by name."""
    marks = ", ".join(f":k{i}" for i in range(len(kinds)))
    sql = f"""SELECT {COLUMNS} FROM objects WHERE owner = :owner AND kind IN ({marks}) AND {_CURRENT}
              ORDER BY name, id LIMIT :limit"""
    params = {"owner": owner, "today": today, "limit": limit, **{f"k{i}": k for i, k in enumerate(kinds)}}
    return [row_to_object(row) for row in await db.execute_fetchall(sql, params)]
