"""SQL the web pages need beside the query API's: postcodes placed by the places held, wijk counts, counts
of concept groups, and the names of organisers.

Counts share the query API's WHERE clause (`store.query.where`), so a number on a page is the number of
results its link gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.store.query import Anchor, Filters, where

# The key of index objects_by_postcode (migration 0014), spelled exactly as there so SQLite uses it.
POSTCODE_KEY = "upper(replace(json_extract(o.document, '$.address.postalCode'), ' ', ''))"


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    places: int  # how many places the mean is of


async def postcode_point(db: aiosqlite.Connection, digits: str, letters: str | None) -> Point | None:
    """The mean position of the live places with this postcode (`digits` 4, `letters` 2 or None).

    With letters: the places with the same 6-character postcode, else those with the same 4 digits.
    Only places the query index holds (public, current, with a position) count.
    """
    sql = """SELECT avg(s.lat), avg(s.lon), count(*)
              FROM objects o INDEXED BY objects_by_postcode JOIN search_index s ON s.id = o.id
              WHERE o.kind = 'place' AND o.deleted IS NULL AND s.lat IS NOT NULL AND {match}"""
    if letters:
        rows = list(await db.execute_fetchall(sql.format(match=f"{POSTCODE_KEY} = :code"),
                                              {"code": digits + letters}))
        if rows and rows[0][2]:
            return Point(float(rows[0][0]), float(rows[0][1]), int(rows[0][2]))
    # "3811" <= "3811AB" < "3812": the 4-digit area is a range of the same index.
    following = f"{int(digits) + 1:04d}"
    rows = list(await db.execute_fetchall(sql.format(match=f"{POSTCODE_KEY} >= :lo AND {POSTCODE_KEY} < :hi"),
                                          {"lo": digits, "hi": following}))
    if rows and rows[0][2]:
        return Point(float(rows[0][0]), float(rows[0][1]), int(rows[0][2]))
    return None


async def wijk_counts(db: aiosqlite.Connection, filters: Filters, anchor: Anchor) -> list[tuple[str, int]]:
    """(wijk code, matches) over the matches that lie in a wijk, most first."""
    params: dict[str, Any] = {}
    sql = f"""SELECT s.wijk AS value, count(*) AS n FROM search_index s
              WHERE {where(filters, anchor, params)} AND s.wijk IS NOT NULL
              GROUP BY s.wijk ORDER BY n DESC, value"""
    return [(row[0], int(row[1])) for row in await db.execute_fetchall(sql, params)]


async def group_counts(
    db: aiosqlite.Connection, filters: Filters, anchor: Anchor, groups: Mapping[str, Iterable[str]]
) -> dict[str, int]:
    """Matches per group of terms (a concept and those under it): each match once per group it has any
    term of, so a group's count is what a filter on the group would add up to. Groups without matches
    are left out."""
    params: dict[str, Any] = {}
    pairs = []
    for g, (name, terms) in enumerate(groups.items()):
        params[f"g{g}"] = name
        for t, term in enumerate(sorted(set(terms))):
            params[f"g{g}t{t}"] = term
            pairs.append(f"SELECT :g{g}t{t} AS term, :g{g} AS grp")
    if not pairs:
        return {}
    condition = where(filters, anchor, params)
    sql = f"""WITH wanted(term, grp) AS ({" UNION ALL ".join(pairs)})
              SELECT w.grp, count(DISTINCT s.n)
              FROM wanted w JOIN search_terms t ON t.term = w.term JOIN search_index s ON s.n = t.n
              WHERE {condition}
              GROUP BY w.grp"""
    return {row[0]: int(row[1]) for row in await db.execute_fetchall(sql, params)}


async def data_version(db: aiosqlite.Connection) -> int:
    """Changes whenever another connection (this process's writer or another process) has committed."""
    rows = list(await db.execute_fetchall("PRAGMA data_version"))
    return int(rows[0][0])


async def names(db: aiosqlite.Connection, ids: Iterable[str]) -> dict[str, str]:
    """id -> `name` of the live objects among `ids` that have one (organisers of a page of results)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    sql = f"""SELECT id, json_extract(document, '$.name') FROM objects
              WHERE id IN ({marks}) AND deleted IS NULL"""
    return {row[0]: row[1] for row in await db.execute_fetchall(sql, wanted) if isinstance(row[1], str)}
