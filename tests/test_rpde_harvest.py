"""`sportnode import --rpde URL`: harvesting RPDE feeds into a second node, over real servers on loopback.

The source is a small demo node (`sportnode demo --load-only`) served by aiohttp; the harvester is a node
made with `sportnode init`, and every harvest runs the real command (`main`, in a thread, while the test's
event loop serves the feed). Bad feeds come from a small aiohttp app of the test.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from conftest import activity_input, place_input
from test_demo_node import free_port

from node.cli.main import main
from node.config import Config, load_config
from node.protocol.openactive import plain_text
from node.protocol.openactive_in import activity_index, sport_of
from node.services import publishing
from node.services.node import Node, OffsetClock, open_node
from node.services.rpde import HOLD_BACK_MS, activity_list_path
from node.store import harvest as harvest_store
from node.store.objects import StoredObject, get_object, list_owned
from node.web.app import create_app

FEEDS = ("session-series", "events", "course-instances")
ASHTANGA = "https://openactive.io/activity-list#1a8e23f3-5e12-411f-99fc-a4fe98010f7d"  # narrower than Yoga


@dataclass
class Source:
    node: Node
    base_url: str
    clock: OffsetClock  # the source node's: moved past the hold-back instead of sleeping through it


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A small demo node's data folder, built once; each test serves its own copy (ids name the port)."""
    folder, port = tmp_path_factory.mktemp("harvest-source") / "data", free_port()
    argv = ["demo", "--port", str(port), "--dir", str(folder), "--load-only", "--organisations", "5",
            "--activities", "24", "--seed", "7"]
    assert main(argv) == 0
    return folder, port


@pytest.fixture
async def source(demo_template: tuple[Path, int], tmp_path: Path) -> AsyncIterator[Source]:
    template, port = demo_template
    folder = tmp_path / "source"
    shutil.copytree(template, folder)
    config = Config(name="Bron", base_url=f"http://127.0.0.1:{port}", data_dir=folder, development=True, port=port)
    clock = OffsetClock()
    node = await open_node(config, clock)
    runner = web.AppRunner(create_app(node))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    # The demo's last writes must be older than the feed's hold-back before the feeds show them.
    settle(clock)
    yield Source(node, config.base_url, clock)
    await runner.cleanup()
    await node.close()


@pytest.fixture
def harvester(tmp_path: Path) -> Path:
    config = tmp_path / "harvester" / "sportnode.toml"
    argv = ["init", "--config", str(config), "--base-url", "http://127.0.0.1:9", "--name", "Oogst", "--development"]
    assert main(argv) == 0
    return config


def settle(clock: OffsetClock) -> None:
    """Move the source's clock past its 2-second hold-back, so that its latest changes are in its feeds."""
    clock.advance(timedelta(milliseconds=HOLD_BACK_MS + 100))


async def run_import(config: Path, url: str) -> int:
    # The real command, with its own event loop in a thread; this loop keeps serving the feed.
    return await asyncio.to_thread(main, ["import", "--rpde", url, "--config", str(config)])


@pytest.fixture
async def harvested(harvester: Path) -> Callable[[], Any]:
    """Opens the harvesting node (after the command ran) as an async context."""
    class Opened:
        async def __aenter__(self) -> Node:
            self.node = await open_node(load_config(harvester))
            return self.node

        async def __aexit__(self, *_: object) -> None:
            await self.node.close()

    return Opened


async def feed_items(base_url: str, feed: str) -> list[dict[str, Any]]:
    """Every item of a feed, walked to its last page; later versions of an item replace earlier ones."""
    items: dict[str, dict[str, Any]] = {}
    url = f"{base_url}/openactive/{feed}"
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(url) as response:
                page = await response.json()
            for item in page["items"]:
                items[item["id"]] = item
            if not page["items"]:
                return list(items.values())
            url = page["next"]


async def harvested_object(node: Node, feed_url: str, item_id: str) -> StoredObject | None:
    async with node.db.read() as db:
        held = await harvest_store.get_item(db, feed_url, item_id)
        found = await get_object(db, held.object_id) if held else None
    return found


async def document(node: Node, object_id: str) -> dict[str, Any]:
    async with node.db.read() as db:
        found = await get_object(db, object_id)
    assert found is not None
    return found.document


def place_view(place: dict[str, Any]) -> tuple[Any, ...]:
    return (place["name"], place["address"]["streetAddress"], place["address"]["postalCode"],
            place["latitude"], place["longitude"], place["municipalityCode"], place.get("neighbourhoodCode"),
            tuple(place.get("accessibilitySupport", [])))


async def activity_view(node: Node, doc: dict[str, Any]) -> dict[str, Any]:
    """What must survive the trip: names, sports, schedule, place, price, organiser, audience."""
    schedule = doc.get("eventSchedule", {})
    return {
        "name": doc["name"],
        "description": plain_text(doc.get("content", "")),
        "sport": doc["sport"],
        "days": schedule.get("byDay"),
        "times": (schedule.get("startTime"), schedule.get("endTime")),
        "once": tuple(datetime.fromisoformat(doc[k]) for k in ("startTime", "endTime") if k in doc),
        "place": place_view(doc["location"]),
        "prices": [o["price"] for o in doc.get("offers", [])],
        "organiser": (await document(node, doc["attributedTo"]))["name"],
        "targets": doc.get("targetGroup"),
        "ages": doc.get("ageRange"),
        "access": doc.get("accessibilitySupport"),
    }


async def course_view(node: Node, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": doc["name"],
        "sport": doc.get("sport"),
        "intendedFor": doc.get("intendedFor"),
        "organiser": (await document(node, doc["attributedTo"]))["name"],
        "instances": sorted(
            (i["startDate"], i.get("endDate", i["startDate"]), i["courseMode"],
             place_view(i["location"]) if "location" in i else None, [o["price"] for o in i.get("offers", [])])
            for i in doc["hasCourseInstance"]
        ),
    }


async def harvest_all(config: Path, source: Source, feeds: tuple[str, ...] = FEEDS) -> None:
    for feed in feeds:
        assert await run_import(config, f"{source.base_url}/openactive/{feed}") == 0


async def live(node: Node, kind: str) -> list[StoredObject]:
    async with node.db.read() as db, db.execute("SELECT id FROM objects WHERE kind = ? AND deleted IS NULL",
                                                (kind,)) as cursor:
        ids = [row[0] for row in await cursor.fetchall()]
    return [found for i in ids if (found := await harvested_object_by_id(node, i))]


async def harvested_object_by_id(node: Node, object_id: str) -> StoredObject | None:
    async with node.db.read() as db:
        return await get_object(db, object_id)


async def test_harvesting_our_own_feeds_gives_the_same_objects(
    source: Source, harvester: Path, harvested: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    await harvest_all(harvester, source)
    out = capsys.readouterr().out
    assert "Harvested" in out and "The next run resumes at" in out
    updated = {feed: [i for i in await feed_items(source.base_url, feed) if i["state"] == "updated"]
               for feed in FEEDS}
    assert len(updated["session-series"]) > 5 and updated["course-instances"] and updated["events"]
    async with harvested() as node:
        organisers: set[str] = set()
        for feed in ("session-series", "events"):
            feed_url = f"{source.base_url}/openactive/{feed}"
            for item in updated[feed]:
                copy = await harvested_object(node, feed_url, item["id"])
                assert copy is not None and not copy.deleted, item["id"]
                assert copy.id.startswith("http://127.0.0.1:9/activities/")
                original = await document(source.node, item["id"])
                assert await activity_view(node, copy.document) == await activity_view(source.node, original)
                organisers.add(item["data"]["organizer"]["name"])
        course_feed = f"{source.base_url}/openactive/course-instances"
        courses = {i["data"]["instanceOfCourse"]["@id"] for i in updated["course-instances"]}
        for course_id in courses:
            instance_item = next(i for i in updated["course-instances"]
                                 if i["data"]["instanceOfCourse"]["@id"] == course_id)
            copy = await harvested_object(node, course_feed, instance_item["id"])
            assert copy is not None
            assert await course_view(node, copy.document) == await course_view(
                source.node, await document(source.node, course_id))
        harvested_activities = await live(node, "activity")
        assert len(harvested_activities) == len(updated["session-series"]) + len(updated["events"])
        assert len(await live(node, "course")) == len(courses)
        names = {o.document["name"] for o in await live(node, "organisation")}
        assert organisers <= names
        # Each organisation holds the places its activities use, and no other.
        for organisation in await live(node, "organisation"):
            async with node.db.read() as db:
                places = {p.id for p in await list_owned(db, organisation.id, "place")}
                used = {a.document["location"]["id"] for a in await list_owned(db, organisation.id, "activity")}
                used |= {i["location"]["id"] for c in await list_owned(db, organisation.id, "course")
                         for i in c.document["hasCourseInstance"] if "location" in i}
            assert places == used


async def test_a_second_harvest_resumes_and_brings_changes_and_deletes(
    source: Source, harvester: Path, harvested: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ss = f"{source.base_url}/openactive/session-series"
    async with source.node.db.read() as db, db.execute(
        "SELECT id FROM objects WHERE kind = 'organisation' ORDER BY id LIMIT 1"
    ) as cursor:
        (owner,) = await cursor.fetchone()  # type: ignore[misc]
    place = await publishing.create(source.node, owner, "place", place_input())
    added = await publishing.create(source.node, owner, "activity", activity_input(place.id, name="Jeu de boules"))
    settle(source.clock)
    await harvest_all(harvester, source, ("session-series", "course-instances"))
    items = [i for i in await feed_items(source.base_url, "session-series") if i["state"] == "updated"]
    doomed = next(i["id"] for i in items if i["id"] != added.id)
    courses = [i for i in await feed_items(source.base_url, "course-instances") if i["state"] == "updated"]
    doomed_course = courses[0]["data"]["instanceOfCourse"]["@id"]
    async with harvested() as node:
        first = await harvested_object(node, ss, added.id)
        assert first is not None and first.document["name"] == "Jeu de boules"
        before = {kind: len(await live(node, kind)) for kind in ("organisation", "place", "activity", "course")}
        assert await harvested_object(node, f"{source.base_url}/openactive/course-instances", courses[0]["id"])

    # At the source: one activity changes, one is deleted, one course is deleted.
    key = added.id.rsplit("/", 1)[1]
    await publishing.replace(source.node, owner, "activity", key,
                             activity_input(place.id, name="Jeu de boules op zaterdag", price=2.5))
    async with source.node.db.read() as db:
        doomed_owner = (await get_object(db, doomed)).owner  # type: ignore[union-attr]
        course_owner = (await get_object(db, doomed_course)).owner  # type: ignore[union-attr]
    await publishing.delete(source.node, doomed_owner, "activity", doomed.rsplit("/", 1)[1])
    await publishing.delete(source.node, course_owner, "course", doomed_course.rsplit("/", 1)[1])
    settle(source.clock)
    capsys.readouterr()
    assert await run_import(harvester, ss) == 0
    out = capsys.readouterr().out
    # Resumed: only the two changed items came, not the whole feed again.
    assert "Harvested 2 item(s) in 1 page(s)" in out, out
    assert await run_import(harvester, f"{source.base_url}/openactive/course-instances") == 0

    async with harvested() as node:
        changed = await harvested_object(node, ss, added.id)
        assert changed is not None and changed.id == first.id  # the same object, updated
        assert changed.document["name"] == "Jeu de boules op zaterdag"
        assert changed.document["offers"][0]["price"] == 2.5
        gone = await harvested_object(node, ss, doomed)
        assert gone is None or gone.deleted
        assert await harvested_object(node, f"{source.base_url}/openactive/course-instances",
                                      courses[0]["id"]) is None
        after = {kind: len(await live(node, kind)) for kind in ("organisation", "place", "activity", "course")}
        assert after["activity"] == before["activity"] - 1
        assert after["course"] == before["course"] - 1
        assert after["organisation"] == before["organisation"]
        assert after["place"] <= before["place"]
        # Harvesting again with nothing new changes nothing.
    assert await run_import(harvester, ss) == 0
    assert "Harvested 0 item(s)" in capsys.readouterr().out
    async with harvested() as node:
        assert {kind: len(await live(node, kind)) for kind in after} == after


# --- bad feeds ----------------------------------------------------------------------------------------


def session_item(number: int, modified: int, name: str = "Ashtanga yoga in het park") -> dict[str, Any]:
    """A SessionSeries as a foreign OpenActive publisher writes it: no sn: terms, no CBS codes."""
    return {
        "state": "updated", "kind": "SessionSeries", "id": str(number), "modified": modified,
        "data": {
            "@context": "https://openactive.io/", "@type": "SessionSeries", "@id": f"https://pub.example/ss/{number}",
            "name": f"{name} {number}",
            "activity": [{"@type": "Concept", "@id": ASHTANGA, "prefLabel": "Ashtanga Yoga"}],
            "organizer": {"@type": "Organization", "@id": "https://pub.example/org/zon", "name": "Yogaschool Zon",
                          "url": "https://pub.example/", "email": "info@zon.example"},
            "location": {
                "@type": "Place", "@id": "https://pub.example/places/park", "name": "Park Randenbroek",
                "address": {"@type": "PostalAddress", "streetAddress": "Parkweg 1", "postalCode": "3818aa",
                            "addressLocality": "Amersfoort", "addressCountry": "NL"},
                "geo": {"@type": "GeoCoordinates", "latitude": 52.152, "longitude": 5.404},
            },
            "offers": [{"@type": "Offer", "price": 7.5, "priceCurrency": "EUR"}],
            "eventSchedule": [{"@type": "Schedule", "byDay": ["https://schema.org/Saturday"],
                               "startTime": "09:00", "endTime": "10:15", "repeatFrequency": "P1W"}],
        },
    }


@pytest.fixture
async def publisher() -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """A feed of our own making: pages by name, each a JSON value, or text for a broken body."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    pages: dict[str, Any] = {}

    async def page(request: web.Request) -> web.StreamResponse:
        body = pages.get(request.match_info["name"])
        if body is None:
            raise web.HTTPNotFound()
        if isinstance(body, str):
            return web.Response(text=body, content_type="application/json")
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/feed/{name}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield base, pages
    await runner.cleanup()


async def run_failing(config: Path, url: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert await run_import(config, url) == 2
    return capsys.readouterr().err


async def names(harvested: Any) -> list[str]:
    async with harvested() as node:
        return sorted(a.document["name"] for a in await live(node, "activity"))


@pytest.mark.parametrize(
    ("second_page", "problem"),
    [
        ("{\"items\": [", "did not answer JSON"),
        ({"items": [session_item(3, 9), session_item(4, 2)], "next": "NEXT"}, "`modified` goes backwards"),
        ({"items": [session_item(3, 1)], "next": "NEXT"}, "`modified` goes backwards"),
        ({"items": [session_item(3, 9)], "next": "SELF"}, "does not move on"),
        (None, "answered 404"),
        ({"items": "none", "next": "NEXT"}, "no `items` array"),
    ],
    ids=["broken-json", "backwards-in-page", "backwards-across-pages", "next-stuck", "404", "not-rpde"],
)
async def test_a_bad_page_is_refused_clearly_and_keeps_what_came_before(
    publisher: tuple[str, dict[str, Any]], harvester: Path, harvested: Any, capsys: pytest.CaptureFixture[str],
    second_page: Any, problem: str,
) -> None:
    base, pages = publisher
    pages["one"] = {"items": [session_item(1, 4), session_item(2, 5)], "next": f"{base}/feed/two"}
    fix = {"NEXT": f"{base}/feed/three", "SELF": f"{base}/feed/two"}
    if isinstance(second_page, dict):
        second_page = {**second_page, "next": fix[second_page["next"]]}
    if second_page is not None:
        pages["two"] = second_page
    pages["three"] = {"items": [], "next": f"{base}/feed/three"}
    error = await run_failing(harvester, f"{base}/feed/one", capsys)
    assert f"{base}/feed/two" in error and problem in error, error
    assert "1 page(s) (2 item(s)) of this run were stored" in error
    assert await names(harvested) == ["Ashtanga yoga in het park 1", "Ashtanga yoga in het park 2"]

    # Once the publisher mends the page, the next run resumes at it and goes on.
    pages["two"] = {"items": [session_item(3, 9), {"state": "deleted", "kind": "SessionSeries", "id": "1",
                                                    "modified": 10}], "next": f"{base}/feed/three"}
    assert await run_import(harvester, f"{base}/feed/one") == 0
    assert "Harvested 2 item(s) in 1 page(s)" in capsys.readouterr().out
    assert await names(harvested) == ["Ashtanga yoga in het park 2", "Ashtanga yoga in het park 3"]


async def test_a_foreign_item_is_read_from_plain_openactive_terms(
    publisher: tuple[str, dict[str, Any]], harvester: Path, harvested: Any
) -> None:
    base, pages = publisher
    pages["one"] = {"items": [session_item(1, 4)], "next": f"{base}/feed/end"}
    pages["end"] = {"items": [], "next": f"{base}/feed/end"}
    assert await run_import(harvester, f"{base}/feed/one") == 0
    async with harvested() as node:
        (activity,) = await live(node, "activity")
        doc = activity.document
        # The Activity List's Ashtanga Yoga is narrower than Yoga, which is our sport.
        assert doc["sport"] == "https://w3id.org/sportnode/sports#yoga"
        assert doc["eventSchedule"]["byDay"] == ["https://schema.org/Saturday"]
        assert doc["location"]["municipalityCode"] == "GM0307"  # from the locality's name
        assert doc["location"]["address"]["postalCode"] == "3818 AA"
        assert doc["offers"][0]["price"] == 7.5
        organisation = await document(node, doc["attributedTo"])
        assert organisation["name"] == "Yogaschool Zon"
        assert organisation["contactPoint"]["email"] == "info@zon.example"


async def test_an_item_our_model_cannot_hold_is_skipped_with_a_warning(
    publisher: tuple[str, dict[str, Any]], harvester: Path, harvested: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    base, pages = publisher
    odd = session_item(2, 5)
    odd["data"]["activity"] = [{"@id": "https://openactive.io/activity-list#not-a-concept", "prefLabel": "Quidditch"}]
    pages["one"] = {"items": [session_item(1, 4), odd], "next": f"{base}/feed/end"}
    pages["end"] = {"items": [], "next": f"{base}/feed/end"}
    assert await run_import(harvester, f"{base}/feed/one") == 0
    out = capsys.readouterr().out
    assert "item 2 skipped: no sport of ours for the activity Quidditch" in out
    assert await names(harvested) == ["Ashtanga yoga in het park 1"]


def test_activity_list_concepts_map_to_our_sports(node_vocabulary: Any) -> None:
    import json

    path = activity_list_path()
    assert path is not None
    index = activity_index(node_vocabulary.sports, json.loads(path.read_text(encoding="utf-8")))
    assert sport_of([{"@id": ASHTANGA}], index) == "https://w3id.org/sportnode/sports#yoga"
    assert sport_of([{"prefLabel": "chair yoga"}], index) == "https://w3id.org/sportnode/sports#stoelyoga"
    assert sport_of([{"@id": "https://example.org/other"}], index) is None


@pytest.fixture
def node_vocabulary() -> Any:
    from node.paths import vocab_dir
    from node.protocol.vocab import load_vocabulary

    return load_vocabulary(vocab_dir())


def test_the_activity_list_setting_is_read_relative_to_the_config(tmp_path: Path) -> None:
    from node.config import parse_config

    raw = {"node": {"name": "n", "base_url": "http://127.0.0.1:9", "data_dir": "data", "development": True},
           "openactive": {"activity_list": "lists/activity-list.jsonld"}}
    config = parse_config(raw, tmp_path)
    assert config.activity_list == tmp_path / "lists" / "activity-list.jsonld"
    assert activity_list_path(config) == config.activity_list
    unset = parse_config({**raw, "openactive": {}}, tmp_path)
    assert unset.activity_list is None and activity_list_path(unset) == activity_list_path()
