"""The home page in the browser, on a municipal node and on an aggregator: it loads with and without
JavaScript, the keyboard reaches and follows its links, and axe finds no WCAG 2.1 A/AA violation at
phone and desktop width."""

from __future__ import annotations

from browser import assert_accessible, console_errors, set_width, tab_stops, tab_to, third_party_requests
from pages_federation import Federation
from playwright.async_api import Page


async def test_home_loads_with_and_without_javascript(served_federation: Federation, page_js_nojs: Page) -> None:
    page = page_js_nojs
    for peer in (served_federation.municipal, served_federation.aggregator):
        response = await page.goto(peer.base + "/")
        assert response is not None and response.status == 200
        assert (await page.get_attribute("html", "lang") or "").startswith("nl")
        assert peer.config.name in await page.title()
        assert await page.locator("h1").first.is_visible()
        assert await page.locator("main").count() == 1
    assert console_errors(page) == []
    assert third_party_requests(page) == []


async def test_keyboard_reaches_and_follows_the_home_pages_links(
    served_federation: Federation, page_js_nojs: Page
) -> None:
    page = page_js_nojs
    base = served_federation.municipal_url
    await page.goto(base + "/")
    stops = await tab_stops(page)
    links = [stop for stop in stops if stop["tag"] == "a"]
    assert len(links) >= 5, stops
    assert all(stop["indicator"] for stop in stops), [s for s in stops if not s["indicator"]]
    # The first stop skips to the content, which exists.
    skip = stops[0]
    assert skip["href"] and "#" in skip["href"], skip
    target = skip["href"].split("#", 1)[1]
    assert await page.locator(f"[id='{target}']").count() == 1
    # Enter on the first link of the content to another page of the node opens that page.
    in_main = await page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.href)"
    )
    wanted = next(href for href in in_main if href.startswith(base + "/") and "#" not in href
                  and href.rstrip("/") != base)
    await tab_to(page, lambda s: s["href"] == wanted)
    async with page.expect_navigation() as navigation:
        await page.keyboard.press("Enter")
    response = await navigation.value
    assert page.url == wanted
    assert response is not None and response.status == 200, (wanted, response and response.status)


async def test_home_has_no_axe_violations(served_federation: Federation, page_js: Page, width: int) -> None:
    await set_width(page_js, width)
    for base in (served_federation.municipal_url, served_federation.aggregator_url):
        await page_js.goto(base + "/")
        await assert_accessible(page_js, f"the home page of {base} at {width}px")
