"""The delivery worker: sends what the durable queue (`deliveries`) holds, with exponential backoff.

Each queue row is one (activity, inbox) pair, and each is sent on its own task, so a dead or slow host
only ever holds up its own rows. A row leaves the queue only after the inbox answered 2xx (delivered) or
a 4xx that retrying cannot change (refused), or after the last retry, so a crash at any point means
the row is sent again after the restart; receivers are idempotent by activity id.

Time comes from the node's clock (injectable in tests); the worker wakes on every commit (new rows)
and otherwise polls, so a clock moved forward by a test is noticed within one poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import aiosqlite

from node.services.http import FetchError
from node.services.node import Node, iso
from node.store import access
from node.store.federation import Delivery, delivered, due_deliveries, give_up, retry_later

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(days=1)
MAX_ATTEMPTS = 16  # about 1 + 2 + 4 + ... minutes, then daily: roughly 9 days in all
# 4xx that say "not now" rather than "never".
RETRYABLE_CLIENT_ERRORS = {408, 425, 429}


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 1, 2, 4, ... minutes, at most a day."""
    wait: timedelta = FIRST_RETRY * (2 ** min(attempts - 1, 20))
    return min(wait, LONGEST_WAIT)


class DeliveryWorker:
    # 96 in flight (4 at most to one host): a fan-out to 342 inboxes, each its own host, took 1.4 s at
    # 32 and 0.9-1.0 s at 96 in the same run (bench fan-out); a delivery mostly waits for its peer.
    def __init__(self, node: Node, *, concurrency: int = 96, per_host: int = 4, poll_seconds: float = 1.0) -> None:
        self.node = node
        self.concurrency = concurrency
        self.per_host = per_host
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._keys: dict[str, access.KeyPair] = {}
        node.db.on_commit(self._wake.set)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled."""
        try:
            while True:
                self._wake.clear()
                started = await self._start_due()
                if not started:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that
                    # arrives as the wake-up does, and the worker then never stops (a node hung at shutdown).
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.poll_seconds):
                            await self._wake.wait()
                elif len(self._in_flight) >= self.concurrency:
                    await asyncio.wait(list(self._in_flight.values()), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in self._in_flight.values():
                task.cancel()
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def drain(self) -> None:
        """Send everything due now and wait for the answers (for the CLI and tests)."""
        while await self._start_due() or self._in_flight:
            if self._in_flight:
                await asyncio.wait(list(self._in_flight.values()), return_when=asyncio.FIRST_COMPLETED)

    async def _start_due(self) -> int:
        room = self.concurrency - len(self._in_flight)
        if room <= 0:
            return 0
        async with self.node.db.read() as db:
            due = await due_deliveries(db, self.node.now(), room + len(self._in_flight))
        fresh = [d for d in due if d.id not in self._in_flight][:room]
        for item in fresh:
            task = asyncio.create_task(self._deliver(item))
            self._in_flight[item.id] = task
            task.add_done_callback(self._finished(item.id))
        return len(fresh)

    def _finished(self, key: int) -> Callable[[asyncio.Task[None]], None]:
        def forget(_task: asyncio.Task[None]) -> None:
            self._in_flight.pop(key, None)

        return forget

    async def _signer(self, actor_id: str) -> access.KeyPair | None:
        if actor_id not in self._keys:
            async with self.node.db.read() as db:
                pair = await access.get_key(db, actor_id)
            if pair is None:
                return None
            self._keys[actor_id] = pair
        return self._keys[actor_id]

    async def _key_changed(self, actor_id: str, used: access.KeyPair) -> bool:
        self._keys.pop(actor_id, None)
        fresh = await self._signer(actor_id)
        return fresh is not None and fresh.private_pem != used.private_pem

    async def _deliver(self, item: Delivery) -> None:
        host = urlsplit(item.inbox).netloc
        semaphore = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        async with semaphore:
            outcome, error = await self._attempt(item)

        step, retry_at = self._next_step(item, outcome, error)

        async def record(db: aiosqlite.Connection) -> None:
            if step == "delivered":
                await delivered(db, item.id)
            elif retry_at is None:
                await give_up(db, item, error, self.node.now())
            else:
                await retry_later(db, item.id, item.attempts + 1, retry_at, error)

        # Grouped: the results of a fan-out arrive together and share one transaction (one commit for
        # many, not one each); a row leaves the queue only here, after the peer's answer.
        await self.node.db.grouped_write(record)

    def _next_step(self, item: Delivery, outcome: str, error: str) -> tuple[str, str | None]:
        """The row's next step: delivered, given up, or retry (and when). Logged here, once: the grouped
        write that records it may run twice."""
        if outcome == "delivered":
            return "delivered", None
        if outcome == "refused" or item.attempts + 1 >= MAX_ATTEMPTS:
            log.warning("giving up delivering %s to %s: %s", item.activity_id, item.inbox, error)
            return "given up", None
        wait = backoff(item.attempts + 1)
        later: datetime = self.node.clock() + wait
        log.info("delivery of %s to %s failed (%s); retry in %s", item.activity_id, item.inbox, error, wait)
        return "retry", iso(later)

    async def _attempt(self, item: Delivery) -> tuple[str, str]:
        signer = await self._signer(item.signer)
        if signer is None:
            return "refused", f"no key for {item.signer}"
        try:
            status, text = await self.node.http.post_activity(item.inbox, item.body.encode(), signer)
        except FetchError as error:
            return "retry", str(error)
        if status == 401 and await self._key_changed(item.signer, signer):
            # Rotated (`sportnode keys rotate`, maybe by another process) since it was cached: once more.
            return await self._attempt(item)
        if 200 <= status < 300:
            return "delivered", ""
        answer = f"HTTP {status}: {text[:200]}"
        if 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS:
            return "refused", answer
        return "retry", answer
