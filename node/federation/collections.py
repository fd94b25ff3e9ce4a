"""The outbox and followers collections of our actors, paged with cursors."""

from __future__ import annotations

import json
import re
from typing import Any

from node.errors import bad_request, not_found
from node.protocol.objects import collection_page, ordered_collection
from node.services.node import Node
from node.store import federation as store
from node.store.objects import get_object

OUTBOX_PAGE = 100
FOLLOWERS_PAGE = 100


async def local_actor(node: Node, slug: str | None) -> str:
    """The node actor (slug None) or a live organisation of ours, or 404."""
    if slug is None:
        return node.config.node_id
    actor_id = node.object_url("organisation", slug)
    async with node.db.read() as db:
        found = await get_object(db, actor_id)
    if found is None or found.deleted or found.origin is not None:
        raise not_found(f"There is no organisation {slug!r} on this node.")
    return actor_id


def _cursor(raw: str | None, name: str) -> int | None:
    if raw is None:
        return None
    # ASCII digits only (str.isdigit() takes "²", which int() refuses), and few enough for SQLite's integers.
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        raise bad_request(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def _actor_base(node: Node, actor_id: str) -> str:
    return node.config.base_url if actor_id == node.config.node_id else actor_id


async def outbox(node: Node, actor_id: str, after_raw: str | None) -> str:
    """The node's outbox holds every public activity of the node; an organisation's, its own.
    Oldest first, so a follower that backfills applies changes in the order they were made.
    As JSON text: a page's activities are spliced in as stored (see `store.outbox_page`)."""
    url = f"{_actor_base(node, actor_id)}/outbox"
    actors = None if actor_id == node.config.node_id else [actor_id]
    after = _cursor(after_raw, "after")
    async with node.db.read() as db:
        if after is None:
            total = await store.count_outbox(db, actors)
            return json.dumps(ordered_collection(url, "Outbox", total, f"{url}?after=0"), ensure_ascii=False)
        rows = await store.outbox_page(db, actors, after, OUTBOX_PAGE)
    next_page = f"{url}?after={rows[-1][0]}" if len(rows) == OUTBOX_PAGE else None
    # Activities keep their addressing (collection_page would strip it from embedded objects).
    page = collection_page(f"{url}?after={after}", url, [], next_page, None)
    return json.dumps(page, ensure_ascii=False)[:-1] + ', "orderedItems": [' + ", ".join(t for _, t in rows) + "]}"


async def followers(node: Node, actor_id: str, page_raw: str | None) -> dict[str, Any]:
    url = f"{_actor_base(node, actor_id)}/followers"
    page = _cursor(page_raw, "page")
    async with node.db.read() as db:
        total = await store.count_followers(db, actor_id)
        if page is None or page < 1:
            return ordered_collection(url, "Followers", total, f"{url}?page=1")
        offset = (page - 1) * FOLLOWERS_PAGE
        ids = await store.list_followers(db, actor_id, offset, FOLLOWERS_PAGE) if offset < total else []
    next_page = f"{url}?page={page + 1}" if page * FOLLOWERS_PAGE < total else None
    prev_page = f"{url}?page={page - 1}" if page > 1 else None
    document = collection_page(f"{url}?page={page}", url, [], next_page, prev_page)
    document["orderedItems"] = ids
    return document


async def activity(node: Node, key: str) -> dict[str, Any]:
    async with node.db.read() as db:
        found = await store.get_outbox_activity(db, node.activity_url(key))
        public = found is not None and await store.is_public_activity(db, node.activity_url(key))
    if found is None or not public:
        raise not_found()
    return found
