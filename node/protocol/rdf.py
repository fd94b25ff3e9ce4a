"""Our JSON-LD documents as RDF graphs and Turtle."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from node.protocol.jsonld import inline_contexts

if TYPE_CHECKING:
    from rdflib import Graph

PREFIXES = {
    "as": "https://www.w3.org/ns/activitystreams#",
    "schema": "https://schema.org/",
    "sn": "https://w3id.org/sportnode/ns#",
    "sec": "https://w3id.org/security#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
}


def to_graph(document: Mapping[str, Any]) -> Graph:
    # rdflib (~5 MB, ~0.1 s) is imported on the first Turtle answer rather than when the node starts:
    # most clients ask for JSON-LD or HTML, and the SPARQL side only needs PREFIXES from here.
    from rdflib import Graph

    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.parse(data=json.dumps(inline_contexts(document)), format="json-ld")
    return graph


def to_turtle(document: Mapping[str, Any]) -> str:
    return to_graph(document).serialize(format="turtle")
