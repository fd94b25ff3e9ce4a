"""Security headers of every HTML page: a Content-Security-Policy the pages satisfy, and who may frame them.

Pages carry no inline script, no inline style and no event-handler attribute, so the policy allows
scripts and styles from the node itself only (JSON-LD `<script type="application/ld+json">` blocks are
data, which the policy does not govern). Map tiles are the one third-party request. Only the widget
routes may be framed by other sites; every other page refuses to be framed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
WIDGET_PREFIX = "/widget"


def content_security_policy(img_sources: Iterable[str], framable: bool) -> str:
    images = " ".join(["'self'", "data:", *img_sources])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "manifest-src 'self'",
            "frame-ancestors *" if framable else "frame-ancestors 'none'",
            # The widget editor (/widget/maken) shows its preview: the node's own /widget in a frame.
            *(["frame-src 'self'"] if framable else []),
        ]
    )


def _is_widget(path: str) -> bool:
    return path == WIDGET_PREFIX or path.startswith(WIDGET_PREFIX + "/")


def security_middleware(img_sources: list[str]) -> Middleware:
    page_policy = content_security_policy(img_sources, framable=False)
    widget_policy = content_security_policy(img_sources, framable=True)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.headers.get("Content-Type", "").startswith("text/html"):
            framable = _is_widget(request.path)
            response.headers["Content-Security-Policy"] = widget_policy if framable else page_policy
            if not framable:
                response.headers["X-Frame-Options"] = "DENY"
            response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response

    return middleware
