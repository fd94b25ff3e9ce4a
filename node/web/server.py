"""Running apps on TCP ports until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Sequence

from aiohttp import web

from node.services.node import Node
from node.web.app import create_app


async def serve(node: Node, host: str, port: int, on_ready: Callable[[], None] | None = None) -> None:
    await serve_many([(node, host, port)], on_ready)


async def serve_many(
    sites: Sequence[tuple[Node, str, int]], on_ready: Callable[[], None] | None = None
) -> None:
    """Serve each node on its own address (the demo federation runs several in one process)."""
    # In-flight requests get a few seconds to finish; a peer waiting on us retries anyway.
    runners = [web.AppRunner(create_app(node), handle_signals=False, shutdown_timeout=5.0) for node, _, _ in sites]
    try:
        for runner, (_, host, port) in zip(runners, sites, strict=True):
            await runner.setup()
            await web.TCPSite(runner, host, port).start()
        if on_ready:
            on_ready()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
