"""The search page in the browser: a resident finds "65+, within 2 km of a postcode, on Tuesday" and puts it in
a calendar, with JavaScript, without it, and by keyboard alone; "near me" with the browser's position; the
map's markers are the list's items; the same search on the aggregator; axe at phone and desktop width.

Server-side checks of the same page (facets, widenings, errors, the postcode lookup) are in
tests/test_search_page.py.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from browser import assert_accessible, console_errors, set_width, tab_to, third_party_requests
from icalendar import Calendar
from pages_federation import Federation
from playwright.async_api import Page

AGE = "65"
KM = "2"
DAY = "dinsdag"


async def _api(page: Page, url: str) -> dict[str, Any]:
    response = await page.request.get(url)
    assert response.ok, await response.text()
    found: dict[str, Any] = json.loads(await response.text())
    return found


async def _postcode_and_expected(federation: Federation, page: Page) -> tuple[str, str]:
    """A postcode of a place where something on Tuesday suits a 65-year-old, and that activity's name."""
    query = urlencode({"type": "activity", "age": AGE, "day": "tuesday", "limit": "50"})
    found = await _api(page, f"{federation.municipal_url}/api/search?{query}")
    documents = [item["document"] for item in found["items"]]
    # One meant for older people first, as a resident of 65 would pick.
    documents.sort(key=lambda d: not any(str(g).endswith("#senioren") for g in d.get("targetGroup", ())))
    for document in documents:
        postcode = (document.get("location") or {}).get("address", {}).get("postalCode")
        if postcode:
            return postcode, document["name"]
    raise AssertionError(f"the demo offering has nothing on Tuesday for {AGE}: {found}")


async def _listed(page: Page) -> list[str]:
    return [name.strip() for name in await page.locator("#results > li h3 a").all_inner_texts()]


async def _check_ical(page: Page) -> None:
    """The "Zet in je agenda" link is the same search as iCalendar, with at least one event."""
    link = page.get_by_role("link", name="Zet in je agenda")
    href = await link.get_attribute("href")
    assert href and dict(parse_qsl(urlsplit(href).query))["format"] == "ical"
    response = await page.request.get(href)
    assert response.ok and response.headers["content-type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(await response.body()).walk() if c.name == "VEVENT"]
    assert events, await response.text()
    # The calendar holds what the page lists.
    assert {str(e["SUMMARY"]) for e in events} >= set(await _listed(page))


async def _same_as_the_api(page: Page) -> None:
    """The page lists exactly what /api/search answers for its iCal link's parameters."""
    href = await page.get_by_role("link", name="Zet in je agenda").get_attribute("href")
    assert href
    pairs = [(k, v) for k, v in parse_qsl(urlsplit(href).query) if k not in ("format", "limit")]
    base = f"{urlsplit(href).scheme}://{urlsplit(href).netloc}"
    found = await _api(page, f"{base}/api/search?{urlencode(pairs)}")
    assert await _listed(page) == [item["document"]["name"] for item in found["items"]]


async def test_a_resident_finds_65_plus_near_a_postcode_on_tuesday(
    served_federation: Federation, page_js_nojs: Page
) -> None:
    page = page_js_nojs
    postcode, expected = await _postcode_and_expected(served_federation, page)
    await page.goto(served_federation.municipal_url + "/")
    await page.get_by_role("link", name="Zoeken", exact=True).first.click()
    await page.wait_for_url("**/zoeken")
    await page.get_by_label("Postcode").fill(postcode)
    await page.get_by_label("Afstand").select_option(KM)
    await page.get_by_label(DAY, exact=True).check()
    await page.get_by_label("Leeftijd").fill(AGE)
    await page.get_by_role("button", name="Filters toepassen").click()
    await page.wait_for_url("**/zoeken?*")
    query = dict(parse_qsl(urlsplit(page.url).query))
    assert query["postcode"] == postcode and query["km"] == KM and query["day"] == "tuesday" and query["age"] == AGE
    listed = await _listed(page)
    assert expected in listed, listed
    heading = await page.locator("#resultaten-kop").inner_text()
    assert heading.startswith(f"{len(listed)} resulta")
    # What the filters kept: the form shows them again.
    assert await page.get_by_label("Postcode").input_value() == postcode
    assert await page.get_by_label(DAY, exact=True).is_checked()
    await _same_as_the_api(page)
    await _check_ical(page)
    assert console_errors(page) == []
    assert third_party_requests(page) == []


async def test_the_same_search_by_keyboard_alone(served_federation: Federation, page_js_nojs: Page) -> None:
    page = page_js_nojs
    postcode, expected = await _postcode_and_expected(served_federation, page)
    await page.goto(served_federation.municipal_url + "/zoeken")
    await tab_to(page, lambda s: s["id"] == "f-postcode")
    await page.keyboard.type(postcode)
    await tab_to(page, lambda s: s["id"] == "f-km")
    for _ in range(2):  # "Elke afstand" -> "Tot 1 km" -> "Tot 2 km"
        await page.keyboard.press("ArrowDown")
    assert await page.locator("#f-km").input_value() == KM
    await tab_to(page, lambda s: s["tag"] == "input" and s["text"] == "tuesday")
    await page.keyboard.press("Space")
    await tab_to(page, lambda s: s["id"] == "f-age")
    await page.keyboard.type(AGE)
    await page.keyboard.press("Enter")  # submits the form the field belongs to
    await page.wait_for_url("**/zoeken?*")
    assert expected in await _listed(page)
    # The first result and the calendar link are reached and followed by keyboard too.
    await tab_to(page, lambda s: s["tag"] == "a" and s["text"] == "Zet in je agenda", limit=120)
    ical = await page.get_by_role("link", name="Zet in je agenda").get_attribute("href")
    assert ical
    await tab_to(page, lambda s: s["tag"] == "a" and s["text"] == expected, limit=120)
    await page.keyboard.press("Enter")
    await page.wait_for_load_state()
    assert (await page.locator("h1").first.inner_text()).strip() == expected
    assert console_errors(page) == []


async def test_near_me_fills_the_position_with_javascript_and_is_absent_without(
    served_federation: Federation, page_js: Page, page_nojs: Page
) -> None:
    base = served_federation.municipal_url
    await page_nojs.goto(base + "/zoeken")
    assert not await page_nojs.locator("#near-me").is_visible()
    place = await _api(page_js, f"{base}/api/search?type=place&limit=1")
    point = place["items"][0]["document"]
    context = page_js.context
    await context.grant_permissions(["geolocation"], origin=base)
    await context.set_geolocation({"latitude": point["latitude"], "longitude": point["longitude"]})
    await page_js.goto(base + "/zoeken")
    await page_js.get_by_label("Postcode").fill("1234 AB")  # a position is newer than a typed postcode
    button = page_js.get_by_role("button", name="Bij mij in de buurt")
    await button.click()
    await page_js.wait_for_url("**lat=*")
    query = dict(parse_qsl(urlsplit(page_js.url).query))
    assert "postcode" not in query and query["km"] == "2"
    assert abs(float(query["lat"]) - point["latitude"]) < 0.001
    assert await page_js.get_by_text("Je zoekt in de buurt van je eigen locatie.").is_visible()
    assert await _listed(page_js), "something lies within 2 km of a place the node holds"
    assert console_errors(page_js) == []


async def test_the_maps_markers_are_the_lists_items(served_federation: Federation, page_js: Page) -> None:
    for base in (served_federation.municipal_url, served_federation.aggregator_url):
        await page_js.goto(base + "/zoeken?type=activity&weergave=kaart")
        map_div = page_js.locator("div.map")
        await map_div.and_(page_js.locator("[data-markers]")).wait_for()
        markers = int(await map_div.get_attribute("data-markers") or "-1")
        located = await page_js.locator("#results > li[data-lat][data-lon]").count()
        assert markers == located > 0, (base, markers, located)
        assert await map_div.is_visible()
    assert console_errors(page_js) == []
    assert third_party_requests(page_js) == [] or all("tile" in url for url in third_party_requests(page_js))


async def test_the_same_search_works_on_the_aggregator(served_federation: Federation, page_js_nojs: Page) -> None:
    page = page_js_nojs
    postcode, expected = await _postcode_and_expected(served_federation, page)
    query = urlencode({"postcode": postcode, "km": KM, "day": DAY, "age": AGE})
    await page.goto(f"{served_federation.municipal_url}/zoeken?{query}")
    here = await _listed(page)
    response = await page.goto(f"{served_federation.aggregator_url}/zoeken?{query}")
    assert response is not None and response.status == 200
    there = await _listed(page)
    assert expected in there and sorted(there) == sorted(here)
    # Each result is the aggregator's page of a remote object, saying where it comes from.
    link = page.locator("#results > li h3 a").first
    assert (await link.get_attribute("href") or "").startswith(served_federation.aggregator_url + "/aanbod?id=")
    assert urlsplit(served_federation.municipal_url).netloc in await page.locator("#results > li .origin").first.inner_text()
    await _same_as_the_api(page)
    await _check_ical(page)


async def test_search_pages_have_no_axe_violations(served_federation: Federation, page_js: Page, width: int) -> None:
    await set_width(page_js, width)
    for base in (served_federation.municipal_url, served_federation.aggregator_url):
        for path, what in (
            ("/", "home"),
            ("/zoeken?type=activity", "search with results"),
            ("/zoeken?type=activity&weergave=kaart", "search on the map"),
            ("/zoeken?q=quidditch&day=zondag", "search without results"),
            ("/zoeken?age=oud&postcode=0000", "search with errors"),
        ):
            await page_js.goto(base + path)
            await assert_accessible(page_js, f"{what} on {base} at {width}px")
