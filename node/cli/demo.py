"""`sportnode demo`: one demo node, or (`--federation`) a small federation on loopback.

The federation is what the design describes, in miniature: municipal nodes (Amersfoort at the launch
size of Samenindebuurt033, three smaller ones) and one neighbourhood node (a wijk of Utrecht), a
regional aggregator for the province of Utrecht that follows them all, and a national aggregator that
follows the region. Each node has its own folder, SQLite file, keys and port; all run in this process
and talk real, signed HTTP. The aggregators follow by configuration, so the federation assembles
itself after start (backfill, then pushes).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm import tqdm

from node.config import Config
from node.errors import SportnodeError
from node.services.area_index import AreaIndex, load_area_index
from node.services.demo_data import generate_offering
from node.services.demo_loader import load_demo
from node.services.node import Node, open_node
from node.services.reading import counts, ensure_node_key
from node.web.server import serve_many


@dataclass(frozen=True)
class DemoNode:
    slug: str
    name: str
    municipality: str | None = None  # CBS code; None for an aggregator
    wijk: str | None = None  # a neighbourhood node: only this wijk
    organisations: int = 0
    activities: int = 0
    role: str = "node"
    follows: tuple[str, ...] = ()  # slugs of other demo nodes


FEDERATION: tuple[DemoNode, ...] = (
    DemoNode("amersfoort", "Sportnode Amersfoort", "GM0307", organisations=200, activities=350),
    DemoNode("leusden", "Sportnode Leusden", "GM0327", organisations=30, activities=50),
    DemoNode("soest", "Sportnode Soest", "GM0342", organisations=30, activities=50),
    DemoNode("zeist", "Sportnode Zeist", "GM0355", organisations=30, activities=50),
    DemoNode("utrecht-overvecht", "Sportnode Utrecht Overvecht", "GM0344", wijk="WK034403",
             organisations=15, activities=25),
    DemoNode("regio-utrecht", "Sportnode Regio Utrecht", role="aggregator",
             follows=("amersfoort", "leusden", "soest", "zeist", "utrecht-overvecht")),
    DemoNode("nederland", "Sportnode Nederland", role="aggregator", follows=("regio-utrecht",)),
)


def say(text: str) -> None:
    print(text, flush=True)


async def _load(node: Node, areas: AreaIndex, demo: DemoNode, seed: int) -> None:
    assert demo.municipality is not None
    if demo.municipality not in areas.municipalities:
        raise SportnodeError(2, "unknown-municipality", f"{demo.municipality} is not a CBS municipality code")
    municipality = areas.municipalities[demo.municipality]
    wijken = [n for n in areas.neighbourhoods.values()
              if n.municipality_code == municipality.code and (demo.wijk is None or n.code == demo.wijk)]
    vocabulary = node.vocabulary
    offering = generate_offering(
        municipality, wijken,
        [c.key for c in vocabulary.sports], [c.key for c in vocabulary.target_groups],
        [c.key for c in vocabulary.accessibility],
        organisations=demo.organisations, activities=demo.activities, seed=seed, today=node.clock().date(),
    )
    say(f"Loading demo offering for {demo.name} into {node.config.db_path} ...")
    with tqdm(total=len(offering), unit="org", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
        await load_demo(node, offering, bar.update)


def _config(demo: DemoNode, folder: Path, port: int, ports: dict[str, int]) -> Config:
    return Config(
        name=demo.name, base_url=f"http://127.0.0.1:{port}", data_dir=folder.resolve(), development=True,
        port=port, role=demo.role, follow=tuple(f"http://127.0.0.1:{ports[s]}/" for s in demo.follows),
        # The demo shows convergence in seconds, not in a quarter of an hour.
        reconcile_minutes=1,
        # An aggregator fetches what the aggregators it follows announce from the nodes themselves.
        trust=("127.0.0.1",) if demo.role == "aggregator" else (),
    )


async def _open(demo: DemoNode, config: Config, areas: AreaIndex, seed: int) -> Node:
    node = await open_node(config)
    await ensure_node_key(node)
    if demo.municipality and not any((await counts(node)).values()):
        await _load(node, areas, demo, seed)
    return node


async def run_demo(args: argparse.Namespace) -> int:
    plan: tuple[DemoNode, ...] = FEDERATION
    if not args.federation:
        plan = (DemoNode("node", "Sportnode demo", args.municipality, organisations=args.organisations,
                         activities=args.activities),)
    ports = {demo.slug: args.port + i for i, demo in enumerate(plan)}
    areas = load_area_index()
    nodes: list[Node] = []
    try:
        for demo in plan:
            folder = args.dir / demo.slug if args.federation else args.dir
            node = await _open(demo, _config(demo, folder, ports[demo.slug], ports), areas, args.seed)
            if not args.federation:
                place = areas.municipalities[args.municipality].name
                node.config = replace(node.config, name=f"Sportnode demo: {place}")
            nodes.append(node)
            found = await counts(node)
            say(f"{demo.name}: " + ", ".join(f"{n} {kind}" for kind, n in found.items()))
        if args.load_only:
            return 0

        def ready() -> None:
            for demo, node in zip(plan, nodes, strict=True):
                role = " (aggregator)" if demo.role == "aggregator" else ""
                say(f"{demo.name}{role}: {node.config.base_url}/")

        await serve_many([(node, "127.0.0.1", ports[demo.slug]) for demo, node in zip(plan, nodes, strict=True)],
                         ready)
    finally:
        for node in nodes:
            await node.close()
    return 0
