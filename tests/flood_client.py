"""A flooding client in a process of its own (tests/test_flood.py): a fixed number of requests, a fixed
number at once, then it prints how many got which status as JSON and exits. In its own process, so that
the flood's own work (building and signing requests) does not land on the node's event loop.

    python tests/flood_client.py search BASE COUNT AT_ONCE FORWARDED_FOR
    python tests/flood_client.py inbox BASE COUNT AT_ONCE FORWARDED_FOR ACTOR_ID KEY_ID PRIVATE_PEM_FILE
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from node.protocol.signatures import sign_request


def _junk(actor: str, n: int) -> bytes:
    return json.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}/junk/{n}",
                       "type": "Create", "actor": actor,
                       "object": {"id": f"{actor}/notes/{n}", "type": "Note", "content": "x" * 2000}}).encode()


async def flood(argv: list[str]) -> Counter[int]:
    kind, base, count, at_once, forwarded = argv[0], argv[1], int(argv[2]), int(argv[3]), argv[4]
    statuses: Counter[int] = Counter()
    numbers = iter(range(count))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        if kind == "search":
            async def send(n: int) -> int:
                path = ("/api/search", "/zoeken")[n % 2]  # the API and the page, both searches
                async with session.get(f"{base}{path}?q=sport{n % 7}", headers={"X-Forwarded-For": forwarded}) as r:
                    await r.read()
                    return r.status
        else:
            actor, key_id, pem = argv[5], argv[6], Path(argv[7]).read_text()

            async def send(n: int) -> int:
                body, url = _junk(actor, n), f"{base}/inbox"
                headers = {"Content-Type": "application/activity+json", "X-Forwarded-For": forwarded}
                headers.update(sign_request("POST", url, headers, body, key_id, pem, now=datetime.now(UTC)))
                async with session.post(url, data=body, headers=headers) as r:
                    await r.read()
                    return r.status

        async def sender(send: Callable[[int], Awaitable[int]]) -> None:
            for n in numbers:
                statuses[await send(n)] += 1

        await asyncio.gather(*(sender(send) for _ in range(at_once)))
    return statuses


if __name__ == "__main__":
    print(json.dumps(asyncio.run(flood(sys.argv[1:]))))
