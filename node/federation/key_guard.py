"""Who may make us fetch a key: a signed POST names its key, and a key we do not hold (or one that does
not verify) makes us fetch it from its host. Without a limit, a stream of POSTs naming made-up key ids
turns this node into a fetcher of whatever URLs they name. So fetches are limited per host, and a key
that could not be fetched is not fetched again for a while (docs/operator.md, "Limits").

Kept in memory per node; both tables are bounded (the entry seen longest ago goes first).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from node.services.http import FetchError
from node.services.node import Node

WINDOW = timedelta(minutes=1)


@dataclass
class KeyGuard:
    per_minute: int
    failure_for: timedelta
    max_entries: int
    _fetches: OrderedDict[str, deque[datetime]] = field(default_factory=OrderedDict)  # host -> fetch times
    _failures: OrderedDict[str, tuple[datetime, str]] = field(default_factory=OrderedDict)  # key -> (until, why)

    def allow(self, key_id: str, now: datetime) -> None:
        """Count a fetch of `key_id`, or raise FetchError when it failed lately or its host is at its limit."""
        failed = self._failures.get(key_id)
        if failed is not None:
            until, why = failed
            if now < until:
                raise FetchError(f"it could not be fetched a moment ago ({why}); not asked again before {until:%H:%M:%S}")
            del self._failures[key_id]
        host = urlsplit(key_id).netloc.lower()
        times = self._fetches.pop(host, deque())
        while times and now - times[0] >= WINDOW:
            times.popleft()
        self._fetches[host] = times
        self._bound(self._fetches)
        if len(times) >= self.per_minute:
            raise FetchError(f"{host} had its {self.per_minute} key fetches of this minute")
        times.append(now)

    def failed(self, key_id: str, now: datetime, why: str) -> None:
        if self.failure_for > timedelta(0):
            self._failures.pop(key_id, None)
            self._failures[key_id] = (now + self.failure_for, why[:200])
            self._bound(self._failures)

    def _bound(self, table: OrderedDict[str, Any]) -> None:
        while len(table) > self.max_entries:
            table.popitem(last=False)


_guards: dict[int, KeyGuard] = {}


def key_guard(node: Node) -> KeyGuard:
    """The node's guard (Node is not hashable: kept by id, dropped when the node is)."""
    guard = _guards.get(id(node))
    if guard is None:
        limits = node.config.rate_limits
        guard = KeyGuard(limits.key_fetches_per_host_per_minute, timedelta(seconds=limits.key_failure_cache_seconds),
                         limits.max_clients)
        _guards[id(node)] = guard
        weakref.finalize(node, _guards.pop, id(node), None)
    return guard
