"""The one error shape: every API error is RFC 9457 problem details in JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from node.errors import SportnodeError
from node.web.negotiation import HTML, JSON, choose
from node.web.render import html_response

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
ERROR_TYPE_BASE = "https://w3id.org/sportnode/errors#"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def problem_response(
    status: int, code: str, detail: str, fields: list[dict[str, str]] | None = None
) -> web.Response:
    body: dict[str, object] = {
        "type": ERROR_TYPE_BASE + code,
        "title": code.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
    }
    if fields:
        body["errors"] = fields
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type=PROBLEM_JSON, charset="utf-8"
    )


def _code_for_status(status: int) -> str:
    return {
        400: "bad-request",
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        406: "not-acceptable",
        409: "conflict",
        410: "gone",
        413: "payload-too-large",
        415: "unsupported-media-type",
        422: "invalid-input",
        429: "too-many-requests",
        503: "busy",
    }.get(status, "error")


def _wants_page(request: web.Request) -> bool:
    """A browser asking for a page gets a page; API clients (and anything under /api/) get problem+json."""
    if request.path.startswith("/api/") or request.method not in ("GET", "HEAD"):
        return False
    return choose(request.headers.get("Accept"), (JSON, HTML)) == HTML


def _error(request: web.Request, status: int, code: str, detail: str, fields: list[dict[str, str]]) -> web.Response:
    if _wants_page(request):
        return html_response(request, "error.html", status=status, status_code=status, detail=detail)
    return problem_response(status, code, detail, fields)


def error_response(request: web.Request, status: int, code: str, detail: str) -> web.Response:
    """The error page or problem+json, for a middleware that answers without raising (to add headers)."""
    return _error(request, status, code, detail, [])


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except SportnodeError as error:
        log.info("%s %s -> %s %s", request.method, request.path, error.status, error.detail)
        return _error(request, error.status, error.code, error.detail, [f.as_dict() for f in error.fields])
    except web.HTTPException as error:
        if error.status < 400:
            raise
        detail = error.text if error.text and not error.text.startswith(str(error.status)) else error.reason
        response = _error(request, error.status, _code_for_status(error.status), detail, [])
        if error.status == 405 and "Allow" in error.headers:
            response.headers["Allow"] = error.headers["Allow"]
        return response
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return _error(request, 500, "internal-error", "Something went wrong on this node; it has been logged.", [])
