"""RPDE feeds over a real app on loopback and a real SQLite file: the harvester rules of RPDE 1.0."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from conftest import BASE_URL, activity_input, course_input, create, place_input

from node.config import Config
from node.services import rpde
from node.services.node import Node, OffsetClock, open_node
from node.web.rpde import RPDE

SS = "/openactive/session-series"


def path_of(url: str) -> str:
    assert url.startswith(BASE_URL), url
    return url[len(BASE_URL) :]


async def get_page(client: TestClient[Any, Any], path: str) -> tuple[dict[str, Any], str]:
    response = await client.get(path)
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("application/json")
    page: dict[str, Any] = await response.json()
    return page, response.headers["Cache-Control"]


async def walk(client: TestClient[Any, Any], path: str) -> tuple[list[dict[str, Any]], list[str]]:
    """All items from `path` to the last page, and the path of every page walked."""
    items: list[dict[str, Any]] = []
    pages = [path]
    for _ in range(1000):
        page, _cache = await get_page(client, path)
        items.extend(page["items"])
        if not page["items"]:
            assert path_of(page["next"]) == path
            return items, pages
        path = path_of(page["next"])
        pages.append(path)
    raise AssertionError("the feed did not end")


@pytest.fixture
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture
async def node(config: Config, clock: OffsetClock) -> AsyncIterator[Node]:
    """The shared fixture's node, on a clock the tests move past the hold-back instead of sleeping."""
    opened = await open_node(config, clock)
    yield opened
    await opened.close()


def settled(clock: OffsetClock) -> None:
    """Move the node's clock past the 2-second hold-back: every change so far is then in the feeds."""
    clock.advance(timedelta(milliseconds=rpde.HOLD_BACK_MS + 100))


async def page_at(node: Node, feed: str, *, after_ms: int, cursor: rpde.Cursor | None = None) -> dict[str, Any]:
    """A page as the service builds it `after_ms` past the node's clock (without moving the clock)."""
    return await rpde.feed_page(
        node, feed, cursor, own_url="self", activities=_concepts(node),
        now_ms=int(node.clock().timestamp() * 1000) + after_ms,
    )


def _concepts(node: Node) -> dict[str, Any]:
    return rpde.load_activity_concepts(node, rpde.activity_list_path())


@pytest.fixture
async def offering(client: TestClient[Any, Any], club: dict[str, Any]) -> dict[str, Any]:
    place = await create(client, club, "places", place_input())
    recurring = [
        await create(client, club, "activities", activity_input(place["id"], name=f"Walking football {i}"))
        for i in range(4)
    ]
    return {"place": place, "recurring": recurring}


async def test_items_are_ordered_and_next_is_built_from_the_last_item(
    client: TestClient[Any, Any], node: Node, offering: dict[str, Any], clock: OffsetClock
) -> None:
    settled(clock)
    client.app[RPDE].page_size = 3
    page, cache = await get_page(client, SS)
    assert len(page["items"]) == 3 and page["license"].startswith("https://creativecommons.org/")
    last = page["items"][-1]
    query = parse_qs(urlsplit(page["next"]).query)
    assert query == {"afterTimestamp": [str(last["modified"])], "afterId": [last["id"]]}
    assert cache == "public, max-age=3600"
    keys = [(i["modified"], i["id"]) for i in page["items"]]
    assert keys == sorted(keys) and all(isinstance(i["modified"], int) for i in page["items"])
    item = page["items"][0]
    assert item["state"] == "updated" and item["kind"] == "SessionSeries"
    data = item["data"]
    assert data["@context"] == ["https://openactive.io/", "https://w3id.org/sportnode/openactive-extension.jsonld"]
    assert data["activity"][0]["inScheme"] == "https://openactive.io/activity-list"
    assert data["eventSchedule"][0]["scheduleTimezone"] == "Europe/Amsterdam"
    assert data["organizer"]["@id"].endswith("/organisations/korfbalvereniging-de-zwaluwen")
    assert data["offers"][0]["price"] == 0.0 and data["isAccessibleForFree"] is True
    assert data["ageRange"] == {"@type": "QuantitativeValue", "minValue": 65}
    assert data["sn:targetGroup"] == ["https://w3id.org/sportnode/target-groups#senioren"]
    assert "<" not in data["description"]


async def test_the_last_page_is_empty_and_names_itself(
    client: TestClient[Any, Any], offering: dict[str, Any], clock: OffsetClock
) -> None:
    settled(clock)
    items, pages = await walk(client, SS)
    assert len(items) == 4
    page, cache = await get_page(client, pages[-1])
    assert page["items"] == [] and path_of(page["next"]) == pages[-1]
    assert cache == "public, max-age=8"
    empty, _ = await get_page(client, "/openactive/events")
    assert empty["next"] == BASE_URL + "/openactive/events"


async def test_a_change_reappears_later_and_modified_never_goes_backwards(
    client: TestClient[Any, Any], club: dict[str, Any], offering: dict[str, Any], clock: OffsetClock
) -> None:
    settled(clock)
    before, _ = await walk(client, SS)
    first = offering["recurring"][0]
    key = first["id"].rsplit("/", 1)[1]
    # Many changes inside one second must still each get a larger `modified`.
    for name in ("Walking football A", "Walking football B", "Walking football C"):
        response = await client.put(
            f"/api/activities/{key}", json=activity_input(offering["place"]["id"], name=name),
            headers=club["headers"],
        )
        assert response.status == 200
    settled(clock)
    after, _ = await walk(client, SS)
    assert len(after) == len(before)
    moved = next(i for i in after if i["id"] == first["id"])
    assert moved["data"]["name"] == "Walking football C"
    assert moved is after[-1] and moved["modified"] > max(i["modified"] for i in before)


async def test_deletes_are_tombstones_that_stay(
    client: TestClient[Any, Any], node: Node, club: dict[str, Any], offering: dict[str, Any]
) -> None:
    gone = offering["recurring"][1]
    response = await client.delete(f"/api/activities/{gone['id'].rsplit('/', 1)[1]}", headers=club["headers"])
    assert response.status == 204
    eight_days = 8 * 24 * 3600 * 1000
    page = await page_at(node, "session-series", after_ms=eight_days)
    deleted = [i for i in page["items"] if i["id"] == gone["id"]]
    assert deleted == [{"state": "deleted", "kind": "SessionSeries", "id": gone["id"],
                        "modified": deleted[0]["modified"]}]


async def test_changes_of_the_last_two_seconds_are_held_back(
    client: TestClient[Any, Any], node: Node, club: dict[str, Any], offering: dict[str, Any]
) -> None:
    # Right after the writes nothing is served, over HTTP as by the service...
    page, _ = await get_page(client, SS)
    assert page["items"] == []
    assert (await page_at(node, "session-series", after_ms=0))["items"] == []
    # ...and 2 seconds on, everything.
    assert len((await page_at(node, "session-series", after_ms=2100))["items"]) == 4


async def test_an_activity_that_changes_kind_moves_between_feeds(
    client: TestClient[Any, Any], node: Node, club: dict[str, Any], offering: dict[str, Any]
) -> None:
    first = offering["recurring"][0]
    data = activity_input(offering["place"]["id"])
    del data["schedule"]
    data |= {"startTime": "2026-06-01T10:00:00+02:00", "endTime": "2026-06-01T11:30:00+02:00"}
    response = await client.put(f"/api/activities/{first['id'].rsplit('/', 1)[1]}", json=data,
                                headers=club["headers"])
    assert response.status == 200
    series = await page_at(node, "session-series", after_ms=2100)
    events = await page_at(node, "events", after_ms=2100)
    assert [i["state"] for i in series["items"] if i["id"] == first["id"]] == ["deleted"]
    [event] = events["items"]
    assert event["state"] == "updated" and event["data"]["@type"] == "Event"
    assert event["data"]["startDate"] == "2026-06-01T10:00:00+02:00"
    assert event["data"]["duration"] == "PT1H30M"


async def test_course_instances_are_items_and_dropped_ones_are_deleted(
    client: TestClient[Any, Any], node: Node, club: dict[str, Any], offering: dict[str, Any]
) -> None:
    course = await create(client, club, "courses", course_input(offering["place"]["id"]))
    page = await page_at(node, "course-instances", after_ms=2100)
    assert [i["state"] for i in page["items"]] == ["updated", "updated"]
    online = page["items"][1]["data"]
    assert online["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert "location" not in online and online["instanceOfCourse"]["@id"] == course["id"]
    shorter = course_input(offering["place"]["id"])
    shorter["instances"] = shorter["instances"][:1]
    response = await client.put(f"/api/courses/{course['id'].rsplit('/', 1)[1]}", json=shorter,
                                headers=club["headers"])
    assert response.status == 200
    page = await page_at(node, "course-instances", after_ms=2100)
    assert [(i["id"].rsplit("/", 1)[1], i["state"]) for i in page["items"]] == [("1", "updated"), ("2", "deleted")]


async def test_a_bad_cursor_is_a_clear_400(client: TestClient[Any, Any]) -> None:
    for query in ("afterTimestamp=12", "afterId=x", "afterTimestamp=-1&afterId=x", "afterTimestamp=a&afterId=x"):
        response = await client.get(f"{SS}?{query}")
        assert response.status == 400
        assert (await response.json())["type"].endswith("#bad-request")


async def test_a_consumer_resuming_at_any_page_boundary_misses_nothing(
    client: TestClient[Any, Any], node: Node, club: dict[str, Any], offering: dict[str, Any], clock: OffsetClock
) -> None:
    """Walk the feed while another task writes; then, from every page boundary seen, the rest of the feed
    must bring the consumer to exactly the feed's final state.

    In each of six turns the writer's round and two of the consumer's page reads run together. The node's
    clock shows the consumer the feed up to the start of the writer's previous round: that round may be
    partly visible, the current one is held back, as for a real consumer polling a busy feed. No turn
    waits on the wall clock."""
    client.app[RPDE].page_size = 2
    place = offering["place"]["id"]
    ids = [a["id"] for a in offering["recurring"]]

    def show_changes_until(moment_ms: float) -> None:
        """Move the clock forward (never back) so that the changes made up to `moment_ms` are past the hold-back."""
        behind = moment_ms + rpde.HOLD_BACK_MS - node.clock().timestamp() * 1000
        if behind > 0:
            clock.advance(timedelta(milliseconds=behind))

    async def write(round_: int) -> None:
        created = await create(client, club, "activities", activity_input(place, name=f"Nieuw {round_}"))
        ids.append(created["id"])
        key = ids[round_ % len(ids)].rsplit("/", 1)[1]
        response = await client.put(f"/api/activities/{key}", json=activity_input(place, name=f"Gewijzigd {round_}"),
                                    headers=club["headers"])
        assert response.status == 200
        if round_ == 3:
            response = await client.delete(f"/api/activities/{ids[1].rsplit('/', 1)[1]}", headers=club["headers"])
            assert response.status == 204

    boundaries: list[str] = []
    path = SS

    async def read_page() -> bool:
        """One page from where the consumer stands; whether it had items."""
        nonlocal path
        page, _ = await get_page(client, path)
        boundaries.append(path)
        path = path_of(page["next"])
        return bool(page["items"])

    async def read_pages(count: int) -> None:
        for _ in range(count):
            if not await read_page():
                return

    # changed_ms is the database's wall-clock time of a change: noting it is measuring, not waiting.
    round_started = time.time() * 1000
    for round_ in range(6):
        show_changes_until(round_started)
        round_started = time.time() * 1000
        await asyncio.gather(write(round_), read_pages(2))
    # The writer has stopped: everything it wrote is shown, and the consumer reads to the end.
    show_changes_until(time.time() * 1000)
    while await read_page():
        pass
    truth: dict[str, dict[str, Any]] = {i["id"]: i for i in (await walk(client, SS))[0]}
    assert len(truth) == 10 and len(set(boundaries)) > 5
    for boundary in set(boundaries):
        cursor = parse_qs(urlsplit(boundary).query)
        seen_to = (int(cursor["afterTimestamp"][0]), cursor["afterId"][0]) if cursor else (0, "")
        rest, _ = await walk(client, boundary)
        latest = {i["id"]: i for i in rest}
        # Every item whose final version lies past the boundary is in what the consumer reads from it.
        for item_id, final in truth.items():
            if (final["modified"], item_id) > seen_to:
                assert latest.get(item_id) == final, (boundary, item_id)
