"""The search page /zoeken and the home page on a real node (aiohttp test client): facet counts, widenings
with their counts, Dutch errors at their fields, the postcode lookup, paging, the map view, remote objects.

The browser tests of the same pages are in tests/pages/test_pages_search.py.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from conftest import BASE_URL, activity_input, create, place_input
from icalendar import Calendar

from node.errors import FieldError
from node.protocol.jsonld import AS_PUBLIC, OBJECT_CONTEXT
from node.services.node import Node
from node.services.pages_search import place_postcode
from node.store.objects import put_object
from node.store.search_pages import Point

Client = TestClient[Any, Any]
HTML = {"Accept": "text/html"}


@pytest.fixture
async def offering(client: Client, club: dict[str, Any], other_club: dict[str, Any], node: Node) -> dict[str, Any]:
    """Two places in 3811 (AB and CD), one in Zwolle; walking football (Tue/Thu, senioren), korfbal for
    kinderen (Sat), yoga in Zwolle (Mon); a remote event with a hostile name."""
    south = await create(client, club, "places", place_input())
    east = await create(client, club, "places", place_input(
        name="Gymzaal Oost", latitude=52.1560, longitude=5.3990,
        address={"streetAddress": "Oostweg 3", "postalCode": "3811CD", "addressLocality": "Amersfoort"},
    ))
    far = await create(client, other_club, "places", place_input(
        name="Gymzaal Noord", latitude=52.513, longitude=6.092, municipalityCode="GM0193",
        neighbourhoodCode="WK019310",
        address={"streetAddress": "Noordweg 1", "postalCode": "8011 AB", "addressLocality": "Zwolle"},
    ))
    walking = await create(client, club, "activities", activity_input(south["id"]))
    korfbal = await create(client, club, "activities", activity_input(
        east["id"], name="Korfbal voor kinderen", sport="korfbal", targetGroups=["kinderen"],
        ageRange={"min": 6, "max": 12}, price=2.5,
        schedule={"days": ["saturday"], "startTime": "09:00", "endTime": "10:00"},
    ))
    yoga = await create(client, other_club, "activities", activity_input(
        far["id"], name="Stoelyoga", sport="yoga", targetGroups=["senioren"], price=4,
        schedule={"days": ["monday"], "startTime": "19:00", "endTime": "20:00"},
    ))
    remote = {
        "@context": OBJECT_CONTEXT, "id": "https://mobilizon.example/events/1", "type": "Event",
        "published": "2026-11-01T10:00:00Z", "updated": "2026-11-01T10:00:00Z",
        "name": "Buurtvolleybal <script>alert(1)</script><b>!</b>",
        "attributedTo": "https://mobilizon.example/@buurt", "startTime": "2027-12-20T10:00:00Z",
        "location": {"type": "Place", "name": "Speeltuin <img src=x onerror=alert(2)>", "latitude": 52.15,
                     "longitude": 5.39},
        "to": [AS_PUBLIC],
    }
    async with node.db.write() as db:
        await put_object(db, "activity", remote["attributedTo"], remote, origin="https://mobilizon.example/@buurt")
    return {"south": south, "east": east, "far": far, "walking": walking, "korfbal": korfbal, "yoga": yoga,
            "remote": remote}


async def page(client: Client, query: str, status: int = 200) -> str:
    response = await client.get(f"/zoeken?{query}", headers=HTML)
    text = await response.text()
    assert response.status == status, text[:2000]
    assert response.content_type == "text/html"
    return text


def result_links(text: str) -> list[str]:
    """The href of each result's name, in order."""
    results = text.split('id="results"', 1)[1].split("</ol>", 1)[0] if 'id="results"' in text else ""
    return [unescape(h) for h in re.findall(r'<h3><a href="([^"]+)">', results)]


def heading(text: str) -> str:
    return re.search(r'<h2 id="resultaten-kop">([^<]*)</h2>', text)[1]  # type: ignore[index]


async def api_total(client: Client, query: str) -> int:
    body = await (await client.get(f"/api/search?{query}&facets=sport")).json()
    total: int = body["total"]
    return total


async def test_filters_find_what_the_api_finds(client: Client, offering: dict[str, Any]) -> None:
    text = await page(client, "type=activity")
    assert heading(text) == "4 resultaten"
    assert len(result_links(text)) == 4
    text = await page(client, "sport=balsport&day=zaterdag")  # a broad sport finds korfbal under it
    assert result_links(text) == [offering["korfbal"]["id"]]
    text = await page(client, "maxPrice=2%2C50&type=activity")  # the Dutch comma is understood
    assert set(result_links(text)) == {offering["walking"]["id"], offering["korfbal"]["id"]}
    assert 'value="2,50"' in text


async def test_facet_counts_stand_beside_the_filters(client: Client, offering: dict[str, Any]) -> None:
    text = await page(client, "type=activity")
    # Target groups count what a filter on them finds: "Jeugd" includes the korfbal for kinderen.
    assert re.search(r'value="jeugd"[^>]*><span>Jeugd <span class="facet-count">\(1\)</span>', text)
    assert re.search(r'value="senioren"[^>]*><span>Senioren <span class="facet-count">\(2\)</span>', text)
    assert re.search(r'value="kinderen"[^>]*><span>Kinderen <span class="facet-count">\(1\)</span>', text)
    # Sports: a broad one counts what is under it; municipalities and wijken count their results.
    assert '<option value="korfbal">Korfbal (1)</option>' in text
    assert re.search(r'<option value="balsport">[^<]*\(2\)</option>', text)
    assert '<option value="GM0307">Amersfoort (2)</option>' in text
    assert '<option value="GM0193">Zwolle (1)</option>' in text
    assert re.search(r'<option value="WK019310">[^<]*\(1\)</option>', text)
    # Counts follow the filters.
    text = await page(client, "type=activity&municipality=GM0193")
    assert '<option value="GM0193" selected>Zwolle (1)</option>' in text
    assert '<option value="korfbal">Korfbal</option>' in text


async def test_nothing_found_offers_each_widening_with_its_count(client: Client, offering: dict[str, Any]) -> None:
    query = "sport=korfbal&day=maandag&postcode=3811AB&km=2"
    text = await page(client, query)
    assert heading(text) == "0 resultaten" and 'id="results"' not in text
    links = {unescape(text_): unescape(href) for href, text_ in re.findall(
        r'<li><a href="([^"]+)">([^<]+)</a> <span class="facet-count">', text)}
    plain = re.findall(r"<li>([^<]+) <span class=\"facet-count\">\(0 resultaten\)", text)
    without_sport = links.get("Zonder sport (Korfbal)")
    assert without_sport is not None
    pairs = parse_qsl(urlsplit(without_sport).query)
    assert ("sport", "korfbal") not in pairs and ("day", "maandag") in pairs and ("postcode", "3811 AB") in pairs
    # Each count is what the link finds.
    for label, href in links.items():
        found = await page(client, urlsplit(href).query)
        count = int(re.search(rf"{re.escape(label)}</a> <span class=\"facet-count\">\((\d+) result", unescape(text))[1])  # type: ignore[index]
        assert heading(found).split()[0] == str(count), (label, href)
    # Without the day, the korfbal is found; without the sport, the remote event on a Monday. Korfbal on a
    # Monday is nowhere, and no nearer for a doubled distance: those are said, without a link.
    assert set(links) == {"Zonder dag (maandag)", "Zonder sport (Korfbal)"}
    assert set(plain) == {"Zonder afstand (binnen 2 km)", "Zoek tot 4 km in plaats van 2 km"}


async def test_parameter_errors_are_shown_at_their_fields_in_dutch(client: Client, offering: dict[str, Any]) -> None:
    text = await page(client, "age=oud&startsAfter=25%3A00&km=5&foo=1&sport=quidditch&maxPrice=veel", 400)
    assert "<form" in text and "Sport en bewegen zoeken" in text  # the whole page
    expected = {
        "age": "Vul een leeftijd in",
        "startsAfter": "Vul een tijd in als uu:mm",
        "km": "Vul ook een postcode in",
        "sport": "We kennen deze sport niet",
        "maxPrice": "Vul een bedrag in euro in",
    }
    for field, words in expected.items():
        message = re.search(rf'<p class="error-text" id="err-{field}">([^<]+)</p>', text)
        assert message and words in unescape(message[1]), field
        assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true" aria-describedby="err-{field}', text), field
    assert "foo" in text.split('class="notice error-summary"', 1)[1].split("</div>", 1)[0]
    assert "must be" not in text and "not a parameter" not in text  # no English from the API


async def test_a_postcode_is_placed_at_the_places_held_with_it(node: Node, offering: dict[str, Any]) -> None:
    south, east = offering["south"], offering["east"]
    exact = await place_postcode(node, "3811 ab")
    assert isinstance(exact, Point) and exact.places == 1
    assert (exact.lat, exact.lon) == pytest.approx((south["latitude"], south["longitude"]))
    # No place with 3811 ZZ: the mean of those with the same four digits.
    area = await place_postcode(node, "3811ZZ")
    assert isinstance(area, Point) and area.places == 2
    assert area.lat == pytest.approx((south["latitude"] + east["latitude"]) / 2)
    assert area.lon == pytest.approx((south["longitude"] + east["longitude"]) / 2)
    four = await place_postcode(node, " 3811 ")
    assert isinstance(four, Point) and four.places == 2
    unknown = await place_postcode(node, "9999 ZZ")
    assert isinstance(unknown, FieldError) and unknown.path == "/postcode"
    bad = await place_postcode(node, "38 11")
    assert isinstance(bad, FieldError)


async def test_the_postcode_field_searches_by_distance_or_says_it_is_unknown(
    client: Client, offering: dict[str, Any]
) -> None:
    text = await page(client, "postcode=3811+ab&km=2&type=activity&sort=distance")
    assert result_links(text)[0] == offering["walking"]["id"]
    assert "(0 km hiervandaan)" in text or "(0,0 km hiervandaan)" in text
    assert offering["yoga"]["id"] not in result_links(text)  # Zwolle is far away
    text = await page(client, "postcode=9999+ZZ&km=2", 400)
    message = re.search(r'<p class="error-text" id="err-postcode">([^<]+)</p>', text)
    assert message and unescape(message[1]) == (
        "We kennen deze postcode niet. Kies een gemeente of wijk, of gebruik 'bij mij in de buurt'."
    )
    assert 'id="err-km"' not in text  # one message for one mistake


async def test_ical_and_atom_links_carry_the_same_search(client: Client, offering: dict[str, Any]) -> None:
    text = await page(client, "postcode=3811AB&km=2&day=dinsdag&age=65")
    ical = unescape(re.search(r'<a href="([^"]+)">Zet in je agenda</a>', text)[1])  # type: ignore[index]
    pairs = dict(parse_qsl(urlsplit(ical).query))
    assert urlsplit(ical).path == "/api/search" and pairs["format"] == "ical" and "postcode" not in pairs
    assert pairs["day"] == "dinsdag" and pairs["km"] == "2" and "lat" in pairs
    response = await client.get(ical.removeprefix(BASE_URL))
    assert response.status == 200 and response.content_type == "text/calendar"
    events = [c for c in Calendar.from_ical(await response.read()).walk() if c.name == "VEVENT"]
    assert [str(e["SUMMARY"]) for e in events] == ["Walking football voor 65-plussers"]
    atom = re.search(r'<link rel="alternate" type="application/atom\+xml" href="([^"]+)"', text)
    assert atom and urlsplit(unescape(atom[1])).path == "/zoeken.atom"
    assert dict(parse_qsl(urlsplit(unescape(atom[1])).query))["day"] == "dinsdag"


async def test_cursor_paging_keeps_the_other_parameters(client: Client, club: dict[str, Any]) -> None:
    place = await create(client, club, "places", place_input())
    for i in range(23):
        await create(client, club, "activities", activity_input(place["id"], name=f"Beweegles {i}"))
    text = await page(client, "q=beweegles&postcode=3811AB&weergave=lijst")
    first = result_links(text)
    assert heading(text) == "23 resultaten" and len(first) == 20
    nxt = unescape(re.search(r'<a href="([^"]+)" rel="next">', text)[1])  # type: ignore[index]
    pairs = parse_qsl(urlsplit(nxt).query)
    assert ("q", "beweegles") in pairs and ("postcode", "3811 AB") in pairs and any(k == "cursor" for k, _ in pairs)
    second = await page(client, urlsplit(nxt).query)
    rest = result_links(second)
    assert len(rest) == 3 and not set(rest) & set(first)
    assert 'rel="next"' not in second and "Terug naar het begin" in second
    # The map view lists up to 200 at once, beside the map, each with its position.
    text = await page(client, "q=beweegles&weergave=kaart")
    assert len(result_links(text)) == 23 and 'class="map large" hidden data-list="#results"' in text
    assert text.count("data-lat=") == 23


async def test_remote_results_link_to_their_local_page_as_plain_text(client: Client, offering: dict[str, Any]) -> None:
    text = await page(client, "q=buurtvolleybal")
    assert result_links(text) == [f"{BASE_URL}/aanbod?id=https%3A%2F%2Fmobilizon.example%2Fevents%2F1"]
    assert "<script>alert" not in text and "onerror" not in text and "<b>!</b>" not in text
    assert "Buurtvolleybal" in text and "Komt van" in text and "mobilizon.example" in text


async def test_home_counts_what_the_node_holds_and_keeps_its_linked_data(
    client: Client, offering: dict[str, Any]
) -> None:
    response = await client.get("/", headers=HTML)
    text = await response.text()
    assert response.status == 200
    # Four current activities, the remote event among them; sports and wijken link to the search page.
    assert "Er zijn nu 4 activiteiten." in text
    balsport = re.search(r'<a href="([^"]+)">Balsport <span class="facet-count">\((\d+)\)</span>', text)
    assert balsport and balsport[2] == "2"
    assert heading(await page(client, urlsplit(unescape(balsport[1])).query)) == "2 resultaten"
    assert f'href="{BASE_URL}/wijk/WK030701"' in text and f'href="{BASE_URL}/gemeente/GM0193"' in text
    for words in ("targetGroup=senioren", "targetGroup=mensen-met-een-beperking", "maxPrice=5", "targetGroup=jeugd"):
        assert f"/zoeken?{words}&amp;type=activity" in text
    for link in ("/dekking", "/openactive", "/openactive/session-series", "/sparql", "/openapi.json"):
        assert f'href="{BASE_URL}{link}"' in text
    assert "Buurtvolleybal" in text  # what is new
    linked = await client.get("/", headers={"Accept": "application/activity+json"})
    assert linked.status == 200 and (await linked.json())["type"] == "Application"


async def test_counts_beside_the_filters_follow_every_write(
    client: Client, club: dict[str, Any], offering: dict[str, Any]
) -> None:
    for _ in range(2):  # the second time from the counts kept since the first
        text = await page(client, "type=activity")
        assert re.search(r'value="jeugd"[^>]*><span>Jeugd <span class="facet-count">\(1\)</span>', text)
        assert re.search(r'<option value="WK030701">[^<]*\(2\)</option>', text)
    await create(client, club, "activities", activity_input(
        offering["south"]["id"], name="Peutergym", sport="peutergym", targetGroups=["peuters"]))
    text = await page(client, "type=activity")
    assert re.search(r'value="jeugd"[^>]*><span>Jeugd <span class="facet-count">\(2\)</span>', text)
    assert re.search(r'<option value="WK030701">[^<]*\(3\)</option>', text)


async def test_a_sport_three_levels_down_stays_chosen_in_the_form(client: Client) -> None:
    """walking-football lies under voetbal under balsport; the form lists it selected, so that applying the
    filters again keeps it."""
    text = await (await client.get("/zoeken?sport=walking-football", headers=HTML)).text()
    assert re.search(r'<option value="walking-football" selected>', text), "the chosen sport is not selected"
