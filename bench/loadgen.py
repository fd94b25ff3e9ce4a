"""The load generator: its own process, so the server measured has the CPU to itself as far as the
machine allows. Reads requests (JSON lines: method, url, headers, body) and sends them with a fixed
number of concurrent clients; prints one JSON line: rate, latency percentiles, statuses.

    python -m bench.loadgen REQUESTS.jsonl --concurrency 32 [--warmup 50] [--repeat 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import percentile


async def run(requests: list[dict[str, Any]], concurrency: int, warmup: int) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async def send(item: dict[str, Any], record: bool) -> None:
            body = item.get("body")
            started = time.perf_counter()
            try:
                async with session.request(item.get("method", "GET"), item["url"], headers=item.get("headers"),
                                           data=body.encode() if isinstance(body, str) else None) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            if record:
                latencies.append(time.perf_counter() - started)
                statuses[status] += 1

        for item in requests[:warmup]:
            await send(item, False)
        timed = requests[warmup:]
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for item in timed:
            queue.put_nowait(item)

        async def client() -> None:
            while not queue.empty():
                await send(queue.get_nowait(), True)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    return {"requests": len(timed), "ok": ok, "seconds": elapsed, "rate": ok / elapsed if elapsed else 0.0,
            "statuses": {str(k): v for k, v in statuses.items()},
            "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "concurrency": concurrency}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("requests", type=Path)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    requests = [json.loads(line) for line in args.requests.read_text().splitlines() if line.strip()]
    requests = requests[: args.warmup] + requests[args.warmup:] * args.repeat
    result = asyncio.run(run(requests, args.concurrency, args.warmup))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
