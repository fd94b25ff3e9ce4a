"""Coverage routes: JSON at /api/coverage, a Dutch page at /dekking (both also answer the other's Accept)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from node.services.coverage import (
    DEFAULT_RADIUS_KM,
    Count,
    Coverage,
    Held,
    coverage,
    find_area,
    held_municipalities,
    parse_radius,
)
from node.services.node import Node
from node.web.appkeys import NODE
from node.web.map_settings import MAP_SCRIPTS, MAP_STYLESHEETS, map_attributes
from node.web.negotiation import HTML, JSON, choose
from node.web.render import html_response
from node.web.result_view import concept_label

DEFINITION = (
    "A target group has a gap in a wijk when no current activity for that group (or a narrower one) lies "
    "within radiusKm of the wijk's centroid, in any municipality. See docs/coverage.md."
)


def _counts(counts: list[Count], key: str) -> list[dict[str, Any]]:
    return [{key: c.concept.uri, "key": c.concept.key, "label": c.concept.label_nl, "count": c.count} for c in counts]


def coverage_json(found: Coverage, base_url: str) -> dict[str, Any]:
    m = found.municipality
    return {
        "municipality": {"code": m.code, "name": m.name, "province": m.province_name},
        "neighbourhood": {"code": found.neighbourhood.code, "name": found.neighbourhood.name} if found.neighbourhood else None,
        "radiusKm": found.radius_km,
        "date": found.today,
        "definition": DEFINITION,
        "activities": found.activities,
        "withoutTargetGroup": found.without_target_group,
        "bySport": _counts(found.by_sport, "sport"),
        "byTargetGroup": _counts(found.by_target_group, "targetGroup"),
        "neighbourhoods": [
            {
                "code": w.wijk.code,
                "name": w.wijk.name,
                "centroid": {"latitude": w.wijk.lat, "longitude": w.wijk.lon},
                "activities": w.activities,
                "byTargetGroup": _counts(w.by_target_group, "targetGroup"),
                "gaps": [{"targetGroup": c.uri, "key": c.key, "label": c.label_nl} for c in w.gaps],
            }
            for w in found.wijken
        ],
        "html": f"{base_url}/dekking?gemeente={m.code}",
    }


def municipalities_json(held: list[Held], base_url: str, today: str) -> dict[str, Any]:
    """`/dekking` as JSON without `gemeente`: like the page's form, the municipalities to choose from."""
    return {
        "date": today,
        "definition": DEFINITION,
        "municipalities": [
            {
                "code": h.municipality.code,
                "name": h.municipality.name,
                "province": h.municipality.province_name,
                "activities": h.activities,
                "coverage": f"{base_url}/api/coverage?municipality={h.municipality.code}",
                "html": f"{base_url}/dekking?gemeente={h.municipality.code}",
            }
            for h in held
        ],
    }


async def _coverage(node: Node, municipality: str | None, neighbourhood: str | None, radius: str | None) -> Coverage:
    area, wijk = find_area(node, municipality, neighbourhood)
    return await coverage(node, area, wijk, parse_radius(radius))


def _json(body: dict[str, Any]) -> web.Response:
    response = web.json_response(body, dumps=lambda o: json.dumps(o, ensure_ascii=False))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept"
    return response


def _json_response(found: Coverage, node: Node) -> web.Response:
    return _json(coverage_json(found, node.config.base_url))


def _page(request: web.Request, **context: Any) -> web.Response:
    # The wijken's list is also drawn as a map (docs/web.md, "Map"); labels in the page's language.
    config = request.app[NODE].config
    response = html_response(
        request, "coverage.html", label=concept_label, map_stylesheets=MAP_STYLESHEETS, map_scripts=MAP_SCRIPTS,
        map=map_attributes(config), **context,
    )
    response.headers["Vary"] = "Accept"
    return response


async def api_coverage(request: web.Request) -> web.Response:
    node = request.app[NODE]
    q = request.query
    found = await _coverage(node, q.get("municipality"), q.get("neighbourhood"), q.get("radius"))
    if choose(request.headers.get("Accept"), (JSON, HTML)) == HTML:
        return _page(request, coverage=found, municipalities=None)
    return _json_response(found, node)


async def dekking(request: web.Request) -> web.Response:
    """The page; without `gemeente` it is a form to choose one, and as JSON the municipalities the node holds."""
    node = request.app[NODE]
    q = request.query
    wants = choose(request.headers.get("Accept"), (HTML, JSON))
    if not q.get("gemeente") and wants == HTML:
        municipalities = sorted(node.areas.municipalities.values(), key=lambda m: m.name)
        return _page(request, coverage=None, municipalities=municipalities, default_radius=DEFAULT_RADIUS_KM)
    if not q.get("gemeente") and wants == JSON:
        held = await held_municipalities(node)
        return _json(municipalities_json(held, node.config.base_url, node.clock().date().isoformat()))
    found = await _coverage(node, q.get("gemeente"), q.get("wijk"), q.get("straal"))
    if wants == JSON:
        return _json_response(found, node)
    return _page(request, coverage=found, municipalities=None)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/coverage", api_coverage)
    app.router.add_get("/dekking", dekking)
