"""An activity's page in the browser: it loads with and without JavaScript and names the activity, the
keyboard reaches its organiser and opens that page, and axe finds no WCAG 2.1 A/AA violation at phone
and desktop width."""

from __future__ import annotations

from browser import assert_accessible, console_errors, set_width, tab_to, third_party_requests
from pages_federation import Federation
from playwright.async_api import Page


async def test_activity_page_loads_with_and_without_javascript(
    served_federation: Federation, page_js_nojs: Page
) -> None:
    page = page_js_nojs
    for activity in (await served_federation.ids("activity"))[:3]:
        document = await served_federation.document(activity)
        response = await page.goto(activity)
        assert response is not None and response.status == 200
        assert response.headers["content-type"].startswith("text/html")
        assert (await page.locator("h1").first.inner_text()).strip() == document["name"]
        assert document["name"] in await page.title()
    assert console_errors(page) == []
    assert third_party_requests(page) == []


async def test_keyboard_reaches_the_organiser_and_opens_its_page(
    served_federation: Federation, page_js_nojs: Page
) -> None:
    page = page_js_nojs
    activity = (await served_federation.ids("activity"))[0]
    organiser = (await served_federation.document(activity))["attributedTo"]
    await page.goto(activity)
    await tab_to(page, lambda stop: stop["href"] == organiser)
    await page.keyboard.press("Enter")
    await page.wait_for_url(organiser)
    name = (await served_federation.document(organiser))["name"]
    assert (await page.locator("h1").first.inner_text()).strip() == name


async def test_activity_page_has_no_axe_violations(
    served_federation: Federation, page_js: Page, width: int
) -> None:
    await set_width(page_js, width)
    for activity in (await served_federation.ids("activity"))[:2]:
        await page_js.goto(activity)
        await assert_accessible(page_js, f"activity {activity} at {width}px")
