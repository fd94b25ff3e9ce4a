"""The area pages (/wijk/CODE, /gemeente/CODE) on a real node with the demo offering of Amersfoort: what they
show, that their numbers are /api/search's for the same area, 404s and redirects, Amsterdam's letter codes,
an aggregator's remote objects, and hostile text from a peer made harmless."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient
from conftest import BASE_URL, activity_input, create, place_input

from node.federation import remote_objects
from node.federation.remote_objects import Prepared
from node.protocol.objects import activity_document
from node.services.demo_data import generate_offering
from node.services.demo_loader import load_demo
from node.services.node import Node

Client = TestClient[Any, Any]
HTML = {"Accept": "text/html"}
AMERSFOORT = "GM0307"
KATTENBROEK = "WK030721"
NIEUWMARKT = "WK0363AF"  # Amsterdam: a wijk code with letters
PEER = "https://zwolle.example"


class Page(HTMLParser):
    """What the tests read of a page: links, result items, table rows, the title and the h1."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.items: list[dict[str, str | None]] = []  # result list items: data-lat/lon and their first link
        self.rows: list[list[str]] = []
        self.h1 = ""
        self._stack: list[str] = []
        self._link: list[Any] | None = None
        self._in_results = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._h1 = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "ol" and a.get("id") == "resultaten":
            self._in_results = True
        elif tag == "li" and self._in_results:
            self.items.append({"lat": a.get("data-lat"), "lon": a.get("data-lon"), "href": None})
        elif tag == "a":
            self._link = [a.get("href") or "", ""]
            if self._in_results and self.items and self.items[-1]["href"] is None:
                self.items[-1]["href"] = a.get("href")
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "h1":
            self._h1 = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "ol":
            self._in_results = False
        elif tag == "a" and self._link is not None:
            self.links.append((self._link[0], " ".join(self._link[1].split())))
            self._link = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "h1":
            self._h1 = False

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link[1] += data
        if self._cell is not None:
            self._cell.append(data)
        if self._h1:
            self.h1 += data


@pytest.fixture
async def offering(node: Node) -> None:
    """Amersfoort's demo offering: 10 organisations, 20 activities and 2 courses in its wijken."""
    areas, vocabulary = node.areas, node.vocabulary
    wijken = [n for n in areas.neighbourhoods.values() if n.municipality_code == AMERSFOORT]
    demo = generate_offering(
        areas.municipalities[AMERSFOORT], wijken,
        [c.key for c in vocabulary.sports], [c.key for c in vocabulary.target_groups],
        [c.key for c in vocabulary.accessibility],
        organisations=10, activities=20, courses=2, seed=7, today=node.clock().date(),
    )
    await load_demo(node, demo)


async def page(client: Client, path: str, status: int = 200) -> tuple[str, Page]:
    response = await client.get(path, headers=HTML)
    text = await response.text()
    assert response.status == status, text[:2000]
    assert response.content_type == "text/html"
    return text, Page(text)


async def search(client: Client, **params: str) -> dict[str, Any]:
    response = await client.get("/api/search", params={"type": "activity,course", "facets": "sport", **params})
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


def total_on(text: str) -> int:
    found = re.search(r"Er (?:is|zijn) (\d+) activiteit", text)
    return int(found.group(1)) if found else 0


def sport_counts(parsed: Page, area: str) -> dict[str, int]:
    """The sports list: its links to the search page, each with the count in the link text."""
    found = {}
    for href, text in parsed.links:
        match = re.search(rf"/zoeken\?{area}&sport=([a-z0-9-]+)$", href)
        if match:
            count = re.search(r"\((\d+)\)$", text)
            assert count, text
            found[match.group(1)] = int(count.group(1))
    return found


@pytest.mark.usefixtures("offering")
async def test_a_wijk_page_shows_what_the_search_api_finds_there(client: Client) -> None:
    text, parsed = await page(client, f"/wijk/{KATTENBROEK}")
    assert parsed.h1 == "Sport en bewegen in Kattenbroek"
    assert "<title>Sport en bewegen in Kattenbroek · Testnode</title>" in text
    assert f'<link rel="canonical" href="{BASE_URL}/wijk/{KATTENBROEK}">' in text
    api = await search(client, neighbourhood=KATTENBROEK, sort="next")
    assert api["total"] > 0
    assert total_on(text) == api["total"]
    assert sport_counts(parsed, f"neighbourhood={KATTENBROEK}") == {f["key"]: f["count"] for f in api["facets"]["sport"]}
    # The first results, soonest first, as the API lists them; every one with a place is on the map.
    assert [item["href"] for item in parsed.items] == [item["id"] for item in api["items"]][:20]
    assert all(item["lat"] and item["lon"] for item in parsed.items)
    assert '<div class="map" hidden data-list="#resultaten"' in text
    assert (f"{BASE_URL}/zoeken?neighbourhood={KATTENBROEK}", f"Bekijk alle {api['total']} resultaten bij Zoeken") in parsed.links
    assert (f"{BASE_URL}/gemeente/{AMERSFOORT}", "Amersfoort") in parsed.links
    # Its coverage summary is the coverage service's, and links to the coverage page at the wijk.
    coverage = await (await client.get("/api/coverage", params={"municipality": AMERSFOORT,
                                                                 "neighbourhood": KATTENBROEK})).json()
    gaps = coverage["neighbourhoods"][0]["gaps"]
    assert gaps and all(f'<span class="tag">{g["label"]}</span>' in text for g in gaps)
    assert any(href == f"{BASE_URL}/dekking?gemeente={AMERSFOORT}#{KATTENBROEK}" for href, _ in parsed.links)


@pytest.mark.usefixtures("offering")
async def test_a_municipality_page_counts_its_offering_and_each_wijk_as_the_search_api_does(client: Client, node: Node) -> None:
    text, parsed = await page(client, f"/gemeente/{AMERSFOORT}")
    assert parsed.h1 == "Sport en bewegen in Amersfoort"
    api = await search(client, municipality=AMERSFOORT, sort="next", limit="50")
    assert total_on(text) == api["total"] > 20
    assert len(parsed.items) == 20  # the first 20; the search page has the rest
    assert [item["href"] for item in parsed.items] == [item["id"] for item in api["items"]][:20]
    assert sport_counts(parsed, f"municipality={AMERSFOORT}") == {f["key"]: f["count"] for f in api["facets"]["sport"]}
    # Every wijk of Amersfoort, linked, with the count /api/search gives for it.
    wijken = {n.code: n.name for n in node.areas.neighbourhoods.values() if n.municipality_code == AMERSFOORT}
    rows = {row[0]: row for row in parsed.rows if row and row[0] in wijken.values()}
    assert len(rows) == len(wijken)
    for code, name in wijken.items():
        assert (f"{BASE_URL}/wijk/{code}", name) in parsed.links
        assert int(rows[name][1]) == (await search(client, neighbourhood=code))["total"], name
    assert len([row for row in rows.values() if row[1] != "0"]) >= 2
    # Organisations: each linked, their counts adding up to the offering (every item has its organiser).
    organised = [(href, text) for href, text in parsed.links if href.startswith(f"{BASE_URL}/organisations/")]
    assert organised
    counts = re.findall(r'<span class="facet-count">\((\d+) activiteit', text)
    assert sum(int(n) for n in counts) == api["total"]


@pytest.mark.usefixtures("offering")
async def test_unknown_codes_are_the_dutch_404_page_and_lower_case_is_sent_on(client: Client) -> None:
    for path in ("/wijk/WK999999", "/wijk/onzin", "/gemeente/GM9999", "/gemeente/WK030721", "/wijk/GM0307"):
        text, parsed = await page(client, path, status=404)
        assert parsed.h1 == "Deze pagina bestaat niet", path
        assert '<html lang="nl">' in text
    as_json = await client.get("/wijk/WK999999", headers={"Accept": "application/json"})
    assert as_json.status == 404 and as_json.content_type == "application/problem+json"
    for path, to in ((f"/wijk/{KATTENBROEK.lower()}", f"/wijk/{KATTENBROEK}"), ("/gemeente/gm0307", "/gemeente/GM0307"),
                     (f"/wijk/{NIEUWMARKT.lower()}", f"/wijk/{NIEUWMARKT}")):
        response = await client.get(path, headers=HTML, allow_redirects=False)
        assert response.status == 301 and response.headers["Location"] == BASE_URL + to
    unknown = await client.get("/wijk/wk999999", headers=HTML, allow_redirects=False)
    assert unknown.status == 404


async def test_an_empty_area_says_so_and_points_nearby(client: Client) -> None:
    text, parsed = await page(client, f"/wijk/{NIEUWMARKT}")
    assert parsed.h1 == "Sport en bewegen in Nieuwmarkt/Lastage"
    assert "Er staat nog geen sport- en beweegaanbod in Nieuwmarkt/Lastage op deze site." in text
    assert (f"{BASE_URL}/gemeente/GM0363", "Alles in de gemeente Amsterdam") in parsed.links
    assert (f"{BASE_URL}/zoeken?lat=52.37261&lon=4.90473&km=5", "Zoek binnen 5 km van Nieuwmarkt/Lastage") in parsed.links
    assert 'class="map"' not in text and parsed.items == []
    text, parsed = await page(client, "/gemeente/GM0363")
    assert "Er staat nog geen sport- en beweegaanbod in Amsterdam op deze site." in text
    assert (f"{BASE_URL}/zoeken?province=PV27", "Alles in de provincie Noord-Holland") in parsed.links
    assert (f"{BASE_URL}/wijk/{NIEUWMARKT}", "Nieuwmarkt/Lastage") in parsed.links


async def test_amsterdams_letter_codes_count_as_the_search_api_does(client: Client, club: dict[str, Any]) -> None:
    place = await create(client, club, "places", place_input(
        name="Sporthal Nieuwmarkt", municipalityCode="GM0363", neighbourhoodCode=NIEUWMARKT,
        latitude=52.3726, longitude=4.9047, address={"streetAddress": "Nieuwmarkt 4", "postalCode": "1012 CR",
                                                     "addressLocality": "Amsterdam"}))
    await create(client, club, "activities", activity_input(place["id"], name="Walking football Nieuwmarkt"))
    text, parsed = await page(client, f"/wijk/{NIEUWMARKT}")
    api = await search(client, neighbourhood=NIEUWMARKT)
    assert total_on(text) == api["total"] == 1
    assert parsed.items[0]["lat"] == "52.3726" and parsed.items[0]["href"] == api["items"][0]["id"]
    text, parsed = await page(client, "/gemeente/GM0363")
    row = next(row for row in parsed.rows if row and row[0] == "Nieuwmarkt/Lastage")
    assert row[1] == "1"


HOSTILE_NAME = '<script>alert("naam")</script><img src=x onerror=alert(1)>Voetbal "in" de <b>buurt</b>'
HOSTILE_CONTENT = ('<p onclick="alert(2)">Kom <a href="javascript:alert(3)">meedoen</a>'
                   '<style>body{display:none}</style><iframe src="https://evil.example"></iframe></p>')


async def store_remote(node: Node, name: str, content: str) -> str:
    """An activity of another host stored as it came (past any cleaning at the inbox), with its organiser."""
    owner = f"{PEER}/organisations/de-zwaluwen"
    organisation = {
        "id": owner, "type": "Organization", "name": '<img src=x onerror=alert(4)>De Zwaluwen "Zwolle"',
        "published": "2026-01-01T10:00:00Z", "updated": "2026-01-01T10:00:00Z",
    }
    place = {"id": f"{PEER}/places/hal", "type": "Place", "name": "Sporthal <i>Kattenbroek</i>",
             "attributedTo": owner, "latitude": 52.1884, "longitude": 5.392, "municipalityCode": AMERSFOORT,
             "neighbourhoodCode": KATTENBROEK,
             "address": {"type": "PostalAddress", "streetAddress": "Kerkstraat 1", "postalCode": "3824 AA",
                         "addressLocality": "Amersfoort"}}
    activity = activity_document(
        {"name": name, "schedule": {"days": ["tuesday"], "startTime": "10:00", "endTime": "11:00"}},
        object_id=f"{PEER}/activities/boos", owner=owner, sport="https://w3id.org/sportnode/sports#voetbal",
        place=place, target_groups=[], accessibility=[], published="2026-01-01T10:00:00Z",
        updated="2026-01-01T10:00:00Z",
    )
    activity["content"] = content
    prepared = [Prepared("organisation", organisation, owner, PEER + "/", PEER + "/"),
                Prepared("activity", activity, owner, PEER + "/", PEER + "/")]
    async with node.db.write() as db:
        await remote_objects.store_all(db, node, prepared, announce=False)
    return str(activity["id"])


async def test_a_peers_hostile_text_is_harmless_and_its_origin_shown(client: Client, node: Node) -> None:
    remote = await store_remote(node, HOSTILE_NAME, HOSTILE_CONTENT)
    for path in (f"/wijk/{KATTENBROEK}", f"/gemeente/{AMERSFOORT}"):
        text, parsed = await page(client, path)
        # Shown here, as the search page shows it (/aanbod?id=), with where it comes from.
        assert parsed.items and parsed.items[0]["href"] == f"{BASE_URL}/aanbod?id={quote(remote, safe='')}", path
        main = text.split('<main', 1)[1].split("</main>", 1)[0]
        for bad in ("<script>alert", "<img", "onerror", "onclick", "javascript:", "<style", "<iframe", "<b>", "<i>"):
            assert bad not in main, (path, bad)
        assert 'Voetbal &#34;in&#34; de buurt' in main  # the name as text, its quotes escaped
        assert f'<p class="origin">Komt van <a href="{PEER}/">zwolle.example</a></p>' in main
        organiser = f"{BASE_URL}/aanbod?id={quote(PEER + '/organisations/de-zwaluwen', safe='')}"
        assert f'<a href="{organiser}">De Zwaluwen &#34;Zwolle&#34;</a>' in main
        assert "De Zwaluwen &#34;Zwolle&#34;" in main


async def test_the_wijk_page_has_json_ld_and_escapes_it(client: Client) -> None:
    text, _ = await page(client, f"/wijk/{NIEUWMARKT}")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["@type"] == "AdministrativeArea" and data["identifier"] == NIEUWMARKT
    assert data["name"] == "Nieuwmarkt/Lastage" and data["containedInPlace"]["name"] == "Amsterdam"


@pytest.mark.usefixtures("offering")
async def test_the_pages_speak_english_when_asked(client: Client) -> None:
    response = await client.get(f"/wijk/{KATTENBROEK}", params={"lang": "en"}, headers=HTML)
    assert response.status == 200
    text = await response.text()
    assert '<html lang="en">' in text


@pytest.mark.usefixtures("offering")
async def test_the_coverage_page_links_and_maps_each_wijk(client: Client, node: Node) -> None:
    response = await client.get("/dekking", params={"gemeente": AMERSFOORT}, headers=HTML)
    assert response.status == 200
    text = await response.text()
    coverage = await (await client.get("/api/coverage", params={"municipality": AMERSFOORT})).json()
    wijken = coverage["neighbourhoods"]
    assert len(wijken) == len([n for n in node.areas.neighbourhoods.values() if n.municipality_code == AMERSFOORT])
    assert '<div class="map" hidden data-list="#wijken"' in text
    for w in wijken:
        # One list item per wijk at its centroid; its first link goes to the wijk page and names its gaps.
        item = re.search(rf'<li id="{w["code"]}" data-lat="([^"]+)" data-lon="([^"]+)">\s*<h3><a href="([^"]+)">(.*?)</a>',
                         text, re.S)
        assert item is not None, w["code"]
        assert (float(item.group(1)), float(item.group(2))) == (w["centroid"]["latitude"], w["centroid"]["longitude"])
        assert item.group(3) == f"{BASE_URL}/wijk/{w['code']}"
        link_text = re.sub(r"<[^>]+>", "", item.group(4))
        assert link_text.startswith(w["name"] + ": ")
        if w["gaps"]:
            assert link_text.endswith("niets binnen 3 km voor " + ", ".join(g["label"] for g in w["gaps"]))
        else:
            assert link_text.endswith("voor elke doelgroep iets binnen 3 km")
    # Accessible tables: a caption and headers with their scope.
    assert text.count("<caption") == 2
    assert '<th scope="col">Sport</th>' in text and '<th scope="row">Kickboksen</th><td>3</td>' in text
    assert f'<a href="{BASE_URL}/gemeente/{AMERSFOORT}">Sport en bewegen in Amersfoort</a>' in text


async def test_the_coverage_form_labels_its_fields_and_the_radius_is_written_as_people_do(client: Client) -> None:
    form = await (await client.get("/dekking", headers=HTML)).text()
    assert '<label for="dekking-gemeente">Gemeente</label>' in form and 'id="dekking-gemeente" name="gemeente"' in form
    assert '<label for="dekking-straal">' in form and 'id="dekking-straal" name="straal"' in form
    dutch = await (await client.get("/dekking", params={"gemeente": "GM0363", "straal": "2.5"}, headers=HTML)).text()
    assert "Niets binnen 2,5 km voor:" in dutch and 'data-lat="52.37261"' in dutch
    english = await (await client.get("/dekking", params={"gemeente": "GM0363", "straal": "2.5", "lang": "en"},
                                      headers=HTML)).text()
    assert '<html lang="en">' in english and "2.5 km" in english


async def test_coverage_takes_amsterdams_letter_codes(client: Client) -> None:
    """Amsterdam's wijken have letters (WK0363AF): the coverage API and page take them like any other."""
    response = await client.get("/api/coverage", params={"municipality": "GM0363", "neighbourhood": NIEUWMARKT})
    assert response.status == 200, await response.text()
    assert (await response.json())["neighbourhood"] == {"code": NIEUWMARKT, "name": "Nieuwmarkt/Lastage"}
    page = await client.get("/dekking", params={"gemeente": "GM0363", "wijk": NIEUWMARKT}, headers=HTML)
    assert page.status == 200 and "Dekking in Amsterdam, Nieuwmarkt/Lastage" in await page.text()
    malformed = await client.get("/api/coverage", params={"municipality": "GM0363", "neighbourhood": "WK0363A!"})
    assert malformed.status == 400
