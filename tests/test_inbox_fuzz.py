"""Hostile input for the inbox, after a valid signature: hypothesis makes the bodies (any JSON, a valid
Create with one field made hostile, bytes that are hardly JSON), a real peer signs each and really sends
it to a real node on loopback. Whatever comes, the answer is 202 or a 4xx in the one error shape, never
a 5xx, and a refused body stores nothing.

Hypothesis runs in a worker thread (its test function is synchronous); each example's request runs on
the test's event loop, which keeps serving both nodes meanwhile. Example counts are bounded so that the
whole file runs in well under half a minute.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from federation_net import Network, Peer, eventually
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from inbox_net import PROBLEM, create, event, post, snapshot

from node.config import RateLimits
from node.federation import follows
from node.store.access import KeyPair

T = TypeVar("T")
MAX_BODY = 64 * 1024
FUZZ = settings(max_examples=100, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# ---- what hypothesis sends -----------------------------------------------------------------------------

# Keys the inbox reads, so that random objects reach past the first checks now and then.
KEYS = st.sampled_from(["@context", "id", "type", "actor", "object", "to", "cc", "name", "startTime",
                        "endTime", "location", "attributedTo", "content", "url", "tag", "latitude"])
TYPES = st.sampled_from(["Create", "Update", "Delete", "Announce", "Follow", "Accept", "Undo", "Like",
                         "Event", "Place", "Note", "Tombstone", "Person", ""])
# NaN and Infinity too: Python's json writes them, and no JSON parser should take them.
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.text(max_size=40) | TYPES)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS | st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)


def nested(depth: int, leaf: Any = "bottom", as_list: bool = False) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if as_list else {"a": value}
    return value


HUGE = st.integers(1_000, 3 * MAX_BODY).map(lambda n: "x" * n)
DEEP = st.builds(nested, st.integers(10, 400), st.just("bottom"), st.booleans())
WRONG = st.sampled_from([0, -1, 1e308, -1e-308, True, False, None, "", " ", [], {}, [None], [[]], {"id": 5},
                         {"type": 7}, "not a url", "javascript:alert(1)", "http://", "\x00\ud7ff\ufeff",
                         "2026-13-45T25:61:61Z", "<script>alert(1)</script>",
                         "https://www.w3.org/ns/activitystreams#Public"])
HOSTILE = JSON | HUGE | DEEP | WRONG

# Where in a valid Create one field is made hostile (or added).
PATHS = st.sampled_from([
    ("@context",), ("id",), ("type",), ("actor",), ("to",), ("cc",), ("object",), ("object", "id"),
    ("object", "type"), ("object", "name"), ("object", "attributedTo"), ("object", "startTime"),
    ("object", "endTime"), ("object", "location"), ("object", "content"), ("object", "to"), ("object", "url"),
    ("object", "published"), ("object", "updated"), ("object", "tag"), ("object", "sport"),
    ("object", "location", "latitude"), ("object", "location", "address"), ("object", "extra"),
])

RAW = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"", b"null", b"[]", b"\"x\"", b"1e999999", b"NaN", b"{\"id\": ", b"\xef\xbb\xbf{}",
                     b"{\"a\": 1, \"a\": 2}", b"\xff\xfe{", b"[" * 100_000, b"{\"a\":" * 20_000,
                     b"{\"type\": \"Create\", \"object\": " + b"[" * 5_000 + b"]" * 5_000 + b"}",
                     b"{\"a\": NaN}", b"{\"a\": -Infinity}", b"{\"a\": 1e400}", b"{\"a\": " + b"1" * 5_000 + b"}"]),
)

# ---- the network --------------------------------------------------------------------------------------


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Network, Peer, Peer]]:
    """`target` follows `sender`; the target's limits let one sender send every example (the rate
    limits have their own tests), and its body limit is small, so that huge strings are cheap."""
    net = Network(tmp_path)
    generous = dataclasses.replace(
        RateLimits(), inbox_per_host_per_minute=100_000,
        per_minute=tuple((name, 100_000) for name, _ in RateLimits().per_minute),
    )
    target = await net.add("target", max_body_bytes=MAX_BODY, rate_limits=generous)
    sender = await net.add("sender")
    await follows.follow(target.running, sender.actor)
    await eventually(lambda: target.query("SELECT 1 FROM following WHERE state = 'accepted'"), what="accept")
    yield net, target, sender
    await net.close()


def on_loop(loop: asyncio.AbstractEventLoop) -> Callable[[Coroutine[Any, Any, T]], T]:
    """Runs a coroutine on the test's loop from hypothesis's thread and waits for it."""
    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(60)
    return run


async def check(net: Network, target: Peer, key: KeyPair, body: bytes) -> None:
    """One signed POST: 202, or a 4xx problem that stores nothing."""
    before = await snapshot(target)
    status, content_type, text = await post(net, target, body, key)
    assert status == 202 or 400 <= status < 500, (status, text[:500])
    if status == 202:
        return
    assert content_type == PROBLEM, (status, content_type, text[:500])
    problem = json.loads(text)
    assert problem["status"] == status and problem["type"].startswith("https://w3id.org/sportnode/errors#")
    assert isinstance(problem["title"], str) and isinstance(problem["detail"], str)
    assert await snapshot(target) == before, "a refused body changed what the node holds"


def set_at(document: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = json.loads(json.dumps(document))
    here = changed
    for part in path[:-1]:
        if not isinstance(here.get(part), dict):
            here[part] = {}
        here = here[part]
    here[path[-1]] = value
    return changed


# ---- the properties -----------------------------------------------------------------------------------


async def test_any_json_body_is_answered_202_or_4xx(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    key, run = await sender.key(), on_loop(asyncio.get_running_loop())

    @FUZZ
    @given(value=st.dictionaries(KEYS, HOSTILE, max_size=8) | JSON)
    def fuzz(value: Any) -> None:
        run(check(net, target, key, json.dumps(value).encode()))

    await asyncio.to_thread(fuzz)


async def test_a_valid_create_with_a_hostile_field_is_answered_202_or_4xx(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    key, run = await sender.key(), on_loop(asyncio.get_running_loop())
    numbers = itertools.count()
    location = {"type": "Place", "name": "Veld", "latitude": 52.15, "longitude": 5.39,
                "address": {"type": "PostalAddress", "addressLocality": "Amersfoort"}}

    @FUZZ
    @given(path=PATHS, value=HOSTILE)
    @example(path=("object", "location", "latitude"), value=float("nan"))
    @example(path=("object", "name"), value=float("inf"))
    def fuzz(path: tuple[str, ...], value: Any) -> None:
        n = next(numbers)  # new ids each time: a replay of an earlier id would not be checked again
        valid = create(sender, event(sender, f"fuzz{n}", location=location), key=f"fuzz{n}")
        run(check(net, target, key, json.dumps(set_at(valid, path, value)).encode()))

    await asyncio.to_thread(fuzz)
    # The unchanged Create is still accepted and stored: the fuzzing left the inbox working.
    valid = create(sender, event(sender, "after"), key="after")
    assert (await post(net, target, json.dumps(valid).encode(), key))[0] == 202
    assert await target.query("SELECT 1 FROM objects WHERE id = ?", f"{sender.base}/activities/after")


async def test_bytes_that_are_hardly_json_are_answered_4xx(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    key, run = await sender.key(), on_loop(asyncio.get_running_loop())

    @FUZZ
    @given(body=RAW)
    # Found by this test: Python's json takes these, and they then failed the request (500) or its storing.
    @example(body=b"{\"a\": " + b"1" * 5_000 + b"}")
    @example(body=b"{\"a\": NaN}")
    def fuzz(body: bytes) -> None:
        run(check(net, target, key, body))

    await asyncio.to_thread(fuzz)
