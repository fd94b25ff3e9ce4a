"""Turning the concept keys clients send into concept URIs, collecting errors by field."""

from __future__ import annotations

from collections.abc import Iterable

from node.errors import FieldError
from node.protocol.vocab import ConceptList


def resolve_concept(
    concepts: ConceptList, ref: str, pointer: str, what: str, errors: list[FieldError]
) -> str:
    concept = concepts.resolve(ref)
    if concept is None:
        errors.append(FieldError(pointer, f"unknown {what} {ref!r}"))
        return ""
    return concept.uri


def resolve_concepts(
    concepts: ConceptList, refs: Iterable[str], pointer: str, what: str, errors: list[FieldError]
) -> list[str]:
    return [resolve_concept(concepts, ref, f"{pointer}/{i}", what, errors) for i, ref in enumerate(refs)]
