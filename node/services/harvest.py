"""`sportnode import --rpde URL`: harvest an OpenActive RPDE feed into this node.

An OpenActive publisher joins the network through a node: its opportunities become this node's own
organisations, places, activities and courses, made through the publishing services (so they pass the
write API's checks, are federated to followers and appear in our own feeds). Each object is keyed by
where it came from (feed URL + item id; organizers and places by the publisher's site + their id), so a
re-harvest updates it and never adds a duplicate.

Each page is applied in one write transaction together with the feed's cursor (the page's `next`): a
crash or a bad page loses nothing applied before and applies nothing twice, and the next run resumes
where the last one stopped. An item our model cannot hold is skipped with a warning (and, if an earlier
version was harvested, removed), one savepoint per item, so that one odd item does not stop a feed.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiosqlite

from node.errors import SportnodeError
from node.protocol import openactive_in as oa
from node.services.http import FetchError
from node.services.keys import new_key_pairs
from node.services.node import Node
from node.services.organisations import create_organisation_in, slugify
from node.services.publishing import delete_in, upsert_in
from node.services.rpde import activity_list_path
from node.store import harvest as store
from node.store.access import KeyPair
from node.store.objects import StoredObject, find_live_by_name, get_object, objects_at_place

log = logging.getLogger(__name__)

# An RPDE page of 500 items of ours is about 1.3 MB: pages may be larger than the bodies we accept.
MAX_PAGE_BYTES = 16 * 1024 * 1024
ACCEPT = "application/json, application/vnd.openactive.rpde+json"
Progress = Callable[[int], None]


class HarvestError(SportnodeError):
    """The feed broke a rule or could not be read; what earlier pages brought stays."""


def harvest_error(detail: str) -> HarvestError:
    return HarvestError(2, "bad-feed", detail)


@dataclass
class HarvestReport:
    feed_url: str
    pages: int = 0
    items: int = 0
    resume_url: str = ""
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)

    def count(self, outcome: str, kind: str) -> None:
        counts: dict[str, int] = getattr(self, outcome)
        counts[kind] = counts.get(kind, 0) + 1

    def summary(self, max_warnings: int = 20) -> str:
        def listed(counts: dict[str, int]) -> str:
            return ", ".join(f"{n} {kind}(s)" for kind, n in sorted(counts.items())) or "nothing"

        lines = [f"warning: {w}" for w in self.warnings[:max_warnings]]
        if len(self.warnings) > max_warnings:
            lines.append(f"... and {len(self.warnings) - max_warnings} more warning(s)")
        lines.append(
            f"Harvested {self.items} item(s) in {self.pages} page(s) from {self.feed_url}: created "
            f"{listed(self.created)}; updated {listed(self.updated)}; unchanged {listed(self.unchanged)}; "
            f"deleted {listed(self.deleted)}; skipped {self.skipped} item(s)."
        )
        lines.append(f"The next run resumes at {self.resume_url}")
        return "\n".join(lines)


def load_vocabularies(node: Node, path: Path | None) -> oa.Vocabularies:
    """Our lists, and the Activity List (when readable) for concepts named by label or by a narrower one."""
    document: dict[str, Any] | None = None
    if path is not None:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            log.warning("OpenActive Activity List at %s not usable (%s); only direct links are read", path, error)
    vocabulary = node.vocabulary
    return oa.Vocabularies(
        vocabulary.sports, vocabulary.target_groups, vocabulary.accessibility,
        oa.activity_index(vocabulary.sports, document),
    )


def _site(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- places: the CBS municipality a location lies in ---------------------------------------------------


def _locate(node: Node, place: oa.PlaceIn, warnings: list[str]) -> None:
    """Fill in the municipality (and check the neighbourhood) a foreign place does not name in CBS codes."""
    data, areas = place.data, node.areas
    code = data.get("municipalityCode")
    if code not in areas.municipalities:
        by_name = [m.code for m in areas.municipalities.values()
                   if place.locality and m.name.casefold() == place.locality.casefold()]
        code = by_name[0] if by_name else _nearest_municipality(node, data["latitude"], data["longitude"])
        data["municipalityCode"] = code
    neighbourhood = data.get("neighbourhoodCode")
    if neighbourhood and areas.neighbourhood_error(code, neighbourhood):
        warnings.append(f"neighbourhood {neighbourhood} does not lie in {code}: left out")
        del data["neighbourhoodCode"]


def _nearest_municipality(node: Node, latitude: float, longitude: float) -> str:
    # The municipality of the nearest wijk centre: good enough for filtering by area, and every place
    # of ours needs one.
    scale = math.cos(math.radians(latitude))

    def distance(lat: float, lon: float) -> float:
        return (lat - latitude) ** 2 + ((lon - longitude) * scale) ** 2

    wijk = min(node.areas.neighbourhoods.values(), key=lambda n: distance(n.lat, n.lon))
    return wijk.municipality_code


# --- organisations ------------------------------------------------------------------------------------


async def _new_keys(node: Node, organisers: list[oa.OrganiserIn]) -> dict[str, KeyPair]:
    """Key pairs for organizers that will become new organisations (slow, so before the transaction)."""
    wanted: dict[str, str] = {}  # organiser key -> slug
    async with node.db.read() as db:
        for organiser in organisers:
            if organiser.key in wanted or await _known_organisation(db, organiser) is not None:
                continue
            slug, n = slugify(organiser.data["name"]), 1
            while slug in wanted.values() or await get_object(db, node.object_url("organisation", slug)):
                n += 1
                slug = f"{slugify(organiser.data['name'])}-{n}"
            wanted[organiser.key] = slug
    pairs = await new_key_pairs([node.object_url("organisation", slug) for slug in wanted.values()])
    return dict(zip(wanted, pairs, strict=True))


async def _known_organisation(db: aiosqlite.Connection, organiser: oa.OrganiserIn) -> str | None:
    """The organisation an organizer became earlier, else a live one of ours with the same name."""
    mapped = await store.get_organisation(db, organiser.key)
    found = await get_object(db, mapped) if mapped else None
    if found is not None and not found.deleted:
        return found.id
    same_name = await find_live_by_name(db, "organisation", organiser.data["name"])
    return same_name.id if same_name else None


async def _organisation(
    db: aiosqlite.Connection, node: Node, organiser: oa.OrganiserIn, keys: dict[str, KeyPair],
    report: HarvestReport,
) -> str:
    known = await _known_organisation(db, organiser)
    if known is None:
        created = await create_organisation_in(db, node, organiser.data, keys.get(organiser.key))
        known = created.object.id
        report.count("created", "organisation")
        report.warnings.append(f"new organisation {organiser.data['name']!r}: give it a token with "
                               f"`sportnode org invite {created.object.document['preferredUsername']}`")
    await store.put_organisation(db, organiser.key, known)
    return known


# --- applying items -----------------------------------------------------------------------------------


def _key(object_id: str) -> str:
    return object_id.rsplit("/", 1)[1]


async def _live(db: aiosqlite.Connection, object_id: str) -> StoredObject | None:
    found = await get_object(db, object_id) if object_id else None
    return found if found is not None and not found.deleted else None


def _place_ids(document: dict[str, Any]) -> set[str]:
    locations = [document.get("location")] + [i.get("location") for i in document.get("hasCourseInstance", [])]
    return {loc["id"] for loc in locations if isinstance(loc, dict) and "id" in loc}


async def _drop_unused_places(db: aiosqlite.Connection, node: Node, place_ids: set[str],
                              report: HarvestReport) -> None:
    """Harvested places that no activity or course uses any more go, as they came, with the feed."""
    for place_id in sorted(place_ids):
        place = await _live(db, place_id)
        if place is None or not (place.source_key or "").startswith("rpde:"):
            continue
        if not await objects_at_place(db, place_id):
            await delete_in(db, node, place.owner, "place", _key(place_id))
            report.count("deleted", "place")


async def _remove(db: aiosqlite.Connection, node: Node, found: StoredObject, report: HarvestReport) -> None:
    places = _place_ids(found.document)
    await delete_in(db, node, found.owner, found.kind, _key(found.id))
    report.count("deleted", found.kind)
    await _drop_unused_places(db, node, places, report)


async def _place(db: aiosqlite.Connection, node: Node, owner: str, place: oa.PlaceIn, report: HarvestReport,
                 warnings: list[str]) -> str:
    _locate(node, place, warnings)
    stored, outcome = await upsert_in(db, node, owner, "place", place.data, place.key)
    report.count(outcome, "place")
    return stored.id


async def _apply_activity(db: aiosqlite.Connection, node: Node, feed_url: str, item: oa.FeedItem,
                          opportunity: oa.Opportunity, owner: str, report: HarvestReport) -> None:
    assert opportunity.place is not None
    place_id = await _place(db, node, owner, opportunity.place, report, opportunity.warnings)
    held = await store.get_item(db, feed_url, item.id)
    before = await _live(db, held.object_id) if held else None
    if before is not None and before.owner != owner:
        # Another organizer now: the object moves to that organisation (ids are per owner).
        await _remove(db, node, before, report)
    data = {**opportunity.data, "place": place_id}
    stored, outcome = await upsert_in(db, node, owner, "activity", data, oa.source_key(feed_url, "item", item.id))
    report.count(outcome, "activity")
    await store.put_item(db, feed_url, item.id, "activity", stored.id)
    if before is not None and before.owner == owner:
        await _drop_unused_places(db, node, _place_ids(before.document) - {place_id}, report)


async def _rebuild_course(db: aiosqlite.Connection, node: Node, feed_url: str, course_key: str,
                          owner: str | None, course: dict[str, Any] | None, report: HarvestReport) -> None:
    """Store the course as its live instance items describe it now (or delete it when none is left).

    `owner` and `course` (the course's input) come from the item just applied; after a delete, from
    the instances that are left."""
    rows = await store.course_instances(db, feed_url, course_key)
    source = oa.source_key(feed_url, "course", course_key)
    before = await store.live_by_source_key(db, "course", source)
    if before is not None and (not rows or (owner is not None and before.owner != owner)):
        await _remove(db, node, before, report)
        before = None
    if not rows:
        return
    owner = owner or (before.owner if before else rows[-1]["owner"])
    data = {**(course or rows[-1]["course"]), "instances": oa.sorted_instances([r["instance"] for r in rows])}
    stored, outcome = await upsert_in(db, node, owner, "course", data, source)
    report.count(outcome, "course")
    await store.set_course_object(db, feed_url, course_key, stored.id)


async def _apply_course(db: aiosqlite.Connection, node: Node, feed_url: str, item: oa.FeedItem,
                        opportunity: oa.Opportunity, owner: str, report: HarvestReport) -> None:
    assert opportunity.instance is not None and opportunity.course_key is not None
    instance = dict(opportunity.instance)
    if opportunity.place is not None:
        instance["place"] = await _place(db, node, owner, opportunity.place, report, opportunity.warnings)
    held = await store.get_item(db, feed_url, item.id)
    if held and held.course_key and held.course_key != opportunity.course_key:
        await store.drop_item(db, feed_url, item.id)
        await _rebuild_course(db, node, feed_url, held.course_key, None, None, report)
    record = {"course": opportunity.data, "instance": instance, "owner": owner}
    await store.put_item(db, feed_url, item.id, "course", "", opportunity.course_key, record)
    await _rebuild_course(db, node, feed_url, opportunity.course_key, owner, opportunity.data, report)


async def _forget(db: aiosqlite.Connection, node: Node, feed_url: str, item_id: str,
                  report: HarvestReport) -> None:
    """A deleted item (or one we can no longer hold): remove what it became here, if anything."""
    held = await store.get_item(db, feed_url, item_id)
    if held is None:
        return
    await store.drop_item(db, feed_url, item_id)
    if held.kind == "course" and held.course_key:
        await _rebuild_course(db, node, feed_url, held.course_key, None, None, report)
        return
    found = await _live(db, held.object_id)
    if found is not None:
        await _remove(db, node, found, report)


@dataclass
class _Savepoint:
    """One item's changes, undone alone when the item turns out to be one our model cannot hold."""

    db: aiosqlite.Connection

    async def __aenter__(self) -> None:
        await self.db.execute("SAVEPOINT harvest_item")

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            await self.db.execute("ROLLBACK TO harvest_item")
        await self.db.execute("RELEASE harvest_item")


async def _apply_item(db: aiosqlite.Connection, node: Node, feed_url: str, item: oa.FeedItem,
                      mapped: oa.Opportunity | oa.Unmappable | None, keys: dict[str, KeyPair],
                      report: HarvestReport) -> None:
    problem: str | None = str(mapped) if isinstance(mapped, oa.Unmappable) else None
    if isinstance(mapped, oa.Opportunity):
        try:
            async with _Savepoint(db):
                owner = await _organisation(db, node, mapped.organiser, keys, report)
                apply = _apply_activity if mapped.kind == "activity" else _apply_course
                await apply(db, node, feed_url, item, mapped, owner, report)
            report.warnings += [f"item {item.id}: {w}" for w in mapped.warnings]
            return
        except SportnodeError as error:
            problem = str(error).replace("\n", ";")
    async with _Savepoint(db):
        await _forget(db, node, feed_url, item.id, report)
    if problem is not None:
        report.skipped += 1
        report.warnings.append(f"item {item.id} skipped: {problem}")


# --- the page loop ------------------------------------------------------------------------------------


async def _fetch(node: Node, url: str) -> Any:
    try:
        return await node.http.get_json(url, None, accept=ACCEPT, max_bytes=MAX_PAGE_BYTES)
    except FetchError as error:
        raise harvest_error(str(error)) from None


async def _apply_page(node: Node, feed_url: str, page_url: str, page: oa.FeedPage,
                      vocabularies: oa.Vocabularies, report: HarvestReport) -> None:
    site = _site(page_url)
    mapped: list[oa.Opportunity | oa.Unmappable | None] = []
    for item in page.items:
        if item.state == "deleted":
            mapped.append(None)
            continue
        try:
            mapped.append(oa.map_item(item, feed_url, site, vocabularies))
        except oa.Unmappable as problem:
            mapped.append(problem)
    keys = await _new_keys(node, [m.organiser for m in mapped if isinstance(m, oa.Opportunity)])
    last = page.items[-1].modified if page.items else None
    async with node.db.write() as db:
        for item, result in zip(page.items, mapped, strict=True):
            await _apply_item(db, node, feed_url, item, result, keys, report)
        await store.save_cursor(db, feed_url, page.next_url, last, len(page.items), node.now())


async def harvest(node: Node, feed_url: str, *, progress: Progress | None = None,
                  max_pages: int = 100_000) -> HarvestReport:
    """Harvest `feed_url` from where the last run stopped to its last page; raise HarvestError on bad input."""
    vocabularies = load_vocabularies(node, activity_list_path(node.config))
    async with node.db.read() as db:
        cursor = await store.get_cursor(db, feed_url)
    url = cursor.next_url if cursor else feed_url
    last_modified = cursor.last_modified if cursor else None
    report = HarvestReport(feed_url, resume_url=url)
    seen: set[str] = set()
    try:
        for _ in range(max_pages):
            if url in seen:
                raise harvest_error(f"{url}: the feed leads back to a page it already gave")
            seen.add(url)
            try:
                page = oa.parse_page(await _fetch(node, url), url, last_modified)
            except oa.FeedError as error:
                raise harvest_error(f"{url}: {error}") from None
            if not page.items:
                if cursor is None or page.next_url != url:
                    async with node.db.write() as db:
                        await store.save_cursor(db, feed_url, page.next_url, None, 0, node.now())
                report.resume_url = page.next_url
                return report
            await _apply_page(node, feed_url, url, page, vocabularies, report)
            report.pages += 1
            report.items += len(page.items)
            report.resume_url = url = page.next_url
            last_modified = page.items[-1].modified
            cursor = cursor or store.FeedCursor(feed_url, url, last_modified, 1, 0, "")
            if progress:
                progress(len(page.items))
        raise harvest_error(f"{feed_url}: more than {max_pages} pages; run the harvest again to go on")
    except HarvestError as error:
        kept = (f"{report.pages} page(s) ({report.items} item(s)) of this run were stored" if report.pages
                else "nothing of this run was stored")
        error.detail = f"{error.detail}\n{kept}; the next run resumes at {report.resume_url}"
        raise
