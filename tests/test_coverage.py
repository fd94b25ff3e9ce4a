"""Coverage for Sportakkoorden on a real node: counts per municipality and wijk, gaps per target group."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from conftest import BASE_URL, activity_input, create, place_input
from jsonschema import Draft202012Validator

from node.protocol.jsonld import AS_PUBLIC, OBJECT_CONTEXT
from node.services.node import Node
from node.services.openapi import load as load_openapi
from node.store.objects import put_object

Client = TestClient[Any, Any]
SENIOREN = "https://w3id.org/sportnode/target-groups#senioren"
JEUGD = "https://w3id.org/sportnode/target-groups#jeugd"
KINDEREN = "https://w3id.org/sportnode/target-groups#kinderen"
VROUWEN = "https://w3id.org/sportnode/target-groups#meiden-en-vrouwen"
STADSKERN, VATHORST = "WK030701", "WK030732"  # Amersfoort: the centre, and ~7 km north of it
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
async def offering(client: Client, club: dict[str, Any]) -> None:
    """Three current activities in Amersfoort's centre, one expired there, one in Zwolle."""
    centre = await create(client, club, "places", place_input())
    zwolle = await create(
        client, club, "places",
        place_input(name="Sporthal Binnenstad", municipalityCode="GM0193", neighbourhoodCode="WK019310",
                    latitude=52.513, longitude=6.092),
    )
    for name, sport, groups in (
        ("Walking football", "walking-football", ["senioren"]),
        ("Korfbal voor kinderen", "korfbal", ["kinderen"]),
        ("Baantjes zwemmen", "zwemmen", []),
    ):
        await create(client, club, "activities", activity_input(centre["id"], name=name, sport=sport, targetGroups=groups))
    expired = activity_input(centre["id"], name="Oud", targetGroups=["mensen-met-een-beperking"],
                             validFrom="2024-01-01", validThrough="2024-06-30")
    await create(client, club, "activities", expired)
    await create(client, club, "activities", activity_input(zwolle["id"], name="Dansen", sport="dans",
                                                              targetGroups=["meiden-en-vrouwen"]))


PEER = "https://peer.example"


def remote_activity(number: int, **changes: Any) -> dict[str, Any]:
    """Another node's activity for women in Amersfoort's centre, as its inbox would have stored it."""
    return {
        "@context": OBJECT_CONTEXT, "id": f"{PEER}/events/{number}", "type": "Event",
        "published": "2026-11-01T10:00:00Z", "updated": "2026-11-01T10:00:00Z", "name": f"Vrouwenvoetbal {number}",
        "attributedTo": f"{PEER}/@buurt", "sport": "https://w3id.org/sportnode/sports#voetbal",
        "targetGroup": [VROUWEN],
        "startTime": "2027-12-20T10:00:00Z",
        "location": {"type": "Place", "name": "Veld", "latitude": 52.156, "longitude": 5.387,
                     "neighbourhoodCode": STADSKERN, "municipalityCode": "GM0307"},
        "to": [AS_PUBLIC], **changes,
    }


async def get_json(client: Client, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


def counts(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    return {row[key]: row["count"] for row in rows}


def wijk(body: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(w for w in body["neighbourhoods"] if w["code"] == code)
    return found


def gaps(body: dict[str, Any], code: str) -> set[str]:
    return {g["targetGroup"] for g in wijk(body, code)["gaps"]}


@pytest.mark.usefixtures("offering")
async def test_counts_match_the_objects_created(client: Client) -> None:
    body = await get_json(client, "/api/coverage", municipality="GM0307")
    assert body["municipality"] == {"code": "GM0307", "name": "Amersfoort", "province": "Utrecht"}
    assert body["activities"] == 3  # not the expired one, not the one in Zwolle
    assert body["withoutTargetGroup"] == 1
    sports = counts(body["bySport"], "sport")
    assert sports == {f"https://w3id.org/sportnode/sports#{s}": 1 for s in ("walking-football", "korfbal", "zwemmen")}
    # An activity for children is for the youth too (the broader group).
    assert counts(body["byTargetGroup"], "targetGroup") == {SENIOREN: 1, KINDEREN: 1, JEUGD: 1}
    assert len(body["neighbourhoods"]) == 33  # every wijk of Amersfoort
    assert wijk(body, STADSKERN)["activities"] == 3 and wijk(body, VATHORST)["activities"] == 0


@pytest.mark.usefixtures("offering")
async def test_a_target_group_with_nothing_near_a_wijk_is_a_gap(client: Client) -> None:
    body = await get_json(client, "/api/coverage", municipality="GM0307")
    assert body["radiusKm"] == 3.0
    centre = gaps(body, STADSKERN)
    assert SENIOREN not in centre and KINDEREN not in centre and JEUGD not in centre
    # The expired activity covers nobody; the Zwolle one is 80 km away.
    assert "https://w3id.org/sportnode/target-groups#mensen-met-een-beperking" in centre
    assert VROUWEN in centre
    assert {SENIOREN, KINDEREN, JEUGD} <= gaps(body, VATHORST)  # ~7 km from the centre
    wider = await get_json(client, "/api/coverage", municipality="GM0307", radius="10")
    assert SENIOREN not in gaps(wider, VATHORST)


@pytest.mark.usefixtures("offering")
async def test_one_wijk(client: Client) -> None:
    body = await get_json(client, "/api/coverage", municipality="GM0307", neighbourhood=STADSKERN)
    assert body["neighbourhood"] == {"code": STADSKERN, "name": "Stadskern"}
    assert body["activities"] == 3 and [w["code"] for w in body["neighbourhoods"]] == [STADSKERN]
    elsewhere = await get_json(client, "/api/coverage", municipality="GM0307", neighbourhood=VATHORST)
    assert elsewhere["activities"] == 0 and elsewhere["bySport"] == []


async def test_bad_parameters_get_the_one_error_shape(client: Client) -> None:
    cases = [
        ({"municipality": "GM9999"}, 404),
        ({"municipality": "Amersfoort"}, 400),
        ({}, 400),
        ({"municipality": "GM0307", "neighbourhood": "WK019310"}, 400),  # a wijk of Zwolle
        ({"municipality": "GM0307", "neighbourhood": "WK999999"}, 404),
        ({"municipality": "GM0307", "radius": "-1"}, 400),
        ({"municipality": "GM0307", "radius": "ver"}, 400),
    ]
    for params, status in cases:
        response = await client.get("/api/coverage", params=params)
        assert response.status == status, (params, await response.text())
        assert response.content_type == "application/problem+json"
        assert (await response.json(content_type=None))["status"] == status
    page = await client.get("/dekking", params={"gemeente": "GM9999"})
    assert page.status == 404 and page.content_type == "application/problem+json"


@pytest.mark.usefixtures("offering")
async def test_the_page_negotiates(client: Client) -> None:
    page = await client.get("/dekking", params={"gemeente": "GM0307"})
    assert page.content_type == "text/html"
    text = await page.text()
    assert "Dekking in Amersfoort" in text and "Niets binnen 3 km voor" in text
    as_json = await client.get("/dekking", params={"gemeente": "GM0307"}, headers={"Accept": "application/json"})
    assert (await as_json.json())["activities"] == 3
    form = await client.get("/dekking")
    assert 'name="gemeente"' in await form.text()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it)")
@pytest.mark.usefixtures("offering")
async def test_the_page_renders_in_a_real_browser(client: Client, tmp_path: Path) -> None:
    # The browser asks for English (Accept-Language en-US); the Dutch page is asked for by name.
    url = str(client.make_url(f"/dekking?gemeente=GM0307&wijk={STADSKERN}&lang=nl"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]

    def dump_dom() -> str:
        command = [str(CHROMIUM), *flags, "--dump-dom", url]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout

    dom = await asyncio.to_thread(dump_dom)
    assert '<html lang="nl">' in dom
    assert "Dekking in Amersfoort, Stadskern" in dom
    assert "<th scope=\"row\">Walking football</th><td>1</td>" in dom  # the sport label and its count
    assert "Senioren" in dom and "Niets binnen" in dom


@pytest.mark.usefixtures("offering")
async def test_json_without_a_municipality_lists_those_to_choose_from(client: Client) -> None:
    """The JSON twin of the page's form (the OpenAPI document calls `gemeente` optional): not a 400."""
    response = await client.get("/dekking", headers={"Accept": "application/json"})
    assert response.status == 200 and response.content_type == "application/json"
    body = await response.json()
    found = {m["code"]: m for m in body["municipalities"]}
    # Current activities only: the expired one in Amersfoort is not counted.
    assert {code: m["activities"] for code, m in found.items()} == {"GM0307": 3, "GM0193": 1}
    assert [m["name"] for m in body["municipalities"]] == ["Amersfoort", "Zwolle"]
    # Each entry links to its coverage, which answers.
    assert (await get_json(client, found["GM0307"]["coverage"].removeprefix(BASE_URL)))["activities"] == 3
    assert found["GM0307"]["html"].endswith("/dekking?gemeente=GM0307")
    # As documented: one of the two JSON answers of /dekking in the OpenAPI document.
    document = load_openapi()
    pointer = "#/paths/~1dekking/get/responses/200/content/application~1json/schema"
    assert not list(Draft202012Validator({**document, "$ref": pointer}).iter_errors(body))
    # /api/coverage still needs its (documented as required) municipality.
    assert (await client.get("/api/coverage")).status == 400


async def test_json_without_a_municipality_on_an_empty_node(client: Client) -> None:
    response = await client.get("/dekking", headers={"Accept": "application/json"})
    assert response.status == 200 and (await response.json())["municipalities"] == []


@pytest.mark.usefixtures("offering")
async def test_only_public_objects_count(client: Client, node: Node) -> None:
    """Another node's activity addressed to followers only is counted nowhere; its public twin is."""
    hidden = remote_activity(1, to=[f"{PEER}/@buurt/followers"], cc=[])
    public = remote_activity(2)
    async with node.db.write() as db:
        await put_object(db, "activity", hidden["attributedTo"], hidden, origin=f"{PEER}/@buurt")
    body = await get_json(client, "/api/coverage", municipality="GM0307")
    assert body["activities"] == 3 and VROUWEN not in counts(body["byTargetGroup"], "targetGroup")
    assert wijk(body, STADSKERN)["activities"] == 3 and VROUWEN in gaps(body, STADSKERN)
    listed = await (await client.get("/dekking", headers={"Accept": "application/json"})).json()
    assert {m["code"]: m["activities"] for m in listed["municipalities"]}["GM0307"] == 3

    async with node.db.write() as db:
        await put_object(db, "activity", public["attributedTo"], public, origin=f"{PEER}/@buurt")
    body = await get_json(client, "/api/coverage", municipality="GM0307")
    assert body["activities"] == 4 and counts(body["byTargetGroup"], "targetGroup")[VROUWEN] == 1
    assert wijk(body, STADSKERN)["activities"] == 4 and VROUWEN not in gaps(body, STADSKERN)
    listed = await (await client.get("/dekking", headers={"Accept": "application/json"})).json()
    assert {m["code"]: m["activities"] for m in listed["municipalities"]}["GM0307"] == 4
