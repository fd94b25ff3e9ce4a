"""JSON-LD context handling without the network.

A node never fetches a context: the standard ones (ActivityStreams, w3id security v1) come from the
bundled copies in `activitypub-linked-data`, ours from vocab/context.jsonld. Any other remote context
is refused, so a hostile document cannot make us fetch a URL or change meaning behind our back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from ap.linked_data.contexts import AS_CONTEXT_DOCUMENT, SEC_CONTEXT_DOCUMENT

from node.paths import vocab_dir

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
SPORTNODE_CONTEXT = "https://w3id.org/sportnode/context.jsonld"
SPORTNODE_NS = "https://w3id.org/sportnode/ns#"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

# What our own objects carry: the three documents above, in this order.
OBJECT_CONTEXT: list[str] = [AS_CONTEXT, SECURITY_CONTEXT, SPORTNODE_CONTEXT]


class UnknownContext(ValueError):
    """A document names a context we do not hold locally."""


@cache
def sportnode_context() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((vocab_dir() / "context.jsonld").read_text(encoding="utf-8"))
    return document


def _normalise(url: str) -> str:
    # Servers write the AS context with http or https, and with or without a trailing slash or `.jsonld`.
    url = url.strip().rstrip("/").removesuffix(".jsonld")
    return url.replace("http://", "https://", 1)


@cache
def _known() -> dict[str, Mapping[str, Any]]:
    return {
        _normalise(AS_CONTEXT): AS_CONTEXT_DOCUMENT,
        _normalise(SECURITY_CONTEXT): SEC_CONTEXT_DOCUMENT,
        _normalise(SPORTNODE_CONTEXT): sportnode_context(),
    }


def load_context_document(url: str) -> Mapping[str, Any]:
    """The local document loader: the document for a context URL, or UnknownContext."""
    try:
        return _known()[_normalise(url)]
    except KeyError:
        raise UnknownContext(f"the JSON-LD context {url!r} is not one this node holds locally") from None


def is_known_context(url: str) -> bool:
    return _normalise(url) in _known()


def inline_contexts(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `document` whose top-level @context has every URL replaced by the local document.

    rdflib and pyld then need no loader at all. Raises UnknownContext for any URL we do not hold.
    """
    context = document.get("@context")
    entries = context if isinstance(context, list) else [context] if context is not None else []
    inlined: list[Any] = []
    for entry in entries:
        if isinstance(entry, str):
            inlined.append(load_context_document(entry)["@context"])
        else:
            inlined.append(entry)
    return {**document, "@context": inlined}
