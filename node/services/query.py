"""The query API: checked parameters resolved against the vocabulary and the CBS lists, run over the index.

Everything the node holds is searched: its own objects and those of other hosts (an aggregator's whole
view). Filters, sort and facets are evaluated in SQL (store/query.py); this module decides what the
client's words mean ("balsport" means every sport under it, a province means its municipalities), keeps
the pages of one query consistent (the cursor's anchor), and dresses the rows as results.
"""

from __future__ import annotations

import math
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import aiosqlite

from node.errors import FieldError, SportnodeError
from node.protocol import cursor as cursors
from node.protocol.formats import Hit, ResultPage
from node.protocol.local_time import day_number, from_wall_minutes, local, utc_date
from node.protocol.objects import CRITERIA
from node.protocol.query_params import SearchParams, fts_match
from node.protocol.vocab import ConceptList
from node.services.node import Node, iso
from node.store import query as store
from node.store.query import EARTH_RADIUS_KM, Anchor, Filters, Near


def _concepts(
    concepts: ConceptList, refs: tuple[str, ...], name: str, what: str, errors: list[FieldError]
) -> frozenset[str]:
    found = set()
    for ref in refs:
        concept = concepts.resolve(ref)
        if concept is None:
            errors.append(FieldError(f"/{name}", f"{name}: unknown {what} {ref!r}"))
        else:
            found.add(concept.uri)
    return frozenset(found)


def _sports(node: Node, params: SearchParams, errors: list[FieldError]) -> frozenset[str] | None:
    if not params.sports:
        return None
    named = _concepts(node.vocabulary.sports, params.sports, "sport", "sport", errors)
    # A broad sport finds everything under it: "balsport" finds korfbal.
    return frozenset(uri for top in named for uri in node.vocabulary.sports.narrower_closure(top))


def _municipalities(node: Node, params: SearchParams, errors: list[FieldError]) -> frozenset[str] | None:
    known = node.areas.municipalities
    chosen: frozenset[str] | None = None
    if params.municipalities:
        unknown = [c for c in params.municipalities if c not in known]
        for code in unknown:
            errors.append(FieldError("/municipality", f"municipality: {code} is not a CBS municipality code"))
        chosen = frozenset(params.municipalities)
    if params.provinces:
        in_provinces: set[str] = set()
        for ref in params.provinces:
            wanted = ref.casefold()
            codes = {m.code for m in known.values() if wanted in (m.province_code.casefold(), m.province_name.casefold())}
            if not codes:
                errors.append(FieldError("/province", f"province: unknown province {ref!r} (a code PVxx or a name)"))
            in_provinces |= codes
        # Municipality and province together: both must hold.
        chosen = frozenset(in_provinces) if chosen is None else chosen & in_provinces
    return chosen


def _neighbourhoods(node: Node, params: SearchParams, errors: list[FieldError]) -> tuple[frozenset[str], frozenset[str]]:
    wijken: set[str] = set()
    buurten: set[str] = set()
    for code in params.neighbourhoods:
        wijk = f"WK{code[2:8]}" if code.startswith("BU") else code
        if wijk not in node.areas.neighbourhoods:
            errors.append(FieldError("/neighbourhood", f"neighbourhood: {code} lies in no known CBS wijk"))
        (buurten if code.startswith("BU") else wijken).add(code)
    return frozenset(wijken), frozenset(buurten)


_CRITERIA_BITS = {name: 1 << i for i, name in enumerate(CRITERIA)}


def filters_of(node: Node, params: SearchParams) -> Filters:
    """The store's filters for checked parameters; 400 naming each concept or area that is not known."""
    errors: list[FieldError] = []
    vocabulary = node.vocabulary
    sports = _sports(node, params, errors)
    named_groups = _concepts(vocabulary.target_groups, params.target_groups, "targetGroup", "target group", errors)
    # Like sports: "jeugd" finds an activity for "kinderen".
    target_groups = frozenset(uri for top in named_groups for uri in vocabulary.target_groups.narrower_closure(top))
    accessibility = _concepts(vocabulary.accessibility, params.accessibility, "accessibility", "accessibility", errors)
    municipalities = _municipalities(node, params, errors)
    wijken, buurten = _neighbourhoods(node, params, errors)
    if errors:
        names = ", ".join(dict.fromkeys(e.path.lstrip("/") for e in errors))
        raise SportnodeError(400, "bad-request", f"Bad query parameter: {names}.", errors)
    near = Near(params.lat, params.lon, params.km) if params.lat is not None and params.lon is not None else None
    return Filters(
        match=fts_match(params.words) if params.words else None,
        kinds=frozenset(params.types),
        sports=sports,
        target_groups=target_groups,
        accessibility=accessibility,
        municipalities=municipalities,
        wijken=wijken,
        buurten=buurten,
        near=near,
        age=params.age,
        free=params.free,
        max_price=params.max_price,
        day_mask=sum(1 << d for d in params.days),
        starts_after=params.starts_after,
        ends_before=params.ends_before,
        criteria_on=sum(_CRITERIA_BITS[name] for name, wanted in params.criteria if wanted),
        criteria_off=sum(_CRITERIA_BITS[name] for name, wanted in params.criteria if not wanted),
    )


def anchor_at(moment: datetime) -> Anchor:
    wall = local(moment)
    return Anchor(today=utc_date(moment), local_day=day_number(wall.date()), local_minute=wall.hour * 60 + wall.minute)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _moment(node: Node, params: SearchParams, digest: str) -> tuple[datetime, cursors.Cursor | None]:
    if params.cursor is None:
        # Whole seconds: the cursor carries the anchor at that precision, and every page must agree.
        return node.clock().replace(microsecond=0), None
    found = cursors.decode(params.cursor, digest)
    try:
        moment = datetime.fromisoformat(found.anchor.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise SportnodeError(400, "bad-request", "Bad query parameter: cursor.",
                             [FieldError("/cursor", "cursor: is not a cursor this node gave out")])
    return moment, found


# Next starts repeat (weekly hours start on the quarter, on the same few days ahead): the time-zone
# arithmetic is done once per minute value, not once per row.
_start_of = lru_cache(maxsize=4096)(from_wall_minutes)


def _hit(row: store.Row, params: SearchParams) -> Hit:
    distance = None
    if params.lat is not None and params.lon is not None and row.lat is not None and row.lon is not None:
        distance = haversine_km(params.lat, params.lon, row.lat, row.lon)
    return Hit(
        id=row.id,
        document_json=row.document_json,
        kind=row.kind,
        origin=row.origin,
        distance_km=distance,
        next_start=_start_of(row.next_start) if row.next_start is not None else None,
    )


Facets = dict[str, list[dict[str, Any]]]


async def _facets(
    node: Node, db: aiosqlite.Connection, filters: Filters, anchor: Anchor, names: tuple[str, ...]
) -> Facets:
    vocabulary = node.vocabulary
    found: Facets = {}
    for name in names:
        if name == "targetGroup":
            counts = await store.term_facet(db, filters, anchor, vocabulary.target_groups.scheme + "#")
            found[name] = [_concept_count(vocabulary.target_groups, uri, n) for uri, n in counts]
        elif name == "sport":
            counts = await store.facet(db, filters, anchor, "sport")
            found[name] = [_concept_count(vocabulary.sports, uri, n) for uri, n in counts]
        else:
            counts = await store.facet(db, filters, anchor, "municipality")
            municipalities = node.areas.municipalities
            found[name] = [
                {"value": code, "label": municipalities[code].name if code in municipalities else code, "count": n}
                for code, n in counts
            ]
    return found


@dataclass(frozen=True)
class Counts:
    """`total` and the facets of one filter: counted over every match, so the dearest part of a page of a
    broad filter (tens of thousands of index rows per facet)."""

    total: int
    facets: Facets


# Counted totals and facets of recent filters, per reader connection, each keyed by the connection's
# `PRAGMA data_version`: it changes whenever any other connection commits, this process's writer or
# another process (`sportnode import` runs beside a serving node), so an entry is never used after a write.
# An on_commit counter would miss the other process. Per connection because data_version is.
_COUNTS_PER_READER = 64
_counts: weakref.WeakKeyDictionary[aiosqlite.Connection, OrderedDict[tuple[object, ...], Counts]] = (
    weakref.WeakKeyDictionary()
)


async def _data_version(db: aiosqlite.Connection) -> int:
    rows = list(await db.execute_fetchall("PRAGMA data_version"))
    return int(rows[0][0])


async def _counts_of(
    node: Node, db: aiosqlite.Connection, filters: Filters, anchor: Anchor, names: tuple[str, ...]
) -> Counts:
    """The total and facets, counted, or as counted before when nothing has been written since.

    The version is read before counting: a write between the two leaves an entry newer than its key,
    which the next version misses anyway; never an older one."""
    key = (await _data_version(db), filters, anchor.today, names)
    cached = _counts.setdefault(db, OrderedDict())
    found = cached.get(key)
    if found is not None:
        cached.move_to_end(key)
        return found
    found = Counts(await store.count(db, filters, anchor), await _facets(node, db, filters, anchor, names))
    cached[key] = found
    while len(cached) > _COUNTS_PER_READER:
        cached.popitem(last=False)  # the least recently used
    return found


def _concept_count(concepts: ConceptList, uri: str, n: int) -> dict[str, Any]:
    concept = concepts.resolve(uri)
    if concept is None:  # a remote node's concept we do not know
        return {"value": uri, "count": n}
    return {"value": uri, "key": concept.key, "label": concept.label_nl, "count": n}


async def search(node: Node, params: SearchParams, page_url: Callable[[str | None], str]) -> ResultPage:
    """One page of results for checked parameters, with facets and the total when asked for.

    `page_url(cursor)` is the URL of this query at that cursor (None: the URL as asked).
    """
    filters = filters_of(node, params)
    digest = cursors.digest(params.filter_key())
    moment, after = _moment(node, params, digest)
    anchor = anchor_at(moment)
    # One reader for the page and its counts: one wait for a free connection, not two.
    async with node.db.read() as db:
        # One more than asked: whether it comes tells if there is a next page.
        rows = await store.search(
            db, filters, anchor, sort=params.sort,
            after=(after.key, after.id) if after else None, limit=params.limit + 1,
        )
        counts = await _counts_of(node, db, filters, anchor, params.facets) if params.facets else None
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    at = iso(moment)
    next_url = None
    if more and rows:
        last = rows[-1]
        next_url = page_url(cursors.encode(cursors.Cursor(anchor=at, key=last.key, id=last.id, digest=digest)))
    return ResultPage(
        hits=[_hit(row, params) for row in rows],
        self_url=page_url(None),
        next_url=next_url,
        anchor=at,
        total=counts.total if counts else None,
        facets=counts.facets if counts else None,
    )


def concept_key(node: Node) -> Callable[[str], str]:
    """URI -> key for any of our concept lists (CSV and iCal show keys); an unknown URI stays as it is."""
    lists = (node.vocabulary.sports, node.vocabulary.target_groups, node.vocabulary.accessibility)

    def key_of(uri: str) -> str:
        for concepts in lists:
            concept = concepts.resolve(uri) if uri.startswith(concepts.scheme) else None
            if concept is not None:
                return concept.key
        return uri

    return key_of
