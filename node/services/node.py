"""The running node's parts, handed to every service: config, database, vocabulary, schemas, clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property
from urllib.parse import urlsplit

from node.config import Config
from node.paths import schemas_dir, vocab_dir
from node.protocol.validation import SchemaSet
from node.protocol.vocab import Vocabulary
from node.services.area_index import AreaIndex, load_area_index
from node.services.http import Http, Limits
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


@dataclass
class OffsetClock:
    """Real time plus an offset a test or the simulation moves forward (the injectable clock); it starts
    at real time so that signatures fall in peers' Date windows."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ShippedFiles:
    """vocab/, schemas/ and the CBS areas: immutable, so read once per process and shared by every node
    of it (the demo federation, the national simulation).

    Each part is read when it is first asked for, not when the node opens (the vocabulary's lists,
    the schemas' validators and the area tables are each lazy inside too): read eagerly they cost a
    node ~0.6 s and ~10 MB at start, and many requests need none of them (the actor, nodeinfo, the
    outbox), many processes only some.
    """

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary(vocab_dir())  # each list parsed on first use

    @cached_property
    def input_schemas(self) -> SchemaSet:
        return SchemaSet(schemas_dir() / "input")

    @cached_property
    def inbound_schemas(self) -> SchemaSet:
        return SchemaSet(schemas_dir() / "inbound")

    @cached_property
    def object_schemas(self) -> SchemaSet:
        return SchemaSet(schemas_dir() / "objects")

    @cached_property
    def areas(self) -> AreaIndex:
        return load_area_index()


@cache
def shipped_files() -> ShippedFiles:
    return ShippedFiles()


BACKFILLS_AT_ONCE = 4


@dataclass
class Node:
    config: Config
    db: Database
    shipped: ShippedFiles = field(default_factory=shipped_files)
    clock: Callable[[], datetime] = field(default=utc_now)
    _http: Http | None = None
    # Tasks started by a request that outlive it (backfills); cancelled at close.
    background: set[asyncio.Task[None]] = field(default_factory=set)
    # Backfills running at once (federation.sync): the rest wait their turn, so that each finishes, and
    # is announced onwards, early instead of all together at the end.
    backfill_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(BACKFILLS_AT_ONCE))

    @property
    def vocabulary(self) -> Vocabulary:
        return self.shipped.vocabulary

    @property
    def schemas(self) -> SchemaSet:
        """The schemas of what clients send (schemas/input)."""
        return self.shipped.input_schemas

    @property
    def inbound_schemas(self) -> SchemaSet:
        return self.shipped.inbound_schemas

    @property
    def object_schemas(self) -> SchemaSet:
        return self.shipped.object_schemas

    @property
    def areas(self) -> AreaIndex:
        return self.shipped.areas

    @property
    def http(self) -> Http:
        """The outgoing HTTP client, opened on first use (it needs a running event loop)."""
        if self._http is None:
            limits = Limits(self.config.max_body_bytes, self.config.max_json_depth)
            self._http = Http(development=self.config.development, limits=limits, clock=self.clock)
        return self._http

    async def close(self) -> None:
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
            self._http = None
        await self.db.close()

    @property
    def host(self) -> str:
        return urlsplit(self.config.base_url).netloc

    def activity_url(self, key: str) -> str:
        return f"{self.config.base_url}/ap/{key}"

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
    return Node(config=config, db=db, shipped=shipped_files(), clock=clock)
