"""Helpers for the browser tests: the system Chromium through Playwright, axe-core, keyboard and width.

Playwright drives /usr/bin/chromium (Debian's package, which `.ci/run` installs); `playwright install`
is never run and no browser is downloaded. axe-core comes from npm, pinned in tests/browser-deps.
Everything here is async and runs in the event loop of the tests in tests/pages (see conftest.py).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Playwright, Request, Route

CHROMIUM = os.environ.get("SPORTNODE_CHROMIUM", "/usr/bin/chromium")
# Headless as root in a container: no sandbox, no GPU; nothing phoning home (updates, sync, QUIC probes).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
AXE_JS = Path(__file__).resolve().parents[1] / "browser-deps" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

PHONE = 375
DESKTOP = 1280
WIDTHS = (PHONE, DESKTOP)
HEIGHTS = {PHONE: 812, DESKTOP: 800}
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

_third_party: WeakKeyDictionary[BrowserContext, list[str]] = WeakKeyDictionary()
_errors: WeakKeyDictionary[BrowserContext, list[str]] = WeakKeyDictionary()
_axe_source: str | None = None


def _missing(what: str, can_install: bool) -> None:
    """Skip on a developer's machine that cannot have the tool; fail in CI or where it could be installed."""
    if os.environ.get("CI") or can_install:
        pytest.fail(what, pytrace=False)
    pytest.skip(what)


async def launch(playwright: Playwright) -> Browser:
    """The system Chromium, headless; skipped without it on a developer's machine, failed in CI."""
    if shutil.which(CHROMIUM) is None:
        _missing(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run does)", can_install=False)
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))


async def new_page(browser: Browser, *, javascript: bool = True, width: int = DESKTOP) -> Page:
    """A page in a fresh context (own cookies and cache) that records third-party requests and errors.

    Requests to anything but loopback are aborted and listed (`third_party_requests`): the pages must not
    need the internet. Uncaught exceptions and console errors (CSP violations among them) are listed by
    `console_errors`.
    """
    context = await browser.new_context(
        java_script_enabled=javascript,
        viewport={"width": width, "height": HEIGHTS.get(width, 800)},
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
    )
    context.set_default_timeout(10_000)
    outside: list[str] = []
    errors: list[str] = []
    _third_party[context] = outside
    _errors[context] = errors

    async def refuse(route: Route, request: Request) -> None:
        outside.append(request.url)
        await route.abort("blockedbyclient")

    await context.route(lambda url: not _is_loopback(url), refuse)
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return page


def _is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or (parts.hostname or "") in LOOPBACK


def third_party_requests(page: Page) -> list[str]:
    """URLs the page tried to load from anywhere but loopback (each was refused)."""
    return list(_third_party.get(page.context, []))


def console_errors(page: Page) -> list[str]:
    """Uncaught exceptions and console errors the page has had so far."""
    return list(_errors.get(page.context, []))


async def set_width(page: Page, width: int) -> None:
    """Resize the viewport (375 = phone, 1280 = desktop); the page re-lays itself out in place."""
    await page.set_viewport_size({"width": width, "height": HEIGHTS.get(width, 800)})


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of the WCAG 2.0/2.1 A and AA rules on the page as it is now.

    Needs a page with JavaScript enabled. axe is evaluated through the DevTools protocol, so the page's
    Content-Security-Policy does not stop it and nothing is added to the page's own scripts.
    """
    global _axe_source
    if _axe_source is None:
        if not AXE_JS.is_file():
            _missing("axe-core is not installed: run `npm ci` in tests/browser-deps (make test does)",
                     can_install=shutil.which("npm") is not None)
        _axe_source = AXE_JS.read_text(encoding="utf-8")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        # Wrapped in a function that Playwright calls: axe's bundle then sets window.axe itself.
        await page.evaluate(f"(() => {{ {_axe_source}\n }})()")
    options = {"runOnly": {"type": "tag", "values": list(WCAG_TAGS)}, "resultTypes": ["violations"]}
    violations: list[dict[str, Any]] = await page.evaluate(
        "async (options) => (await window.axe.run(document, options)).violations", options
    )
    return violations


def format_violations(violations: list[dict[str, Any]], limit: int = 5) -> str:
    """One block per rule: id, impact, what it asks, and up to `limit` failing nodes (selector, html, why)."""
    lines: list[str] = []
    for rule in violations:
        nodes = rule.get("nodes", [])
        lines.append(f"- {rule['id']} ({rule.get('impact') or 'n/a'}, {len(nodes)} nodes): {rule.get('help', '')}")
        lines.append(f"  {rule.get('helpUrl', '')}")
        for node in nodes[:limit]:
            target = " ".join(str(part) for part in node.get("target", []))
            lines.append(f"    at {target}: {node.get('html', '')[:200]}")
            parts = [line.strip() for line in (node.get("failureSummary") or "").splitlines() if line.strip()]
            summary = " ".join(p if p.endswith(":") else p + ";" for p in parts).rstrip(";")
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(nodes) > limit:
            lines.append(f"    ... and {len(nodes) - limit} more")
    return "\n".join(lines)


def rule_ids(violations: list[dict[str, Any]]) -> list[str]:
    return sorted(rule["id"] for rule in violations)


async def assert_accessible(page: Page, what: str = "") -> None:
    """Fail with a readable list when axe finds any WCAG 2.1 A/AA violation on the page."""
    violations = await axe_violations(page)
    assert not violations, (
        f"axe: {len(violations)} WCAG 2.1 A/AA rule(s) fail on {what or page.url}:\n"
        + format_violations(violations)
    )


async def focused(page: Page) -> dict[str, Any] | None:
    """What has keyboard focus: tag, href (absolute), id, visible text, and whether focus is drawn.

    `indicator` is true when the focused element has an outline or a box-shadow (the usual ways a
    page makes focus visible); None is returned when focus is on the document itself.
    """
    found: dict[str, Any] | None = await page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body || el === document.documentElement) return null;
            const style = getComputedStyle(el);
            const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
            const shadow = style.boxShadow && style.boxShadow !== 'none';
            // href resolved against the page (absolute), as the browser would follow it.
            return {tag: el.tagName.toLowerCase(), href: el.hasAttribute('href') ? el.href : null,
                    id: el.id || null,
                    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 80),
                    indicator: Boolean(outline || shadow)};
        }"""
    )
    return found


async def _focus_top(page: Page) -> None:
    """Move the sequential focus starting point to the top of the document, as a fresh page load has it.

    Blurring alone would leave it where the last focused element was: a throwaway focusable element at
    the start of <body> takes focus and is removed again.
    """
    await page.evaluate(
        """() => {
            const mark = document.createElement('span');
            mark.tabIndex = -1;
            document.body.prepend(mark);
            mark.focus();
            mark.remove();
        }"""
    )


async def tab_stops(page: Page, limit: int = 60) -> list[dict[str, Any]]:
    """Press Tab from the top of the page until focus leaves the page or `limit` presses; what got focus.

    Starts from the document (focus cleared), so the first entry is the page's first tab stop (the skip
    link, on a page that has one).
    """
    await _focus_top(page)
    stops: list[dict[str, Any]] = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        now = await focused(page)
        if now is None or (stops and now == stops[0] and len(stops) > 1):
            break
        stops.append(now)
    return stops


async def tab_to(page: Page, wanted: Callable[[dict[str, Any]], bool], limit: int = 60) -> dict[str, Any]:
    """Press Tab from the top of the page until the focused element is `wanted`; fail if it never is.

    Returns what `focused` says about it; the element keeps focus, so `page.keyboard.press("Enter")`
    follows it as a keyboard user would.
    """
    await _focus_top(page)
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        now = await focused(page)
        if now is not None and wanted(now):
            return now
        if now is None or (len(seen) > 1 and now == seen[0]):
            break
        seen.append(now)
    raise AssertionError(f"Tab never reached the element wanted on {page.url}; tab stops: {seen}")
