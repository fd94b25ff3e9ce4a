"""SQL for federation: remote actors, followers, following, the outbox, the delivery queue, seen ids."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiosqlite

from node.store.objects import id_chunks


def _json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


# --- remote actors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteActor:
    id: str
    key_id: str
    public_key_pem: str
    inbox: str
    shared_inbox: str | None
    outbox: str | None
    document: dict[str, Any]
    fetched: str

    @property
    def delivery_inbox(self) -> str:
        return self.shared_inbox or self.inbox


ACTOR_COLUMNS = "id, key_id, public_key_pem, inbox, shared_inbox, outbox, document, fetched"


def _actor(row: aiosqlite.Row) -> RemoteActor:
    return RemoteActor(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), row[7])


async def get_remote_actor(db: aiosqlite.Connection, actor_id: str) -> RemoteActor | None:
    rows = await db.execute_fetchall(f"SELECT {ACTOR_COLUMNS} FROM remote_actors WHERE id = ?", (actor_id,))
    return next((_actor(row) for row in rows), None)


async def get_remote_actor_by_key(db: aiosqlite.Connection, key_id: str) -> RemoteActor | None:
    # Every inbound request asks: one thread hop (execute_fetchall), not three.
    rows = await db.execute_fetchall(f"SELECT {ACTOR_COLUMNS} FROM remote_actors WHERE key_id = ?", (key_id,))
    return next((_actor(row) for row in rows), None)


async def put_remote_actor(db: aiosqlite.Connection, actor: RemoteActor) -> None:
    # A rotated key moves key_id; an old row holding the same key id (another actor's, once) must go.
    await db.execute("DELETE FROM remote_actors WHERE key_id = ? AND id != ?", (actor.key_id, actor.id))
    await db.execute(
        f"""INSERT INTO remote_actors ({ACTOR_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, public_key_pem = excluded.public_key_pem,
              inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, outbox = excluded.outbox,
              document = excluded.document, fetched = excluded.fetched""",
        (actor.id, actor.key_id, actor.public_key_pem, actor.inbox, actor.shared_inbox, actor.outbox,
         _json(actor.document), actor.fetched),
    )


# --- followers (remote actors following ours) ----------------------------------------------------


async def add_follower(
    db: aiosqlite.Connection, local_actor: str, remote_actor: str, follow_id: str, inbox: str, now: str
) -> None:
    await db.execute(
        """INSERT INTO followers (local_actor, remote_actor, follow_id, inbox, created) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (local_actor, remote_actor) DO UPDATE SET follow_id = excluded.follow_id,
             inbox = excluded.inbox""",
        (local_actor, remote_actor, follow_id, inbox, now),
    )


async def remove_follower(db: aiosqlite.Connection, local_actor: str, remote_actor: str) -> bool:
    cursor = await db.execute(
        "DELETE FROM followers WHERE local_actor = ? AND remote_actor = ?", (local_actor, remote_actor)
    )
    return cursor.rowcount > 0


async def forget_remote_actor(db: aiosqlite.Connection, remote_actor: str) -> None:
    """The actor was deleted at its host: its cached key and its follows of our actors go."""
    await db.execute("DELETE FROM followers WHERE remote_actor = ?", (remote_actor,))
    await db.execute("DELETE FROM remote_actors WHERE id = ?", (remote_actor,))


async def follower_inboxes(db: aiosqlite.Connection, local_actors: Iterable[str]) -> list[str]:
    """The distinct inboxes (shared where the follower has one) of everyone following these actors."""
    actors = list(local_actors)
    marks = ", ".join("?" for _ in actors)
    sql = f"SELECT DISTINCT inbox FROM followers WHERE local_actor IN ({marks}) ORDER BY inbox"
    async with db.execute(sql, actors) as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def count_followers(db: aiosqlite.Connection, local_actor: str) -> int:
    async with db.execute("SELECT count(*) FROM followers WHERE local_actor = ?", (local_actor,)) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def list_followers(db: aiosqlite.Connection, local_actor: str, offset: int, limit: int) -> list[str]:
    sql = "SELECT remote_actor FROM followers WHERE local_actor = ? ORDER BY created, remote_actor LIMIT ? OFFSET ?"
    async with db.execute(sql, (local_actor, limit, offset)) as cursor:
        return [row[0] for row in await cursor.fetchall()]


# --- following (remote actors our node follows) --------------------------------------------------


@dataclass(frozen=True)
class Following:
    remote_actor: str
    follow_id: str
    state: str
    created: str
    changed: str
    backfilled: str | None


async def put_following(db: aiosqlite.Connection, remote_actor: str, follow_id: str, now: str) -> None:
    await db.execute(
        """INSERT INTO following (remote_actor, follow_id, state, created, changed) VALUES (?, ?, 'pending', ?, ?)
           ON CONFLICT (remote_actor) DO UPDATE SET follow_id = excluded.follow_id, state = 'pending',
             changed = excluded.changed, backfilled = NULL""",
        (remote_actor, follow_id, now, now),
    )


async def get_following(db: aiosqlite.Connection, remote_actor: str) -> Following | None:
    sql = "SELECT remote_actor, follow_id, state, created, changed, backfilled FROM following WHERE remote_actor = ?"
    async with db.execute(sql, (remote_actor,)) as cursor:
        row = await cursor.fetchone()
    return Following(*row) if row else None


async def list_following(db: aiosqlite.Connection) -> list[Following]:
    sql = "SELECT remote_actor, follow_id, state, created, changed, backfilled FROM following ORDER BY remote_actor"
    async with db.execute(sql) as cursor:
        return [Following(*row) for row in await cursor.fetchall()]


async def set_following_state(
    db: aiosqlite.Connection, follow_id: str, remote_actor: str, state: str, now: str
) -> bool:
    """Move our follow to `state`, if `follow_id` is our follow of exactly that actor."""
    cursor = await db.execute(
        "UPDATE following SET state = ?, changed = ? WHERE follow_id = ? AND remote_actor = ?",
        (state, now, follow_id, remote_actor),
    )
    return cursor.rowcount > 0


async def followed_host(db: aiosqlite.Connection, prefix: str) -> bool:
    """Whether we follow, accepted, some actor whose id starts with `prefix` (scheme://host/)."""
    sql = """SELECT 1 FROM following WHERE state = 'accepted' AND substr(remote_actor, 1, length(?)) = ? LIMIT 1"""
    return bool(await db.execute_fetchall(sql, (prefix, prefix)))


async def set_backfilled(db: aiosqlite.Connection, remote_actor: str, now: str) -> None:
    await db.execute("UPDATE following SET backfilled = ? WHERE remote_actor = ?", (now, remote_actor))


async def set_cursor(db: aiosqlite.Connection, remote_actor: str, cursor: str | None) -> None:
    await db.execute("UPDATE following SET cursor = ? WHERE remote_actor = ?", (cursor, remote_actor))


async def get_cursor(db: aiosqlite.Connection, remote_actor: str) -> str | None:
    async with db.execute("SELECT cursor FROM following WHERE remote_actor = ?", (remote_actor,)) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


# --- provenance of remote objects ------------------------------------------------------------------


@dataclass(frozen=True)
class Provenance:
    """How a remote object reached us: its origin, the paths (`via`: the actors it came through)."""

    origin: str
    via: tuple[str, ...]
    first_seen: str
    last_changed: str


async def provenance_of(db: aiosqlite.Connection, object_ids: Iterable[str]) -> dict[str, Provenance]:
    """The provenance rows among these ids, by id, in one query a chunk."""
    found: dict[str, Provenance] = {}
    for chunk, marks in id_chunks(object_ids):
        sql = f"SELECT object_id, origin, via, first_seen, last_changed FROM provenance WHERE object_id IN ({marks})"
        for row in await db.execute_fetchall(sql, chunk):
            found[row[0]] = Provenance(row[1], tuple(json.loads(row[2])), row[3], row[4])
    return found


async def put_provenance(db: aiosqlite.Connection, rows: Mapping[str, Provenance]) -> None:
    """Insert or replace these provenance rows (the origin of a row, once recorded, stays)."""
    await db.executemany(
        """INSERT INTO provenance (object_id, origin, via, first_seen, last_changed) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (object_id) DO UPDATE SET via = excluded.via, last_changed = excluded.last_changed""",
        [(object_id, p.origin, json.dumps(list(p.via)), p.first_seen, p.last_changed) for object_id, p in rows.items()],
    )


async def get_provenance(db: aiosqlite.Connection, object_id: str) -> dict[str, Any] | None:
    found = (await provenance_of(db, [object_id])).get(object_id)
    if found is None:
        return None
    return {"origin": found.origin, "via": list(found.via), "firstSeen": found.first_seen,
            "lastChanged": found.last_changed}


async def remove_following(db: aiosqlite.Connection, remote_actor: str) -> None:
    await db.execute("DELETE FROM following WHERE remote_actor = ?", (remote_actor,))


# --- outbox ---------------------------------------------------------------------------------------


async def put_outbox(db: aiosqlite.Connection, activity: Mapping[str, Any], public: bool) -> None:
    obj = activity.get("object")
    object_id = obj.get("id") if isinstance(obj, dict) else obj
    await db.execute(
        "INSERT INTO outbox (id, actor, type, object_id, public, published, document) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (activity["id"], activity["actor"], activity["type"], object_id, int(public), activity["published"],
         _json(activity)),
    )


async def get_outbox_activity(db: aiosqlite.Connection, activity_id: str) -> dict[str, Any] | None:
    async with db.execute("SELECT document FROM outbox WHERE id = ?", (activity_id,)) as cursor:
        row = await cursor.fetchone()
    return json.loads(row[0]) if row else None


async def is_public_activity(db: aiosqlite.Connection, activity_id: str) -> bool:
    async with db.execute("SELECT public FROM outbox WHERE id = ?", (activity_id,)) as cursor:
        row = await cursor.fetchone()
    return bool(row and row[0])


async def count_outbox(db: aiosqlite.Connection, actors: Iterable[str] | None) -> int:
    where, args = _outbox_filter(actors)
    async with db.execute(f"SELECT count(*) FROM outbox WHERE public = 1 {where}", args) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def _outbox_filter(actors: Iterable[str] | None) -> tuple[str, list[Any]]:
    if actors is None:
        return "", []
    listed = list(actors)
    return f"AND actor IN ({', '.join('?' for _ in listed)})", listed


async def outbox_page(
    db: aiosqlite.Connection, actors: Iterable[str] | None, after: int, limit: int
) -> list[tuple[int, str]]:
    """Public activities of these actors (all, for None) with seq > after, oldest first: (seq, the
    activity as JSON text without its @context, as a page embeds it). SQLite drops the context, so a
    page is served without parsing and re-serialising every activity in Python (most of the CPU of
    serving a backfill, docs/benchmarks.md)."""
    where, args = _outbox_filter(actors)
    sql = (f"SELECT seq, json_remove(document, '$.\"@context\"') FROM outbox WHERE public = 1 AND seq > ? {where} "
           "ORDER BY seq LIMIT ?")
    async with db.execute(sql, [after, *args, limit]) as cursor:
        return [(row[0], row[1]) for row in await cursor.fetchall()]


# --- the delivery queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    id: int
    activity_id: str
    inbox: str
    signer: str
    attempts: int
    body: str


async def enqueue(
    db: aiosqlite.Connection, activity_id: str, inboxes: Iterable[str], signer: str, now: str
) -> int:
    rows = [(activity_id, inbox, signer, now, now) for inbox in inboxes]
    await db.executemany(
        """INSERT OR IGNORE INTO deliveries (activity_id, inbox, signer, next_attempt, created)
           VALUES (?, ?, ?, ?, ?)""",
        rows,
    )
    return len(rows)


async def due_deliveries(db: aiosqlite.Connection, now: str, limit: int) -> list[Delivery]:
    sql = """SELECT d.id, d.activity_id, d.inbox, d.signer, d.attempts, o.document
             FROM deliveries d JOIN outbox o ON o.id = d.activity_id
             WHERE d.next_attempt <= ? ORDER BY d.next_attempt, d.id LIMIT ?"""
    # One thread hop (execute_fetchall), not three (execute, fetchall, close): the worker asks after
    # every commit while a fan-out runs.
    return [Delivery(*row) for row in await db.execute_fetchall(sql, (now, limit))]


async def next_due(db: aiosqlite.Connection) -> str | None:
    async with db.execute("SELECT min(next_attempt) FROM deliveries") as cursor:
        row = await cursor.fetchone()
    return row[0] if row and row[0] else None


async def delivered(db: aiosqlite.Connection, delivery_id: int) -> None:
    await db.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))


async def retry_later(
    db: aiosqlite.Connection, delivery_id: int, attempts: int, next_attempt: str, error: str
) -> None:
    await db.execute(
        "UPDATE deliveries SET attempts = ?, next_attempt = ?, last_error = ? WHERE id = ?",
        (attempts, next_attempt, error[:500], delivery_id),
    )


async def give_up(db: aiosqlite.Connection, delivery: Delivery, error: str, now: str) -> None:
    await db.execute(
        "INSERT INTO failed_deliveries (activity_id, inbox, attempts, last_error, failed) VALUES (?, ?, ?, ?, ?)",
        (delivery.activity_id, delivery.inbox, delivery.attempts + 1, error[:500], now),
    )
    await db.execute("DELETE FROM deliveries WHERE id = ?", (delivery.id,))


async def queue_counts(db: aiosqlite.Connection) -> dict[str, int]:
    async with db.execute("SELECT (SELECT count(*) FROM deliveries), (SELECT count(*) FROM failed_deliveries)") as c:
        row = await c.fetchone()
    return {"pending": int(row[0]), "failed": int(row[1])} if row else {"pending": 0, "failed": 0}


# --- inbound ids already applied -------------------------------------------------------------------


async def mark_seen(db: aiosqlite.Connection, activity_id: str, actor: str, now: str) -> bool:
    """Record an inbound activity id; False when it was already there (a redelivery)."""
    cursor = await db.execute(
        "INSERT OR IGNORE INTO inbox_seen (activity_id, actor, received) VALUES (?, ?, ?)",
        (activity_id, actor, now),
    )
    return cursor.rowcount > 0


# --- origin syncs (outboxes an aggregator announced as a whole) -----------------------------------


@dataclass(frozen=True)
class OriginSync:
    origin: str
    via: str
    cursor: str | None


async def request_origin_sync(db: aiosqlite.Connection, origin: str, via: str, now: str) -> None:
    """(Re)read the origin's outbox from its first page, because `via` announced it."""
    await db.execute(
        """INSERT INTO origin_syncs (origin, via, cursor, requested, done) VALUES (?, ?, NULL, ?, NULL)
           ON CONFLICT (origin, via) DO UPDATE SET cursor = NULL, requested = excluded.requested, done = NULL""",
        (origin, via, now),
    )


async def pending_origin_syncs(db: aiosqlite.Connection) -> list[OriginSync]:
    sql = "SELECT origin, via, cursor FROM origin_syncs WHERE done IS NULL ORDER BY requested, origin, via"
    async with db.execute(sql) as cursor:
        return [OriginSync(*row) for row in await cursor.fetchall()]


async def set_origin_cursor(db: aiosqlite.Connection, origin: str, via: str, cursor: str | None) -> None:
    await db.execute("UPDATE origin_syncs SET cursor = ? WHERE origin = ? AND via = ?", (cursor, origin, via))


async def set_origin_done(db: aiosqlite.Connection, origin: str, via: str, now: str) -> None:
    await db.execute("UPDATE origin_syncs SET done = ? WHERE origin = ? AND via = ?", (now, origin, via))
