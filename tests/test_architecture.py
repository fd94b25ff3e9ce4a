"""docs/architecture.md's import table is the house rule: each room of node/ imports only the rooms its row
names (and the shared modules). The table is read from the document itself, so the two cannot drift."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("protocol", "store", "services", "federation", "jobs", "web", "cli")
ROW = re.compile(r"^\| `node/(\w+)/` \|.*\| ([^|]+) \|$")


def allowed() -> dict[str, set[str]]:
    """Per room, the rooms the table lets it import (its own room, and the shared modules, always)."""
    table: dict[str, set[str]] = {}
    for line in (ROOT / "docs" / "architecture.md").read_text().splitlines():
        match = ROW.match(line)
        if match and match.group(1) in ROOMS:
            named = {word.strip("` ").split(".")[0] for word in match.group(2).split(",")}
            table[match.group(1)] = {room for room in named if room in ROOMS} | {match.group(1)}
    return table


def imports(room: str) -> dict[str, set[str]]:
    """Rooms each module of `room` imports, at the top or inside a function."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "node" / room).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                parts = name.split(".")
                if parts[0] == "node" and len(parts) > 1 and parts[1] in ROOMS:
                    found.setdefault(str(path.relative_to(ROOT)), set()).add(parts[1])
    return found


def test_the_table_names_every_room() -> None:
    assert set(allowed()) == set(ROOMS)


def test_every_room_imports_only_what_the_table_allows() -> None:
    table = allowed()
    wrong = {
        module: sorted(rooms - table[room])
        for room in ROOMS
        for module, rooms in imports(room).items()
        if rooms - table[room]
    }
    assert wrong == {}, "imports the table in docs/architecture.md does not allow"
