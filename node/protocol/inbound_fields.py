"""The field readers of the inbound mapping: each reads one value of a remote document generously,
or notes what is wrong with it (by JSON Pointer) in a Problems. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from node.errors import FieldError, SportnodeError
from node.protocol.jsonld import AS_PUBLIC

# JSON-LD compaction against the AS context may write the public collection as "as:Public", and some
# servers write plain "Public"; with the AS context all three are the same IRI.
PUBLIC_ALIASES = frozenset({AS_PUBLIC, "as:Public", "Public"})

_URL = re.compile(r"^https?://[^\s/?#@]+([/?#]\S*)?$")
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_URL = 2048
MAX_NAME = 1000
MAX_HTML = 200_000
MAX_PLACE_TEXT = 500


class InboundError(SportnodeError, ValueError):
    """Inbound input we refuse. A SportnodeError, so the web layer answers it in the one error shape with
    its field pointers; a ValueError, so pure callers that only know "bad data" catch it as that."""


class RefusedContext(InboundError):
    """The document names a JSON-LD context we do not hold; answering it would need a network fetch."""


class MalformedEvent(InboundError):
    """A remote Event that cannot be taken into our model."""


def normalise_public(addresses: str | Iterable[object] | None) -> list[str]:
    """`to`/`cc`-style addresses as a list, with every spelling of the public collection as AS_PUBLIC.

    One string counts as a list of one, None as none; repeats are dropped, order is kept, and anything
    that is not a string is left out (the schema has already refused it).
    """
    if addresses is None:
        return []
    items: Iterable[object] = [addresses] if isinstance(addresses, str) else addresses
    result: list[str] = []
    for item in items:
        if isinstance(item, str):
            address = AS_PUBLIC if item in PUBLIC_ALIASES else item
            if address not in result:
                result.append(address)
    return result


def is_public(addresses: str | Iterable[object] | None) -> bool:
    return AS_PUBLIC in normalise_public(addresses)


class Problems:
    """Collects every problem of one event, so a sender learns all of them at once: `found` refuse the
    event, `dropped` only lose a part of it that cannot be read (a place, its coordinates)."""

    def __init__(self, at: str) -> None:
        self.at = at
        self.found: list[FieldError] = []
        self.dropped: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.found.append(FieldError(self.at + field, message))

    def drop(self, field: str, message: str) -> None:
        self.dropped.append(FieldError(self.at + field, message))


def type_names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str)]
    return []


def is_url(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_URL and _URL.match(value) is not None


def read_url(value: Any, field: str, problems: Problems, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            problems.add(field, "is required")
        return None
    if not is_url(value):
        problems.add(field, "must be an http(s) URL")
        return None
    result: str = value
    return result


def read_text(value: Any, field: str, problems: Problems, *, limit: int, required: bool = False) -> str | None:
    """A non-blank string up to `limit` characters, as sent (not stripped: it may be HTML)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(field, "is required")
        return None
    if not isinstance(value, str):
        problems.add(field, "must be text")
        return None
    if len(value) > limit:
        problems.add(field, f"must be at most {limit} characters")
        return None
    return value


def from_language_map(value: Any) -> Any:
    # Only where the plain property is absent: Dutch first, then English, then whatever comes first.
    if not isinstance(value, Mapping) or not value:
        return None
    for language in ("nl", "en", "und"):
        if language in value:
            return value[language]
    return next(iter(value.values()))


def parse_date_time(value: str) -> datetime | None:
    match = _DATE_TIME.match(value)
    if not match:
        return None
    date, time, fraction, zone = match.groups()
    # fromisoformat takes at most six fraction digits; nanoseconds are not worth keeping.
    text = f"{date}T{time}" + (f".{fraction[:6].ljust(6, '0')}" if fraction else "")
    text += "+00:00" if zone in ("Z", "z") else zone
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def read_date_time(value: Any, field: str, problems: Problems) -> tuple[str, datetime] | None:
    if value is None:
        return None
    parsed = parse_date_time(value) if isinstance(value, str) else None
    if parsed is None:
        problems.add(field, "must be a date-time with a time zone, like 2025-03-31T19:00:00+02:00")
        return None
    return value.upper(), parsed


def utc_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_actor_id(value: Any, field: str, problems: Problems) -> str | None:
    # Mobilizon and Gancio send a URL; others embed the actor, or list several (the first is the author).
    if isinstance(value, list):
        value = value[0] if value else None
        field += "/0"
    if isinstance(value, Mapping):
        value = value.get("id")
        field += "/id"
    return read_url(value, field, problems, required=True)


def read_link(value: Any, field: str, problems: Problems) -> str | None:
    """The page of an event: `url` as a string, a Link, or a list of these (the HTML one preferred)."""
    if isinstance(value, list):
        if not value:
            return None
        html = [
            i for i, v in enumerate(value) if isinstance(v, Mapping) and v.get("mediaType") == "text/html"
        ]
        index = html[0] if html else 0
        return read_link(value[index], f"{field}/{index}", problems)
    if isinstance(value, Mapping):
        return read_url(value.get("href"), f"{field}/href", problems, required=True)
    return read_url(value, field, problems)


def valid_date(value: str) -> bool:
    # Called after _DATE matched (YYYY-MM-DD); fromisoformat checks the calendar ~20x faster than strptime.
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def compact(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if v is not None and v != [] and v != {}}


def read_addresses(value: Any, field: str, problems: Problems) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, str | list) or (
        isinstance(value, list) and not all(isinstance(a, str) for a in value)
    ):
        problems.add(field, "must be an address or a list of addresses")
        return []
    return normalise_public(value)
