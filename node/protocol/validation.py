"""JSON Schema validation that reports every failing field by its JSON Pointer.

Two validators per schema: jsonschema-rs (Rust, Draft 2020-12, formats asserted) answers "valid or
not" in ~15 microseconds, where the pure-Python jsonschema takes 1-2 ms for an activity (measured by
`make bench`, docs/benchmarks.md); every node validates each object it stores or receives, so this
bounded inbox and backfill rates. Only when the fast check fails does the Python validator run, to name
every failing field with its JSON Pointer and message; so an instance the Python validator accepts is
always accepted, and every error text is the Python validator's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from node.errors import FieldError


def _pointer(parts: Iterable[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _field_errors(error: ValidationError) -> list[FieldError]:
    path = list(error.absolute_path)
    # jsonschema types these as possibly unset; an error from iter_errors always has them.
    instance: Any = error.instance
    schema: Any = error.schema
    required: Any = error.validator_value
    if error.validator == "required":
        missing = [name for name in required if name not in instance]
        return [FieldError(_pointer([*path, name]), "is required") for name in missing]
    if error.validator == "additionalProperties":
        known = set(schema.get("properties", {}))
        extra = [name for name in instance if name not in known]
        return [FieldError(_pointer([*path, name]), "is not a known field") for name in extra]
    if error.validator == "oneOf":
        # jsonschema's own text ("is not valid under any of the given schemas") helps nobody;
        # the schema's description says which alternatives exist.
        return [FieldError(_pointer(path), schema.get("description", error.message))]
    return [FieldError(_pointer(path), error.message)]


class SchemaSet:
    """All JSON Schemas of one folder, referable by file name, checked once at load."""

    def __init__(self, folder: Path) -> None:
        self._validators: dict[str, Draft202012Validator] = {}
        self._fast: dict[str, jsonschema_rs.Validator] = {}
        schemas = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}
        registry: Registry[Any] = Registry().with_resources(
            (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
        )
        fast_registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas.values()])
        for name, schema in schemas.items():
            Draft202012Validator.check_schema(schema)
            self._validators[name] = Draft202012Validator(
                schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
            self._fast[name] = jsonschema_rs.validator_for(schema, registry=fast_registry, validate_formats=True)

    def names(self) -> list[str]:
        return sorted(self._validators)

    def errors(self, name: str, instance: Any) -> list[FieldError]:
        if self._fast[name].is_valid(instance):
            return []
        found: list[FieldError] = []
        for error in sorted(self._validators[name].iter_errors(instance), key=lambda e: list(e.path)):
            found.extend(_field_errors(error))
        return found
