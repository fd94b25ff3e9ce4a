"""The invite link an organisation opens in its browser to claim its account."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.services import organisations
from node.store.objects import get_object
from node.web.appkeys import NODE
from node.web.render import html_response


def _page(request: web.Request, **context: Any) -> web.Response:
    response = html_response(request, "claim.html", **context)
    # The page shows a secret: keep it out of caches and referrers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def claim_form(request: web.Request) -> web.Response:
    return _page(request)


async def claim_submit(request: web.Request) -> web.Response:
    node = request.app[NODE]
    organisation_id, token = await organisations.claim_invite(node, request.match_info["code"])
    async with node.db.read() as db:
        found = await get_object(db, organisation_id)
    name = found.document["name"] if found else organisation_id
    return _page(request, token=token, organisation=name)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/claim/{code}", claim_form)
    app.router.add_post("/claim/{code}", claim_submit)
