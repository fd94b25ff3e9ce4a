"""What /metrics and /readyz read from the database at scrape time: the delivery queue per host, and
the schema version."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import aiosqlite


@dataclass
class HostQueue:
    """One receiving host's part of the delivery queue."""

    pending: int = 0
    retrying: int = 0  # pending deliveries that failed at least once
    oldest: str | None = None  # `created` of its oldest pending delivery (ISO 8601, UTC)
    given_up: int = 0  # deliveries abandoned after the last retry (failed_deliveries)


def _host(inbox: str) -> str:
    return urlsplit(inbox).netloc.lower() or "unknown"


async def delivery_queue(db: aiosqlite.Connection) -> dict[str, HostQueue]:
    """The queue by receiving host. Grouped by inbox in SQL (one row per follower inbox, few), by host here."""
    hosts: dict[str, HostQueue] = {}
    pending = """SELECT inbox, count(*), sum(attempts > 0), min(created) FROM deliveries GROUP BY inbox"""
    for inbox, count, retrying, oldest in await db.execute_fetchall(pending):
        entry = hosts.setdefault(_host(inbox), HostQueue())
        entry.pending += int(count)
        entry.retrying += int(retrying or 0)
        entry.oldest = oldest if entry.oldest is None else min(entry.oldest, oldest)
    for inbox, count in await db.execute_fetchall("SELECT inbox, count(*) FROM failed_deliveries GROUP BY inbox"):
        hosts.setdefault(_host(inbox), HostQueue()).given_up += int(count)
    return hosts


async def schema_version(db: aiosqlite.Connection) -> int:
    rows = list(await db.execute_fetchall("SELECT coalesce(max(version), 0) FROM schema_version"))
    return int(rows[0][0])
