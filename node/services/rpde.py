"""The node's OpenActive open data: RPDE feed pages and the Dataset Site document.

Ordering is RPDE's "modified + id": `modified` is the change sequence number that the store's triggers
keep (never going backwards, unique per change), `id` the item's id; `next` is built from the last item
of the page. Changes of the last 2 seconds are held back, as the RPDE guidance asks of timestamp feeds
(our single writer already commits in sequence order; the hold-back also covers a wall clock that steps).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from node.config import Config
from node.errors import bad_request
from node.paths import project_root
from node.protocol.openactive import (
    FEEDS,
    ActivityConcept,
    MappingContext,
    activity_concepts,
    activity_list_labels,
    dataset,
    feed_items,
    next_url,
    rpde_page,
)
from node.services.node import Node
from node.store.rpde import documents_by_id, feed_rows, last_change

log = logging.getLogger(__name__)

HOLD_BACK_MS = 2000
PAGE_SIZE = 500  # what the RPDE validator recommends as a minimum
ACTIVITY_LIST_ENV = "SPORTNODE_ACTIVITY_LIST"
FEED_PATH = "/openactive"


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after the item with this `modified` and `id`."""

    after_timestamp: int
    after_id: str


def parse_cursor(after_timestamp: str | None, after_id: str | None) -> Cursor | None:
    if after_timestamp is None and after_id is None:
        return None
    if after_timestamp is None or after_id is None:
        raise bad_request("afterTimestamp and afterId go together: give both or neither")
    if not re.fullmatch(r"[0-9]{1,18}", after_timestamp):  # not isdigit(): it takes "²", which int() refuses
        raise bad_request(f"afterTimestamp must be a whole number, not {after_timestamp!r}")
    return Cursor(int(after_timestamp), after_id)


def activity_list_path(config: Config | None = None) -> Path | None:
    """Where the OpenActive Activity List is read from: the config's `[openactive] activity_list`, else
    $SPORTNODE_ACTIVITY_LIST, else ../shared beside the checkout (where development and CI keep it; the
    list may not be copied into the project)."""
    if config is not None and config.activity_list is not None:
        return config.activity_list
    configured = os.environ.get(ACTIVITY_LIST_ENV)
    if configured:
        return Path(configured)
    default = project_root().parent / "shared" / "data" / "openactive" / "activity-list.jsonld"
    return default if default.is_file() else None


def load_activity_concepts(node: Node, path: Path | None) -> dict[str, ActivityConcept]:
    """Our sports -> OpenActive concepts; without a readable Activity List the links are taken on trust."""
    labels: dict[str, str] | None = None
    if path is not None:
        try:
            labels = activity_list_labels(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:
            log.warning("OpenActive Activity List at %s not usable (%s); labels will be our own", path, error)
    else:
        log.warning("no OpenActive Activity List (set %s); labels will be our own", ACTIVITY_LIST_ENV)
    return activity_concepts(node.vocabulary.sports, labels)


def feed_url(node: Node, feed: str) -> str:
    return f"{node.config.base_url}{FEED_PATH}/{feed}"


def _after(item: Mapping[str, Any], cursor: Cursor | None) -> bool:
    return cursor is None or (int(item["modified"]), str(item["id"])) > (cursor.after_timestamp, cursor.after_id)


async def feed_page(
    node: Node,
    feed_name: str,
    cursor: Cursor | None,
    *,
    own_url: str,
    activities: Mapping[str, ActivityConcept],
    page_size: int = PAGE_SIZE,
    now_ms: int | None = None,
    remote: bool = False,
) -> dict[str, Any]:
    """One RPDE page of `feed_name` after `cursor`; `own_url` is the URL this page was asked for.

    The last page (no items) has `next` equal to `own_url`, so a consumer polls it until changes come.
    """
    feed = FEEDS[feed_name]
    # The node's clock (injectable), not time.time(): a test moves it past the hold-back instead of sleeping.
    cutoff = (now_ms if now_ms is not None else int(node.clock().timestamp() * 1000)) - HOLD_BACK_MS
    provinces = {code: m.province_name for code, m in node.areas.municipalities.items()}
    items: list[dict[str, Any]] = []
    from_seq = cursor.after_timestamp if cursor else 0
    async with node.db.read() as db:
        while len(items) < page_size:
            # One row gives at least one item, but the row at the cursor may give none (already seen).
            wanted = page_size - len(items) + 1
            rows = await feed_rows(
                db, feed.name, from_seq=from_seq, limit=wanted, held_back_after_ms=cutoff, remote=remote
            )
            owners = [r.object.document.get("attributedTo") for r in rows]
            organisations = await documents_by_id(db, [o for o in owners if isinstance(o, str)])
            context = MappingContext(activities, organisations, provinces)
            for row in rows:
                items.extend(
                    item for item in feed_items(feed, row.seq, row.width, row.object.document, context)
                    if _after(item, cursor)
                )
            if len(rows) < wanted:
                break
            from_seq = rows[-1].seq + 1
    items = items[:page_size]
    if not items:
        return rpde_page([], own_url)
    last = items[-1]
    return rpde_page(items, next_url(feed_url(node, feed.name), int(last["modified"]), str(last["id"])))


async def dataset_document(node: Node) -> dict[str, Any]:
    """The Dataset that the node's Dataset Site embeds."""
    base = node.config.base_url
    newest = 0
    async with node.db.read() as db:
        for name in FEEDS:
            found = await last_change(db, name)
            newest = max(newest, found[1] if found else 0)
    modified = datetime.fromtimestamp(newest / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if newest else None
    return dataset(
        dataset_id=f"{base}{FEED_PATH}",
        name=f"{node.config.name}: sport- en beweegaanbod",
        description=(
            f"Het lokale sport- en beweegaanbod van {node.config.name}: wekelijkse en eenmalige activiteiten, "
            "cursussen, locaties en organisaties, als OpenActive open data (RPDE-feeds)."
        ),
        feeds={name: feed_url(node, name) for name in FEEDS},
        publisher_name=node.config.name,
        publisher_url=f"{base}/",
        logo_url=f"{base}{FEED_PATH}/logo.svg",
        documentation_url="https://developer.openactive.io/",
        discussion_url=f"{base}{FEED_PATH}#contact",
        date_modified=modified,
    )
