"""The text of objects from other servers, cleaned at the door: what we store is what every reader gets
(the API, SPARQL, CSV, iCalendar, the pages), so it is cleaned once, here, when stored. Pure.

`content` and `summary` are HTML: reduced to the allow-list of `sanitise.clean_html`. Names and the
parts of an address are plain text: every tag dropped (`sanitise.plain_text`), to be escaped by whoever
shows them, like the names our own organisations type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from node.protocol.sanitise import clean_html, plain_text

HTML_FIELDS = ("content", "summary")
TEXT_FIELDS = ("name",)


def _place(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    place: dict[str, Any] = {**value}
    if isinstance(place.get("name"), str):
        place["name"] = plain_text(place["name"])
    address = place.get("address")
    if isinstance(address, str):
        place["address"] = plain_text(address)
    elif isinstance(address, Mapping):
        place["address"] = {k: plain_text(v) if isinstance(v, str) and k != "type" else v
                            for k, v in address.items()}
    return place


def cleaned(document: Mapping[str, Any]) -> dict[str, Any]:
    """A remote object (mapped into our model) with its HTML and its text cleaned; an empty result
    stays empty, so that a name that was nothing but markup is refused by the schema as missing."""
    result: dict[str, Any] = {**document}
    for name in HTML_FIELDS:
        if isinstance(result.get(name), str):
            result[name] = clean_html(result[name])
    for name in TEXT_FIELDS:
        if isinstance(result.get(name), str):
            result[name] = plain_text(result[name])
    if result.get("type") == "Place":
        result = _place(result)
    location = result.get("location")
    if isinstance(location, list):
        result["location"] = [_place(item) for item in location]
    elif location is not None:
        result["location"] = _place(location)
    return result
