"""An activity page's schema.org Event, checked by OpenActive's own data-model validator (offline, through
tests/openactive/validate.js as test_rpde_validators.py runs it).

The page speaks schema.org for search engines (`"@context": "https://schema.org"`); OpenActive's model is
schema.org's with the same term names, plus three differences that this test bridges, and only these:

- the context: OpenActive requires its own (`https://openactive.io/`) first;
- `activity`: OpenActive requires a concept of its Activity List, a term schema.org does not have; it is
  taken from the node's own mapping (the one its RPDE feeds publish);
- `eventSchedule`: a weekly activity's page describes its next session with the schedule beside it, as
  search engines read recurring events; OpenActive models the series as a SessionSeries instead (our
  session-series feed) and forbids a schedule on an Event, so it is left out here.

Everything else on the page must pass as it is: zero failures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from conftest import activity_input, create, place_input
from test_object_pages import MONDAY_NOON, Clock, _without_none, get_page
from test_rpde_validators import NODE, NPM, RUNNER_DIR, failures, run

from node.config import Config
from node.paths import vocab_dir
from node.protocol.openactive import ACTIVITY_LIST, EXTENSION_CONTEXT, EXTENSION_FILE, OA_CONTEXT
from node.services.node import Node, open_node
from node.services.rpde import activity_list_path, load_activity_concepts

pytestmark = pytest.mark.skipif(
    NPM is None or NODE is None, reason="npm and node are not installed, so OpenActive's validator cannot run"
)

@pytest.fixture
async def node(config: Config) -> Any:
    opened = await open_node(config, clock=Clock(MONDAY_NOON))
    yield opened
    await opened.close()


def as_openactive(event: dict[str, Any], sport: str, node: Node) -> dict[str, Any]:
    """The page's Event with the three differences above bridged."""
    path = activity_list_path()
    assert path is not None, "the OpenActive Activity List is needed (../shared or $SPORTNODE_ACTIVITY_LIST)"
    concepts = load_activity_concepts(node, path)
    concept = concepts[sport]
    bridged = {k: v for k, v in event.items() if k not in ("@context", "eventSchedule")}
    return {
        "@context": OA_CONTEXT,
        **bridged,
        "activity": [{"@type": "Concept", "@id": concept.id, "prefLabel": concept.pref_label, "inScheme": ACTIVITY_LIST}],
    }


async def test_an_activity_pages_event_passes_openactives_validator(
    client: TestClient[Any, Any], club: dict[str, Any], node: Node, tmp_path: Path
) -> None:
    runner = RUNNER_DIR / "validate.js"
    if not (RUNNER_DIR / "node_modules" / "@openactive" / "data-model-validator").is_dir():
        pytest.fail("the OpenActive validators are not installed: run `make test` (npm ci in tests/openactive)")
    place = await create(client, club, "places", place_input())
    weekly = await create(client, club, "activities", activity_input(place["id"], price=2.5))
    once = await create(client, club, "activities", _without_none(activity_input(
        place["id"], name="Sportdag", schedule=None, startTime="2026-12-12T14:00:00+01:00",
        endTime="2026-12-12T16:00:00+01:00")))
    files = []
    for activity in (weekly, once):
        page, _ = await get_page(client, activity["id"])
        event = json.loads(page.json_ld[0])
        assert event["@type"] == "Event" and event["startDate"]
        path = tmp_path / f"{activity['id'].rsplit('/', 1)[1]}.json"
        path.write_text(json.dumps(as_openactive(event, activity["sport"], node)), encoding="utf-8")
        files += ["--document", str(path)]
    activity_list = activity_list_path()
    assert activity_list is not None
    report = await run(
        runner, "models", "--cache", str(tmp_path / "cache"), "--activity-list", str(activity_list),
        "--context", f"{EXTENSION_CONTEXT}={vocab_dir() / EXTENSION_FILE}", *files,
    )
    assert failures(report) == [], json.dumps(report["groups"], indent=1)
    # What remains are recommendations for data our model does not hold (leader, level, image, ...).
    assert {g["type"] for g in report["groups"] if g["severity"] == "warning"} <= {"missing_recommended_field"}, report
