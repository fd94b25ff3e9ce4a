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
    body = await capped_body(request)
    return parse_json_object(body, max_bytes=config.max_body_bytes, max_depth=config.max_json_depth)


async def capped_body(request: web.Request) -> bytes:
    """The whole body, or 413 once it passes the cap (the app's client_max_size is the same cap)."""
    limit = request.app[NODE].config.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise payload_too_large(limit)
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise payload_too_large(limit) from None


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
