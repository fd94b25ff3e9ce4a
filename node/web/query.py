"""The query API (`GET /api/search`) and the OpenAPI document (`GET /openapi.json`): routes only."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from node.errors import SportnodeError
from node.protocol import formats
from node.protocol.ical import to_ical
from node.protocol.query_params import SearchParams, parse_search
from node.services import openapi, query
from node.web.appkeys import NODE
from node.web.negotiation import AS_PROFILE, choose

SEARCH_PATH = "/api/search"
OPENAPI_PATH = "/openapi.json"

# Accept offers, in order of preference when the client does not mind, and the format each stands for.
OFFERS = {
    "application/json": "json",
    "application/ld+json": "jsonld",
    "application/activity+json": "jsonld",
    "text/csv": "csv",
    "text/calendar": "ical",
    "application/geo+json": "geojson",
}
OPENAPI_DOCUMENT = web.AppKey("openapi_document", openapi.Cached)


def _format(params: SearchParams, accept: str | None) -> str:
    """`format=` wins over Accept, so a link in a browser can ask for CSV or iCal."""
    if params.format:
        return params.format
    media = choose(accept, list(OFFERS))
    if media is None:
        raise SportnodeError(406, "not-acceptable", "Ask for one of: " + ", ".join(OFFERS) + " (or use format=).")
    return OFFERS[media]


def _page_url(request: web.Request, cursor: str | None) -> str:
    base = request.app[NODE].config.base_url + request.path
    if cursor is None:
        return base + (f"?{request.query_string}" if request.query_string else "")
    items = [(k, v) for k, v in request.query.items() if k != "cursor"] + [("cursor", cursor)]
    return f"{base}?{urlencode(items)}"


def _response(body: str | bytes, content_type: str, page: formats.ResultPage) -> web.Response:
    response = web.Response(body=body.encode() if isinstance(body, str) else body)
    response.headers["Content-Type"] = content_type
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    if page.next_url:
        response.headers["Link"] = f'<{page.next_url}>; rel="next"'
    return response


def _json_text(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)


async def search(request: web.Request) -> web.Response:
    node = request.app[NODE]
    params = parse_search({name: request.query.getall(name) for name in set(request.query.keys())})
    chosen = _format(params, request.headers.get("Accept"))
    page = await query.search(node, params, lambda cursor: _page_url(request, cursor))
    if chosen == "jsonld":
        return _response(_json_text(formats.to_jsonld(page)), f"application/ld+json{AS_PROFILE}; charset=utf-8", page)
    if chosen == "csv":
        text = formats.to_csv(page, query.concept_key(node))
        return _response(text, "text/csv; charset=utf-8; header=present", page)
    if chosen == "ical":
        return _response(to_ical(page, query.concept_key(node), node.config.name), "text/calendar; charset=utf-8", page)
    if chosen == "geojson":
        return _response(_json_text(formats.to_geojson(page)), "application/geo+json", page)
    # The stored documents are spliced in as text, not decoded and encoded again (formats.to_json_text).
    return _response(formats.to_json_text(page), "application/json; charset=utf-8", page)


async def openapi_document(request: web.Request) -> web.Response:
    node = request.app[NODE]
    document = request.app[OPENAPI_DOCUMENT].get(node.config.base_url)
    response = web.Response(text=_json_text(document), content_type="application/json", charset="utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def add_routes(app: web.Application) -> None:
    app[OPENAPI_DOCUMENT] = openapi.Cached()
    app.router.add_get(SEARCH_PATH, search)
    app.router.add_get(OPENAPI_PATH, openapi_document)
