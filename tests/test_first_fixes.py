"""What a new user hit first (issue 10), each fixed and checked the way that user met it."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from conftest import BASE_URL, activity_input, course_input, create, place_input
from federation_net import Network, eventually
from test_demo_node import free_port

from node.cli.main import build_parser, main
from node.config import load_config
from node.services import publishing
from node.services.node import Node
from node.services.reading import PAGE_SIZE, counts, own_counts


def _init(tmp_path: Path, *extra: str) -> Path:
    config = tmp_path / "node" / "sportnode.toml"
    assert main(["init", "--config", str(config), "--base-url", "http://127.0.0.1:8091", "--name", "Test",
                 "--development", *extra]) == 0
    return config


def test_init_listens_on_the_port_of_its_base_url_unless_told(tmp_path: Path) -> None:
    assert load_config(_init(tmp_path / "a")).port == 8091
    assert load_config(_init(tmp_path / "b", "--port", "8123", "--host", "0.0.0.0")).port == 8123
    assert load_config(tmp_path / "b" / "node" / "sportnode.toml").host == "0.0.0.0"


def test_serve_help_names_host_and_port(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--port" in out and "--host" in out


def test_serve_port_overrides_the_config(tmp_path: Path) -> None:
    config = _init(tmp_path)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "node.cli.main", "serve", "--config", str(config), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "serve --port did not listen on that port"
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(10)


def test_a_port_in_use_is_one_line_and_exit_code_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _init(tmp_path)
    capsys.readouterr()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--config", str(config), "--port", str(port)]) == 1
        # The demo says the same (after loading its data, before serving).
        assert main(["demo", "--port", str(port), "--dir", str(tmp_path / "demo"), "--organisations", "2",
                     "--activities", "2"]) == 1
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.startswith("sportnode:")]
    assert lines == [f"sportnode: port {port} on 127.0.0.1 is in use; stop what listens there, or choose "
                     "another port (--port, or [server] port in the config file)"] * 2
    assert "Traceback" not in captured.err


async def test_a_collection_page_tells_the_whole_total(
    client: TestClient[Any, Any], node: Node, club: dict[str, Any]
) -> None:
    place = await create(client, club, "places", place_input())
    for i in range(PAGE_SIZE + 2):
        await publishing.create(node, club["id"], "activity", activity_input(place["id"], name=f"Activiteit {i}"))
    page = await client.get("/activities?page=1", headers={"Accept": "text/html"})
    assert f"{PAGE_SIZE + 2} in totaal." in await page.text()
    body = await (await client.get("/activities?page=2", headers={"Accept": "application/activity+json"})).json()
    assert body["totalItems"] == PAGE_SIZE + 2 and len(body["orderedItems"]) == 2


async def test_an_aggregators_home_counts_what_it_holds(tmp_path: Path) -> None:
    net = Network(tmp_path)
    try:
        gemeente = await net.add("gemeente")
        club = await net.organisation(gemeente, "Sportclub")
        place = await net.api(gemeente, "POST", "/api/places", club["headers"], place_input())
        for i in range(3):
            await net.api(gemeente, "POST", "/api/activities", club["headers"],
                          activity_input(place["id"], name=f"Activiteit {i}"))
        region = await net.add("regio", role="aggregator", follow=(gemeente.actor,))
        wanted = {"organisation": 1, "place": 1, "activity": 3, "course": 0}
        assert await counts(gemeente.running) == wanted

        async def holds_all() -> bool:
            return await counts(region.running) == wanted

        await eventually(holds_all, 30.0, "the region to count what it holds")
        async with net.http.get(region.base + "/", headers={"Accept": "text/html"}) as response:
            home = await response.text()
        assert re.search(r"Activiteiten(?:<[^>]*>|[\s:])*3\b", home), home
        # NodeInfo still speaks of the aggregator's own: it has no organisations or posts of its own.
        assert await own_counts(region.running) == {"organisation": 0, "place": 0, "activity": 0, "course": 0}
    finally:
        await net.close()


async def test_a_used_or_made_up_invite_is_not_a_claim_form(
    client: TestClient[Any, Any], admin: dict[str, str]
) -> None:
    created = await (await client.post("/api/organisations", json={"name": "Zwemclub De Golf"}, headers=admin)).json()
    code = created["invite"].rsplit("/", 1)[1]
    html = {"Accept": "text/html"}

    async def page(method: str, which: str) -> tuple[int, str]:
        response = await client.request(method, f"/claim/{which}", headers=html)
        assert response.content_type == "text/html"
        return response.status, await response.text()

    status, text = await page("GET", code)
    assert status == 200 and "<form" in text
    made_up = await page("GET", "ditbestaatniet")
    assert made_up[0] == 404 and "bestaat niet" in made_up[1] and "<form" not in made_up[1]
    assert (await page("POST", "ditbestaatniet"))[0] == 404
    assert (await page("POST", code))[0] == 200  # claimed: the token is shown once
    for method in ("GET", "POST"):
        status, text = await page(method, code)
        assert status == 410 and "al gebruikt" in text and "<form" not in text
    # An invite replaced by a newer one is gone as well; the newer one works.
    slug = created["organisation"]["preferredUsername"]
    first = (await (await client.post(f"/api/organisations/{slug}/invite", headers=admin)).json())["invite"]
    second = (await (await client.post(f"/api/organisations/{slug}/invite", headers=admin)).json())["invite"]
    status, text = await page("GET", first.rsplit("/", 1)[1])
    assert status == 410 and "vervangen" in text
    assert (await page("GET", second.rsplit("/", 1)[1]))[0] == 200


@pytest.mark.parametrize(("path", "missing"), [
    ("places", ["/name", "/address", "/latitude", "/longitude", "/municipalityCode"]),
    ("activities", ["/name", "/sport", "/place"]),
    ("courses", ["/name", "/instances"]),
])
async def test_an_empty_post_names_each_missing_field_once(
    client: TestClient[Any, Any], club: dict[str, Any], path: str, missing: list[str]
) -> None:
    response = await client.post(f"/api/{path}", json={}, headers=club["headers"])
    assert response.status == 422
    errors = (await response.json())["errors"]
    pointers = [e["pointer"] for e in errors if e["detail"] == "is required"]
    assert pointers == missing
    assert len(errors) == len({(e["pointer"], e["detail"]) for e in errors})


LD = {"Accept": "application/activity+json"}


def _key(document: dict[str, Any]) -> str:
    return str(document["id"]).rsplit("/", 1)[1]


async def _get(client: TestClient[Any, Any], url: str) -> dict[str, Any]:
    response = await client.get(url.removeprefix(BASE_URL), headers=LD)
    assert response.status == 200
    document: dict[str, Any] = await response.json(content_type=None)
    return document


async def _put(client: TestClient[Any, Any], path: str, document: dict[str, Any], headers: dict[str, str]) -> Any:
    response = await client.put(path, json=document, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_get_edit_put_works_for_every_kind(
    client: TestClient[Any, Any], club: dict[str, Any], admin: dict[str, str]
) -> None:
    place = await create(client, club, "places", place_input())
    activity = await create(client, club, "activities", activity_input(place["id"], ageRange={"min": 65, "max": 99}))
    one_off = {k: v for k, v in activity_input(place["id"]).items() if k != "schedule"}
    one_off |= {"startTime": "2027-05-01T10:00:00+02:00", "endTime": "2027-05-01T12:00:00+02:00", "price": 2.5,
                "website": "https://zwaluwen.example.org/", "contact": {"telephone": "+31 33 123 4567"}}
    one_off = await create(client, club, "activities", one_off)
    course = await create(client, club, "courses", course_input(place["id"], description="Twee dagen.\n\nMet lunch."))
    headers = club["headers"]

    # Unchanged, the read document is accepted as it is and changes nothing (not even `updated`).
    for thing, path in ((place, "places"), (activity, "activities"), (one_off, "activities"), (course, "courses")):
        document = await _get(client, thing["id"])
        same = await _put(client, f"/api/{path}/{thing['id'].rsplit('/', 1)[1]}", document, headers)
        assert same == document

    # Edited: the change is applied, and what was not edited stays.
    document = await _get(client, place["id"])
    document["name"], document["address"]["streetAddress"] = "Sporthal Noord", "Noordweg 1"
    changed = await _put(client, f"/api/places/{_key(place)}", document, headers)
    assert (changed["name"], changed["address"]["streetAddress"]) == ("Sporthal Noord", "Noordweg 1")
    assert changed["accessibilitySupport"] == place["accessibilitySupport"]

    document = await _get(client, activity["id"])
    document["eventSchedule"]["byDay"] = ["https://schema.org/Friday"]
    document["content"] = "<p>Nieuw: op vrijdag.</p>"
    document["offers"][0]["price"] = 3.0
    document["safeGuidance"] = False
    changed = await _put(client, f"/api/activities/{_key(activity)}", document, headers)
    assert changed["eventSchedule"]["byDay"] == ["https://schema.org/Friday"]
    assert changed["content"] == "<p>Nieuw: op vrijdag.</p>"
    assert changed["offers"][0]["price"] == 3.0 and changed["isAccessibleForFree"] is False
    assert changed["safeGuidance"] is False and changed["openToVulnerableGroups"] is True
    assert changed["ageRange"] == activity["ageRange"] and changed["location"]["name"] == "Sporthal Noord"
    assert (await _get(client, activity["id"]))["eventSchedule"]["byDay"] == ["https://schema.org/Friday"]

    document = await _get(client, course["id"])
    document["hasCourseInstance"][1]["offers"][0]["price"] = 50.0
    document["intendedFor"] = "buurtsportcoaches en vrijwilligers"
    changed = await _put(client, f"/api/courses/{_key(course)}", document, headers)
    assert changed["hasCourseInstance"][1]["offers"][0]["price"] == 50.0
    assert changed["intendedFor"] == "buurtsportcoaches en vrijwilligers"
    assert changed["content"] == course["content"]
    assert changed["hasCourseInstance"][0]["location"]["id"] == place["id"]

    slug = club["organisation"]["preferredUsername"]
    document = await _get(client, club["id"])
    document["summary"] = "<p>De club voor korfbal in Zuid.</p>"
    changed = await _put(client, f"/api/organisations/{slug}", document, headers)
    assert changed["summary"] == "<p>De club voor korfbal in Zuid.</p>"
    assert changed["type"] == ["Organization", "SportsOrganization"] and changed["name"] == document["name"]
    assert changed["publicKey"] == document["publicKey"]


async def test_a_read_document_for_another_object_is_refused(
    client: TestClient[Any, Any], club: dict[str, Any], other_club: dict[str, Any]
) -> None:
    place = await create(client, club, "places", place_input())
    second = await create(client, club, "places", place_input(name="Sporthal West"))
    document = await _get(client, place["id"])
    response = await client.put(f"/api/places/{_key(second)}", json=document, headers=club["headers"])
    assert response.status == 422
    assert [e["pointer"] for e in (await response.json())["errors"]] == ["/id"]
    document = {**await _get(client, place["id"]), "type": "Event", "accessibility": []}
    response = await client.put(f"/api/places/{_key(place)}", json=document, headers=club["headers"])
    pointers = {e["pointer"] for e in (await response.json())["errors"]}
    assert response.status == 422 and pointers == {"/type", "/accessibilitySupport"}
