"""Request limits: token buckets on an injected clock (no sleeps), bounded tables, the client address
behind trusted proxies, and over HTTP: past the search limit a client gets 429 with Retry-After in the
one error shape (problem+json, or the error page for a browser) while another client is still served,
and a full class of slots answers 503 with Retry-After without holding up another class, after a short
wait in a short line."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, make_mocked_request

from node.config import Config, ConfigError, RateLimits, parse_config
from node.services.node import open_node
from node.web.app import create_app
from node.web.limits import TokenBuckets, client_address, limit_class, limits_middleware

Client = TestClient[Any, Any]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst_seconds=5, max_keys=10, clock=clock)  # 1/s, 5 at once
    assert [buckets.take("a") for _ in range(5)] == [0.0] * 5
    assert buckets.take("a") == pytest.approx(1.0)  # empty: the next token in 1 s
    assert buckets.take("b") == 0.0  # another key has its own bucket
    clock.now += 0.5
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("a") == 0.0
    clock.now += 3600  # refills to the burst, never beyond
    assert [buckets.take("a") for _ in range(6)][-2:] == [0.0, pytest.approx(1.0)]


def test_the_table_is_bounded_and_drops_the_least_recently_seen() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst_seconds=1, max_keys=3, clock=clock)
    buckets.take("flooder")
    for n in range(1000):  # a flood of addresses
        buckets.take(f"10.0.{n // 256}.{n % 256}")
        buckets.take("flooder")  # seen all along: kept, still empty
        assert len(buckets) <= 3
    assert buckets.take("flooder") > 0
    assert buckets.take("10.0.0.0") == 0.0  # dropped long ago: a full bucket again


def _request(peer: str, forwarded: str | None = None, path: str = "/api/search") -> web.Request:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return make_mocked_request("GET", path, headers=headers, transport=_Transport(peer))


class _Transport:
    def __init__(self, peer: str) -> None:
        self.peer = peer

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return (self.peer, 1234) if name == "peername" else default

    def is_closing(self) -> bool:
        return False


def test_the_client_address_trusts_forwarded_for_only_from_trusted_proxies() -> None:
    import ipaddress

    trusted = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8")]
    assert client_address(_request("203.0.113.9", "198.51.100.1"), trusted) == "203.0.113.9"  # spoofed header
    assert client_address(_request("127.0.0.1", "198.51.100.1"), trusted) == "198.51.100.1"
    # the nearest untrusted hop, not the first (which the client writes itself)
    assert client_address(_request("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3"), trusted) == "198.51.100.1"
    assert client_address(_request("127.0.0.1"), trusted) is None  # the proxy's own: not limited
    assert client_address(_request("2001:db8:1:2::5"), trusted) == "2001:db8:1:2::/64"
    assert client_address(_request("::ffff:203.0.113.9"), trusted) == "203.0.113.9"


def test_the_limits_are_settings_checked_at_load(tmp_path: Path) -> None:
    node = {"name": "N", "base_url": "https://sport.example.nl", "data_dir": "d"}
    config = parse_config({"node": node, "limits": {"search_per_minute": 5, "sparql_concurrency": 3,
                                                    "trusted_proxies": ["10.0.0.0/8"]}}, tmp_path)
    assert dict(config.rate_limits.per_minute)["search"] == 5
    assert dict(config.rate_limits.concurrency)["sparql"] == 3
    assert config.rate_limits.trusted_proxies == ("10.0.0.0/8",)
    with pytest.raises(ConfigError, match="at least 1"):
        parse_config({"node": node, "limits": {"page_per_minute": 0}}, tmp_path)
    with pytest.raises(ConfigError, match=r"\[limits\] trusted_proxies"):
        parse_config({"node": node, "limits": {"trusted_proxies": ["nginx"]}}, tmp_path)


def test_requests_are_classed_before_the_handler_runs() -> None:
    assert limit_class(_request("127.0.0.1", path="/zoeken")) == "search"
    assert limit_class(_request("127.0.0.1", path="/api/search")) == "search"


def _limited(config: Config, **limits: Any) -> Config:
    return dataclasses.replace(config, rate_limits=dataclasses.replace(RateLimits(), **limits))


async def test_past_the_search_limit_a_client_gets_429_with_retry_after(config: Config, aiohttp_client: Any) -> None:
    node = await open_node(_limited(config, per_minute=(("search", 6),), burst_seconds=30))  # 3 at once
    try:
        client: Client = await aiohttp_client(create_app(node))
        flooder = {"X-Forwarded-For": "198.51.100.7"}
        for _ in range(3):
            assert (await client.get("/api/search", headers=flooder)).status == 200
        refused = await client.get("/api/search", headers=flooder)
        assert refused.status == 429
        assert refused.content_type == "application/problem+json"
        assert 1 <= int(refused.headers["Retry-After"]) <= 10  # one token comes back every 10 s
        problem = await refused.json()
        assert problem["status"] == 429 and problem["type"].endswith("#too-many-requests")
        # the search page counts as search too, and a browser gets the error page in its language
        page = await client.get("/zoeken", headers={**flooder, "Accept": "text/html"})
        assert page.status == 429 and page.content_type == "text/html" and "Retry-After" in page.headers
        assert "Even te veel tegelijk" in await page.text()
        # another client, and the pages of the flooder, are still served
        assert (await client.get("/api/search", headers={"X-Forwarded-For": "198.51.100.8"})).status == 200
        assert (await client.get("/", headers={**flooder, "Accept": "text/html"})).status == 200
    finally:
        await node.close()


async def test_a_full_class_answers_503_and_leaves_the_other_classes_alone() -> None:
    clock = Clock()
    limits = dataclasses.replace(RateLimits(), concurrency=(("search", 1), ("page", 1)), queue_ms=50)
    middleware = limits_middleware(limits, clock)
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(text="done")

    async def fast(request: web.Request) -> web.StreamResponse:
        return web.Response(text="page")

    held = asyncio.ensure_future(middleware(_request("127.0.0.1", path="/api/search"), slow))
    await asyncio.sleep(0)
    busy = await middleware(_request("127.0.0.1", path="/api/search"), slow)
    assert busy.status == 503 and busy.headers["Retry-After"] == "1"
    page = _request("127.0.0.1", path="/nothing-here")  # class "other": its own slots
    assert (await middleware(page, fast)).status == 200
    release.set()
    assert (await held).status == 200


async def test_the_line_for_a_full_class_is_short() -> None:
    limits = dataclasses.replace(RateLimits(), concurrency=(("search", 1),), queue_ms=60_000)
    middleware = limits_middleware(limits, Clock())
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(text="done")

    held = [asyncio.ensure_future(middleware(_request("127.0.0.1", path="/api/search"), slow)) for _ in range(5)]
    await asyncio.sleep(0)  # one runs, four wait in line (four per slot)
    started = asyncio.get_running_loop().time()
    turned_away = await middleware(_request("127.0.0.1", path="/api/search"), slow)
    assert turned_away.status == 503 and asyncio.get_running_loop().time() - started < 1.0
    release.set()
    assert [response.status for response in await asyncio.gather(*held)] == [200] * 5
