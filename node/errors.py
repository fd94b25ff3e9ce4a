"""Errors that cross layers.

Every failure a client can cause is one of these; the web layer renders each as the one JSON error
shape (RFC 9457 problem details), and the CLI prints its fields. Lower layers raise them so the
decision about *what* went wrong stays next to the check that found it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One failing field: a JSON Pointer into the input (or `row 7 / price` in an import) and why."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.path, "detail": self.message}


@dataclass
class SportnodeError(Exception):
    status: int
    code: str
    detail: str
    fields: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.fields:
            return self.detail
        lines = [self.detail, *(f"  {f.path}: {f.message}" for f in self.fields)]
        return "\n".join(lines)


def invalid_input(fields: list[FieldError], detail: str = "The input is not valid.") -> SportnodeError:
    return SportnodeError(422, "invalid-input", detail, fields)


def bad_request(detail: str) -> SportnodeError:
    return SportnodeError(400, "bad-request", detail)


def unauthorized(detail: str = "A valid bearer token is required.") -> SportnodeError:
    return SportnodeError(401, "unauthorized", detail)


def forbidden(detail: str) -> SportnodeError:
    return SportnodeError(403, "forbidden", detail)


def not_found(detail: str = "Nothing is published at this address.") -> SportnodeError:
    return SportnodeError(404, "not-found", detail)


def gone(detail: str = "This object was deleted.") -> SportnodeError:
    return SportnodeError(410, "gone", detail)


def conflict(detail: str) -> SportnodeError:
    return SportnodeError(409, "conflict", detail)


def payload_too_large(limit: int) -> SportnodeError:
    return SportnodeError(413, "payload-too-large", f"The body is larger than {limit} bytes.")
