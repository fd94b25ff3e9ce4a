"""OpenActive routes: the RPDE feeds and the Dataset Site that lists them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from node.protocol.openactive import FEEDS, ActivityConcept
from node.services import rpde
from node.web.appkeys import NODE
from node.web.negotiation import HTML, JSON, LD_JSON, choose
from node.web.render import html_response

# The RPDE guidance: pages with items may be cached long (a page only ever loses items, which come back
# later in the feed); the last page must be fresh, as consumers poll it for new changes.
CACHE_PAGE = "public, max-age=3600"
CACHE_LAST_PAGE = "public, max-age=8"
CACHE_DATASET = "public, max-age=300"

# A plain mark for the Dataset Site's publisher logo (OpenActive asks for one).
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
    '<rect width="64" height="64" rx="12" fill="#0b6e4f"/>'
    '<circle cx="32" cy="32" r="17" fill="none" stroke="#fff" stroke-width="5"/>'
    '<circle cx="32" cy="32" r="5" fill="#fff"/></svg>'
)


@dataclass
class RpdeSettings:
    """Per-app OpenActive state: the page size (tests make it small) and the Activity List links."""

    page_size: int = rpde.PAGE_SIZE
    activity_list: Path | None = None
    _concepts: dict[str, ActivityConcept] | None = field(default=None, repr=False)

    def concepts(self, request: web.Request) -> dict[str, ActivityConcept]:
        # Read on first use, not at start: most apps (tests, the write API) never serve a feed.
        if self._concepts is None:
            self._concepts = rpde.load_activity_concepts(request.app[NODE], self.activity_list)
        return self._concepts


RPDE = web.AppKey("rpde", RpdeSettings)


def _json(body: object, cache_control: str, content_type: str = "application/json") -> web.Response:
    response = web.Response(text=json.dumps(body, ensure_ascii=False), charset="utf-8")
    response.headers["Content-Type"] = f"{content_type}; charset=utf-8"
    response.headers["Cache-Control"] = cache_control
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


async def feed(request: web.Request) -> web.Response:
    node = request.app[NODE]
    settings = request.app[RPDE]
    cursor = rpde.parse_cursor(request.query.get("afterTimestamp"), request.query.get("afterId"))
    # The page's own URL as the client wrote it: the last page must name exactly that as `next`.
    own_url = node.config.base_url + request.raw_path
    page = await rpde.feed_page(
        node,
        request.match_info["feed"],
        cursor,
        own_url=own_url,
        activities=settings.concepts(request),
        page_size=settings.page_size,
    )
    return _json(page, CACHE_PAGE if page["items"] else CACHE_LAST_PAGE)


def _script_json(document: object) -> str:
    """JSON that is safe inside <script>: no '<', '>' or '&' that could end the element."""
    text = json.dumps(document, ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


async def dataset_site(request: web.Request) -> web.Response:
    node = request.app[NODE]
    document = await rpde.dataset_document(node)
    media = choose(request.headers.get("Accept"), (HTML, LD_JSON, JSON))
    if media in (LD_JSON, JSON):
        return _json(document, CACHE_DATASET, media)
    response = html_response(
        request,
        "dataset.html",
        dataset=document,
        dataset_json=_script_json(document),
        titles={name: f.title for name, f in FEEDS.items()},
    )
    response.headers["Cache-Control"] = CACHE_DATASET
    response.headers["Vary"] = "Accept"
    return response


async def logo(request: web.Request) -> web.Response:
    response = web.Response(text=LOGO, content_type="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def add_routes(app: web.Application) -> None:
    app[RPDE] = RpdeSettings(activity_list=rpde.activity_list_path(app[NODE].config))
    app.router.add_get(rpde.FEED_PATH, dataset_site)
    app.router.add_get(f"{rpde.FEED_PATH}/logo.svg", logo)
    app.router.add_get(f"{rpde.FEED_PATH}/{{feed:{'|'.join(FEEDS)}}}", feed)
