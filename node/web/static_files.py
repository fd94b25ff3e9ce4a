"""The node's own static files (stylesheet, scripts, the vendored map library) under /static/.

Nothing is loaded from another host: the pages' Content-Security-Policy allows scripts and styles from
the node itself only. URLs carry a short content hash (`?v=`), so browsers may keep a file for a year and
still see a new release at once.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from aiohttp import web

from node.errors import not_found

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static/"
YEAR_SECONDS = 365 * 24 * 3600


@cache
def _version(name: str) -> str:
    path = STATIC_DIR / name
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else "0"


def static_url(base_url: str, name: str) -> str:
    return f"{base_url}{STATIC_PREFIX}{name}?v={_version(name)}"


def _resolve(name: str) -> Path:
    root = STATIC_DIR.resolve()
    path = (root / name).resolve()
    if root not in path.parents or not path.is_file() or any(p.startswith(".") for p in Path(name).parts):
        raise not_found("No such static file.")
    return path


async def static_file(request: web.Request) -> web.FileResponse:
    response = web.FileResponse(_resolve(request.match_info["path"]))
    versioned = "v" in request.query
    response.headers["Cache-Control"] = f"public, max-age={YEAR_SECONDS}, immutable" if versioned else "public, max-age=3600"
    # The widget script and its stylesheet are loaded by other sites' pages.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get(STATIC_PREFIX + "{path:.+}", static_file)
