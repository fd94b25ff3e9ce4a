"""Opaque cursors for keyset pagination of /api/search.

A cursor names the last result of a page by its sort key and id, so the next page starts right after it
however many objects are added or removed meanwhile (an offset would shift). It also carries the moment
the first page was asked at, so "next occurrence" and validity are judged the same on every page, and a
digest of the filters, so that a cursor pasted into another query is refused rather than misread.
It is not secret: a hand-made cursor can only skip to another place in the same public results.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from node.errors import FieldError, SportnodeError

VERSION = 1


@dataclass(frozen=True)
class Cursor:
    anchor: str  # RFC 3339 UTC moment of the first page
    key: str | int | float  # sort key of the last item
    id: str  # id of the last item
    digest: str  # of the query's filters and sort


def digest(filter_key: object) -> str:
    return hashlib.sha256(repr(filter_key).encode()).hexdigest()[:16]


def encode(cursor: Cursor) -> str:
    body = json.dumps([VERSION, cursor.anchor, cursor.key, cursor.id, cursor.digest], separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def _bad(detail: str) -> SportnodeError:
    return SportnodeError(400, "bad-request", "Bad query parameter: cursor.", [FieldError("/cursor", f"cursor: {detail}")])


def decode(text: str, expected_digest: str) -> Cursor:
    """The cursor in `text`, or 400 when it is malformed or belongs to another query."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad("is not a cursor this node gave out") from None
    if (
        not isinstance(value, list)
        or len(value) != 5
        or value[0] != VERSION
        or not isinstance(value[1], str)
        or isinstance(value[2], bool)
        or not isinstance(value[2], (str, int, float))
        or not isinstance(value[3], str)
        or not isinstance(value[4], str)
    ):
        raise _bad("is not a cursor this node gave out")
    if value[4] != expected_digest:
        raise _bad("belongs to another query (the filters or the sort differ)")
    return Cursor(anchor=value[1], key=value[2], id=value[3], digest=value[4])
