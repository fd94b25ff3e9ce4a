"""The browser-test helpers themselves: axe finds what is wrong, scripts really are off without
JavaScript, third-party requests are refused, and keyboard helpers walk the tab order."""

from __future__ import annotations

from browser import (
    axe_violations,
    console_errors,
    focused,
    format_violations,
    rule_ids,
    set_width,
    tab_stops,
    tab_to,
    third_party_requests,
)
from playwright.async_api import Page, Route

BAD_PAGE = """<!doctype html><html><head></head><body>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<a href="/nowhere"></a>
<p style="color:#ccc;background:#fff">Te licht om te lezen</p>
</body></html>"""


async def test_axe_reports_each_broken_rule_with_its_nodes(page_js: Page) -> None:
    await page_js.set_content(BAD_PAGE)
    violations = await axe_violations(page_js)
    assert rule_ids(violations) == ["color-contrast", "document-title", "html-has-lang", "image-alt", "link-name"]
    text = format_violations(violations)
    assert "- image-alt (critical, 1 nodes)" in text
    assert '<a href="/nowhere"></a>' in text
    assert "contrast of 1.6" in text


async def test_axe_runs_under_a_strict_content_security_policy(page_js: Page) -> None:
    async def serve(route: Route) -> None:
        await route.fulfill(
            content_type="text/html",
            headers={"Content-Security-Policy": "default-src 'self'; script-src 'self'"},
            body='<!doctype html><html lang="nl"><head><title>t</title></head><body><main><h1>Goed</h1></main></body></html>',
        )

    await page_js.route("http://127.0.0.1:9/**", serve)
    await page_js.goto("http://127.0.0.1:9/csp")
    assert await axe_violations(page_js) == []
    assert console_errors(page_js) == []


async def test_scripts_do_not_run_without_javascript(page_nojs: Page, page_js: Page) -> None:
    page = '<title>voor</title><script>document.title = "na"</script>'
    await page_nojs.set_content(page)
    await page_js.set_content(page)
    assert await page_nojs.title() == "voor"
    assert await page_js.title() == "na"


async def test_third_party_requests_are_refused_and_listed(page_js: Page) -> None:
    await page_js.set_content('<img alt="" src="https://tiles.example.org/1/2/3.png">')
    await page_js.wait_for_load_state("load")
    assert third_party_requests(page_js) == ["https://tiles.example.org/1/2/3.png"]


async def test_tab_order_and_focus_helpers(page_nojs: Page) -> None:
    await page_nojs.set_content(
        '<a href="#main">Naar de inhoud</a><p>tekst</p><a href="/a">A</a>'
        '<main id="main"><button style="outline:none">B</button></main>'
    )
    await set_width(page_nojs, 375)
    stops = await tab_stops(page_nojs)
    assert [(s["tag"], s["text"]) for s in stops] == [("a", "Naar de inhoud"), ("a", "A"), ("button", "B")]
    assert [s["indicator"] for s in stops] == [True, True, False]
    reached = await tab_to(page_nojs, lambda s: s["tag"] == "button")
    assert reached == await focused(page_nojs)
