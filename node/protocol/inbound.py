"""What other servers send us, checked and mapped before anything is stored. Pure: no I/O.

The federation layer applies these in order: `limits.parse_json_object` (size and depth), `validate_inbound`
(the schemas in schemas/inbound/), `check_context` (no context that would need a fetch), and for a Create
or Update of an Event `event_to_activity` (inbound_events.py, with its field readers in inbound_fields.py,
places in inbound_places.py and the sport in inbound_sport.py), whose result must pass
schemas/objects/remote-activity.json.
Who may send what (actor host == key host == object host) is the federation layer's check, not these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from node.errors import FieldError
from node.protocol.inbound_events import event_to_activity
from node.protocol.inbound_fields import (
    PUBLIC_ALIASES,
    InboundError,
    MalformedEvent,
    RefusedContext,
    is_public,
    normalise_public,
)
from node.protocol.inbound_places import POSTAL_FIELDS
from node.protocol.jsonld import is_known_context
from node.protocol.validation import SchemaSet

__all__ = [
    "ADDRESS_FIELDS",
    "INBOUND_TYPES",
    "POSTAL_FIELDS",
    "PUBLIC_ALIASES",
    "InboundError",
    "MalformedEvent",
    "RefusedContext",
    "check_context",
    "event_to_activity",
    "is_public",
    "normalise_addressing",
    "normalise_public",
    "validate_inbound",
]

# The activity types an inbox acts on; each has its schema schemas/inbound/<type in lower case>.json.
INBOUND_TYPES = ("Follow", "Accept", "Reject", "Undo", "Create", "Update", "Delete", "Announce")
ADDRESS_FIELDS = ("to", "cc", "bto", "bcc", "audience")


# ---- Contexts ----


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _context_problems(value: Any, pointer: str) -> list[FieldError]:
    def one(entry: Any, at: str) -> list[FieldError]:
        if entry is None or isinstance(entry, Mapping):
            return []
        if not isinstance(entry, str):
            return [FieldError(at, "must be a context URL or an inline context object")]
        if is_known_context(entry):
            return []
        return [
            FieldError(at, f"the context {entry[:200]!r} is not one this node holds, and it fetches none")
        ]

    if isinstance(value, list):
        return [problem for i, entry in enumerate(value) for problem in one(entry, f"{pointer}/{i}")]
    return one(value, pointer)


def check_context(document: Mapping[str, Any]) -> None:
    """Refuse (RefusedContext, HTTP 400) a document if any @context in it, at the top, in an embedded
    object, or scoped inside an inline context, names a URL we do not hold locally; likewise @import.

    Inline context objects are fine. A document without @context (Gancio sends none) is read as plain
    ActivityStreams, which is also what an inbox assumes of it; nothing to refuse.
    """
    problems: list[FieldError] = []
    # Iterative: the depth cap applies before this, but a walk should not depend on it.
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, Mapping):
            for key, item in value.items():
                here = f"{pointer}/{_escape(str(key))}"
                if key in ("@context", "@import"):
                    problems.extend(_context_problems(item, here))
                stack.append((item, here))
        elif isinstance(value, list):
            stack.extend((item, f"{pointer}/{i}") for i, item in enumerate(value))
    if problems:
        raise RefusedContext(
            400,
            "bad-request",
            "The document names a JSON-LD context that this node does not hold; it never fetches one.",
            sorted(problems, key=lambda p: p.path),
        )


# ---- Addressing ----


def normalise_addressing(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an activity with to/cc/bto/bcc/audience as lists of full URIs, in it and in its
    embedded object, so that "is this public?" has one answer however the sender spelled it."""

    def fixed(item: Mapping[str, Any]) -> dict[str, Any]:
        return {**item, **{k: normalise_public(item[k]) for k in ADDRESS_FIELDS if k in item}}

    result = fixed(document)
    if isinstance(result.get("object"), Mapping):
        result["object"] = fixed(result["object"])
    return result


# ---- Schemas ----


def validate_inbound(activity: Any, schemas: SchemaSet) -> list[FieldError]:
    """Every failing field of an inbound activity, by JSON Pointer; empty when it may go on.

    `schemas` is the SchemaSet of schemas/inbound/. The activity's `type` picks the schema; a type we do
    not accept is one error at /type.
    """
    if not isinstance(activity, Mapping):
        return [FieldError("", "must be a JSON object")]
    kind = activity.get("type")
    if "type" not in activity:
        return [FieldError("/type", "is required")]
    if not isinstance(kind, str) or kind not in INBOUND_TYPES:
        return [FieldError("/type", "must be one of " + ", ".join(INBOUND_TYPES))]
    return schemas.errors(kind.lower(), activity)
