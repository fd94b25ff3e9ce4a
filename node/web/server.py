"""Running the app on a TCP port until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from aiohttp import web

from node.services.node import Node
from node.web.app import create_app


async def serve(node: Node, host: str, port: int, on_ready: Callable[[], None] | None = None) -> None:
    # In-flight requests get a few seconds to finish; a peer waiting on us retries anyway.
    runner = web.AppRunner(create_app(node), handle_signals=False, shutdown_timeout=5.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        if on_ready:
            on_ready()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
