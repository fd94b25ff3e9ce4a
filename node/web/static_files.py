"""The node's own static files (stylesheet, scripts, the vendored map library) under /static/.

Nothing is loaded from another host: the pages' Content-Security-Policy allows scripts and styles from
the node itself only. URLs carry a short content hash (`?v=`), so browsers may keep a file for a year and
still see a new release at once.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from functools import cache
from pathlib import Path

from aiohttp import web

from node.errors import not_found

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static/"
YEAR_SECONDS = 365 * 24 * 3600
# Text files are sent gzipped when the client accepts it (Leaflet's 148 KB script travels as 43 KB); the
# compressed bytes are made once per file and kept, the whole folder being a few hundred KB.
COMPRESSIBLE = (".js", ".css", ".svg", ".txt", ".json")


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


@cache
def _gzipped(path: Path, modified_ns: int) -> bytes:
    """Keyed by modification time too, so a file edited while the node runs is compressed again."""
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


def _accepts_gzip(request: web.Request) -> bool:
    return any(part.split(";")[0].strip() == "gzip" for part in request.headers.get("Accept-Encoding", "").split(","))


def _compressed_response(path: Path) -> web.Response:
    response = web.Response(body=_gzipped(path, path.stat().st_mtime_ns))
    response.headers["Content-Type"] = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response.headers["Content-Encoding"] = "gzip"
    return response


async def static_file(request: web.Request) -> web.StreamResponse:
    path = _resolve(request.match_info["path"])
    response: web.StreamResponse
    if path.suffix in COMPRESSIBLE and _accepts_gzip(request):
        response = _compressed_response(path)
    else:
        response = web.FileResponse(path)
    response.headers["Vary"] = "Accept-Encoding"
    versioned = "v" in request.query
    response.headers["Cache-Control"] = f"public, max-age={YEAR_SECONDS}, immutable" if versioned else "public, max-age=3600"
    # The widget script and its stylesheet are loaded by other sites' pages.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get(STATIC_PREFIX + "{path:.+}", static_file)
