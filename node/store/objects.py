"""SQL for the objects table and the places each object embeds."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiosqlite


@dataclass(frozen=True)
class StoredObject:
    id: str
    kind: str
    owner: str
    document: dict[str, Any]
    published: str
    updated: str
    deleted: str | None
    source_key: str | None
    origin: str | None = None  # the remote actor that sent it; None for our own


def _index_columns(kind: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """The filter columns, read from the document so they can never disagree with it."""
    place = document if kind == "place" else document.get("location") or {}
    if isinstance(place, list):  # a remote event may list several locations (a Place and a VirtualLocation)
        place = next((p for p in place if isinstance(p, dict) and p.get("type") == "Place"), {})
    return {
        "name": document.get("name"),
        "municipality_code": place.get("municipalityCode") or document.get("municipalityCode"),
        "neighbourhood_code": place.get("neighbourhoodCode"),
        "latitude": place.get("latitude"),
        "longitude": place.get("longitude"),
        "sport": document.get("sport"),
        "valid_through": document.get("validThrough"),
    }


def row_to_object(row: aiosqlite.Row) -> StoredObject:
    return StoredObject(
        id=row["id"],
        kind=row["kind"],
        owner=row["owner"],
        document=json.loads(row["document"]),
        published=row["published"],
        updated=row["updated"],
        deleted=row["deleted"],
        source_key=row["source_key"],
        origin=row["origin"],
    )


COLUMNS = "id, kind, owner, document, published, updated, deleted, source_key, origin"


async def get_object(db: aiosqlite.Connection, object_id: str) -> StoredObject | None:
    # The most frequent read of all: one thread hop (execute_fetchall), not three (execute, fetch, close).
    rows = await db.execute_fetchall(f"SELECT {COLUMNS} FROM objects WHERE id = ?", (object_id,))
    return next((row_to_object(row) for row in rows), None)


async def get_by_source_key(db: aiosqlite.Connection, owner: str, kind: str, key: str) -> StoredObject | None:
    sql = f"SELECT {COLUMNS} FROM objects WHERE owner = ? AND kind = ? AND source_key = ?"
    async with db.execute(sql, (owner, kind, key)) as cursor:
        row = await cursor.fetchone()
    return row_to_object(row) if row else None


PUT_OBJECT = """
    INSERT INTO objects (id, kind, owner, document, source_key, published, updated, deleted,
                         name, municipality_code, neighbourhood_code, latitude, longitude, sport,
                         valid_through, origin)
    VALUES (:id, :kind, :owner, :document, :source_key, :published, :updated, NULL,
            :name, :municipality_code, :neighbourhood_code, :latitude, :longitude, :sport,
            :valid_through, :origin)
    ON CONFLICT (id) DO UPDATE SET
        document = excluded.document, updated = excluded.updated, deleted = NULL, kind = excluded.kind,
        source_key = coalesce(excluded.source_key, objects.source_key),
        name = excluded.name, municipality_code = excluded.municipality_code,
        neighbourhood_code = excluded.neighbourhood_code, latitude = excluded.latitude,
        longitude = excluded.longitude, sport = excluded.sport, valid_through = excluded.valid_through
"""


@dataclass(frozen=True)
class ObjectWrite:
    """One live object to insert or replace (see `put_object`)."""

    kind: str
    owner: str
    document: Mapping[str, Any]
    source_key: str | None = None
    origin: str | None = None

    def parameters(self) -> dict[str, Any]:
        return {
            "id": self.document["id"],
            "kind": self.kind,
            "owner": self.owner,
            "document": json.dumps(self.document, ensure_ascii=False, separators=(",", ":")),
            "source_key": self.source_key,
            "origin": self.origin,
            "published": self.document["published"],
            "updated": self.document["updated"],
            **_index_columns(self.kind, self.document),
        }


async def put_object(
    db: aiosqlite.Connection,
    kind: str,
    owner: str,
    document: Mapping[str, Any],
    source_key: str | None = None,
    origin: str | None = None,
) -> None:
    """Insert or replace a live object; `published` of an existing row is kept.

    `origin` is the remote actor an object of another host came from (None for our own).
    """
    await db.execute(PUT_OBJECT, ObjectWrite(kind, owner, document, source_key, origin).parameters())


async def put_objects(db: aiosqlite.Connection, writes: Iterable[ObjectWrite]) -> None:
    """`put_object` for many, in order, in one statement (a backfill page: one thread hop, not one each)."""
    await db.executemany(PUT_OBJECT, [write.parameters() for write in writes])


def id_chunks(ids: Iterable[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
    """The distinct ids in chunks, each with its `?, ?, ...` for an IN list (SQLite allows 32,766
    host parameters a statement; a chunk of 500 keeps each statement small)."""
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), size):
        chunk = wanted[start : start + size]
        yield chunk, ", ".join("?" * len(chunk))


async def get_objects(db: aiosqlite.Connection, object_ids: Iterable[str]) -> dict[str, StoredObject]:
    """The stored rows among these ids, by id, in one query a chunk."""
    found: dict[str, StoredObject] = {}
    for chunk, marks in id_chunks(object_ids):
        rows = await db.execute_fetchall(f"SELECT {COLUMNS} FROM objects WHERE id IN ({marks})", chunk)
        found.update((row["id"], row_to_object(row)) for row in rows)
    return found


async def bury_object(db: aiosqlite.Connection, tombstone: Mapping[str, Any]) -> None:
    """Replace an object by its Tombstone; the row stays so its URL answers 410."""
    await db.execute(
        """
        UPDATE objects SET document = ?, updated = ?, deleted = ?, source_key = NULL, name = NULL,
               municipality_code = NULL, neighbourhood_code = NULL, latitude = NULL, longitude = NULL,
               sport = NULL, valid_through = NULL
        WHERE id = ?
        """,
        (
            json.dumps(tombstone, separators=(",", ":")),
            tombstone["deleted"],
            tombstone["deleted"],
            tombstone["id"],
        ),
    )
    await db.execute("DELETE FROM object_places WHERE object_id = ?", (tombstone["id"],))


async def set_places(db: aiosqlite.Connection, object_id: str, place_ids: Iterable[str]) -> None:
    await db.execute("DELETE FROM object_places WHERE object_id = ?", (object_id,))
    await db.executemany(
        "INSERT INTO object_places (object_id, place_id) VALUES (?, ?)",
        [(object_id, p) for p in set(place_ids)],
    )


async def objects_at_place(db: aiosqlite.Connection, place_id: str) -> list[StoredObject]:
    sql = f"""SELECT {COLUMNS} FROM objects WHERE id IN (SELECT object_id FROM object_places WHERE place_id = ?)
              AND deleted IS NULL ORDER BY id"""
    async with db.execute(sql, (place_id,)) as cursor:
        return [row_to_object(row) for row in await cursor.fetchall()]


# Current: not deleted, and not past its validity period (`today` is an ISO date; validThrough is inclusive).
# Only our own objects: those from other hosts (origin set) are not ours to list.
CURRENT = (
    "kind = :kind AND deleted IS NULL AND origin IS NULL AND (valid_through IS NULL OR valid_through >= :today)"
)


async def count_current(db: aiosqlite.Connection, kind: str, today: str) -> int:
    sql = f"SELECT count(*) FROM objects WHERE {CURRENT}"
    async with db.execute(sql, {"kind": kind, "today": today}) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def list_current(
    db: aiosqlite.Connection, kind: str, today: str, *, offset: int, limit: int
) -> list[StoredObject]:
    sql = f"SELECT {COLUMNS} FROM objects WHERE {CURRENT} ORDER BY id LIMIT :limit OFFSET :offset"
    async with db.execute(sql, {"kind": kind, "today": today, "limit": limit, "offset": offset}) as cursor:
        return [row_to_object(row) for row in await cursor.fetchall()]


async def list_owned(db: aiosqlite.Connection, owner: str, kind: str) -> list[StoredObject]:
    sql = f"SELECT {COLUMNS} FROM objects WHERE owner = ? AND kind = ? AND deleted IS NULL ORDER BY id"
    async with db.execute(sql, (owner, kind)) as cursor:
        return [row_to_object(row) for row in await cursor.fetchall()]


async def count_all(db: aiosqlite.Connection) -> dict[str, int]:
    """Live objects per kind, for status output."""
    sql = "SELECT kind, count(*) FROM objects WHERE deleted IS NULL AND origin IS NULL GROUP BY kind"
    async with db.execute(sql) as cursor:
        return {row[0]: int(row[1]) for row in await cursor.fetchall()}


async def find_live_by_name(db: aiosqlite.Connection, kind: str, name: str) -> StoredObject | None:
    """The first live object of a kind with this exact name, ignoring ASCII case."""
    sql = f"""SELECT {COLUMNS} FROM objects WHERE kind = ? AND deleted IS NULL AND origin IS NULL
              AND name = ? COLLATE NOCASE ORDER BY published, id LIMIT 1"""
    async with db.execute(sql, (kind, name)) as cursor:
        row = await cursor.fetchone()
    return row_to_object(row) if row else None


# Remote objects by host: `prefix` is scheme://host/ of the host that owns them.
REMOTE_OF_HOST = "origin IS NOT NULL AND substr(id, 1, length(:prefix)) = :prefix"


async def live_remote_of_host(db: aiosqlite.Connection, prefix: str) -> list[StoredObject]:
    sql = f"SELECT {COLUMNS} FROM objects WHERE {REMOTE_OF_HOST} AND deleted IS NULL ORDER BY id"
    async with db.execute(sql, {"prefix": prefix}) as cursor:
        return [row_to_object(row) for row in await cursor.fetchall()]


async def purge_remote_tombstones_of_host(db: aiosqlite.Connection, prefix: str) -> None:
    """Forget the Tombstones of a host's objects, so that a new follow's backfill can bring them back."""
    where = f"{REMOTE_OF_HOST} AND deleted IS NOT NULL"
    await db.execute(f"DELETE FROM provenance WHERE object_id IN (SELECT id FROM objects WHERE {where})",
                     {"prefix": prefix})
    await db.execute(f"DELETE FROM objects WHERE {where}", {"prefix": prefix})
