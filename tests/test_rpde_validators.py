"""OpenActive's own validators (npm, run offline) against the demo node's feeds and Dataset Site.

`@openactive/data-model-validator` checks every item of every feed and the Dataset; the
`@openactive/rpde-validator` walks each feed over HTTP. Both must report zero failures. The remaining
warnings are listed and explained in docs/openactive.md. `make test` installs the packages (`npm ci` in
tests/openactive, again only when its package-lock.json changes); without npm the tests are skipped.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from test_demo_node import free_port

from node.cli.main import main
from node.config import Config
from node.paths import vocab_dir
from node.protocol.openactive import EXTENSION_CONTEXT, EXTENSION_FILE, FEEDS
from node.services.node import OffsetClock, open_node
from node.services.publishing import delete
from node.services.rpde import HOLD_BACK_MS, activity_list_path
from node.web.server import serve

RUNNER_DIR = Path(__file__).resolve().parent / "openactive"
NPM = shutil.which("npm")
NODE = shutil.which("node")
pytestmark = [
    pytest.mark.skipif(NPM is None or NODE is None, reason="npm and node are not installed, so OpenActive's validators cannot run "
                       "(with npm, `make test` installs them; .ci/run installs npm)"),
    # The demo node is served once for the module, so the tests share its event loop.
    pytest.mark.asyncio(loop_scope="module"),
]


@pytest.fixture(scope="module")
def runner() -> Path:
    if not (RUNNER_DIR / "node_modules" / "@openactive" / "data-model-validator").is_dir():
        pytest.fail("the OpenActive validators are not installed: run `make test` (it runs `npm ci` in "
                    "tests/openactive), or that `npm ci` yourself")
    return RUNNER_DIR / "validate.js"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    folder = tmp_path_factory.mktemp("oa-demo")
    port = free_port()
    assert main(["demo", "--port", str(port), "--dir", str(folder), "--load-only"]) == 0
    yield folder, port


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo_node(demo: tuple[Path, int]) -> AsyncIterator[str]:
    folder, port = demo
    config = Config(name="Sportnode demo", base_url=f"http://127.0.0.1:{port}", data_dir=folder,
                    development=True, port=port)
    clock = OffsetClock()
    node = await open_node(config, clock)
    # One delete, so that the feeds also carry a deleted item the validators can check.
    async with node.db.read() as db, db.execute(
        "SELECT owner, id FROM objects WHERE kind = 'activity' AND deleted IS NULL ORDER BY id LIMIT 1"
    ) as cursor:
        owner, object_id = await cursor.fetchone()  # type: ignore[misc]
    await delete(node, owner, "activity", object_id.rsplit("/", 1)[1])
    ready = asyncio.Event()
    server = asyncio.create_task(serve(node, "127.0.0.1", port, ready.set))
    await asyncio.wait_for(ready.wait(), 10)
    # Past the feeds' hold-back, on the node's clock: the delete above is then in them.
    clock.advance(timedelta(milliseconds=HOLD_BACK_MS + 100))
    yield config.base_url
    server.cancel()
    await asyncio.gather(server, return_exceptions=True)
    await node.close()


async def run(runner: Path, *args: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        str(NODE), str(runner), *args, cwd=RUNNER_DIR,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 240)
    assert process.returncode == 0, err.decode()
    report: dict[str, Any] = json.loads(out)
    return report


def failures(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [g for g in report["groups"] if g["severity"] == "failure"]



async def test_data_model_validator_finds_no_failures(demo_node: str, runner: Path, tmp_path: Path) -> None:
    activity_list = activity_list_path()
    assert activity_list is not None, "the OpenActive Activity List is needed (../shared or $SPORTNODE_ACTIVITY_LIST)"
    async with aiohttp.ClientSession() as session, session.get(
        demo_node + "/openactive", headers={"Accept": "application/ld+json"}
    ) as response:
        (tmp_path / "dataset.json").write_text(await response.text(), encoding="utf-8")
    feeds = [f"{demo_node}/openactive/{name}" for name in FEEDS if name != "organizations"]
    report = await run(
        runner, "models", "--cache", str(tmp_path / "cache"), "--activity-list", str(activity_list),
        "--context", f"{EXTENSION_CONTEXT}={vocab_dir() / EXTENSION_FILE}",
        "--document", str(tmp_path / "dataset.json"),
        # OpenActive lists no `kind` for organisations: their items are checked one by one.
        "--items-of", f"{demo_node}/openactive/organizations", *feeds,
    )
    assert failures(report) == []
    counts = report["feeds"]
    assert counts[f"{demo_node}/openactive/session-series"] > 300
    assert counts[f"{demo_node}/openactive/organizations"] >= 200
    # Only "recommended property missing" warnings remain: data the demo (and our model) lacks.
    assert {g["type"] for g in report["groups"] if g["severity"] == "warning"} <= {"missing_recommended_field"}


async def test_rpde_validator_finds_no_failures(demo_node: str, runner: Path) -> None:
    report = await run(runner, "rpde", *(f"{demo_node}/openactive/{name}" for name in FEEDS))
    assert failures(report) == []
    assert all(pages >= 2 for pages in report["feeds"].values())
    warnings = {g["type"] for g in report["groups"] if g["severity"] == "warning"}
    assert warnings <= {"missing_cache_control", "no_deleted_items"}
