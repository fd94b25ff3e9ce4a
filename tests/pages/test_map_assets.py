"""The map's static assets (docs/web.md, "Map"): the vendored Leaflet files, the settings, and map.js in a
real headless Chromium on a page served from node/web/static/ under the pages' Content-Security-Policy.

The page here is the test's own (the node's real pages have their own tests); it follows the contract
map.js documents: a `div.map` with data-tiles/data-attribution/data-list and a list of items with
data-lat/data-lon and one link each.
"""

from __future__ import annotations

import html
import re
import struct
import tomllib
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from browser import axe_violations, console_errors, format_violations, new_page, third_party_requests
from playwright.async_api import Browser, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from node.config import DEFAULT_TILE_URL, Config, ConfigError, parse_config
from node.web.map_settings import MAP_SCRIPTS, MAP_STYLESHEETS, csp_img_sources, map_attributes

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "node" / "web" / "static"
VENDOR = STATIC / "vendor"
RESULTS = 300
AMERSFOORT = (52.1561, 5.3878)


# --- the vendored files ---------------------------------------------------------------------------


def _version_file(package: str) -> dict[str, str]:
    text = (VENDOR / package / "VERSION").read_text(encoding="utf-8")
    return dict(re.findall(r"^(\w+): (.+)$", text, flags=re.MULTILINE))


@pytest.mark.parametrize(
    ("package", "files", "license_words"),
    [
        (
            "leaflet",
            ["leaflet.js", "leaflet.css", "images/marker-icon.png", "images/marker-icon-2x.png",
             "images/marker-shadow.png", "images/layers.png", "images/layers-2x.png"],
            "BSD 2-Clause",
        ),
        (
            "leaflet.markercluster",
            ["leaflet.markercluster.js", "MarkerCluster.Default.css"],
            "Permission is hereby granted, free of charge",
        ),
    ],
)
def test_vendored_release_files_carry_license_and_version(package: str, files: list[str], license_words: str) -> None:
    folder = VENDOR / package
    for name in files:
        assert (folder / name).is_file() and (folder / name).stat().st_size > 0, f"{package}/{name} is missing"
    assert license_words in (folder / "LICENSE").read_text(encoding="utf-8")
    version = _version_file(package)
    assert version["name"] == package
    assert re.fullmatch(r"\d+\.\d+\.\d+", version["version"])
    assert version["integrity"].startswith("sha512-") and re.fullmatch(r"[0-9a-f]{40}", version["shasum"])
    # The release file is the version the VERSION file names (its banner says so).
    banner = (folder / files[0]).read_text(encoding="utf-8")[:400]
    assert version["version"] in banner
    # Only release files: no sources, source maps or ES module builds that no page loads.
    shipped = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert shipped == {*files, "LICENSE", "VERSION"}


def test_leaflet_is_1_9_and_the_refresh_script_and_package_data_are_in_place() -> None:
    assert _version_file("leaflet")["version"].startswith("1.9.")
    script = ROOT / "scripts" / "refresh-vendor.sh"
    assert script.is_file() and script.stat().st_mode & 0o111, "scripts/refresh-vendor.sh must be executable"
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["node"]
    assert any(pattern.startswith("web/static/**") for pattern in package_data), package_data
    for name in (*MAP_SCRIPTS, *MAP_STYLESHEETS):
        assert (STATIC / name).is_file(), name


# --- settings --------------------------------------------------------------------------------------

BASE = {"node": {"name": "N", "base_url": "https://sport.example.nl", "data_dir": "d"}}


def _config(tmp_path: Path, **web_settings: str) -> Config:
    return parse_config({**BASE, "web": web_settings}, tmp_path)


def test_tile_settings_default_to_openstreetmap_and_feed_the_csp(tmp_path: Path) -> None:
    config = parse_config(BASE, tmp_path)
    assert config.tile_url == DEFAULT_TILE_URL == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "https://www.openstreetmap.org/copyright" in config.tile_attribution
    assert csp_img_sources(config) == ["https://tile.openstreetmap.org"]
    assert map_attributes(config) == {"data-tiles": DEFAULT_TILE_URL, "data-attribution": config.tile_attribution}

    none = _config(tmp_path, tile_url="")
    assert csp_img_sources(none) == [] and map_attributes(none)["data-tiles"] == ""
    subdomains = _config(tmp_path, tile_url="https://{s}.tiles.example.nl/{z}/{x}/{y}{r}.png")
    assert csp_img_sources(subdomains) == [f"https://{s}.tiles.example.nl" for s in "abc"]
    keyed = _config(tmp_path, tile_url="https://maps.example.com:8443/v1/{z}/{x}/{y}.png?key=abc")
    assert csp_img_sources(keyed) == ["https://maps.example.com:8443"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://tiles.example.nl/{z}/{x}/{y}.png", "https unless development"),
        ("https://tiles.example.nl/{z}/{x}.png", r"must contain \{z\}"),
        ("https://tiles.example.nl/{z}/{x}/{y}.png?key={apikey}", r"no other \{\.\.\.\}"),
        ("tiles.example.nl/{z}/{x}/{y}.png", "http\\(s\\) URL template"),
    ],
)
def test_a_wrong_tile_url_is_refused_with_the_setting_named(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=rf"\[web\] tile_url .*{message}"):
        _config(tmp_path, tile_url=url)


# --- map.js in Chromium ----------------------------------------------------------------------------


def _png(width: int = 256, height: int = 256) -> bytes:
    """A plain light-grey PNG tile, made here so the test needs no image file."""
    row = b"\x00" + b"\xdd\xdd\xdd" * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _csp(config: Config) -> str:
    # The same policy as the node's pages: nothing inline, scripts and styles from the node only.
    images = " ".join(["'self'", "data:", *csp_img_sources(config)])
    return (f"default-src 'none'; script-src 'self'; style-src 'self'; img-src {images}; "
            "connect-src 'self'; base-uri 'none'; form-action 'self'")


def _results(count: int, without_place: int) -> str:
    items = []
    for i in range(count):
        # A grid of 20 by 15 over Amersfoort, about 8 by 6 km, with every fourth place taken twice
        # (two activities in one sports hall): clusters at the first view, single markers further in.
        spot = i - (i // 4 if i % 4 == 3 else 0)
        lat = AMERSFOORT[0] + 0.004 * ((spot % 20) - 10)
        lon = AMERSFOORT[1] + 0.006 * ((spot // 20) - 7)
        items.append(
            f'<li data-lat="{lat:.6f}" data-lon="{lon:.6f}"><a href="/activiteit/{i}">Activiteit {i} &amp; co</a>'
            f" <span>elke dinsdag</span></li>"
        )
    for i in range(without_place):
        items.append(f'<li><a href="/activiteit/online-{i}">Online les {i}</a></li>')
    return "\n".join(items)


def _page(config: Config, body: str) -> str:
    styles = "\n".join(f'<link rel="stylesheet" href="/static/{name}">' for name in MAP_STYLESHEETS)
    scripts = "\n".join(f'<script src="/static/{name}"></script>' for name in MAP_SCRIPTS)
    return f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Zoeken</title>{styles}</head>
<body><main><h1>Zoeken</h1>{body}</main>{scripts}</body></html>"""


def _map_div(config: Config, extra: str = "") -> str:
    attributes = " ".join(f'{key}="{html.escape(value)}"' for key, value in map_attributes(config).items())
    return f'<div class="map" hidden {attributes} {extra}></div>'


@dataclass
class MapSite:
    url: str
    tile_requests: list[str]
    configure: Callable[[Config], None]


@pytest_asyncio.fixture(loop_scope="session")
async def map_site(tmp_path: Path) -> AsyncIterator[MapSite]:
    """An aiohttp app on loopback: /static/ from node/web/static/, a results page, an activity page and
    a tile server, under the pages' CSP for the configured tile URL."""
    state = {"config": Config(name="Kaarttest", base_url="http://127.0.0.1", data_dir=tmp_path, tile_url="")}
    tile_requests: list[str] = []
    tile = _png()

    def respond(body: str) -> web.Response:
        config = state["config"]
        return web.Response(text=_page(config, body), content_type="text/html",
                            headers={"Content-Security-Policy": _csp(config)})

    async def results(request: web.Request) -> web.Response:
        config = state["config"]
        count = int(request.query.get("n", RESULTS))
        label = 'aria-label="Kaart met de zoekresultaten"'
        return respond(_map_div(config, f'data-list="#results" {label}')
                       + f'<h2>{count} resultaten</h2><ul id="results">{_results(count, 5)}</ul>')

    async def activity(request: web.Request) -> web.Response:
        config = state["config"]
        point = 'data-point-lat="52.1561" data-point-lon="5.3878" data-point-label="Sporthal Zielhorst"'
        return respond("<p>Sporthal Zielhorst, Amersfoort</p>"
                       + _map_div(config, f'{point} aria-label="Kaart: waar het is"'))

    async def tiles(request: web.Request) -> web.Response:
        tile_requests.append(request.path)
        return web.Response(body=tile, content_type="image/png")

    app = web.Application()
    app.router.add_get("/zoeken", results)
    app.router.add_get("/activiteit", activity)
    app.router.add_get("/tiles/{z}/{x}/{y}.png", tiles)
    app.router.add_static("/static/", STATIC)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]

    def configure(config: Config) -> None:
        state["config"] = config

    try:
        yield MapSite(f"http://127.0.0.1:{port}", tile_requests, configure)
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser) -> AsyncIterator[Page]:
    opened = await new_page(browser, javascript=True)
    yield opened
    await opened.context.close()


async def _drawn(page: Page, url: str) -> int:
    await page.goto(url)
    try:
        await page.wait_for_selector("div.map[data-markers]", state="attached")
    except PlaywrightTimeout:
        error = await page.get_attribute("div.map", "data-map-error")
        pytest.fail(f"map.js drew no map on {url}: {error or ''} {console_errors(page)}")
    return int(await page.get_attribute("div.map", "data-markers") or "-1")


async def test_three_hundred_results_become_three_hundred_clustered_markers_without_any_other_host(
    map_site: MapSite, page: Page
) -> None:
    markers = await _drawn(page, map_site.url + "/zoeken")
    in_list = await page.locator("#results [data-lat][data-lon]").count()
    assert in_list == RESULTS and markers == in_list
    assert await page.locator("#results li").count() == RESULTS + 5  # results without a place stay in the list
    assert await page.locator("div.map").is_visible()
    clusters = page.locator("div.map .marker-cluster")
    assert await clusters.count() > 0
    # Every marker is inside some cluster or drawn on its own: the cluster counts add up.
    counted = await page.evaluate(
        """() => [...document.querySelectorAll('div.map .marker-cluster span')]
                   .reduce((sum, el) => sum + Number(el.textContent), 0)
               + document.querySelectorAll('div.map .leaflet-marker-icon:not(.marker-cluster)').length"""
    )
    assert counted == RESULTS
    assert await page.locator("div.map .leaflet-tile").count() == 0
    assert console_errors(page) == []
    assert third_party_requests(page) == []
    assert map_site.tile_requests == []


async def test_the_map_is_keyboard_reachable_down_to_a_result_link(map_site: MapSite, page: Page) -> None:
    await _drawn(page, map_site.url + "/zoeken?n=40")
    container = page.locator("div.map")
    assert await container.get_attribute("tabindex") == "0"
    assert await container.get_attribute("role") == "region"
    assert await container.get_attribute("aria-label") == "Kaart met de zoekresultaten"
    await container.focus()
    await page.keyboard.press("Equal")  # Leaflet's keyboard zoom: + and = zoom in
    await page.wait_for_function("() => document.activeElement.classList.contains('leaflet-container')")

    # Open clusters with Enter until single markers show, then open one marker's popup.
    single = page.locator("div.map .leaflet-marker-icon:not(.marker-cluster)")
    for _ in range(12):
        if await single.count():
            break
        cluster = page.locator("div.map .marker-cluster").first
        assert await cluster.get_attribute("tabindex") == "0"
        assert re.fullmatch(r"\d+ resultaten", await cluster.get_attribute("aria-label") or "")
        await cluster.focus()
        await page.keyboard.press("Enter")
        await page.wait_for_timeout(700)  # the zoom or spiderfy animation
    assert await single.count(), "no single marker became reachable by keyboard"
    marker = single.first
    assert await marker.get_attribute("tabindex") == "0"
    name = await marker.get_attribute("alt")
    assert name and name.startswith("Activiteit ") and "& co" in name
    await marker.focus()
    await page.keyboard.press("Enter")
    link = page.locator("div.map .leaflet-popup a[href^='/activiteit/']")
    await link.wait_for()
    assert await link.text_content() == name
    assert await page.evaluate("() => document.activeElement.closest('.leaflet-popup') !== null")
    assert await page.locator("div.map .leaflet-popup-close-button").get_attribute("aria-label") == "Sluiten"
    href = await link.get_attribute("href")
    assert await page.locator(f"#results a[href='{href}']").text_content() == name
    # Escape closes the popup and gives focus back to the marker.
    await page.keyboard.press("Escape")
    await link.wait_for(state="detached")
    assert await page.evaluate("() => document.activeElement.getAttribute('alt')") == name
    assert console_errors(page) == []


async def test_a_single_place_shows_one_marker(map_site: MapSite, page: Page) -> None:
    assert await _drawn(page, map_site.url + "/activiteit") == 1
    assert await page.locator("div.map .leaflet-marker-icon").count() == 1
    assert await page.locator("div.map .leaflet-marker-icon").get_attribute("alt") == "Sporthal Zielhorst"
    assert await page.locator("div.map .marker-cluster").count() == 0
    assert console_errors(page) == [] and third_party_requests(page) == []


async def test_without_javascript_the_map_stays_hidden_and_the_list_has_everything(
    map_site: MapSite, browser: Browser
) -> None:
    page = await new_page(browser, javascript=False)
    try:
        await page.goto(map_site.url + "/zoeken")
        assert await page.locator("div.map").is_hidden()
        assert await page.get_attribute("div.map", "data-markers") is None
        assert await page.locator("#results li a").count() == RESULTS + 5
    finally:
        await page.context.close()


async def test_tiles_load_from_the_configured_server_only_and_the_attribution_keeps_text_and_links(
    map_site: MapSite, page: Page
) -> None:
    attribution = ('© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap-bijdragers</a>'
                   ' <img src="x"> <a href="javascript:alert(1)">klik</a> <b>vet</b>')
    map_site.configure(Config(name="Kaarttest", base_url="http://127.0.0.1", data_dir=Path("."), development=True,
                              tile_url=map_site.url + "/tiles/{z}/{x}/{y}.png", tile_attribution=attribution))
    await _drawn(page, map_site.url + "/zoeken")
    await page.wait_for_function("() => document.querySelectorAll('div.map img.leaflet-tile-loaded').length > 0")
    assert map_site.tile_requests
    credit = page.locator("div.map .leaflet-control-attribution")
    assert "OpenStreetMap-bijdragers" in await credit.inner_text()
    assert await credit.locator("a[href='https://www.openstreetmap.org/copyright']").count() == 1
    # The rest of the setting arrives as text: no image, no javascript: link, no markup.
    assert await credit.locator("img, b, a[href^='javascript']").count() == 0
    assert "klik" in await credit.inner_text()
    assert console_errors(page) == [] and third_party_requests(page) == []


async def test_a_tile_server_elsewhere_is_the_only_other_host_asked(map_site: MapSite, page: Page) -> None:
    # The check of the tests above can fail: with the default tile server, the page asks it for tiles.
    config = Config(name="Kaarttest", base_url="http://127.0.0.1", data_dir=Path("."))
    map_site.configure(config)
    await _drawn(page, map_site.url + "/zoeken")
    await page.wait_for_timeout(300)
    outside = third_party_requests(page)
    assert outside and all(url.startswith("https://tile.openstreetmap.org/") for url in outside)


async def test_the_map_adds_no_accessibility_violation(map_site: MapSite, page: Page) -> None:
    for path in ("/zoeken", "/activiteit"):
        await _drawn(page, map_site.url + path)
        violations = await axe_violations(page)
        assert not violations, format_violations(violations)

