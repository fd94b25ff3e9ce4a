"""Across every page type at once, on an aggregator that holds a peer's objects full of hostile HTML
(stored through the remote store, as a backfill or the inbox stores them): nothing of the peer's markup can
run, load or restyle anything on any page or in the widget, and every JSON-LD block a page carries parses
as JSON and as RDF (rdflib) and cannot end its own script element."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient
from page_harm import BASE, Harm
from rdflib import Graph
from test_object_pages_hostile import config, hostile, node  # noqa: F401 (fixtures: an aggregator holding them)

HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
# Every alert(n) of the peer's payloads but the one written as escaped text (alert(16)), which is text.
ACTIVE_MARKERS = [f"alert({n})" for n in range(1, 16)] + ['alert("naam")']


def rdf_of(block: str) -> Graph:
    """A JSON-LD block as RDF without the network: a context named by URL is read as schema.org's vocabulary."""
    data = json.loads(block)
    if isinstance(data.get("@context"), str | list):
        data["@context"] = {"@vocab": "https://schema.org/"}
    return Graph().parse(data=json.dumps(data), format="json-ld")


def check_page(text: str, url: str) -> int:
    checker = Harm()
    checker.feed(text)
    checker.close()
    assert checker.found == [], (url, checker.found)
    for marker in ACTIVE_MARKERS:
        assert marker not in text, (url, marker)
    for block in checker.json_ld:
        assert "<" not in block, url
        assert len(rdf_of(block)) > 0, url
    return len(checker.json_ld)


def _pages(documents: dict[str, dict[str, Any]]) -> list[str]:
    ids = {kind: quote(document["id"], safe="") for kind, document in documents.items()}
    search = "q=yoga"
    return [
        "/",
        "/zoeken",
        f"/zoeken?{search}",
        f"/zoeken?{search}&weergave=kaart",
        "/zoeken?municipality=GM0193&type=activity",
        "/zoeken?q=niets-te-vinden-hier",
        *(f"/aanbod?id={ids[kind]}" for kind in ("activity", "organisation", "place", "course")),
        "/gemeente/GM0193",
        "/dekking",
        "/dekking?gemeente=GM0193",
        f"/widget?{search}",
        f"/widget/fragment?{search}",
        "/widget/maken",
        "/openactive",
        "/activities?page=1",
        "/this-page-does-not-exist",
    ]


@pytest.mark.usefixtures("hostile")
async def test_no_page_runs_a_peers_markup_and_every_json_ld_block_parses(
    client: TestClient[Any, Any], hostile: dict[str, dict[str, Any]]  # noqa: F811
) -> None:
    blocks = 0
    seen = []
    for path in _pages(hostile):
        response = await client.get(path, headers=HTML)
        text = await response.text()
        assert response.status in (200, 404), (path, response.status, text[:300])
        assert response.content_type == "text/html", path
        blocks += check_page(text, path)
        seen.append(path)
    # The search found the peer's activity, so its hostile name was on the result pages.
    found = await (await client.get("/zoeken?q=yoga", headers=HTML)).text()
    assert "Yoga &amp; meer" in found or "Yoga & meer" in found
    assert blocks >= 5, "the object, area and dataset pages carry JSON-LD"
    assert len(seen) == len(_pages(hostile))


@pytest.mark.usefixtures("hostile")
async def test_feeds_and_the_sitemap_carry_no_markup_of_the_peer(client: TestClient[Any, Any]) -> None:
    atom = await client.get("/zoeken.atom?q=yoga")
    assert atom.status == 200
    root = ET.fromstring(await atom.read())
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert entries, "the peer's activity is in the feed"
    for element in root.iter():
        assert not element.tag.endswith(("script", "iframe", "style")), element.tag
        for marker in ACTIVE_MARKERS:
            assert marker not in (element.text or ""), marker
    sitemap = await client.get("/sitemap.xml")
    assert "zwolle.example" not in await sitemap.text()  # another host's objects are listed at their origin


async def test_the_home_page_describes_the_site_and_its_search_for_search_engines(client: TestClient[Any, Any]) -> None:
    text = await (await client.get("/", headers=HTML)).text()
    checker = Harm()
    checker.feed(text)
    (block,) = checker.json_ld
    site = json.loads(block)
    assert site["@type"] == "WebSite" and site["url"] == BASE + "/"
    assert site["potentialAction"]["target"]["urlTemplate"] == BASE + "/zoeken?q={search_term_string}"
    assert len(rdf_of(block)) >= 4
    assert f'<link rel="canonical" href="{BASE}/">' in text and '<meta property="og:title"' in text
