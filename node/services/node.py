"""The running node's parts, handed to every service: config, database, vocabulary, schemas, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from node.config import Config
from node.paths import schemas_dir, vocab_dir
from node.protocol.validation import SchemaSet
from node.protocol.vocab import Vocabulary, load_vocabulary
from node.services.area_index import AreaIndex, load_area_index
from node.store.database import Database

KINDS = ("organisation", "place", "activity", "course")
COLLECTION_PATHS = {
    "organisation": "organisations",
    "place": "places",
    "activity": "activities",
    "course": "courses",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Node:
    config: Config
    db: Database
    vocabulary: Vocabulary
    schemas: SchemaSet
    areas: AreaIndex
    clock: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> str:
        return iso(self.clock())

    def object_url(self, kind: str, key: str) -> str:
        return f"{self.config.base_url}/{COLLECTION_PATHS[kind]}/{key}"

    def collection_url(self, kind: str) -> str:
        return f"{self.config.base_url}/{COLLECTION_PATHS[kind]}"

    def key_from_ref(self, kind: str, ref: str) -> str | None:
        """The local key of `ref`, given as our full URL or as the bare last path segment."""
        prefix = self.collection_url(kind) + "/"
        if ref.startswith(prefix):
            ref = ref[len(prefix) :]
        elif urlsplit(ref).scheme:
            return None
        return ref if ref and "/" not in ref else None


async def open_node(config: Config, clock: Callable[[], datetime] = utc_now) -> Node:
    db = Database(config.db_path)
    await db.open()
    return Node(
        config=config,
        db=db,
        vocabulary=load_vocabulary(vocab_dir()),
        schemas=SchemaSet(schemas_dir() / "input"),
        areas=load_area_index(),
        clock=clock,
    )
