"""The widget in the browser, embedded in a page of ANOTHER origin on loopback (a second small aiohttp app
on its own port, serving a host page with the snippets the editor's page gives): the iframe shows the
filtered list and takes the list's height, the custom element shows the same list in its shadow root, a
normal page of the node refuses to be framed there, a peer's hostile activity stays harmless, the
editor's page works with and without JavaScript, and axe finds no WCAG 2.1 A/AA violation at phone and
desktop width on /widget and /widget/maken."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
import pytest_asyncio
from aiohttp import web
from browser import assert_accessible, console_errors, set_width, third_party_requests
from federation_net import Network, Peer, free_port
from pages_federation import Federation
from playwright.async_api import Page

from node.protocol.jsonld import AS_PUBLIC, OBJECT_CONTEXT
from node.store.objects import put_object

INITIAL_HEIGHT = 400  # the iframe snippet's height attribute
PEER = "https://peer.example"
HOSTILE_NAME = 'Buurtvolley<script>window.pwned=1</script><img src=x onerror="window.pwned=2">bal'
HOSTILE_CONTENT = (
    '<p onclick="window.pwned=3">Kom <a href="javascript:window.pwned=4">meedoen</a></p>'
    '<style>*{display:none!important}</style><iframe src="javascript:parent.pwned=5"></iframe>'
    '<svg onload="window.pwned=6"></svg><div style="position:fixed;inset:0;background:red">x</div>'
)


@dataclass
class Host:
    """A website of another origin (a wijk's site) on loopback: `pages` maps a path to its HTML."""

    base: str
    pages: dict[str, str] = field(default_factory=dict)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def host() -> AsyncIterator[Host]:
    port = free_port()
    found = Host(f"http://127.0.0.1:{port}")

    async def serve(request: web.Request) -> web.Response:
        if request.path not in found.pages:
            raise web.HTTPNotFound()
        return web.Response(text=found.pages[request.path], content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield found
    await runner.cleanup()


def host_page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><main><h1>{title}</h1>{body}</main></body></html>")


async def snippets(page: Page, base: str, query: str) -> tuple[str, str]:
    """The two snippets the editor's page gives for these settings (as text, to paste)."""
    response = await page.request.get(f"{base}/widget/maken?{query}")
    assert response.ok
    text = await response.text()
    found = dict(re.findall(r'<textarea id="code-(iframe|element)"[^>]*>(.*?)</textarea>', text, re.S))
    return html.unescape(found["iframe"]), html.unescape(found["element"])


async def busiest_wijk(federation: Federation) -> str:
    rows = await federation.municipal.query(
        "SELECT wijk FROM search_index WHERE kind = 'activity' AND wijk IS NOT NULL GROUP BY wijk "
        "ORDER BY count(*) DESC, wijk LIMIT 1"
    )
    return str(rows[0][0])


async def api_names(page: Page, base: str, **params: str) -> list[str]:
    query = urlencode({"type": "activity", "sort": "next", **params})
    response = await page.request.get(f"{base}/api/search?{query}")
    assert response.ok
    return [item["document"]["name"] for item in json.loads(await response.text())["items"]]


async def frame_height(page: Page, selector: str) -> float:
    height: float = await page.eval_on_selector(selector, "el => el.getBoundingClientRect().height")
    return height


async def test_widget_on_another_origin_shows_its_list_and_resizes(
    served_federation: Federation, host: Host, page_js: Page
) -> None:
    page = page_js
    base = served_federation.municipal_url
    wijk = await busiest_wijk(served_federation)
    iframe, element = await snippets(page, base, urlencode({"wijk": wijk, "limit": "3"}))
    assert f'src="{base}/widget?wijk={wijk}&amp;limit=3"' in iframe
    host.pages["/wijk.html"] = host_page("Wijkwebsite", f'<section id="frame">{iframe}</section>'
                                         f'<section id="element">{element}</section>')
    await page.goto(host.base + "/wijk.html")
    expected = await api_names(page, base, neighbourhood=wijk, limit="3")
    assert expected, f"no activities in {wijk}"

    frame = page.frame_locator("#frame iframe")
    await frame.locator(".sn-name").first.wait_for()
    assert await frame.locator(".sn-name").all_inner_texts() == expected
    # The frame grows or shrinks from its initial height to the list's height.
    await page.wait_for_function(
        f"() => document.querySelector('#frame iframe').getBoundingClientRect().height !== {INITIAL_HEIGHT}"
    )
    inner = page.frame_locator("#frame iframe").locator("html")
    content = await inner.evaluate("el => Math.ceil(el.getBoundingClientRect().height)")
    assert abs(await frame_height(page, "#frame iframe") - content) <= 1
    assert await page.get_attribute("#frame iframe", "height") == str(content)

    # The custom element shows the same list in its shadow root, with the host's link as fallback gone.
    names = page.locator("#element sportnode-activities .sn-name")
    await names.first.wait_for()
    assert await names.all_inner_texts() == expected
    assert await page.get_attribute("#element sportnode-activities", "data-state") == "loaded"
    assert await page.eval_on_selector("#element sportnode-activities", "el => el.shadowRoot !== null")
    # Its links open the node's pages in the top window.
    targets = await names.evaluate_all("links => links.map(a => a.target)")
    assert set(targets) == {"_top"}
    assert console_errors(page) == [] and third_party_requests(page) == []


async def test_only_messages_from_the_node_resize_the_frame(
    served_federation: Federation, host: Host, page_js: Page
) -> None:
    page = page_js
    iframe, _ = await snippets(page, served_federation.municipal_url, "limit=1")
    host.pages["/een.html"] = host_page("Een", iframe)
    await page.goto(host.base + "/een.html")
    await page.wait_for_function(
        f"() => document.querySelector('iframe').getBoundingClientRect().height !== {INITIAL_HEIGHT}"
    )
    settled = await frame_height(page, "iframe")
    # A message from the host page itself (another origin than the node's) is ignored.
    await page.evaluate("() => window.postMessage({type: 'sportnode:height', height: 5}, '*')")
    await page.wait_for_timeout(200)
    assert await frame_height(page, "iframe") == settled


async def test_a_normal_page_refuses_to_be_framed(served_federation: Federation, host: Host, page_js: Page) -> None:
    page = page_js
    base = served_federation.municipal_url
    host.pages["/fremd.html"] = host_page(
        "Ingelijst", f'<iframe id="home" src="{base}/" title="home"></iframe>'
                     f'<iframe id="zoeken" src="{base}/zoeken" title="zoeken"></iframe>'
                     f'<iframe id="widget" src="{base}/widget" title="widget"></iframe>')
    await page.goto(host.base + "/fremd.html")
    await page.frame_locator("#widget").locator(".sportnode").wait_for()
    for name in ("home", "zoeken"):
        handle = await page.query_selector(f"#{name}")
        assert handle is not None
        frame = await handle.content_frame()
        assert frame is not None
        # Chromium shows its error page in place of a page whose frame-ancestors refuse the host.
        assert not frame.url.startswith(base), frame.url
        assert await frame.locator("main#inhoud").count() == 0
    refused = [e for e in console_errors(page) if "frame-ancestors" in e]
    assert len(refused) == 2, console_errors(page)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def hostile_node(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Peer]:
    """A node of its own that holds a peer's activity full of hostile HTML (and one of its own)."""
    net = Network(Path(tmp_path_factory.mktemp("widget-hostile")))
    try:
        peer = await net.add("wijknode")
        event = {
            "@context": OBJECT_CONTEXT, "id": f"{PEER}/events/1", "type": "Event",
            "published": "2026-11-01T10:00:00Z", "updated": "2026-11-01T10:00:00Z", "name": HOSTILE_NAME,
            "content": HOSTILE_CONTENT, "attributedTo": f"{PEER}/@buurt", "startTime": "2030-12-20T10:00:00Z",
            "location": {"type": "Place", "name": '<b onmouseover="window.pwned=7">Speeltuin</b>',
                         "latitude": 52.15, "longitude": 5.39, "neighbourhoodCode": "WK030701",
                         "municipalityCode": "GM0307"},
            "to": [AS_PUBLIC],
        }
        async with peer.running.db.write() as db:
            await put_object(db, "activity", event["attributedTo"], event, origin=f"{PEER}/@buurt")
        yield peer
    finally:
        await net.close()


async def test_hostile_peer_activity_is_harmless_in_the_widget(hostile_node: Peer, host: Host, page_js: Page) -> None:
    page = page_js
    iframe, element = await snippets(page, hostile_node.base, "")
    host.pages["/vijandig.html"] = host_page("Vijandig", f'<div id="frame">{iframe}</div><div id="element">{element}</div>')
    await page.goto(host.base + "/vijandig.html")
    frame = page.frame_locator("#frame iframe")
    await frame.locator(".sn-name").first.wait_for()
    shadow = page.locator("#element sportnode-activities .sn-name")
    await shadow.first.wait_for()
    for names in (frame.locator(".sn-name"), shadow):
        assert await names.all_inner_texts() == ["Buurtvolleybal"]
    for scope in (frame.locator(".sportnode"), page.locator("#element sportnode-activities .sportnode")):
        assert await scope.locator("script, img, iframe, svg, style, [onclick], [onerror], [onload]").count() == 0
        assert await scope.locator("[href^='javascript']").count() == 0
        assert "Speeltuin" in await scope.inner_text()
    # Hover and click everything the widget shows: nothing runs, on the host or in the frame.
    await page.locator("#element sportnode-activities .sn-fact").first.hover()
    await frame.locator(".sn-fact").first.hover()
    assert await page.evaluate("() => window.pwned") is None
    frame_handle = await (await page.query_selector("#frame iframe")).content_frame()  # type: ignore[union-attr]
    assert frame_handle is not None and await frame_handle.evaluate("() => window.pwned") is None
    # The host page is as it was: visible, not covered.
    assert await page.locator("h1").is_visible()
    assert [e for e in console_errors(page) if "pwned" in e] == []


async def test_the_editor_page_works_with_and_without_javascript(
    served_federation: Federation, page_js_nojs: Page
) -> None:
    page = page_js_nojs
    base = served_federation.municipal_url
    await page.goto(f"{base}/widget/maken")
    sport = await page.locator("#veld-sport option").nth(1).get_attribute("value")
    assert sport
    before = await page.input_value("#code-iframe")
    await page.select_option("#veld-sport", sport)
    scripted = await page.locator("button.copy").first.is_visible()
    if scripted:
        # The code follows the form without sending it.
        await page.wait_for_function(
            "sport => document.querySelector('#code-iframe').value.includes('sport=' + sport)", arg=sport
        )
    else:
        await page.click("form#widget-form button[type=submit]")
        await page.wait_for_url(re.compile(r"/widget/maken\?"))
    after = await page.input_value("#code-iframe")
    assert after != before and f"sport={sport}" in after
    assert f"sport={sport}" in (await page.get_attribute("iframe.widget-preview", "src") or "")
    assert f'sport="{sport}"' in await page.input_value("#code-element")
    assert console_errors(page) == []


@pytest.mark.parametrize("path", ["/widget?limit=5", "/widget/maken"])
async def test_widget_pages_have_no_axe_violations(
    served_federation: Federation, page_js: Page, width: int, path: str
) -> None:
    await set_width(page_js, width)
    await page_js.goto(served_federation.municipal_url + path)
    await assert_accessible(page_js, f"{path} at {width}px")
