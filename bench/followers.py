"""Follower inboxes for the fan-out figure: N small aiohttp servers, each on its own loopback address,
that check every POST's HTTP signature against the sending node's key (our own verify_request) and
note when a valid one arrived. `python -m bench.followers N PORT KEY.pem` speaks bench.common.Child."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.common import emit, serve_commands
from node.protocol.signatures import SignatureError, verify_request


def address(i: int) -> str:
    return f"127.5.{i // 250}.{i % 250 + 1}"


async def main() -> None:
    count, port, key = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]).read_text()
    received: dict[str, list[tuple[float, bool]]] = {}

    def inbox(name: str) -> Any:
        async def receive(request: web.Request) -> web.Response:
            body = await request.read()
            try:
                verify_request("POST", str(request.url), request.headers, body, key, now=datetime.now(UTC))
                ok = True
            except SignatureError:
                ok = False
            received.setdefault(name, []).append((time.time(), ok))
            return web.Response(status=202 if ok else 401)

        return receive

    runners = []
    for i in range(count):
        app = web.Application()
        app.router.add_post("/inbox", inbox(address(i)))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, address(i), port, reuse_address=True).start()
        runners.append(runner)

    async def report(since: float) -> dict[str, Any]:
        times = [t for got in received.values() for t, ok in got if ok and t >= since]
        bad = sum(1 for got in received.values() for t, ok in got if not ok and t >= since)
        inboxes = sum(1 for got in received.values() if any(ok and t >= since for t, ok in got))
        return {"inboxes": inboxes, "valid": len(times), "invalid": bad, "last": max(times) if times else None}

    emit({"event": "ready"})
    await serve_commands({"report": report})
    for runner in runners:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
