"""Reading what a client sends: its JSON body and its bearer token."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.errors import SportnodeError, payload_too_large, unauthorized
from node.protocol.limits import parse_json_object
from node.services import organisations
from node.web.appkeys import NODE

JSON_TYPES = ("application/json", "application/ld+json", "application/activity+json")


async def json_body(request: web.Request) -> dict[str, Any]:
    config = request.app[NODE].config
    if request.content_type not in JSON_TYPES:
        raise SportnodeError(415, "unsupported-media-type", "Send the body as application/json.")
    if request.content_length is not None and request.content_length > config.max_body_bytes:
        raise payload_too_large(config.max_body_bytes)
    body = await request.content.read(config.max_body_bytes + 1)
    return parse_json_object(body, max_bytes=config.max_body_bytes, max_depth=config.max_json_depth)


def bearer_token(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized()
    return token.strip()


async def require_admin(request: web.Request) -> None:
    if not await organisations.is_admin(request.app[NODE], bearer_token(request)):
        raise SportnodeError(403, "forbidden", "This needs the node admin's token.")


async def require_organisation(request: web.Request) -> str:
    """The id of the organisation whose token the request carries."""
    return await organisations.authenticate(request.app[NODE], bearer_token(request))
