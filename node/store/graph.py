"""The SPARQL graph: every live object as RDF in an in-memory Oxigraph store, plus our vocabularies.

Layout. Each object's triples live in the named graph of its id (so `GRAPH ?g` tells which document
said what), and the default graph, which queries read, holds the *set* of all their triples. Oxigraph's
"default graph as union" keeps duplicates: a place embedded in twenty activities would be counted
twenty-one times. So on every change the default graph is kept as a proper union by SPARQL Update
(in Rust, one transaction per step): the old triples of the changed objects go to a scratch graph, their
graphs are dropped, the new documents loaded, their triples added to the default graph, and of the old
ones only those that no remaining graph still holds are removed from it.

In memory rather than on RocksDB: measured with bench/sparql_store.py (docs/sparql.md), the on-disk
store answered a skos:broader walk 45 times slower and loaded 4 times slower. The price is a rebuild
from `objects` whenever the worker starts (about 10 s per 10k objects).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox

SCRATCH = ox.NamedNode("urn:sportnode:sparql:replaced")
# Our vocabulary files and the named graph each is loaded into (the scheme or ontology IRI).
VOCABULARY_GRAPHS = {
    "sportnode.ttl": "https://w3id.org/sportnode/ns",
    "sports.ttl": "https://w3id.org/sportnode/sports",
    "target-groups.ttl": "https://w3id.org/sportnode/target-groups",
    "accessibility.ttl": "https://w3id.org/sportnode/accessibility",
}


def graph_name(iri: str) -> ox.NamedNode | None:
    """The named graph of an object id; None for an id that is not a valid IRI (never loaded)."""
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None


def _values(graphs: Iterable[ox.NamedNode]) -> str:
    return " ".join(str(g) for g in graphs)


class GraphStore:
    def __init__(self) -> None:
        self.store = ox.Store()
        self.seq = 0  # the last change-log seq applied

    def load_vocabulary(self, folder: Path) -> None:
        for name, graph in VOCABULARY_GRAPHS.items():
            self.store.load(path=str(folder / name), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(graph))
        self._merge_into_default([ox.NamedNode(g) for g in VOCABULARY_GRAPHS.values()])

    def replace(self, object_ids: Sequence[str], jsonld_texts: Sequence[str]) -> None:
        """Forget what the graphs of `object_ids` held; load the texts (each object in its graph)."""
        graphs = [g for g in map(graph_name, object_ids) if g is not None]
        if not graphs:
            return
        # Objects seen for the first time (the whole first build) have nothing to forget.
        known = [g for g in graphs if self.store.contains_named_graph(g)]
        if known:
            self.store.update(
                f"INSERT {{ GRAPH {SCRATCH} {{ ?s ?p ?o }} }} WHERE {{ VALUES ?g {{ {_values(known)} }}"
                " GRAPH ?g { ?s ?p ?o } };" + "".join(f"DROP SILENT GRAPH {g};" for g in known)
            )
        for text in jsonld_texts:
            self.store.load(text, format=ox.RdfFormat.JSON_LD)
        self._merge_into_default(graphs)
        if known:
            self.store.update(
                f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH {SCRATCH} {{ ?s ?p ?o }}"
                f" FILTER NOT EXISTS {{ GRAPH ?h {{ ?s ?p ?o }} FILTER (?h != {SCRATCH}) }} }};"
                f"DROP SILENT GRAPH {SCRATCH}"
            )

    def _merge_into_default(self, graphs: Sequence[ox.NamedNode]) -> None:
        self.store.update(f"INSERT {{ ?s ?p ?o }} WHERE {{ VALUES ?g {{ {_values(graphs)} }} GRAPH ?g {{ ?s ?p ?o }} }}")

    def query(self, text: str) -> Any:
        """Oxigraph's answer: QuerySolutions, QueryBoolean or QueryTriples (lazy: evaluated as read)."""
        return self.store.query(text)

    def __len__(self) -> int:
        return len(self.store)
