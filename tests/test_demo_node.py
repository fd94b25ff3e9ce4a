"""The demo node at launch size: counts, schemas, and JSON-LD and Turtle meaning the same triples.

One demo node (200 organisations, 350 activities) is built per test session through the real CLI
(`sportnode demo --load-only`) and then served on loopback.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from node.cli.main import main
from node.config import Config
from node.protocol.jsonld import inline_contexts
from node.protocol.validation import SchemaSet
from node.services.node import open_node
from node.web.server import serve

SCHEMAS = SchemaSet(Path(__file__).resolve().parents[1] / "schemas" / "objects")
SCHEMA_BY_TYPE = {"Organization": "organisation", "Place": "place", "Event": "activity", "Course": "course"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    folder = tmp_path_factory.mktemp("demo")
    port = free_port()
    assert main(["demo", "--port", str(port), "--dir", str(folder), "--load-only"]) == 0
    yield folder, port


@pytest.fixture
async def demo_url(demo_dir: tuple[Path, int]) -> AsyncIterator[str]:
    folder, port = demo_dir
    config = Config(name="Sportnode demo", base_url=f"http://127.0.0.1:{port}", data_dir=folder,
                    development=True, port=port)
    node = await open_node(config)
    ready = asyncio.Event()
    server = asyncio.create_task(serve(node, "127.0.0.1", port, ready.set))
    await asyncio.wait_for(ready.wait(), 10)
    yield config.base_url
    server.cancel()
    await asyncio.gather(server, return_exceptions=True)
    await node.close()


async def fetch_all(session: aiohttp.ClientSession, base: str) -> dict[str, list[dict[str, Any]]]:
    """Everything the node publishes, discovered from its base URL alone."""
    headers = {"Accept": "application/activity+json"}
    async with session.get(base + "/", headers=headers) as response:
        root = await response.json(content_type=None)
    found: dict[str, list[dict[str, Any]]] = {}
    for stream in root["streams"]:
        items: list[dict[str, Any]] = []
        async with session.get(stream, headers=headers) as response:
            url = (await response.json(content_type=None)).get("first")
        while url:
            async with session.get(url, headers=headers) as response:
                page = await response.json(content_type=None)
            items.extend(page["orderedItems"])
            url = page.get("next")
        found[stream.rsplit("/", 1)[1]] = items
    return found


async def test_demo_node_has_launch_size_and_valid_objects(demo_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        found = await fetch_all(session, demo_url)
        assert len(found["organisations"]) >= 200
        assert len(found["activities"]) >= 350
        assert len(found["places"]) > 0 and len(found["courses"]) > 0
        for kind, items in found.items():
            for item in items:
                async with session.get(item["id"], headers={"Accept": "application/activity+json"}) as response:
                    document = await response.json(content_type=None)
                errors = SCHEMAS.errors(SCHEMA_BY_TYPE[item["type"] if isinstance(item["type"], str)
                                                       else item["type"][0]], document)
                assert errors == [], (kind, item["id"], errors)


async def test_json_ld_and_turtle_are_the_same_triples(demo_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        found = await fetch_all(session, demo_url)
        sample = [items[i] for items in found.values() for i in range(0, len(items), max(1, len(items) // 40))]
        for item in sample:
            async with session.get(item["id"], headers={"Accept": "application/ld+json"}) as response:
                assert response.headers["Content-Type"].startswith("application/ld+json")
                document = await response.json(content_type=None)
            async with session.get(item["id"], headers={"Accept": "text/turtle"}) as response:
                assert response.headers["Content-Type"].startswith("text/turtle")
                turtle = await response.text()
            from_json = Graph().parse(data=json.dumps(inline_contexts(document)), format="json-ld")
            from_turtle = Graph().parse(data=turtle, format="turtle")
            assert len(from_json) > 5
            assert isomorphic(from_json, from_turtle), item["id"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it)")
async def test_pages_render_in_a_real_browser(demo_url: str, tmp_path: Path) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(demo_url + "/activities?page=1", headers={"Accept": "application/json"}) as r,
    ):
        activity = (await r.json(content_type=None))["orderedItems"][0]

    def dump_dom(url: str) -> str:
        command = [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", url]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout

    # Chromium asks for English (Accept-Language en-US): the Dutch pages are asked for by name.
    home = await asyncio.to_thread(dump_dom, demo_url + "/?lang=nl")
    page = await asyncio.to_thread(dump_dom, activity["id"] + "?lang=nl")
    assert '<html lang="nl">' in home and "Activiteiten" in home
    assert activity["name"] in page
    assert 'id="wanneer">Wanneer</h2>' in page and 'id="waar">Waar</h2>' in page and "Laatst bevestigd op" in page
    assert activity["location"]["address"]["streetAddress"] in page
    english = await asyncio.to_thread(dump_dom, activity["id"] + "?lang=en")
    assert '<html lang="en">' in english and activity["name"] in english
