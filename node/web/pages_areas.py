"""The area pages: /wijk/{code} and /gemeente/{code}, "Sport en bewegen in Vathorst" (docs/web.md, "Area pages")."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from babel.numbers import format_decimal

from node import i18n
from node.services.pages_areas import AreaPage, municipality_page, wijk_page
from node.store.area_pages import Organiser
from node.web.appkeys import NODE
from node.web.map_settings import MAP_SCRIPTS, MAP_STYLESHEETS, map_attributes
from node.web.render import html_response
from node.web.result_view import concept_label, item_of

NEARBY_KM = {"wijk": 5, "gemeente": 10}  # the radius of "search nearby" when an area has nothing


def number(value: float) -> str:
    return format_decimal(value, locale=i18n.current_language.get())


def _json_ld(page: AreaPage, url: str) -> dict[str, Any]:
    area: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "AdministrativeArea",
        "@id": url,
        "url": url,
        "name": page.name,
        "identifier": page.code,
        "geo": {"@type": "GeoCoordinates", "latitude": page.lat, "longitude": page.lon},
    }
    if page.wijk is not None:
        area["containedInPlace"] = {"@type": "AdministrativeArea", "name": page.municipality.name,
                                    "identifier": page.municipality.code}
    return area


def organiser_url(organiser: Organiser, base_url: str) -> str:
    """Our own organisation's page; another host's that this node holds is shown here (/aanbod?id=), as
    the search results are; one it does not hold is linked where it lives."""
    if organiser.id.startswith(base_url + "/") or organiser.name is None:
        return organiser.id
    return f"{base_url}/aanbod?id={quote(organiser.id, safe='')}"


def _search_url(base_url: str, **params: str | float) -> str:
    return f"{base_url}/zoeken?{urlencode(params)}"


def _respond(request: web.Request, page: AreaPage, kind: str) -> web.StreamResponse:
    node = request.app[NODE]
    base = node.config.base_url
    url = f"{base}/{kind}/{page.code}"
    return html_response(
        request,
        "areas/area.html",
        page=page,
        kind=kind,
        items=[
            item_of(hit, base_url=base, vocabulary=node.vocabulary, organisers=page.organiser_names,
                    today=node.clock().date())
            for hit in page.results.hits
        ],
        organiser_url=lambda organiser: organiser_url(organiser, base),
        canonical=url,
        json_ld=_json_ld(page, url),
        all_url=_search_url(base, **page.search),
        sport_url=lambda key: _search_url(base, **page.search, sport=key),
        nearby_url=_search_url(base, lat=page.lat, lon=page.lon, km=NEARBY_KM[kind]),
        province_url=_search_url(base, province=page.municipality.province_code),
        coverage_url=f"{base}/dekking?{urlencode({'gemeente': page.municipality.code})}"
        + (f"#{page.wijk.code}" if page.wijk else ""),
        nearby_km=NEARBY_KM[kind],
        label=concept_label,
        number=number,
        map_stylesheets=MAP_STYLESHEETS,
        map_scripts=MAP_SCRIPTS,
        map=map_attributes(node.config),
    )


def _code(request: web.Request, kind: str) -> str:
    """The code asked for; a known code in lower case is sent on to its one address (wk030701 -> WK030701)."""
    node = request.app[NODE]
    code = request.match_info["code"]
    known = node.areas.neighbourhoods if kind == "wijk" else node.areas.municipalities
    if code != code.upper() and code.upper() in known:
        raise web.HTTPMovedPermanently(f"{node.config.base_url}/{kind}/{code.upper()}")
    return code


async def wijk(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    code = _code(request, "wijk")
    page = await wijk_page(node, code, f"{node.config.base_url}/wijk/{code}")
    return _respond(request, page, "wijk")


async def gemeente(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    code = _code(request, "gemeente")
    page = await municipality_page(node, code, f"{node.config.base_url}/gemeente/{code}")
    return _respond(request, page, "gemeente")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/wijk/{code}", wijk)
    app.router.add_get("/gemeente/{code}", gemeente)
