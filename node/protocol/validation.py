"""JSON Schema validation that reports every failing field by its JSON Pointer."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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
        schemas = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}
        registry: Registry[Any] = Registry().with_resources(
            (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
        )
        for name, schema in schemas.items():
            Draft202012Validator.check_schema(schema)
            self._validators[name] = Draft202012Validator(
                schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
            )

    def names(self) -> list[str]:
        return sorted(self._validators)

    def errors(self, name: str, instance: Any) -> list[FieldError]:
        found: list[FieldError] = []
        for error in sorted(self._validators[name].iter_errors(instance), key=lambda e: list(e.path)):
            found.extend(_field_errors(error))
        return found
