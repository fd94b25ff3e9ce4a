"""SQL for the SPARQL graph's change log (`sparql_changes`, migration 0007).

The SPARQL worker runs in a process of its own and reads the database with the standard library's
sqlite3 on a read-only connection (WAL: it never blocks the node's writer), so these functions are
synchronous. It never writes: the triggers keep the log, one row per object.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Change:
    """An object that changed after some seq: its current document, or None when it is gone or deleted."""

    seq: int
    object_id: str
    document: dict[str, Any] | None


def connect_readonly(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    connection.execute("PRAGMA busy_timeout=5000")
    return connection


def latest_seq(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT coalesce(max(seq), 0) FROM sparql_changes").fetchone()
    return int(row[0])


def pending(db: sqlite3.Connection, after: int) -> int:
    """How many objects changed after `after` (for "still catching up: N to go")."""
    row = db.execute("SELECT count(*) FROM sparql_changes WHERE seq > ?", (after,)).fetchone()
    return int(row[0])


def changes_after(db: sqlite3.Connection, after: int, limit: int) -> list[Change]:
    """Up to `limit` changed objects with seq > `after`, in seq order, each with its current document."""
    rows = db.execute(
        """SELECT c.seq, c.object_id, o.document, o.deleted
           FROM sparql_changes c LEFT JOIN objects o ON o.id = c.object_id
           WHERE c.seq > ? ORDER BY c.seq LIMIT ?""",
        (after, limit),
    ).fetchall()
    return [
        Change(int(seq), str(object_id), json.loads(document) if document is not None and deleted is None else None)
        for seq, object_id, document, deleted in rows
    ]
