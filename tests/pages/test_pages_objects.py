"""The object pages in the browser: an activity, organisation, place and course page on the municipal node,
and the same objects on the aggregator at /aanbod?id=. axe finds no WCAG 2.1 A/AA violation at phone and
desktop width; the activity's small map has one marker; without JavaScript the facts and the calendar
file are there, and the keyboard reaches "Zet in je agenda"; the aggregator's page says where the
activity comes from; a peer's hostile activity stays inert in a real browser."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from browser import assert_accessible, console_errors, set_width, tab_to, third_party_requests
from pages_federation import Federation, open_federation
from playwright.async_api import Page

from node.federation import remote_objects
from node.protocol.objects import activity_document, place_document

KINDS = ("activity", "organisation", "place", "course")


def remote_page(federation: Federation, object_id: str) -> str:
    return f"{federation.aggregator_url}/aanbod?id={quote(object_id, safe='')}"


async def object_urls(federation: Federation) -> list[str]:
    """The first object of each kind on the municipal node, and the same four on the aggregator."""
    own = [(await federation.ids(kind))[0] for kind in KINDS]
    return own + [remote_page(federation, object_id) for object_id in own]


async def test_object_pages_have_no_axe_violations(served_federation: Federation, page_js: Page, width: int) -> None:
    await set_width(page_js, width)
    for url in await object_urls(served_federation):
        response = await page_js.goto(url)
        assert response is not None and response.status == 200, url
        await assert_accessible(page_js, f"{url} at {width}px")
    assert console_errors(page_js) == []
    assert third_party_requests(page_js) == []


async def test_the_activitys_map_shows_its_place(served_federation: Federation, page_js: Page) -> None:
    activity = (await served_federation.ids("activity"))[0]
    place = (await served_federation.document(activity))["location"]
    await page_js.goto(activity)
    await page_js.wait_for_selector("div.map[data-markers]", state="attached")
    assert await page_js.get_attribute("div.map", "data-markers") == "1"
    assert await page_js.is_visible("div.map")
    assert float(await page_js.get_attribute("div.map", "data-point-lat") or 0) == place["latitude"]
    assert console_errors(page_js) == []


async def test_without_javascript_the_facts_and_the_calendar_file_are_there(
    served_federation: Federation, page_nojs: Page
) -> None:
    activity = (await served_federation.ids("activity"))[0]
    await page_nojs.goto(activity)
    for heading in ("Wanneer", "Waar", "Wat kost het?", "Voor wie?", "Meedoen"):
        assert await page_nojs.get_by_role("heading", name=heading).count() == 1, heading
    assert await page_nojs.is_hidden("div.map")
    link = page_nojs.get_by_role("link", name="Zet in je agenda")
    href = await link.get_attribute("href")
    assert href == activity + "/agenda.ics"
    response = await page_nojs.request.get(activity + "/agenda.ics")
    assert response.ok and response.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in await response.text()


async def test_keyboard_reaches_zet_in_je_agenda(served_federation: Federation, page_js_nojs: Page) -> None:
    activity = (await served_federation.ids("activity"))[0]
    await page_js_nojs.goto(activity)
    stop = await tab_to(page_js_nojs, lambda s: s["href"] == activity + "/agenda.ics")
    assert stop["indicator"], "focus must be visible"


async def test_the_aggregator_says_where_an_activity_comes_from(
    served_federation: Federation, page_nojs: Page
) -> None:
    activity = (await served_federation.ids("activity"))[0]
    document = await served_federation.document(activity)
    await page_nojs.goto(remote_page(served_federation, activity))
    assert (await page_nojs.locator("h1").inner_text()).strip() == document["name"]
    assert await page_nojs.get_attribute("link[rel=canonical]", "href") == activity
    origin = page_nojs.locator("p.origin a").first
    assert await origin.get_attribute("href") == served_federation.municipal_url + "/"
    assert (await origin.inner_text()).strip() == "Sportnode Amersfoort"
    organiser = page_nojs.get_by_role("link", name=(await served_federation.document(document["attributedTo"]))["name"])
    assert await organiser.first.get_attribute("href") == remote_page(served_federation, document["attributedTo"])


HOSTILE_NAME = 'Dans <img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script>'
HOSTILE_CONTENT = (
    '<p onmouseover="window.__pwned=3" style="position:fixed;inset:0">Welkom</p>'
    '<a href="javascript:window.__pwned=4">klik</a><script>window.__pwned=5</script>'
    '<iframe src="javascript:parent.__pwned=6"></iframe><style>body{display:none}</style>'
)


async def test_a_peers_hostile_activity_stays_inert(tmp_path: Path, page_js: Page) -> None:
    # Its own federation: this test writes, and the shared one stays read-only.
    federation = await open_federation(tmp_path, organisations=1, activities=1, courses=0)
    try:
        node = federation.aggregator.running
        peer = "https://zwolle.example"
        stamp = {"published": "2026-01-01T10:00:00Z", "updated": "2026-01-02T10:00:00Z"}
        place = place_document(
            {"name": 'Hal <b onclick="window.__pwned=7">Zuid</b>', "latitude": 52.51, "longitude": 6.09,
             "address": {"streetAddress": "Sportlaan 12", "postalCode": "8011 AB", "addressLocality": "Zwolle"},
             "municipalityCode": "GM0193"},
            object_id=f"{peer}/places/zuid", owner=f"{peer}/organisations/x", accessibility=[], **stamp)
        activity = activity_document(
            {"name": HOSTILE_NAME, "schedule": {"days": ["tuesday"], "startTime": "10:00", "endTime": "11:00"}},
            object_id=f"{peer}/activities/dans", owner=f"{peer}/organisations/x",
            sport="https://w3id.org/sportnode/sports#dans", place=place, target_groups=[], accessibility=[], **stamp)
        activity["content"] = HOSTILE_CONTENT
        prepared = remote_objects.map_object(node, activity, peer + "/", "/object", peer + "/")
        assert prepared is not None
        async with node.db.write() as db:
            await remote_objects.store_all(db, node, [prepared], announce=False)
        dialogs: list[str] = []
        page_js.on("dialog", lambda dialog: dialogs.append(dialog.message))
        response = await page_js.goto(remote_page(federation, activity["id"]))
        assert response is not None and response.status == 200
        await page_js.hover("h1")
        for link in await page_js.locator("main a").all():
            await link.hover()
        found = await page_js.evaluate(
            """() => ({
                pwned: window.__pwned || null,
                // Leaflet styles the map's own elements from script (CSSOM, which the CSP allows).
                handlers: [...document.querySelectorAll('*')].flatMap(el => [...el.attributes]
                    .filter(a => a.name.startsWith('on') || (a.name === 'style' && !el.closest('.map')))
                    .map(a => el.tagName + ' ' + a.name)),
                scripts: [...document.scripts].filter(s => !s.src && s.type !== 'application/ld+json').length,
                frames: document.querySelectorAll('iframe, object, embed, style').length,
                jsLinks: [...document.links].filter(a => a.protocol === 'javascript:').length,
                jsonLd: JSON.parse(document.querySelector('script[type="application/ld+json"]').textContent).name,
            })"""
        )
        assert found["pwned"] is None and dialogs == []
        assert found["handlers"] == [] and found["scripts"] == 0 and found["frames"] == 0 and found["jsLinks"] == 0
        assert found["jsonLd"].startswith("Dans")
        assert "Welkom" in await page_js.locator("main").inner_text()
        await assert_accessible(page_js, "a peer's hostile activity")
    finally:
        await federation.close()
