"""What makes a node findable (docs/web.md, "Findable"): its sitemap and an Atom feed of any search.

The sitemap lists the pages whose canonical address is this node: its home and search pages, the pages
of the wijken and municipalities that have offering (on an aggregator too: they are its own pages), and
every public, current object it publishes itself. Objects held from other nodes are left out: their
canonical page is at their origin, which lists them in its own sitemap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from node.errors import not_found
from node.i18n import current_language
from node.i18n import gettext as _
from node.protocol import atom, sitemap
from node.protocol.formats import Hit, ResultPage
from node.protocol.query_params import SearchParams
from node.protocol.xml_text import rfc3339
from node.services import query
from node.services.node import Node
from node.services.result_summary import summarise
from node.store import findable

# Paths of the node's own pages that are not objects; the area pages are under these prefixes.
SEARCH_PAGES = ("/", "/zoeken", "/dekking")
WIJK_PAGE = "/wijk/"
MUNICIPALITY_PAGE = "/gemeente/"
# Crawlers need not read the API, the SPARQL endpoint or the widget (its pages are copies of search results).
NOT_FOR_CRAWLERS = ("/api/", "/sparql", "/widget")


async def locations(node: Node) -> list[sitemap.Location]:
    base = node.config.base_url
    today = node.clock().date().isoformat()
    async with node.db.read() as db:
        latest = await findable.last_change(db, today)
        wijken = await findable.areas_with_offering(db, today, "wijk")
        municipalities = await findable.areas_with_offering(db, today, "municipality")
        objects = await findable.own_objects(db, today)
    found = [sitemap.Location(base + path, rfc3339(latest)) for path in SEARCH_PAGES]
    found += [sitemap.Location(base + WIJK_PAGE + area.key, rfc3339(area.updated)) for area in wijken
              if area.key in node.areas.neighbourhoods]
    found += [sitemap.Location(base + MUNICIPALITY_PAGE + area.key, rfc3339(area.updated)) for area in municipalities
              if area.key in node.areas.municipalities]
    found += [sitemap.Location(item.key, rfc3339(item.updated)) for item in objects]
    return found


async def sitemap_xml(node: Node, page: int | None) -> bytes:
    """The sitemap; with more than sitemap.MAX_URLS pages, an index of parts `?page=1...N` (404 past N)."""
    found = await locations(node)
    parts = max(1, math.ceil(len(found) / sitemap.MAX_URLS))
    if page is None:
        if parts == 1:
            return sitemap.urlset(found)
        url = f"{node.config.base_url}/sitemap.xml?page="
        return sitemap.sitemap_index([sitemap.Location(f"{url}{n}") for n in range(1, parts + 1)])
    if not 1 <= page <= parts:
        raise not_found(f"This sitemap has {parts} part(s).")
    return sitemap.urlset(found[(page - 1) * sitemap.MAX_URLS : page * sitemap.MAX_URLS])


def robots_txt(node: Node) -> str:
    return sitemap.robots_txt(node.config.base_url, NOT_FOR_CRAWLERS)


def _described(node: Node, params: SearchParams) -> list[str]:
    """The query's filters in words, for the feed's title."""
    vocabulary, areas = node.vocabulary, node.areas
    english = current_language.get() == "en"
    words: list[str] = []
    if params.words:
        words.append(" ".join(params.words))
    for refs, concepts in ((params.sports, vocabulary.sports), (params.target_groups, vocabulary.target_groups)):
        for ref in refs:
            concept = concepts.resolve(ref)
            words.append((concept.label_en if english else concept.label_nl) if concept else ref)
    for code in params.municipalities:
        words.append(areas.municipalities[code].name if code in areas.municipalities else code)
    for code in params.neighbourhoods:
        wijk = areas.neighbourhoods.get(code)
        words.append(wijk.name if wijk else code)
    return words


@dataclass(frozen=True)
class FeedUrls:
    self_url: str  # this page of the feed
    feed_id: str  # the feed without a cursor: the same for every page
    alternate_url: str  # the search page for the same query


def _entry(hit: Hit, node: Node, fallback: str) -> atom.Entry:
    summary = summarise(hit, node)
    facts = " · ".join(part for part in (summary.when, summary.where, summary.cost) if part)
    return atom.Entry(
        id=hit.id,
        title=summary.name,
        updated=rfc3339(hit.document.get("updated")) or fallback,
        link=summary.url,
        summary="\n\n".join(part for part in (facts, summary.description) if part),
    )


async def atom_feed(
    node: Node, params: SearchParams, urls: FeedUrls, page_url: Callable[[str | None], str]
) -> bytes:
    """One page of the search as an Atom feed: the same results, in the same order, as /api/search."""
    page: ResultPage = await query.search(node, params, page_url)
    at = rfc3339(page.anchor) or node.now()
    entries = [_entry(hit, node, at) for hit in page.hits]
    title = _("Sport en bewegen bij %(node)s") % {"node": node.config.name}
    described = _described(node, params)
    feed = atom.Feed(
        id=urls.feed_id,
        title=f"{title}: {', '.join(described)}" if described else title,
        updated=max((entry.updated for entry in entries), default=at),
        self_url=urls.self_url,
        alternate_url=urls.alternate_url,
        author=node.config.name,
        language=current_language.get(),
        entries=entries,
        next_url=page.next_url,
    )
    return atom.feed_xml(feed)


def without(raw: Mapping[str, Sequence[str]], names: Sequence[str]) -> dict[str, list[str]]:
    return {name: list(values) for name, values in raw.items() if name not in names}
