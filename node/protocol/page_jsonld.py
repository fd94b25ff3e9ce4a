"""schema.org JSON-LD for the head of an object's web page: what search engines read about events,
organisations, places and courses. Pure: documents in, a plain dict out; `script_text` makes it safe
to put inside a `<script type="application/ld+json">` element.

This is not the object's own linked data (that is served by content negotiation on the same URL, in
ActivityStreams terms). It speaks plain schema.org with `"@context": "https://schema.org"`, the form
search engines document, and carries text only as plain text: names and descriptions of objects from
other servers pass through `sanitise.plain_text` here, whatever the caller did.

An activity becomes an `Event` whose startDate and endDate are its next session (the page's first
`Occurrence`); a weekly one also carries its `eventSchedule`. OpenActive models a weekly series as a
SessionSeries instead (our RPDE feed does), so the page's Event differs from OpenActive's in that one
field and in `activity` (an OpenActive term schema.org lacks): see tests/pages/test_pages_objects.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from node.protocol.local_time import iso_local
from node.protocol.occurrences import Occurrence
from node.protocol.openactive import iso_duration
from node.protocol.sanitise import plain_text

SCHEMA_CONTEXT = "https://schema.org"
ATTENDANCE = {
    "onsite": "https://schema.org/OfflineEventAttendanceMode",
    "online": "https://schema.org/OnlineEventAttendanceMode",
    "blended": "https://schema.org/MixedEventAttendanceMode",
}
DESCRIPTION_LIMIT = 5000
# Where one block of HTML text ends and the next begins: a space, so that stripping the tags does not
# glue "rennen.</p><p>Koffie" into "rennen.Koffie".
_BLOCK_END = re.compile(r"<(?:/p|br|/li|/blockquote|/h[1-6]|/div)\b[^>]*>", re.IGNORECASE)


def _compact(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if v is not None and v != [] and v != {} and v != ""}


def _text(value: Any, limit: int = 500) -> str | None:
    if not isinstance(value, str):
        return None
    return plain_text(value)[:limit] or None


def text_of_html(value: Any, limit: int = DESCRIPTION_LIMIT) -> str:
    """HTML `content` (ours or a peer's) as one line of plain text, at most `limit` characters."""
    if not isinstance(value, str):
        return ""
    return plain_text(_BLOCK_END.sub(lambda m: m.group(0) + " ", value))[:limit]


# An http(s) URL with none of the characters a URL may not hold unescaped (RFC 3986): a peer's `url`
# with quotes or angle brackets in it is no link we pass on.
_HTTP_URL = re.compile(r"^https?://[^\s\"'<>\\^`{|}]+$")


def http_url(value: Any) -> str | None:
    """`value` when it is a plain http(s) URL, else None: what a page may link to or name as a URL."""
    return value if isinstance(value, str) and _HTTP_URL.match(value) else None


_http = http_url


def script_text(data: Mapping[str, Any]) -> str:
    """`data` as JSON that cannot end its <script> element: every `<` is written as \\u003c, so no `</`
    (nor `<!--`) appears, and the JSON still means the same."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


# CBS municipality code -> its province's name, for addressRegion (the caller looks up the few it needs).
Regions = Mapping[str, str]


def postal_address(address: Any, region: str | None = None) -> dict[str, Any] | str | None:
    if isinstance(address, str):
        return _text(address)
    if not isinstance(address, Mapping):
        return None
    return _compact(
        {
            "@type": "PostalAddress",
            **{key: _text(address.get(key)) for key in ("streetAddress", "postalCode", "addressLocality")},
            "addressRegion": _text(address.get("addressRegion")) or region,
            "addressCountry": _text(address.get("addressCountry")) or None,
        }
    )


def place(document: Mapping[str, Any], regions: Regions) -> dict[str, Any]:
    lat, lon = document.get("latitude"), document.get("longitude")
    has_geo = isinstance(lat, (int, float)) and isinstance(lon, (int, float))
    return _compact(
        {
            "@type": "Place",
            "@id": _http(document.get("id")),
            "name": _text(document.get("name")),
            "address": postal_address(document.get("address"), regions.get(str(document.get("municipalityCode")))),
            "geo": {"@type": "GeoCoordinates", "latitude": lat, "longitude": lon} if has_geo else None,
            "url": _http(document.get("id")),
        }
    )


def _locations(document: Mapping[str, Any], regions: Regions) -> tuple[list[dict[str, Any]], str]:
    """The event's location(s) and its attendance mode."""
    found = document.get("location")
    entries = found if isinstance(found, list) else [found] if isinstance(found, Mapping) else []
    places = [place(e, regions) for e in entries if isinstance(e, Mapping) and e.get("type") == "Place"]
    virtual = [
        _compact({"@type": "VirtualLocation", "url": _http(e.get("url")), "name": _text(e.get("name"))})
        for e in entries
        if isinstance(e, Mapping) and e.get("type") == "VirtualLocation" and _http(e.get("url"))
    ]
    mode = "blended" if places and virtual else "online" if virtual else "onsite"
    return places + virtual, mode


def organisation_ref(document: Mapping[str, Any] | None, organiser_id: Any) -> dict[str, Any] | None:
    if not _http(organiser_id):
        return None
    document = document or {}
    return _compact(
        {
            "@type": "Organization",
            "@id": organiser_id,
            "name": _text(document.get("name")),
            "url": _http(document.get("url")) or organiser_id,
        }
    )


def offers(found: Any, url: str) -> list[dict[str, Any]]:
    return [
        {"@type": "Offer", "price": float(o["price"]), "priceCurrency": o.get("priceCurrency", "EUR"), "url": url}
        for o in (found if isinstance(found, list) else [])
        if isinstance(o, Mapping) and isinstance(o.get("price"), (int, float))
    ]


def _schedule(schedule: Mapping[str, Any]) -> dict[str, Any]:
    return _compact(
        {
            "@type": "Schedule",
            "byDay": [d for d in schedule.get("byDay", []) if isinstance(d, str)],
            "startTime": schedule.get("startTime"),
            "endTime": schedule.get("endTime"),
            "startDate": schedule.get("startDate"),
            "endDate": schedule.get("endDate"),
            "repeatFrequency": schedule.get("repeatFrequency", "P1W"),
            "scheduleTimezone": schedule.get("scheduleTimezone", "Europe/Amsterdam"),
        }
    )


def _duration(start: Any, end: Any) -> str | None:
    try:
        minutes = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() // 60
    except (TypeError, ValueError):
        return None
    return iso_duration(int(minutes)) if minutes > 0 else None


def _age(age: Any) -> str | None:
    """schema.org typicalAgeRange: "65-", "6-12"."""
    if not isinstance(age, Mapping) or ("minValue" not in age and "maxValue" not in age):
        return None
    return f"{age.get('minValue', 0)}-{age.get('maxValue', '')}"


def event(
    document: Mapping[str, Any], occurrences: Sequence[Occurrence], organiser: Mapping[str, Any] | None,
    regions: Regions,
) -> dict[str, Any]:
    """An activity as a schema.org Event at its next session (else its first, when none is coming)."""
    url = document["id"]
    schedule = document.get("eventSchedule")
    start: str | None = None
    end: str | None = None
    duration: str | None = None
    if occurrences:
        start = iso_local(occurrences[0].start)
        if occurrences[0].end:
            end = iso_local(occurrences[0].end)
            duration = iso_duration(int((occurrences[0].end - occurrences[0].start).total_seconds() // 60))
    elif not isinstance(schedule, Mapping):
        start, end = document.get("startTime"), document.get("endTime")
        duration = _duration(start, end)
    elif isinstance(schedule.get("startDate"), str):
        start = schedule["startDate"]
    locations, mode = _locations(document, regions)
    return _compact(
        {
            "@context": SCHEMA_CONTEXT,
            "@type": "Event",
            "@id": url,
            "url": url,
            "name": _text(document.get("name")),
            "description": text_of_html(document.get("content") or document.get("summary")) or None,
            "startDate": start,
            "endDate": end,
            "duration": duration,
            "eventSchedule": _schedule(schedule) if isinstance(schedule, Mapping) else None,
            "eventStatus": "https://schema.org/EventScheduled",
            "eventAttendanceMode": ATTENDANCE[mode],
            "location": locations[0] if len(locations) == 1 else locations,
            "organizer": organisation_ref(organiser, document.get("attributedTo")),
            "offers": offers(document.get("offers"), url),
            "isAccessibleForFree": document.get("isAccessibleForFree"),
            "typicalAgeRange": _age(document.get("ageRange")),
            "maximumAttendeeCapacity": document.get("maximumAttendeeCapacity"),
            "image": _http(document.get("image")),
        }
    )


def organisation(document: Mapping[str, Any]) -> dict[str, Any]:
    types = document.get("type")
    club = isinstance(types, list) and "SportsOrganization" in types
    found = document.get("contactPoint")
    contact: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    return _compact(
        {
            "@context": SCHEMA_CONTEXT,
            "@type": "SportsOrganization" if club else "Organization",
            "@id": document["id"],
            "name": _text(document.get("name")),
            "description": text_of_html(document.get("summary") or document.get("content")) or None,
            "url": _http(document.get("url")) or document["id"],
            "email": _text(contact.get("email")),
            "telephone": _text(contact.get("telephone")),
            "image": _http(document.get("image")),
        }
    )


def place_page(document: Mapping[str, Any], regions: Regions) -> dict[str, Any]:
    return {"@context": SCHEMA_CONTEXT, **place(document, regions)}


def course(document: Mapping[str, Any], organiser: Mapping[str, Any] | None, regions: Regions) -> dict[str, Any]:
    url = document["id"]
    # `provider` is the name of whoever gives the course, when that is not the organisation that lists it.
    named = _text(document.get("provider"))
    provider = {"@type": "Organization", "name": named} if named else organisation_ref(organiser, document.get("attributedTo"))
    instances = []
    for instance in document.get("hasCourseInstance") or ():
        if not isinstance(instance, Mapping):
            continue
        location = instance.get("location")
        instances.append(
            _compact(
                {
                    "@type": "CourseInstance",
                    "courseMode": instance.get("courseMode"),
                    "startDate": instance.get("startDate"),
                    "endDate": instance.get("endDate"),
                    "eventAttendanceMode": ATTENDANCE.get(str(instance.get("courseMode"))),
                    "location": place(location, regions) if isinstance(location, Mapping) else None,
                    "offers": offers(instance.get("offers"), url),
                }
            )
        )
    return _compact(
        {
            "@context": SCHEMA_CONTEXT,
            "@type": "Course",
            "@id": url,
            "url": url,
            "name": _text(document.get("name")),
            "description": text_of_html(document.get("content") or document.get("summary")) or None,
            "provider": provider,
            "hasCourseInstance": instances,
            "offers": [o for i in instances for o in i.get("offers", [])][:1],
        }
    )
