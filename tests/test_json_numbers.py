"""Numbers JSON has not (NaN, Infinity, 1e400) and integers longer than Python converts: Python's json
takes the first three and raises ValueError on the last, so a body with them failed the request (500),
or its storing (SQLite's JSON functions refuse NaN). Found by tests/test_inbox_fuzz.py; every JSON body
goes through node.protocol.limits.parse_json_object, the write API's as the inbox's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from conftest import create, place_input

from node.errors import SportnodeError
from node.protocol.limits import parse_json_object

NOT_JSON_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" * 5000]


@pytest.mark.parametrize("number", NOT_JSON_NUMBERS)
def test_the_parser_refuses_them_with_a_400(number: str) -> None:
    with pytest.raises(SportnodeError) as refused:
        parse_json_object(f'{{"a": [1, {number}]}}'.encode(), max_bytes=100_000, max_depth=8)
    assert refused.value.status == 400 and "not valid JSON" in refused.value.detail
    assert parse_json_object(b'{"a": [1, 1.5e300, -0.0]}', max_bytes=100, max_depth=8) == {"a": [1, 1.5e300, -0.0]}


async def test_the_write_api_answers_them_400_and_stores_nothing(
    client: TestClient[Any, Any], club: dict[str, Any]
) -> None:
    place = await create(client, club, "places", place_input())
    headers = {**club["headers"], "Content-Type": "application/json"}
    for number in NOT_JSON_NUMBERS:
        valid = json.dumps({"name": "Walking football", "sport": "walking-football", "place": place["id"],
                            "price": 12345.5, "schedule": {"days": ["monday"], "startTime": "10:00", "endTime": "11:00"}})
        body = valid.replace("12345.5", number)
        response = await client.post("/api/activities", data=body, headers=headers)
        assert response.status == 400, (number, await response.text())
        assert response.content_type == "application/problem+json"
    collection = await (await client.get("/activities")).json()
    assert collection["totalItems"] == 0
