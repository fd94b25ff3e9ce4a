"""An aggregator announces what it backfills as a whole: one Announce of the node's actor, not one per
object; its followers read that node's outbox themselves, from the node's own host, and a read cut
short is finished by the next reconcile."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import activity_input, place_input
from federation_net import Network, Peer, eventually

from node.federation import sync

TIMEOUT = 30.0


async def live_ids(peer: Peer, remote: bool) -> set[str]:
    where = "origin IS NOT NULL" if remote else "origin IS NULL"
    return {row[0] for row in await peer.query(f"SELECT id FROM objects WHERE deleted IS NULL AND {where}")}


@pytest.fixture
async def chain(tmp_path: Path) -> AsyncIterator[tuple[Network, Peer, Peer, Peer]]:
    net = Network(tmp_path)
    node = await net.add("gemeente")
    club = await net.organisation(node, "Sportclub")
    place = await net.api(node, "POST", "/api/places", club["headers"], place_input())
    for j in range(3):
        await net.api(node, "POST", "/api/activities", club["headers"], activity_input(place["id"], name=f"A {j}"))
    region = await net.add("regio", role="aggregator", follow=(node.actor,))
    national = await net.add("landelijk", role="aggregator", follow=(region.actor,), trust=("127.0.0.1",))
    yield net, node, region, national
    await net.close()


async def _settled(*peers: Peer) -> bool:
    for peer in peers:
        if peer.running.background or await peer.query("SELECT 1 FROM deliveries WHERE attempts = 0 LIMIT 1"):
            return False
    return True


async def _has(peer: Peer, wanted: set[str]) -> bool:
    return await live_ids(peer, remote=True) == wanted


async def test_a_backfill_is_announced_once_and_read_from_the_origin(chain: tuple[Network, Peer, Peer, Peer]) -> None:
    net, node, region, national = chain
    wanted = await live_ids(node, remote=False)
    await eventually(lambda: _has(national, wanted), TIMEOUT, "the national view")
    announces = await region.query("SELECT object_id FROM outbox WHERE type = 'Announce'")
    assert announces == [(node.actor,)]
    rows = await national.query("SELECT origin, via, done IS NOT NULL FROM origin_syncs")
    assert rows == [(node.actor, region.actor, 1)]
    for object_id in wanted:
        [(origin, via)] = await national.query("SELECT origin, via FROM provenance WHERE object_id = ?", object_id)
        assert origin == node.base + "/" and json.loads(via) == [region.actor]

    # Live changes after the backfill are still announced one by one.
    club = await net.organisation(node, "Zwemclub")
    await eventually(lambda: _has(national, wanted | {club["id"]}), TIMEOUT, "the new organisation")
    assert (club["id"],) in await region.query("SELECT object_id FROM outbox WHERE type = 'Announce'")


async def test_a_cut_short_origin_sync_is_finished_by_reconcile(chain: tuple[Network, Peer, Peer, Peer]) -> None:
    _net, node, region, national = chain
    wanted = await live_ids(node, remote=False)
    await eventually(lambda: _has(national, wanted), TIMEOUT, "the national view")
    # Let every delivery and background read settle first, so that nothing refills the view behind the
    # test's back (the assertion below counts what reconcile itself applies).
    await eventually(lambda: _settled(region, national), TIMEOUT, "queues and background work to settle")
    # As if the national node died in the middle of reading the outbox: nothing of it is held, the
    # read is pending again.
    async with national.running.db.write() as db:
        await db.execute("DELETE FROM objects WHERE origin IS NOT NULL")
        await db.execute("UPDATE origin_syncs SET done = NULL, cursor = NULL")
    assert await live_ids(national, remote=True) == set()
    # Reconcile repairs it: by the region's outbox it may start the origin's read in the background
    # (then it counts nothing itself), so wait for the view rather than count. Nothing else is in
    # flight (settled above), so what comes back is reconcile's doing.
    await sync.reconcile_all(national.running)
    await eventually(lambda: _has(national, wanted), TIMEOUT, "reconcile to repair the national view")
    await eventually(lambda: _settled(national), TIMEOUT, "the repair to finish")
    assert await national.query("SELECT count(*) FROM origin_syncs WHERE done IS NULL") == [(0,)]
