"""Our documents as OpenActive Modelling Opportunity Data 2.0, and RPDE 1.0 feed pages: pure functions.

Every feed item maps one of our (or, on an aggregator, a remote) stored documents; what OpenActive has no
term for travels in our extension context (`sn:` terms, vocab/openactive-extension.jsonld). An object that
OpenActive cannot describe (an activity whose sport has no Activity List concept, a course without a
sport) is published as a deleted item: RPDE has no "not here", and a consumer that held an earlier
version must drop it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from node.protocol.objects import CRITERIA, HtmlText
from node.protocol.vocab import Concept

OA_CONTEXT = "https://openactive.io/"
SCHEMA_CONTEXT = "https://schema.org/"
EXTENSION_CONTEXT = "https://w3id.org/sportnode/openactive-extension.jsonld"
EXTENSION_FILE = "openactive-extension.jsonld"
ITEM_CONTEXT = [OA_CONTEXT, EXTENSION_CONTEXT]
ACTIVITY_LIST = "https://openactive.io/activity-list"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
RPDE_MEDIA_TYPE = "application/vnd.openactive.rpde+json; version=1"
SCHEMA_VERSION = "https://openactive.io/modelling-opportunity-data/2.0/"
TIMEZONE = "Europe/Amsterdam"
SN = "sn:"
# A target group that OpenActive expresses as a restriction rather than an audience.
FEMALE_ONLY_GROUP = "https://w3id.org/sportnode/target-groups#meiden-en-vrouwen"
ATTENDANCE = {
    "onsite": "https://schema.org/OfflineEventAttendanceMode",
    "online": "https://schema.org/OnlineEventAttendanceMode",
    "blended": "https://schema.org/MixedEventAttendanceMode",
}


@dataclass(frozen=True)
class Feed:
    name: str  # the last path segment, OpenActive's default feed path
    kind: str  # RPDE `kind` and the OpenActive type of the items
    title: str
    additional_type: str  # for the Dataset Site's DataDownload


FEEDS: dict[str, Feed] = {
    feed.name: feed
    for feed in (
        Feed("session-series", "SessionSeries", "Wekelijkse activiteiten", "https://openactive.io/SessionSeries"),
        Feed("events", "Event", "Eenmalige activiteiten", "https://schema.org/Event"),
        Feed("course-instances", "CourseInstance", "Cursussen", "https://openactive.io/CourseInstance"),
        Feed("places", "Place", "Locaties", "https://schema.org/Place"),
        Feed("organizations", "Organization", "Organisaties", "https://schema.org/Organization"),
    )
}


@dataclass(frozen=True)
class ActivityConcept:
    """A concept of the OpenActive Activity List, as an item cites it."""

    id: str
    pref_label: str


@dataclass(frozen=True)
class MappingContext:
    """What a mapping needs besides the document: all of it looked up by the caller."""

    activities: Mapping[str, ActivityConcept]  # our sport concept URI -> its OpenActive concept
    organisations: Mapping[str, Mapping[str, Any]]  # organisation id -> its document
    provinces: Mapping[str, str]  # CBS municipality code -> province name (addressRegion)


def activity_concepts(
    sports: Iterable[Concept], activity_list: Mapping[str, str] | None
) -> dict[str, ActivityConcept]:
    """Our sport concept URI -> the OpenActive concept an item cites for it.

    A sport's own skos:exactMatch, then skos:closeMatch links come first; a sport without one takes its
    broader concept's (a kind of martial art is at least Martial Arts). `activity_list` (concept id ->
    prefLabel) both checks that a link exists in the Activity List and gives the label it must carry;
    without it, the links are taken on trust and labelled with our English label.
    """
    by_uri = {concept.uri: concept for concept in sports}

    def cited(concept: Concept) -> str | None:
        for match in concept.matches:
            if match.startswith(ACTIVITY_LIST + "#") and (activity_list is None or match in activity_list):
                return match
        return None

    result: dict[str, ActivityConcept] = {}
    for concept in by_uri.values():
        todo, seen = [concept], set()
        while todo:
            current = todo.pop(0)
            seen.add(current.uri)
            match = cited(current)
            if match:
                label = activity_list[match] if activity_list is not None else current.label_en
                result[concept.uri] = ActivityConcept(match, label)
                break
            todo.extend(by_uri[b] for b in current.broader if b in by_uri and b not in seen)
    return result


def activity_list_labels(document: Mapping[str, Any]) -> dict[str, str]:
    """concept id -> prefLabel of an Activity List document (a SKOS ConceptScheme in OpenActive's JSON-LD)."""
    concepts = document.get("concept")
    if not isinstance(concepts, list):
        raise ValueError("not an OpenActive activity list: no `concept` array")
    return {c["id"]: c["prefLabel"] for c in concepts if isinstance(c, dict) and "id" in c and "prefLabel" in c}


# --- small pieces -----------------------------------------------------------------------------------


def plain_text(markup: str) -> str:
    """HTML `content` as the plain text OpenActive wants in `description` (it refuses markup)."""
    parser = HtmlText()
    parser.feed(markup)
    parser.close()
    return html.unescape("".join(parser.parts)).strip()


def _compact(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if v is not None and v != [] and v != {}}


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def iso_duration(minutes: int) -> str:
    """Minutes as an ISO 8601 duration: PT1H30M."""
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest or not hours else "")


def _days_inclusive(start: str, end: str) -> str:
    """A course instance's span in whole days, counting both ends: a one-day course is P1D."""
    return f"P{(date.fromisoformat(end[:10]) - date.fromisoformat(start[:10])).days + 1}D"


def _organizer(owner: str | None, context: MappingContext) -> dict[str, Any] | None:
    if not owner:
        return None
    document = context.organisations.get(owner, {})
    contact = document.get("contactPoint") or {}
    return _compact(
        {
            "@type": "Organization",
            "@id": owner,
            "name": document.get("name"),
            "url": document.get("url") or owner,
            "email": contact.get("email"),
            "telephone": contact.get("telephone"),
        }
    )


def _activity(sport: str | None, context: MappingContext) -> list[dict[str, Any]]:
    concept = context.activities.get(sport) if sport else None
    if concept is None:
        return []
    return [{"@type": "Concept", "@id": concept.id, "prefLabel": concept.pref_label, "inScheme": ACTIVITY_LIST}]


def _offers(offers: Sequence[Mapping[str, Any]] | None, base_id: str, name: str) -> list[dict[str, Any]]:
    return [
        {
            "@type": "Offer",
            "@id": f"{base_id}#offer-{i}",
            "name": name,
            "price": o["price"],
            "priceCurrency": o["priceCurrency"],
        }
        for i, o in enumerate(offers or (), start=1)
    ]


def _free(offers: Sequence[Mapping[str, Any]]) -> bool | None:
    return True if any(float(o["price"]) == 0 for o in offers) else None


def _age_range(age: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not age:
        return None
    return _compact({"@type": "QuantitativeValue", "minValue": age.get("minValue"), "maxValue": age.get("maxValue")})


def place(document: Mapping[str, Any], context: MappingContext) -> dict[str, Any]:
    """A Place as OpenActive nests it in a `location` (and as an item of the places feed, with @context)."""
    address = document.get("address") or {}
    municipality = document.get("municipalityCode")
    return _compact(
        {
            "@type": "Place",
            "@id": document["id"],
            "url": document["id"],
            "name": document.get("name"),
            "address": _compact(
                {
                    "@type": "PostalAddress",
                    "streetAddress": address.get("streetAddress"),
                    "addressLocality": address.get("addressLocality"),
                    "addressRegion": context.provinces.get(municipality or ""),
                    "postalCode": address.get("postalCode"),
                    "addressCountry": address.get("addressCountry", "NL"),
                }
            ),
            "geo": {"@type": "GeoCoordinates", "latitude": document["latitude"], "longitude": document["longitude"]}
            if "latitude" in document and "longitude" in document
            else None,
            "sn:municipalityCode": municipality,
            "sn:neighbourhoodCode": document.get("neighbourhoodCode"),
            "sn:accessibilitySupport": list(document.get("accessibilitySupport", [])),
        }
    )


def _extensions(document: Mapping[str, Any]) -> dict[str, Any]:
    """Our own terms that OpenActive has no word for, under the `sn:` prefix of our extension context."""
    return {
        "sn:sport": document.get("sport"),
        "sn:targetGroup": list(document.get("targetGroup", [])),
        "sn:accessibilitySupport": list(document.get("accessibilitySupport", [])),
        **{SN + name: document.get(name) for name in CRITERIA},
    }


def _opportunity(document: Mapping[str, Any], context: MappingContext, oa_type: str) -> dict[str, Any] | None:
    """The fields a SessionSeries and an Event share; None when OpenActive cannot describe the activity."""
    activity = _activity(document.get("sport"), context)
    offers = _offers(document.get("offers"), document["id"], "Per keer")
    location = document.get("location")
    if not activity or not offers or not isinstance(location, Mapping):
        return None
    groups = document.get("targetGroup", [])
    return {
        "@context": ITEM_CONTEXT,
        "@type": oa_type,
        "@id": document["id"],
        "url": document.get("url") or document["id"],
        "name": document.get("name"),
        "description": plain_text(document["content"]) if document.get("content") else None,
        "activity": activity,
        "organizer": _organizer(document.get("attributedTo"), context),
        "location": place(location, context),
        "offers": offers,
        "isAccessibleForFree": _free(offers),
        "ageRange": _age_range(document.get("ageRange")),
        "genderRestriction": "https://openactive.io/FemaleOnly"
        if FEMALE_ONLY_GROUP in groups
        else "https://openactive.io/NoRestriction",
        "maximumAttendeeCapacity": document.get("maximumAttendeeCapacity"),
        **_extensions(document),
    }


def session_series(document: Mapping[str, Any], context: MappingContext) -> dict[str, Any] | None:
    """A recurring activity (one with `eventSchedule`) as a SessionSeries."""
    schedule = document.get("eventSchedule")
    base = _opportunity(document, context, "SessionSeries")
    if base is None or not isinstance(schedule, Mapping):
        return None
    minutes = _minutes(schedule["endTime"]) - _minutes(schedule["startTime"])
    # Without dates of its own the schedule runs for the activity's validity period.
    start = schedule.get("startDate") or document.get("validFrom")
    end = schedule.get("endDate") or document.get("validThrough")
    occurrence = document["id"] + "#{startDate}"
    base["eventSchedule"] = [
        _compact(
            {
                "@type": "Schedule",
                "byDay": list(schedule.get("byDay", [])),
                "repeatFrequency": schedule.get("repeatFrequency", "P1W"),
                "startDate": start,
                "endDate": end,
                "startTime": schedule["startTime"],
                "endTime": schedule["endTime"],
                "duration": iso_duration(minutes),
                "scheduleTimezone": schedule.get("scheduleTimezone", TIMEZONE),
                "scheduledEventType": "ScheduledSession",
                "idTemplate": occurrence,
                "urlTemplate": occurrence,
            }
        )
    ]
    base["duration"] = iso_duration(minutes)
    return _compact(base)


def event(document: Mapping[str, Any], context: MappingContext) -> dict[str, Any] | None:
    """A one-off activity (startTime and endTime) as an Event."""
    base = _opportunity(document, context, "Event")
    if base is None or not document.get("startTime") or not document.get("endTime"):
        return None
    start = datetime.fromisoformat(document["startTime"])
    end = datetime.fromisoformat(document["endTime"])
    base.update(
        startDate=document["startTime"],
        endDate=document["endTime"],
        duration=iso_duration(int((end - start).total_seconds() // 60)),
        eventStatus="https://schema.org/EventScheduled",
    )
    return _compact(base)


def course_instance_id(course_id: str, number: int) -> str:
    return f"{course_id}/instances/{number}"


def course_instances(document: Mapping[str, Any], context: MappingContext) -> list[dict[str, Any] | None]:
    """Each instance of a course as a CourseInstance (None for one OpenActive cannot describe)."""
    activity = _activity(document.get("sport"), context)
    course = _compact(
        {
            "@type": "Course",
            "@id": document["id"],
            "url": document.get("url") or document["id"],
            "name": document.get("name"),
            "description": plain_text(document["content"]) if document.get("content") else None,
            "activity": activity,
        }
    )
    result: list[dict[str, Any] | None] = []
    for number, instance in enumerate(document.get("hasCourseInstance", []), start=1):
        instance_id = course_instance_id(document["id"], number)
        offers = _offers(instance.get("offers"), instance_id, "Deelname aan de cursus")
        mode = instance.get("courseMode", "onsite")
        location = instance.get("location")
        if not activity or not offers or (mode != "online" and not isinstance(location, Mapping)):
            result.append(None)
            continue
        start = instance["startDate"]
        end = instance.get("endDate") or start
        result.append(
            _compact(
                {
                    "@context": ITEM_CONTEXT,
                    "@type": "CourseInstance",
                    "@id": instance_id,
                    "url": document.get("url") or document["id"],
                    "name": document.get("name"),
                    "description": course.get("description"),
                    "activity": activity,
                    "organizer": _organizer(document.get("attributedTo"), context),
                    # A virtual course must not name a location.
                    "location": place(location, context) if mode != "online" and location else None,
                    "eventAttendanceMode": ATTENDANCE.get(mode),
                    "startDate": start,
                    "endDate": end,
                    "duration": _days_inclusive(start, end),
                    "eventSchedule": [
                        {"@type": "PartialSchedule", "startDate": start, "endDate": end, "scheduleTimezone": TIMEZONE}
                    ],
                    "offers": offers,
                    "isAccessibleForFree": _free(offers),
                    "genderRestriction": "https://openactive.io/NoRestriction",
                    "instanceOfCourse": course,
                    "sn:sport": document.get("sport"),
                    "sn:intendedFor": document.get("intendedFor"),
                }
            )
        )
    return result


def organization(document: Mapping[str, Any]) -> dict[str, Any]:
    contact = document.get("contactPoint") or {}
    return _compact(
        {
            "@context": ITEM_CONTEXT,
            "@type": "Organization",
            "@id": document["id"],
            "name": document.get("name"),
            "url": document.get("url") or document["id"],
            "description": plain_text(document["summary"]) if document.get("summary") else None,
            "email": contact.get("email"),
            "telephone": contact.get("telephone"),
            "sn:municipalityCode": document.get("municipalityCode"),
            "sn:focusArea": list(document.get("focusArea", [])),
        }
    )


def place_item(document: Mapping[str, Any], context: MappingContext) -> dict[str, Any]:
    return {"@context": ITEM_CONTEXT, **place(document, context)}


# --- RPDE ---------------------------------------------------------------------------------------------


def _live(document: Mapping[str, Any]) -> bool:
    return document.get("type") != "Tombstone"


def feed_items(
    feed: Feed, seq: int, width: int, document: Mapping[str, Any], context: MappingContext
) -> list[dict[str, Any]]:
    """The RPDE items one stored object stands for in `feed`, sorted by id, all with `modified` = seq.

    An object that is a Tombstone, or that now belongs to another feed, or that OpenActive cannot
    describe, is a deleted item: a consumer that saw it earlier learns to drop it.
    """
    object_id = document["id"]
    data: list[tuple[str, dict[str, Any] | None]]
    if feed.name == "course-instances":
        instances = course_instances(document, context) if _live(document) else []
        data = [
            (course_instance_id(object_id, n), instances[n - 1] if n <= len(instances) else None)
            for n in range(1, max(width, len(instances)) + 1)
        ]
    else:
        data = [(object_id, _map_single(feed, document, context) if _live(document) else None)]
    items = [
        {"state": "updated", "kind": feed.kind, "id": item_id, "modified": seq, "data": mapped}
        if mapped is not None
        else {"state": "deleted", "kind": feed.kind, "id": item_id, "modified": seq}
        for item_id, mapped in data
    ]
    return sorted(items, key=lambda item: str(item["id"]))


def _map_single(feed: Feed, document: Mapping[str, Any], context: MappingContext) -> dict[str, Any] | None:
    if feed.name == "session-series":
        return session_series(document, context) if "eventSchedule" in document else None
    if feed.name == "events":
        return event(document, context) if "eventSchedule" not in document else None
    if feed.name == "places":
        return place_item(document, context) if document.get("type") == "Place" else None
    if feed.name == "organizations":
        return organization(document)
    return None


def next_url(feed_url: str, after_timestamp: int, after_id: str) -> str:
    # ':' and '/' may stand in a query; leaving them makes the URL readable and keeps it the same text a
    # client builds from the decoded values.
    return f"{feed_url}?afterTimestamp={after_timestamp}&afterId={quote(after_id, safe=':/')}"


def rpde_page(items: Sequence[Mapping[str, Any]], next_page: str) -> dict[str, Any]:
    return {"next": next_page, "items": list(items), "license": LICENSE}


# --- Dataset Site -------------------------------------------------------------------------------------


def dataset(
    *,
    dataset_id: str,
    name: str,
    description: str,
    feeds: Mapping[str, str],
    publisher_name: str,
    publisher_url: str,
    logo_url: str,
    documentation_url: str,
    discussion_url: str,
    date_modified: str | None,
) -> dict[str, Any]:
    """The schema.org Dataset that a Dataset Site embeds, one DataDownload per feed (feed name -> URL)."""
    return _compact(
        {
            "@context": [SCHEMA_CONTEXT, OA_CONTEXT],
            "@type": "Dataset",
            "@id": dataset_id,
            "url": dataset_id,
            "name": name,
            "description": description,
            "keywords": ["sport", "bewegen", "activiteiten", "Nederland", "OpenActive"],
            "license": LICENSE,
            "inLanguage": ["nl"],
            "schemaVersion": SCHEMA_VERSION,
            "documentation": documentation_url,
            "discussionUrl": discussion_url,
            "dateModified": date_modified,
            "publisher": {
                "@type": "Organization",
                "name": publisher_name,
                "legalName": publisher_name,
                "url": publisher_url,
                "logo": {"@type": "ImageObject", "url": logo_url},
            },
            "distribution": [
                {
                    "@type": "DataDownload",
                    "name": FEEDS[feed].kind,
                    "additionalType": FEEDS[feed].additional_type,
                    "encodingFormat": RPDE_MEDIA_TYPE,
                    "contentUrl": url,
                    "identifier": feed,
                }
                for feed, url in feeds.items()
            ],
        }
    )
