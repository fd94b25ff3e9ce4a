"""One process of the national simulation: serves many real nodes, each with its own SQLite file,
address and delivery worker, and answers the driver's commands (JSON lines on stdin/stdout).

    python -m bench.sim_host PLAN.json

The plan lists the nodes: name, base_url (each node has its own loopback address, 127.x.y.z),
data_dir, role, follow. Everything between nodes is real HTTP with real signatures and the real
delivery queue; the commands only start and stop nodes, move the clock, make edits through the
publishing services, and read the databases to see what arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bench.common import cpu_seconds, emit, rss_mb, serve_commands
from node.config import Config
from node.federation import sync
from node.services import publishing
from node.services.node import Node, OffsetClock, open_node
from node.services.reading import ensure_node_key
from node.web.app import create_app
from node.web.appkeys import DELIVERY


@dataclass
class Hosted:
    config: Config
    node: Node | None = None
    runner: web.AppRunner | None = None
    counts: Counter[str] = field(default_factory=Counter)


class Host:
    def __init__(self, plan: list[dict[str, Any]]) -> None:
        self.clock = OffsetClock()
        self.nodes: dict[str, Hosted] = {}
        for entry in plan:
            self.nodes[entry["name"]] = Hosted(Config(
                name=entry["name"], base_url=entry["base_url"], data_dir=Path(entry["data_dir"]), development=True,
                host=urlsplit(entry["base_url"]).hostname or "127.0.0.1", port=urlsplit(entry["base_url"]).port or 80,
                role=entry.get("role", "node"), follow=tuple(entry.get("follow", ())),
                # Aggregators fetch what the aggregators they follow announce from the nodes (127.x.y.z).
                trust=("*",) if entry.get("role") == "aggregator" else (),
                reconcile_minutes=entry.get("reconcile_minutes", 15),
            ))
        self.rng = random.Random(7)

    def _counter(self, hosted: Hosted) -> Any:
        @web.middleware
        async def count(request: web.Request, handler: Any) -> web.StreamResponse:
            response = await handler(request)
            part = request.path.strip("/").split("/", 1)[0] or "actor"
            key = f"{request.method} {part}"
            hosted.counts[f"requests {key}"] += 1
            hosted.counts["requests"] += 1
            hosted.counts["bytes_in"] += request.content_length or 0
            body = getattr(response, "body", None)
            size = len(body) if isinstance(body, bytes | bytearray) else (response.content_length or 0)
            hosted.counts[f"bytes_out {key}"] += size
            hosted.counts["bytes_out"] += size
            return response

        return count

    async def _start(self, name: str) -> None:
        hosted = self.nodes[name]
        if hosted.runner is not None:
            return
        hosted.node = await open_node(hosted.config, self.clock)
        await ensure_node_key(hosted.node)
        app = create_app(hosted.node)
        app.middlewares.append(self._counter(hosted))
        hosted.runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0, access_log=None)
        await hosted.runner.setup()
        await web.TCPSite(hosted.runner, hosted.config.host, hosted.config.port, reuse_address=True).start()

    async def start(self, names: list[str] | None = None) -> int:
        wanted = names or list(self.nodes)
        started = time.perf_counter()
        for i in range(0, len(wanted), 16):
            await asyncio.gather(*(self._start(n) for n in wanted[i:i + 16]))
        return round((time.perf_counter() - started) * 1000)

    async def stop(self, name: str, abrupt: bool = False) -> bool:
        """Stop a node: `abrupt` like a crash (in-flight work is cancelled, open transactions roll back,
        nothing is flushed), else a clean shutdown."""
        hosted = self.nodes[name]
        runner, node = hosted.runner, hosted.node
        hosted.runner = hosted.node = None
        if runner is None or node is None:
            return False
        if abrupt:
            worker = runner.app.get(DELIVERY)
            for task in list(node.background):
                task.cancel()
            if worker is not None:
                for task in list(worker._in_flight.values()):  # a crash cuts them off
                    task.cancel()
            runner._shutdown_timeout = 0.0
        await runner.cleanup()
        await node.close()
        return True

    async def advance(self, seconds: float) -> str:
        self.clock.advance(timedelta(seconds=seconds))
        for hosted in self.nodes.values():
            if hosted.runner is not None:
                worker = hosted.runner.app.get(DELIVERY)
                if worker is not None:
                    worker.wake()
        return self.clock().isoformat()

    def _node(self, name: str) -> Node:
        node = self.nodes[name].node
        if node is None:
            raise RuntimeError(f"{name} is not running")
        return node

    async def _query(self, name: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        async with self._node(name).db.read() as db, db.execute(sql, args) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def counts(self, names: list[str] | None = None, remote: bool = True) -> dict[str, list[int]]:
        where = "origin IS NOT NULL" if remote else "origin IS NULL"
        found: dict[str, list[int]] = {}
        for name in names or list(self.nodes):
            if self.nodes[name].node is None:
                continue
            if remote:
                # Both counts read an index only (objects_by_origin, objects_live_remote): the driver
                # polls an aggregator of 200k objects every second, which must not cost it a table scan.
                rows = await self._query(name, "SELECT (SELECT count(*) FROM objects WHERE origin IS NOT NULL "
                                               "AND deleted IS NULL), (SELECT count(*) FROM objects WHERE "
                                               "origin IS NOT NULL)")
                found[name] = [int(rows[0][0]), int(rows[0][1]) - int(rows[0][0])]
                continue
            rows = await self._query(name, f"SELECT count(*) FILTER (WHERE deleted IS NULL), "
                                           f"count(*) FILTER (WHERE deleted IS NOT NULL) FROM objects WHERE {where}")
            found[name] = [int(rows[0][0]), int(rows[0][1])]
        return found

    async def live_from(self, name: str, prefix: str) -> int:
        """How many live objects of the host at `prefix` (scheme://host/) node `name` holds."""
        rows = await self._query(name, "SELECT count(*) FROM objects WHERE origin IS NOT NULL AND deleted IS NULL "
                                       "AND substr(id, 1, length(?)) = ?", prefix, prefix)
        return int(rows[0][0])

    async def ids(self, names: list[str] | None = None, remote: bool = False, deleted: bool = False) -> list[str]:
        where = ("origin IS NOT NULL" if remote else "origin IS NULL") + (
            " AND deleted IS NOT NULL" if deleted else " AND deleted IS NULL")
        out: list[str] = []
        for name in names or [n for n, h in self.nodes.items() if h.node is not None]:
            out.extend(row[0] for row in await self._query(name, f"SELECT id FROM objects WHERE {where}"))
        return out

    async def duplicates(self, name: str) -> dict[str, int]:
        """Rows per id and provenance rows per id at an aggregator: each must be exactly one."""
        rows = await self._query(name, "SELECT count(*), count(DISTINCT id) FROM objects")
        prov = await self._query(name, "SELECT count(*), count(DISTINCT object_id) FROM provenance")
        orphans = await self._query(name, "SELECT count(*) FROM objects o WHERE origin IS NOT NULL AND NOT EXISTS "
                                          "(SELECT 1 FROM provenance p WHERE p.object_id = o.id)")
        return {"rows": rows[0][0], "distinct_ids": rows[0][1], "provenance_rows": prov[0][0],
                "provenance_ids": prov[0][1], "without_provenance": orphans[0][0]}

    async def edit(self, name: str, count: int = 1, verb: str = "update") -> list[dict[str, Any]]:
        """Edits through the publishing services, as an organisation's API call makes them: `update`
        renames and reschedules live activities, `delete` deletes them. Returns what changed and when."""
        node = self._node(name)
        rows = await self._query(name, "SELECT id, owner, document FROM objects WHERE kind = 'activity' AND "
                                       "origin IS NULL AND deleted IS NULL")
        picked = self.rng.sample(rows, min(count, len(rows)))
        done: list[dict[str, Any]] = []
        for object_id, owner, text in picked:
            document = json.loads(text)
            key = object_id.rsplit("/", 1)[1]
            if verb == "delete":
                await publishing.delete(node, owner, "activity", key)
                done.append({"id": object_id, "until": "deleted", "t": time.time()})
                continue
            location = document["location"]
            place = location["id"] if isinstance(location, dict) else location
            data = {"name": f"{document['name']} (gewijzigd {self.rng.randrange(10**6)})",
                    "sport": str(document["sport"]).rsplit("#", 1)[1], "place": place,
                    "schedule": {"days": [self.rng.choice(["monday", "wednesday", "friday"])],
                                 "startTime": "19:00", "endTime": "20:30"},
                    "price": self.rng.choice([0, 2.5, 5])}
            stored = await publishing.replace(node, owner, "activity", key, data)
            done.append({"id": object_id, "until": stored.updated, "name": stored.document["name"], "t": time.time()})
        return done

    async def watch(self, name: str, items: list[dict[str, Any]], timeout: float = 120.0) -> list[dict[str, Any]]:
        """Poll the node's database every 10 ms until each item is there (the named version, or its
        Tombstone); returns the moment each was first seen."""
        pending = {item["id"]: item for item in items}
        seen: list[dict[str, Any]] = []
        deadline = time.time() + timeout
        while pending and time.time() < deadline:
            marks = ", ".join("?" for _ in pending)
            rows = await self._query(name, f"SELECT id, document, deleted FROM objects WHERE id IN ({marks})",
                                     *pending)
            now = time.time()
            for object_id, text, deleted in rows:
                item = pending[object_id]
                if item["until"] == "deleted":
                    ok = deleted is not None
                else:
                    ok = deleted is None and json.loads(text).get("name") == item.get("name")
                if ok:
                    seen.append({"id": object_id, "t_seen": now})
                    del pending[object_id]
            await asyncio.sleep(0.01)
        return seen

    async def queue(self, names: list[str] | None = None) -> dict[str, int]:
        found: dict[str, int] = {}
        for name in names or list(self.nodes):
            if self.nodes[name].node is not None:
                found[name] = (await self._query(name, "SELECT count(*) FROM deliveries"))[0][0]
        return found

    async def reconcile(self, name: str) -> int:
        return await sync.reconcile_all(self._node(name))

    async def stats(self) -> dict[str, Any]:
        total: Counter[str] = Counter()
        for hosted in self.nodes.values():
            total.update(hosted.counts)
        sizes = 0
        for hosted in self.nodes.values():
            for suffix in ("", "-wal"):
                with contextlib.suppress(OSError):
                    sizes += Path(str(hosted.config.db_path) + suffix).stat().st_size
        running = sum(1 for h in self.nodes.values() if h.runner is not None)
        return {"rss_mb": rss_mb(), "cpu_s": cpu_seconds(), "nodes": running, "db_bytes": sizes, "counts": dict(total)}

    async def reset_counts(self) -> bool:
        for hosted in self.nodes.values():
            hosted.counts.clear()
        return True

    async def shutdown(self) -> bool:
        for name in list(self.nodes):
            await self.stop(name)
        return True


async def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s: %(message)s")
    plan = json.loads(Path(sys.argv[1]).read_text())
    host = Host(plan)
    handlers = {name: getattr(host, name) for name in (
        "start", "stop", "advance", "counts", "live_from", "ids", "duplicates", "edit", "watch", "queue", "reconcile", "stats",
        "reset_counts", "shutdown")}
    emit({"event": "ready"})
    try:
        await serve_commands(handlers)
    finally:
        await host.shutdown()


def profiled() -> None:
    """With BENCH_PROFILE=FOLDER, the host runs under pyinstrument and writes FOLDER/<plan>.txt."""
    folder = os.environ.get("BENCH_PROFILE")
    if not folder:
        asyncio.run(main())
        return
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="disabled")
    profiler.start()
    try:
        asyncio.run(main())
    finally:
        profiler.stop()
        out = Path(folder) / (Path(sys.argv[1]).stem + ".txt")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    profiled()
