"""The HTML pages of activities, organisations, places and courses, and an activity's calendar file.

`object_response` answers the HTML of our own objects' URLs (reading.single negotiates: JSON-LD and
Turtle stay there). `/aanbod?id=` shows an object of another host that this node holds (an aggregator's
whole view) with the same templates, saying where it comes from; `rel=canonical` is the object's id.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from markupsafe import Markup

from node.errors import SportnodeError, bad_request, not_found
from node.i18n import N_
from node.i18n import gettext as _
from node.protocol.formats import Hit
from node.protocol.page_jsonld import http_url as _http
from node.protocol.page_jsonld import script_text, text_of_html
from node.protocol.sanitise import plain_text
from node.services import pages_objects as service
from node.services.pages_objects import REMOTE_PAGE_PATH, Item, ObjectPage
from node.services.reading import stored
from node.store.objects import StoredObject
from node.web.appkeys import NODE
from node.web.map_settings import MAP_SCRIPTS, MAP_STYLESHEETS, map_attributes
from node.web.object_words import Words
from node.web.render import html_response
from node.web.result_view import ResultItem, item_of

KIND_NAMES = {"activity": N_("Activiteit"), "organisation": N_("Organisatie"), "place": N_("Locatie"),
              "course": N_("Cursus")}
TEMPLATES = {kind: f"objects/{kind}.html" for kind in KIND_NAMES}
OG_DESCRIPTION_LIMIT = 200
ICS_TYPE = "text/calendar"


def _description(page: ObjectPage) -> str:
    plain = text_of_html(page.document.get("content") or page.document.get("summary"))
    return plain if len(plain) <= OG_DESCRIPTION_LIMIT else plain[: OG_DESCRIPTION_LIMIT - 1].rsplit(" ", 1)[0] + "…"


def _results(node: Any, items: list[Item], words: Words) -> list[ResultItem]:
    """Listed activities, courses or places as the search page shows its results (web/result_view)."""
    hits = [Hit(id=i.id, document_json=json.dumps(i.document), kind=i.kind, origin=i.id if i.remote else None,
                distance_km=None, next_start=i.next.start if i.next else None) for i in items]
    return [item_of(hit, base_url=node.config.base_url, vocabulary=node.vocabulary, organisers={}, today=words.today)
            for hit in hits]


def _instances(node_page: ObjectPage, node: Any, words: Words) -> list[dict[str, Any]]:
    today = words.today.isoformat()
    found = []
    for instance in node_page.document.get("hasCourseInstance") or ():
        if not isinstance(instance, dict):
            continue
        given = instance.get("location")
        location: dict[str, Any] = given if isinstance(given, dict) else {}
        address = location.get("address")
        first, last = words.day_date(instance.get("startDate")), words.day_date(instance.get("endDate"))
        place_id = _http(location.get("id"))
        found.append({
            "when": _("%(first)s tot en met %(last)s") % {"first": first, "last": last} if last and last != first else first,
            "mode": words.mode(instance.get("courseMode")),
            "place_name": plain_text(str(location.get("name") or "")),
            "place_url": service.page_url(node, place_id) if place_id else None,
            "locality": plain_text(str(address.get("addressLocality") or "")) if isinstance(address, dict) else "",
            "price": words.price(instance.get("offers"), per_session=False),
            "past": str(instance.get("startDate", ""))[:10] < today,
        })
    return found


async def render_page(request: web.Request, found: StoredObject) -> web.Response:
    node = request.app[NODE]
    page = await service.object_page(node, found)
    words = Words(node.vocabulary, node.clock())
    place_id = _http((page.place or {}).get("id"))
    joinable = page.kind in ("activity", "course")
    context: dict[str, Any] = {
        "page": page,
        "w": words,
        "kind_name": _(KIND_NAMES[page.kind]),
        "json_ld_text": Markup(script_text(page.json_ld)),  # no "<" left in it: see page_jsonld.script_text
        "description": _description(page),
        "canonical": page.canonical,
        "json_ld_url": page.canonical,
        "map_stylesheets": MAP_STYLESHEETS,
        "map_scripts": MAP_SCRIPTS,
        "map": map_attributes(node.config),
        "place_url": service.page_url(node, place_id) if place_id and place_id != page.canonical else None,
        "website": _http(page.document.get("url")),
        "website_text": _("Aanmelden of meer informatie") if joinable else _("Naar de website"),
        "activities": _results(node, page.activities, words),
        "courses": _results(node, page.courses, words),
        "places": _results(node, page.places, words),
        "instances": _instances(page, node, words) if page.kind == "course" else [],
    }
    response = html_response(request, TEMPLATES[page.kind], **context)
    response.headers["Vary"] = "Accept"
    return response


def _remote_id(request: web.Request) -> str:
    object_id = request.query.get("id", "").strip()
    if not object_id:
        raise bad_request("Geef met ?id= het adres van het aanbod op.")
    return object_id


async def remote_page(request: web.Request) -> web.Response:
    """GET /aanbod?id=URL: an object of another host that this node holds."""
    node = request.app[NODE]
    object_id = _remote_id(request)
    if service.is_local(node, object_id):
        raise web.HTTPFound(object_id)
    return await render_page(request, await service.remote_object(node, object_id))


def _ics(found: StoredObject, node: Any) -> web.Response:
    body = service.agenda_ics(node, found)
    response = web.Response(body=body, content_type=ICS_TYPE, charset="utf-8")
    name = found.id.rstrip("/").rsplit("/", 1)[-1] or "activiteit"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    return response


async def agenda(request: web.Request) -> web.Response:
    """GET /activities/{key}/agenda.ics: one activity for a calendar app."""
    node = request.app[NODE]
    found = await stored(node, "activity", request.match_info["key"])
    if found.deleted:
        raise SportnodeError(410, "gone", "Deze activiteit is verwijderd.")
    return _ics(found, node)


async def remote_agenda(request: web.Request) -> web.Response:
    """GET /aanbod/agenda.ics?id=URL: the same for a held activity of another host."""
    node = request.app[NODE]
    object_id = _remote_id(request)
    found = await service.remote_object(node, object_id)
    if found.kind != "activity":
        raise not_found("Alleen een activiteit heeft een agenda-bestand.")
    return _ics(found, node)


def add_routes(app: web.Application) -> None:
    app.router.add_get(REMOTE_PAGE_PATH, remote_page)
    app.router.add_get(f"{REMOTE_PAGE_PATH}/agenda.ics", remote_agenda)
    app.router.add_get("/activities/{key:[A-Za-z0-9-]+}/agenda.ics", agenda)
