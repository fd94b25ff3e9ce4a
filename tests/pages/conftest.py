"""Fixtures of the browser tests: one Chromium and one small federation for the whole test session.

Every async test and fixture in tests/pages runs in pytest-asyncio's session event loop (the hook below
marks the tests; the fixtures say `loop_scope="session"`), so Playwright, the browser and the nodes'
aiohttp servers live in one loop and are started once. A new async fixture here must say
`@pytest_asyncio.fixture(loop_scope="session")` too; tests/conftest.py's async fixtures (`node`,
`client`, ...) run in a loop of their own and cannot be used from these tests.

`served_federation` is shared by every page test: read from it, do not change it. A test that writes
builds its own with `pages_federation.open_federation(tmp_path)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from browser import WIDTHS, launch, new_page
from pages_federation import Federation, open_federation
from playwright.async_api import Browser, Page, Playwright, async_playwright

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    in_session_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if pytest_asyncio.is_async_test(item) and HERE in Path(str(item.path)).parents:
            item.add_marker(in_session_loop, append=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as driver:
        yield driver


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(playwright: Playwright) -> AsyncIterator[Browser]:
    """The system Chromium (/usr/bin/chromium), headless, shared by all page tests."""
    chromium = await launch(playwright)
    yield chromium
    await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page_js(browser: Browser) -> AsyncIterator[Page]:
    """A page with JavaScript, 1280 px wide, in a fresh context; third-party requests are refused."""
    page = await new_page(browser, javascript=True)
    yield page
    await page.context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page_nojs(browser: Browser) -> AsyncIterator[Page]:
    """The same with JavaScript disabled, as a resident's browser without scripts sees the pages."""
    page = await new_page(browser, javascript=False)
    yield page
    await page.context.close()


@pytest_asyncio.fixture(loop_scope="session", params=[True, False], ids=["js", "nojs"])
async def page_js_nojs(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """Each test that takes it runs twice: with JavaScript (as `page_js`) and without (as `page_nojs`)."""
    page = await new_page(browser, javascript=request.param)
    yield page
    await page.context.close()


@pytest.fixture(params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def width(request: pytest.FixtureRequest) -> int:
    """Each test that takes it runs twice: at 375 (phone) and 1280 (desktop) pixels wide."""
    value: int = request.param
    return value


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def served_federation(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Federation]:
    """A municipal node (Amersfoort, 10 demo organisations, 20 activities, 2 courses) and an aggregator
    that follows it and holds all of it, both on loopback TCP ports. Read-only: it is shared."""
    federation = await open_federation(tmp_path_factory.mktemp("pages-federation"))
    yield federation
    await federation.close()
