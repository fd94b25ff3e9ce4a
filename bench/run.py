"""`make bench`: every figure of DESIGN.md's "Numbers it must reach", each beside its same-run
baseline; writes bench/results.json (raw) and docs/benchmarks.md (the table).

    python -m bench.run [--scale full|small] [--only startup,pages,inbox,fanout,national,query]

With --only, the figures of the scenarios run replace theirs in the results file and the rest are kept.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from bench import national, pages, report, scenarios
from bench.common import ROOT, machine

ALL = ("startup", "pages", "inbox", "fanout", "national", "query")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def main(scale: str, only: tuple[str, ...]) -> dict[str, Any]:
    results: dict[str, Any] = {"scale": scale, "machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    begun = time.perf_counter()
    if "startup" in only:
        log("startup: idle RSS and cold start")
        results["startup"] = await scenarios.startup(log)
    if "pages" in only:
        log("pages: the search page against /api/search (wrk, 50 connections), and its weight in Chromium")
        results["pages"] = await pages.run(log)
    if "inbox" in only:
        log("inbox: signed Creates vs a plain aiohttp hello, and vs bovine-herd")
        results["inbox"] = await scenarios.inbox(scale, log)
    if "fanout" in only:
        log("fan-out: one Update to 342 follower inboxes")
        results["fanout"] = await scenarios.fanout(scale, log)
    if "national" in only or "query" in only:
        sim = await national.run(scale, log)
        try:
            if "query" in only:
                log("query: /api/search at 50 concurrent clients over the national view")
                results["query"] = await scenarios.query(sim["national_base_url"], sim["check"]["national"], log)
        finally:
            await national.close(sim)
        results["national"] = sim
    results["seconds"] = time.perf_counter() - begun
    return results


def _merged(earlier: dict[str, Any], now: dict[str, Any], only: tuple[str, ...]) -> dict[str, Any]:
    """`--only` runs some scenarios: their figures replace those of the earlier run, the others stay, and
    the report says which scenarios ran when (`partial_runs`)."""
    merged = {**earlier, **{key: value for key, value in now.items() if key in ALL}}
    runs = [*earlier.get("partial_runs", []), {"scenarios": list(only), "started": now["started"],
                                               "seconds": now["seconds"], "machine": now["machine"]}]
    return {**merged, "partial_runs": runs}


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=("full", "small"), default="full")
    parser.add_argument("--only", default=",".join(ALL))
    args = parser.parse_args()
    only = tuple(s.strip() for s in args.only.split(",") if s.strip())
    results = asyncio.run(main(args.scale, only))
    seconds = results["seconds"]
    out = ROOT / "bench" / ("results.json" if args.scale == "full" else f"results-{args.scale}.json")
    if set(only) != set(ALL) and out.exists():
        results = _merged(json.loads(out.read_text()), results, only)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    markdown = ROOT / "docs" / ("benchmarks.md" if args.scale == "full" else f"benchmarks-{args.scale}.md")
    markdown.write_text(report.render(results))
    log(f"wrote {out.relative_to(ROOT)} and {markdown.relative_to(ROOT)} in {seconds:.0f} s")


if __name__ == "__main__":
    cli()
