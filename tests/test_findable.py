"""Findability on a real node: /sitemap.xml lists each public, current object of the node once (and the
search and area pages), /robots.txt keeps crawlers out of the API, SPARQL and the widget, and
/zoeken.atom gives the same results as /api/search for the same query, as valid Atom."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any
from urllib import robotparser
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from aiohttp.test_utils import TestClient
from conftest import BASE_URL, activity_input, create, place_input

from node.config import Config
from node.protocol import sitemap as sitemap_protocol
from node.protocol.jsonld import AS_PUBLIC, OBJECT_CONTEXT
from node.services.node import Node, open_node
from node.store.objects import put_object
from node.web.app import create_app

Client = TestClient[Any, Any]
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
PEER = "https://peer.example"


def remote_event(number: int, **changes: Any) -> dict[str, Any]:
    return {
        "@context": OBJECT_CONTEXT, "id": f"{PEER}/events/{number}", "type": "Event",
        "published": "2026-11-01T10:00:00Z", "updated": f"2026-11-0{number}T10:00:00Z",
        "name": f"Buurtvolleybal {number}", "attributedTo": f"{PEER}/@buurt", "startTime": "2027-12-20T10:00:00Z",
        "location": {"type": "Place", "name": "Speeltuin", "latitude": 52.15, "longitude": 5.39,
                     "neighbourhoodCode": "WK030702", "municipalityCode": "GM0307"},
        "to": [AS_PUBLIC], **changes,
    }


@pytest.fixture
async def held(client: Client, club: dict[str, Any], node: Node) -> dict[str, Any]:
    """Public and current objects, and one each that is deleted, expired, not public, or another host's."""
    place = await create(client, club, "places", place_input())
    walking = await create(client, club, "activities", activity_input(place["id"]))
    yoga = await create(client, club, "activities", activity_input(
        place["id"], name="Stoelyoga", sport="yoga", price=4, description="Yoga op de stoel.\n\nMet thee.",
        schedule={"days": ["monday"], "startTime": "19:00", "endTime": "20:00"},
    ))
    gone = await create(client, club, "activities", activity_input(place["id"], name="Weg"))
    deleted = await client.delete(f"/api/activities/{gone['id'].rsplit('/', 1)[1]}", headers=club["headers"])
    assert deleted.status in (200, 204)
    expired = await create(client, club, "activities", activity_input(
        place["id"], name="Vorig seizoen", validFrom="2025-01-01", validThrough="2025-06-30"))
    hidden = {**walking, "id": walking["id"] + "-volgers", "name": "Alleen voor volgers",
              "to": [f"{club['id']}/followers"], "cc": []}
    remote = remote_event(1, name='Volley<script>alert(1)</script>\x07bal', content='<p onclick="x()">Kom</p><p>Doe mee</p>')
    async with node.db.write() as db:
        await put_object(db, "activity", club["id"], hidden)
        await put_object(db, "activity", remote["attributedTo"], remote, origin=f"{PEER}/@buurt")
    return {"place": place, "walking": walking, "yoga": yoga, "gone": gone, "expired": expired, "hidden": hidden,
            "remote": remote, "club": club}


async def sitemap_urls(client: Client, path: str = "/sitemap.xml") -> dict[str, str | None]:
    response = await client.get(path)
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    root = ElementTree.fromstring(await response.read())
    assert root.tag == f"{SM}urlset"
    locs = [(url.findtext(f"{SM}loc"), url.findtext(f"{SM}lastmod")) for url in root.findall(f"{SM}url")]
    found = dict(locs)
    assert len(found) == len(locs), "a URL is listed twice"
    return {str(loc): lastmod for loc, lastmod in found.items()}


async def test_sitemap_lists_each_public_current_object_once(client: Client, held: dict[str, Any]) -> None:
    urls = await sitemap_urls(client)
    ours = {held[name]["id"]: held[name]["updated"] for name in ("place", "walking", "yoga")}
    for object_id, updated in ours.items():
        assert urls[object_id] == updated
    organisation = await (await client.get(held["club"]["id"].removeprefix(BASE_URL), headers={"Accept": "application/activity+json"})).json()
    assert urls[organisation["id"]] == organisation["updated"]
    for left_out in ("gone", "expired", "hidden", "remote"):
        assert held[left_out]["id"] not in urls, left_out
    pages = {f"{BASE_URL}/", f"{BASE_URL}/zoeken", f"{BASE_URL}/dekking"}
    # Both wijken have offering (ours in WK030701, the peer's in WK030702); both are pages of this node.
    areas = {f"{BASE_URL}/wijk/WK030701", f"{BASE_URL}/wijk/WK030702", f"{BASE_URL}/gemeente/GM0307"}
    assert set(urls) == pages | areas | set(ours) | {organisation["id"]}
    assert urls[f"{BASE_URL}/wijk/WK030702"] == held["remote"]["updated"]
    latest = max(o["updated"] for o in (held["walking"], held["yoga"], held["place"]))
    assert urls[f"{BASE_URL}/zoeken"] == latest


async def test_a_large_sitemap_is_split_into_parts(
    client: Client, held: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = await sitemap_urls(client)
    monkeypatch.setattr(sitemap_protocol, "MAX_URLS", 3)
    response = await client.get("/sitemap.xml")
    root = ElementTree.fromstring(await response.read())
    assert root.tag == f"{SM}sitemapindex"
    parts = [str(s.findtext(f"{SM}loc")) for s in root.findall(f"{SM}sitemap")]
    assert parts == [f"{BASE_URL}/sitemap.xml?page={n}" for n in range(1, len(parts) + 1)]
    assert len(parts) == -(-len(whole) // 3)
    joined: dict[str, str | None] = {}
    for part in parts:
        found = await sitemap_urls(client, part.removeprefix(BASE_URL))
        assert len(found) <= 3 and not set(found) & set(joined)
        joined |= found
    assert joined == whole
    assert (await client.get(f"/sitemap.xml?page={len(parts) + 1}")).status == 404
    assert (await client.get("/sitemap.xml?page=x")).status == 400


@pytest.fixture
async def aggregator(config: Config) -> AsyncIterator[Node]:
    opened = await open_node(dataclasses.replace(config, role="aggregator"))
    async with opened.db.write() as db:
        for number in (1, 2):
            event = remote_event(number)
            await put_object(db, "activity", event["attributedTo"], event, origin=f"{PEER}/@buurt")
    yield opened
    await opened.close()


async def test_an_aggregator_lists_its_area_pages_not_the_objects_it_holds(aggregator: Node, aiohttp_client: Any) -> None:
    client = await aiohttp_client(create_app(aggregator))
    urls = await sitemap_urls(client)
    assert set(urls) == {f"{BASE_URL}/", f"{BASE_URL}/zoeken", f"{BASE_URL}/dekking",
                         f"{BASE_URL}/wijk/WK030702", f"{BASE_URL}/gemeente/GM0307"}
    assert urls[f"{BASE_URL}/gemeente/GM0307"] == "2026-11-02T10:00:00Z"


async def test_robots_keeps_crawlers_to_the_pages(client: Client) -> None:
    response = await client.get("/robots.txt")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    parser = robotparser.RobotFileParser()
    parser.parse((await response.text()).splitlines())
    for path in ("/api/search", "/sparql", "/sparql?query=x", "/widget", "/widget/fragment", "/widget/maken"):
        assert not parser.can_fetch("*", BASE_URL + path), path
    for path in ("/", "/zoeken", "/zoeken.atom", "/activities/abc", "/wijk/WK030701", "/dekking", "/sitemap.xml"):
        assert parser.can_fetch("SomeBot", BASE_URL + path), path
    assert parser.site_maps() == [f"{BASE_URL}/sitemap.xml"]


async def feed(client: Client, query: str) -> ElementTree.Element:
    response = await client.get(f"/zoeken.atom?{query}")
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ElementTree.fromstring(await response.read())


async def api_items(client: Client, query: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/search?{query}")
    assert response.status == 200
    items: list[dict[str, Any]] = (await response.json())["items"]
    return items


def links(element: ElementTree.Element) -> dict[str, str]:
    return {str(link.get("rel")): str(link.get("href")) for link in element.findall(f"{ATOM}link")}


async def test_atom_feed_has_the_api_results_for_the_same_query(client: Client, held: dict[str, Any]) -> None:
    for query in ("", "type=activity", "sport=yoga", "q=walking", "type=activity&sort=next&limit=2",
                  "municipality=GM0307&day=monday", "lat=52.15&lon=5.39&km=5&sort=distance"):
        root = await feed(client, query)
        entries = root.findall(f"{ATOM}entry")
        items = await api_items(client, query)
        assert [e.findtext(f"{ATOM}id") for e in entries] == [i["id"] for i in items], query
        for entry, item in zip(entries, items, strict=True):
            assert entry.findtext(f"{ATOM}updated") == item["document"]["updated"]
            if item["origin"] is None:
                assert entry.findtext(f"{ATOM}title") == item["document"]["name"]
                assert links(entry)["alternate"] == item["id"]
        # The feed's own metadata (RFC 4287 section 4.1.1).
        suffix = f"?{query}" if query else ""
        assert root.findtext(f"{ATOM}id") == f"{BASE_URL}/zoeken.atom{suffix}"
        assert root.findtext(f"{ATOM}title", "").startswith("Sport en bewegen bij Testnode")
        assert root.findtext(f"{ATOM}author/{ATOM}name") == "Testnode"
        updated = [e.findtext(f"{ATOM}updated") for e in entries]
        assert root.findtext(f"{ATOM}updated") == (max(str(u) for u in updated) if updated else root.findtext(f"{ATOM}updated"))
        assert links(root)["self"] == f"{BASE_URL}/zoeken.atom{suffix}"
        assert links(root)["alternate"] == f"{BASE_URL}/zoeken{suffix}"
    summary = (await feed(client, "sport=yoga")).findtext(f"{ATOM}entry/{ATOM}summary", "")
    facts, description = summary.split("\n\n")
    assert facts.startswith("Elke maandag, 19:00\u201320:00; volgende keer maandag "), facts
    assert facts.endswith(" · Sporthal Zuid, Amersfoort · €\xa04,00"), facts
    assert description == "Yoga op de stoel. Met thee."


async def test_atom_pages_follow_the_api_cursor(client: Client, held: dict[str, Any]) -> None:
    first = await feed(client, "type=activity&limit=1")
    seen = [first.findtext(f"{ATOM}entry/{ATOM}id")]
    following = links(first).get("next")
    while following:
        assert following.startswith(f"{BASE_URL}/zoeken.atom?type=activity&limit=1&cursor=")
        page = await feed(client, following.split("?", 1)[1])
        assert page.findtext(f"{ATOM}id") == f"{BASE_URL}/zoeken.atom?type=activity&limit=1"
        seen.append(page.findtext(f"{ATOM}entry/{ATOM}id"))
        following = links(page).get("next")
    assert seen == [i["id"] for i in await api_items(client, "type=activity&limit=50")]


async def test_atom_text_from_a_peer_is_plain(client: Client, held: dict[str, Any]) -> None:
    response = await client.get(f"/zoeken.atom?{urlencode({'q': 'kom'})}")
    body = await response.read()
    root = ElementTree.fromstring(body)  # the bell character would make it unparsable
    entry = next(e for e in root.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}id") == held["remote"]["id"])
    assert entry.findtext(f"{ATOM}title") == "Volleybal"
    summary = entry.findtext(f"{ATOM}summary", "")
    assert "<" not in summary and "onclick" not in summary and "Kom Doe mee" in summary
    assert b"<script" not in body and b"&lt;script" not in body
    # The entry links to this node's page of it, which names the origin.
    assert links(entry)["alternate"] == f"{BASE_URL}/aanbod?id=https%3A%2F%2Fpeer.example%2Fevents%2F1"


async def test_atom_refuses_what_the_api_refuses(client: Client) -> None:
    response = await client.get("/zoeken.atom?lat=200")
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    assert (await client.get("/zoeken.atom?lang=en&format=csv")).status == 200
