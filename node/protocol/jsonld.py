"""JSON-LD context handling without the network.

A node never fetches a context: the standard ones (ActivityStreams, w3id security v1) come from the
bundled copies in `activitypub-linked-data`, ours from vocab/context.jsonld, and those that peers name
(litepub, which Mobilizon sends) from vocab/contexts/. Any other remote context is refused, so a hostile
document cannot make us fetch a URL or change meaning behind our back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from node.paths import vocab_dir

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
SPORTNODE_CONTEXT = "https://w3id.org/sportnode/context.jsonld"
SPORTNODE_NS = "https://w3id.org/sportnode/ns#"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

# What our own objects carry: the three documents above, in this order.
OBJECT_CONTEXT: list[str] = [AS_CONTEXT, SECURITY_CONTEXT, SPORTNODE_CONTEXT]
# Contexts that bovine names in every activity it sends (bovine.jsonld.default_context). They define
# DID and Multikey terms only, none of which this node reads, so they are held as empty documents:
# such activities pass the context check without a fetch, and mean to us what they say in plain JSON.
EMPTY_CONTEXTS = ("https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1")


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


def _bundled() -> dict[str, Mapping[str, Any]]:
    """The copies in vocab/contexts/, keyed by the URL each names in its `url` member.

    A context document is read only for its @context, so the extra member changes nothing for a JSON-LD
    processor, and the file says by itself which URL it stands for.
    """
    found: dict[str, Mapping[str, Any]] = {}
    for path in sorted((vocab_dir() / "contexts").glob("*.jsonld")):
        document = json.loads(path.read_text(encoding="utf-8"))
        url = document.get("url")
        if not isinstance(url, str) or "@context" not in document:
            raise ValueError(f"{path}: a bundled context needs a `url` and an `@context`")
        found[_normalise(url)] = {"@context": document["@context"]}
    return found


@cache
def _known() -> dict[str, Mapping[str, Any]]:
    # Imported here: `ap` brings rdflib and urllib3 (~5 MB, ~0.3 s of start), and most requests check
    # no context (docs/benchmarks.md).
    from ap.linked_data.contexts import AS_CONTEXT_DOCUMENT, SEC_CONTEXT_DOCUMENT

    standard: dict[str, Mapping[str, Any]] = {
        _normalise(AS_CONTEXT): AS_CONTEXT_DOCUMENT,
        _normalise(SECURITY_CONTEXT): SEC_CONTEXT_DOCUMENT,
        _normalise(SPORTNODE_CONTEXT): sportnode_context(),
        **{_normalise(url): {"@context": {}} for url in EMPTY_CONTEXTS},
    }
    bundled = _bundled()
    # A file in vocab/contexts/ must not quietly replace the meaning of the documents we publish with.
    if clash := sorted(set(standard) & set(bundled)):
        raise ValueError(f"vocab/contexts/ redefines a standard context: {', '.join(clash)}")
    return {**standard, **bundled}


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
    return {**document, "@context": _inlined(document.get("@context"), ())}


def _inlined(context: Any, seen: tuple[str, ...]) -> list[Any]:
    # A bundled document may itself name others (litepub names ActivityStreams and security/v1); they are
    # spliced in place, since JSON-LD allows no list inside a @context list. `seen` stops a loop.
    entries = context if isinstance(context, list) else [context] if context is not None else []
    inlined: list[Any] = []
    for entry in entries:
        if not isinstance(entry, str):
            inlined.append(entry)
        elif _normalise(entry) not in seen:
            inlined.extend(_inlined(load_context_document(entry)["@context"], (*seen, _normalise(entry))))
    return inlined


def _expand_prefixed(value: str, prefixes: Mapping[str, str]) -> str:
    prefix, colon, rest = value.partition(":")
    return prefixes[prefix] + rest if colon and prefix in prefixes else value


def _reverse_terms(context: Mapping[str, Any]) -> dict[str, str]:
    """Full IRI -> the term of `context` that names it (schema.org in both its http and https forms)."""
    prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("/", "#"))}
    reverse: dict[str, str] = {}
    for term, definition in context.items():
        target = definition.get("@id") if isinstance(definition, dict) else definition
        if term.startswith("@") or term in prefixes or not isinstance(target, str):
            continue
        iri = _expand_prefixed(target, prefixes)
        reverse[iri] = term
        if iri.startswith("https://schema.org/"):
            reverse["http://schema.org/" + iri.removeprefix("https://schema.org/")] = term
    return reverse


@cache
def _our_terms() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The reverse map of our context, and of each term's scoped context (eventSchedule's times)."""
    context = sportnode_context()["@context"]
    scoped = {
        term: _reverse_terms({**context, **definition["@context"]})
        for term, definition in context.items()
        if isinstance(definition, dict) and isinstance(definition.get("@context"), dict)
    }
    # A term defined only inside a scoped context (schema:startTime) keeps its full IRI outside it.
    return _reverse_terms(context), scoped


def compact_our_terms(value: Any, scope: str = "") -> Any:
    """`value` with keys and `type` values written as full IRIs of our context's terms written as the
    terms. Peers that re-compact with a context of their own (bovine) send schema.org terms this way."""
    if not (type(value) is dict or type(value) is list):
        return value
    top, scoped = _our_terms()
    return _compacted(value, scoped.get(scope, top), top, scoped)


def _compacted(value: Any, reverse: dict[str, str], top: dict[str, str], scoped: dict[str, dict[str, str]]) -> Any:
    # Every remote object passes here (~200k in a national backfill): scalars are copied without a
    # call, which halves the time of the plain recursive walk.
    if type(value) is list:
        return [_compacted(item, reverse, top, scoped) if type(item) is dict or type(item) is list else item
                for item in value]
    result: dict[str, Any] = {}
    for key, item in value.items():
        term = reverse.get(key, key)
        if term == "type" or term == "@type":
            result[term] = [reverse.get(t, t) for t in item] if type(item) is list else reverse.get(item, item)
        elif term == "@context" or not (type(item) is dict or type(item) is list):
            result[term] = item
        else:
            result[term] = _compacted(item, scoped.get(term, top), top, scoped)
    return result
