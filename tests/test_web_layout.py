"""The layout every page shares: language choice, security headers, static files, error pages for browsers."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import i18n

Client = TestClient[Any, Any]
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "nl"),
        ("", "nl"),
        ("en-US,en;q=0.9", "en"),
        ("nl-NL,nl;q=0.9,en;q=0.8", "nl"),
        ("de-DE,de;q=0.9,en;q=0.5", "en"),
        ("fr-FR", "nl"),
        ("en;q=0.2,nl;q=0.8", "nl"),
        ("*", "nl"),
        ("en;q=abc", "nl"),
        ("!!,en", "en"),
    ],
)
def test_accept_language_picks_one_of_our_languages(header: str | None, expected: str) -> None:
    assert i18n.from_accept_language(header) == expected


def test_an_explicit_choice_wins_over_the_browser() -> None:
    assert i18n.choose_language("nl", None, "en-US") == "nl"
    assert i18n.choose_language(None, "en", "nl") == "en"
    assert i18n.choose_language("xx", "yy", "en") == "en"


async def test_the_language_follows_accept_language_and_the_switch_is_remembered(client: Client) -> None:
    dutch = await client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert '<html lang="nl">' in await dutch.text()
    assert dutch.headers["Content-Language"] == "nl"
    english = await client.get("/", headers={"Accept": BROWSER_ACCEPT, "Accept-Language": "en-GB,en"})
    assert '<html lang="en">' in await english.text()
    assert "Skip to content" in await english.text()
    switched = await client.get("/?lang=nl", headers={"Accept": BROWSER_ACCEPT, "Accept-Language": "en"})
    assert '<html lang="nl">' in await switched.text()
    cookie = switched.cookies["lang"]
    assert cookie.value == "nl" and cookie["samesite"] == "Lax" and cookie["httponly"]
    # The cookie is sent back by the test client: Dutch from now on, whatever the browser says.
    later = await client.get("/", headers={"Accept": BROWSER_ACCEPT, "Accept-Language": "en"})
    assert '<html lang="nl">' in await later.text()
    assert "Accept-Language" in later.headers.getall("Vary", [""])[-1] or "Accept-Language" in ",".join(
        later.headers.getall("Vary")
    )


async def test_pages_carry_a_strict_content_security_policy(client: Client) -> None:
    response = await client.get("/", headers={"Accept": BROWSER_ACCEPT})
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = await response.text()
    assert "<style" not in text and " style=" not in text and " onclick" not in text


async def test_linked_data_answers_carry_no_page_policy(client: Client) -> None:
    response = await client.get("/", headers={"Accept": "application/activity+json"})
    assert response.status == 200 and "Content-Security-Policy" not in response.headers


async def test_static_files_are_served_with_long_caching_when_versioned(client: Client) -> None:
    page = await (await client.get("/", headers={"Accept": BROWSER_ACCEPT})).text()
    start = page.index("/static/site.css?v=")
    url = page[start : page.index('"', start)]
    response = await client.get(url)
    assert response.status == 200 and response.content_type == "text/css"
    assert "immutable" in response.headers["Cache-Control"]
    plain = await client.get("/static/site.css")
    assert "immutable" not in plain.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path", ["/static/../app.py", "/static/%2e%2e/app.py", "/static/nothing.css", "/static/.hidden", "/static/vendor"]
)
async def test_static_files_stay_inside_their_folder(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status == 404


async def test_browsers_get_a_dutch_error_page_and_api_clients_problem_json(client: Client) -> None:
    page = await client.get("/activities/does-not-exist", headers={"Accept": BROWSER_ACCEPT})
    assert page.status == 404 and page.content_type == "text/html"
    text = await page.text()
    assert "Deze pagina bestaat niet" in text and 'href="#inhoud"' in text
    english = await client.get("/nothing-here", headers={"Accept": BROWSER_ACCEPT, "Accept-Language": "en"})
    assert english.status == 404 and "This page does not exist" in await english.text()
    api = await client.get("/activities/does-not-exist", headers={"Accept": "application/json"})
    assert api.status == 404 and api.content_type == "application/problem+json"
    under_api = await client.get("/api/activities/nothing", headers={"Accept": BROWSER_ACCEPT})
    assert under_api.content_type == "application/problem+json"


async def test_text_files_travel_gzipped_to_clients_that_accept_it(client: Client) -> None:
    import gzip

    from node.web.static_files import STATIC_DIR

    plain = await client.get("/static/site.css", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    raw = await client.get("/static/site.css", headers={"Accept-Encoding": "gzip, br"}, auto_decompress=False)
    assert raw.headers["Content-Encoding"] == "gzip" and raw.content_type == "text/css"
    body = await raw.read()
    assert gzip.decompress(body) == (STATIC_DIR / "site.css").read_bytes() and len(body) < len(await plain.read())
