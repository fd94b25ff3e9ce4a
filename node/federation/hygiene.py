"""Pruning the federation tables (a job of node/jobs/scheduler.py) and retrying failed deliveries.

`inbox_seen` holds the id of every inbound activity applied, so that a redelivery changes nothing. A
sender retries for a week or so (Mastodon about a week, our own worker about 9 days), so ids are kept
for INBOX_SEEN_DAYS, well past that; a replay after that would be re-applied, which changes nothing
either, since a stored object is replaced only by a newer one. `failed_deliveries` is for the operator
to look at (`sportnode deliveries list`) and retry: kept FAILED_DELIVERY_DAYS.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from node.services.node import Node, iso
from node.store.hygiene import prune_failed_deliveries, prune_inbox_seen

log = logging.getLogger(__name__)

INBOX_SEEN_DAYS = 30
FAILED_DELIVERY_DAYS = 30


async def prune(node: Node) -> tuple[int, int]:
    """Drop what is older than the periods above; (inbox ids, failed deliveries) dropped."""
    now = node.clock()
    seen_before = iso(now - timedelta(days=INBOX_SEEN_DAYS))
    failed_before = iso(now - timedelta(days=FAILED_DELIVERY_DAYS))

    async with node.db.write() as db:
        done = await prune_inbox_seen(db, seen_before), await prune_failed_deliveries(db, failed_before)
    if any(done):
        log.info("pruned %d inbound activity ids and %d failed deliveries", *done)
    return done
