"""Which RDF store can hold a node's graph? Memory and load time for N synthetic activity documents.

    .venv/bin/python bench/sparql_store.py                      # 20k and 200k, every store
    .venv/bin/python bench/sparql_store.py --sizes 2000 --stores oxigraph-memory

Every (store, size) runs in a fresh child process so that its resident memory is its own. A child
builds N activity documents (each with its embedded place, ~48 triples) with the node's own builder,
inlines their contexts as the node does, turns them into triples, loads them into the store, and
reports: load time, resident memory after loading (VmRSS) and at peak (VmHWM) less the baseline of the
same process before loading, disk size, two SPARQL queries (activities under "balsport" walking
skos:broader, activities in one municipality), and the cost of replacing one object's graph.

Stores:
- `rdflib`: rdflib's in-memory Graph (the store node/protocol/rdf.py already uses, one document at a
  time). Loaded from N-Triples in chunks, since its JSON-LD parser (timed separately on a sample, as
  `rdflib_jsonld_ms_per_doc`) would take a quarter of an hour for 200k documents.
- `oxigraph-memory`: pyoxigraph's in-memory Store, documents parsed by pyoxigraph's JSON-LD parser.
- `oxigraph-disk`: the same on RocksDB in a temporary directory.
- `node`: what the node runs (node/store/graph.py): in-memory Oxigraph, each object in its named graph
  and a de-duplicated default graph beside them, filled in batches of 1000 through `GraphStore.replace`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from random import Random
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STORES = ("rdflib", "oxigraph-memory", "oxigraph-disk", "node")
SPORTS_NS = "https://w3id.org/sportnode/sports#"
BALSPORT_QUERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX sn: <https://w3id.org/sportnode/ns#>
SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {
  ?a sn:sport ?s . ?s skos:broader* <https://w3id.org/sportnode/sports#balsport> .
}"""
MUNICIPALITY_QUERY = """
PREFIX sn: <https://w3id.org/sportnode/ns#>
PREFIX as: <https://www.w3.org/ns/activitystreams#>
SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a as:location ?p . ?p sn:municipalityCode "GM0307" . }"""


def rss_kib(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def documents(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """`count` activity documents as the node stores them, with contexts inlined."""
    from node.paths import areas_dir, vocab_dir
    from node.protocol.jsonld import inline_contexts
    from node.protocol.objects import activity_document, place_document
    from node.protocol.vocab import load_vocabulary
    from node.services.areas import load_neighbourhoods

    vocabulary = load_vocabulary(vocab_dir())
    sports = [c.uri for c in vocabulary.sports]
    groups = [c.uri for c in vocabulary.target_groups]
    wijken = load_neighbourhoods(areas_dir() / "neighbourhoods.csv")
    random = Random(seed)
    stamp = "2026-01-01T00:00:00Z"
    for number in range(count):
        wijk = random.choice(wijken)
        base = f"https://node{number % 342}.example/"
        owner = f"{base}organisations/club-{number % 200}"
        place = place_document(
            {
                "name": f"Sporthal {wijk.name}",
                "address": {"streetAddress": f"Sportlaan {number}", "postalCode": "1234 AB", "addressLocality": "X"},
                "latitude": wijk.lat,
                "longitude": wijk.lon,
                "municipalityCode": wijk.municipality_code,
                "neighbourhoodCode": wijk.code,
            },
            object_id=f"{base}places/p{number}",
            owner=owner,
            accessibility=[],
            published=stamp,
            updated=stamp,
        )
        data = {
            "name": f"Activiteit {number}",
            "description": "Samen bewegen in de wijk.",
            "schedule": {"days": ["tuesday"], "startTime": "19:00", "endTime": "20:00"},
            "ageRange": {"min": random.choice([6, 12, 18, 55, 65])},
            "price": random.choice([0, 2.5, 5]),
            "criteria": {"acceptsNewParticipants": True},
            "validThrough": "2027-06-30",
        }
        yield inline_contexts(
            activity_document(
                data,
                object_id=f"{base}activities/a{number}",
                owner=owner,
                sport=random.choice(sports),
                place=place,
                target_groups=random.sample(groups, 2),
                accessibility=[],
                published=stamp,
                updated=stamp,
            )
        )


def vocabulary_turtle() -> list[Path]:
    from node.paths import vocab_dir

    return [vocab_dir() / name for name in ("sports.ttl", "target-groups.ttl", "accessibility.ttl")]


def _load_in_batches(count: int, load: Callable[[list[dict[str, Any]]], float], size: int = 1000) -> float:
    """`count` generated documents handed to `load` in batches of `size`; the seconds `load` reports."""
    seconds = 0.0
    batch: list[dict[str, Any]] = []
    for document in documents(count):
        batch.append(document)
        if len(batch) == size:
            seconds += load(batch)
            batch = []
    return seconds + (load(batch) if batch else 0.0)


def run_oxigraph(count: int, on_disk: bool) -> dict[str, Any]:
    import pyoxigraph as ox

    folder = Path(tempfile.mkdtemp(prefix="sparql-bench-")) if on_disk else None
    store = ox.Store(str(folder)) if folder else ox.Store()
    for path in vocabulary_turtle():
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f"urn:vocab:{path.stem}"))
    gc.collect()
    baseline = rss_kib()

    def load(batch: list[dict[str, Any]]) -> float:
        # One JSON-LD document per batch, each object in its own named graph: the (large) shared
        # context is processed once per batch, not once per object (4x faster).
        text = json.dumps({"@context": batch[0]["@context"], "@graph": [
            {"@id": d["id"], "@graph": [{k: v for k, v in d.items() if k != "@context"}]} for d in batch]})
        started = time.perf_counter()
        store.load(text, format=ox.RdfFormat.JSON_LD)
        return time.perf_counter() - started

    load_seconds = _load_in_batches(count, load)
    if folder:
        store.flush()
    gc.collect()
    result = {
        "load_s": round(load_seconds, 1),
        "rss_mib": round((rss_kib() - baseline) / 1024),
        "peak_mib": round((rss_kib("VmHWM") - baseline) / 1024),
        "quads": len(store),
        **queries(lambda q: int(next(iter(store.query(q, use_default_graph_as_union=True)))["n"].value)),
    }
    # Replacing one object: what the sync does on every write.
    one = next(documents(1))
    graph = ox.NamedNode(one["id"])
    t = time.perf_counter()
    for _ in range(100):
        store.clear_graph(graph)
        store.load(json.dumps(one), format=ox.RdfFormat.JSON_LD, to_graph=graph)
    result["replace_one_ms"] = round((time.perf_counter() - t) * 10, 2)
    if folder:
        del store
        gc.collect()
        result["disk_mib"] = round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20)
        t = time.perf_counter()
        reopened = ox.Store(str(folder))
        result["reopen_s"] = round(time.perf_counter() - t, 2)
        del reopened
        shutil.rmtree(folder)
    return result


def run_node(count: int) -> dict[str, Any]:
    from node.paths import vocab_dir
    from node.protocol.sparql import jsonld_batches
    from node.store.graph import GraphStore

    graph = GraphStore()
    graph.load_vocabulary(vocab_dir())
    gc.collect()
    baseline = rss_kib()

    def load(batch: list[dict[str, Any]]) -> float:
        started = time.perf_counter()
        graph.replace([d["id"] for d in batch], jsonld_batches(batch))
        return time.perf_counter() - started

    load_seconds = _load_in_batches(count, load)
    gc.collect()
    result = {
        "load_s": round(load_seconds, 1),
        "rss_mib": round((rss_kib() - baseline) / 1024),
        "peak_mib": round((rss_kib("VmHWM") - baseline) / 1024),
        "quads": len(graph),
        **queries(lambda q: int(next(iter(graph.query(q)))["n"].value)),
    }
    one = [next(documents(1))]
    started = time.perf_counter()
    for _ in range(100):
        graph.replace([one[0]["id"]], jsonld_batches(one))
    result["replace_one_ms"] = round((time.perf_counter() - started) * 10, 2)
    return result


def run_rdflib(count: int) -> dict[str, Any]:
    import pyoxigraph as ox
    from rdflib import Dataset, URIRef

    from node.protocol.rdf import to_graph

    sample = list(documents(min(count, 500)))
    t = time.perf_counter()
    for document in sample:
        to_graph(document)
    jsonld_ms = (time.perf_counter() - t) * 1000 / len(sample)
    del sample
    dataset = Dataset(default_union=True)  # queries see the union of all graphs, as in oxigraph
    for path in vocabulary_turtle():
        dataset.graph(URIRef(f"urn:vocab:{path.stem}")).parse(path, format="turtle")
    gc.collect()
    baseline = rss_kib()
    load_seconds = 0.0
    chunk: list[bytes] = []

    def flush() -> float:
        started = time.perf_counter()
        dataset.parse(data=b"".join(chunk).decode(), format="nquads")
        chunk.clear()
        return time.perf_counter() - started

    for number, document in enumerate(documents(count), 1):
        graph = f" <{document['id']}> .\n".encode()
        triples = ox.serialize(
            [q.triple for q in ox.parse(json.dumps(document), format=ox.RdfFormat.JSON_LD)],
            format=ox.RdfFormat.N_TRIPLES,
        )
        chunk.append(triples.replace(b" .\n", graph))
        if number % 2000 == 0:
            load_seconds += flush()
    if chunk:
        load_seconds += flush()
    gc.collect()
    return {
        "load_s": round(load_seconds, 1),
        "rdflib_jsonld_ms_per_doc": round(jsonld_ms, 2),
        "rss_mib": round((rss_kib() - baseline) / 1024),
        "peak_mib": round((rss_kib("VmHWM") - baseline) / 1024),
        "quads": len(dataset.store),
        **queries(lambda q: int(next(iter(dataset.query(q)))[0])),  # type: ignore[index]
    }


def queries(run: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, query in (("balsport", BALSPORT_QUERY), ("municipality", MUNICIPALITY_QUERY)):
        t = time.perf_counter()
        found[f"{name}_count"] = run(query)
        found[f"{name}_query_ms"] = round((time.perf_counter() - t) * 1000, 1)
    return found


def child(store: str, count: int) -> None:
    if store == "rdflib":
        result = run_rdflib(count)
    elif store == "node":
        result = run_node(count)
    else:
        result = run_oxigraph(count, on_disk=store == "oxigraph-disk")
    print(json.dumps({"store": store, "objects": count, **result}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--stores", nargs="+", choices=STORES, default=list(STORES))
    parser.add_argument("--child", nargs=2, metavar=("STORE", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per store and size")
    parser.add_argument("--rdflib-cap-gib", type=float, default=12, help="address-space cap of an rdflib child")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    for size in args.sizes:
        for store in args.stores:
            command = [sys.executable, __file__, "--child", store, str(size)]
            cap = int(args.rdflib_cap_gib * 2**30)

            def limit(cap: int = cap, store: str = store) -> None:
                # rdflib's memory grows without bound; the cap keeps a 200k run from taking the machine.
                if store == "rdflib":
                    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=args.timeout, env=os.environ, preexec_fn=limit
                )
            except subprocess.TimeoutExpired:
                print(json.dumps({"store": store, "objects": size, "error": f"over {args.timeout:.0f} s"}))
                continue
            error = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
            print(done.stdout.strip() or json.dumps({"store": store, "objects": size, "error": error[0][-300:]}))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
