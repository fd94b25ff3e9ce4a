"""The single-node scenarios: idle memory and cold start, inbox rate (vs hello and bovine-herd),
fan-out, query latency. Each node under test is a real `sportnode serve` process or a real node with
its delivery worker; load generators run in their own processes (bench/loadgen.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.common import PYTHON, ROOT, VAR, Child, free_port, rss_mb

AS = "https://www.w3.org/ns/activitystreams"
SEC = "https://w3id.org/security/v1"
Log = Callable[[str], None]
SCHEDULE = {"schedule": {"days": ["tuesday"], "startTime": "10:00", "endTime": "11:00"}}


async def _spawn(*command: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(*command, cwd=cwd, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.DEVNULL, env={**os.environ, **(env or {})})


async def _first_answer(url: str, process: asyncio.subprocess.Process, timeout: float = 30.0) -> float:
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - started < timeout:
            if process.returncode is not None:
                raise RuntimeError(f"{url}: the server exited with {process.returncode}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(url) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            await asyncio.sleep(0.005)
    raise TimeoutError(url)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


def _sportnode() -> str:
    return str(Path(PYTHON).parent / "sportnode")


async def _prepare_node(folder: Path, name: str, port: int, seed_db: Path | None = None) -> Path:
    """A configured, initialised node (keys made) at 127.0.0.1:port; its config file."""
    from node.config import Config, render_config
    from node.services.node import open_node
    from node.services.reading import ensure_node_key

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    config = Config(name=name, base_url=f"http://127.0.0.1:{port}", data_dir=folder / "data", development=True,
                    port=port)
    if seed_db is not None:
        (folder / "data").mkdir()
        shutil.copyfile(seed_db, config.db_path)
    (folder / "sportnode.toml").write_text(render_config(config))
    node = await open_node(config)
    await ensure_node_key(node)
    await node.close()
    return folder / "sportnode.toml"


async def startup(log: Log) -> dict[str, Any]:
    """Cold start (process start to the first 200) and idle RSS: an empty node, a node holding a
    municipality's offering (~600 objects, from the simulation's cache when it is there), and a
    plain aiohttp hello server as the baseline."""
    from bench.sim_data import SCALES, cache_dir, ensure_cache, municipalities

    results: dict[str, Any] = {}
    spec = SCALES["full"]
    first = municipalities(spec)[0]
    # The simulation's first municipality (generated now when it is not cached; the simulation reuses it).
    cache = cache_dir(spec)
    ensure_cache(spec, [first], cache, workers=1)
    seeded = cache / first.code / "sportnode.sqlite3"
    cases: list[tuple[str, Path | None]] = [("empty node", None), ("node with ~600 objects", seeded)]
    for label, seed in cases:
        starts, rss = [], []
        for attempt in range(3):
            port = free_port()
            config = await _prepare_node(VAR / "bench-startup" / f"n{attempt}", "Sportnode startup", port, seed)
            process = await _spawn(_sportnode(), "serve", "--config", str(config))
            try:
                starts.append(await _first_answer(f"http://127.0.0.1:{port}/.well-known/nodeinfo", process))
                async with aiohttp.ClientSession() as session:
                    for path in ("/", "/activities", "/outbox?after=0", "/api/search?sport=voetbal"):
                        async with session.get(f"http://127.0.0.1:{port}{path}",
                                               headers={"Accept": "application/activity+json"}) as response:
                            await response.read()
                await asyncio.sleep(2.0)
                rss.append(rss_mb(process.pid))
            finally:
                await _stop(process)
        results[label] = {"cold_start_s": statistics.median(starts), "idle_rss_mb": statistics.median(rss),
                          "cold_starts_s": starts, "rss_mb": rss}
        log(f"  {label}: {results[label]}")
    starts, rss = [], []
    for _ in range(3):
        port = free_port()
        process = await _spawn(PYTHON, "-m", "bench.hello_server", str(port))
        try:
            starts.append(await _first_answer(f"http://127.0.0.1:{port}/", process))
            await asyncio.sleep(1.0)
            rss.append(rss_mb(process.pid))
        finally:
            await _stop(process)
    results["hello baseline"] = {"cold_start_s": statistics.median(starts), "idle_rss_mb": statistics.median(rss)}
    log(f"  hello: {results['hello baseline']}")
    return results


# --- inbox ---------------------------------------------------------------------------------------


class Sender:
    """A remote actor on loopback that signs Create activities (its actor document is served so the
    receiver can fetch the key once)."""

    def __init__(self) -> None:
        from node.services.keys import generate_key_pair

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.actor = f"{self.base}/actor"
        self.pair = generate_key_pair(self.actor)
        self.runner: web.AppRunner | None = None

    def document(self) -> dict[str, Any]:
        return {"@context": [AS, SEC], "id": self.actor, "type": "Application", "preferredUsername": "sender",
                "inbox": f"{self.base}/inbox", "outbox": f"{self.base}/outbox",
                "endpoints": {"sharedInbox": f"{self.base}/inbox"},
                "publicKey": {"id": f"{self.actor}#main-key", "owner": self.actor,
                              "publicKeyPem": self.pair.public_pem}}

    async def start(self) -> None:
        async def actor(request: web.Request) -> web.Response:
            return web.json_response(self.document(), content_type="application/activity+json")

        async def empty(request: web.Request) -> web.Response:
            return web.json_response({"@context": AS, "id": str(request.url), "type": "OrderedCollection",
                                      "totalItems": 0, "orderedItems": []}, content_type="application/activity+json")

        async def accept(request: web.Request) -> web.Response:
            return web.Response(status=202)

        app = web.Application()
        app.router.add_get("/actor", actor)
        app.router.add_get("/outbox", empty)
        app.router.add_post("/inbox", accept)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()

    def create(self, n: int) -> dict[str, Any]:
        place = {"id": f"{self.base}/places/p{n % 50}", "type": "Place", "name": f"Sporthal {n % 50}",
                 "attributedTo": self.actor, "published": "2026-01-05T09:00:00Z", "updated": "2026-01-05T09:00:00Z",
                 "address": {"type": "PostalAddress", "streetAddress": "Sportlaan 12", "postalCode": "3831 AB",
                             "addressLocality": "Leusden", "addressCountry": "NL"},
                 "latitude": 52.1321, "longitude": 5.4298}
        event = {"id": f"{self.base}/activities/a{n}", "type": "Event", "name": f"Walking football {n}",
                 "content": "<p>Rustig voetballen, zonder rennen.</p>", "attributedTo": self.actor,
                 "published": "2026-01-05T09:05:00Z", "updated": "2026-01-05T09:05:00Z",
                 "startTime": "2026-02-03T10:00:00+01:00", "endTime": "2026-02-03T11:00:00+01:00",
                 "location": place, "to": [f"{AS}#Public"]}
        return {"@context": [AS, SEC], "id": f"{self.base}/ap/create-{n}", "type": "Create", "actor": self.actor,
                "published": "2026-01-05T09:05:00Z", "object": event, "to": [f"{AS}#Public"]}

    def signed(self, url: str, n: int) -> dict[str, Any]:
        from node.protocol.signatures import sign_request

        body = json.dumps(self.create(n)).encode()
        headers = {"Content-Type": "application/activity+json"}
        headers.update(sign_request("POST", url, headers, body, f"{self.actor}#main-key", self.pair.private_pem,
                                    now=datetime.now(UTC),
                                    signed_headers=["(request-target)", "host", "date", "digest"]))
        return {"method": "POST", "url": url, "headers": headers, "body": body.decode()}


async def _loadgen(requests: list[dict[str, Any]], concurrency: int, warmup: int, name: str) -> dict[str, Any]:
    path = VAR / "bench-load" / f"{name}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in requests))
    process = await asyncio.create_subprocess_exec(
        PYTHON, "-m", "bench.loadgen", str(path), "--concurrency", str(concurrency), "--warmup", str(warmup),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def inbox(scale: str, log: Log) -> dict[str, Any]:
    from node.config import load_config
    from node.services.node import open_node
    from node.store import federation as store

    count = 3000 if scale == "full" else 600
    warmup = 50
    concurrency = 16
    sender = Sender()
    await sender.start()
    results: dict[str, Any] = {"activities": count, "concurrency": concurrency}
    try:
        port = free_port()
        config_path = await _prepare_node(VAR / "bench-inbox", "Sportnode inbox", port)
        config = load_config(config_path)
        node = await open_node(config)
        async with node.db.write() as db:  # the node follows the sender (content only from followed hosts)
            await store.put_following(db, sender.actor, f"{config.base_url}/ap/follow-sender", node.now())
            await store.set_following_state(db, f"{config.base_url}/ap/follow-sender", sender.actor, "accepted",
                                            node.now())
        await node.close()
        url = f"http://127.0.0.1:{port}/inbox"
        requests = [sender.signed(url, n) for n in range(count + warmup)]
        process = await _spawn(_sportnode(), "serve", "--config", str(config_path))
        try:
            await _first_answer(f"http://127.0.0.1:{port}/.well-known/nodeinfo", process)
            results["sportnode"] = await _loadgen(requests, concurrency, warmup, "inbox-sportnode")
            node = await open_node(config)
            async with node.db.read() as db, db.execute(
                    "SELECT count(*) FROM objects WHERE origin IS NOT NULL AND kind = 'activity'") as cursor:
                row = await cursor.fetchone()
            await node.close()
            results["sportnode"]["stored_activities"] = int(row[0]) if row else 0
        finally:
            await _stop(process)
        log(f"  sportnode: {results['sportnode']}")
        hello_port = free_port()
        process = await _spawn(PYTHON, "-m", "bench.hello_server", str(hello_port))
        try:
            await _first_answer(f"http://127.0.0.1:{hello_port}/", process)
            hello_url = f"http://127.0.0.1:{hello_port}/inbox"
            results["hello"] = await _loadgen([{**r, "url": hello_url} for r in requests], concurrency, warmup,
                                              "inbox-hello")
        finally:
            await _stop(process)
        log(f"  hello: {results['hello']}")
        results["ratio_to_hello"] = results["sportnode"]["rate"] / results["hello"]["rate"]
        results["bovine"] = await _bovine(sender, count, concurrency, warmup, log)
        if results["bovine"].get("rate"):
            results["ratio_to_bovine"] = results["sportnode"]["rate"] / results["bovine"]["rate"]
    finally:
        await sender.stop()
    return results


async def _bovine(sender: Sender, count: int, concurrency: int, warmup: int, log: Log) -> dict[str, Any]:
    """The same signed Creates into the inbox of a real bovine-herd (tests/bovine_peer.py)."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from bovine_peer import BovinePeer
    except ImportError as error:
        return {"skipped": str(error)}
    workdir = VAR / "bench-bovine"
    shutil.rmtree(workdir, ignore_errors=True)
    try:
        async with BovinePeer(workdir) as peer:
            requests = [sender.signed(peer.inbox, n) for n in range(count + warmup)]
            result = await _loadgen(requests, concurrency, warmup, "inbox-bovine")
    except Exception as error:  # bovine is a peer for comparison: its failure must not end the run
        log(f"  bovine: skipped ({error})")
        return {"skipped": f"{type(error).__name__}: {error}"[:500]}
    log(f"  bovine: {result}")
    return result


# --- fan-out -------------------------------------------------------------------------------------


async def fanout(scale: str, log: Log) -> dict[str, Any]:
    """One Update delivered to 342 follower inboxes (each its own loopback address, each checking the
    signature), from a real node with its delivery worker; the baseline is the same 342 POSTs sent
    unsigned, straight from one aiohttp client, to the same servers."""
    from bench.followers import address
    from node.config import Config
    from node.services import publishing
    from node.services.node import open_node
    from node.services.organisations import create_organisation
    from node.services.reading import ensure_node_key
    from node.store import federation as store
    from node.web.app import create_app

    followers = 342
    port = free_port()
    folder = VAR / "bench-fanout"
    shutil.rmtree(folder, ignore_errors=True)
    config = Config(name="Sportnode fan-out", base_url=f"http://127.0.0.1:{port}", data_dir=folder, development=True,
                    port=port)
    node = await open_node(config)
    pair = await ensure_node_key(node)
    organisation = await create_organisation(node, {"name": "Sportclub Fan-out", "isClub": True})
    owner = organisation.object.id
    place = await publishing.create(node, owner, "place", {
        "name": "Sporthal Zuid", "address": {"streetAddress": "Sportlaan 12", "postalCode": "3811 AB",
                                             "addressLocality": "Amersfoort"},
        "latitude": 52.1486, "longitude": 5.3878, "municipalityCode": "GM0307"})
    activity = await publishing.create(node, owner, "activity", {"name": "Walking football", "sport": "walking-football",
                                                                 "place": place.id, **SCHEDULE})
    key_file = folder / "node-key.pem"
    org_key = None
    from node.store.access import get_key

    async with node.db.read() as db:
        org_key = await get_key(db, owner)
    assert org_key is not None
    key_file.write_text(org_key.public_pem)
    del pair
    inbox_port = free_port()
    child = await Child.start("followers", "bench.followers", str(followers), str(inbox_port), str(key_file))
    await asyncio.wait_for(child.events.get(), 120)
    inboxes = [f"http://{address(i)}:{inbox_port}/inbox" for i in range(followers)]
    async with node.db.write() as db:
        for i, inbox_url in enumerate(inboxes):
            actor = f"http://{address(i)}:{inbox_port}/actor"
            await store.add_follower(db, node.config.node_id, actor, f"{actor}#follow", inbox_url, node.now())
    runner = web.AppRunner(create_app(node), handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    runs: list[float] = []
    try:
        for attempt in range(4):
            started = time.time()
            await publishing.replace(node, owner, "activity", activity.id.rsplit("/", 1)[1],
                                     {"name": f"Walking football {attempt}", "sport": "walking-football",
                                      "place": place.id, **SCHEDULE})
            deadline = started + 60
            while time.time() < deadline:
                report = await child.call("report", since=started)
                if report["inboxes"] >= followers:
                    break
                await asyncio.sleep(0.02)
            runs.append((report["last"] or deadline) - started)
            if report["invalid"]:
                raise RuntimeError(f"{report['invalid']} deliveries had a bad signature")
            await asyncio.sleep(0.5)
        # The baseline: the same number of POSTs, unsigned, straight from one client.
        body = json.dumps({"type": "Update"}).encode()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32)) as session:
            semaphore = asyncio.Semaphore(32)

            async def post(url: str) -> None:
                async with semaphore, session.post(url, data=body) as response:
                    await response.read()

            bare: list[float] = []
            for _ in range(3):
                begun = time.perf_counter()
                await asyncio.gather(*(post(u) for u in inboxes))
                bare.append(time.perf_counter() - begun)
    finally:
        await runner.cleanup()
        await node.close()
        await child.stop()
    # The first run opens 342 connections; the later ones reuse them (as a running node does).
    result = {"followers": followers, "seconds": statistics.median(runs[1:]), "first_seconds": runs[0],
              "runs": runs, "baseline_unsigned_posts_seconds": statistics.median(bare)}
    log(f"  fan-out: {result}")
    return result


# --- query ---------------------------------------------------------------------------------------


def query_requests(base_url: str, count: int) -> list[dict[str, Any]]:
    from node.services.area_index import load_area_index

    rng = random.Random(5)
    sports = ["voetbal", "zwemmen", "tennis", "fitness", "yoga", "walking-football", "hockey", "judo", "dans",
              "wandelen", "gymnastiek", "basketbal"]
    codes = sorted(load_area_index().municipalities)
    days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    shapes = [
        lambda: f"sport={rng.choice(sports)}",
        lambda: f"municipality={rng.choice(codes)}",
        lambda: f"sport={rng.choice(sports)}&municipality={rng.choice(codes)}",
        lambda: f"day={rng.choice(days)}&free=true",
        lambda: f"age={rng.randrange(6, 80)}&sport={rng.choice(sports)}",
        lambda: f"q={rng.choice(['zwemmen', 'voetbal', 'senioren', 'jeugd', 'bewegen'])}",
        lambda: f"lat={52 + rng.random():.4f}&lon={4.5 + rng.random() * 2:.4f}&km=5",
        lambda: f"type=activity&day={rng.choice(days)}&municipality={rng.choice(codes)}",
    ]
    return [{"method": "GET", "url": f"{base_url}/api/search?{rng.choice(shapes)()}"} for _ in range(count)]


async def query(base_url: str, objects: int, log: Log) -> dict[str, Any]:
    """Filtered searches at 50 concurrent clients against the national aggregator (all objects);
    the baseline: a plain aiohttp hello at the same concurrency."""
    requests = query_requests(base_url, 3000)
    result = await _loadgen(requests, 50, 100, "query-sportnode")
    hello_port = free_port()
    process = await _spawn(PYTHON, "-m", "bench.hello_server", str(hello_port))
    try:
        await _first_answer(f"http://127.0.0.1:{hello_port}/", process)
        hello = await _loadgen([{**r, "url": f"http://127.0.0.1:{hello_port}/"} for r in requests], 50, 100,
                               "query-hello")
    finally:
        await _stop(process)
    out = {"objects": objects, "sportnode": result, "hello": hello}
    log(f"  query: {out}")
    return out
