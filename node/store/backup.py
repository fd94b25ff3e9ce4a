"""The database file's side of backup and restore: a consistent copy of a live database, its checks,
and moving its public sequences forward after a restore.

Plain `sqlite3` (blocking), run in a worker thread by the caller: the copy is one long call, and
aiosqlite would only add a thread hop per page step.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

# The sequences other servers and feed readers keep cursors on: outbox pages (`?after=SEQ`, followers'
# reconcile) and the RPDE `modified` numbers (OpenActive harvesters). A restored database would hand out
# again numbers the lost one already gave out, and a reader whose cursor lies past them would skip the
# new changes; so a restore moves both past anything the lost database can have reached. A node makes
# some thousands of changes a day; a billion is more than any node makes between two backups.
CURSOR_SEQUENCES = ("outbox", "rpde_changes")
SEQUENCE_JUMP = 1_000_000_000


def _open(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA busy_timeout=5000")
    return connection


def snapshot(source: Path, target: Path) -> None:
    """Copy the database at `source` into a new file `target` with SQLite's online backup API.

    All pages in one step: the copy reads one snapshot (WAL mode lets the node's writer go on meanwhile),
    so it is consistent however busy the node is. A copy made in several steps would restart whenever
    another connection wrote. The copy is a single file in rollback-journal mode (no -wal beside it);
    the node switches it back to WAL when it opens it."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    with closing(_open(source)) as src, closing(_open(target)) as dst:
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")
    fsync(target)


def integrity(path: Path) -> str:
    """'ok', or what SQLite's integrity check found (its first lines)."""
    with closing(_open(path)) as connection:
        rows = connection.execute("PRAGMA integrity_check(20)").fetchall()
    return "\n".join(str(row[0]) for row in rows)


def schema_version(path: Path) -> int:
    with closing(_open(path)) as connection:
        try:
            row = connection.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        except sqlite3.DatabaseError as error:
            raise ValueError(f"{path.name} is not a Sportnode database: {error}") from None
    return int(row[0])


def counts(path: Path) -> dict[str, int]:
    """Live objects of our own by kind, for the operator's summary."""
    sql = "SELECT kind, count(*) FROM objects WHERE deleted IS NULL AND origin IS NULL GROUP BY kind"
    with closing(_open(path)) as connection:
        return {str(kind): int(n) for kind, n in connection.execute(sql).fetchall()}


def move_sequences_forward(path: Path, by: int = SEQUENCE_JUMP) -> None:
    with closing(_open(path)) as connection:
        connection.execute("BEGIN IMMEDIATE")
        for name in CURSOR_SEQUENCES:
            # A table that never had a row has no sequence yet, but the lost database may have given out numbers.
            connection.execute("INSERT INTO sqlite_sequence (name, seq) SELECT ?, 0 WHERE NOT EXISTS "
                               "(SELECT 1 FROM sqlite_sequence WHERE name = ?)", (name, name))
            connection.execute("UPDATE sqlite_sequence SET seq = seq + ? WHERE name = ?", (by, name))
        connection.execute("COMMIT")
    fsync(path)


def checkpoint(path: Path) -> None:
    """Fold a WAL left beside a database (a node that crashed) into the file, so the file stands alone."""
    with closing(_open(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (after a rename in it), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
