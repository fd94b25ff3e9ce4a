"""The SQLite database: one writer, a pool of readers, versioned migrations.

All writes go through one connection, one transaction at a time (an asyncio lock queues them), so
SQLite never sees two writers; readers use their own connections and, with WAL, never block the writer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON")


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) for every file `NNNN_name.sql` in store/migrations, in order."""
    folder = resources.files("node.store") / "migrations"
    found = [
        (int(f.name.split("_", 1)[0]), f.read_text(encoding="utf-8"))
        for f in folder.iterdir()
        if f.name.endswith(".sql")
    ]
    return sorted(found)


async def _connect(path: Path, *, readonly: bool) -> aiosqlite.Connection:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    connection = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    connection.row_factory = aiosqlite.Row
    await connection.execute("PRAGMA busy_timeout=5000")
    if not readonly:
        for pragma in PRAGMAS:
            await connection.execute(pragma)
    return connection


class Database:
    def __init__(self, path: Path, readers: int = 3) -> None:
        self.path = path
        self._reader_count = readers
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self._commit_listeners: list[Callable[[], None]] = []

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every committed write (the delivery worker wakes up on it)."""
        self._commit_listeners.append(listener)

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path, readonly=False)
        await self._migrate(self._writer)
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

    async def _migrate(self, connection: aiosqlite.Connection) -> None:
        await connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)")
        async with connection.execute("SELECT coalesce(max(version), 0) FROM schema_version") as cursor:
            row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        for version, sql in migrations():
            if version <= current:
                continue
            # executescript commits first, so the migration and its version row go in one script.
            await connection.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\nINSERT INTO schema_version VALUES ({version});\nCOMMIT;"
            )

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
        for listener in self._commit_listeners:
            listener()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        reader = await self._readers.get()
        try:
            yield reader
        finally:
            self._readers.put_nowait(reader)
