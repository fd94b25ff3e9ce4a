"""Parsing untrusted JSON bodies within a size and nesting budget."""

from __future__ import annotations

import json
from typing import Any

from node.errors import bad_request, payload_too_large


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            depth += 1
            stack.extend((v, depth) for v in item.values())
        elif isinstance(item, list):
            depth += 1
            stack.extend((v, depth) for v in item)
        deepest = max(deepest, depth)
    return deepest


def parse_json_object(body: bytes, *, max_bytes: int, max_depth: int) -> dict[str, Any]:
    """The body as a JSON object, or a 400/413 error that says what is wrong with it."""
    if len(body) > max_bytes:
        raise payload_too_large(max_bytes)
    try:
        value = json.loads(body)
    except UnicodeDecodeError:
        raise bad_request("The body is not UTF-8 text.") from None
    except json.JSONDecodeError as error:
        raise bad_request(
            f"The body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}."
        ) from None
    except RecursionError:
        raise bad_request(f"The body is nested more than {max_depth} levels deep.") from None
    if json_depth(value) > max_depth:
        raise bad_request(f"The body is nested more than {max_depth} levels deep.")
    if not isinstance(value, dict):
        raise bad_request("The body must be a JSON object.")
    return value
