"""The write API: the admin manages organisations; an organisation manages its own objects."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.services import organisations, publishing
from node.services.node import COLLECTION_PATHS
from node.store.objects import StoredObject, list_owned
from node.web.appkeys import NODE
from node.web.requests import json_body, require_admin, require_organisation

KIND_BY_PATH = {COLLECTION_PATHS[kind]: kind for kind in publishing.PUBLISHED_KINDS}


def _document_response(found: StoredObject, status: int = 200) -> web.Response:
    response = web.json_response(found.document, status=status)
    if status == 201:
        response.headers["Location"] = found.id
    return response


async def create_organisation(request: web.Request) -> web.Response:
    await require_admin(request)
    created = await organisations.create_organisation(request.app[NODE], await json_body(request))
    response = web.json_response(
        {"organisation": created.object.document, "token": created.token, "invite": created.invite_url},
        status=201,
    )
    response.headers["Location"] = created.object.id
    return response


async def _organisation_for_admin_or_self(request: web.Request) -> str:
    node = request.app[NODE]
    organisation_id = await organisations.organisation_by_slug(node, request.match_info["slug"])
    try:
        await require_admin(request)
    except Exception:
        if await require_organisation(request) != organisation_id:
            raise
    return organisation_id


async def update_organisation(request: web.Request) -> web.Response:
    organisation_id = await _organisation_for_admin_or_self(request)
    data = await json_body(request)
    return _document_response(
        await organisations.update_organisation(request.app[NODE], organisation_id, data)
    )


async def new_invite(request: web.Request) -> web.Response:
    await require_admin(request)
    node = request.app[NODE]
    organisation_id = await organisations.organisation_by_slug(node, request.match_info["slug"])
    return web.json_response({"invite": await organisations.issue_invite(node, organisation_id)})


async def new_token(request: web.Request) -> web.Response:
    await require_admin(request)
    node = request.app[NODE]
    organisation_id = await organisations.organisation_by_slug(node, request.match_info["slug"])
    return web.json_response({"token": await organisations.rotate_token(node, organisation_id)})


async def claim(request: web.Request) -> web.Response:
    organisation_id, token = await organisations.claim_invite(request.app[NODE], request.match_info["code"])
    return web.json_response({"organisation": organisation_id, "token": token})


async def me(request: web.Request) -> web.Response:
    organisation_id = await require_organisation(request)
    node = request.app[NODE]
    owned: dict[str, Any] = {}
    async with node.db.read() as db:
        for kind in publishing.PUBLISHED_KINDS:
            owned[COLLECTION_PATHS[kind]] = [o.id for o in await list_owned(db, organisation_id, kind)]
    return web.json_response({"organisation": organisation_id, **owned})


async def create_object(request: web.Request) -> web.Response:
    owner = await require_organisation(request)
    kind = KIND_BY_PATH[request.match_info["collection"]]
    created = await publishing.create(request.app[NODE], owner, kind, await json_body(request))
    return _document_response(created, 201)


async def replace_object(request: web.Request) -> web.Response:
    owner = await require_organisation(request)
    kind = KIND_BY_PATH[request.match_info["collection"]]
    data = await json_body(request)
    return _document_response(
        await publishing.replace(request.app[NODE], owner, kind, request.match_info["key"], data)
    )


async def delete_object(request: web.Request) -> web.Response:
    owner = await require_organisation(request)
    kind = KIND_BY_PATH[request.match_info["collection"]]
    await publishing.delete(request.app[NODE], owner, kind, request.match_info["key"])
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    collections = "{collection:" + "|".join(KIND_BY_PATH) + "}"
    app.router.add_post("/api/organisations", create_organisation)
    app.router.add_put("/api/organisations/{slug}", update_organisation)
    app.router.add_post("/api/organisations/{slug}/invite", new_invite)
    app.router.add_post("/api/organisations/{slug}/token", new_token)
    app.router.add_post("/api/invites/{code}", claim)
    app.router.add_get("/api/me", me)
    app.router.add_post(f"/api/{collections}", create_object)
    app.router.add_put(f"/api/{collections}/{{key}}", replace_object)
    app.router.add_delete(f"/api/{collections}/{{key}}", delete_object)
