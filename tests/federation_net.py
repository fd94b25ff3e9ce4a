"""Several real nodes on loopback: each its own SQLite file, port, keys and delivery worker.

`Network` starts nodes in this process (aiohttp AppRunner on 127.0.0.1) and stops them; a node can be
stopped and started again on the same port and file, as after a crash or a restart.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from node.config import Config
from node.federation.delivery import DeliveryWorker
from node.protocol.signatures import sign_request
from node.services.node import Node, open_node
from node.services.node import OffsetClock as Clock
from node.services.organisations import issue_admin_token
from node.services.reading import ensure_node_key
from node.store.access import KeyPair, get_key
from node.web.app import create_app
from node.web.appkeys import DELIVERY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port




@dataclass
class Peer:
    name: str
    config: Config
    clock: Clock
    node: Node | None = None
    runner: web.AppRunner | None = None
    admin: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.config.base_url

    @property
    def actor(self) -> str:
        return self.config.node_id

    @property
    def running(self) -> Node:
        assert self.node is not None, f"{self.name} is not running"
        return self.node

    @property
    def worker(self) -> DeliveryWorker:
        assert self.runner is not None
        return self.runner.app[DELIVERY]

    async def start(self) -> None:
        self.node = await open_node(self.config, self.clock)
        await ensure_node_key(self.node)
        if not self.admin:
            self.admin = {"Authorization": f"Bearer {await issue_admin_token(self.node)}"}
        self.runner = web.AppRunner(create_app(self.node), handle_signals=False, shutdown_timeout=5.0)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", int(self.base.rsplit(":", 1)[1])).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        if self.node is not None:
            await self.node.close()
            self.node = None

    async def key(self) -> KeyPair:
        async with self.running.db.read() as db:
            pair = await get_key(db, self.actor)
        assert pair is not None
        return pair

    async def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        async with self.running.db.read() as db, db.execute(sql, args) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]


class Network:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.peers: list[Peer] = []
        self.session: aiohttp.ClientSession | None = None

    async def add(self, name: str, **config: Any) -> Peer:
        port = free_port()
        settings = Config(name=name, base_url=f"http://127.0.0.1:{port}", data_dir=self.folder / name,
                          development=True, port=port, **config)
        peer = Peer(name, settings, Clock())
        await peer.start()
        self.peers.append(peer)
        return peer

    async def close(self) -> None:
        for peer in self.peers:
            await peer.stop()
        if self.session:
            await self.session.close()

    @property
    def http(self) -> aiohttp.ClientSession:
        if self.session is None:
            self.session = aiohttp.ClientSession()
        return self.session

    async def api(self, peer: Peer, method: str, path: str, token: dict[str, str], data: Any = None) -> Any:
        async with self.http.request(method, peer.base + path, json=data, headers=token) as response:
            body = await response.json(content_type=None) if response.status != 204 else None
            assert response.status < 300, (response.status, body)
            return body

    async def signed_post(self, target: Peer, activity: dict[str, Any], signer: Peer) -> tuple[int, str]:
        """POST an activity to `target`'s shared inbox, signed with `signer`'s node key, as a peer would."""
        url, body = f"{target.base}/inbox", json.dumps(activity).encode()
        key = await signer.key()
        headers = {"Content-Type": "application/activity+json"}
        headers.update(sign_request("POST", url, headers, body, f"{key.actor_id}#main-key", key.private_pem,
                                    now=datetime.now(UTC)))
        async with self.http.post(url, data=body, headers=headers) as response:
            return response.status, await response.text()

    async def organisation(self, peer: Peer, name: str) -> dict[str, Any]:
        body = await self.api(peer, "POST", "/api/organisations", peer.admin, {"name": name, "isClub": True})
        return {"id": body["organisation"]["id"], "headers": {"Authorization": f"Bearer {body['token']}"}}


async def eventually(probe: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll an async probe until it returns something truthy; fail with `what` after `timeout` s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def searched_ids(net: Network, peer: Peer) -> list[str]:
    """Every id the query API answers at `peer`, following its cursors (types searched: all)."""
    found: list[str] = []
    url: str | None = f"{peer.base}/api/search?limit=500"
    while url:
        async with net.http.get(url) as response:
            assert response.status == 200, await response.text()
            page = await response.json()
        found += [item["id"] for item in page["items"]]
        url = page.get("next")
    return found
