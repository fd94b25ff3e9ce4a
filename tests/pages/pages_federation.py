"""A small real federation for the page tests: a municipal node with demo data and an aggregator.

Both serve on loopback TCP ports (aiohttp AppRunner in the test's event loop, like tests/federation_net.py).
The municipal node is loaded with the demo generator (node/services/demo_data.py) at a small size; the
aggregator follows it by configuration and has received every object before the federation is handed
out. Setup takes about a second.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from federation_net import Clock, Network, Peer, eventually, free_port

from node.config import Config
from node.services.demo_data import generate_offering
from node.services.demo_loader import load_demo

MUNICIPALITY = "GM0307"  # Amersfoort: many wijken, so wijk and municipality pages have content
SEED = 7


@dataclass
class Federation:
    net: Network
    municipal: Peer  # .base, .running (the Node), .admin (an admin bearer header)
    aggregator: Peer

    @property
    def municipal_url(self) -> str:
        return self.municipal.base

    @property
    def aggregator_url(self) -> str:
        return self.aggregator.base

    async def ids(self, kind: str, peer: Peer | None = None) -> list[str]:
        """Live object ids of `kind` (organisation, place, activity, course) at `peer`, sorted."""
        rows = await (peer or self.municipal).query(
            "SELECT id FROM objects WHERE kind = ? AND deleted IS NULL ORDER BY id", kind
        )
        return [row[0] for row in rows]

    async def document(self, object_id: str, peer: Peer | None = None) -> dict[str, Any]:
        rows = await (peer or self.municipal).query("SELECT document FROM objects WHERE id = ?", object_id)
        assert rows, f"{object_id} is not stored"
        found: dict[str, Any] = json.loads(rows[0][0])
        return found

    async def close(self) -> None:
        await self.net.close()


async def _add(net: Network, folder: str, name: str, **settings: Any) -> Peer:
    port = free_port()
    # No tile server: the pages' maps draw markers on a blank background and nothing leaves loopback.
    settings = {"tile_url": "", **settings}
    config = Config(name=name, base_url=f"http://127.0.0.1:{port}", data_dir=net.folder / folder,
                    development=True, port=port, **settings)
    peer = Peer(folder, config, Clock())
    await peer.start()
    net.peers.append(peer)
    return peer


async def open_federation(
    folder: Path, *, organisations: int = 10, activities: int = 20, courses: int = 2
) -> Federation:
    """Start the municipal node, load its demo offering, start the aggregator and wait for its backfill."""
    net = Network(folder)
    try:
        municipal = await _add(net, "amersfoort", "Sportnode Amersfoort")
        node = municipal.running
        areas, vocabulary = node.areas, node.vocabulary
        wijken = [n for n in areas.neighbourhoods.values() if n.municipality_code == MUNICIPALITY]
        offering = generate_offering(
            areas.municipalities[MUNICIPALITY], wijken,
            [c.key for c in vocabulary.sports], [c.key for c in vocabulary.target_groups],
            [c.key for c in vocabulary.accessibility],
            organisations=organisations, activities=activities, courses=courses, seed=SEED,
            today=node.clock().date(),
        )
        await load_demo(node, offering)
        aggregator = await _add(net, "regio", "Sportnode Regio Utrecht", role="aggregator",
                                follow=(municipal.actor,))
        federation = Federation(net, municipal, aggregator)
        wanted = set()
        for kind in ("organisation", "place", "activity", "course"):
            wanted |= set(await federation.ids(kind))

        async def received() -> bool:
            rows = await aggregator.query("SELECT id FROM objects WHERE deleted IS NULL AND origin IS NOT NULL")
            return {row[0] for row in rows} == wanted

        await eventually(received, 30.0, "the aggregator's backfill of the municipal node")
        return federation
    except BaseException:
        await net.close()
        raise
