"""docs/federation.md's examples are what we send: each is exactly what our builders produce from its
own values, passes our inbound schemas, and carries a valid object."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from node.paths import schemas_dir
from node.protocol import activities
from node.protocol.inbound import validate_inbound
from node.protocol.jsonld import OBJECT_CONTEXT
from node.protocol.validation import SchemaSet

DOC = Path(__file__).resolve().parents[1] / "docs" / "federation.md"
EXAMPLE = re.compile(r"<!-- example: (\w+) -->\s*```json\n(.*?)```", re.S)
INBOUND = SchemaSet(schemas_dir() / "inbound")
OBJECTS = SchemaSet(schemas_dir() / "objects")


def examples() -> list[tuple[str, dict[str, Any]]]:
    found = [(kind, json.loads(text)) for kind, text in EXAMPLE.findall(DOC.read_text(encoding="utf-8"))]
    assert {kind for kind, _ in found} == {"Follow", "Accept", "Create", "Delete", "Undo"}
    return found


def rebuilt(kind: str, example: dict[str, Any]) -> dict[str, Any]:
    head = (example["id"], example["actor"])
    if kind == "Follow":
        return activities.follow(*head, example["object"], example["published"])
    if kind in ("Accept", "Undo"):
        build = activities.accept if kind == "Accept" else activities.undo
        return build(*head, {"@context": "https://www.w3.org/ns/activitystreams", **example["object"]},
                     example["published"])
    document = {"@context": OBJECT_CONTEXT, **example["object"]}
    actor_followers = [c for c in example["cc"] if c not in example["object"].get("cc", [])]
    build = activities.create if kind == "Create" else activities.delete
    return build(*head, document, example["published"], actor_followers)


@pytest.mark.parametrize(("kind", "example"), examples(), ids=lambda v: v if isinstance(v, str) else "")
def test_examples_are_what_we_send_and_accept(kind: str, example: dict[str, Any]) -> None:
    assert example["type"] == kind
    assert rebuilt(kind, example) == example
    assert validate_inbound(example, INBOUND) == []
    if kind == "Create":
        assert OBJECTS.errors("activity", {"@context": OBJECT_CONTEXT, **example["object"]}) == []
    if kind == "Delete":
        assert OBJECTS.errors("tombstone", {"@context": OBJECT_CONTEXT, **example["object"]}) == []
