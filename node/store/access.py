"""SQL for settings, key pairs and organisation credentials."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite


async def get_setting(db: aiosqlite.Connection, key: str) -> str | None:
    async with db.execute("SELECT value FROM settings WHERE key = ?", (key,)) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def set_setting(db: aiosqlite.Connection, key: str, value: str) -> None:
    await db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


@dataclass(frozen=True)
class KeyPair:
    actor_id: str
    private_pem: str
    public_pem: str


async def get_key(db: aiosqlite.Connection, actor_id: str) -> KeyPair | None:
    sql = "SELECT actor_id, private_pem, public_pem FROM keys WHERE actor_id = ?"
    async with db.execute(sql, (actor_id,)) as cursor:
        row = await cursor.fetchone()
    return KeyPair(row[0], row[1], row[2]) if row else None


async def put_key(db: aiosqlite.Connection, pair: KeyPair, created: str) -> None:
    await db.execute(
        "INSERT INTO keys (actor_id, private_pem, public_pem, created) VALUES (?, ?, ?, ?)",
        (pair.actor_id, pair.private_pem, pair.public_pem, created),
    )


async def replace_key(db: aiosqlite.Connection, pair: KeyPair, created: str) -> None:
    """A new key pair for an actor that has one (key rotation); the old one is gone."""
    await db.execute(
        "UPDATE keys SET private_pem = ?, public_pem = ?, created = ? WHERE actor_id = ?",
        (pair.private_pem, pair.public_pem, created, pair.actor_id),
    )


async def put_access(db: aiosqlite.Connection, organisation_id: str) -> None:
    await db.execute(
        "INSERT OR IGNORE INTO organisation_access (organisation_id) VALUES (?)", (organisation_id,)
    )


async def set_token_hash(db: aiosqlite.Connection, organisation_id: str, token_hash: str) -> None:
    await db.execute(
        "UPDATE organisation_access SET token_hash = ? WHERE organisation_id = ?",
        (token_hash, organisation_id),
    )


async def set_invite(db: aiosqlite.Connection, organisation_id: str, invite_hash: str, expires: str) -> None:
    await db.execute(
        "UPDATE organisation_access SET invite_hash = ?, invite_expires = ? WHERE organisation_id = ?",
        (invite_hash, expires, organisation_id),
    )


async def organisation_for_token(db: aiosqlite.Connection, token_hash: str) -> str | None:
    sql = "SELECT organisation_id FROM organisation_access WHERE token_hash = ?"
    async with db.execute(sql, (token_hash,)) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def organisation_for_invite(db: aiosqlite.Connection, invite_hash: str, now: str) -> str | None:
    sql = "SELECT organisation_id FROM organisation_access WHERE invite_hash = ? AND invite_expires > ?"
    async with db.execute(sql, (invite_hash, now)) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def spend_invite(db: aiosqlite.Connection, organisation_id: str, reason: str, now: str) -> None:
    """Remember the organisation's current invite (if any) as no longer valid, before it is dropped."""
    await db.execute(
        """INSERT OR IGNORE INTO spent_invites (invite_hash, organisation_id, spent, reason)
           SELECT invite_hash, organisation_id, ?, ? FROM organisation_access
           WHERE organisation_id = ? AND invite_hash IS NOT NULL""",
        (now, reason, organisation_id),
    )


async def invite_state(db: aiosqlite.Connection, invite_hash: str, now: str) -> str:
    """"valid", "expired", "claimed", "replaced", or "unknown" (never issued here)."""
    sql = "SELECT invite_expires > ? FROM organisation_access WHERE invite_hash = ?"
    async with db.execute(sql, (now, invite_hash)) as cursor:
        row = await cursor.fetchone()
    if row is not None:
        return "valid" if row[0] else "expired"
    async with db.execute("SELECT reason FROM spent_invites WHERE invite_hash = ?", (invite_hash,)) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else "unknown"


async def mark_claimed(db: aiosqlite.Connection, organisation_id: str, token_hash: str, now: str) -> None:
    await db.execute(
        """UPDATE organisation_access SET token_hash = ?, invite_hash = NULL, invite_expires = NULL, claimed = ?
           WHERE organisation_id = ?""",
        (token_hash, now, organisation_id),
    )
