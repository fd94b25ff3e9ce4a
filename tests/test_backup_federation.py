"""A regional aggregator that lost its disk is restored from an older backup: its reconcile reads on in
the followed node's outbox from where the backup stood, so it catches up with everything it missed,
and the node that follows it ends up with each object once, none missing, none doubled."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import activity_input, place_input
from federation_net import Network, Peer, eventually, searched_ids

from node.federation import sync
from node.services import backup
from node.store.backup import SEQUENCE_JUMP

TIMEOUT = 30.0


async def live(peer: Peer, *, remote: bool) -> dict[str, str]:
    """id -> document of the live objects a peer holds (its own, or those of other hosts)."""
    where = "origin IS NOT NULL" if remote else "origin IS NULL"
    found = await peer.query(f"SELECT id, document FROM objects WHERE deleted IS NULL AND {where}")
    return {object_id: json.loads(document)["name"] for object_id, document in found}


async def searched(net: Network, peer: Peer) -> list[str]:
    return sorted(await searched_ids(net, peer))


async def test_an_aggregator_restored_from_an_older_backup_catches_up_and_its_followers_get_no_duplicates(
    tmp_path: Path,
) -> None:
    net = Network(tmp_path)
    try:
        origin = await net.add("gemeente")
        club = await net.organisation(origin, "Sportclub Oost")
        place = await net.api(origin, "POST", "/api/places", club["headers"], place_input(name="Sporthal Oost"))
        first = await net.api(origin, "POST", "/api/activities", club["headers"],
                              activity_input(place["id"], name="Ochtendgym"))
        region = await net.add("regio", role="aggregator", follow=(origin.actor,))
        # It fetches what the region announces from the origin itself, so it trusts the origin's host.
        country = await net.add("landelijk", role="aggregator", follow=(region.actor,), trust=("127.0.0.1",))

        async def holds(peer: Peer) -> bool:
            return await live(peer, remote=True) == await live(origin, remote=False)

        await eventually(lambda: holds(country), TIMEOUT, "the country to hold the origin's objects")
        older = tmp_path / "regio-older.tar"
        await backup.create(region.config, older)  # while the region runs

        # After the backup: new objects, a change and a delete, all relayed to the country.
        later = [await net.api(origin, "POST", "/api/activities", club["headers"],
                               activity_input(place["id"], name=f"Avondtraining {i}")) for i in range(3)]
        key = first["id"].rsplit("/", 1)[1]
        await net.api(origin, "PUT", f"/api/activities/{key}", club["headers"],
                      activity_input(place["id"], name="Ochtendgym voor 65-plussers"))
        await net.api(origin, "DELETE", f"/api/activities/{later[0]['id'].rsplit('/', 1)[1]}", club["headers"])
        await eventually(lambda: holds(region), TIMEOUT, "the region to have the changes")
        await eventually(lambda: holds(country), TIMEOUT, "the country to have the changes")
        country_before = await searched(net, country)
        [(outbox_seq,)] = await region.query("SELECT max(seq) FROM outbox")

        # The region loses its disk and comes back from the older backup.
        await region.stop()
        await backup.restore(region.config, older, force=True)
        await region.start()
        behind = await live(region, remote=True)
        assert later[1]["id"] not in behind and behind[first["id"]] == "Ochtendgym"

        await sync.reconcile_all(region.running)
        await eventually(lambda: holds(region), TIMEOUT, "the restored region to catch up by reconcile")
        assert (await live(region, remote=True))[first["id"]] == "Ochtendgym voor 65-plussers"
        assert later[0]["id"] not in await live(region, remote=True)
        # Its own outbox numbers go on past any the lost database gave out, so followers reading on
        # from their saved page skip nothing.
        [(restored_seq,)] = await region.query("SELECT max(seq) FROM outbox")
        assert restored_seq > outbox_seq + SEQUENCE_JUMP - 1

        # The region re-announces what it caught up with; the country already held it.
        await eventually(lambda: _drained(region), TIMEOUT, "the region's deliveries to be done")
        await sync.reconcile_all(country.running)
        assert await holds(country)
        after = await searched(net, country)
        assert after == country_before == sorted(await live(origin, remote=False))
        assert len(after) == len(set(after))
        assert await country.query("SELECT count(*) FROM objects WHERE deleted IS NULL") == [(len(after),)]
    finally:
        await net.close()


async def _drained(peer: Peer) -> bool:
    return await peer.query("SELECT count(*) FROM deliveries") == [(0,)]
