"""Key fetches that signed POSTs trigger: a key that could not be fetched is not fetched again for
`key_failure_cache_seconds` (on the node's injectable clock), and a host's unknown keys are fetched at
most `key_fetches_per_host_per_minute` times a minute, whatever the POSTs name."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from fedi_host import FediActor, FediHost

from node.config import Config, RateLimits
from node.services.node import Node, OffsetClock, open_node
from node.services.reading import ensure_node_key
from node.web.app import create_app

Client = TestClient[Any, Any]


@pytest.fixture
async def fedi() -> AsyncIterator[FediHost]:
    host = await FediHost().start()
    yield host
    await host.stop()


@pytest.fixture
async def guarded(config: Config, aiohttp_client: Any) -> AsyncIterator[tuple[Node, OffsetClock, Client]]:
    clock = OffsetClock()
    limits = dataclasses.replace(RateLimits(), key_fetches_per_host_per_minute=3, key_failure_cache_seconds=300)
    node = await open_node(dataclasses.replace(config, rate_limits=limits), clock)
    await ensure_node_key(node)
    yield node, clock, await aiohttp_client(create_app(node))
    await node.close()


def _with_key(actor: FediActor, fragment: str) -> FediActor:
    return FediActor(actor.id, actor.key, {**actor.document,
                                           "publicKey": {**actor.document["publicKey"], "id": actor.id + fragment}})


def _follow(actor: FediActor, n: int) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor.id}/follows/{n}", "type": "Follow",
            "actor": actor.id, "object": "http://node.test/"}


async def test_a_key_that_failed_is_not_fetched_again_until_the_cache_expires(
    fedi: FediHost, guarded: tuple[Node, OffsetClock, Client]
) -> None:
    _, clock, client = guarded
    ghost = fedi.actor("/users/ghost")
    del fedi.documents["/users/ghost"]  # its key URL answers 404
    inbox = str(client.make_url("/inbox"))
    async with aiohttp.ClientSession() as session:
        for n in range(3):
            status, text = await fedi.post(session, inbox, _follow(ghost, n), ghost)
            assert status == 401, text
        assert fedi.fetched == ["/users/ghost"]  # once, not three times
        clock.advance(timedelta(seconds=301))
        status, _ = await fedi.post(session, inbox, _follow(ghost, 9), ghost)
        assert status == 401 and fedi.fetched == ["/users/ghost"] * 2


async def test_unknown_keys_of_one_host_are_fetched_at_most_the_limit_a_minute(
    fedi: FediHost, guarded: tuple[Node, OffsetClock, Client]
) -> None:
    _, clock, client = guarded
    real = fedi.actor("/users/real")
    inbox = str(client.make_url("/inbox"))
    async with aiohttp.ClientSession() as session:
        for n in range(8):  # made-up key ids, each new
            status, _ = await fedi.post(session, inbox, _follow(real, n), _with_key(real, f"#made-up-{n}"))
            assert status == 401
        assert len(fedi.fetched) == 3
        clock.advance(timedelta(seconds=61))
        await fedi.post(session, inbox, _follow(real, 10), _with_key(real, "#made-up-10"))
        assert len(fedi.fetched) == 4
