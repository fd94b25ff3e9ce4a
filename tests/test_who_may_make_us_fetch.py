"""Who may make us fetch what: the outgoing client's address rules outside development mode (by literal,
by a DNS name that resolves to the address, by redirect), a signed POST replayed from another node,
Announces of objects on hosts we neither follow nor trust, and Deletes from hosts we do not follow."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from federation_net import Network, Peer
from fedi_host import FediHost
from inbox_net import PROBLEM, create, event, post, snapshot
from inbox_net import pair as pair  # the fixture

from node.protocol.signatures import sign_request
from node.services.http import FetchError, Http, Limits, address_refusal

# One address of each class the node may not connect to outside development mode.
REFUSED = {
    "loopback": "127.0.0.1",
    "loopback6": "::1",
    "private": "10.0.0.1",
    "unique-local": "fd00::1",
    "link-local": "169.254.169.254",
    "link-local6": "fe80::1",
    "mapped": "::ffff:127.0.0.1",
    "compatible": "::10.0.0.1",
    "nat64": "64:ff9b::7f00:1",
    "nat64-local": "64:ff9b:1::a00:1",
    "6to4": "2002:a00:1::1",
    "teredo": "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # its client address is 10.0.0.1
}
PUBLIC = ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8"]


def url_of(address: str, path: str = "/actor") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}{path}"


class NamedResolver(AbstractResolver):
    """A DNS stand-in: each name resolves to the address a test gives it; it records what it was asked."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        self.asked.append(host)
        address = self.names[host]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [{"hostname": host, "host": address, "port": port, "family": family, "proto": 0,
                 "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        return None


def test_the_address_rule_by_class() -> None:
    for kind, address in REFUSED.items():
        assert address_refusal(address) is not None, kind
    for address in PUBLIC:
        assert address_refusal(address) is None, address


def _tls(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a self-signed certificate for `name`, and a client context trusting only it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


@pytest.fixture
async def https_peer(tmp_path: Path) -> AsyncIterator[tuple[int, ssl.SSLContext]]:
    """An https server for peer.example on 127.0.0.1: /actor answers JSON, /to/ADDRESS and /via/NAME
    redirect to that address or name."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path == "/actor":
            return web.json_response({"id": "https://peer.example/actor", "type": "Person"})
        kind, _, target = request.path[1:].partition("/")
        location = url_of(target) if kind == "to" else f"https://{target}/actor"
        raise web.HTTPFound(location)

    server_tls, client_tls = _tls(tmp_path, "peer.example")
    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls)
    await site.start()
    port = runner.addresses[0][1]
    yield port, client_tls
    await runner.cleanup()


async def test_refused_outside_development_by_literal_name_and_redirect(
        https_peer: tuple[int, ssl.SSLContext]) -> None:
    port, client_tls = https_peer
    names = {f"{kind}.example": address for kind, address in REFUSED.items()} | {"peer.example": "127.0.0.1"}
    resolver = NamedResolver(names)
    # Outside development mode; only the test's own https peer (127.0.0.1/32) is allowed besides public
    # addresses, so that a redirect can be asked for at all.
    http = Http(development=False, limits=Limits(), clock=lambda: datetime.now(UTC), resolver=resolver,
                ssl_context=client_tls, also_allow=(ipaddress.ip_network("127.0.0.1/32"),))
    peer = f"https://peer.example:{port}"
    try:
        assert (await http.get_json(f"{peer}/actor", None))["type"] == "Person"  # the setup works
        for kind, address in REFUSED.items():
            if address == "127.0.0.1":
                continue  # allowed for the peer itself; its class is covered by ::1 and ::ffff:127.0.0.1
            with pytest.raises(FetchError, match="may not connect"):
                await http.get_json(url_of(address), None)
            with pytest.raises(FetchError, match="may not connect"):
                await http.get_json(f"https://{kind}.example/actor", None)
            for hop in (f"to/{address}", f"via/{kind}.example"):
                asked = len(resolver.asked)
                with pytest.raises(FetchError, match="redirects to"):
                    await http.get_json(f"{peer}/{hop}", None)
                # The redirect's target is never looked up (peer.example may be, or come from the cache).
                assert set(resolver.asked[asked:]) <= {"peer.example"}, kind
        with pytest.raises(FetchError, match="only https"):
            await http.get_json(f"http://peer.example:{port}/actor", None)
    finally:
        await http.close()


async def test_a_signed_post_replayed_from_another_node_is_refused(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    stranger = await net.add("stranger")
    key = await sender.key()
    body = json.dumps(create(sender, event(sender, "replayed"), key="creplayed")).encode()
    # Signed for the stranger's inbox (its Host), then sent to the target.
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_request("POST", f"{stranger.base}/inbox", headers, body, f"{sender.actor}#main-key",
                                key.private_pem, now=datetime.now(UTC)))
    before = await snapshot(target)
    async with net.http.post(f"{target.base}/inbox", data=body, headers=headers) as response:
        assert (response.status, response.content_type) == (401, PROBLEM)
        assert "signed for" in await response.text()
    assert await snapshot(target) == before
    # The same request signed for the target is taken.
    assert (await post(net, target, body, key))[0] == 202


@pytest.fixture
async def two_hosts() -> AsyncIterator[tuple[FediHost, FediHost]]:
    first, second = await FediHost().start(), await FediHost().start()
    yield first, second
    await first.stop()
    await second.stop()


async def test_an_announce_of_an_object_on_an_unfollowed_host_fetches_nothing(
        pair: tuple[Network, Peer, Peer], two_hosts: tuple[FediHost, FediHost]) -> None:
    net, target, sender = pair
    _, elsewhere = two_hosts
    elsewhere.serve("/users/post_author/statuses/01J17ZZFK6W82K9MJ9SYQ33Y3D", {"type": "Note"})
    elsewhere.serve("/", {"id": f"{elsewhere.base}/", "type": "Application", "inbox": f"{elsewhere.base}/inbox",
                          "outbox": f"{elsewhere.base}/outbox"})
    # GoToSocial's recorded Announce (docs/federation/posts.md), sent by the followed sender: its object
    # is on another host, which the target neither follows nor trusts.
    recorded = (Path(__file__).parent / "fixtures" / "fediverse" / "gotosocial-announce-approved.json").read_text()
    boost: dict[str, Any] = json.loads(recorded.replace("https://somewhere.else.example.org", sender.base)
                                       .replace("https://example.org", elsewhere.base))
    boost["actor"] = sender.actor
    whole_outbox = {**boost, "id": boost["id"] + "-2", "object": f"{elsewhere.base}/"}  # an actor: its outbox
    before = await snapshot(target)
    for activity in (boost, whole_outbox):
        status, _, text = await post(net, target, json.dumps(activity).encode(), await sender.key())
        assert status == 202, text
    assert elsewhere.fetched == []
    assert await snapshot(target) == before
    assert await target.query("SELECT count(*) FROM origin_syncs") == [(0,)]
    assert await target.query("SELECT label, count FROM inbox_ignored") == [("Announce/unfollowed-host", 2)]


async def test_a_delete_from_an_unfollowed_host_plants_no_tombstone(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, _ = pair
    stranger = await net.add("stranger")
    delete = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{stranger.base}/ap/d1", "type": "Delete",
              "actor": stranger.actor, "object": {"id": f"{stranger.base}/activities/x", "type": "Tombstone",
                                                  "formerType": "Event"}}
    before = await snapshot(target)
    assert (await post(net, target, json.dumps(delete).encode(), await stranger.key()))[0] == 202
    assert await snapshot(target) == before
    assert await target.query("SELECT label FROM inbox_ignored") == [("Delete/unfollowed-host",)]
