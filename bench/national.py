"""The national simulation: municipal nodes, 12 provincial aggregators and a national one on loopback,
in a handful of processes (bench/sim_host.py), with faults; and the backfill figure on the same nodes.

Phases, each a figure in bench/results.json:

1. backfill: one aggregator follows every municipal node and pulls everything (~200k objects).
2. cold convergence: the provinces follow their municipalities, the nation follows the provinces; one
   municipal node is offline from the start, and one province is killed (abruptly, in-process) when the
   nation holds 40% and restarted 3 s later. Converged: the nation holds every object of every online
   node.
3. the offline node: a simulated hour passes (every clock moves on, in two steps of 30 minutes, so no
   signature falls outside the 1 h window), the node comes up; its province's retried Follow reaches
   it, and its offering reaches the nation.
4. propagation: updates and deletes at random municipal nodes, paced; the time until the nation has
   each (p50, p95, p99).
5. the check: the nation's live objects are exactly the union of the municipal nodes' own live
   objects, each stored once with its provenance, and every deleted object is a Tombstone there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

from bench.common import VAR, Child, percentile
from bench.sim_data import (
    BACKFILL_URL,
    NATIONAL_URL,
    SCALES,
    Municipal,
    cache_dir,
    copy_to,
    ensure_cache,
    municipalities,
    province_url,
)

MUNICIPAL_HOSTS = 2
BACKFILL_CAP_SECONDS = 150.0
PROVINCE_HOSTS = 2


async def _host(name: str, plan: list[dict[str, Any]], run: Path) -> Child:
    path = run / f"plan-{name}.json"
    path.write_text(json.dumps(plan))
    child = await Child.start(name, "bench.sim_host", str(path))
    event = await asyncio.wait_for(child.events.get(), 120)
    assert event.get("event") == "ready", event
    return child


async def _wait(probe: Any, timeout: float, every: float = 0.5) -> float:
    started = time.perf_counter()
    while True:
        if await probe():
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise TimeoutError("gave up waiting")
        await asyncio.sleep(every)


async def _total_counts(hosts: list[Child]) -> int:
    total = 0
    for host in hosts:
        for live, _ in (await host.call("counts", remote=True)).values():
            total += live
    return total


async def _stats(hosts: list[Child]) -> dict[str, Any]:
    return {host.name: await host.call("stats") for host in hosts}


def _sum_counts(stats: dict[str, Any]) -> dict[str, int]:
    total: dict[str, int] = {}
    for value in stats.values():
        for key, n in value["counts"].items():
            total[key] = total.get(key, 0) + n
    return total


async def run(scale: str, log: Any) -> dict[str, Any]:
    spec = SCALES[scale]
    nodes = municipalities(spec)
    results: dict[str, Any] = {"scale": scale, "municipal_nodes": len(nodes)}
    log(f"national simulation ({scale}): {len(nodes)} municipal nodes; generating or reusing cached offering")
    cache = cache_dir(spec)
    results["data"] = ensure_cache(spec, nodes, cache)
    log(f"  data: {results['data']}")
    run_dir = VAR / "bench-run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    copy_to(cache, nodes, run_dir)

    def entry(m: Municipal) -> dict[str, Any]:
        return {"name": m.code, "base_url": m.base_url, "data_dir": str(run_dir / m.code)}

    municipal_hosts = [
        await _host(f"municipal-{i}", [entry(m) for m in nodes[i::MUNICIPAL_HOSTS]], run_dir)
        for i in range(MUNICIPAL_HOSTS)
    ]
    host_of_node = {m.code: municipal_hosts[i % MUNICIPAL_HOSTS] for i, m in enumerate(nodes)}
    everything: list[Child] = list(municipal_hosts)
    try:
        # The offline node stays down from the start (phase 3 brings it up).
        offline = nodes[len(nodes) // 2]
        online = [m for m in nodes if m is not offline]
        for i, host in enumerate(municipal_hosts):
            await host.call("start", names=[m.code for m in nodes[i::MUNICIPAL_HOSTS] if m is not offline])
        own_ids = set()
        for host in municipal_hosts:
            own_ids |= set(await host.call("ids", remote=False))
        results["objects"] = len(own_ids)
        log(f"  {len(nodes) - 1} municipal nodes up, {len(own_ids)} objects")

        # 1. backfill: one aggregator pulls every online node.
        backfill = await _host("backfill", [{"name": "backfill", "base_url": BACKFILL_URL, "role": "aggregator",
                                             "data_dir": str(run_dir / "backfill"),
                                             "follow": [m.base_url + "/" for m in online]}], run_dir)
        await backfill.call("start")
        wanted = len(own_ids)
        # Capped, so that `make bench` keeps to its 30 minutes: past the cap the figure is the rate
        # measured so far, extrapolated (and marked so).
        begun = time.perf_counter()
        while True:
            have = (await backfill.call("counts", names=["backfill"]))["backfill"][0]
            seconds = time.perf_counter() - begun
            if have >= wanted or seconds > BACKFILL_CAP_SECONDS:
                break
            await asyncio.sleep(1.0)
        stats = await backfill.call("stats")
        rate = have / seconds
        results["backfill"] = {"seconds": seconds if have >= wanted else wanted / rate, "objects": wanted,
                               "pulled": have, "measured_seconds": seconds, "complete": have >= wanted,
                               "objects_per_second": rate,
                               "aggregator_rss_mb": stats["rss_mb"], "aggregator_cpu_s": stats["cpu_s"]}
        log(f"  backfill: {results['backfill']}")
        await backfill.call("shutdown")
        await backfill.stop()

        # 2. cold convergence with a province killed and restarted.
        for host in municipal_hosts:
            await host.call("reset_counts")
        provinces = sorted({m.province for m in nodes})
        province_plan = [
            {"name": code, "base_url": province_url(i), "role": "aggregator", "reconcile_minutes": 1,
             "data_dir": str(run_dir / code), "follow": [m.base_url + "/" for m in nodes if m.province == code]}
            for i, code in enumerate(provinces)
        ]
        province_hosts = [await _host(f"provinces-{i}", province_plan[i::PROVINCE_HOSTS], run_dir)
                          for i in range(PROVINCE_HOSTS)]
        host_of_province = {p["name"]: province_hosts[i % PROVINCE_HOSTS] for i, p in enumerate(province_plan)}
        national = await _host("national", [{"name": "national", "base_url": NATIONAL_URL, "role": "aggregator",
                                             "reconcile_minutes": 1, "data_dir": str(run_dir / "national"),
                                             "follow": [p["base_url"] + "/" for p in province_plan]}], run_dir)
        everything += [*province_hosts, national]
        online_wanted = set()
        for host in municipal_hosts:
            online_wanted |= set(await host.call("ids", remote=False))
        started = time.perf_counter()
        for host in province_hosts:
            await host.call("start")
        await national.call("start")
        victim = next(p for p in provinces if p != offline.province)
        killed_at = None

        async def national_count() -> int:
            return (await national.call("counts", names=["national"]))["national"][0]

        progress: list[tuple[float, int]] = []
        while True:
            have = await national_count()
            progress.append((time.perf_counter() - started, have))
            if killed_at is None and have >= 0.4 * len(online_wanted):
                killed_at = time.perf_counter() - started
                await host_of_province[victim].call("stop", name=victim, abrupt=True)
                log(f"  killed province {victim} at {killed_at:.1f} s ({have} objects at the nation)")
                await asyncio.sleep(3)
                await host_of_province[victim].call("start", names=[victim])
                log("  restarted it")
            if have >= len(online_wanted):
                break
            if time.perf_counter() - started > 3600:
                raise TimeoutError(f"no convergence: {have} of {len(online_wanted)}")
            await asyncio.sleep(1.0)
        converged = time.perf_counter() - started
        stats = await _stats(everything)
        counted = _sum_counts(stats)
        results["convergence"] = {
            "seconds": converged, "objects": len(online_wanted), "province_killed": victim,
            "killed_at_seconds": killed_at, "progress": progress[:: max(1, len(progress) // 40)],
            "requests": counted.get("requests", 0), "bytes": counted.get("bytes_in", 0) + counted.get("bytes_out", 0),
            "requests_per_object": counted.get("requests", 0) / len(online_wanted),
            "bytes_per_object": (counted.get("bytes_in", 0) + counted.get("bytes_out", 0)) / len(online_wanted),
            "requests_by_kind": {k: v for k, v in counted.items() if k.startswith("requests ")},
            "memory": {name: {"rss_mb": s["rss_mb"], "nodes": s["nodes"],
                              "rss_mb_per_node": s["rss_mb"] / max(1, s["nodes"]),
                              "db_mb": s["db_bytes"] / 1e6, "cpu_s": s["cpu_s"]} for name, s in stats.items()},
        }
        log(f"  cold convergence: {converged:.1f} s for {len(online_wanted)} objects")

        # 3. the offline node comes back after a simulated hour.
        for _ in range(2):
            for host in everything:
                await host.call("advance", seconds=1800)
        await host_of_node[offline.code].call("start", names=[offline.code])
        came_back = time.perf_counter()
        all_ids = set(online_wanted) | set(await host_of_node[offline.code].call("ids", names=[offline.code]))
        returned = len(all_ids) - len(online_wanted)
        province = host_of_province[offline.province]
        # Split in two: until its province holds it (the province's retried Follow, the backfill), then
        # until the nation does (the province's Announce of the node, the nation's read of its outbox).
        at_province = await _wait(lambda: _remote_from(province, offline.province, offline.base_url, returned),
                                  1800, 0.5)
        await _wait(lambda: _national_has(national, len(all_ids)), 1800, 0.5)
        results["offline_node"] = {"node": offline.code, "objects": returned,
                                   "simulated_offline_seconds": 3600,
                                   "seconds_to_reach_province_after_return": at_province,
                                   "seconds_to_reach_nation_after_return": time.perf_counter() - came_back}
        log(f"  offline node: {results['offline_node']}")

        # 4. propagation: updates and deletes, paced.
        rng = random.Random(11)
        edits = 40 if scale == "small" else 200
        deletes = edits // 4
        watched: list[dict[str, Any]] = []
        watchers = []
        for i in range(edits + deletes):
            m = rng.choice(nodes)
            done = await host_of_node[m.code].call("edit", name=m.code, count=1,
                                                   verb="delete" if i % 5 == 4 else "update")
            watched.extend(done)
            watchers.append(asyncio.create_task(national.call("watch", name="national", items=done, timeout=120)))
            await asyncio.sleep(0.1)
        seen = [item for group in await asyncio.gather(*watchers) for item in group]
        made = {item["id"]: item["t"] for item in watched}
        latencies = [s["t_seen"] - made[s["id"]] for s in seen]
        results["propagation"] = {
            "edits": len(watched), "arrived": len(seen), "p50_s": percentile(latencies, 50),
            "p95_s": percentile(latencies, 95), "p99_s": percentile(latencies, 99),
            "max_s": max(latencies) if latencies else None,
        }
        log(f"  propagation: {results['propagation']}")

        # 5. the national view is the union: nothing lost, nothing duplicated, every delete applied.
        await asyncio.sleep(2)
        union: set[str] = set()
        deleted: set[str] = set()
        for host in municipal_hosts:
            union |= set(await host.call("ids", remote=False))
            deleted |= set(await host.call("ids", remote=False, deleted=True))
        national_live = set(await national.call("ids", names=["national"], remote=True))
        national_deleted = set(await national.call("ids", names=["national"], remote=True, deleted=True))
        duplicates = await national.call("duplicates", name="national")
        results["check"] = {
            "union": len(union), "national": len(national_live),
            "missing": len(union - national_live), "extra": len(national_live - union),
            "deleted_at_nodes": len(deleted), "deletes_applied": len(deleted & national_deleted),
            "deletes_missing": len(deleted - national_deleted), **duplicates,
            "passed": union == national_live and deleted <= national_deleted
            and duplicates["rows"] == duplicates["distinct_ids"]
            and duplicates["provenance_rows"] == duplicates["provenance_ids"]
            and duplicates["without_provenance"] == 0,
        }
        log(f"  check: {results['check']}")
        results["national_base_url"] = NATIONAL_URL
        results["hosts"] = everything
        return results
    except BaseException:
        for host in everything:
            host.kill()
        raise


async def _remote_from(host: Child, name: str, base_url: str, wanted: int) -> bool:
    return bool(await host.call("live_from", name=name, prefix=base_url + "/") >= wanted)


async def _national_has(national: Child, wanted: int) -> bool:
    live, _ = (await national.call("counts", names=["national"]))["national"]
    return bool(live >= wanted)


async def close(results: dict[str, Any]) -> None:
    for host in results.pop("hosts", []):
        with contextlib.suppress(RuntimeError, TimeoutError):
            await host.call("shutdown", timeout=60)
        await host.stop()
