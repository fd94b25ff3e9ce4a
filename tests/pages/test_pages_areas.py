"""The area pages (/wijk/CODE, /gemeente/CODE) and the coverage page (/dekking) in the browser, on the
municipal node and on the aggregator that holds its offering: they load with and without JavaScript, the
map's markers are the list's items with coordinates, the keyboard goes from a wijk on the coverage page to
its own page, and axe finds no WCAG 2.1 A/AA violation at phone and desktop width.

The shared federation keeps the default tile server (OpenStreetMap): the browser refuses those requests
(tests/pages/browser.py), so tiles are the one third-party request a page may try; nothing else may be."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from browser import assert_accessible, console_errors, set_width, tab_to, third_party_requests
from pages_federation import MUNICIPALITY, Federation
from playwright.async_api import Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

TILE_HOST = "tile.openstreetmap.org"
BLOCKED = "net::ERR_BLOCKED_BY_CLIENT"  # the console's word for a refused (tile) request


async def busiest_wijk(federation: Federation) -> str:
    """The wijk with the most activities of the demo offering (so its page has results and a map)."""
    counts: dict[str, int] = {}
    for activity in await federation.ids("activity"):
        code = (await federation.document(activity)).get("location", {}).get("neighbourhoodCode")
        if code:
            counts[code] = counts.get(code, 0) + 1
    return max(counts, key=lambda code: (counts[code], code))


def area_urls(base: str, wijk: str) -> list[str]:
    return [f"{base}/wijk/{wijk}", f"{base}/gemeente/{MUNICIPALITY}", f"{base}/dekking?gemeente={MUNICIPALITY}"]


def assert_nothing_but_tiles_went_out(page: Page) -> None:
    outside = third_party_requests(page)
    assert all(urlsplit(url).hostname == TILE_HOST for url in outside), outside
    errors = [e for e in console_errors(page) if not (outside and BLOCKED in e)]
    assert errors == []


async def markers(page: Page) -> int:
    try:
        await page.wait_for_selector("div.map[data-markers]", state="attached")
    except PlaywrightTimeout:
        error = await page.get_attribute("div.map", "data-map-error")
        pytest.fail(f"map.js drew no map on {page.url}: {error or ''} {console_errors(page)}")
    return int(await page.get_attribute("div.map", "data-markers") or "-1")


async def api_total(page: Page, base: str, **params: str) -> int:
    query = "&".join(f"{k}={v}" for k, v in {"type": "activity,course", "facets": "sport", **params}.items())
    response = await page.request.get(f"{base}/api/search?{query}")
    assert response.ok
    return int(json.loads(await response.text())["total"])


async def test_area_and_coverage_pages_load_with_and_without_javascript(
    served_federation: Federation, page_js_nojs: Page
) -> None:
    page = page_js_nojs
    wijk = await busiest_wijk(served_federation)
    for peer in (served_federation.municipal, served_federation.aggregator):
        for url in area_urls(peer.base, wijk):
            response = await page.goto(url)
            assert response is not None and response.status == 200, url
            assert response.headers["content-type"].startswith("text/html")
            assert (await page.get_attribute("html", "lang") or "").startswith("nl")
            assert await page.locator("h1").count() == 1 and await page.locator("h1").is_visible()
            assert peer.config.name in await page.title()
        # The offering is the same everywhere: the aggregator counts what it holds of the municipal node.
        await page.goto(f"{peer.base}/wijk/{wijk}")
        total = await api_total(page, peer.base, neighbourhood=wijk)
        assert total > 0
        items = page.locator("#resultaten > li")
        assert await items.count() == min(total, 20)
        text = await page.locator("#aanbod + p").inner_text()
        assert f"{total} activiteit" in text, text
    assert_nothing_but_tiles_went_out(page)


async def test_without_javascript_the_list_carries_everything_and_the_map_stays_hidden(
    served_federation: Federation, page_nojs: Page
) -> None:
    wijk = await busiest_wijk(served_federation)
    for url in area_urls(served_federation.municipal_url, wijk):
        await page_nojs.goto(url)
        assert await page_nojs.locator("div.map").count() == 1
        assert not await page_nojs.locator("div.map").is_visible()
        assert await page_nojs.locator("div.map").get_attribute("data-markers") is None
    # Every wijk of the coverage page is a visible link to its own page.
    links = page_nojs.locator("#wijken > li h3 a")
    assert await links.count() > 10
    first = links.first
    href = await first.get_attribute("href")
    assert href and "/wijk/WK0307" in href
    assert await first.is_visible()
    assert third_party_requests(page_nojs) == [] and console_errors(page_nojs) == []


async def test_the_maps_markers_are_the_list_items_with_coordinates(
    served_federation: Federation, page_js: Page
) -> None:
    wijk = await busiest_wijk(served_federation)
    for peer in (served_federation.municipal, served_federation.aggregator):
        for url, list_id in zip(area_urls(peer.base, wijk), ("#resultaten", "#resultaten", "#wijken"), strict=True):
            await page_js.goto(url)
            drawn = await markers(page_js)
            with_place = await page_js.locator(f"{list_id} > li[data-lat][data-lon]").count()
            assert drawn == with_place > 0, url
            assert await page_js.locator("div.map").is_visible()
    # A wijk's marker on the coverage page names its gaps: the popup holds the list item's link text.
    await page_js.goto(f"{served_federation.municipal_url}/dekking?gemeente={MUNICIPALITY}&wijk={wijk}")
    assert await markers(page_js) == 1
    link = page_js.locator("#wijken > li h3 a").first
    name = " ".join((await link.text_content() or "").split())
    assert "niets binnen 3 km voor" in name or "voor elke doelgroep iets binnen 3 km" in name
    marker = page_js.locator("div.map .leaflet-marker-icon").first
    assert " ".join((await marker.get_attribute("alt") or "").split()) == name
    await marker.focus()
    await page_js.keyboard.press("Enter")
    popup = page_js.locator("div.map .leaflet-popup-content a")
    await popup.wait_for()
    assert await popup.get_attribute("href") == await link.get_attribute("href")
    assert_nothing_but_tiles_went_out(page_js)


async def test_keyboard_goes_from_a_wijk_of_the_coverage_page_to_its_page(
    served_federation: Federation, page_js_nojs: Page
) -> None:
    page = page_js_nojs
    base = served_federation.municipal_url
    await page.goto(f"{base}/dekking?gemeente={MUNICIPALITY}")
    stop = await tab_to(page, lambda s: s["tag"] == "a" and "/wijk/WK0307" in (s["href"] or ""))
    assert stop["indicator"], stop
    await page.keyboard.press("Enter")
    await page.wait_for_url(stop["href"])
    assert (await page.locator("h1").inner_text()).startswith("Sport en bewegen in ")
    # And from the wijk page to its municipality's page.
    wijk_page = page.url
    stop = await tab_to(page, lambda s: s["href"] == f"{base}/gemeente/{MUNICIPALITY}")
    await page.keyboard.press("Enter")
    await page.wait_for_url(stop["href"])
    assert await page.locator("h1").inner_text() == "Sport en bewegen in Amersfoort"
    assert wijk_page != page.url


async def test_area_and_coverage_pages_have_no_axe_violations(
    served_federation: Federation, page_js: Page, width: int
) -> None:
    await set_width(page_js, width)
    wijk = await busiest_wijk(served_federation)
    for base in (served_federation.municipal_url, served_federation.aggregator_url):
        for url in [*area_urls(base, wijk), f"{base}/wijk/WK0363AF", f"{base}/dekking"]:
            await page_js.goto(url)
            if await page_js.locator("div.map").count():
                await markers(page_js)  # axe looks at the page with its map drawn
            await assert_accessible(page_js, f"{url} at {width}px")
