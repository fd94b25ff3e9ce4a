"""Activities the inbox answers 202 and leaves aside, counted by what they were.

A correctly signed activity that this node has no use for (a Like, a Create of a Note, an Announce of
something that is not ours to relay) is not an error of the sender's: Mastodon, Misskey and the others
deliver such things to every follower as a matter of course, and a 4xx would only make them retry.
It is answered 202, nothing of it is stored, and its kind is counted (`inbox_ignored`, shown by
`sportnode following`), so that the operator can see what peers send.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import aiosqlite

from node import observe
from node.services.node import Node
from node.store.inbox_log import OTHER, count_ignored

log = logging.getLogger(__name__)

# A label is the sender's type name only when it looks like one; anything else is counted as OTHER.
_TYPE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_:-]{0,39}$")


def type_label(value: Any) -> str:
    name = value[0] if isinstance(value, list) and value else value
    return name if isinstance(name, str) and _TYPE_NAME.match(name) else OTHER


def label(activity: Mapping[str, Any], detail: str | None = None) -> str:
    """"Like", or with a detail "Create/Note", "Announce/unfollowed-host"."""
    kind = type_label(activity.get("type"))
    return f"{kind}/{detail}" if detail else kind


def object_type(activity: Mapping[str, Any]) -> str:
    obj = activity.get("object")
    return type_label(obj.get("type")) if isinstance(obj, Mapping) else OTHER


async def ignore(node: Node, activity: Mapping[str, Any], detail: str | None = None) -> None:
    """Count the activity as ignored (in a grouped write, like the activities that are applied)."""
    what = label(activity, detail)
    log.info("ignored %s (%s)", str(activity.get("id"))[:300], what)
    observe.inbox_ignored(detail)  # for /metrics

    async def write(db: aiosqlite.Connection) -> None:
        await count_ignored(db, what, node.now())

    await node.db.grouped_write(write)
