"""A peer's objects full of hostile HTML, stored on an aggregator through the remote store
(`remote_objects.store_all`, as a backfill or a signed inbox delivery stores them), render harmless on
its /aanbod pages and in their JSON-LD blocks: no script but ours, no event handler, no javascript: link,
no style attribute or element, and the JSON-LD cannot end its <script> element."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient
from page_harm import harmful
from test_object_pages import HTML_ACCEPT, Page, schema_graph

from node.config import Config
from node.federation import remote_objects
from node.protocol.objects import activity_document, course_document, organisation_document, place_document
from node.services.node import Node, open_node
from node.store.federation import RemoteActor, put_remote_actor

PEER = "https://zwolle.example"
ORGANISATION = f"{PEER}/organisations/de-zwaluwen"
SCRIPT_NAME = 'Yoga <script>alert("naam")</script></script><img src=x onerror=alert(1)> & meer'
CONTENT = (
    '<p onclick="alert(1)" style="position:fixed;top:0;left:0;width:100%;height:100%">Welkom bij yoga.</p>'
    "<script>alert(2)</script><a href=\"javascript:alert(3)\">klik hier</a>"
    "<style>body{display:none}</style><iframe src=\"https://evil.example/\"></iframe>"
    '<a href="https://ok.example/" onmouseover="alert(4)" style="color:red">goede link</a>'
    '<img src="x" onerror="alert(5)"><svg onload="alert(6)"><circle r="5"/></svg>'
    '<a href="JaVaScRiPt:alert(7)">nog een</a><form action="https://evil.example/"><input name="q"></form>'
)
PLACE_NAME = 'Hal <b onmouseover="alert(8)">Zuid</b></script><script>alert(9)</script>'
# Escaped markup is text: as plain text it reads "</script><script>...", which the JSON-LD must still hold.
ESCAPED_NAME = "Gym &lt;/script&gt;&lt;script&gt;alert(16)&lt;/script&gt; &lt;!--"
ACTOR_NAME = '<b style="font-size:99px">Sportnode Zwolle</b><script>alert(10)</script>'


@pytest.fixture
def config(config: Config) -> Config:
    return replace(config, role="aggregator")


@pytest.fixture
async def node(config: Config) -> AsyncIterator[Node]:
    opened = await open_node(config)
    yield opened
    await opened.close()


def _documents() -> dict[str, dict[str, Any]]:
    stamp = {"published": "2026-01-01T10:00:00Z", "updated": "2026-01-02T10:00:00Z"}
    organisation = organisation_document(
        {"name": SCRIPT_NAME.replace("Yoga", "Club"), "summary": "x", "isClub": True,
         "contact": {"name": '<a href="javascript:alert(11)">Ans</a>', "email": "ans@zwolle.example"}},
        object_id=ORGANISATION, slug="de-zwaluwen", focus_areas=[], public_key_pem="-----BEGIN PUBLIC KEY-----",
        shared_inbox=f"{PEER}/inbox", **stamp,
    )
    organisation["summary"] = CONTENT
    organisation["url"] = 'https://evil.example/"onmouseover="alert(12)'
    place = place_document(
        {"name": PLACE_NAME, "address": {"streetAddress": "Sportlaan <i>12</i>", "postalCode": "8011 AB",
                                         "addressLocality": "Zwolle"},
         "latitude": 52.51, "longitude": 6.09, "municipalityCode": "GM0193"},
        object_id=f"{PEER}/places/zuid", owner=ORGANISATION, accessibility=[], **stamp,
    )
    activity = activity_document(
        {"name": SCRIPT_NAME, "schedule": {"days": ["tuesday"], "startTime": "10:00", "endTime": "11:00"},
         "price": 2.5, "contact": {"name": "<script>alert(13)</script>Piet"},
         "website": 'https://evil.example/"><script>alert(14)</script>'},
        object_id=f"{PEER}/activities/yoga", owner=ORGANISATION, sport="https://w3id.org/sportnode/sports#yoga",
        place=place, target_groups=[], accessibility=[], **stamp,
    )
    activity["content"] = CONTENT
    course = course_document(
        {"name": SCRIPT_NAME.replace("Yoga", "Cursus"), "provider": "<script>alert(15)</script>Academie",
         "instances": [{"startDate": "2030-02-01", "courseMode": "onsite", "place": "zuid", "price": 95}]},
        object_id=f"{PEER}/courses/yoga", owner=ORGANISATION, sport=None, places={"zuid": place}, **stamp,
    )
    course["content"] = CONTENT
    escaped = {**activity, "id": f"{PEER}/activities/gym", "name": ESCAPED_NAME}
    return {"escaped": escaped, "organisation": organisation, "place": place, "activity": activity, "course": course}


@pytest.fixture
async def hostile(node: Node) -> dict[str, dict[str, Any]]:
    documents = _documents()
    prepared = []
    for document in documents.values():
        mapped = remote_objects.map_object(node, document, PEER + "/", "/object", PEER + "/")
        assert mapped is not None
        prepared.append(mapped)
    async with node.db.write() as db:
        await put_remote_actor(db, RemoteActor(
            PEER + "/", PEER + "/#main-key", "-----BEGIN PUBLIC KEY-----", PEER + "/inbox", None, None,
            {"id": PEER + "/", "type": "Service", "name": ACTOR_NAME}, node.now()))
        assert await remote_objects.store_all(db, node, prepared, announce=False) == len(documents)
    return documents


def assert_harmless(text: str) -> None:
    assert harmful(text) == []
    page = Page(text)
    assert len(page.json_ld) == 1
    assert "<" not in page.json_ld[0]
    json.loads(page.json_ld[0])
    schema_graph(page.json_ld[0])


async def _page(client: TestClient[Any, Any], object_id: str) -> str:
    response = await client.get("/aanbod?id=" + quote(object_id, safe=""), headers=HTML_ACCEPT)
    text = await response.text()
    assert response.status == 200, text
    return text


@pytest.mark.parametrize("kind", ["activity", "organisation", "place", "course", "escaped"])
async def test_hostile_html_renders_harmless(
    client: TestClient[Any, Any], hostile: dict[str, dict[str, Any]], kind: str
) -> None:
    document = hostile[kind]
    text = await _page(client, document["id"])
    assert_harmless(text)
    page = Page(text)
    assert page.links["canonical"] == document["id"]
    assert PEER + "/" in page.hrefs and "Sportnode Zwolle" in page.text
    if kind != "place":
        # What is text survives as text.
        assert "Welkom bij yoga." in page.text and "goede link" in page.text and "klik hier" in page.text
        assert "https://ok.example/" in page.hrefs
    if kind == "activity":
        assert "Yoga & meer" in page.text and "Hal Zuid" in page.text and "Piet" in page.text
        data = json.loads(page.json_ld[0])
        assert data["name"] == "Yoga & meer" and data["location"]["name"] == "Hal Zuid"
        assert "alert" not in json.dumps(data)
    if kind == "escaped":
        # Escaped markup is text, cleaned at the inbox door or here: either way nothing of it runs, and
        # the JSON-LD (assert_harmless) holds no "<" that could end its element.
        assert json.loads(page.json_ld[0])["name"].startswith("Gym")


async def test_hostile_names_stay_text_in_lists_and_the_calendar(
    client: TestClient[Any, Any], hostile: dict[str, dict[str, Any]]
) -> None:
    for kind in ("organisation", "place"):
        assert_harmless(await _page(client, hostile[kind]["id"]))
    response = await client.get("/aanbod/agenda.ics?id=" + quote(hostile["activity"]["id"], safe=""))
    assert response.status == 200 and response.content_type == "text/calendar"
    body = (await response.text()).replace("\r\n ", "")
    assert "SUMMARY:Yoga & meer" in body and "<script" not in body


async def test_a_peers_page_links_to_the_held_pages_of_its_organiser_and_place(
    client: TestClient[Any, Any], hostile: dict[str, dict[str, Any]]
) -> None:
    page = Page(await _page(client, hostile["activity"]["id"]))
    for kind in ("organisation", "place"):
        assert "http://node.test/aanbod?id=" + quote(hostile[kind]["id"], safe="") in page.hrefs
    assert "http://node.test/aanbod/agenda.ics?id=" + quote(hostile["activity"]["id"], safe="") in page.hrefs
