"""Request limits: token buckets per client address (and per signing host for the inbox), and a bounded
number of requests at once per route class (docs/operator.md, "Limits").

Rates answer 429 with Retry-After; a class whose slots stay full past a short wait answers 503 with
Retry-After. Each class has its own slots, so a flood of searches cannot take the slots of pages or of
the inbox. Everything lives in memory, per process and per app; the bucket tables are bounded (the
least recently seen key is dropped first), so a flood of addresses cannot grow memory, at worst it
gives a dropped address a full bucket again.

The client is the peer address, or, when the peer is a trusted proxy, the nearest address in
X-Forwarded-For that is not one. IPv6 clients count per /64, the block one subscriber usually holds.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from node.config import RateLimits
from node.protocol.signatures import SignatureError, signature_key_id
from node.web.errors import error_response
from node.web.metrics import route_class
from node.web.negotiation import HTML, JSON, choose

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Clock = Callable[[], float]
# Pages that run a search count as searches (the Atom feed of a search too), not as pages.
SEARCH_PATHS = frozenset({"/api/search", "/zoeken", "/zoeken.atom"})


class TokenBuckets:
    """One bucket per key: it holds up to `burst` tokens, refills at `per_minute` / 60 a second, and
    each request takes one. At most `max_keys` buckets are kept."""

    def __init__(self, per_minute: int, burst_seconds: int, max_keys: int, clock: Clock = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst_seconds)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, when)

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """0 when the request may go ahead (a token is taken), else the seconds until a token is there."""
        now = self.clock()
        tokens, then = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + max(0.0, now - then) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)  # re-inserted: now the most recently seen
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(request: web.Request, trusted: list[Network]) -> str | None:
    """Who the request is from: the peer, or past trusted proxies the nearest untrusted forwarded hop.
    None for a trusted proxy's own request (no forwarded hop): the operator's tools, never the public,
    since nginx always adds X-Forwarded-For."""
    def is_trusted(found: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return found is not None and any(found in network for network in trusted)

    peer = _address(request.remote or "")
    client = peer
    if is_trusted(peer):
        if "X-Forwarded-For" not in request.headers:
            return None
        hops = [part for value in request.headers.getall("X-Forwarded-For", []) for part in value.split(",")]
        for hop in reversed(hops):
            found = _address(hop)
            if found is None:
                break  # a hop we cannot read: stop at the last one we could
            client = found
            if not is_trusted(found):
                break
    if client is None:
        return request.remote or "unknown"
    if isinstance(client, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((client, 64), strict=False))
    return str(client)


def limit_class(request: web.Request) -> str:
    """The route class (node/web/metrics.py) before the handler runs: a page is a GET asking for HTML."""
    if request.path in SEARCH_PATHS:
        return "search"
    wants_page = request.method in ("GET", "HEAD") and choose(request.headers.get("Accept"), (JSON, HTML)) == HTML
    return route_class(request, "text/html" if wants_page else None)


def signing_host(request: web.Request) -> str | None:
    """The host of the key an inbox POST says it is signed with (not yet checked: the inbox does that)."""
    try:
        return urlsplit(signature_key_id(request.headers)).netloc.lower() or None
    except (SignatureError, ValueError):
        return None


class Limiter:
    """The limits of one app."""

    def __init__(self, limits: RateLimits, clock: Clock = time.monotonic) -> None:
        self.trusted: list[Network] = [ipaddress.ip_network(entry, strict=False) for entry in limits.trusted_proxies]
        self.by_client = {name: TokenBuckets(rate, limits.burst_seconds, limits.max_clients, clock)
                          for name, rate in limits.per_minute}
        self.by_host = TokenBuckets(limits.inbox_per_host_per_minute, limits.burst_seconds, limits.max_clients,
                                    clock)
        self.slots = {name: asyncio.Semaphore(size) for name, size in limits.concurrency}
        # At most this many wait in each class's line (four per slot); past it, 503 at once.
        self.line = {name: 4 * size for name, size in limits.concurrency}
        self.waiting = dict.fromkeys(self.slots, 0)
        self.queue_s = limits.queue_ms / 1000.0

    def wait_for(self, request: web.Request, kind: str) -> tuple[float, str]:
        """Seconds the request must wait (0: it may go ahead) and whose limit it hit."""
        buckets = self.by_client.get(kind)
        client = client_address(request, self.trusted)
        if buckets is not None and client is not None:
            wait = buckets.take(client)
            if wait:
                return wait, "your address"
        if kind == "inbox" and client is not None:  # (the operator's own tools are not limited at all)
            host = signing_host(request)
            if host is not None:
                wait = self.by_host.take(host)
                if wait:
                    return wait, f"the host {host}"
        return 0.0, ""


def _refused(request: web.Request, status: int, code: str, detail: str, seconds: float) -> web.Response:
    response = error_response(request, status, code, detail)
    response.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response


def limits_middleware(limits: RateLimits, clock: Clock = time.monotonic) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Innermost: it answers 429 and 503 itself (with Retry-After), inside the language and metrics."""
    limiter = Limiter(limits, clock)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        kind = limit_class(request)
        wait, whose = limiter.wait_for(request, kind)
        if wait:
            detail = f"Too many {kind} requests from {whose}; try again in {math.ceil(wait)} s."
            return _refused(request, 429, "too-many-requests", detail, wait)
        slots = limiter.slots.get(kind)
        if slots is None:
            return await handler(request)
        busy = f"The node is busy with other {kind} requests; try again shortly."
        if not slots.locked():
            await slots.acquire()
        elif limiter.waiting[kind] >= limiter.line[kind]:
            return _refused(request, 503, "busy", busy, 1)
        else:  # a short wait in a short line
            limiter.waiting[kind] += 1
            try:
                async with asyncio.timeout(limiter.queue_s):
                    await slots.acquire()
            except TimeoutError:
                return _refused(request, 503, "busy", busy, 1)
            finally:
                limiter.waiting[kind] -= 1
        try:
            return await handler(request)
        finally:
            slots.release()

    return middleware
