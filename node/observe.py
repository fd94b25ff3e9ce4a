"""What a request's deeper layers tell the metrics about its outcome, without importing the web layer.

The metrics middleware (web/metrics.py) opens an observation for each request; code below it (the
inbox, say) notes what happened in it. A note made outside a request (a backfill, a job) goes nowhere.
Labels stay a small fixed set: whatever a peer sends must not create new time series.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[dict[str, str] | None] = ContextVar("sportnode_observation", default=None)

# Why the inbox left an activity aside (federation/ignored.py's details); any other detail is the
# type name of the activity's object, counted as one reason.
IGNORED_REASONS = frozenset({"gone-actor", "several-objects", "unfollowed-actor", "unfollowed-host", "not-modelled"})


@contextmanager
def observing() -> Iterator[dict[str, str]]:
    """The notes of the code run inside the block (in this task and what it awaits)."""
    notes: dict[str, str] = {}
    token = _current.set(notes)
    try:
        yield notes
    finally:
        _current.reset(token)


def note(key: str, value: str) -> None:
    notes = _current.get()
    if notes is not None:
        notes[key] = value


def inbox_ignored(detail: str | None) -> None:
    """The inbox answered 202 and left the activity aside: for an activity type it does not act on
    (detail None), an object type outside our model, or one of IGNORED_REASONS."""
    reason = "activity-type" if detail is None else detail if detail in IGNORED_REASONS else "object-type"
    note("inbox", f"ignored/{reason}")


def inbox_duplicate() -> None:
    """The inbox answered 202 for an activity it had applied before (a redelivery)."""
    note("inbox", "accepted/duplicate")
