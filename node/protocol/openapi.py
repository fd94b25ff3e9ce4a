"""The OpenAPI 3.1 document: our hand-written description (schemas/openapi.json) with the JSON Schemas of
schemas/input and schemas/objects bundled in, so request bodies and documents are described by the very
schemas the node validates with, and a client needs one file only.

Pure: the loaded documents in, the bundled document out.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def component_name(group: str, name: str) -> str:
    """schemas/input/activity.json -> "input-activity"."""
    return f"{group}-{name}"


def _rewrite(node: Any, group: str, name: str) -> Any:
    """`node` with every $ref pointed into components: "#/..." within the file, "other.json#/..." across."""
    if isinstance(node, list):
        return [_rewrite(item, group, name) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("$id", "$schema"):
            continue  # the bundled schemas are addressed by their place in the document
        if key == "$ref" and isinstance(value, str):
            target, _, pointer = value.partition("#")
            file = target.removesuffix(".json") if target else name
            result[key] = f"#/components/schemas/{component_name(group, file)}{pointer}"
        else:
            result[key] = _rewrite(value, group, name)
    return result


def bundle(template: Mapping[str, Any], schemas: Mapping[str, Mapping[str, Any]], server_url: str) -> dict[str, Any]:
    """`template` with `schemas` ({group: {name: schema}}) added to components.schemas and the server set."""
    document = copy.deepcopy(dict(template))
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for group, named in schemas.items():
        for name, schema in named.items():
            components[component_name(group, name)] = _rewrite(schema, group, name)
    document["servers"] = [{"url": server_url, "description": "this node"}]
    return document
