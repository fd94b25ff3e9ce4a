"""Builders of our ActivityStreams / schema.org documents: plain data in, plain dicts out.

Input has already passed the write-API schema and the semantic checks; concept keys are already
resolved to URIs by the caller. Each builder returns the full document as stored and served.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from typing import Any

from node.protocol.jsonld import AS_PUBLIC, OBJECT_CONTEXT

SCHEMA = "https://schema.org/"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CRITERIA = (
    "openToVulnerableGroups",
    "acceptsNewParticipants",
    "startsNewGroups",
    "safeGuidance",
    "qualityAndContinuity",
    "givesFeedbackToProfessionals",
)
# The AS type each of our kinds is published as.
KIND_TYPES = {"organisation": "Organization", "place": "Place", "activity": "Event", "course": "Course"}


def text_to_html(text: str) -> str:
    """Plain text as the HTML that AS `content` carries: escaped, one <p> per paragraph."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


class HtmlText(HTMLParser):
    """The text of HTML `content`, a blank line between paragraphs and a line break for <br>: the way back
    from `text_to_html` (for OpenActive's plain descriptions and the write API's read shape)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _compact(document: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values so that documents carry only what was said."""
    return {k: v for k, v in document.items() if v is not None and v != [] and v != {}}


def _contact(contact: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not contact:
        return None
    return {"type": "ContactPoint", **contact}


def _offers(price: float | int | None) -> list[dict[str, Any]] | None:
    if price is None:
        return None
    # Always a float: the context types price as xsd:decimal, and rdflib writes an integral decimal
    # in Turtle as "0.0"; an integer in the JSON would give "0" and the two would not be the same term.
    return [{"type": "Offer", "price": float(price), "priceCurrency": "EUR"}]


def _envelope(object_id: str, published: str, updated: str) -> dict[str, Any]:
    return {"@context": OBJECT_CONTEXT, "id": object_id, "published": published, "updated": updated}


def organisation_document(
    data: Mapping[str, Any],
    *,
    object_id: str,
    slug: str,
    focus_areas: Sequence[str],
    public_key_pem: str,
    shared_inbox: str,
    published: str,
    updated: str,
) -> dict[str, Any]:
    types: Any = ["Organization", "SportsOrganization"] if data.get("isClub") else "Organization"
    return _compact(
        {
            **_envelope(object_id, published, updated),
            "type": types,
            "preferredUsername": slug,
            "name": data["name"],
            "summary": text_to_html(data["summary"]) if data.get("summary") else None,
            "url": data.get("website"),
            "inbox": f"{object_id}/inbox",
            "outbox": f"{object_id}/outbox",
            "followers": f"{object_id}/followers",
            "endpoints": {"sharedInbox": shared_inbox},
            "publicKey": {"id": f"{object_id}#main-key", "owner": object_id, "publicKeyPem": public_key_pem},
            "contactPoint": _contact(data.get("contact")),
            "focusArea": list(focus_areas),
            "municipalityCode": data.get("municipalityCode"),
            "to": [AS_PUBLIC],
        }
    )


def place_document(
    data: Mapping[str, Any],
    *,
    object_id: str,
    owner: str,
    accessibility: Sequence[str],
    published: str,
    updated: str,
) -> dict[str, Any]:
    return _compact(
        {
            **_envelope(object_id, published, updated),
            "type": "Place",
            "name": data["name"],
            "attributedTo": owner,
            "address": {"type": "PostalAddress", **data["address"], "addressCountry": "NL"},
            "latitude": data["latitude"],
            "longitude": data["longitude"],
            "municipalityCode": data["municipalityCode"],
            "neighbourhoodCode": data.get("neighbourhoodCode"),
            "accessibilitySupport": list(accessibility),
            "to": [AS_PUBLIC],
        }
    )


def embedded(document: Mapping[str, Any]) -> dict[str, Any]:
    """A document as it appears inside another one: without its own @context and addressing."""
    return {k: v for k, v in document.items() if k not in ("@context", "to", "cc")}


def _schedule(schedule: Mapping[str, Any]) -> dict[str, Any]:
    return _compact(
        {
            "type": "Schedule",
            "byDay": [SCHEMA + day.capitalize() for day in DAYS if day in schedule["days"]],
            "startTime": schedule["startTime"],
            "endTime": schedule["endTime"],
            "startDate": schedule.get("startDate"),
            "endDate": schedule.get("endDate"),
            "repeatFrequency": "P1W",
            "scheduleTimezone": "Europe/Amsterdam",
        }
    )


def _age_range(age: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not age:
        return None
    return _compact({"type": "QuantitativeValue", "minValue": age.get("min"), "maxValue": age.get("max")})


def activity_document(
    data: Mapping[str, Any],
    *,
    object_id: str,
    owner: str,
    sport: str,
    place: Mapping[str, Any],
    target_groups: Sequence[str],
    accessibility: Sequence[str],
    published: str,
    updated: str,
) -> dict[str, Any]:
    criteria = data.get("criteria", {})
    price = data.get("price")
    return _compact(
        {
            **_envelope(object_id, published, updated),
            "type": "Event",
            "name": data["name"],
            "content": text_to_html(data["description"]) if data.get("description") else None,
            "attributedTo": owner,
            "sport": sport,
            "location": embedded(place),
            "eventSchedule": _schedule(data["schedule"]) if "schedule" in data else None,
            "startTime": data.get("startTime"),
            "endTime": data.get("endTime"),
            "targetGroup": list(target_groups),
            "ageRange": _age_range(data.get("ageRange")),
            "offers": _offers(price),
            "isAccessibleForFree": (price == 0) if price is not None else None,
            "accessibilitySupport": list(accessibility),
            **{name: criteria.get(name) for name in CRITERIA},
            "maximumAttendeeCapacity": data.get("maximumAttendeeCapacity"),
            "contactPoint": _contact(data.get("contact")),
            "url": data.get("website"),
            "validFrom": data.get("validFrom"),
            "validThrough": data.get("validThrough"),
            "to": [AS_PUBLIC],
            "cc": [f"{owner}/followers"],
        }
    )


def course_document(
    data: Mapping[str, Any],
    *,
    object_id: str,
    owner: str,
    sport: str | None,
    places: Mapping[str, Mapping[str, Any]],
    published: str,
    updated: str,
) -> dict[str, Any]:
    """`places` maps each instance's place reference to the place document."""
    instances = [
        _compact(
            {
                "type": "CourseInstance",
                "startDate": instance["startDate"],
                "endDate": instance.get("endDate"),
                "courseMode": instance["courseMode"],
                "location": embedded(places[instance["place"]]) if instance.get("place") else None,
                "offers": _offers(instance.get("price")),
            }
        )
        for instance in data["instances"]
    ]
    return _compact(
        {
            **_envelope(object_id, published, updated),
            "type": "Course",
            "name": data["name"],
            "content": text_to_html(data["description"]) if data.get("description") else None,
            "attributedTo": owner,
            "provider": data.get("provider"),
            "sport": sport,
            "intendedFor": data.get("intendedFor"),
            "url": data.get("website"),
            "contactPoint": _contact(data.get("contact")),
            "hasCourseInstance": instances,
            "validFrom": data.get("validFrom"),
            "validThrough": data.get("validThrough"),
            "to": [AS_PUBLIC],
            "cc": [f"{owner}/followers"],
        }
    )


def tombstone_document(object_id: str, former_type: Any, *, published: str, deleted: str) -> dict[str, Any]:
    return {
        "@context": OBJECT_CONTEXT,
        "id": object_id,
        "type": "Tombstone",
        "formerType": former_type,
        "published": published,
        "deleted": deleted,
        "updated": deleted,
    }


def node_document(
    *, node_id: str, name: str, public_key_pem: str, collections: Mapping[str, str], vocabulary: str
) -> dict[str, Any]:
    """The node's own actor, answered at its base URL; `streams` lists the collections to discover."""
    return {
        "@context": OBJECT_CONTEXT,
        "id": node_id,
        "type": "Application",
        "preferredUsername": "node",
        "name": name,
        "summary": text_to_html(f"{name}: het lokale sport- en beweegaanbod als linked data."),
        "inbox": f"{node_id}inbox",
        "outbox": f"{node_id}outbox",
        "followers": f"{node_id}followers",
        "endpoints": {"sharedInbox": f"{node_id}inbox"},
        "publicKey": {"id": f"{node_id}#main-key", "owner": node_id, "publicKeyPem": public_key_pem},
        "streams": [collections[kind] for kind in ("organisation", "place", "activity", "course")],
        "attachment": [{"type": "Link", "name": "vocabulary", "href": vocabulary}],
    }


def ordered_collection(collection_id: str, name: str, total: int, first: str | None) -> dict[str, Any]:
    return _compact(
        {
            "@context": OBJECT_CONTEXT,
            "id": collection_id,
            "type": "OrderedCollection",
            "name": name,
            "totalItems": total,
            "first": first,
        }
    )


def collection_page(
    page_id: str,
    collection_id: str,
    items: Sequence[Mapping[str, Any]],
    next_page: str | None,
    prev_page: str | None,
    total: int | None = None,
) -> dict[str, Any]:
    """`total`: the whole collection's totalItems, so that a reader of one page knows how many there are."""
    return _compact(
        {
            "@context": OBJECT_CONTEXT,
            "id": page_id,
            "type": "OrderedCollectionPage",
            "partOf": collection_id,
            "totalItems": total,
            "orderedItems": [embedded(item) for item in items],
            "next": next_page,
            "prev": prev_page,
        }
    )


def with_place(document: Mapping[str, Any], place: Mapping[str, Any], updated: str) -> dict[str, Any]:
    """`document` with every embedded copy of `place` (matched by id) replaced by its current version."""
    fresh = embedded(place)

    def swap(location: Any) -> Any:
        return fresh if isinstance(location, dict) and location.get("id") == place["id"] else location

    result = {**document, "updated": updated}
    if "location" in result:
        result["location"] = swap(result["location"])
    if "hasCourseInstance" in result:
        result["hasCourseInstance"] = [
            {**i, "location": swap(i["location"])} if "location" in i else i
            for i in result["hasCourseInstance"]
        ]
    return result
