"""Outgoing HTTP with the DESIGN.md safety rules: size and time limits, https only and no private
addresses (both relaxed in development mode), every request signed with one of our keys.

The address rule is enforced in the resolver, so it holds for every connection the session opens, and a
name that resolves to a private address (DNS rebinding) is refused too; literal addresses are checked
before any connection. An IPv6 address that carries an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo)
is judged by the IPv4 address too. Redirects are never followed: a 3xx is an error.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from node.protocol.limits import json_depth
from node.protocol.signatures import sign_request
from node.store.access import KeyPair

ACTIVITY_JSON = "application/activity+json"
ACCEPT_AS = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
USER_AGENT = "Sportnode/0.1 (+https://w3id.org/sportnode)"
# Threads that sign outgoing requests. An RSA-2048 signature is ~1 ms of CPU, and a fan-out makes one
# per follower inbox (342 for the national figure): on the event loop that is a third of a second in
# which no answer is read and no other request served. OpenSSL releases the GIL while it signs, so
# two threads also sign about 1.5x as fast as one (measured on the 2-core bench machine). One pool for
# the process: the national simulation runs 171 nodes in one, and the CPU is the limit, not the nodes.
SIGNING_THREADS = 2
_signing: ThreadPoolExecutor | None = None


def _signing_pool() -> ThreadPoolExecutor:
    global _signing
    if _signing is None:
        _signing = ThreadPoolExecutor(SIGNING_THREADS, thread_name_prefix="sportnode-sign")
    return _signing


class FetchError(Exception):
    """A remote request failed or was refused by our own rules; the text says which."""


# IPv6 addresses that carry an IPv4 address inside: each is judged by the IPv4 address it leads to, so
# that 64:ff9b::7f00:1 (NAT64) or 2002:7f00:1:: (6to4) cannot reach 127.0.0.1 where ::1 may not.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052, the IPv4 address in the last 32 bits
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use, the IPv4 anywhere: refused
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated, the IPv4 address in the last 32 bits
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped, IPv4-compatible, NAT64, 6to4, and both
    of Teredo's (server and client)."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return []


def address_refusal(address: str, also_allow: tuple[IPNetwork, ...] = ()) -> str | None:
    """Why the node may not connect to `address` outside development mode, or None when it may: it must
    be a public unicast address, and so must every IPv4 address it embeds (`also_allow`: networks an
    embedding program allows besides, e.g. a test's loopback peer)."""
    ip = ipaddress.ip_address(address)
    if any(ip in network for network in also_allow if network.version == ip.version):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return f"{address} is a local-use NAT64 address"
        for inner in embedded_ipv4(ip):  # judged without `also_allow`: that names addresses as connected to
            if (why := address_refusal(str(inner))) is not None:
                return f"{address} leads to {inner}: {why}"
    if not ip.is_global or ip.is_multicast:
        return f"{address} is a private, loopback, link-local or reserved address"
    return None


class SafeResolver(AbstractResolver):
    """A resolver (the system's by default), minus every address the node may not connect to (unless
    `allow_private`, in development mode)."""

    def __init__(self, allow_private: bool, inner: AbstractResolver | None = None,
                 also_allow: tuple[IPNetwork, ...] = ()) -> None:
        self._inner = inner or aiohttp.DefaultResolver()
        self._allow_private = allow_private
        self._also_allow = also_allow

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        allowed = [r for r in found if self._allow_private or address_refusal(r["host"], self._also_allow) is None]
        if not allowed:
            # With an errno, so that aiohttp's connection error carries the reason in its text.
            raise OSError(errno.EACCES, f"{host} resolves only to addresses this node may not connect to "
                                        f"({', '.join(sorted({r['host'] for r in found}))})")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 1_048_576
    max_depth: int = 32
    timeout_seconds: float = 10.0


class Http:
    """One client session per node; `development` allows http and loopback/private peers."""

    def __init__(self, *, development: bool, limits: Limits, clock: Any, resolver: AbstractResolver | None = None,
                 ssl_context: ssl.SSLContext | None = None, also_allow: tuple[IPNetwork, ...] = ()) -> None:
        """`resolver`, `ssl_context` and `also_allow` are for programs that embed a node (the tests): the
        name resolver behind the address rules, the TLS trust, networks allowed besides public ones."""
        self.development = development
        self.limits = limits
        self._clock = clock
        self._also_allow = also_allow
        connector = aiohttp.TCPConnector(resolver=SafeResolver(development, resolver, also_allow), limit=64,
                                         limit_per_host=8, ssl=ssl_context if ssl_context is not None else True)
        timeout = aiohttp.ClientTimeout(total=limits.timeout_seconds, sock_connect=min(5.0, limits.timeout_seconds))
        self.session = aiohttp.ClientSession(
            connector=connector, timeout=timeout, headers={"User-Agent": USER_AGENT}, auto_decompress=True
        )

    async def close(self) -> None:
        await self.session.close()

    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise FetchError(f"{url!r} is not an http(s) URL")
        if parts.scheme == "http" and not self.development:
            raise FetchError(f"{url!r}: only https peers are allowed")
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return
        if not self.development and (why := address_refusal(str(literal), self._also_allow)) is not None:
            raise FetchError(f"{url!r} points at an address this node may not connect to: {why}")

    async def _signed(self, method: str, url: str, headers: dict[str, str], body: bytes | None,
                      signer: KeyPair | None) -> dict[str, str]:
        """The headers plus their signature, made on the signing threads (see SIGNING_THREADS)."""
        if signer is None:
            return headers
        now: datetime = self._clock()
        names = ["(request-target)", "host", "date", *(["digest"] if body is not None else [])]
        if "Accept" in headers:
            names.append("accept")
        sign = partial(sign_request, method, url, headers, body, f"{signer.actor_id}#main-key", signer.private_pem,
                       now=now, signed_headers=names)
        added = await asyncio.get_running_loop().run_in_executor(_signing_pool(), sign)
        return {**headers, **added}

    async def get_json(
        self, url: str, signer: KeyPair | None, *, accept: str = ACCEPT_AS, max_bytes: int | None = None
    ) -> dict[str, Any]:
        """GET an ActivityStreams document (or, with `accept`, other JSON), signed when `signer` is given,
        within the size (`max_bytes`, default the configured limit) and depth limits."""
        self.check_url(url)
        headers = await self._signed("GET", url, {"Accept": accept}, None, signer)
        try:
            async with self.session.get(url, headers=headers, allow_redirects=False) as response:
                if response.status in (301, 302, 303, 307, 308):
                    raise FetchError(f"{url} redirects to {response.headers.get('Location')!r}")
                if response.status == 410:
                    raise Gone(url)
                if response.status != 200:
                    raise FetchError(f"{url} answered {response.status}")
                body = await self._read_capped(response, url, max_bytes or self.limits.max_bytes)
        except aiohttp.ClientError as error:
            raise FetchError(f"{url}: {error}") from None
        except TimeoutError:
            raise FetchError(f"{url}: no answer within {self.limits.timeout_seconds:g} s") from None
        return self._parse(body, url)

    async def _read_capped(self, response: aiohttp.ClientResponse, url: str, max_bytes: int) -> bytes:
        if response.content_length is not None and response.content_length > max_bytes:
            raise FetchError(f"{url} is larger than {max_bytes} bytes")
        # read(n) returns what has arrived, not n bytes: gather chunks up to the cap.
        body = bytearray()
        async for chunk in response.content.iter_chunked(65536):
            body += chunk
            if len(body) > max_bytes:
                raise FetchError(f"{url} is larger than {max_bytes} bytes")
        return bytes(body)

    def _parse(self, body: bytes, url: str) -> dict[str, Any]:
        try:
            value = json.loads(body)
        except (ValueError, RecursionError):
            raise FetchError(f"{url} did not answer JSON") from None
        if not isinstance(value, dict):
            raise FetchError(f"{url} did not answer a JSON object")
        if json_depth(value) > self.limits.max_depth:
            raise FetchError(f"{url} answered JSON nested deeper than {self.limits.max_depth}")
        return value

    async def post_activity(self, url: str, body: bytes, signer: KeyPair) -> tuple[int, str]:
        """POST a signed activity; the status and (the start of) the answer. Raises FetchError when
        the peer cannot be reached at all."""
        self.check_url(url)
        headers = await self._signed("POST", url, {"Content-Type": ACTIVITY_JSON}, body, signer)
        try:
            async with self.session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                text = (await response.content.read(2000)).decode("utf-8", "replace")
                return response.status, text
        except aiohttp.ClientError as error:
            raise FetchError(f"{url}: {error}") from None
        except TimeoutError:
            raise FetchError(f"{url}: no answer within {self.limits.timeout_seconds:g} s") from None


class Gone(FetchError):
    """The remote object or actor answered 410: it was deleted."""

