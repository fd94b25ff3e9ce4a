"""SPARQL queries share a small pool: while one client's runaway query runs to its time limit, another
client's quick query is answered (by a second worker), instead of waiting for the first to end."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp.test_utils import TestClient

from node.services.sparql_worker import Limits
from node.web.sparql import SPARQL

Client = TestClient[Any, Any]
CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
QUICK = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"


async def test_a_runaway_query_does_not_hold_up_a_quick_one(client: Client) -> None:
    service = client.app[SPARQL]
    assert service.size == 2  # [limits] sparql_concurrency
    service.limits = Limits(timeout_s=4.0)
    assert (await client.get("/sparql", params={"query": QUICK})).status == 200  # the first worker is up
    finished: dict[str, float] = {}

    async def ask(name: str, query: str) -> int:
        response = await client.get("/sparql", params={"query": query})
        await response.read()
        finished[name] = time.monotonic()
        return response.status

    runaway = asyncio.create_task(ask("runaway", CROSS_JOIN))
    await asyncio.sleep(0.3)  # the runaway holds the first worker
    assert await ask("quick", QUICK) == 200
    assert await runaway == 503  # stopped at its time limit
    assert finished["quick"] < finished["runaway"]
