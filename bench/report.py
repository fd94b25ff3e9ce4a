"""docs/benchmarks.md from the raw results of one run (bench/run.py writes both)."""

from __future__ import annotations

from typing import Any

CONNECTIONS_NOTE = "50 connections, a node with ~600 objects"

NOTES = """
## What bounds them (profiles: pyinstrument or py-spy; `BENCH_PROFILE=DIR make bench SCALE=small` writes one per host)

- **Storing a remote object** (backfill, origin sync) bounds the backfill and the national simulation.
  A page of 100 is now fetched and mapped before its write transaction and written at once: one read of
  the objects and provenance held, one `executemany` each (`remote_objects.store_all`), instead of about
  five aiosqlite thread hops an object; the depth check, the IRI compaction and the date checks of the
  mapping were made 2-20x cheaper. In a 20-node backfill measured on its own (12,055 objects) the
  aggregator's CPU per object went from 2.96 ms to 1.2 ms and its rate from 317 to 629 objects/s. What
  is left is about 0.4 ms of Python (mapping, validation) and the SQL of the insert, ~0.75 ms: ~75 us
  for the row, ~100 us for the RPDE and SPARQL triggers, the rest for the search-index trigger, which
  derives the index from the JSON document in SQL. Its cost was temporary b-trees (SQLite builds one
  per object for `IN (SELECT ...)`, UNION and DISTINCT) and statement journals spilled to a temp file;
  migration 0011 and `temp_store=MEMORY` took ~0.45 ms of it off (same-run ratios); what remains is
  mostly writing the index row into its eight indexes, the R*Tree point, the full-text row and the
  terms. One aggregator is one event loop and one writer thread: 3,400 objects/s would need ~0.3 ms of
  CPU an object in all.
- **Serving a backfill**: an outbox page was parsed and re-serialised in Python, activity by activity;
  it is now spliced from the stored text (SQLite drops each `@context`), about 40% less CPU a page.
- **Re-publishing by aggregators**: an aggregator announces what it backfills **as a whole** (one
  Announce of the node's actor); its followers read that node's outbox from the node's own host, two
  page GETs per hundred objects instead of a signed POST and a signed GET per object. Live changes are
  announced one by one. Requests per object propagated are in the simulation's figures.
- **National convergence** is CPU on two cores: every object is stored twice (province, nation) and
  served twice (to its province and to the nation), beside the signatures, the inbox and the driver's
  probes: ~1,090 CPU-seconds in the run of the table (631 s on two cores). The nation takes ~180
  objects/s while the provinces are still backfilling (it reads a node only once its province has
  announced it, and shares the cores with them) and ~500/s after; backfills now run 4 at a time per
  aggregator so that the first nodes are announced early (was 1,087 s). The offline node is back at
  the nation within a minute: its province retries the configured follow every `reconcile_minutes`.
- **Inbox**: concurrent activities now share one write transaction (group commit: one that fails is
  undone alone; each is answered 202 only once committed). Before, the writer's lock was held ~5 ms an
  activity, mostly waiting for turns of the busy loop between thread hops. Left: ~4 ms of CPU an
  activity, about a third the write (the object's insert and its triggers), a fifth aiohttp, an eighth
  the signature checks, then the mapping and the actor lookup. 0.5x hello means ~0.5 ms an activity:
  no Python server that parses, checks, verifies and stores each activity gets there (bovine-herd,
  measured in the same run, takes longer per activity than we do).
- **Fan-out**: 342 RSA-2048 signatures (one per inbox: the signature covers the host), now made on two
  threads off the event loop (~0.9 ms each), 96 deliveries in flight (4 at most per host) and the
  results written in shared transactions. The 342 follower servers run in one process on the same two
  cores.
- **Query**: the SQL reads rows in the default order from indexes that hold every filter column and
  stops when a page is full (0.2-5 ms a request); the JSON answer splices the stored documents in; total
  and facets are cached per filter until the data changes. What is left is ~4 ms of CPU a request
  (aiohttp, the reader threads, full-text `q=` on common words builds the whole match list). At 50
  concurrent clients on two cores a p95 is about 50 x that; the plain aiohttp hello itself answers at a
  p95 of tens of milliseconds here, so the 20 ms target is below this machine's floor for any
  Python server.
- **The search page** (`/zoeken`, issue 10) against `/api/search` JSON for the same queries, on a node
  with ~600 objects: in process the page costs ~1.7 ms of CPU and the API ~0.8 ms (profiles with
  pyinstrument; was 6.5 ms before the form's lists, the result items and the translations were made in
  Python and kept per language and per document). The page does more than the API: the facet counts of
  sport, municipality, wijk and target group (a search never asked before costs ~4 ms, mostly counting;
  the counts are kept until the data changes), three database reads instead of one, the form and the
  layout. At 50 connections on two cores the p95 ratio is 2-4x (noisy: single runs swing between 1.3x and
  3.7x); throughput is 0.4x the API's. Left to do: one read for the results and their counts (the query
  service would hand out its totals and facets), and counting only the facets the form shows. The weight
  targets are met: the list view 45 KB, the map view 83 KB without tiles (HTML over 64 KB is gzipped,
  Leaflet travels gzipped), and no request leaves the node but the tiles.
- **Start and memory**: the vocabulary, schemas, validators and areas load on first use; rdflib,
  pyoxigraph, icalendar and `ap`'s contexts are imported where needed. Left above hello (aiohttp, ~36 MB):
  cryptography (~7.6 MB, imported by the signature module at start), rdflib (~7 MB, parsing the
  vocabulary's Turtle on the first search that names a sport), jinja2 (~2 MB) and the node's own
  ~540 modules; those imports are most of the start time above hello's.
- **Generating the offering** (only when `var/bench-cache` has no copy for this code): ~2 s a node,
  about half of it the RSA keys of the node and its 10 organisations (~87 ms each).
"""


def _f(value: Any, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    return f"{value}{unit}"


def _row(what: str, target: str, measured: str, baseline: str, ratio: str, met: bool | None) -> str:
    mark = "-" if met is None else ("met" if met else "**not met**")
    return f"| {what} | {target} | {measured} | {baseline} | {ratio} | {mark} |"


def render(results: dict[str, Any]) -> str:
    m = results.get("machine", {})
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench.run`); raw figures in `bench/results.json`. Each figure",
        "that depends on the machine stands beside a baseline measured on the same machine in the same run.",
        "",
        f"Machine: {m.get('cpu', '?')}, {m.get('cpus', '?')} CPUs ({m.get('affinity', '?')} usable), "
        f"{m.get('memory_gb', '?')} GB, Linux {m.get('kernel', '?')}, Python {m.get('python', '?')}; load average "
        f"at start {' '.join(m.get('load_average_at_start', []))} (the machine is shared: absolute times are noisy).",
        f"Run: {results.get('started', '?')}, scale `{results.get('scale')}`, {results.get('seconds', 0):.0f} s in all.",
        *(f"Run again on its own: {', '.join(run['scenarios'])} at {run['started']} ({run['seconds']:.0f} s; load "
          f"average at start {' '.join(run['machine'].get('load_average_at_start', []))})."
          for run in results.get("partial_runs", [])),
        "",
        "| what | target | measured | baseline (same run) | ratio | |",
        "|---|---|---|---|---|---|",
    ]
    startup = results.get("startup", {})
    if startup:
        node = startup.get("node with ~600 objects") or startup.get("empty node", {})
        empty = startup.get("empty node", {})
        hello = startup.get("hello baseline", {})
        lines.append(_row("idle RSS, node with ~600 objects", "<= 50 MB", _f(node.get("idle_rss_mb"), " MB", 1),
                          f"hello {_f(hello.get('idle_rss_mb'), ' MB', 1)}",
                          f"{node['idle_rss_mb'] / hello['idle_rss_mb']:.1f}x hello" if hello else "-",
                          node.get("idle_rss_mb", 1e9) <= 50))
        lines.append(_row("idle RSS, empty node", "<= 50 MB", _f(empty.get("idle_rss_mb"), " MB", 1), "", "",
                          empty.get("idle_rss_mb", 1e9) <= 50))
        lines.append(_row("cold start to first answer", "<= 1 s", _f(node.get("cold_start_s"), " s"),
                          f"hello {_f(hello.get('cold_start_s'), ' s')}",
                          f"{node['cold_start_s'] / hello['cold_start_s']:.1f}x hello" if hello else "-",
                          node.get("cold_start_s", 1e9) <= 1))
    inbox = results.get("inbox", {})
    if inbox:
        ours, hello = inbox["sportnode"], inbox["hello"]
        lines.append(_row("inbox: signed, validated, stored Creates/s", ">= 0.5 x hello", _f(ours["rate"], "/s", 0),
                          f"hello {_f(hello['rate'], '/s', 0)}", f"{inbox['ratio_to_hello']:.3f}",
                          inbox["ratio_to_hello"] >= 0.5))
        bovine = inbox.get("bovine", {})
        if bovine.get("rate"):
            lines.append(_row("inbox vs bovine-herd (same Creates)", "(peer)", _f(ours["rate"], "/s", 0),
                              f"bovine-herd {_f(bovine['rate'], '/s', 0)}", f"{inbox['ratio_to_bovine']:.2f}x", None))
        elif bovine:
            lines.append(_row("inbox vs bovine-herd", "(peer)", "skipped", str(bovine.get("skipped"))[:80], "-", None))
    fanout = results.get("fanout", {})
    if fanout:
        lines.append(_row(f"fan-out: one Update to {fanout['followers']} inboxes", "<= 1 s", _f(fanout["seconds"], " s"),
                          f"unsigned POSTs {_f(fanout['baseline_unsigned_posts_seconds'], ' s')}",
                          f"{fanout['seconds'] / fanout['baseline_unsigned_posts_seconds']:.1f}x", fanout["seconds"] <= 1))
    sim = results.get("national", {})
    backfill = sim.get("backfill")
    if backfill:
        label = "" if backfill.get("complete", True) else " (extrapolated from the capped run)"
        lines.append(_row(f"backfill: one aggregator pulls {sim['municipal_nodes'] - 1} nodes, "
                          f"{backfill['objects']:,} objects", "<= 60 s", _f(backfill["seconds"], " s", 0) + label,
                          f"{_f(backfill['objects_per_second'], ' objects/s', 0)}", f"{backfill['seconds'] / 60:.1f}x target",
                          backfill["seconds"] <= 60))
    query = results.get("query", {})
    if query:
        ours, hello = query["sportnode"], query["hello"]
        lines.append(_row(f"query p95, 50 clients, {query['objects']:,} objects", "<= 20 ms", _f(ours["p95_ms"], " ms", 1),
                          f"hello p95 {_f(hello['p95_ms'], ' ms', 1)}", f"{ours['p95_ms'] / 20:.1f}x target",
                          ours["p95_ms"] <= 20 and ours["ok"] == ours["requests"]))
    pages = results.get("pages", {})
    if pages:
        page, api = pages["page"], pages["api"]
        lines.append(_row(f"search page p95 vs /api/search JSON, same queries, {CONNECTIONS_NOTE}",
                          "<= 1.5x", f"{pages['p95_ratio']:.2f}x",
                          f"page p95 {_f(page['p95_ms'], ' ms', 1)} ({_f(page['rate'], '/s', 0)}), API p95 "
                          f"{_f(api['p95_ms'], ' ms', 1)} ({_f(api['rate'], '/s', 0)}); {page['generator']}",
                          f"{pages['p95_ratio'] / 1.5:.2f}x target", pages["p95_ratio"] <= 1.5))
        for view, weight in pages["weight"].items():
            others = weight["other_third_party"]
            lines.append(_row(f"search page weight without tiles, {view} view", "<= 100 KB",
                              _f(weight["bytes"] / 1024, " KB", 1),
                              f"{weight['requests']} requests; tiles refused {weight['tile_requests']}; "
                              f"other third-party requests {len(others)}", f"{weight['bytes'] / 102400:.2f}x target",
                              weight["bytes"] <= 102400 and not others))
    prop = sim.get("propagation")
    if prop:
        lines.append(_row("propagation, municipal to national (2 hops), p99", "<= 2 s", _f(prop["p99_s"], " s"),
                          f"p50 {_f(prop['p50_s'], ' s')}, p95 {_f(prop['p95_s'], ' s')}", f"{prop['p99_s'] / 2:.2f}x target",
                          prop["p99_s"] <= 2 and prop["arrived"] == prop["edits"]))
    conv = sim.get("convergence")
    if conv:
        lines.append(_row(f"national simulation: cold convergence ({sim['municipal_nodes']} municipal, 12 provincial, 1 national)",
                          "<= 5 min", _f(conv["seconds"], " s", 0), f"{conv['objects']:,} objects",
                          f"{conv['seconds'] / 300:.2f}x target", conv["seconds"] <= 300))
    check = sim.get("check")
    if check:
        lines.append(_row("faults: national view == union of municipal public objects", "nothing lost, duplicated; deletes applied",
                          "passed" if check["passed"] else "**failed**",
                          f"missing {check['missing']}, extra {check['extra']}, deletes missing {check['deletes_missing']} "
                          f"of {check['deleted_at_nodes']}", "-", bool(check["passed"])))
    lines.append("")
    if sim:
        lines += _simulation(sim)
    lines.append(NOTES)
    return "\n".join(lines) + "\n"


def _simulation(sim: dict[str, Any]) -> list[str]:
    out = ["## The national simulation", ""]
    data = sim.get("data", {})
    out.append(f"- Offering: {sim.get('objects', 0):,} objects on {sim['municipal_nodes']} municipal nodes "
               f"({_f(data.get('objects_per_node'), '', 0)} a node), loaded through the publishing services; "
               f"{data.get('generated', 0)} generated this run in {_f(data.get('seconds'), ' s', 0)} "
               f"({_f(data.get('seconds_per_node'), ' s', 1)} a node), the rest from the cache in var/bench-cache.")
    conv = sim.get("convergence", {})
    if conv:
        out.append(f"- Cold convergence: {_f(conv['seconds'], ' s', 0)}; province {conv['province_killed']} killed "
                   f"abruptly at {_f(conv['killed_at_seconds'], ' s', 0)} and restarted 3 s later.")
        out.append(f"- Requests per object propagated (all nodes, all requests until convergence): "
                   f"{conv['requests_per_object']:.3f}; bytes per object: {conv['bytes_per_object']:,.0f}.")
        kinds = sorted(conv.get("requests_by_kind", {}).items(), key=lambda kv: -kv[1])[:8]
        out.append("- Requests by kind: " + ", ".join(f"{k.removeprefix('requests ')} {v:,}" for k, v in kinds) + ".")
        out.append("- Memory (RSS of each process / nodes in it; SQLite files on disk):")
        for name, mem in conv.get("memory", {}).items():
            out.append(f"  - {name}: {mem['rss_mb']:.0f} MB for {mem['nodes']} nodes = {mem['rss_mb_per_node']:.1f} MB a node, "
                       f"{mem['db_mb']:.0f} MB of SQLite, {mem['cpu_s']:.0f} s CPU")
    off = sim.get("offline_node")
    if off:
        out.append(f"- Offline node {off['node']} ({off['objects']} objects), down from the start for a simulated hour: "
                   f"its offering reached its province {_f(off.get('seconds_to_reach_province_after_return'), ' s', 1)} "
                   f"and the nation {_f(off['seconds_to_reach_nation_after_return'], ' s', 1)} after it came back "
                   "(the province retries a configured follow every `reconcile_minutes`, 1 here).")
    prop = sim.get("propagation")
    if prop:
        out.append(f"- Propagation of {prop['edits']} edits (4 updates : 1 delete, at random nodes): {prop['arrived']} "
                   f"arrived; p50 {_f(prop['p50_s'], ' s')}, p95 {_f(prop['p95_s'], ' s')}, p99 {_f(prop['p99_s'], ' s')}, "
                   f"max {_f(prop['max_s'], ' s')}.")
    check = sim.get("check")
    if check:
        out.append(f"- Check: union {check['union']:,}, national {check['national']:,}, rows {check['rows']:,} = distinct ids "
                   f"{check['distinct_ids']:,}; provenance rows {check['provenance_rows']:,}; deletes applied "
                   f"{check['deletes_applied']} of {check['deleted_at_nodes']}.")
    out.append("")
    return out
