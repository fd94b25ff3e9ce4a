"""The pages of issue 10 under load: a search page against /api/search JSON for the same query (target:
page p95 at most 1.5x the API's, at 50 connections), and the search page's weight in a real browser
without map tiles (target: at most 100 KB), with no request to any third party but the tiles.

The node is a real `sportnode serve` process holding a municipality's offering (~600 objects, the national
simulation's first municipality). The load generator is wrk (Debian's, installed by `make bench`) with
bench/wrk/paths.lua, so the generator is not the bottleneck; without wrk the Python generator runs and the
result says so.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import ROOT, VAR, free_port
from bench.scenarios import Log, _first_answer, _loadgen, _prepare_node, _spawn, _sportnode, _stop

CONNECTIONS = 50
SECONDS = 10
WRK_LUA = ROOT / "bench" / "wrk" / "paths.lua"
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def search_queries(count: int, municipality: str) -> list[str]:
    """Query strings a resident's form makes: a sport, a day, an age, a target group, in combinations."""
    rng = random.Random(10)
    sports = ["voetbal", "zwemmen", "tennis", "fitness", "yoga", "walking-football", "balsport", "dans"]
    days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
    groups = ["senioren", "jeugd", "volwassenen"]
    shapes = [
        lambda: f"sport={rng.choice(sports)}",
        lambda: f"day={rng.choice(days)}&age={rng.randrange(6, 80)}",
        lambda: f"targetGroup={rng.choice(groups)}&municipality={municipality}",
        lambda: f"q={rng.choice(['zwemmen', 'voetbal', 'bewegen', 'senioren'])}",
        lambda: f"sport={rng.choice(sports)}&day={rng.choice(days)}&free=true",
        lambda: "",
    ]
    return [rng.choice(shapes)() for _ in range(count)]


async def _wrk(base_url: str, paths: list[str], accept: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(paths) + "\n")
    process = await asyncio.create_subprocess_exec(
        "wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "-s", str(WRK_LUA), base_url, "--",
        listing.name, accept, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    Path(listing.name).unlink()
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    result["rate"] = result["requests"] / result["seconds"]
    result["generator"] = "wrk"
    return result


async def _load(base_url: str, paths: list[str], accept: str) -> dict[str, Any]:
    if shutil.which("wrk"):
        return await _wrk(base_url, paths, accept)
    requests = [{"method": "GET", "url": base_url + p, "headers": {"Accept": accept}} for p in paths * 5]
    result = await _loadgen(requests, CONNECTIONS, 100, "pages")
    return {**result, "generator": "python (wrk not installed: the generator may be the bottleneck)"}


async def _weigh(browser: Any, url: str) -> dict[str, Any]:
    """One page load: bytes of every response from the node; requests elsewhere refused and listed."""
    from playwright.async_api import Request, Route

    from node.config import DEFAULT_TILE_URL

    own, tile_host = urlsplit(url).netloc, urlsplit(DEFAULT_TILE_URL).netloc
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []
    finished: list[Request] = []

    async def refuse_others(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort()

    await page.route("**/*", refuse_others)
    page.on("requestfinished", lambda request: finished.append(request))
    await page.goto(url, wait_until="networkidle")
    sizes = [await r.sizes() for r in finished]
    await page.close()
    tiles = [u for u in elsewhere if urlsplit(u).netloc == tile_host]
    return {"bytes": sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes), "requests": len(finished),
            "tile_requests": len(tiles), "other_third_party": sorted(set(elsewhere) - set(tiles))}


async def page_weight(url: str) -> dict[str, Any]:
    """The search page's weight in Chromium, list view and map view, without tiles."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            return {"list": await _weigh(browser, url), "map": await _weigh(browser, url + "&weergave=kaart")}
        finally:
            await browser.close()


def _let_all_in(config: Path) -> None:
    """The node takes all CONNECTIONS at once: the bench measures what a request costs, not the line in front
    of a full class of the request limits (search_concurrency is 4 by default, docs/operator.md "Limits");
    wrk on loopback sends no X-Forwarded-For, so the per-client rates do not apply."""
    text = config.read_text()
    assert "[limits]\n" in text, "the node's config has no [limits] section"
    config.write_text(text.replace(
        "[limits]\n", f"[limits]\nsearch_concurrency = {CONNECTIONS}\npage_concurrency = {CONNECTIONS}\n", 1))


async def run(log: Log) -> dict[str, Any]:
    from bench.sim_data import SCALES, cache_dir, ensure_cache, municipalities

    spec = SCALES["full"]
    first = municipalities(spec)[0]
    cache = cache_dir(spec)
    ensure_cache(spec, [first], cache, workers=1)
    port = free_port()
    config = await _prepare_node(VAR / "bench-pages", "Sportnode pages", port, cache / first.code / "sportnode.sqlite3")
    _let_all_in(config)
    process = await _spawn(_sportnode(), "serve", "--config", str(config))
    base = f"http://127.0.0.1:{port}"
    try:
        await _first_answer(f"{base}/.well-known/nodeinfo", process)
        queries = search_queries(200, first.code)
        api = await _load(base, [f"/api/search?{q}" for q in queries], "application/json")
        pages = await _load(base, [f"/zoeken?{q}" for q in queries], HTML_ACCEPT)
        weight = (await page_weight(f"{base}/zoeken?sport=balsport&municipality={first.code}")
                  if Path(CHROMIUM).exists() else {})
    finally:
        await _stop(process)
    result = {"api": api, "page": pages, "p95_ratio": pages["p95_ms"] / api["p95_ms"], "weight": weight,
              "objects_node": first.code,
              # Any refusal (429/503) or error makes the latencies those of refusals: the figures then say nothing.
              "all_answered": not any(r.get("non_2xx") or r.get("errors") for r in (api, pages))}
    log(f"  pages: {result}")
    return result
