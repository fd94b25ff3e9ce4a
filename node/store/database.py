"""The SQLite database: one writer, a pool of readers, versioned migrations.

All writes go through one connection, one transaction at a time (an asyncio lock queues them), so
SQLite never sees two writers; readers use their own connections and, with WAL, never block the writer.

Small writes that arrive together (inbox activities, delivery results) share one transaction
(`grouped_write`, group commit). Measured on the inbox bench: one transaction each held the writer
~5 ms an activity, mostly waiting for turns of the busy event loop between the thread hops of BEGIN,
each statement and COMMIT, which bounded the inbox at ~150/s however many requests waited.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from node.errors import SportnodeError
from node.store import lock

PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON")
# The most grouped writes one transaction takes; the rest wait for the next (bounds a transaction's
# size and so how long the writer is held at a time).
GROUP_LIMIT = 128

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[aiosqlite.Connection], Awaitable[Any]]
Outcome = tuple[Any, BaseException | None]  # what a grouped work returned, or what it raised


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, SQL) for every file `NNNN_name.sql` in store/migrations, in order."""
    folder = resources.files("node.store") / "migrations"
    found = [
        (int(f.name.split("_", 1)[0]), f.name.removesuffix(".sql"), f.read_text(encoding="utf-8"))
        for f in folder.iterdir()
        if f.name.endswith(".sql")
    ]
    return sorted(found)


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) for every migration, in order."""
    return [(version, sql) for version, _, sql in migration_files()]


# What a migration reports: (its file name, seconds so far, finished). Called from SQLite's thread
# while it runs (every `progress_every` seconds), and once more when it is done.
Progress = Callable[[str, float, bool], None]


def log_progress(name: str, seconds: float, finished: bool) -> None:
    if finished:
        log.info("migration %s applied in %.2f s", name, seconds)
    else:
        log.info("migration %s still running after %.0f s ...", name, seconds)


async def _connect(path: Path, *, readonly: bool) -> aiosqlite.Connection:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    connection = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    connection.row_factory = aiosqlite.Row
    await connection.execute("PRAGMA busy_timeout=5000")
    if not readonly:
        for pragma in PRAGMAS:
            await connection.execute(pragma)
    return connection


@dataclass(eq=False)
class _Grouped:
    """One caller's part of a grouped write: its work, and the future its caller waits on."""

    work: Work
    done: asyncio.Future[Any]


class Database:
    # How often a long migration reports that it is still running: at most every `progress_every`
    # seconds, looked at every `progress_steps` SQLite virtual machine steps (a few ms of work).
    progress_every = 10.0
    progress_steps = 100_000

    def __init__(self, path: Path, readers: int = 3, progress: Progress | None = None) -> None:
        self.path = path
        self._progress = progress
        self._reader_count = readers
        self._writer: aiosqlite.Connection | None = None
        self._grouped: list[_Grouped] = []  # waiting for a transaction, in arrival order
        self._write_lock = asyncio.Lock()
        # Last in, first out: a quiet node keeps reusing one warm reader, and the others' page caches
        # (up to 2 MB each) are never filled (idle RSS, docs/benchmarks.md).
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.LifoQueue()
        self._all_readers: list[aiosqlite.Connection] = []
        self._commit_listeners: list[Callable[[], None]] = []
        self._lock_fd: int | None = None  # shared lock: `restore` must not replace an open database

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every committed write (the delivery worker wakes up on it)."""
        self._commit_listeners.append(listener)

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock_fd = lock.hold_shared(self.path)
        except lock.Busy:
            detail = f"{self.path} is being restored (`sportnode restore`); try again when that is done"
            raise SportnodeError(1, "restoring", detail) from None
        try:
            self._writer = await _connect(self.path, readonly=False)
            await self._migrate(self._writer)
        except BaseException:
            await self.close()
            raise
        # Statement journals in memory: each object written ran ~90 page writes to a temp file for the
        # triggers' statement journal (about 40% of an insert's cost, docs/benchmarks.md). Set after
        # the migrations, whose one-statement rebuilds of a large database may need more than memory.
        await self._writer.execute("PRAGMA temp_store=MEMORY")
        for _ in range(self._reader_count):
            reader = await _connect(self.path, readonly=True)
            self._all_readers.append(reader)
            self._readers.put_nowait(reader)

    async def close(self) -> None:
        for reader in self._all_readers:
            await reader.close()
        self._all_readers.clear()
        if self._writer is not None:
            await self._writer.execute("PRAGMA optimize")
            await self._writer.close()
            self._writer = None
        if self._lock_fd is not None:
            lock.release(self._lock_fd)
            self._lock_fd = None

    async def _migrate(self, connection: aiosqlite.Connection) -> None:
        await connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)")
        async with connection.execute("SELECT coalesce(max(version), 0) FROM schema_version") as cursor:
            row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        pending = [(version, name, sql) for version, name, sql in migration_files() if version > current]
        # An upgrade of a database that holds data is worth a line per migration (some rebuild large
        # tables and take minutes on a big aggregator); a new database only creates empty tables.
        report = self._progress or (log_progress if current else None)
        if pending and current:
            log.info("upgrading %s from schema %d to %d", self.path, current, pending[-1][0])
        for version, name, sql in pending:
            started = time.monotonic()
            if report is not None:
                await connection.set_progress_handler(self._ticker(report, name, started), self.progress_steps)
            try:
                # executescript commits first, so the migration and its version row go in one script.
                await connection.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nINSERT INTO schema_version VALUES ({version});\nCOMMIT;"
                )
            finally:
                if report is not None:
                    await connection.set_progress_handler(cast(Callable[[], int | None], None), 0)
            if report is not None:
                report(name, time.monotonic() - started, True)

    def _ticker(self, report: Progress, name: str, started: float) -> Callable[[], int]:
        """SQLite's progress handler: report every `progress_every` s."""
        last = [started]

        def tick() -> int:
            now = time.monotonic()
            if now - last[0] >= self.progress_every:
                last[0] = now
                report(name, now - started, False)
            return 0  # go on

        return tick

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One transaction on the writer; committed on success, rolled back on any exception."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")
        self._notify()

    def _notify(self) -> None:
        for listener in self._commit_listeners:
            listener()

    @property
    def waiting_writes(self) -> int:
        """Grouped writes waiting for a transaction now (for status and tests)."""
        return len(self._grouped)

    async def grouped_write(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run `work` in a write transaction shared with the other grouped writes waiting now (group
        commit); returns what it returns only once that transaction is committed. A `work` that
        raises is undone alone and only its caller gets the exception.

        `work` must be database statements on the connection it is given, nothing that waits on
        others, and it may run twice (a batch in which another item failed runs again)."""
        item = _Grouped(work, asyncio.get_running_loop().create_future())
        self._grouped.append(item)
        try:
            # The lock is FIFO, and whoever holds it runs every item waiting then: a caller whose item
            # an earlier holder took finds it done and only passes the lock on.
            while not item.done.done():
                async with self._write_lock:
                    if not item.done.done():
                        batch, self._grouped = self._grouped[:GROUP_LIMIT], self._grouped[GROUP_LIMIT:]
                        await self._commit_group(batch)
        except BaseException:
            if item in self._grouped:
                self._grouped.remove(item)
            item.done.cancel()  # nobody waits for its outcome any more
            raise
        return cast(T, item.done.result())

    async def _commit_group(self, batch: list[_Grouped]) -> None:
        writer = self._open_writer()
        live = [item for item in batch if not item.done.cancelled()]  # the others' callers left unanswered

        async def transaction() -> None:
            self._settle(await self._run_batch(writer, live))

        # Its own task: a cancelled leader must neither cut the others' transaction short nor lose
        # their answers, and it keeps the lock (so the writer) until that transaction is over.
        task = asyncio.ensure_future(transaction())
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            await asyncio.wait([task])
            raise

    def _settle(self, outcomes: dict[_Grouped, Outcome]) -> None:
        for item, (value, error) in outcomes.items():
            if item.done.done():
                continue
            if error is None:
                item.done.set_result(value)
            else:
                item.done.set_exception(error)
        self._notify()

    async def _run_batch(self, writer: aiosqlite.Connection, batch: list[_Grouped]) -> dict[_Grouped, Outcome]:
        """First all in one transaction without savepoints (two thread hops an item fewer). If one
        raises, all is rolled back, that one keeps its error, and the rest run again, each in a
        savepoint of its own, so that no failure can undo or poison another's write. A failure of
        the transaction itself (BEGIN, COMMIT, the disk) is every item's."""
        failed: dict[_Grouped, Outcome] = {}
        try:
            done = await self._transaction(writer, batch, failed, isolated=False)
            if done is None:
                rest = [item for item in batch if item not in failed]
                done = await self._transaction(writer, rest, failed, isolated=True) or {}
        except Exception as error:
            return {item: failed.get(item, (None, error)) for item in batch}
        return {**done, **failed}

    @staticmethod
    async def _transaction(
        writer: aiosqlite.Connection, batch: list[_Grouped], failed: dict[_Grouped, Outcome], *, isolated: bool
    ) -> dict[_Grouped, Outcome] | None:
        """Each item's outcome, committed; None (all rolled back, the failure put in `failed`) when an
        item raised outside a savepoint."""
        await writer.execute("BEGIN IMMEDIATE")
        outcomes: dict[_Grouped, Outcome] = {}
        try:
            for item in batch:
                if isolated:
                    outcomes[item] = await Database._isolated(writer, item)
                    continue
                try:
                    outcomes[item] = (await item.work(writer), None)
                except Exception as error:
                    failed[item] = (None, error)
                    await writer.execute("ROLLBACK")
                    return None
            await writer.execute("COMMIT")
        except BaseException:
            if writer.in_transaction:
                await writer.execute("ROLLBACK")
            raise
        return outcomes

    @staticmethod
    async def _isolated(writer: aiosqlite.Connection, item: _Grouped) -> Outcome:
        await writer.execute("SAVEPOINT grouped")
        try:
            value = await item.work(writer)
        except Exception as error:  # this caller's failure alone
            await writer.execute("ROLLBACK TO grouped")
            await writer.execute("RELEASE grouped")
            return None, error
        await writer.execute("RELEASE grouped")
        return value, None

    def _open_writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("database is not open")
        return self._writer

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        reader = await self._readers.get()
        try:
            yield reader
        finally:
            self._readers.put_nowait(reader)
