"""GET handlers: the node document, collections, objects and the vocabulary, content-negotiated."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from node.errors import SportnodeError, not_found
from node.paths import vocab_dir
from node.protocol.rdf import to_turtle
from node.services import reading
from node.services.node import COLLECTION_PATHS
from node.web import pages_objects
from node.web.appkeys import NODE
from node.web.negotiation import HTML, LINKED_DATA_OFFERS, TURTLE, choose, content_type_header
from node.web.pages_home import home_context
from node.web.render import render

KIND_BY_PATH = {path: kind for kind, path in COLLECTION_PATHS.items()}
VOCAB_FILE = re.compile(r"^[a-z0-9-]+\.(ttl|jsonld)$")


def negotiate(
    request: web.Request, document: dict[str, Any], template: str, status: int = 200, **context: Any
) -> web.Response:
    media = choose(request.headers.get("Accept"), LINKED_DATA_OFFERS)
    if media is None:
        raise SportnodeError(406, "not-acceptable", "Ask for one of: " + ", ".join(LINKED_DATA_OFFERS))
    if media == HTML:
        text = render(request, template, doc=document, json_ld_url=document.get("id"), **context)
    elif media == TURTLE:
        text = to_turtle(document)
    else:
        text = json.dumps(document, ensure_ascii=False)
    response = web.Response(status=status, text=text, charset="utf-8")
    response.headers["Content-Type"] = content_type_header(media) + "; charset=utf-8"
    response.headers["Vary"] = "Accept"
    return response


async def root(request: web.Request) -> web.Response:
    node = request.app[NODE]
    document = await reading.the_node_document(node)
    # Only a browser's page needs the counts and lists (pages_home.py); JSON-LD and Turtle do not.
    wants_page = choose(request.headers.get("Accept"), LINKED_DATA_OFFERS) == HTML
    return negotiate(request, document, "home.html", **(await home_context(request) if wants_page else {}))


async def collection(request: web.Request) -> web.Response:
    kind = KIND_BY_PATH[request.match_info["collection"]]
    node = request.app[NODE]
    page = reading.parse_page(request.query.get("page"))
    result = await reading.collection(node, kind, page)
    if page is None and choose(request.headers.get("Accept"), LINKED_DATA_OFFERS) == HTML:
        raise web.HTTPFound(f"{node.collection_url(kind)}?page=1")
    return negotiate(
        request,
        result.document,
        "collection.html",
        name=reading.COLLECTION_NAMES[kind],
        items=result.items,
        page=result.number,
        last=result.last,
        total=result.document.get("totalItems", len(result.items)),
    )


async def single(request: web.Request) -> web.Response:
    kind = KIND_BY_PATH[request.match_info["collection"]]
    found = await reading.stored(request.app[NODE], kind, request.match_info["key"])
    if found.deleted:
        return negotiate(request, found.document, "gone.html", status=410)
    if choose(request.headers.get("Accept"), LINKED_DATA_OFFERS) == HTML:
        return await pages_objects.render_page(request, found)  # the page of each kind (docs/web.md)
    return negotiate(request, found.document, "gone.html")  # JSON-LD, Turtle or 406: HTML was answered above


async def vocabulary(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    path = vocab_dir() / name
    if not VOCAB_FILE.match(name) or not path.is_file():
        raise not_found("No such vocabulary file.")
    response = web.FileResponse(path)
    response.content_type = "text/turtle" if name.endswith(".ttl") else "application/ld+json"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def add_routes(app: web.Application) -> None:
    collections = "{collection:" + "|".join(KIND_BY_PATH) + "}"
    app.router.add_get("/", root)
    app.router.add_get("/ns/{name}", vocabulary)
    app.router.add_get(f"/{collections}", collection)
    app.router.add_get(f"/{collections}/{{key:[A-Za-z0-9-]+}}", single)
