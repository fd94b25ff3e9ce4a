"""The search page `GET /zoeken`: every filter of /api/search as a plain GET form, results as a list or
beside a map, facet counts, cursor paging, and widenings when nothing is found (docs/web.md, "Search").

Thin: the data comes from services/pages_search.py; this module turns it into the template's words and
links. Parameter errors are shown at their fields, in Dutch, on the whole page with status 400.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from aiohttp import web
from markupsafe import Markup

from node.i18n import gettext as _
from node.i18n import ngettext
from node.services import pages_search as service
from node.services.pages_search import Items, PageQuery, SearchPage
from node.web import search_form as form
from node.web import search_messages
from node.web.appkeys import NODE
from node.web.map_settings import MAP_SCRIPTS, MAP_STYLESHEETS, map_attributes
from node.web.render import html_response
from node.web.result_view import item_html, item_of, kilometres

PATH = "/zoeken"
ICAL_LIMIT = 200


# The same few keys and values make every link of every page: each is quoted once (as urlencode quotes).
_quoted = lru_cache(maxsize=4096)(quote_plus)


def url(base: str, path: str, items: Items | list[tuple[str, str]]) -> str:
    if not items:
        return f"{base}{path}"
    return f"{base}{path}?{'&'.join(f'{_quoted(k)}={_quoted(v)}' for k, v in items)}"


FORM_FIELDS = frozenset(("q", "postcode", "km", "municipality", "neighbourhood", "sport", "type", "day", "startsAfter",
                         "endsBefore", "age", "targetGroup", "free", "maxPrice", "accessibility", "sort",
                         *form.CRITERIA_WORDS))


def _anchor(field: str) -> str | None:
    """Where the error summary's link for a field goes: the field, the cursor's message, or nowhere."""
    if field == "cursor":
        return "err-cursor"
    return f"f-{field}" if field in FORM_FIELDS else None


def _count_words(n: int) -> str:
    return ngettext("%(num)s resultaat", "%(num)s resultaten", n) % {"num": n}


def _widenings(request: web.Request, found: SearchPage) -> list[dict[str, Any]]:
    node = request.app[NODE]
    base = node.config.base_url
    links = []
    for widening in found.widenings:
        if widening.group == "distance":
            text = _("Zoek tot %(km)s in plaats van %(old)s") % {
                "km": kilometres(widening.km or 0), "old": kilometres((widening.km or 0) / 2)}
        else:
            text = _("Zonder %(filter)s") % {"filter": form.describe(node, found.query, widening.group)}
        links.append({"url": url(base, PATH, widening.items), "text": text, "count": widening.count,
                      "count_text": _count_words(widening.count)})
    return links


def _context(request: web.Request, found: SearchPage) -> dict[str, Any]:
    node = request.app[NODE]
    base = node.config.base_url
    page = found.query
    errors = search_messages.by_field(found.errors)
    today = node.clock().date()
    items = []
    if found.result is not None:
        items = [item_of(hit, base_url=base, vocabulary=node.vocabulary, organisers=found.organisers, today=today)
                 for hit in found.result.hits]
    sports = dict(found.sports)
    located = bool(page.postcode) or bool(page.first("lat") and page.first("lon"))
    list_items = page.without("cursor", "weergave")
    return {
        "page": page,
        "errors": errors,
        "error_list": [{"anchor": _anchor(name), "text": text} for name, text in errors.items()],
        "items": items,
        # One join, not an include per item: a map page lists 200 (each as search/result.html shows it).
        "results_html": Markup("".join(item_html(item) for item in items)),  # safe: item_html escapes
        "mapped": sum(1 for item in items if item.lat is not None and item.lon is not None),
        "total": found.total,
        "total_text": _count_words(found.total),
        "searched": found.result is not None,
        "next_url": found.result.next_url if found.result else None,
        "first_url": url(base, PATH, page.without("cursor")) if page.first("cursor") else None,
        "list_url": url(base, PATH, list_items),
        "map_url": url(base, PATH, (*list_items, ("weergave", "kaart"))),
        "ical_url": url(base, "/api/search", (*found.api_items, ("format", "ical"), ("limit", str(ICAL_LIMIT)))),
        "atom_url": url(base, PATH + ".atom", found.api_items),
        "clear_location_url": url(base, PATH, tuple(
            (k, v) for k, v in page.without("cursor", *service.LOCATION) if not (k == "sort" and v == "distance"))),
        "located": located,
        "near_me": bool(page.first("lat")) and not page.postcode,
        "widenings": _widenings(request, found),
        "error": form.error,
        "invalid": form.invalid,
        "sport_options": form.sport_options(node, page, sports),
        "municipality_options": form.municipality_options(node, page, found),
        "wijk_options": form.wijk_options(node, page, found),
        "target_group_checks": form.target_group_checks(node, page, found.target_groups),
        "accessibility_checks": form.accessibility_checks(node, page),
        "day_checks": form.day_checks(page),
        "km_options": form.km_options(page),
        "sort_options": form.sort_options(page, located),
        "kind_options": form.kind_options(page),
        "criteria_checks": form.criteria_checks(page, errors),
        "advanced_open": bool(set(errors) & {"accessibility", *form.CRITERIA_WORDS})
        or any(page.values(n) for n in ("accessibility", *form.CRITERIA_WORDS)),
        "map": map_attributes(node.config),
        "map_stylesheets": MAP_STYLESHEETS,
        "map_scripts": MAP_SCRIPTS,
    }


async def search_page(request: web.Request) -> web.Response:
    node = request.app[NODE]
    page: PageQuery = service.read_query(request.query.items())
    base = node.config.base_url

    def page_url(cursor: str | None) -> str:
        items = page.without("cursor")
        return url(base, PATH, (*items, ("cursor", cursor)) if cursor else page.items)

    found = await service.search_page(node, page, page_url)
    context = _context(request, found)
    status = 400 if found.errors else 200
    canonical = url(base, PATH, page.without("cursor", "weergave"))
    return html_response(request, "search.html", status=status, canonical=canonical, **context)


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, search_page)
