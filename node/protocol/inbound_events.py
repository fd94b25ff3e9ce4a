"""A remote AS2 Event (ours, Mobilizon's, Gancio's, ...) as our activity document. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from node.errors import FieldError
from node.protocol.inbound_fields import (
    DATE,
    MAX_HTML,
    MAX_NAME,
    MalformedEvent,
    Problems,
    compact,
    from_language_map,
    parse_date_time,
    read_actor_id,
    read_addresses,
    read_date_time,
    read_link,
    read_text,
    read_url,
    type_names,
    utc_timestamp,
    valid_date,
)
from node.protocol.inbound_places import locations
from node.protocol.inbound_sport import sport_of
from node.protocol.jsonld import OBJECT_CONTEXT
from node.protocol.objects import CRITERIA
from node.protocol.vocab import ConceptList


def _kept(event: Mapping[str, Any], problems: Problems) -> dict[str, Any]:
    """Our own nodes' terms, when present, checked for their JSON type; the object schema checks the rest."""
    kinds: dict[str, tuple[type | tuple[type, ...], str]] = {
        "eventSchedule": (dict, "must be an object"),
        "ageRange": (dict, "must be an object"),
        "contactPoint": (dict, "must be an object"),
        "targetGroup": (list, "must be a list of concept URIs"),
        "accessibilitySupport": (list, "must be a list of concept URIs"),
        "offers": (list, "must be a list of Offers"),
        "isAccessibleForFree": (bool, "must be true or false"),
        **{name: (bool, "must be true or false") for name in CRITERIA},
    }
    kept: dict[str, Any] = {}
    for name, (kind, message) in kinds.items():
        value = event.get(name)
        if value is None:
            continue
        if name == "offers" and isinstance(value, dict):
            value = [value]  # schema.org allows one Offer without a list
        if isinstance(value, kind):
            kept[name] = value
        else:
            problems.add(f"/{name}", message)
    capacity = event.get("maximumAttendeeCapacity")
    # Mobilizon sends 0 for "no limit" on every event that sets none: zero or less is no capacity.
    if isinstance(capacity, int) and not isinstance(capacity, bool):
        if capacity >= 1:
            kept["maximumAttendeeCapacity"] = capacity
    elif capacity is not None:
        problems.drop("/maximumAttendeeCapacity", "must be a whole number")
    for name in ("validFrom", "validThrough"):
        value = event.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not DATE.match(value) or not valid_date(value):
            problems.add(f"/{name}", "must be a date, like 2026-01-01")
        else:
            kept[name] = value
    if "validFrom" in kept and "validThrough" in kept and kept["validThrough"] < kept["validFrom"]:
        problems.add("/validThrough", "must not be before validFrom")
    return kept


def event_to_activity(
    event: Mapping[str, Any], *, sports: ConceptList, received: str, at: str = "",
    dropped: list[FieldError] | None = None,
) -> dict[str, Any]:
    """A remote AS2 Event (ours, Mobilizon's, Gancio's) as our activity document (remote-activity.json).

    Kept: the remote `id`, the author's id from `attributedTo`, name, content and summary as sent (the
    federation layer cleans them when it stores the event: `remote_text.cleaned`), startTime/endTime, the page `url`, addressing with the public
    collection spelled out, the location as a Place or VirtualLocation, and our own nodes' terms
    (eventSchedule, targetGroup, ageRange, offers, the buurtsportcoach criteria, ...). `sport` is the
    sender's concept if we know it, else the first hashtag, category or run of words in the name that
    `sports` resolves, else absent. `published`/`updated` become UTC seconds; `received` (when we got it)
    stands in for whichever is missing.

    Read generously: fields we do not know are passed over; a location that cannot be read is left out
    (and so are unreadable coordinates of a place), `maximumAttendeeCapacity` of zero or less means no
    limit; what was left out is added to `dropped`, by JSON Pointer, when it is given.

    Raises MalformedEvent (HTTP 422) listing every problem by JSON Pointer, each prefixed with `at` (the
    event's place in its activity, e.g. "/object").
    """
    problems = Problems(at)
    if "Event" not in type_names(event.get("type")):
        problems.add("/type", "must be Event")
    event_id = read_url(event.get("id"), "/id", problems, required=True)
    author = read_actor_id(event.get("attributedTo"), "/attributedTo", problems)
    name_value = (
        event.get("name") if event.get("name") is not None else from_language_map(event.get("nameMap"))
    )
    name = read_text(name_value, "/name", problems, limit=MAX_NAME, required=True)
    content_value = event.get("content")
    if content_value is None:
        content_value = from_language_map(event.get("contentMap"))
    content = read_text(content_value, "/content", problems, limit=MAX_HTML)
    summary = read_text(event.get("summary"), "/summary", problems, limit=MAX_HTML)

    start = read_date_time(event.get("startTime"), "/startTime", problems)
    end = read_date_time(event.get("endTime"), "/endTime", problems)
    if event.get("startTime") is None and event.get("eventSchedule") is None:
        problems.add("/startTime", "is required (or an eventSchedule)")
    if start and end and end[1] < start[1]:
        problems.add("/endTime", "must not be before startTime")

    received_at = parse_date_time(received)
    if received_at is None:
        raise ValueError(f"received must be an RFC 3339 date-time, not {received!r}")
    published_at = read_date_time(event.get("published"), "/published", problems)
    updated_at = read_date_time(event.get("updated"), "/updated", problems)
    published = utc_timestamp(published_at[1] if published_at else received_at)
    updated = utc_timestamp(updated_at[1]) if updated_at else published

    document = compact(
        {
            "@context": OBJECT_CONTEXT,
            "id": event_id,
            "type": "Event",
            "published": published,
            "updated": updated,
            "name": name.strip() if name else None,
            "content": content,
            "summary": summary,
            "attributedTo": author,
            "sport": sport_of(event, name, sports, problems),
            "location": locations(event.get("location"), "/location", problems),
            "startTime": start[0] if start else None,
            "endTime": end[0] if end else None,
            **_kept(event, problems),
            "url": read_link(event.get("url"), "/url", problems),
            "to": read_addresses(event.get("to"), "/to", problems),
            "cc": read_addresses(event.get("cc"), "/cc", problems),
        }
    )
    if dropped is not None:
        dropped.extend(problems.dropped)
    if problems.found:
        raise MalformedEvent(
            422,
            "invalid-input",
            "The event cannot be taken into this node's model.",
            sorted(problems.found, key=lambda p: p.path),
        )
    return document
