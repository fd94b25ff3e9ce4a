"""What the area pages show: "Sport en bewegen in Vathorst" for a CBS wijk or municipality.

Everything comes from the query index, through the query service with the parameters /api/search would
get (`neighbourhood=CODE` or `municipality=CODE`, activities and courses), so the page's numbers are the
API's numbers; an aggregator's pages cover every object it holds. The coverage summary is
services/coverage.py's, not computed again here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from node.errors import not_found
from node.protocol.formats import ResultPage
from node.protocol.query_params import parse_search
from node.protocol.vocab import Concept
from node.services.areas import Municipality, Neighbourhood
from node.services.coverage import DEFAULT_RADIUS_KM, Coverage, coverage
from node.services.node import Node
from node.services.query import anchor_at, filters_of, search
from node.store import search_pages
from node.store.area_pages import Organiser, count_per_wijk, organisers
from node.store.query import Filters

OFFERING = "activity,course"
RESULTS = 20  # the first results on the page; the search page has the rest
ORGANISERS = 50


@dataclass(frozen=True)
class SportCount:
    concept: Concept
    count: int


@dataclass(frozen=True)
class WijkCount:
    wijk: Neighbourhood
    count: int  # what /api/search?neighbourhood=CODE&type=activity,course counts
    gaps: int  # target groups with nothing within the coverage radius of its centroid


@dataclass(frozen=True)
class GroupGap:
    """A target group and the wijken of the area where nothing for it lies within the radius."""

    concept: Concept
    wijken: list[Neighbourhood]


@dataclass(frozen=True)
class AreaPage:
    code: str
    name: str
    municipality: Municipality
    wijk: Neighbourhood | None
    lat: float  # the area's centroid
    lon: float
    results: ResultPage  # the first results, soonest first (web/result_view.py dresses them)
    organiser_names: dict[str, str]  # organiser id -> name, for the results
    total: int
    sports: list[SportCount]
    coverage: Coverage
    gaps: list[GroupGap]
    organisers: list[Organiser]
    wijken: list[WijkCount]  # a municipality's wijken, in name order; none for a wijk
    search: dict[str, str]  # the search page's (and /api/search's) parameters for this area

    @property
    def wijk_count(self) -> int:
        return len(self.coverage.wijken)


def find_wijk(node: Node, code: str) -> Neighbourhood:
    """The CBS wijk of 2025 by its code (WK030701, or Amsterdam's WK0363AF), any case; else 404."""
    found = node.areas.neighbourhoods.get(code.strip().upper())
    if found is None:
        raise not_found(f"{code} is not a CBS wijk code of 2025")
    return found


def find_municipality(node: Node, code: str) -> Municipality:
    found = node.areas.municipalities.get(code.strip().upper())
    if found is None:
        raise not_found(f"{code} is not a CBS municipality code of 2025")
    return found


def _sports(node: Node, page: ResultPage) -> list[SportCount]:
    found = []
    for facet in (page.facets or {}).get("sport", ()):
        concept = node.vocabulary.sports.resolve(str(facet["value"]))
        if concept is not None:  # a remote node's sport we do not know: the search page lists it
            found.append(SportCount(concept, int(facet["count"])))
    return found


def _group_gaps(found: Coverage) -> list[GroupGap]:
    """Per target group, the wijken with a gap; groups without any gap are left out."""
    gaps: dict[str, GroupGap] = {}
    for w in found.wijken:
        for concept in w.gaps:
            gaps.setdefault(concept.uri, GroupGap(concept, [])).wijken.append(w.wijk)
    return sorted(gaps.values(), key=lambda g: (-len(g.wijken), g.concept.label_nl))


async def _page(
    node: Node, municipality: Municipality, wijk: Neighbourhood | None, search_args: dict[str, str], page_url: str
) -> AreaPage:
    raw = {**search_args, "type": OFFERING, "facets": "sport", "sort": "next", "limit": str(RESULTS)}
    params = parse_search({name: [value] for name, value in raw.items()})
    page = await search(node, params, lambda cursor: page_url)
    # The same moment as the results: the counts below judge "current" exactly as the page did.
    anchor = anchor_at(datetime.fromisoformat(page.anchor.replace("Z", "+00:00")))
    filters = filters_of(node, params)
    wijken = [] if wijk else sorted(
        (n for n in node.areas.neighbourhoods.values() if n.municipality_code == municipality.code),
        key=lambda n: n.name,
    )
    found = await coverage(node, municipality, wijk, DEFAULT_RADIUS_KM)
    async with node.db.read() as db:
        organised = await organisers(db, filters, anchor, limit=ORGANISERS)
        names = await search_pages.names(db, [o for h in page.hits if isinstance(o := h.document.get("attributedTo"), str)])
        per_wijk: dict[str, int] = {}
        if wijken:
            # By wijk alone, as /api/search?neighbourhood=CODE counts, not within the municipality's matches.
            # (Filters directly: a city has more wijken than a query parameter may list.)
            by_wijk = Filters(kinds=filters.kinds, wijken=frozenset(w.code for w in wijken))
            per_wijk = await count_per_wijk(db, by_wijk, anchor)
    gap_counts = {w.wijk.code: len(w.gaps) for w in found.wijken}
    area = wijk or municipality
    return AreaPage(
        code=area.code,
        name=area.name,
        municipality=municipality,
        wijk=wijk,
        lat=area.lat,
        lon=area.lon,
        results=page,
        organiser_names=names,
        total=page.total or 0,
        sports=_sports(node, page),
        coverage=found,
        gaps=_group_gaps(found),
        organisers=organised,
        wijken=[WijkCount(w, per_wijk.get(w.code, 0), gap_counts.get(w.code, 0)) for w in wijken],
        search=search_args,
    )


async def wijk_page(node: Node, code: str, page_url: str) -> AreaPage:
    wijk = find_wijk(node, code)
    municipality = find_municipality(node, wijk.municipality_code)
    return await _page(node, municipality, wijk, {"neighbourhood": wijk.code}, page_url)


async def municipality_page(node: Node, code: str, page_url: str) -> AreaPage:
    municipality = find_municipality(node, code)
    return await _page(node, municipality, None, {"municipality": municipality.code}, page_url)
