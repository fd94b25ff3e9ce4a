"""Shared fixtures: a real node (SQLite file in tmp_path) behind a real aiohttp server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.config import Config
from node.services.node import Node, open_node
from node.services.organisations import issue_admin_token
from node.web.app import create_app

BASE_URL = "http://node.test"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(
        name="Testnode",
        base_url=BASE_URL,
        data_dir=tmp_path / "data",
        development=True,
        max_body_bytes=64 * 1024,
    )


@pytest.fixture
async def node(config: Config) -> AsyncIterator[Node]:
    opened = await open_node(config)
    yield opened
    await opened.close()


@pytest.fixture
async def client(node: Node, aiohttp_client: Any) -> TestClient[Any, Any]:
    result: TestClient[Any, Any] = await aiohttp_client(create_app(node))
    return result


@pytest.fixture
async def admin(node: Node) -> dict[str, str]:
    return {"Authorization": f"Bearer {await issue_admin_token(node)}"}


async def make_organisation(client: TestClient[Any, Any], admin: dict[str, str], name: str) -> dict[str, Any]:
    response = await client.post("/api/organisations", json={"name": name, "isClub": True}, headers=admin)
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return {**body, "headers": {"Authorization": f"Bearer {body['token']}"}, "id": body["organisation"]["id"]}


@pytest.fixture
async def club(client: TestClient[Any, Any], admin: dict[str, str]) -> dict[str, Any]:
    return await make_organisation(client, admin, "Korfbalvereniging De Zwaluwen")


@pytest.fixture
async def other_club(client: TestClient[Any, Any], admin: dict[str, str]) -> dict[str, Any]:
    return await make_organisation(client, admin, "Tennisclub Het Net")


def place_input(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Sporthal Zuid",
        "address": {
            "streetAddress": "Sportlaan 12",
            "postalCode": "3811 AB",
            "addressLocality": "Amersfoort",
        },
        "latitude": 52.1486,
        "longitude": 5.3878,
        "municipalityCode": "GM0307",
        "neighbourhoodCode": "WK030701",
        "accessibility": ["rolstoeltoegankelijk"],
    }
    return {**data, **changes}


def activity_input(place: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Walking football voor 65-plussers",
        "description": "Rustig voetballen, zonder rennen.\n\nKoffie na afloop.",
        "sport": "walking-football",
        "place": place,
        "schedule": {"days": ["tuesday", "thursday"], "startTime": "10:00", "endTime": "11:00"},
        "targetGroups": ["senioren"],
        "ageRange": {"min": 65},
        "price": 0,
        "criteria": {"openToVulnerableGroups": True, "acceptsNewParticipants": True, "safeGuidance": True},
        "contact": {"name": "Ans de Vries", "email": "ans@example.org"},
        "validFrom": "2026-01-01",
        "validThrough": "2027-01-01",
    }
    return {**data, **changes}


def course_input(place: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Beweegprogramma's voor ouderen",
        "provider": "Sportacademie Utrecht",
        "intendedFor": "buurtsportcoaches",
        "sport": "seniorengym",
        "instances": [
            {
                "startDate": "2027-02-01",
                "endDate": "2027-02-02",
                "courseMode": "onsite",
                "place": place,
                "price": 95,
            },
            {"startDate": "2027-03-01", "courseMode": "online", "price": 45},
        ],
    }
    return {**data, **changes}


async def create(
    client: TestClient[Any, Any], org: dict[str, Any], path: str, data: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(f"/api/{path}", json=data, headers=org["headers"])
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body
