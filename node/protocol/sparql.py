"""SPARQL without I/O: which queries we run, how documents become named graphs, how results are written.

A query is parsed (rdflib's SPARQL 1.1 grammar) before it runs, and refused when it is not a query:
an update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ...) parses only as an update, and SERVICE (a
federated query, which Oxigraph would send to any URL) is found anywhere in the parse tree, even inside
a FILTER EXISTS or a subquery. Oxigraph then parses and runs it on its own; its `query()` accepts no
update syntax at all, so an update cannot get through even if the two parsers disagreed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from pyparsing import ParseException, ParseResults
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from node.protocol.jsonld import AS_PUBLIC, UnknownContext, inline_contexts
from node.protocol.rdf import PREFIXES

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# Media types of SELECT and ASK results, and of CONSTRUCT and DESCRIBE graphs; the first is the default.
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
OUTPUT_PREFIXES = {
    **PREFIXES,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sport": "https://w3id.org/sportnode/sports#",
    "tg": "https://w3id.org/sportnode/target-groups#",
}
FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}
UPDATE_NAMES = {
    "InsertData": "INSERT DATA",
    "DeleteData": "DELETE DATA",
    "DeleteWhere": "DELETE WHERE",
    "Modify": "DELETE/INSERT",
    "Load": "LOAD",
    "Clear": "CLEAR",
    "Drop": "DROP",
    "Create": "CREATE",
    "Add": "ADD",
    "Move": "MOVE",
    "Copy": "COPY",
}


@dataclass(frozen=True)
class Refused(Exception):
    """A query this endpoint will not run: `status`, an error code and a reason for the client."""

    status: int
    code: str
    detail: str

    def __str__(self) -> str:
        return self.detail


def _walk(node: Any) -> Iterable[Any]:
    """Every node of an rdflib parse tree. (ParseResults is registered as a Mapping, but its children
    are its items; a CompValue is a dict whose values are its children.)"""
    yield node
    children: Iterable[Any] = ()
    if isinstance(node, ParseResults | list | tuple):
        children = node
    elif isinstance(node, CompValue):
        children = node.values()
    for child in children:
        yield from _walk(child)


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE; Refused for an update, a SERVICE or a syntax error."""
    try:
        tree = parseQuery(text)
    except ParseException as error:
        query_error = str(error)
    else:
        if any(isinstance(n, CompValue) and n.name == "ServiceGraphPattern" for n in _walk(tree)):
            raise Refused(400, "service-not-allowed", "SERVICE (federated query) is not allowed on this endpoint.")
        return FORMS[tree[1].name]
    try:
        update = parseUpdate(text)
    except ParseException:
        raise Refused(400, "bad-query", f"The query does not parse: {query_error}") from None
    names = sorted({UPDATE_NAMES.get(op.name, op.name) for op in update.request or ()})
    raise Refused(
        400, "update-not-allowed", f"This endpoint is read-only: SPARQL Update ({', '.join(names)}) is refused."
    )


def is_public(document: Mapping[str, Any]) -> bool:
    """Public, or saying nothing of its audience (remote objects mapped into our model may not)."""
    if "to" not in document and "cc" not in document:
        return True
    addressed = [*_listed(document.get("to")), *_listed(document.get("cc"))]
    return AS_PUBLIC in addressed or "as:Public" in addressed or "Public" in addressed


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def jsonld_batches(documents: Sequence[Mapping[str, Any]]) -> list[str]:
    """JSON-LD texts that put each document in the named graph of its id.

    Documents with the same @context share one text, whose context is inlined once: Oxigraph then
    processes the (large) ActivityStreams context once per batch instead of once per object, four
    times faster. A document whose context we do not hold is left out.
    """
    groups: dict[str, tuple[list[Any], list[dict[str, Any]]]] = {}
    for document in documents:
        key = json.dumps(document.get("@context"), sort_keys=True)
        if key not in groups:
            try:
                context = inline_contexts({"@context": document.get("@context")})["@context"]
            except UnknownContext:
                continue
            groups[key] = (context, [])
        body = {k: v for k, v in document.items() if k != "@context"}
        groups[key][1].append({"@id": document["id"], "@graph": [body]})
    return [json.dumps({"@context": context, "@graph": graphs}) for context, graphs in groups.values()]


def _term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        found: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            found["xml:lang"] = term.language
        elif term.datatype.value not in (XSD_STRING, RDF_LANG_STRING):
            found["datatype"] = term.datatype.value
        return found
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {"subject": _term(term.subject), "predicate": _term(term.predicate), "object": _term(term.object)},
        }
    raise TypeError(f"not an RDF term: {term!r}")


def solutions_body(variables: Sequence[str], rows: Iterable[Any], media: str) -> bytes:
    """SELECT results (already capped) in `media`; written as SPARQL JSON, then converted by Oxigraph."""
    bindings = [
        {name: _term(row[name]) for name in variables if row[name] is not None} for row in rows
    ]
    text = json.dumps({"head": {"vars": list(variables)}, "results": {"bindings": bindings}}, ensure_ascii=False)
    return _convert(text.encode(), media)


def boolean_body(value: bool, media: str) -> bytes:
    return _convert(json.dumps({"head": {}, "boolean": value}).encode(), media)


def _convert(json_results: bytes, media: str) -> bytes:
    target = RESULT_FORMATS[media]
    if target == ox.QueryResultsFormat.JSON:
        return json_results
    parsed = ox.parse_query_results(json_results, format=ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=target) or b""


def graph_body(triples: Sequence[ox.Triple], media: str) -> bytes:
    return ox.serialize(triples, format=GRAPH_FORMATS[media], prefixes=OUTPUT_PREFIXES) or b""
