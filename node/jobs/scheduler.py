"""The node's periodic jobs (apscheduler), running beside the web app for as long as it is up.

- at start: follow what `[federation] follow` lists and the node does not follow yet;
- every `[federation] reconcile_minutes`: read on in every followed outbox, repairing missed deliveries;
- every PRUNE_HOURS: prune `inbox_seen` and `failed_deliveries` (federation/hygiene.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from node.errors import SportnodeError
from node.federation import follows, hygiene, sync
from node.services.http import FetchError
from node.services.node import Node
from node.store.federation import list_following

log = logging.getLogger(__name__)


async def follow_configured(node: Node) -> None:
    """Send a Follow for every configured target the node does not follow (or that rejected it) yet."""
    async with node.db.read() as db:
        settled = {f.remote_actor for f in await list_following(db) if f.state != "rejected"}
    for target in node.config.follow:
        if target in settled:
            continue
        try:
            actor = await follows.follow(node, target)
            log.info("following %s (from the config)", actor.id)
        except (FetchError, SportnodeError) as error:
            log.warning("cannot follow %s yet: %s", target, error)


PRUNE_HOURS = 6


async def _prune(node: Node) -> None:
    await hygiene.prune(node)


async def _reconcile(node: Node) -> None:
    count = await sync.reconcile_all(node)
    if count:
        log.info("reconcile applied %d activities", count)


# Told after each job run: (job name, seconds it took, whether it finished without an exception).
JobReport = Callable[[str, float, bool], None]


def _reported(name: str, job: Callable[[Node], Awaitable[None]], report: JobReport | None) -> Callable[[Node], Awaitable[None]]:
    if report is None:
        return job

    async def run(node: Node) -> None:
        started, ok = time.monotonic(), False
        try:
            await job(node)
            ok = True
        finally:
            report(name, time.monotonic() - started, ok)

    return run


async def running_jobs(node: Node, report: JobReport | None = None) -> AsyncIterator[None]:
    # A reconcile still running when the next is due is skipped on purpose (max_instances=1); apscheduler
    # would log each skip as a warning. Job failures are still logged, at error level.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    scheduler = AsyncIOScheduler(timezone="UTC")
    interval = timedelta(minutes=node.config.reconcile_minutes)
    follow = _reported("follow-configured", follow_configured, report)
    scheduler.add_job(follow, "date", args=[node], id="follow-configured")
    scheduler.add_job(follow, "interval", args=[node], seconds=interval.total_seconds(),
                      id="follow-configured-again", coalesce=True, max_instances=1)
    scheduler.add_job(_reported("reconcile", _reconcile, report), "interval", args=[node],
                      seconds=interval.total_seconds(), id="reconcile", coalesce=True, max_instances=1)
    # Not at start: a start opens no writer it does not need (start time, docs/benchmarks.md).
    scheduler.add_job(_reported("prune", _prune, report), "interval", args=[node], hours=PRUNE_HOURS, id="prune",
                      coalesce=True, max_instances=1)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)
