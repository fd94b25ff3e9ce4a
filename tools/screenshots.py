"""Screenshots of every page type, on a phone (375 px) and a desktop (1280 px), from the demo federation.

    .venv/bin/python tools/screenshots.py [--port 8180] [--out docs/screenshots]

Starts `sportnode demo --federation` on its own ports and data folder (var/screenshots-demo), waits until
the national aggregator holds the region's offering, and photographs each page type with the system
Chromium (Playwright; map tiles are refused, so maps show their markers on a blank background).
docs/web.md shows the results.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SIZES = {"phone": (375, 812), "desktop": (1280, 900)}
NATIONAL_OFFSET = 6  # the demo's seventh node is the national aggregator


async def _json(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url, headers={"Accept": "application/json"}) as response:
        response.raise_for_status()
        return await response.json(content_type=None)


async def _wait_for_convergence(session: aiohttp.ClientSession, municipal: str, national: str) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError, OSError):
            own = (await _json(session, f"{municipal}/api/search?limit=1&facets=sport"))["total"]
            held = (await _json(session, f"{national}/api/search?limit=1&facets=sport&municipality=GM0307"))["total"]
            if own and held >= own:
                return
        await asyncio.sleep(2)
    raise TimeoutError("the national aggregator did not receive Amersfoort's offering within 5 minutes")


async def _first(session: aiohttp.ClientSession, base: str, query: str) -> str:
    found = await _json(session, f"{base}/api/search?{query}&limit=1")
    return str(found["items"][0]["id"])


async def page_list(session: aiohttp.ClientSession, municipal: str, national: str) -> dict[str, str]:
    activity = await _first(session, municipal, "type=activity&sort=next")
    course = await _first(session, municipal, "type=course")
    organisation = await _first(session, municipal, "type=organisation")
    place = await _first(session, municipal, "type=place")
    wijk = (await _json(session, f"{municipal}/api/coverage?municipality=GM0307"))["neighbourhoods"][0]["code"]
    return {
        "home": f"{municipal}/",
        "search": f"{municipal}/zoeken?targetGroup=senioren&day=tuesday",
        "search-map": f"{municipal}/zoeken?sport=balsport&weergave=kaart",
        "search-nothing": f"{municipal}/zoeken?q=quidditch&day=sunday",
        "activity": activity,
        "organisation": organisation,
        "place": place,
        "course": course,
        "wijk": f"{municipal}/wijk/{wijk}",
        "municipality": f"{municipal}/gemeente/GM0307",
        "coverage": f"{municipal}/dekking?gemeente=GM0307",
        "widget": f"{municipal}/widget?targetGroup=senioren&limit=5",
        "widget-maker": f"{municipal}/widget/maken",
        "aggregator-search": f"{national}/zoeken?targetGroup=senioren",
        "aggregator-object": f"{national}/aanbod?id={quote(activity, safe='')}",
    }


async def photograph(pages: dict[str, str], out: Path) -> list[str]:
    from playwright.async_api import Route, async_playwright

    async def local_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            await route.abort()

    made = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for size, (width, height) in SIZES.items():
                context = await browser.new_context(viewport={"width": width, "height": height},
                                                    locale="nl-NL", extra_http_headers={"Accept-Language": "nl"})
                await context.route("**/*", local_only)
                page = await context.new_page()
                for name, url in pages.items():
                    await page.goto(url, wait_until="networkidle")
                    path = out / f"{name}-{size}.png"
                    await page.screenshot(path=str(path), full_page=False)
                    made.append(str(path.relative_to(ROOT)))
                await context.close()
        finally:
            await browser.close()
    return made


async def main(port: int, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    sportnode = Path(sys.executable).parent / "sportnode"
    demo = await asyncio.create_subprocess_exec(
        str(sportnode), "demo", "--federation", "--port", str(port), "--dir", str(ROOT / "var" / "screenshots-demo"),
        cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    municipal, national = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + NATIONAL_OFFSET}"
    try:
        async with aiohttp.ClientSession() as session:
            await _wait_for_convergence(session, municipal, national)
            pages = await page_list(session, municipal, national)
        made = await photograph(pages, out)
        print(json.dumps({"pages": pages, "screenshots": made}, indent=2))
    finally:
        demo.terminate()
        await demo.wait()
    return 0


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8180, help="first port of the demo federation")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.port, args.out.resolve())))


if __name__ == "__main__":
    cli()
