"""The query API on a real node on loopback: what it finds, its formats, its cursors and its errors.

Objects are published through the write API (and a remote one stored as the inbox stores it), so the
index is exercised the way a running node fills it.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from conftest import activity_input, create, place_input
from icalendar import Calendar

from node.protocol import formats
from node.protocol.jsonld import AS_PUBLIC, OBJECT_CONTEXT
from node.services.node import Node
from node.store import query as store_query
from node.store.database import Database
from node.store.objects import put_object

Client = TestClient[Any, Any]


@pytest.fixture
async def offering(client: Client, club: dict[str, Any], other_club: dict[str, Any], node: Node) -> dict[str, Any]:
    """A place, a weekly walking-football hour, a one-off korfbal match, a yoga class elsewhere, a remote event."""
    place = await create(client, club, "places", place_input())
    far = await create(client, other_club, "places", place_input(
        name="Gymzaal Noord", latitude=52.513, longitude=6.092, municipalityCode="GM0193",
        neighbourhoodCode="WK019310", address={"streetAddress": "Noordweg 1", "postalCode": "8011 AB", "addressLocality": "Zwolle"},
    ))
    walking = await create(client, club, "activities", activity_input(place["id"]))
    match = activity_input(
        place["id"], name="Korfbalwedstrijd Zuid", sport="korfbal", description="Oefenwedstrijd in de sporthal.",
        startTime="2026-12-19T14:00:00+01:00", endTime="2026-12-19T15:30:00+01:00",
        targetGroups=["jeugd"], ageRange={"min": 8, "max": 16}, price=2.5,
    )
    del match["schedule"]  # a one-off
    korfbal = await create(client, club, "activities", match)
    yoga = await create(client, other_club, "activities", activity_input(
        far["id"], name="Stoelyoga", sport="yoga", description="Yoga op de stoel.", targetGroups=["senioren"], price=4,
        schedule={"days": ["monday"], "startTime": "19:00", "endTime": "20:00"},
        criteria={"safeGuidance": True},
    ))
    remote = {
        "@context": OBJECT_CONTEXT, "id": "https://mobilizon.example/events/1", "type": "Event",
        "published": "2026-11-01T10:00:00Z", "updated": "2026-11-01T10:00:00Z", "name": "Buurtvolleybal",
        "attributedTo": "https://mobilizon.example/@buurt", "startTime": "2026-12-20T10:00:00Z",
        "location": {"type": "Place", "name": "Speeltuin", "latitude": 52.15, "longitude": 5.39},
        "to": [AS_PUBLIC],
    }
    async with node.db.write() as db:
        await put_object(db, "activity", remote["attributedTo"], remote, origin="https://mobilizon.example/@buurt")
    return {"place": place, "far": far, "walking": walking, "korfbal": korfbal, "yoga": yoga, "remote": remote}


async def ids(client: Client, query: str) -> list[str]:
    response = await client.get(f"/api/search?{query}")
    body = await response.json()
    assert response.status == 200, body
    return [item["id"] for item in body["items"]]


async def test_filters_find_what_they_say(client: Client, offering: dict[str, Any]) -> None:
    o = {name: doc["id"] for name, doc in offering.items()}
    assert set(await ids(client, "type=activity")) == {o["walking"], o["korfbal"], o["yoga"], o["remote"]}
    # "balsport" is broader than korfbal and walking football (via voetbal); yoga is not a ball sport.
    assert set(await ids(client, "sport=balsport")) == {o["walking"], o["korfbal"]}
    assert await ids(client, "q=korfbalwed") == [o["korfbal"]]
    assert await ids(client, "q=rustig%20voetballen") == [o["walking"]]  # the description
    assert set(await ids(client, "q=zwolle")) == {o["far"], o["yoga"]}  # the place's locality
    assert set(await ids(client, "municipality=GM0193")) == {o["far"], o["yoga"]}
    assert o["walking"] in await ids(client, "province=Utrecht&type=activity")
    assert await ids(client, "neighbourhood=WK019310&type=activity") == [o["yoga"]]
    assert set(await ids(client, "lat=52.15&lon=5.39&km=2&type=activity")) == {o["walking"], o["korfbal"], o["remote"]}
    assert await ids(client, "age=12&type=activity&sport=balsport") == [o["korfbal"]]
    assert set(await ids(client, "targetGroup=jeugd")) == {o["korfbal"]}
    assert set(await ids(client, "free=true")) == {o["walking"]}
    assert set(await ids(client, "maxPrice=3")) == {o["walking"], o["korfbal"]}
    assert set(await ids(client, "day=tuesday")) == {o["walking"]}
    assert set(await ids(client, "day=zaterdag")) == {o["korfbal"]}  # 19 December 2026 is a Saturday
    assert set(await ids(client, "startsAfter=18:00")) == {o["yoga"]}
    # The remote one-off has no end time, so it cannot be said to end before anything.
    assert set(await ids(client, "endsBefore=11:00&type=activity")) == {o["walking"]}
    assert set(await ids(client, "accessibility=rolstoeltoegankelijk&type=activity")) >= {o["walking"], o["yoga"]}
    assert set(await ids(client, "safeGuidance=true&type=activity")) == {o["walking"], o["korfbal"], o["yoga"]}
    assert set(await ids(client, "acceptsNewParticipants=false&type=activity")) == {o["yoga"], o["remote"]}


async def test_remote_objects_are_searched_and_say_where_they_came_from(client: Client, offering: dict[str, Any]) -> None:
    response = await client.get("/api/search?q=buurtvolleybal")
    [item] = (await response.json())["items"]
    assert item["origin"] == "https://mobilizon.example/@buurt"
    assert item["document"]["id"] == offering["remote"]["id"]


async def test_deleted_and_expired_objects_are_never_returned(client: Client, club: dict[str, Any], offering: dict[str, Any]) -> None:
    key = offering["walking"]["id"].rsplit("/", 1)[1]
    response = await client.delete(f"/api/activities/{key}", headers=club["headers"])
    assert response.status == 204
    old = await create(client, club, "activities", activity_input(
        offering["place"]["id"], name="Oud aanbod", validFrom="2020-01-01", validThrough="2020-06-01"))
    everything = await ids(client, "limit=500")
    assert offering["walking"]["id"] not in everything
    assert old["id"] not in everything
    assert offering["korfbal"]["id"] in everything


async def test_cursor_pages_are_stable_under_concurrent_writes(client: Client, club: dict[str, Any], offering: dict[str, Any]) -> None:
    for i in range(7):
        await create(client, club, "activities", activity_input(offering["place"]["id"], name=f"Extra {i}"))
    before = await ids(client, "type=activity&limit=500")
    seen: list[str] = []
    url: str | None = "/api/search?type=activity&limit=3"
    first = True
    while url:
        response = await client.get(url)
        body = await response.json()
        assert response.headers.get("Link", "").startswith("<") == bool(body["next"])
        seen += [i["id"] for i in body["items"]]
        url = body["next"].removeprefix("http://node.test") if body["next"] else None
        if first:  # writes between pages: a new object, and one already seen moves to the front
            added = await create(client, club, "activities", activity_input(offering["place"]["id"], name="Nieuw"))
            # One of the club's own (the offering has another club's too, which the club may not change).
            mine = next(i["id"] for i in body["items"] if i["document"].get("attributedTo") == club["id"])
            key = mine.rsplit("/", 1)[1]
            changed = await client.put(f"/api/activities/{key}", json=activity_input(offering["place"]["id"], name="Anders"), headers=club["headers"])
            assert changed.status == 200
            first = False
    # Every object that was there all along comes exactly once, in order; the new one may come or not
    # (it sorts before the cursor unless it was stored within the same second as the last item seen).
    assert [i for i in seen if i != added["id"]] == before
    assert len(set(seen)) == len(seen)


async def test_sorting(client: Client, offering: dict[str, Any]) -> None:
    o = {name: doc["id"] for name, doc in offering.items()}
    nearest = await ids(client, "lat=52.513&lon=6.092&sort=distance&type=activity")
    assert nearest[0] == o["yoga"]
    response = await client.get("/api/search?sort=next&type=activity&lat=52.15&lon=5.39")
    items = (await response.json())["items"]
    starts = [i["nextOccurrence"] for i in items if "nextOccurrence" in i]
    assert starts == sorted(starts, key=lambda s: s[:16])  # all Amsterdam times: the text sorts as the time
    assert all(i["distanceKm"] >= 0 for i in items)
    updated = [i["document"]["updated"] for i in (await (await client.get("/api/search")).json())["items"]]
    assert updated == sorted(updated, reverse=True)


async def test_facets_count_the_matches(client: Client, offering: dict[str, Any]) -> None:
    response = await client.get("/api/search?type=activity&facets=sport,municipality,targetGroup")
    body = await response.json()
    assert body["total"] == 4
    sports = {f["key"]: f["count"] for f in body["facets"]["sport"] if "key" in f}
    assert sports == {"walking-football": 1, "korfbal": 1, "yoga": 1}
    assert {f["value"]: f["count"] for f in body["facets"]["municipality"]} == {"GM0307": 2, "GM0193": 1}
    assert {f["key"]: f["count"] for f in body["facets"]["targetGroup"]} == {"senioren": 2, "jeugd": 1}
    assert body["facets"]["municipality"][0]["label"] == "Amersfoort"


async def test_csv(client: Client, offering: dict[str, Any]) -> None:
    response = await client.get("/api/search?format=csv&type=activity&sort=next")
    assert response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert len(rows) == 4
    walking = next(r for r in rows if r["id"] == offering["walking"]["id"])
    assert walking["sport"] == "walking-football"
    assert walking["days"] == "tuesday;thursday"
    assert walking["target_groups"] == "senioren"
    assert walking["free"] == "true" and walking["price"] == "0.0"
    assert walking["municipality"] == "GM0307" and walking["place"] == "Sporthal Zuid"
    assert walking["next_occurrence"]


async def test_icalendar(client: Client, offering: dict[str, Any]) -> None:
    response = await client.get("/api/search?type=activity", headers={"Accept": "text/calendar"})
    assert response.content_type == "text/calendar"
    calendar = Calendar.from_ical(await response.read())
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {offering[n]["id"] for n in ("walking", "korfbal", "yoga", "remote")}
    weekly = events[offering["walking"]["id"]]
    rule = weekly["rrule"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["TU", "TH"]
    assert rule["UNTIL"][0].tzinfo is not None  # UNTIL in UTC, as RFC 5545 wants beside a TZID
    start = weekly.decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Amsterdam" and start.strftime("%H:%M") == "10:00"
    assert start.weekday() in (1, 3) and start.date().isoformat() >= "2026-01-01"
    match = events[offering["korfbal"]["id"]]
    assert "rrule" not in match
    assert match.decoded("dtstart").isoformat() == "2026-12-19T14:00:00+01:00"
    assert str(match["summary"]) == "Korfbalwedstrijd Zuid"
    assert calendar.walk("VTIMEZONE")  # the TZID is defined in the file
    assert "Sporthal Zuid" in str(weekly["location"])


async def test_geojson(client: Client, offering: dict[str, Any]) -> None:
    response = await client.get("/api/search?format=geojson&type=activity,place&limit=2")
    assert response.content_type == "application/geo+json"
    body = json.loads(await response.text())
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 2 and body["next"]
    for feature in body["features"]:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert 50 < lat < 54 and 3 < lon < 8  # [longitude, latitude], as RFC 7946 orders them


async def test_jsonld_and_negotiation(client: Client, offering: dict[str, Any]) -> None:
    response = await client.get("/api/search?type=place", headers={"Accept": "application/ld+json"})
    assert response.content_type == "application/ld+json"
    body = json.loads(await response.text())
    assert body["type"] == "OrderedCollectionPage" and body["@context"] == OBJECT_CONTEXT
    assert {i["id"] for i in body["orderedItems"]} == {offering["place"]["id"], offering["far"]["id"]}
    assert all("@context" not in i for i in body["orderedItems"])
    assert (await client.get("/api/search", headers={"Accept": "text/csv"})).content_type == "text/csv"
    assert (await client.get("/api/search", headers={"Accept": "*/*"})).content_type == "application/json"
    refused = await client.get("/api/search", headers={"Accept": "image/png"})
    assert refused.status == 406 and refused.content_type == "application/problem+json"
    # format= wins over Accept: a plain link can ask for a calendar.
    assert (await client.get("/api/search?format=ical", headers={"Accept": "image/png"})).content_type == "text/calendar"


BAD = [
    ("sport=quidditch", "sport"),
    ("lat=200&lon=5", "lat"),
    ("limit=-1", "limit"),
    ("limit=0", "limit"),
    ("limit=100000", "limit"),
    ("format=xml", "format"),
    ("cursor=not-a-cursor", "cursor"),
    ("cursor=WzEsMiwzXQ", "cursor"),  # valid base64 JSON, not our shape
    ("colour=red", "colour"),
    ("km=5", "km"),
    ("lat=52&lon=5&km=-1", "km"),
    ("lat=52&lon=5&km=nan", "km"),
    ("lat=52", "lat"),
    ("sort=distance", "sort"),
    ("sort=random", "sort"),
    ("q=%21%21%21", "q"),
    ("q=" + "a" * 201, "q"),
    ("day=funday", "day"),
    ("startsAfter=25:00", "startsAfter"),
    ("age=-1", "age"),
    ("age=abc", "age"),
    ("free=maybe", "free"),
    ("maxPrice=-3", "maxPrice"),
    ("municipality=GM9999", "municipality"),
    ("municipality=Amersfoort", "municipality"),
    ("province=Atlantis", "province"),
    ("neighbourhood=WK999999", "neighbourhood"),
    ("targetGroup=astronauts", "targetGroup"),
    ("accessibility=teleporter", "accessibility"),
    ("type=boat", "type"),
    ("facets=colour", "facets"),
    ("sport=", "sport"),
    ("limit=1&limit=2", "limit"),
    ("safeGuidance=yes", "safeGuidance"),
    ("sport=" + ",".join(["korfbal"] * 51), "sport"),
]


@pytest.mark.parametrize(("query", "parameter"), BAD)
async def test_bad_parameters_get_a_clear_400(client: Client, query: str, parameter: str) -> None:
    response = await client.get(f"/api/search?{query}")
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    body = await response.json()
    assert body["status"] == 400 and parameter in body["detail"]
    assert f"/{parameter}" in [e["pointer"] for e in body["errors"]]


async def test_a_cursor_of_another_query_is_refused(client: Client, offering: dict[str, Any]) -> None:
    body = await (await client.get("/api/search?limit=1")).json()
    cursor = body["next"].split("cursor=")[1]
    response = await client.get(f"/api/search?limit=1&type=place&cursor={cursor}")
    assert response.status == 400
    assert "another query" in (await response.json())["errors"][0]["detail"]
    # ... while the same query with another page size or format may use it.
    assert (await client.get(f"/api/search?limit=5&format=csv&cursor={cursor}")).status == 200


async def test_all_errors_are_reported_at_once(client: Client) -> None:
    response = await client.get("/api/search?lat=200&lon=5&limit=-1&format=xml")
    pointers = {e["pointer"] for e in (await response.json())["errors"]}
    assert pointers == {"/lat", "/limit", "/format"}


# Text that JSON must escape or that is easy to get wrong spliced in as it is: quotes, backslashes,
# control characters, U+2028/2029 (line separators in JavaScript), astral and combining characters.
AWKWARD = 'Zaal "De Bal" \\ C:\\ tab\t nl\n \u2028\u2029 \u00e9e\u0301 \U0001f3d0 </script> \x7f'


def _awkward_remote(n: int) -> dict[str, Any]:
    return {
        "@context": OBJECT_CONTEXT, "id": f"https://mobilizon.example/events/odd-{n}?a=\"1\"", "type": "Event",
        "published": "2026-11-02T10:00:00Z", "updated": f"2026-11-02T10:00:0{n}Z", "name": AWKWARD,
        "content": f"<p>{AWKWARD}</p>", "attributedTo": "https://mobilizon.example/@buurt",
        "startTime": "2026-12-21T10:00:00Z", "location": {"type": "Place", "name": AWKWARD, "latitude": 52.15, "longitude": 5.39},
        "to": [AS_PUBLIC], "extra": {"nested": [1, 2.5, -0.0, 1e-7, True, None, {"\u00fc": "\u00fc"}]},
    }


def _strict_json(raw: bytes) -> Any:
    """JSON as RFC 8259 has it: UTF-8, no NaN or Infinity, no duplicate members; the member order kept."""
    def pairs(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        assert len({k for k, _ in items}) == len(items), items
        return items

    def refuse(constant: str) -> Any:
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(raw.decode("utf-8"), object_pairs_hook=pairs, parse_constant=refuse)


@pytest.mark.parametrize("query", [
    "", "limit=2", "type=activity&facets=sport,municipality,targetGroup", "q=zaal", "q=zaal&limit=1",
    "lat=52.15&lon=5.39&sort=distance", "sort=next&type=activity", "lat=52.15&lon=5.39&km=3&sort=next&facets=sport",
    "municipality=GM0307,GM0193&limit=3",
])
async def test_the_json_answer_splices_the_stored_documents_with_the_same_content(
    client: Client, node: Node, offering: dict[str, Any], monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    async with node.db.write() as db:
        for n in range(3):
            await put_object(db, "activity", "https://mobilizon.example/@buurt", _awkward_remote(n),
                             origin="https://mobilizon.example/@buurt")
    pages: list[formats.ResultPage] = []
    spliced = formats.to_json_text

    def spy(page: formats.ResultPage) -> str:
        pages.append(page)
        return spliced(page)

    monkeypatch.setattr(formats, "to_json_text", spy)
    url: str | None = f"/api/search?{query}"
    while url:
        response = await client.get(url)
        assert response.status == 200 and response.content_type == "application/json"
        raw = await response.read()
        # As the envelope was written before: the decoded documents encoded again, from the same page.
        before = json.dumps(formats.to_json(pages[-1]), ensure_ascii=False)
        assert _strict_json(raw) == _strict_json(before.encode())  # the same members in the same order
        body = json.loads(raw)
        assert [i["id"] for i in body["items"]] == [i["document"]["id"] for i in body["items"]]
        url = body["next"] and body["next"].removeprefix("http://node.test")


def test_the_spliced_envelope_equals_the_encoded_one() -> None:
    from datetime import UTC, datetime

    documents = [_awkward_remote(1), {"id": "https://x.test/a", "type": "Place", "name": "\u00e9"}, {"id": "b"}]
    hits = [
        formats.Hit(id=doc["id"], document_json=json.dumps(doc, ensure_ascii=False, separators=(",", ":")),
                    kind=kind, origin=origin, distance_km=distance, next_start=start)
        for doc, kind, origin, distance, start in zip(documents, ["activity", "place", "course"],
                                                        [None, 'https://o.test/"q"', None],
                                                        [None, 0.0, 1234.56789],
                                                        [datetime(2026, 12, 1, 9, 30, tzinfo=UTC), None, None],
                                                        strict=True)
    ]
    facets = {"sport": [{"value": "https://w3id.org/sportnode/sports#voetbal", "key": "voetbal", "label": "Voetbal", "count": 3}]}
    for page in (
        formats.ResultPage(hits=hits, self_url="http://n.test/api/search", next_url=None, anchor="2026-12-01T09:30:00Z"),
        formats.ResultPage(hits=[], self_url="u", next_url="http://n.test/api/search?cursor=x\"", anchor="a", total=0, facets={}),
        formats.ResultPage(hits=hits[1:], self_url="u", next_url="n", anchor="a", total=3, facets=facets),
    ):
        before = json.dumps(formats.to_json(page), ensure_ascii=False)
        assert _strict_json(formats.to_json_text(page).encode()) == _strict_json(before.encode())


async def test_totals_and_facets_are_counted_again_after_any_write(
    client: Client, node: Node, offering: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[int] = []
    count = store_query.count

    async def spy(*args: Any) -> int:
        counted.append(1)
        return await count(*args)

    monkeypatch.setattr(store_query, "count", spy)
    query = "/api/search?type=activity&facets=sport,municipality&limit=1"

    async def total() -> int:
        body = await (await client.get(query)).json()
        assert sum(f["count"] for f in body["facets"]["municipality"]) <= body["total"]
        return int(body["total"])

    assert [await total() for _ in range(6)] == [4] * 6
    assert len(counted) <= 3  # once per reader connection at most: the rest are remembered
    async with node.db.write() as db:  # this node's own writer
        await put_object(db, "activity", "https://mobilizon.example/@buurt", _awkward_remote(1))
    assert [await total() for _ in range(6)] == [5] * 6
    # Another connection, as `sportnode import` in another process: no commit listener of ours hears it.
    other = Database(node.db.path, readers=0)
    await other.open()
    try:
        async with other.write() as db:
            await put_object(db, "activity", "https://mobilizon.example/@buurt", _awkward_remote(2))
    finally:
        await other.close()
    assert [await total() for _ in range(6)] == [6] * 6
    # Another filter is another entry.
    assert (await (await client.get("/api/search?type=place&facets=sport")).json())["total"] == 2
