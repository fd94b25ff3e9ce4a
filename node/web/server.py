"""Running apps on TCP ports until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
from collections.abc import Callable, Sequence

from aiohttp import web

from node.errors import SportnodeError
from node.services.node import Node
from node.web.app import create_app


def cannot_listen(host: str, port: int, error: OSError) -> SportnodeError:
    """One line for the operator instead of a traceback: the usual cause is a second node or the demo."""
    if error.errno == errno.EADDRINUSE:
        detail = (f"port {port} on {host} is in use; stop what listens there, or choose another port "
                  "(--port, or [server] port in the config file)")
        return SportnodeError(1, "port-in-use", detail)
    return SportnodeError(1, "cannot-listen", f"cannot listen on port {port} on {host}: {error.strerror or error}")


def listen(host: str, port: int) -> socket.socket:
    """A bound socket, made before any app starts: a port in use then fails before jobs and workers run."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise cannot_listen(host, port, error) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp's TCPSite does
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise cannot_listen(host, port, error) from None
    sock.setblocking(False)
    return sock


async def serve(node: Node, host: str, port: int, on_ready: Callable[[], None] | None = None) -> None:
    await serve_many([(node, host, port)], on_ready)


async def serve_many(
    sites: Sequence[tuple[Node, str, int]], on_ready: Callable[[], None] | None = None
) -> None:
    """Serve each node on its own address (the demo federation runs several in one process)."""
    sockets: list[socket.socket] = []
    try:
        for _, host, port in sites:
            sockets.append(listen(host, port))
    except SportnodeError:
        for sock in sockets:
            sock.close()
        raise
    # In-flight requests get a few seconds to finish; a peer waiting on us retries anyway.
    runners = [web.AppRunner(create_app(node), handle_signals=False, shutdown_timeout=5.0) for node, _, _ in sites]
    try:
        for runner, sock in zip(runners, sockets, strict=True):
            await runner.setup()
            await web.SockSite(runner, sock).start()
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
