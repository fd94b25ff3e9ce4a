"""Storing a page of remote objects at once (`remote_objects.store_all`, as backfill and origin syncs
do): the outcome is that of storing them one by one, in order, on a real node's SQLite file."""

from __future__ import annotations

from typing import Any

import pytest

from node.errors import SportnodeError
from node.federation import remote_objects
from node.federation.remote_objects import Prepared
from node.protocol.objects import place_document
from node.services.node import Node
from node.store.federation import get_provenance
from node.store.objects import get_object

PEER = "https://zwolle.example"
OWNER = f"{PEER}/organisations/de-zwaluwen"
REGION = "https://regio.example/"


def place(key: str, name: str, updated: str) -> dict[str, Any]:
    return place_document(
        {"name": name, "address": {"streetAddress": "Sportlaan 12", "postalCode": "8011 AB",
                                   "addressLocality": "Zwolle"},
         "latitude": 52.51, "longitude": 6.09, "municipalityCode": "GM0193"},
        object_id=f"{PEER}/places/{key}", owner=OWNER, accessibility=[],
        published="2026-01-01T10:00:00Z", updated=updated,
    )


def prepared(node: Node, document: dict[str, Any], via: str = "") -> Prepared:
    mapped = remote_objects.map_object(node, document, PEER + "/", "/object", via or PEER + "/")
    assert mapped is not None
    return mapped


def gone(object_id: str) -> Prepared:
    return Prepared("", {"id": object_id}, "", PEER + "/", PEER + "/", gone=True, former_type="Place")


async def test_a_page_applies_in_order_and_counts_what_changed(node: Node) -> None:
    first = place("zuid", "Sporthal Zuid", "2026-01-02T10:00:00Z")
    renamed = place("zuid", "Sporthal Zuid (nieuw)", "2026-01-03T10:00:00Z")
    older = place("zuid", "Sporthal Zuid (oud)", "2026-01-01T12:00:00Z")
    other = place("noord", "Sporthal Noord", "2026-01-02T10:00:00Z")
    page = [prepared(node, first), prepared(node, renamed), prepared(node, older), prepared(node, other),
            gone(other["id"]), prepared(node, first)]
    async with node.db.write() as db:
        changed = await remote_objects.store_all(db, node, page, announce=False)
    # zuid twice (the older version and the repeat are no change), noord stored and then buried.
    assert changed == 4
    async with node.db.read() as db:
        zuid = await get_object(db, first["id"])
        noord = await get_object(db, other["id"])
    assert zuid is not None and zuid.document["name"] == "Sporthal Zuid (nieuw)" and zuid.origin == PEER + "/"
    assert noord is not None and noord.deleted is not None


async def test_provenance_keeps_every_path_once(node: Node) -> None:
    document = place("zuid", "Sporthal Zuid", "2026-01-02T10:00:00Z")
    async with node.db.write() as db:
        await remote_objects.store_all(db, node, [prepared(node, document)], announce=False)
    async with node.db.read() as db:
        before = await get_provenance(db, document["id"])
    async with node.db.write() as db:
        changed = await remote_objects.store_all(
            db, node, [prepared(node, document, via=REGION), prepared(node, document)], announce=False)
    async with node.db.read() as db:
        after = await get_provenance(db, document["id"])
    assert changed == 0  # the same object along another path is no change of the object
    assert before is not None and after is not None
    assert before["via"] == [PEER + "/"] and after["via"] == [PEER + "/", REGION]
    assert after["origin"] == PEER + "/" and after["firstSeen"] == before["firstSeen"]


async def test_an_id_of_our_own_is_refused_or_skipped(node: Node) -> None:
    ours = place("zuid", "Sporthal Zuid", "2026-01-02T10:00:00Z")
    async with node.db.write() as db:
        await db.execute(
            "INSERT INTO objects (id, kind, owner, document, published, updated) VALUES (?, 'place', ?, '{}', ?, ?)",
            (ours["id"], OWNER, ours["published"], ours["updated"]))
    newer = prepared(node, place("zuid", "Overgenomen", "2026-02-01T10:00:00Z"))
    with pytest.raises(SportnodeError) as refused:
        async with node.db.write() as db:
            await remote_objects.store_all(db, node, [newer], announce=False)
    assert refused.value.status == 403
    other = place("noord", "Sporthal Noord", "2026-01-02T10:00:00Z")
    async with node.db.write() as db:
        changed = await remote_objects.store_all(db, node, [newer, prepared(node, other)], announce=False,
                                                 skip_refused=True)
    async with node.db.read() as db:
        kept = await get_object(db, ours["id"])
        provenance = await get_provenance(db, ours["id"])
    assert changed == 1
    assert kept is not None and kept.origin is None and kept.document == {}
    assert provenance is None
