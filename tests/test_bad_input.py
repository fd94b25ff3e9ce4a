"""Bad input gets a clear 4xx in the one error shape, names the field, and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from conftest import activity_input, create, place_input

from node.services.node import Node
from node.store.objects import count_all

PROBLEM_KEYS = {"type", "title", "status", "detail"}


async def snapshot(node: Node) -> list[tuple[Any, ...]]:
    async with (
        node.db.read() as db,
        db.execute("SELECT id, document, updated, deleted FROM objects ORDER BY id") as c,
    ):
        return [tuple(row) for row in await c.fetchall()]


async def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = await response.json()
    assert set(body) >= PROBLEM_KEYS and body["status"] == status
    assert body["type"].startswith("https://w3id.org/sportnode/errors#")
    return body


def pointers(body: dict[str, Any]) -> set[str]:
    return {e["pointer"] for e in body.get("errors", [])}


@pytest.fixture
async def place(client: TestClient[Any, Any], club: dict[str, Any]) -> dict[str, Any]:
    return await create(client, club, "places", place_input())


async def post_activity(client: TestClient[Any, Any], club: dict[str, Any], data: Any, **kw: Any) -> Any:
    body = data if isinstance(data, (bytes, str)) else json.dumps(data)
    headers = {**club["headers"], "Content-Type": "application/json", **kw.pop("headers", {})}
    return await client.post("/api/activities", data=body, headers=headers, **kw)


async def test_invalid_json(
    client: TestClient[Any, Any], club: dict[str, Any], place: dict[str, Any], node: Node
) -> None:
    before = await snapshot(node)
    body = await problem(await post_activity(client, club, b'{"name": "x",'), 400)
    assert "not valid JSON" in body["detail"]
    await problem(await post_activity(client, club, b"\xff\xfe"), 400)
    await problem(await post_activity(client, club, b"[1, 2]"), 400)
    assert await snapshot(node) == before


async def test_wrong_types_name_each_field(
    client: TestClient[Any, Any], club: dict[str, Any], place: dict[str, Any], node: Node
) -> None:
    before = await snapshot(node)
    data = activity_input(place["id"], price="gratis", ageRange={"min": "65"}, targetGroups="senioren")
    body = await problem(await post_activity(client, club, data), 422)
    assert pointers(body) == {"/price", "/ageRange/min", "/targetGroups"}
    assert await snapshot(node) == before


async def test_missing_required_fields_are_all_listed(
    client: TestClient[Any, Any], club: dict[str, Any], node: Node
) -> None:
    before = await snapshot(node)
    body = await problem(await post_activity(client, club, {"description": "zonder naam"}), 422)
    assert {"/name", "/sport", "/place"} <= pointers(body)
    assert await snapshot(node) == before


async def test_unknown_sport_and_target_group(
    client: TestClient[Any, Any], club: dict[str, Any], place: dict[str, Any], node: Node
) -> None:
    before = await snapshot(node)
    data = activity_input(place["id"], sport="quidditch", targetGroups=["senioren", "marsmannetjes"])
    body = await problem(await post_activity(client, club, data), 422)
    assert {e["pointer"]: e["detail"] for e in body["errors"]} == {
        "/sport": "unknown sport 'quidditch'",
        "/targetGroups/1": "unknown target group 'marsmannetjes'",
    }
    assert await snapshot(node) == before


async def test_end_before_start(
    client: TestClient[Any, Any], club: dict[str, Any], place: dict[str, Any], node: Node
) -> None:
    before = await snapshot(node)
    recurring = activity_input(
        place["id"], schedule={"days": ["monday"], "startTime": "20:00", "endTime": "19:00"}
    )
    one_off = activity_input(
        place["id"], startTime="2027-05-01T12:00:00+02:00", endTime="2027-05-01T10:00:00+02:00"
    )
    del one_off["schedule"]
    validity = activity_input(place["id"], validFrom="2027-01-01", validThrough="2026-01-01")
    ages = activity_input(place["id"], ageRange={"min": 65, "max": 12})
    assert pointers(await problem(await post_activity(client, club, recurring), 422)) == {"/schedule/endTime"}
    assert pointers(await problem(await post_activity(client, club, one_off), 422)) == {"/endTime"}
    assert pointers(await problem(await post_activity(client, club, validity), 422)) == {"/validThrough"}
    assert pointers(await problem(await post_activity(client, club, ages), 422)) == {"/ageRange/max"}
    assert await snapshot(node) == before


async def test_schedule_and_one_off_together(
    client: TestClient[Any, Any], club: dict[str, Any], place: dict[str, Any]
) -> None:
    data = activity_input(
        place["id"], startTime="2027-05-01T10:00:00+02:00", endTime="2027-05-01T12:00:00+02:00"
    )
    body = await problem(await post_activity(client, club, data), 422)
    assert any("schedule" in e["detail"] for e in body["errors"])


async def test_body_over_the_size_cap(
    client: TestClient[Any, Any], club: dict[str, Any], place: dict[str, Any], node: Node
) -> None:
    before = await snapshot(node)
    data = activity_input(place["id"], description="x" * (70 * 1024))
    await problem(await post_activity(client, club, data), 413)
    assert await snapshot(node) == before


async def test_deeply_nested_body(client: TestClient[Any, Any], club: dict[str, Any], node: Node) -> None:
    before = await snapshot(node)
    for depth in (40, 20_000):  # 20k fits the size cap and is past the parser's recursion limit
        body = await problem(await post_activity(client, club, "[" * depth + "]" * depth), 400)
        assert "nested" in body["detail"]
    assert await snapshot(node) == before


async def test_unknown_field_and_wrong_content_type(
    client: TestClient[Any, Any], club: dict[str, Any], place: dict[str, Any]
) -> None:
    body = await problem(await post_activity(client, club, activity_input(place["id"], colour="red")), 422)
    assert pointers(body) == {"/colour"}
    await problem(
        await client.post(
            "/api/activities",
            data="name=x",
            headers={**club["headers"], "Content-Type": "application/x-www-form-urlencoded"},
        ),
        415,
    )


async def test_bad_place_codes(client: TestClient[Any, Any], club: dict[str, Any], node: Node) -> None:
    before = await snapshot(node)
    response = await client.post(
        "/api/places", json=place_input(municipalityCode="GM9999", latitude=200), headers=club["headers"]
    )
    assert pointers(await problem(response, 422)) == {"/latitude"}
    response = await client.post(
        "/api/places", json=place_input(municipalityCode="GM9999"), headers=club["headers"]
    )
    assert pointers(await problem(response, 422)) == {"/municipalityCode"}
    response = await client.post(
        "/api/places", json=place_input(neighbourhoodCode="WK001400"), headers=club["headers"]
    )
    body = await problem(response, 422)
    assert body["errors"] == [
        {"pointer": "/neighbourhoodCode", "detail": "WK001400 lies in GM0014, not in GM0307"}
    ]
    assert await snapshot(node) == before


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/activities/nope", 404),
        ("GET", "/nowhere", 404),
        ("GET", "/activities?page=0", 400),
        ("GET", "/activities?page=9", 404),
        ("DELETE", "/activities", 405),
        ("POST", "/api/activities", 401),
        ("POST", "/api/invites/not-a-code", 403),
        ("GET", "/ns/..%2Fpyproject.toml", 404),
    ],
)
async def test_every_error_has_the_one_shape(
    client: TestClient[Any, Any], method: str, path: str, status: int
) -> None:
    await problem(await client.request(method, path, headers={"Accept": "application/json"}), status)


async def test_not_acceptable(client: TestClient[Any, Any]) -> None:
    await problem(await client.get("/", headers={"Accept": "image/png"}), 406)


async def test_counts_unchanged_after_all_of_it(
    client: TestClient[Any, Any], club: dict[str, Any], node: Node
) -> None:
    async with node.db.read() as db:
        assert await count_all(db) == {"organisation": 1}
