"""Two levels of aggregation on loopback: four municipal nodes, two regional aggregators (one node
followed by both), one national aggregator. The national view is exactly the union of the nodes'
public objects, each stored once, and every change and delete reaches it through both levels."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import activity_input, place_input
from federation_net import Network, Peer, eventually, searched_ids

from node.federation import sync

TIMEOUT = 30.0


async def live_ids(peer: Peer, remote: bool) -> set[str]:
    where = "origin IS NOT NULL" if remote else "origin IS NULL"
    rows = await peer.query(f"SELECT id FROM objects WHERE deleted IS NULL AND {where}")
    return {row[0] for row in rows}


async def union(nodes: list[Peer]) -> set[str]:
    found: set[str] = set()
    for peer in nodes:
        found |= await live_ids(peer, remote=False)
    return found


@pytest.fixture
async def country(tmp_path: Path) -> AsyncIterator[tuple[Network, list[Peer], list[Peer], Peer]]:
    net = Network(tmp_path)
    nodes = [await net.add(f"gemeente{i}") for i in range(4)]
    for i, peer in enumerate(nodes):
        club = await net.organisation(peer, f"Sportclub {i}")
        place = await net.api(peer, "POST", "/api/places", club["headers"], place_input(name=f"Sporthal {i}"))
        for j in range(2):
            await net.api(peer, "POST", "/api/activities", club["headers"],
                          activity_input(place["id"], name=f"Activiteit {i}.{j}"))
    # The regions follow their nodes by configuration; gemeente2 is in both regions.
    regions = [
        await net.add("regio-noord", role="aggregator", follow=tuple(p.actor for p in nodes[:3])),
        await net.add("regio-zuid", role="aggregator", follow=tuple(p.actor for p in nodes[2:])),
    ]
    # The national aggregator fetches what the regions announce from the nodes themselves: it trusts
    # their host (all on 127.0.0.1 here), since it follows only the regions.
    national = await net.add("landelijk", role="aggregator", follow=tuple(r.actor for r in regions),
                             trust=("127.0.0.1",))
    yield net, nodes, regions, national
    await net.close()


async def _national_has(national: Peer, wanted: set[str]) -> bool:
    return await live_ids(national, remote=True) == wanted


async def test_the_national_view_is_the_union_and_follows_every_change(
    country: tuple[Network, list[Peer], list[Peer], Peer],
) -> None:
    net, nodes, regions, national = country
    wanted = await union(nodes)
    assert len(wanted) == 4 * (1 + 1 + 2)
    await eventually(lambda: _national_has(national, wanted), TIMEOUT, "the national view to be the union")
    # The national query answers exactly the union of the nodes' public objects, each once.
    answered = await searched_ids(net, national)
    assert sorted(answered) == sorted(wanted)
    # Stored once, with both paths recorded for the node that is in both regions.
    shared = next(i for i in await live_ids(nodes[2], remote=False))
    rows = await national.query("SELECT count(*) FROM objects WHERE id = ?", shared)
    assert rows == [(1,)]
    # The second region's path may arrive after the first made the view whole: wait for it.
    async def both_paths() -> bool:
        [(origin, via)] = await national.query("SELECT origin, via FROM provenance WHERE object_id = ?", shared)
        return bool(origin == nodes[2].base + "/" and set(json.loads(via)) == {r.actor for r in regions})

    await eventually(both_paths, TIMEOUT, "both regions in the provenance")

    # An update and a delete at a municipal node reach the nation through both levels.
    club = await net.organisation(nodes[0], "Zwemvereniging De Golf")
    place = await net.api(nodes[0], "POST", "/api/places", club["headers"], place_input(name="Zwembad"))
    swim = await net.api(nodes[0], "POST", "/api/activities", club["headers"],
                         activity_input(place["id"], name="Banenzwemmen"))
    await eventually(lambda: _document(national, swim["id"]), TIMEOUT, "the new activity at the nation")
    key = swim["id"].rsplit("/", 1)[1]
    await net.api(nodes[0], "PUT", f"/api/activities/{key}", club["headers"],
                  activity_input(place["id"], name="Banenzwemmen voor 65-plussers"))
    await eventually(lambda: _named(national, swim["id"], "Banenzwemmen voor 65-plussers"), TIMEOUT, "the update")
    await net.api(nodes[0], "DELETE", f"/api/activities/{key}", club["headers"])
    await eventually(lambda: _gone(national, swim["id"]), TIMEOUT, "the delete at the nation")
    await eventually(lambda: _national_has(national, wanted | {club["id"], place["id"]}), TIMEOUT, "the union again")


async def _document(peer: Peer, object_id: str) -> dict[str, Any] | None:
    rows = await peer.query("SELECT document FROM objects WHERE id = ? AND deleted IS NULL", object_id)
    return json.loads(rows[0][0]) if rows else None


async def _named(peer: Peer, object_id: str, name: str) -> bool:
    document = await _document(peer, object_id)
    return bool(document and document["name"] == name)


async def _gone(peer: Peer, object_id: str) -> bool:
    return await peer.query("SELECT 1 FROM objects WHERE id = ? AND deleted IS NOT NULL", object_id) != []


async def test_an_aggregator_cannot_claim_a_nodes_object(
    country: tuple[Network, list[Peer], list[Peer], Peer],
) -> None:
    net, nodes, regions, national = country
    wanted = await union(nodes)
    await eventually(lambda: _national_has(national, wanted), TIMEOUT, "the national view")
    victim = sorted(await live_ids(nodes[0], remote=False))[0]
    before = await _document(national, victim)
    assert before is not None
    forged = {**before, "name": "Overgenomen door de regio"}
    for kind in ("Update", "Delete"):
        activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{regions[0].base}/ap/f{kind}",
                    "type": kind, "actor": regions[0].actor, "object": forged if kind == "Update" else victim}
        status, text = await net.signed_post(national, activity, regions[0])
        assert status == 403, text
    assert await _document(national, victim) == before


async def test_reconcile_repairs_what_a_down_aggregator_missed(
    country: tuple[Network, list[Peer], list[Peer], Peer],
) -> None:
    net, nodes, regions, national = country
    wanted = await union(nodes)
    await eventually(lambda: _national_has(national, wanted), TIMEOUT, "the national view")
    await national.stop()
    club = await net.organisation(nodes[3], "Atletiekvereniging Zuid")
    await eventually(lambda: _document(regions[1], club["id"]), TIMEOUT, "the region to have it")
    await national.start()
    # The region's Announce to the nation failed and waits for its retry (minutes away): the nation's
    # reconcile reads on in the region's outbox and repairs the gap now.
    assert await _document(national, club["id"]) is None
    # Reconcile may hand part of the repair to a background read of the origin's outbox, so the view
    # is checked, not the count reconcile returns.
    await sync.reconcile_all(national.running)
    await eventually(lambda: _document(national, club["id"]), TIMEOUT, "reconcile to repair the gap")
    assert await live_ids(national, remote=True) == await union(nodes)
