"""Reading the OpenAPI template and the JSON Schemas it bundles (node/protocol/openapi.py does the bundling)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node.paths import schemas_dir
from node.protocol.openapi import bundle

TEMPLATE = "openapi.json"
BUNDLED_GROUPS = {"input": "input", "objects": "object"}


def load(folder: Path | None = None, server_url: str = "/") -> dict[str, Any]:
    folder = folder or schemas_dir()
    template = json.loads((folder / TEMPLATE).read_text(encoding="utf-8"))
    schemas = {
        group: {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((folder / sub).glob("*.json"))}
        for sub, group in BUNDLED_GROUPS.items()
    }
    return bundle(template, schemas, server_url)


@dataclass
class Cached:
    """The bundled document per server URL, read on first use (most apps never serve it)."""

    _documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, server_url: str) -> dict[str, Any]:
        if server_url not in self._documents:
            self._documents[server_url] = load(server_url=server_url)
        return self._documents[server_url]
