"""What the inbox keeps about activities beyond applying them: the count of those it left aside."""

from __future__ import annotations

import aiosqlite

# A hostile peer could send a new made-up type with every request; past this many labels the rest
# are counted together under OTHER (one of the MAX_LABELS), so the table stays small.
MAX_LABELS = 100
OTHER = "other"


async def count_ignored(db: aiosqlite.Connection, label: str, now: str) -> None:
    """One more ignored activity under `label` (or under OTHER once MAX_LABELS are in use)."""
    known = await db.execute_fetchall(
        "SELECT (SELECT 1 FROM inbox_ignored WHERE label = ?), (SELECT count(*) FROM inbox_ignored)", (label,)
    )
    exists, labels = next(iter(known))
    if not exists and labels >= MAX_LABELS - 1:
        label = OTHER
    await db.execute(
        """INSERT INTO inbox_ignored (label, count, last_seen) VALUES (?, 1, ?)
           ON CONFLICT (label) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen""",
        (label, now),
    )


async def ignored_counts(db: aiosqlite.Connection) -> list[tuple[str, int, str]]:
    """(label, count, last seen) of every ignored kind, the most frequent first."""
    rows = await db.execute_fetchall("SELECT label, count, last_seen FROM inbox_ignored ORDER BY count DESC, label")
    return [(row[0], int(row[1]), row[2]) for row in rows]
