"""A stand-in for another fediverse server (Mastodon, Misskey, Akkoma, PeerTube, GoToSocial) on loopback.

It serves the documents a test gives it, by path (actors with their public keys, objects, 410s),
records what is POSTed to its inboxes, and signs requests as its actors with real test keys, the
draft-cavage way these servers sign. Recorded payloads of the real servers are moved onto its host
(`moved`), so that a sportnode node can fetch their actors and check their signatures for real.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from node.protocol.signatures import sign_request
from node.services.keys import generate_key_pair
from node.store.access import KeyPair

ACTIVITY_JSON = "application/activity+json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class FediActor:
    id: str
    key: KeyPair
    document: dict[str, Any]

    @property
    def key_id(self) -> str:
        key_id: str = self.document["publicKey"]["id"]
        return key_id


@dataclass
class FediHost:
    port: int = field(default_factory=_free_port)
    documents: dict[str, tuple[int, Any]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)  # the paths GET asked for, in order
    runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FediHost:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, handle_signals=False)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            self.received.append(json.loads(await request.read()))
            return web.Response(status=202)
        self.fetched.append(request.path_qs)
        status, document = self.documents.get(request.path_qs, self.documents.get(request.path, (404, None)))
        if document is None:
            return web.Response(status=status)
        return web.Response(status=status, text=json.dumps(document), content_type=ACTIVITY_JSON)

    def serve(self, path: str, document: Any, status: int = 200) -> None:
        self.documents[path] = (status, document)

    def gone(self, path: str) -> None:
        self.documents[path] = (410, {"error": "Gone"})

    def moved(self, text: str, *hosts: str) -> Any:
        """A recorded payload (JSON text) with each of `hosts` (https://mastodon.example, ...) replaced
        by this host's base URL."""
        for host in hosts:
            text = text.replace(host, self.base)
        return json.loads(text)

    def actor(self, path: str, document: dict[str, Any] | None = None, *, key_fragment: str = "#main-key") -> FediActor:
        """Publish an actor at `path`: `document` (a recorded actor, already moved) or a plain Person,
        with a fresh RSA test key as its publicKey, inbox and outbox on this host."""
        actor_id = self.base + path
        key = generate_key_pair(actor_id)
        base: dict[str, Any] = document or {"@context": ["https://www.w3.org/ns/activitystreams",
                                                         "https://w3id.org/security/v1"],
                                            "type": "Person", "preferredUsername": path.rsplit("/", 1)[-1]}
        actor = {**base, "id": actor_id, "inbox": f"{actor_id}/inbox", "outbox": f"{actor_id}/outbox",
                 "publicKey": {"id": actor_id + key_fragment, "owner": actor_id, "publicKeyPem": key.public_pem}}
        self.serve(path, actor)
        return FediActor(actor_id, key, actor)

    def rotate(self, actor: FediActor) -> FediActor:
        """A new key for the actor, published at once (its old key stops verifying at the receiver's
        next fetch)."""
        key = generate_key_pair(actor.id)
        document = {**actor.document, "publicKey": {**actor.document["publicKey"], "publicKeyPem": key.public_pem}}
        self.serve(actor.id[len(self.base):], document)
        return FediActor(actor.id, key, document)

    async def post(self, session: aiohttp.ClientSession, inbox: str, activity: dict[str, Any] | bytes,
                   actor: FediActor | None, *, key: KeyPair | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, str]:
        """POST `activity` to `inbox`, signed as `actor` (with `key`, default its own) unless None."""
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        sent = {"Content-Type": ACTIVITY_JSON, **(headers or {})}
        if actor is not None:
            pair = key or actor.key
            sent.update(sign_request("POST", inbox, sent, body, actor.key_id, pair.private_pem, now=datetime.now(UTC)))
        async with session.post(inbox, data=body, headers=sent) as response:
            return response.status, await response.text()
