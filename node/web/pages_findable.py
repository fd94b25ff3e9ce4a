"""Routes that make the node findable (docs/web.md, "Findable"): /sitemap.xml, /robots.txt and
/zoeken.atom, an Atom feed of any search with the parameters of /api/search."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from aiohttp import web

from node.errors import FieldError, SportnodeError
from node.protocol.atom import MEDIA_TYPE as ATOM_TYPE
from node.protocol.query_params import parse_search
from node.services import pages_findable as findable
from node.web.appkeys import NODE

SITEMAP_PATH = "/sitemap.xml"
ROBOTS_PATH = "/robots.txt"
FEED_PATH = "/zoeken.atom"
# Not the search's: the language switch, and the API's output choices, which a feed has no use for.
FEED_IGNORES = ("lang", "format")


def _xml(body: bytes, content_type: str, max_age: int) -> web.Response:
    response = web.Response(body=body)
    response.headers["Content-Type"] = f"{content_type}; charset=utf-8"
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


async def sitemap(request: web.Request) -> web.Response:
    page = None
    if "page" in request.query:
        text = request.query["page"]
        if not re.fullmatch(r"[0-9]{1,6}", text):
            raise SportnodeError(400, "bad-request", "Bad query parameter: page.",
                                 [FieldError("/page", "page: must be a whole number from 1")])
        page = int(text)
    return _xml(await findable.sitemap_xml(request.app[NODE], page), "application/xml", 3600)


async def robots(request: web.Request) -> web.Response:
    response = web.Response(text=findable.robots_txt(request.app[NODE]), content_type="text/plain", charset="utf-8")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _url(base: str, items: list[tuple[str, str]]) -> str:
    return f"{base}?{urlencode(items)}" if items else base


async def feed(request: web.Request) -> web.Response:
    node = request.app[NODE]
    raw = findable.without({name: request.query.getall(name) for name in set(request.query.keys())}, FEED_IGNORES)
    params = parse_search(raw)
    items = [(k, v) for k, v in request.query.items() if k not in FEED_IGNORES]
    base = node.config.base_url
    search_items = [(k, v) for k, v in items if k != "cursor"]

    def page_url(cursor: str | None) -> str:
        return _url(base + FEED_PATH, items if cursor is None else [*search_items, ("cursor", cursor)])

    urls = findable.FeedUrls(
        self_url=page_url(None),
        feed_id=_url(base + FEED_PATH, search_items),
        alternate_url=_url(base + "/zoeken", search_items),
    )
    return _xml(await findable.atom_feed(node, params, urls, page_url), ATOM_TYPE, 300)


def add_routes(app: web.Application) -> None:
    app.router.add_get(SITEMAP_PATH, sitemap)
    app.router.add_get(ROBOTS_PATH, robots)
    app.router.add_get(FEED_PATH, feed)
