"""Reading published objects and collections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from node.errors import bad_request, not_found
from node.protocol.objects import collection_page, node_document, ordered_collection
from node.services.keys import ensure_key, new_key_pair
from node.services.node import KINDS, Node
from node.store import access
from node.store.objects import StoredObject, count_all, count_current, get_object, list_current
from node.store.query import count_current_by_kind

PAGE_SIZE = 50
COLLECTION_NAMES = {
    "organisation": "Organisaties",
    "place": "Locaties",
    "activity": "Activiteiten",
    "course": "Cursussen",
}


async def ensure_node_key(node: Node) -> access.KeyPair:
    async with node.db.read() as db:
        existing = await access.get_key(db, node.config.node_id)
    if existing:
        return existing
    pair = await new_key_pair(node.config.node_id)
    async with node.db.write() as db:
        return await ensure_key(db, pair, node.now())


async def the_node_document(node: Node) -> dict[str, Any]:
    pair = await ensure_node_key(node)
    return node_document(
        node_id=node.config.node_id,
        name=node.config.name,
        public_key_pem=pair.public_pem,
        collections={kind: node.collection_url(kind) for kind in KINDS},
        vocabulary=f"{node.config.base_url}/ns/context.jsonld",
    )


async def stored(node: Node, kind: str, key: str) -> StoredObject:
    """The object (live or Tombstone) at one of our URLs, or 404."""
    async with node.db.read() as db:
        found = await get_object(db, node.object_url(kind, key))
    if found is None or found.kind != kind:
        raise not_found()
    return found


async def counts(node: Node) -> dict[str, int]:
    """What the node holds per kind, as its home page shows it: public, live and current objects; on an
    aggregator those of the nodes it follows too (its own are usually none), on a node its own."""
    today = node.clock().date().isoformat()
    async with node.db.read() as db:
        found = await count_current_by_kind(db, today, local_only=not node.config.is_aggregator)
    return {kind: found.get(kind, 0) for kind in KINDS}


async def own_counts(node: Node) -> dict[str, int]:
    """This node's own live objects per kind (NodeInfo's users and local posts)."""
    async with node.db.read() as db:
        found = await count_all(db)
    return {kind: found.get(kind, 0) for kind in KINDS}


@dataclass(frozen=True)
class Page:
    document: dict[str, Any]
    items: list[StoredObject]
    number: int
    last: int


def parse_page(raw: str | None) -> int | None:
    if raw is None:
        return None
    # ASCII digits only (str.isdigit() takes "²", which int() refuses), and few enough for SQLite's integers.
    if not re.fullmatch(r"[0-9]{1,18}", raw) or int(raw) < 1:
        raise bad_request(f"page must be a whole number from 1, not {raw!r}")
    return int(raw)


async def collection(node: Node, kind: str, page: int | None) -> Page:
    """The OrderedCollection (page None) or one OrderedCollectionPage of a kind's current objects."""
    url = node.collection_url(kind)
    today = node.clock().date().isoformat()
    async with node.db.read() as db:
        total = await count_current(db, kind, today)
        last = max(1, -(-total // PAGE_SIZE))
        if page is not None and page > last:  # before its offset is computed: it may not fit SQLite's integers
            raise not_found(f"This collection has {last} page(s).")
        offset = ((page or 1) - 1) * PAGE_SIZE
        items = await list_current(db, kind, today, offset=offset, limit=PAGE_SIZE) if page else []
    if page is None:
        document = ordered_collection(url, COLLECTION_NAMES[kind], total, f"{url}?page=1")
        return Page(document, [], 0, last)
    document = collection_page(
        f"{url}?page={page}",
        url,
        [i.document for i in items],
        f"{url}?page={page + 1}" if page < last else None,
        f"{url}?page={page - 1}" if page > 1 else None,
        total,
    )
    return Page(document, items, page, last)
