"""SQL of the query API over the index of migration 0005 (search_index, search_terms, search_starts, search_text).

`Filters` says what to match in the index's own terms (concept URIs, CBS codes, bit masks); `where`
turns it into one WHERE clause that the results, the count and every facet share, so they cannot
disagree. Sorting is keyset pagination: each sort has a key expression, ordered with the id as a tie
breaker, and a page starts after the (key, id) of the previous one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import aiosqlite

EARTH_RADIUS_KM = 6371.0088
# Sort keys of objects that have no distance / no next occurrence: after every real key.
NO_DISTANCE = 2.0  # keys are -cos(angle), within [-1, 1]
NO_OCCURRENCE = 1 << 60


@dataclass(frozen=True)
class Near:
    lat: float
    lon: float
    km: float | None  # None: only measured (for sorting), not a filter


@dataclass(frozen=True)
class Filters:
    match: str | None = None  # FTS5 expression
    kinds: frozenset[str] = frozenset()
    sports: frozenset[str] | None = None  # concept URIs; None: any
    target_groups: frozenset[str] = frozenset()  # any of them
    accessibility: frozenset[str] = frozenset()  # all of them
    municipalities: frozenset[str] | None = None  # None: any; empty: none at all
    wijken: frozenset[str] = frozenset()
    buurten: frozenset[str] = frozenset()
    near: Near | None = None
    age: int | None = None
    free: bool | None = None
    max_price: float | None = None
    day_mask: int = 0  # any of these weekday bits
    starts_after: int | None = None
    ends_before: int | None = None
    criteria_on: int = 0  # all of these bits set
    criteria_off: int = 0  # none of these bits set


@dataclass(frozen=True)
class Anchor:
    """The moment a query is judged at: `today` (UTC date, for validThrough) and Amsterdam wall-clock time."""

    today: str
    local_day: int
    local_minute: int  # of the day

    @property
    def local_minutes(self) -> int:
        return self.local_day * 1440 + self.local_minute


@dataclass(frozen=True)
class Row:
    id: str
    kind: str
    origin: str | None
    # The stored text, not decoded: the JSON format splices it into the answer as it is (objects.py
    # writes compact JSON); decoding ~21 documents a page cost more CPU than the SQL.
    document_json: str
    lat: float | None
    lon: float | None
    next_start: int | None  # Amsterdam wall-clock minutes since 1970-01-01
    key: str | int | float


def _in(column: str, values: frozenset[str], name: str, params: dict[str, Any]) -> str:
    names = []
    for i, value in enumerate(sorted(values)):
        params[f"{name}{i}"] = value
        names.append(f":{name}{i}")
    return f"{column} IN ({', '.join(names)})"


def _unit(lat: float, lon: float) -> tuple[float, float, float]:
    la, lo = math.radians(lat), math.radians(lon)
    return math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)


def _near(near: Near, params: dict[str, Any]) -> list[str]:
    params["qx"], params["qy"], params["qz"] = _unit(near.lat, near.lon)
    if near.km is None:
        return []
    angle = near.km / EARTH_RADIUS_KM
    if angle >= math.pi:
        return ["s.lat IS NOT NULL"]
    conditions = ["s.lat IS NOT NULL", "(s.x * :qx + s.y * :qy + s.z * :qz) >= :min_dot"]
    params["min_dot"] = math.cos(angle)
    # A bounding box first, so the (lat, lon) index narrows the rows; it is generous, the dot product decides.
    dlat = math.degrees(angle) * 1.01 + 1e-6
    params["lat_lo"], params["lat_hi"] = near.lat - dlat, near.lat + dlat
    conditions.append("s.lat BETWEEN :lat_lo AND :lat_hi")
    widest = min(89.0, abs(near.lat) + dlat)
    dlon = dlat / math.cos(math.radians(widest))
    if abs(near.lat) + dlat < 89.0 and near.lon - dlon > -180 and near.lon + dlon < 180:
        params["lon_lo"], params["lon_hi"] = near.lon - dlon, near.lon + dlon
        conditions.append("s.lon BETWEEN :lon_lo AND :lon_hi")
    return conditions


def where(filters: Filters, anchor: Anchor, params: dict[str, Any]) -> str:
    """The WHERE clause (over `search_index s`) of everything current that matches `filters`."""
    params["today"] = anchor.today
    conditions = ["(s.valid_through IS NULL OR s.valid_through >= :today)"]
    if filters.match is not None:
        params["match"] = filters.match
        conditions.append("s.n IN (SELECT rowid FROM search_text WHERE search_text MATCH :match)")
    if filters.kinds:
        conditions.append(_in("s.kind", filters.kinds, "kind", params))
    if filters.sports is not None:
        conditions.append(_in("s.sport", filters.sports, "sport", params) if filters.sports else "0")
    if filters.target_groups:
        inner = _in("term", filters.target_groups, "tg", params)
        conditions.append(f"s.n IN (SELECT n FROM search_terms WHERE {inner})")
    for i, uri in enumerate(sorted(filters.accessibility)):
        params[f"acc{i}"] = uri
        conditions.append(f"s.n IN (SELECT n FROM search_terms WHERE term = :acc{i})")
    if filters.municipalities is not None:
        conditions.append(
            _in("s.municipality", filters.municipalities, "gm", params) if filters.municipalities else "0"
        )
    if filters.wijken or filters.buurten:
        either = []
        if filters.wijken:
            either.append(_in("s.wijk", filters.wijken, "wk", params))
        if filters.buurten:
            either.append(_in("s.buurt", filters.buurten, "bu", params))
        conditions.append("(" + " OR ".join(either) + ")")
    if filters.near is not None:
        conditions.extend(_near(filters.near, params))
    if filters.age is not None:
        params["age"] = filters.age
        conditions.append(
            "s.kind = 'activity' AND (s.age_min IS NULL OR s.age_min <= :age) AND (s.age_max IS NULL OR s.age_max >= :age)"
        )
    if filters.free is True:
        conditions.append("s.free = 1")
    elif filters.free is False:
        conditions.append("s.free = 0 AND s.price > 0")
    if filters.max_price is not None:
        params["max_price"] = filters.max_price
        conditions.append("(s.free = 1 OR s.price <= :max_price)")
    if filters.day_mask:
        params["day_mask"] = filters.day_mask
        conditions.append("(s.days & :day_mask) != 0")
    if filters.starts_after is not None:
        params["starts_after"] = filters.starts_after
        conditions.append("s.start_min >= :starts_after")
    if filters.ends_before is not None:
        params["ends_before"] = filters.ends_before
        conditions.append("s.end_min <= :ends_before")
    if filters.criteria_on or filters.criteria_off:
        params["crit_on"], params["crit_off"] = filters.criteria_on, filters.criteria_off
        conditions.append("s.kind = 'activity' AND (s.criteria & :crit_on) = :crit_on AND (s.criteria & :crit_off) = 0")
    return " AND ".join(conditions)


@cache  # the same text every time: built once, not for every page
def next_start_sql() -> str:
    """The next start at or after the anchor, in Amsterdam wall-clock minutes, or NULL.

    Weekly: from the later of today and the schedule's startDate, the first weekday in `days` (today only
    if its start time has not passed), unless that is after the schedule's endDate. Otherwise: the earliest
    dated start still upcoming (search_starts).
    """
    base = "max(:local_day, coalesce(s.sched_from, :local_day))"
    weekday = f"(({base} + 3) % 7)"  # 1970-01-01 was a Thursday; Monday = 0

    def bit(k: int) -> str:
        return f"((s.days >> (({weekday} + {k}) % 7)) & 1)"

    passed_today = f"({base} = :local_day AND s.start_min < :local_minute)"
    offset = (
        f"CASE WHEN {bit(0)} AND NOT {passed_today} THEN 0 "
        + " ".join(f"WHEN {bit(k)} THEN {k}" for k in range(1, 7))
        + f" WHEN {bit(0)} THEN 7 END"
    )
    day = f"({base} + {offset})"
    weekly = (
        f"CASE WHEN s.days = 0 OR s.start_min IS NULL THEN NULL "
        f"WHEN s.sched_until IS NOT NULL AND {day} > s.sched_until THEN NULL "
        f"ELSE {day} * 1440 + s.start_min END"
    )
    dated = "(SELECT min(t.start) FROM search_starts t WHERE t.n = s.n AND t.until >= :local_minutes)"
    return f"(CASE WHEN s.recurring = 1 THEN {weekly} ELSE {dated} END)"


def _sort(sort: str, after: tuple[str | int | float, str] | None, params: dict[str, Any]) -> tuple[str, str, str]:
    """(key expression, ORDER BY, condition for "after the cursor")."""
    if sort == "updated":
        key, order, compare = "s.updated", "s.updated DESC, s.id DESC", "<"
    elif sort == "distance":
        key = f"coalesce(-(s.x * :qx + s.y * :qy + s.z * :qz), {NO_DISTANCE})"
        order, compare = f"{key}, s.id", ">"
    elif sort == "next":
        key = f"coalesce({next_start_sql()}, {NO_OCCURRENCE})"
        order, compare = f"{key}, s.id", ">"
    else:
        raise ValueError(f"unknown sort {sort!r}")
    condition = ""
    if after is not None:
        params["after_key"], params["after_id"] = after
        condition = f"({key}, s.id) {compare} (:after_key, :after_id)"
    return key, order, condition


def _anchor_params(anchor: Anchor, params: dict[str, Any]) -> None:
    params["local_day"] = anchor.local_day
    params["local_minute"] = anchor.local_minute
    params["local_minutes"] = anchor.local_minutes


# How many rows, newest first, a search reads in the order of the default sort before it gives up on that
# and collects every match to sort them instead. A dense filter (voetbal, day=&free=, a common word) fills
# a page within a few hundred rows; a sparse one would read most of the table, and its matches, few by
# definition, are cheaper to find by their own index and sort. Reading this many costs 1-3 ms, about what
# collecting and sorting a thousand or two matches costs.
SCAN_BUDGET = 5000
_COLUMN = re.compile(r"\bs\.([a-z_]+)\b")


def _stream(filters: Filters, condition: str, after: bool, params: dict[str, Any]) -> str:
    """Every row that may match, newest first (updated DESC, id DESC), after the cursor if `after`, with
    the columns `condition` reads; unfiltered, but for the municipalities or sports asked for.

    Municipalities, else sports: one branch per value from its (column, updated, id, ...) index (0009);
    SQLite merges ordered compound branches lazily, so a LIMIT on the stream stops every branch early.
    One municipality is too small a part of the table (1/342) to find by reading all of it in order.
    Otherwise the whole-table index, which holds every column a filter reads, so only it is read.
    """
    # Only what the filter needs: every column more is copied for every row read.
    columns = ", ".join(sorted({"n", "updated", "id", *_COLUMN.findall(condition)}))
    later = " AND (updated, id) < (:after_key, :after_id)" if after else ""
    for column, values in (("municipality", filters.municipalities), ("sport", filters.sports)):
        if not values:
            continue
        branches = []
        for i, value in enumerate(sorted(values)):
            params[f"stream{i}"] = value
            branches.append(f"SELECT {columns} FROM search_index INDEXED BY search_by_{column} "
                            f"WHERE {column} = :stream{i}{later}")
        return " UNION ALL ".join(branches) + " ORDER BY updated DESC, id DESC"
    return f"SELECT {columns} FROM search_index INDEXED BY search_by_updated WHERE 1{later} ORDER BY updated DESC, id DESC"


def _box(params: dict[str, Any]) -> str:
    """The row numbers in a distance filter's box (_near), from the R*Tree of 0009 (a box that holds the
    point even where a coordinate is not a 32-bit float; the filter itself decides)."""
    lon = " AND lon_lo <= :lon_hi AND lon_hi >= :lon_lo" if "lon_lo" in params else ""
    return f"SELECT n FROM search_geo WHERE lat_lo <= :lat_hi AND lat_hi >= :lat_lo{lon}"


def _driver(filters: Filters, params: dict[str, Any]) -> str:
    """FROM of a search that collects every match: led by the filter likely to be narrowest, since SQLite
    has no statistics of this index to choose by (and equal guesses for every index: it would lead with
    kind as soon as with sport).

    A box, a full-text or a concept filter leads as a list of row numbers (CROSS JOIN keeps that order
    of the join); every condition is in the WHERE clause still, so the choice changes only the speed.
    """
    if filters.municipalities:
        return "search_index s INDEXED BY search_by_municipality"
    if filters.wijken and not filters.buurten:
        return "search_index s INDEXED BY search_by_wijk"
    if filters.buurten and not filters.wijken:
        return "search_index s INDEXED BY search_by_buurt"
    if "lat_lo" in params:  # a distance filter's box (_near)
        return f"({_box(params)}) AS d CROSS JOIN search_index s ON s.n = d.n"
    if filters.match is not None:
        return "(SELECT rowid AS n FROM search_text WHERE search_text MATCH :match) AS d CROSS JOIN search_index s ON s.n = d.n"
    if filters.target_groups:
        terms = _in("term", filters.target_groups, "tg", params)
        return f"(SELECT DISTINCT n FROM search_terms WHERE {terms}) AS d CROSS JOIN search_index s ON s.n = d.n"
    if filters.accessibility:
        return "(SELECT n FROM search_terms WHERE term = :acc0) AS d CROSS JOIN search_index s ON s.n = d.n"
    if filters.sports:
        return "search_index s INDEXED BY search_by_sport"
    if filters.kinds:
        return "search_index s INDEXED BY search_by_kind"
    # Nothing narrow: the index that holds every filtered column is the cheapest way through the table.
    return "search_index s INDEXED BY search_by_updated"


def _page_sql(page: str, order: str) -> str:
    """The rows of a page (`page`: n and sort_key of each; `order` over p.sort_key and s.id) with their
    documents: the next start and the join with `objects` are computed for these rows only, not for
    every match."""
    return f"""
        SELECT s.id, s.kind, o.origin, o.document, s.lat, s.lon,
               CASE WHEN s.kind IN ('activity', 'course') THEN {next_start_sql()} END AS next_start,
               p.sort_key
        FROM ({page}) AS p
        JOIN search_index s ON s.n = p.n
        JOIN objects o ON o.id = s.id
        ORDER BY {order}
    """


async def _all(db: aiosqlite.Connection, sql: str, params: dict[str, Any]) -> list[aiosqlite.Row]:
    """Every row of `sql` in one hop to the connection's thread (execute, fetch and close in one: the hops,
    each a wait for a turn of the busy event loop, cost more than a small query)."""
    return list(await db.execute_fetchall(sql, params))


async def _fetch(db: aiosqlite.Connection, sql: str, params: dict[str, Any]) -> list[Row]:
    return [
        Row(
            id=row["id"],
            kind=row["kind"],
            origin=row["origin"],
            document_json=row["document"],
            lat=row["lat"],
            lon=row["lon"],
            next_start=row["next_start"],
            key=row["sort_key"],
        )
        for row in await _all(db, sql, params)
    ]


def _is_empty(filters: Filters) -> bool:
    """A filter that names an empty set of values (every asked sport or municipality unknown) matches nothing."""
    return filters.sports == frozenset() or filters.municipalities == frozenset()


async def _few_near(db: aiosqlite.Connection, params: dict[str, Any]) -> bool:
    """Whether a distance filter's box holds so few rows that sorting them beats reading in order."""
    if "lat_lo" not in params:
        return False
    few = SCAN_BUDGET // 5
    rows = await _all(db, f"SELECT count(*) FROM ({_box(params)} LIMIT :few)", {**params, "few": few})
    return bool(rows) and int(rows[0][0]) < few


async def search(
    db: aiosqlite.Connection,
    filters: Filters,
    anchor: Anchor,
    *,
    sort: str,
    after: tuple[str | int | float, str] | None,
    limit: int,
) -> list[Row]:
    """One page of matches in `sort` order, starting after the (key, id) `after`."""
    if _is_empty(filters) or limit <= 0:
        return []
    params: dict[str, Any] = {"limit": limit, "budget": SCAN_BUDGET}
    _anchor_params(anchor, params)
    condition = where(filters, anchor, params)
    key, order, after_condition = _sort(sort, after, params)
    page_order = "p.sort_key DESC, s.id DESC" if sort == "updated" else "p.sort_key, s.id"
    if sort == "updated" and SCAN_BUDGET > 0 and not await _few_near(db, params):
        # Newest first: read the rows in that order and stop when the page is full. Exact when it fills:
        # nothing unread can come before what was read. No ORDER BY here: SQLite runs the stream as a
        # co-routine, whose rows come in its own order; sorting them again would read the whole budget.
        scanned = f"""
            SELECT s.n, s.updated AS sort_key
            FROM ({_stream(filters, condition, after is not None, params)} LIMIT :budget) AS s
            WHERE {condition}
            LIMIT :limit
        """
        rows = await _fetch(db, _page_sql(scanned, page_order), params)
        if len(rows) == limit:
            return rows
    if after_condition:
        condition += f" AND {after_condition}"
    # Every match, found by the narrowest index, sorted; only the index row of each is read.
    collected = f"""
        SELECT s.n, {key} AS sort_key
        FROM {_driver(filters, params)}
        WHERE {condition}
        ORDER BY {order}
        LIMIT :limit
    """
    return await _fetch(db, _page_sql(collected, page_order), params)


async def count(db: aiosqlite.Connection, filters: Filters, anchor: Anchor) -> int:
    params: dict[str, Any] = {}
    sql = f"SELECT count(*) FROM search_index s WHERE {where(filters, anchor, params)}"
    rows = await _all(db, sql, params)
    return int(rows[0][0]) if rows else 0


async def facet(db: aiosqlite.Connection, filters: Filters, anchor: Anchor, column: str) -> list[tuple[str, int]]:
    """(value, count) of a single-valued column ('sport' or 'municipality') over the matches, most first."""
    if column not in ("sport", "municipality"):
        raise ValueError(f"no facet on {column!r}")
    params: dict[str, Any] = {}
    sql = f"""SELECT s.{column} AS value, count(*) AS n FROM search_index s
              WHERE {where(filters, anchor, params)} AND s.{column} IS NOT NULL
              GROUP BY s.{column} ORDER BY n DESC, value"""
    return [(row["value"], int(row["n"])) for row in await _all(db, sql, params)]


async def term_facet(
    db: aiosqlite.Connection, filters: Filters, anchor: Anchor, prefix: str
) -> list[tuple[str, int]]:
    """(term, count) over the matches for the terms that start with `prefix` (one concept list's namespace)."""
    params: dict[str, Any] = {"lo": prefix, "hi": prefix + "\U0010ffff"}
    sql = f"""SELECT t.term AS value, count(*) AS n
              FROM search_index s JOIN search_terms t ON t.n = s.n
              WHERE {where(filters, anchor, params)} AND t.term >= :lo AND t.term < :hi
              GROUP BY t.term ORDER BY n DESC, value"""
    return [(row["value"], int(row["n"])) for row in await _all(db, sql, params)]


async def count_current_by_kind(db: aiosqlite.Connection, today: str, *, local_only: bool) -> dict[str, int]:
    """Public, live, current objects per kind in the index: what the node holds (or only its own)."""
    sql = "SELECT kind, count(*) FROM search_index WHERE (valid_through IS NULL OR valid_through >= :today)"
    sql += " AND local = 1" if local_only else ""
    async with db.execute(sql + " GROUP BY kind", {"today": today}) as cursor:
        return {row[0]: int(row[1]) for row in await cursor.fetchall()}
