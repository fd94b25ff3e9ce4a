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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema_rs
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

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
    """All JSON Schemas of one folder, referable by file name.

    The files are read at once, but each validator is built on first use: a node that is only read
    from never validates, and the libraries (jsonschema with referencing ~2.5 MB, jsonschema-rs ~3 MB)
    and the compiled validators (~6 MB more for all three folders) cost start time and memory
    (docs/benchmarks.md). A schema that is not valid JSON Schema is still refused, at its first use:
    by jsonschema-rs (it checks a schema against the meta-schema when it compiles it) and by the
    Python validator's check_schema.
    """

    def __init__(self, folder: Path) -> None:
        self._schemas: dict[str, Any] = {
            p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))
        }
        self._validators: dict[str, Draft202012Validator] = {}
        self._fast: dict[str, jsonschema_rs.Validator] = {}
        self._registry: Registry[Any] | None = None
        self._fast_registry: jsonschema_rs.Registry | None = None

    def names(self) -> list[str]:
        return sorted(self._schemas)

    def _fast_validator(self, name: str) -> jsonschema_rs.Validator:
        found = self._fast.get(name)
        if found is None:
            import jsonschema_rs

            schema = self._schemas[name]
            if self._fast_registry is None:
                self._fast_registry = jsonschema_rs.Registry([(s["$id"], s) for s in self._schemas.values()])
            found = jsonschema_rs.validator_for(schema, registry=self._fast_registry, validate_formats=True)
            self._fast[name] = found
        return found

    def _validator(self, name: str) -> Draft202012Validator:
        found = self._validators.get(name)
        if found is None:
            from jsonschema import Draft202012Validator
            from referencing import Registry, Resource

            schema = self._schemas[name]
            if self._registry is None:
                self._registry = Registry().with_resources(
                    (s["$id"], Resource.from_contents(s)) for s in self._schemas.values()
                )
            Draft202012Validator.check_schema(schema)
            found = Draft202012Validator(
                schema, registry=self._registry, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
            self._validators[name] = found
        return found

    def errors(self, name: str, instance: Any) -> list[FieldError]:
        if self._fast_validator(name).is_valid(instance):
            return []
        found: list[FieldError] = []
        for error in sorted(self._validator(name).iter_errors(instance), key=lambda e: list(e.path)):
            found.extend(_field_errors(error))
        # jsonschema raises one `required` error per missing field, and each names every missing field
        # (its message is the only place the one field is named), so a field came once per missing field.
        return list(dict.fromkeys(found))
