"""The write API also takes the documents the read API returns, so that GET, edit, PUT works.

A read document (what `/activities/KEY` answers) names things as they are published: `location`,
`eventSchedule`, `targetGroup`, `offers`, `contactPoint`, HTML `content`; the write API's schemas
(schemas/input) name what an organisation says: `place`, `schedule`, `targetGroups`, `price`, `contact`,
plain-text `description`. `to_write_shape` turns the first into the second before validation, so that one
set of checks serves both, and a document already in the write shape passes unchanged. What the node sets
itself (`@context`, `published`, `updated`, addressing, inboxes, keys) is dropped. An `id`, `type` or
`attributedTo` that does not fit the object written is refused, and so is a field given in both shapes.
A value that is not as the node publishes it is passed on under the write name, for the schema to judge.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from node.errors import FieldError, invalid_input
from node.protocol.objects import CRITERIA, KIND_TYPES, HtmlText

# Set by the node, never by a writer: dropped.
NODE_SET = ("@context", "published", "updated", "to", "cc", "inbox", "outbox", "followers", "endpoints",
            "publicKey")
# Read name -> write name, per kind (the value converted by CONVERT when listed there).
RENAMES: dict[str, dict[str, str]] = {
    "organisation": {"preferredUsername": "slug", "url": "website", "contactPoint": "contact",
                     "focusArea": "focusAreas"},
    "place": {"accessibilitySupport": "accessibility"},
    "activity": {"content": "description", "location": "place", "eventSchedule": "schedule",
                 "targetGroup": "targetGroups", "offers": "price", "accessibilitySupport": "accessibility",
                 "contactPoint": "contact", "url": "website"},
    "course": {"content": "description", "hasCourseInstance": "instances", "contactPoint": "contact",
               "url": "website"},
}
SCHEMA_DAY = "https://schema.org/"


def html_to_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    parser = HtmlText()
    parser.feed(value)
    parser.close()
    paragraphs = [p.strip() for p in "".join(parser.parts).split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def _without_type(value: Any, expected: str) -> Any:
    if isinstance(value, dict) and value.get("type") == expected:
        return {k: v for k, v in value.items() if k != "type"}
    return value


def _place_ref(value: Any) -> Any:
    return value["id"] if isinstance(value, dict) and isinstance(value.get("id"), str) else value


def _price(offers: Any) -> Any:
    if isinstance(offers, list) and len(offers) == 1 and isinstance(offers[0], dict) and "price" in offers[0]:
        price = offers[0]["price"]
        try:
            return float(price) if isinstance(price, str) else price
        except ValueError:
            return price
    return offers


def _day(value: Any) -> Any:
    if isinstance(value, str):
        name = value.removeprefix(SCHEMA_DAY).removeprefix("schema:")
        return name.lower() if name.isalpha() else value
    return value


def _schedule(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    schedule = _without_type(value, "Schedule")
    # The node publishes every schedule as weekly in Amsterdam time: those two say nothing new.
    if schedule.get("repeatFrequency") == "P1W":
        schedule = {k: v for k, v in schedule.items() if k != "repeatFrequency"}
    if schedule.get("scheduleTimezone") == "Europe/Amsterdam":
        schedule = {k: v for k, v in schedule.items() if k != "scheduleTimezone"}
    if "byDay" in schedule and "days" not in schedule:
        days = schedule.pop("byDay")
        schedule["days"] = [_day(d) for d in days] if isinstance(days, list) else [_day(days)]
    return schedule


def _age_range(value: Any) -> Any:
    if isinstance(value, dict) and ("minValue" in value or "maxValue" in value):
        value = _without_type(value, "QuantitativeValue")
        names = {"minValue": "min", "maxValue": "max"}
        return {names.get(k, k): v for k, v in value.items()}
    return value


def _instance(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    instance = _without_type(value, "CourseInstance")
    return _renamed(instance, {"location": "place", "offers": "price"}, "", [])


def _instances(value: Any) -> Any:
    return [_instance(i) for i in value] if isinstance(value, list) else value


def _address(value: Any) -> Any:
    address = _without_type(value, "PostalAddress")
    if isinstance(address, dict) and address.get("addressCountry") == "NL":
        address = {k: v for k, v in address.items() if k != "addressCountry"}
    return address


CONVERT: dict[str, Callable[[Any], Any]] = {
    "description": html_to_text,
    "place": _place_ref,
    "schedule": _schedule,
    "price": _price,
    "contact": lambda v: _without_type(v, "ContactPoint"),
    "instances": _instances,
}


def _renamed(data: dict[str, Any], renames: dict[str, str], base: str, errors: list[FieldError]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k not in renames}
    for read, write in renames.items():
        if read not in data:
            continue
        if write in data:
            errors.append(FieldError(f"{base}/{read}", f"give {write} or {read}, not both"))
            continue
        out[write] = CONVERT[write](data[read]) if write in CONVERT else data[read]
    return out


def _envelope(kind: str, data: dict[str, Any], object_id: str | None, owner: str | None,
              errors: list[FieldError]) -> None:
    if object_id is not None and "id" in data and data["id"] != object_id:
        errors.append(FieldError("/id", f"is not the id of the object written here ({object_id})"))
    kind_type = KIND_TYPES[kind]
    types = data.get("type", kind_type)
    if kind_type not in (types if isinstance(types, list) else [types]):
        errors.append(FieldError("/type", f"must be {kind_type} here"))
    if owner is not None and data.get("attributedTo", owner) != owner:
        errors.append(FieldError("/attributedTo", "an object cannot move to another organisation"))


def _criteria(data: dict[str, Any]) -> dict[str, Any]:
    named = {name: data[name] for name in CRITERIA if name in data}
    if not named or "criteria" in data:
        return data  # both: the top-level names stay, and the schema names each one
    rest = {k: v for k, v in data.items() if k not in CRITERIA}
    return {**rest, "criteria": named}


def to_write_shape(
    kind: str, data: Any, *, object_id: str | None = None, owner: str | None = None
) -> Any:
    """`data` in the write API's shape. `object_id`: the object a PUT replaces; `owner`: who writes."""
    if not isinstance(data, dict):
        return data
    errors: list[FieldError] = []
    _envelope(kind, data, object_id, owner, errors)
    read_shape = any(key in data for key in ("@context", "id", "type"))
    out = {k: v for k, v in data.items() if k not in (*NODE_SET, "id", "type", "attributedTo")}
    if kind == "organisation":
        if read_shape and isinstance(out.get("summary"), str):
            out["summary"] = html_to_text(out["summary"])
        if "type" in data and "isClub" not in out:
            types = data["type"] if isinstance(data["type"], list) else [data["type"]]
            out["isClub"] = "SportsOrganization" in types
    if kind == "place" and "address" in out:
        out["address"] = _address(out["address"])
    if kind == "activity":
        out.pop("isAccessibleForFree", None)  # published from the price, never on its own
        out = _criteria(out)
        if "ageRange" in out:
            out["ageRange"] = _age_range(out["ageRange"])
    out = _renamed(out, RENAMES[kind], "", errors)
    if errors:
        raise invalid_input(errors)
    return out
