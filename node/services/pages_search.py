"""The search page's data: the page's query string read, a postcode placed, the query run with its counts,
and, when nothing is found, what each widening of the search would find.

The page's parameters are /api/search's (checked by the same `parse_search` and `filters_of`) plus a few
of its own: `postcode` (placed at the places the node holds with it, store/search_pages.py), `weergave`
(list or map) and `lang`. An empty form field is no parameter.
"""

from __future__ import annotations

import json
import re
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TypeVar

import aiosqlite

from node.errors import FieldError, SportnodeError
from node.protocol.formats import ResultPage
from node.protocol.objects import CRITERIA
from node.protocol.query_params import SearchParams, parse_search
from node.services import query
from node.services.node import Node
from node.store import query as store
from node.store import search_pages
from node.store.search_pages import Point

Items = tuple[tuple[str, str], ...]

LIST_LIMIT = 20
MAP_LIMIT = 200  # the map view lists (and maps) this many at once
VIEWS = ("lijst", "kaart")
PAGE_ONLY = ("postcode", "weergave", "lang")
SET_BY_PAGE = ("format", "facets", "limit")  # the page chooses these itself; from a URL they are ignored
POSTCODE = re.compile(r"^([1-9][0-9]{3})\s*([A-Za-z]{2})?$")
LOCATION = ("postcode", "lat", "lon", "km")

# The filters a resident can drop to widen a search, each with the parameters it is made of.
FILTER_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("q", ("q",)),
    ("type", ("type",)),
    ("sport", ("sport",)),
    ("municipality", ("municipality", "province")),
    ("neighbourhood", ("neighbourhood",)),
    ("location", LOCATION),
    ("age", ("age",)),
    ("free", ("free",)),
    ("maxPrice", ("maxPrice",)),
    ("day", ("day",)),
    ("startsAfter", ("startsAfter",)),
    ("endsBefore", ("endsBefore",)),
    ("targetGroup", ("targetGroup",)),
    ("accessibility", ("accessibility",)),
    *((name, (name,)) for name in CRITERIA),
)


@dataclass(frozen=True)
class PageQuery:
    """The page's query string, tidied: what a form sends, without empty fields, in the order given."""

    items: Items
    postcode: str | None = None
    view: str = "lijst"

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.items if key == name]

    def first(self, name: str) -> str:
        found = self.values(name)
        return found[0] if found else ""

    def without(self, *names: str) -> Items:
        return tuple((k, v) for k, v in self.items if k not in names)


def _tidy(name: str, value: str) -> str:
    value = value.strip()
    if name == "maxPrice":
        # Residents write "€ 2,50": the API wants 2.50.
        value = value.replace("€", "").replace(",", ".").strip()
    if name == "postcode":
        value = " ".join(value.upper().split())
        if match := POSTCODE.match(value):
            value = " ".join(filter(None, match.groups()))  # as Dutch addresses write it: "3811 AB"
    return value


def read_query(pairs: Iterable[tuple[str, str]]) -> PageQuery:
    items = [(k, _tidy(k, v)) for k, v in pairs if k not in SET_BY_PAGE and k != "lang"]
    items = [(k, v) for k, v in items if v]
    postcode = next((v for k, v in items if k == "postcode"), None)
    view = next((v for k, v in items if k == "weergave"), "lijst")
    if postcode:
        # A postcode typed in the form is newer than a position a previous "near me" left in the URL.
        items = [(k, v) for k, v in items if k not in ("lat", "lon")]
    return PageQuery(tuple(items), postcode, view if view in VIEWS else "lijst")


@dataclass(frozen=True)
class Widening:
    group: str  # a FILTER_GROUPS name, or "distance" for the doubled distance
    items: Items  # the page's query string for the wider search
    count: int
    km: float | None = None  # the doubled distance


@dataclass
class SearchPage:
    query: PageQuery
    api_items: Items  # /api/search's parameters for the same search (postcode as lat/lon), for iCal and Atom
    errors: list[FieldError] = field(default_factory=list)
    point: Point | None = None  # the postcode's position
    params: SearchParams | None = None
    result: ResultPage | None = None
    organisers: dict[str, str] = field(default_factory=dict)
    sports: list[tuple[str, int]] = field(default_factory=list)  # concept URI, matches with narrower ones
    municipalities: list[tuple[str, int]] = field(default_factory=list)
    wijken: list[tuple[str, int]] = field(default_factory=list)
    target_groups: dict[str, int] = field(default_factory=dict)  # concept URI -> matches with narrower ones
    widenings: list[Widening] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.result.total or 0 if self.result else 0


async def place_postcode(node: Node, text: str) -> Point | FieldError:
    match = POSTCODE.match(text.strip())
    if match is None:
        return FieldError("/postcode", "postcode: not a Dutch postcode (1234 AB)")
    async with node.db.read() as db:
        point = await search_pages.postcode_point(db, match[1], match[2].upper() if match[2] else None)
    return point or FieldError("/postcode", "postcode: unknown here")


def _raw(items: Items) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    for key, value in items:
        if key not in PAGE_ONLY:
            raw.setdefault(key, []).append(value)
    return raw


def _checked(node: Node, items: Items) -> tuple[SearchParams, store.Filters]:
    params = parse_search(_raw(items))
    return params, query.filters_of(node, params)


def closure_counts(node: Node, facet: Sequence[Mapping[str, object]]) -> list[tuple[str, int]]:
    """A sport facet (one sport per object) as counts of each sport with everything under it, for every
    sport that has any: what a filter on that sport finds among the matches."""
    sports = node.vocabulary.sports
    totals: dict[str, int] = {}
    for entry in facet:
        uri, count = str(entry["value"]), int(str(entry["count"]))
        # The sport and every concept above it, each once (a sport may sit under two broader ones).
        above, todo = {uri}, [uri]
        while todo:
            concept = sports.resolve(todo.pop())
            for parent in concept.broader if concept else ():
                if parent not in above:
                    above.add(parent)
                    todo.append(parent)
        for each in above:
            totals[each] = totals.get(each, 0) + count
    return sorted(totals.items(), key=lambda pair: -pair[1])


T = TypeVar("T")
# Counts of recent filters per reader connection, each with the connection's data_version: as the query
# service caches its totals and facets (services/query.py), so a page asked again before any write
# counts nothing again. Per connection because data_version is.
_COUNTS_PER_READER = 64
_counted: weakref.WeakKeyDictionary[aiosqlite.Connection, OrderedDict[tuple[object, ...], object]] = (
    weakref.WeakKeyDictionary()
)


async def counted(db: aiosqlite.Connection, key: tuple[object, ...], count: Callable[[], Awaitable[T]]) -> T:
    """`count()`, or what it gave before for `key` when nothing has been written since."""
    return await counted_at(db, await search_pages.data_version(db), key, count)


async def counted_at(
    db: aiosqlite.Connection, version: int, key: tuple[object, ...], count: Callable[[], Awaitable[T]]
) -> T:
    """As `counted`, with the connection's data_version read already."""
    full = (version, *key)
    cached = _counted.setdefault(db, OrderedDict())
    if full in cached:
        cached.move_to_end(full)
        return cached[full]  # type: ignore[return-value]
    found = await count()
    cached[full] = found
    while len(cached) > _COUNTS_PER_READER:
        cached.popitem(last=False)
    return found


# Organisers' names per reader connection, for its data_version: page after page names the same few.
_NAMES_PER_READER = 4096
_named: weakref.WeakKeyDictionary[aiosqlite.Connection, tuple[int, dict[str, str | None]]] = (
    weakref.WeakKeyDictionary()
)


async def names_at(db: aiosqlite.Connection, version: int, ids: Iterable[str]) -> dict[str, str]:
    """search_pages.names, asking the database only for ids not named since the last write."""
    known_version, known = _named.get(db, (None, {}))
    if known_version != version or len(known) > _NAMES_PER_READER:
        known = {}
        _named[db] = (version, known)
    wanted = set(ids)
    if missing := wanted - known.keys():
        found = await search_pages.names(db, missing)
        known.update((each, found.get(each)) for each in missing)
    return {each: name for each in wanted if (name := known[each]) is not None}


async def _wijk_and_group_counts(
    node: Node, db: aiosqlite.Connection, filters: store.Filters, anchor: store.Anchor
) -> tuple[list[tuple[str, int]], dict[str, int]]:
    return (await search_pages.wijk_counts(db, filters, anchor),
            await search_pages.group_counts(db, filters, anchor, concept_groups(node)))


def concept_groups(node: Node) -> dict[str, frozenset[str]]:
    """Each target group with those under it ("jeugd" also counts "kinderen")."""
    groups = node.vocabulary.target_groups
    return {c.uri: groups.narrower_closure(c.uri) for c in groups}


async def search_page(node: Node, page: PageQuery, page_url: Callable[[str | None], str]) -> SearchPage:
    """Everything the page shows; `errors` says what to correct instead (the page then answers 400)."""
    api_items = page.without(*PAGE_ONLY, "cursor")
    found = SearchPage(page, api_items)
    if page.postcode:
        placed = await place_postcode(node, page.postcode)
        if isinstance(placed, FieldError):
            found.errors.append(placed)
        else:
            found.point = placed
            found.api_items = (("lat", f"{placed.lat:.6f}"), ("lon", f"{placed.lon:.6f}"), *api_items)
    try:
        params, filters = _checked(node, found.api_items + tuple(("cursor", c) for c in page.values("cursor")))
    except SportnodeError as error:
        found.errors.extend(_relevant(error.fields, found.errors))
        found.errors.extend(_names_unknown(node, found.api_items, error.fields))
        return found
    if found.errors:
        return found
    limit = MAP_LIMIT if page.view == "kaart" else LIST_LIMIT
    found.params = params = replace(params, limit=limit, facets=("sport", "municipality"))
    try:
        found.result = await query.search(node, params, page_url)
    except SportnodeError as error:  # a cursor of another search
        found.errors.extend(error.fields or [FieldError("/cursor", "cursor: not valid")])
        return found
    facets = found.result.facets or {}
    found.sports = closure_counts(node, facets.get("sport", ()))
    found.municipalities = [(str(e["value"]), int(str(e["count"]))) for e in facets.get("municipality", ())]
    anchor = query.anchor_at(node.clock())
    async with node.db.read() as db:
        # One data_version for the counts and the names: each read of it is a round trip to the reader.
        version = await search_pages.data_version(db)
        found.wijken, found.target_groups = await counted_at(
            db, version, ("wijk+targetGroup", filters, anchor.today),
            lambda: _wijk_and_group_counts(node, db, filters, anchor))
        found.organisers = await names_at(db, version, _organisers(found.result))
    if found.total == 0:
        found.widenings = await _widenings(node, page, found)
    return found


def _names_unknown(node: Node, items: Items, errors: Sequence[FieldError]) -> list[FieldError]:
    """The unknown concepts and areas among the parameters that parsed, so that every error is shown at
    once (parse_search stops before the vocabulary is asked)."""
    failed = {error.path.lstrip("/").split("/", 1)[0] for error in errors}
    try:
        query.filters_of(node, parse_search(_raw(tuple((k, v) for k, v in items if k not in failed))))
    except SportnodeError as error:
        return [e for e in error.fields if e.path.lstrip("/") not in failed]
    return []


def _relevant(errors: Sequence[FieldError], before: Sequence[FieldError]) -> list[FieldError]:
    """A postcode we could not place leaves km and sort=distance without a point: one message is enough."""
    if not any(e.path == "/postcode" for e in before):
        return list(errors)
    return [e for e in errors if not (e.path in ("/km", "/sort") and "needs lat" in e.message.replace("distance needs", "needs"))]


@lru_cache(maxsize=2048)
def _organiser_of(document_json: str) -> str | None:
    """By the document's text: the page's results come back again and again, and decoding each is dear."""
    document = json.loads(document_json)
    organiser = document.get("attributedTo") or document.get("organizer")
    return organiser if isinstance(organiser, str) else None


def _organisers(result: ResultPage) -> list[str]:
    return [organiser for hit in result.hits if (organiser := _organiser_of(hit.document_json)) is not None]


async def _count(node: Node, items: Items) -> int | None:
    try:
        _, filters = _checked(node, tuple((k, v) for k, v in items if k not in PAGE_ONLY))
    except SportnodeError:
        return None
    async with node.db.read() as db:
        return await store.count(db, filters, query.anchor_at(node.clock()))


async def _widenings(node: Node, page: PageQuery, found: SearchPage) -> list[Widening]:
    """For each filter in use, the search without it; for a distance, the search with it doubled."""
    # A placed postcode is a position the page's own query string does not hold.
    located = (found.api_items[:2] if found.point else ())
    base = page.without("cursor")
    options: list[Widening] = []
    for group, names in FILTER_GROUPS:
        if not any(k in names for k, _ in base):
            continue
        wider = tuple((k, v) for k, v in base if k not in names)
        if group == "location":
            wider = tuple((k, v) for k, v in wider if not (k == "sort" and v == "distance"))
        count = await _count(node, tuple((k, v) for k, v in located if group != "location") + _api(wider))
        if count is not None:
            options.append(Widening(group, wider, count))
    km = found.params.km if found.params else None
    if km is not None:
        doubled = min(km * 2, 20000.0)
        wider = tuple((k, f"{doubled:g}" if k == "km" else v) for k, v in base)
        count = await _count(node, located + _api(wider))
        if count is not None:
            options.append(Widening("distance", wider, count, km=doubled))
    return sorted(options, key=lambda w: -w.count)


def _api(items: Items) -> Items:
    return tuple((k, v) for k, v in items if k not in PAGE_ONLY)
