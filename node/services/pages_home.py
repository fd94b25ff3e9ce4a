"""The home page's data: what the node holds, its sports and wijken with counts, and what changed last.

Counted over the query index, which holds everything the node shows: its own objects and, on an
aggregator, those of the nodes it follows. Each count is what the page's link to the search page finds
(current activities of that sport or wijk).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from node.protocol.formats import ResultPage
from node.protocol.query_params import SearchParams
from node.protocol.vocab import Concept
from node.services import query, reading
from node.services.areas import Municipality, Neighbourhood
from node.services.node import Node
from node.services.pages_search import counted
from node.store import search_pages
from node.store.query import Filters

LATEST = 5


@dataclass
class WijkCount:
    wijk: Neighbourhood
    count: int


@dataclass
class MunicipalityCount:
    municipality: Municipality
    count: int
    wijken: list[WijkCount] = field(default_factory=list)


@dataclass
class Home:
    counts: dict[str, int]  # current objects per kind
    activities: int  # current activities (what the sports and wijken count)
    sports: list[tuple[Concept, int]]  # the sports list's top concepts that have activities
    municipalities: list[MunicipalityCount]  # with their wijken, most activities first
    latest: ResultPage
    organisers: dict[str, str]


async def home(node: Node, page_url: str) -> Home:
    params = SearchParams(types=("activity",), facets=("sport", "municipality"), limit=LATEST)
    latest = await query.search(node, params, lambda cursor: page_url)
    facets = latest.facets or {}
    exact = {str(e["value"]): int(str(e["count"])) for e in facets.get("sport", ())}
    tops = []
    for concept in node.vocabulary.sports:
        if not concept.broader:
            # Each activity has one sport: the sum over everything under a top concept counts each once.
            count = sum(exact.get(uri, 0) for uri in node.vocabulary.sports.narrower_closure(concept.uri))
            if count:
                tops.append((concept, count))
    anchor = query.anchor_at(node.clock())
    async with node.db.read() as db:
        activities = Filters(kinds=frozenset({"activity"}))
        wijken = await counted(db, ("wijk", activities, anchor.today),
                               lambda: search_pages.wijk_counts(db, activities, anchor))
        organisers = await search_pages.names(
            db, [h.document["attributedTo"] for h in latest.hits if isinstance(h.document.get("attributedTo"), str)]
        )
    areas = node.areas
    municipalities: dict[str, MunicipalityCount] = {}
    for entry in facets.get("municipality", ()):
        code = str(entry["value"])
        if code in areas.municipalities:
            municipalities[code] = MunicipalityCount(areas.municipalities[code], int(str(entry["count"])))
    for code, count in wijken:
        wijk = areas.neighbourhoods.get(code)
        if wijk is not None and wijk.municipality_code in municipalities:
            municipalities[wijk.municipality_code].wijken.append(WijkCount(wijk, count))
    for found in municipalities.values():
        found.wijken.sort(key=lambda w: w.wijk.name)
    return Home(
        counts=await reading.counts(node),
        activities=latest.total or 0,
        sports=tops,
        municipalities=sorted(municipalities.values(), key=lambda m: (-m.count, m.municipality.name)),
        latest=latest,
        organisers=organisers,
    )

