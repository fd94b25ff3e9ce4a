"""The OpenAPI 3.1 document: valid, complete (every route of the app is in it, and nothing else), and true
(every documented operation, called on a real node, answers with a documented status and content type,
and its JSON validates against the documented schema).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient
from conftest import BASE_URL, activity_input, course_input, create, place_input
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from node.services import openapi
from node.services.node import Node
from node.web.app import create_app

Client = TestClient[Any, Any]
METHODS = ("get", "post", "put", "delete")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.load(server_url=BASE_URL)


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


async def test_it_is_served_at_a_stable_path(client: Client, document: dict[str, Any]) -> None:
    response = await client.get("/openapi.json")
    assert response.status == 200 and response.content_type == "application/json"
    assert await response.json() == document


def _documented_route(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_route_is_documented_and_nothing_else(node: Node, document: dict[str, Any]) -> None:
    app = create_app(node)
    collections = ("organisations", "places", "activities", "courses")
    routes = set()
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS"):
            continue
        path = route.resource.canonical if route.resource else ""
        # aiohttp's "{collection}" stands for one of the collection names; OpenAPI lists each.
        if "{collection}" in path:
            write_kinds = collections[1:] if path.startswith("/api/") else collections
            expanded = [path.replace("{collection}", c) for c in write_kinds]
        else:
            expanded = [path]
        routes |= {(route.method.lower(), _documented_route(p)) for p in expanded}
    documented = {(m, _documented_route(p)) for p, item in document["paths"].items() for m in item if m in METHODS}
    assert routes - documented == set(), "routes missing from schemas/openapi.json"
    assert documented - routes == set(), "documented operations the node does not have"


def _validator(document: dict[str, Any], pointer: str) -> Draft202012Validator:
    # The whole document is the root resource, so "#/components/..." references resolve within it.
    root = {**document, "$ref": "#" + pointer}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


async def check(client: Client, document: dict[str, Any], method: str, template: str, url: str, **kwargs: Any) -> Any:
    """Call the operation; its status, content type and JSON body must be as documented."""
    operation = document["paths"][template][method]
    response = await client.request(method.upper(), url, allow_redirects=False, **kwargs)
    status = str(response.status)
    assert status in operation["responses"], f"{method} {url}: {status} is not documented"
    documented = operation["responses"][status]
    pointer = _pointer("paths", template, method, "responses", status)
    if "$ref" in documented:
        name = documented["$ref"].rsplit("/", 1)[1]
        documented = document["components"]["responses"][name]
        pointer = _pointer("components", "responses", name)
    body = await response.read()
    if "content" not in documented:
        assert not body or response.status in (302,), f"{method} {url}: an undocumented body"
        return None
    media = response.content_type
    assert media in documented["content"], f"{method} {url}: {media} is not documented for {status}"
    if media.endswith("json"):
        value = await response.json(content_type=None)
        errors = list(_validator(document, pointer + _pointer("content", media, "schema")).iter_errors(value))
        assert not errors, f"{method} {url}: {[e.message for e in errors[:3]]}"
        return value
    return body


@pytest.fixture
async def world(client: Client, club: dict[str, Any], admin: dict[str, str]) -> dict[str, Any]:
    place = await create(client, club, "places", place_input())
    activity = await create(client, club, "activities", activity_input(place["id"]))
    gone = await create(client, club, "activities", activity_input(place["id"], name="Weg"))
    await client.delete(f"/api/activities/{gone['id'].rsplit('/', 1)[1]}", headers=club["headers"])
    course = await create(client, club, "courses", course_input(place["id"]))
    return {"place": place, "activity": activity, "gone": gone, "course": course, "club": club, "admin": admin}


def _key(document: dict[str, Any]) -> str:
    return str(document["id"]).rsplit("/", 1)[1]


async def test_every_read_operation_answers_as_documented(client: Client, document: dict[str, Any], world: dict[str, Any]) -> None:
    slug = world["club"]["organisation"]["preferredUsername"]
    keys = {"organisations": slug, "places": _key(world["place"]), "activities": _key(world["activity"]), "courses": _key(world["course"])}
    called = set()
    for template, item in document["paths"].items():
        if "get" not in item:
            continue
        called.add(template)
        url = template.replace("{slug}", slug).replace("{name}", "context.jsonld").replace("{feed}", "session-series")
        url = url.replace("{code}", "no-such-code").replace("{key}", keys.get(template.split("/")[1], "0abc"))
        if template == "/.well-known/webfinger":
            url += "?resource=" + quote(f"acct:{slug}@node.test")
        elif template == "/sparql":
            url += "?query=" + quote("ASK { ?s ?p ?o }")
        accepts = set()
        for response in item["get"]["responses"].values():
            accepts |= set(document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]["content"]) if "$ref" in response else set(response.get("content", {}))
        for accept in sorted(accepts - {"application/problem+json"}) or ["*/*"]:
            await check(client, document, "get", template, url, headers={"Accept": accept})
    # Errors are documented too: a deleted object, a bad page, a bad query.
    await check(client, document, "get", "/activities/{key}", f"/activities/{_key(world['gone'])}")
    await check(client, document, "get", "/places", "/places?page=x")
    await check(client, document, "get", "/api/search", "/api/search?lat=200")
    await check(client, document, "get", "/api/search", "/api/search", headers={"Accept": "image/png"})
    await check(client, document, "get", "/.well-known/webfinger", "/.well-known/webfinger?resource=nonsense")
    await check(client, document, "get", "/openactive/{feed}", "/openactive/events?afterTimestamp=1")
    await check(client, document, "get", "/api/me", "/api/me", headers=world["club"]["headers"])
    assert "/api/search" in called and "/openapi.json" in called


async def test_search_formats_answer_as_documented(client: Client, document: dict[str, Any], world: dict[str, Any]) -> None:
    for fmt in ("json", "jsonld", "csv", "ical", "geojson"):
        await check(client, document, "get", "/api/search", f"/api/search?format={fmt}&facets=sport&sort=next")
    await check(client, document, "get", "/api/search", "/api/search?lat=52.15&lon=5.39&km=3&sort=distance&limit=1")


async def test_the_write_api_answers_as_documented(client: Client, document: dict[str, Any], world: dict[str, Any]) -> None:
    admin, club = world["admin"], world["club"]
    created = await check(client, document, "post", "/api/organisations", "/api/organisations",
                          json={"name": "Zwemclub De Golf"}, headers=admin)
    slug = created["organisation"]["preferredUsername"]
    headers = {"Authorization": f"Bearer {created['token']}"}
    await check(client, document, "put", "/api/organisations/{slug}", f"/api/organisations/{slug}",
                json={"name": "Zwemclub De Golf", "summary": "Zwemmen"}, headers=headers)
    invite = await check(client, document, "post", "/api/organisations/{slug}/invite", f"/api/organisations/{slug}/invite", headers=admin)
    await check(client, document, "post", "/api/organisations/{slug}/token", f"/api/organisations/{slug}/token", headers=admin)
    claimed = await check(client, document, "post", "/api/invites/{code}", f"/api/invites/{invite['invite'].rsplit('/', 1)[1]}")
    headers = {"Authorization": f"Bearer {claimed['token']}"}
    place = await check(client, document, "post", "/api/places", "/api/places", json=place_input(), headers=headers)
    await check(client, document, "put", "/api/places/{key}", f"/api/places/{_key(place)}", json=place_input(name="Bad Oost"), headers=headers)
    activity = await check(client, document, "post", "/api/activities", "/api/activities", json=activity_input(place["id"]), headers=headers)
    await check(client, document, "put", "/api/activities/{key}", f"/api/activities/{_key(activity)}",
                json=activity_input(place["id"], name="Baantjes"), headers=headers)
    course = await check(client, document, "post", "/api/courses", "/api/courses", json=course_input(place["id"]), headers=headers)
    await check(client, document, "put", "/api/courses/{key}", f"/api/courses/{_key(course)}", json=course_input(place["id"]), headers=headers)
    await check(client, document, "delete", "/api/places/{key}", f"/api/places/{_key(place)}", headers=headers)  # 409: in use
    await check(client, document, "delete", "/api/activities/{key}", f"/api/activities/{_key(activity)}", headers=headers)
    await check(client, document, "delete", "/api/courses/{key}", f"/api/courses/{_key(course)}", headers=headers)
    await check(client, document, "delete", "/api/places/{key}", f"/api/places/{_key(place)}", headers=headers)
    # Refusals are documented too.
    await check(client, document, "post", "/api/activities", "/api/activities", json={"name": "x"}, headers=club["headers"])
    await check(client, document, "post", "/api/places", "/api/places", json=place_input())
    await check(client, document, "put", "/api/activities/{key}", f"/api/activities/{_key(world['activity'])}",
                json=activity_input(world["place"]["id"]), headers=headers)
    await check(client, document, "post", "/inbox", "/inbox", json={"type": "Follow"})
    await check(client, document, "post", "/claim/{code}", "/claim/no-such-code", data={"name": "x"})
