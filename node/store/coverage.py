"""SQL for the coverage view: the current activities in and around a municipality."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True)
class ActivitySpot:
    """What coverage needs of one current activity: where it is, its sport, its target groups."""

    id: str
    sport: str | None
    municipality_code: str | None
    neighbourhood_code: str | None  # WK or BU code of its place, as published
    latitude: float | None
    longitude: float | None
    target_groups: tuple[str, ...]


# Current: live, not past its validity period, and (a one-off) not over yet. Our own and other nodes'
# alike: an aggregator's coverage view is the point of having one. Public only: the query index
# (search_index, migration 0011) holds exactly the live, public objects, so one rule decides what is
# public everywhere; an object addressed to followers only is counted nowhere.
CURRENT_ACTIVITY = """
    kind = 'activity' AND deleted IS NULL
    AND EXISTS (SELECT 1 FROM search_index s WHERE s.id = objects.id)
    AND (valid_through IS NULL OR valid_through >= :today)
    AND (json_extract(document, '$.endTime') IS NULL OR json_extract(document, '$.endTime') >= :now)
"""


async def activities_around(
    db: aiosqlite.Connection,
    municipality_code: str,
    box: tuple[float, float, float, float],
    *,
    today: str,
    now: str,
) -> list[ActivitySpot]:
    """Current activities in the municipality, or whose place lies in `box` (south, west, north, east)."""
    south, west, north, east = box
    sql = f"""
        SELECT id, sport, municipality_code, neighbourhood_code, latitude, longitude,
               (SELECT json_group_array(value) FROM json_each(document, '$.targetGroup')) AS groups
        FROM objects
        WHERE {CURRENT_ACTIVITY}
          AND (municipality_code = :code
               OR (latitude BETWEEN :south AND :north AND longitude BETWEEN :west AND :east))
        ORDER BY id
    """
    params = {
        "today": today, "now": now, "code": municipality_code,
        "south": south, "north": north, "west": west, "east": east,
    }
    async with db.execute(sql, params) as cursor:
        rows = await cursor.fetchall()
    return [
        ActivitySpot(
            id=row["id"],
            sport=row["sport"],
            municipality_code=row["municipality_code"],
            neighbourhood_code=row["neighbourhood_code"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            target_groups=tuple(g for g in json.loads(row["groups"] or "[]") if isinstance(g, str)),
        )
        for row in rows
    ]


async def activities_per_municipality(db: aiosqlite.Connection, *, today: str, now: str) -> dict[str, int]:
    """Current activities per municipality code of their place (those without one are left out)."""
    sql = f"""SELECT municipality_code, count(*) FROM objects
              WHERE {CURRENT_ACTIVITY} AND municipality_code IS NOT NULL GROUP BY municipality_code"""
    async with db.execute(sql, {"today": today, "now": now}) as cursor:
        return {row[0]: int(row[1]) for row in await cursor.fetchall()}
