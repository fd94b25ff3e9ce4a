"""The invite link an organisation opens in its browser to claim its account."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.services import organisations
from node.store.objects import get_object
from node.web.appkeys import NODE
from node.web.render import html_response


def _page(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    response = html_response(request, "claim.html", status=status, **context)
    # The page shows a secret: keep it out of caches and referrers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# A link that worked once (used, replaced, expired) is gone; one that never did is not found.
STATUS_BY_STATE = {"unknown": 404, "claimed": 410, "replaced": 410, "expired": 410}


async def _unusable(request: web.Request) -> web.Response | None:
    """The Dutch page for a code that cannot be claimed (404 or 410), or None for a valid one."""
    state = await organisations.invite_state(request.app[NODE], request.match_info["code"])
    if state == "valid":
        return None
    return _page(request, status=STATUS_BY_STATE[state], state=state)


async def claim_form(request: web.Request) -> web.Response:
    return await _unusable(request) or _page(request)


async def claim_submit(request: web.Request) -> web.Response:
    refused = await _unusable(request)
    if refused:
        return refused
    node = request.app[NODE]
    organisation_id, token = await organisations.claim_invite(node, request.match_info["code"])
    async with node.db.read() as db:
        found = await get_object(db, organisation_id)
    name = found.document["name"] if found else organisation_id
    return _page(request, token=token, organisation=name)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/claim/{code}", claim_form)
    app.router.add_post("/claim/{code}", claim_submit)
