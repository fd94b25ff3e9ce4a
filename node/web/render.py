"""Rendering the pages: one layout, the request's language, and what every page's head and header need.

Every HTML page goes through `html_response`, so the layout's context (node name, language switch,
static URLs) and the language of the request are set in one place. The language is chosen by
`language_middleware` before the handler runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from node import i18n
from node.web.appkeys import NODE, TEMPLATES
from node.web.static_files import static_url

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
# Bytes of HTML above which the node compresses a page itself: the search page's map view (200 results,
# ~150 KB, 13 KB compressed) and the like stay within the page-weight budget without a compressing proxy.
# Smaller pages are left to nginx (deploy/nginx), which compresses all HTML outside this process.
COMPRESSED_ABOVE = 64 * 1024


def _language_url(request: web.Request, language: str) -> str:
    base = request.app[NODE].config.base_url + request.path
    items = [(k, v) for k, v in request.query.items() if k != "lang"] + [("lang", language)]
    return f"{base}?{urlencode(items)}"


def page_context(request: web.Request) -> dict[str, Any]:
    """What the layout needs on every page."""
    config = request.app[NODE].config
    language = i18n.current_language.get()
    return {
        "node_name": config.name,
        "base_url": config.base_url,
        "is_aggregator": config.is_aggregator,
        "lang": language,
        "other_languages": [
            (code, i18n.LANGUAGE_NAMES[code], _language_url(request, code))
            for code in i18n.LANGUAGES
            if code != language
        ],
        "static": lambda name: static_url(config.base_url, name),
        "request_path": request.path,
    }


def render(request: web.Request, template: str, **context: Any) -> str:
    return request.app[TEMPLATES].get_template(template).render(**page_context(request), **context)


def html_response(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    response = web.Response(status=status, text=render(request, template, **context), charset="utf-8")
    response.content_type = "text/html"
    if len(response.body) > COMPRESSED_ABOVE:  # type: ignore[arg-type]  # text made it bytes
        response.headers.add("Vary", "Accept-Encoding")
        if "gzip" in request.headers.get("Accept-Encoding", "").lower():
            # aiohttp compresses a body this size in its executor thread: the event loop goes on meanwhile.
            response.enable_compression(web.ContentCoding.gzip)
    return response


@web.middleware
async def language_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sets the request's interface language; `?lang=` also keeps the choice in a cookie for a year."""
    asked = request.query.get("lang")
    language = i18n.choose_language(asked, request.cookies.get(LANGUAGE_COOKIE), request.headers.get("Accept-Language"))
    token = i18n.current_language.set(language)
    try:
        response = await handler(request)
    finally:
        i18n.current_language.reset(token)
    if asked in i18n.LANGUAGES and not response.prepared:
        # A preference, not a secret: readable by the map's script is harmless, but keep it same-site.
        response.set_cookie(
            LANGUAGE_COOKIE, asked, max_age=LANGUAGE_COOKIE_SECONDS, samesite="Lax", httponly=True, path="/"
        )
    if "Content-Type" in response.headers and response.headers["Content-Type"].startswith("text/html"):
        response.headers.add("Vary", "Accept-Language, Cookie")
        response.headers["Content-Language"] = language
    return response
