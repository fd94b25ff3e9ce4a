"""docs/benchmarks.md from the raw results of one run (bench/run.py writes both)."""

from __future__ import annotations

from typing import Any

NOTES = """
## What bounds them (profiles: pyinstrument, `BENCH_PROFILE=DIR make bench SCALE=small` writes one per host)

- **Schema validation** was the largest single cost of every inbound object: jsonschema (pure Python,
  Draft 2020-12) took 1-2 ms for an activity. `node/protocol/validation.py` now asks jsonschema-rs
  (Rust, Draft 2020-12 with formats) first, ~15 us an activity (~100x); the Python validator runs only
  for an instance that fails, to name every field, so what is accepted and every error text is
  unchanged (the whole suite passes).
- **Re-publishing by aggregators** was one Announce per object, and each Announce made the next
  aggregator fetch the object from its origin: for the national view, ~205k signed POSTs plus ~205k
  signed GETs (RSA-2048 signing is ~1-2 ms each). An aggregator now announces what it backfills
  **as a whole**: one Announce of the node's actor when the backfill of that node is complete; the
  follower reads that node's outbox itself, in pages of 100, from the node's own host (the security
  rule holds: content only as its own host serves it). Live changes are still announced one by one.
  Requests per object propagated are in the table.
- **Storing a remote object** (backfill, origin sync) is now the bound: ~1.5-2.5 ms of CPU per object,
  about half mapping (`jsonld.compact_our_terms`, `inbound.event_to_activity`) and half SQL (`get_object`,
  `record_provenance`, `put_object`, each a thread hop through aiosqlite), one transaction per page of
  100. The backfill target (3,400 objects/s into one aggregator) needs batched SQL per page
  (`executemany`) and a cheaper mapping of our own documents; not done yet.
- **Inbox**: each Create is parsed, context-checked, schema-checked, signature-checked (RSA verify is
  cheap, ~50 us), mapped and stored in its own write transaction; aiohttp "hello" does none of this,
  so 0.5x hello is far off for any Python server that stores what it accepts (bovine-herd, measured
  in the same run, is slower still).
- **Fan-out**: 342 RSA-2048 signatures (one per inbox: the signature covers the host) and one write
  transaction per delivery result in the worker.
- **Start and memory**: importing rdflib, jsonschema, aiohttp, apscheduler and pyoxigraph, and reading
  the vocabulary and schemas, is most of the cold start and of the idle RSS.
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
