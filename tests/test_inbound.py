"""Inbound activities from other servers: the real Mobilizon and Gancio payloads in ../shared pass the
inbound schemas, need no context fetch, and map into our activity model; small changes that make them
wrong are refused at the field that is wrong."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SHARED
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib import namespace as ns
from rdflib.namespace import RDF

from node.errors import SportnodeError
from node.protocol.inbound import (
    INBOUND_TYPES,
    MalformedEvent,
    RefusedContext,
    check_context,
    event_to_activity,
    is_public,
    normalise_addressing,
    normalise_public,
    validate_inbound,
)
from node.protocol.jsonld import AS_PUBLIC, OBJECT_CONTEXT, inline_contexts, load_context_document
from node.protocol.limits import parse_json_object
from node.protocol.objects import activity_document, place_document
from node.protocol.rdf import to_graph
from node.protocol.validation import SchemaSet
from node.protocol.vocab import ConceptList, load_vocabulary

ROOT = Path(__file__).resolve().parents[1]
FEDIVERSE = SHARED / "fixtures" / "fediverse"
RECEIVED = "2025-06-01T12:00:00Z"
SPORTS = "https://w3id.org/sportnode/sports#"
AS = Namespace("https://www.w3.org/ns/activitystreams#")
EVIL = "https://evil.example/context.jsonld"
GANCIO_LOCATIONS = {
    "postal": "gancio-location-physical-location-with-postal-address.json",
    "string": "gancio-location-physical-location-with-simple-string-address.json",
    "virtual": "gancio-location-virtual-location.json",
}
# rdflib's own JSON-LD parser uses its deprecated ConjunctiveGraph; nothing for us to fix.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy each time, so that a test may change it."""
    path = FEDIVERSE / name
    if not path.is_file():
        pytest.fail(f"the fediverse fixtures are needed at {FEDIVERSE}")
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def fixture_names() -> list[str]:
    return sorted(p.name for p in FEDIVERSE.glob("*.json"))


@pytest.fixture(scope="module")
def inbound() -> SchemaSet:
    return SchemaSet(ROOT / "schemas" / "inbound")


@pytest.fixture(scope="module")
def objects() -> SchemaSet:
    return SchemaSet(ROOT / "schemas" / "objects")


@pytest.fixture(scope="module")
def sports() -> ConceptList:
    return load_vocabulary(ROOT / "vocab").sports


def mapped(event: dict[str, Any], sports: ConceptList, **kw: Any) -> dict[str, Any]:
    return event_to_activity(event, sports=sports, received=RECEIVED, **kw)


def minimal_event(**changes: Any) -> dict[str, Any]:
    """The Gancio fixture's Event, stripped to what any sender gives."""
    event = fixture("gancio-event-activity.json")["object"]
    kept = {k: event[k] for k in ("id", "type", "name", "startTime", "attributedTo")}
    return {**kept, **changes}


def refusal(
    activity: dict[str, Any], inbound: SchemaSet, objects: SchemaSet, sports: ConceptList
) -> set[str]:
    """The pointers at which the inbox path refuses `activity`: schema, then contexts, then the mapping,
    then the object schema. Empty when it would be stored."""
    errors = validate_inbound(activity, inbound)
    if errors:
        return {e.path for e in errors}
    try:
        check_context(activity)
        document = mapped(activity["object"], sports, at="/object")
    except (RefusedContext, MalformedEvent) as error:
        return {f.path for f in error.fields}
    return {e.path for e in objects.errors("remote-activity", document)}


# ---- The fixtures as they are ----


def test_the_fixtures_are_there() -> None:
    assert set(GANCIO_LOCATIONS.values()) | {
        "mobilizon-post-activity.json",
        "gancio-event-activity.json",
    } <= set(fixture_names())


@pytest.mark.parametrize("name", fixture_names())
def test_every_fixture_activity_passes_the_inbound_schemas(name: str, inbound: SchemaSet) -> None:
    document = fixture(name)
    if document.get("type") in INBOUND_TYPES:
        assert validate_inbound(document, inbound) == []
    else:
        # An actor or a place is not an activity: an inbox refuses it at its type.
        assert [e.path for e in validate_inbound(document, inbound)] == ["/type"]


def test_two_fixtures_are_activities() -> None:
    assert sum(fixture(n).get("type") in INBOUND_TYPES for n in fixture_names()) >= 2


@pytest.mark.parametrize("name", fixture_names())
def test_no_fixture_needs_a_context_fetch(name: str) -> None:
    check_context(fixture(name))  # Mobilizon names litepub; Gancio's actor has an inline context


def test_the_inbound_schemas(inbound: SchemaSet) -> None:
    assert set(inbound.names()) == {t.lower() for t in INBOUND_TYPES} | {"common"}
    for name in inbound.names():
        schema = json.loads((ROOT / "schemas" / "inbound" / f"{name}.json").read_text(encoding="utf-8"))
        assert schema["$id"] == f"https://w3id.org/sportnode/schemas/inbound/{name}.json"


GANCIO_ACTOR = "https://demo.gancio.org/federation/u/gancio"
OUR_ACTOR = "https://zwolle.example/organisations/de-zwaluwen"
# The other activity types, as Mastodon, Mobilizon and Gancio write them, around the fixtures' own ids.
OTHER_ACTIVITIES: dict[str, dict[str, Any]] = {
    "follow": {
        "id": f"{GANCIO_ACTOR}#follow/1",
        "type": "Follow",
        "actor": GANCIO_ACTOR,
        "object": OUR_ACTOR,
    },
    "accept an embedded follow": {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{GANCIO_ACTOR}#accepts/follows/1",
        "type": "Accept",
        "actor": GANCIO_ACTOR,
        "object": {
            "id": f"{OUR_ACTOR}/follows/1",
            "type": "Follow",
            "actor": OUR_ACTOR,
            "object": GANCIO_ACTOR,
        },
    },
    "reject by url": {
        "id": f"{GANCIO_ACTOR}#rejects/1",
        "type": "Reject",
        "actor": GANCIO_ACTOR,
        "object": f"{OUR_ACTOR}/follows/1",
    },
    "undo a follow without id": {
        "id": f"{GANCIO_ACTOR}#follows/1/undo",
        "type": "Undo",
        "actor": GANCIO_ACTOR,
        "object": {"type": "Follow", "actor": GANCIO_ACTOR, "object": OUR_ACTOR},
    },
    "delete with a tombstone": {
        "id": "https://demo.gancio.org/federation/m/1#delete",
        "type": "Delete",
        "actor": GANCIO_ACTOR,
        "to": ["as:Public"],
        "object": {"id": "https://demo.gancio.org/federation/m/1", "type": "Tombstone"},
    },
    "delete an actor": {
        "id": f"{GANCIO_ACTOR}#delete",
        "type": "Delete",
        "actor": GANCIO_ACTOR,
        "object": GANCIO_ACTOR,
    },
    "announce by url": {
        "id": "https://region.example/activities/9",
        "type": "Announce",
        "actor": "https://region.example/",
        "to": "Public",
        "object": "https://mobilizon.fr/events/39a0c4a6-f2b6-41dc-bbe2-fc5bff76cc93",
    },
}


@pytest.mark.parametrize("name", sorted(OTHER_ACTIVITIES))
def test_the_other_activity_types(name: str, inbound: SchemaSet) -> None:
    assert validate_inbound(OTHER_ACTIVITIES[name], inbound) == []


def test_updates_and_announces_embed_the_fixture_events(inbound: SchemaSet) -> None:
    for source in ("gancio-event-activity.json", "mobilizon-post-activity.json"):
        activity = fixture(source)
        assert validate_inbound({**activity, "type": "Update"}, inbound) == []
        assert (
            validate_inbound({**activity, "type": "Announce", "id": "https://region.example/a/1"}, inbound)
            == []
        )
        broken = {**activity, "type": "Update", "object": {**activity["object"], "name": ""}}
        assert [e.path for e in validate_inbound(broken, inbound)] == ["/object/name"]


def test_an_embedded_follow_needs_its_actor(inbound: SchemaSet) -> None:
    accept = copy.deepcopy(OTHER_ACTIVITIES["accept an embedded follow"])
    del accept["object"]["actor"]
    assert [e.path for e in validate_inbound(accept, inbound)] == ["/object/actor"]
    follow = {**OTHER_ACTIVITIES["follow"], "object": "acct:someone@zwolle.example"}
    assert [e.path for e in validate_inbound(follow, inbound)] == ["/object"]


# ---- Mapping into our model ----


def test_the_mobilizon_event(objects: SchemaSet, sports: ConceptList) -> None:
    activity = fixture("mobilizon-post-activity.json")
    event = activity["object"]
    document = mapped(event, sports, at="/object")
    assert objects.errors("remote-activity", document) == []
    assert document["@context"] == OBJECT_CONTEXT
    assert document["id"] == event["id"] and document["type"] == "Event"
    assert document["attributedTo"] == "https://mobilizon.fr/@metacartes"
    assert document["name"] == "My first event"
    assert document["content"] == event["content"]  # as sent: remote_text.cleaned cleans it when stored
    assert document["startTime"] == "2018-02-12T14:08:20Z" and "endTime" not in document
    assert document["url"] == event["url"]
    assert document["published"] == document["updated"] == "2018-02-12T14:08:20Z"
    assert document["to"] == [AS_PUBLIC]
    assert "sport" not in document  # nothing in it names a sport
    place = document["location"]
    assert place["type"] == "Place" and place["name"] == "Locaux de Framasoft"
    assert place["id"] == event["location"]["id"]
    assert place["address"] == {
        "type": "PostalAddress",
        "streetAddress": "10 Rue Jangot",
        "postalCode": "69007",
        "addressLocality": "Lyon",
        "addressRegion": "Auvergne Rhône Alpes",
        "addressCountry": "France",
    }


def test_the_gancio_event(objects: SchemaSet, sports: ConceptList) -> None:
    event = fixture("gancio-event-activity.json")["object"]
    document = mapped(event, sports)
    assert objects.errors("remote-activity", document) == []
    assert document["location"] == {"type": "Place", "name": "Colosseo"}
    assert document["startTime"] == "2021-07-14T17:30:57+02:00"
    assert document["endTime"] == "2021-07-14T18:30:57+02:00"
    assert document["url"] == "https://demo.gancio.org/event/demo-event"
    assert document["summary"] == event["summary"]
    assert document["cc"] == ["https://demo.gancio.org/federation/u/gancio/followers"]
    assert "sport" not in document  # "#test" is no sport


@pytest.mark.parametrize("shape", sorted(GANCIO_LOCATIONS))
def test_each_gancio_location_shape(shape: str, objects: SchemaSet, sports: ConceptList) -> None:
    location = fixture(GANCIO_LOCATIONS[shape])
    document = mapped(minimal_event(location=location), sports)
    assert objects.errors("remote-activity", document) == []
    place = document["location"]
    assert place["id"] == location["id"] and place["name"] == location["name"]
    if shape == "postal":
        assert place["type"] == "Place"
        assert place["address"]["streetAddress"] == "15 Fediverse Street"
        assert place["address"]["postalCode"] == "8010"
        assert place["address"]["addressLocality"] == "Fediverse Town"
        assert place["address"]["addressCountry"] == "Austria"
    elif shape == "string":
        assert place == {**location, "type": "Place", "address": "Simple string address"}
    else:
        # schema:address cannot hold a VirtualLocation; the location itself is one.
        assert place == {
            "id": "https://virtual.location.org",
            "type": "VirtualLocation",
            "name": "A Virtual location",
            "url": "https://virtual.location.org",
        }


def test_several_locations_and_coordinates(objects: SchemaSet, sports: ConceptList) -> None:
    postal = {**fixture(GANCIO_LOCATIONS["postal"]), "latitude": 47.07, "longitude": 15.44}
    online = {"type": "VirtualLocation", "url": "https://meet.example/room"}
    document = mapped(minimal_event(location=[postal, online]), sports)
    assert objects.errors("remote-activity", document) == []
    assert [loc["type"] for loc in document["location"]] == ["Place", "VirtualLocation"]
    assert document["location"][0]["latitude"] == 47.07
    geo = {
        "type": "Place",
        "name": "Veld 3",
        "geo": {"type": "GeoCoordinates", "latitude": 52.1, "longitude": 5.4},
    }
    assert mapped(minimal_event(location=geo), sports)["location"]["longitude"] == 5.4


@pytest.mark.parametrize(
    ("changes", "sport"),
    [
        (
            {"tag": [{"type": "Hashtag", "name": "#korfbal", "href": "https://g.example/tags/korfbal"}]},
            "korfbal",
        ),
        ({"tag": [{"type": "Hashtag", "name": "#walkingfootball"}]}, "walking-football"),
        (
            {
                "tag": [
                    {"type": "Mention", "name": "@korfbal"},
                    {"type": "Hashtag", "name": "#WalkingFootball"},
                ]
            },
            "walking-football",
        ),
        ({"tag": {"type": "Hashtag", "name": "#wandelvoetbal"}}, "walking-football"),
        ({"category": "Korfbal"}, "korfbal"),
        ({"name": "Walking football voor 65-plussers"}, "walking-football"),
        ({"name": "Open training korfbal"}, "korfbal"),
        ({"sport": f"{SPORTS}korfbal", "tag": [{"type": "Hashtag", "name": "#tennis"}]}, "korfbal"),
        ({"tag": [{"type": "Hashtag", "name": "#test"}], "category": "TODO remove me"}, None),
        ({"sport": f"{SPORTS}quidditch"}, None),
    ],
)
def test_sport_from_tags_category_or_name(
    changes: dict[str, Any], sport: str | None, sports: ConceptList
) -> None:
    document = mapped(minimal_event(**changes), sports)
    assert document.get("sport") == (SPORTS + sport if sport else None)


def test_a_sport_by_its_openactive_uri(sports: ConceptList) -> None:
    korfbal = sports.resolve("korfbal")
    assert korfbal is not None and korfbal.matches
    document = mapped(minimal_event(sport=korfbal.matches[0]), sports)
    assert document["sport"] == korfbal.uri


def test_an_event_of_our_own_survives_unchanged(objects: SchemaSet, sports: ConceptList) -> None:
    owner = "https://zwolle.example/organisations/de-zwaluwen"
    place = place_document(
        {
            "name": "Sporthal Zuid",
            "address": {
                "streetAddress": "Sportlaan 12",
                "postalCode": "3811 AB",
                "addressLocality": "Amersfoort",
            },
            "latitude": 52.1486,
            "longitude": 5.3878,
            "municipalityCode": "GM0307",
            "neighbourhoodCode": "WK030701",
        },
        object_id="https://zwolle.example/places/sporthal-zuid",
        owner=owner,
        accessibility=["https://w3id.org/sportnode/accessibility#rolstoeltoegankelijk"],
        published="2025-01-01T10:00:00Z",
        updated="2025-01-02T10:00:00Z",
    )
    ours = activity_document(
        {
            "name": "Walking football",
            "description": "Rustig voetballen.",
            "schedule": {"days": ["tuesday"], "startTime": "10:00", "endTime": "11:00"},
            "ageRange": {"min": 65},
            "price": 0,
            "criteria": {"openToVulnerableGroups": True, "safeGuidance": True},
            "contact": {"name": "Ans", "email": "ans@example.org"},
            "maximumAttendeeCapacity": 20,
            "website": "https://zwaluwen.example/walking-football",
            "validFrom": "2026-01-01",
            "validThrough": "2027-01-01",
        },
        object_id="https://zwolle.example/activities/walking-football",
        owner=owner,
        sport=f"{SPORTS}walking-football",
        place=place,
        target_groups=["https://w3id.org/sportnode/target-groups#senioren"],
        accessibility=[],
        published="2025-01-03T10:00:00Z",
        updated="2025-01-04T10:00:00Z",
    )
    assert objects.errors("activity", ours) == []
    document = mapped(ours, sports)
    assert document == ours
    assert objects.errors("remote-activity", document) == []


def test_a_remote_event_is_not_held_to_our_own_schema(objects: SchemaSet, sports: ConceptList) -> None:
    """Why remote-activity.json exists: what we publish keeps requiring a sport and a place of ours."""
    document = mapped(fixture("mobilizon-post-activity.json")["object"], sports)
    pointers = {e.path for e in objects.errors("activity", document)}
    assert "/sport" in pointers and "/location/municipalityCode" in pointers


def test_times_and_fallbacks(sports: ConceptList) -> None:
    document = mapped(
        minimal_event(nameMap={"en": "ignored"}, published="2025-03-01T10:00:00.123456789+01:00"), sports
    )
    assert document["published"] == document["updated"] == "2025-03-01T09:00:00Z"
    no_dates = mapped(minimal_event(), sports)
    assert no_dates["published"] == no_dates["updated"] == RECEIVED
    by_map = {k: v for k, v in minimal_event(nameMap={"fr": "Fête", "nl": "Feest"}).items() if k != "name"}
    assert mapped(by_map, sports)["name"] == "Feest"
    schedule = {
        k: v for k, v in minimal_event(eventSchedule={"type": "Schedule"}).items() if k != "startTime"
    }
    assert "startTime" not in mapped(schedule, sports)


def test_the_mapped_document_means_the_same_to_rdflib(sports: ConceptList) -> None:
    document = mapped(fixture("mobilizon-post-activity.json")["object"], sports)
    graph = to_graph(document)
    event = URIRef(document["id"])
    assert (event, RDF.type, AS.Event) in graph
    place = graph.value(event, AS.location)
    address = graph.value(place, ns.SDO.address)
    assert graph.value(address, ns.SDO.postalCode) == Literal("69007")
    assert graph.value(address, ns.SDO.addressLocality) == Literal("Lyon")


def test_a_virtual_location_is_a_schema_virtual_location(sports: ConceptList) -> None:
    document = mapped(minimal_event(location=fixture(GANCIO_LOCATIONS["virtual"])), sports)
    graph = to_graph(document)
    assert (URIRef("https://virtual.location.org"), RDF.type, ns.SDO.VirtualLocation) in graph


# ---- Addressing ----


def test_the_public_collection_in_any_spelling(inbound: SchemaSet) -> None:
    assert normalise_public("as:Public") == [AS_PUBLIC]
    assert normalise_public(["Public", AS_PUBLIC, "https://x.example/followers"]) == [
        AS_PUBLIC,
        "https://x.example/followers",
    ]
    assert normalise_public(None) == []
    assert is_public(["https://x.example/followers", "as:Public"])
    assert not is_public("https://x.example/followers")

    activity = fixture("gancio-event-activity.json")
    activity["to"] = "as:Public"
    activity["object"]["to"] = ["Public"]
    assert validate_inbound(activity, inbound) == []
    fixed = normalise_addressing(activity)
    assert fixed["to"] == fixed["object"]["to"] == [AS_PUBLIC]
    assert activity["to"] == "as:Public"  # a copy: the input is left alone


def test_a_mapped_event_spells_the_public_collection_out(sports: ConceptList) -> None:
    document = mapped(minimal_event(to="as:Public", cc=["Public"]), sports)
    assert document["to"] == document["cc"] == [AS_PUBLIC]


# ---- Refused: one small change to a real payload, one field to blame ----


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path.strip("/").split("/")
        target: Any = document
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        key: Any = int(last) if isinstance(target, list) else last
        if value is _DELETE:
            del target[key]
        else:
            target[key] = value

    return change


_DELETE = object()

# One row each, so the table reads as a table.
# fmt: off
MALFORMED: list[tuple[str, str, Callable[[dict[str, Any]], None], str]] = [
    ("no name", "mobilizon", _set("/object/name", _DELETE), "/object/name"),
    ("empty name", "gancio", _set("/object/name", ""), "/object/name"),
    ("name a number", "gancio", _set("/object/name", 42), "/object/name"),
    ("name too long", "mobilizon", _set("/object/name", "x" * 1001), "/object/name"),
    ("no start", "gancio", _set("/object/startTime", _DELETE), "/object/startTime"),
    ("start in words", "mobilizon", _set("/object/startTime", "next tuesday"), "/object/startTime"),
    ("start without zone", "gancio", _set("/object/startTime", "2021-07-14T17:30:57"), "/object/startTime"),
    ("start on 30 February", "mobilizon", _set("/object/startTime", "2018-02-30T14:08:20Z"), "/object/startTime"),
    ("end before start", "gancio", _set("/object/endTime", "2021-07-14T16:30:57+02:00"), "/object/endTime"),
    ("no author", "gancio", _set("/object/attributedTo", _DELETE), "/object/attributedTo"),
    ("author not a URL", "mobilizon", _set("/object/attributedTo", "metacartes"), "/object/attributedTo"),
    ("object id not http", "gancio", _set("/object/id", "ftp://demo.gancio.org/m/1"), "/object/id"),
    ("activity id missing", "mobilizon", _set("/id", _DELETE), "/id"),
    ("actor missing", "gancio", _set("/actor", _DELETE), "/actor"),
    ("actor a script", "mobilizon", _set("/actor", "javascript:alert(1)"), "/actor"),
    ("actor an object", "gancio", _set("/actor", {"id": "https://demo.gancio.org/federation/u/gancio"}), "/actor"),
    ("object missing", "gancio", _set("/object", _DELETE), "/object"),
    ("object a number", "gancio", _set("/object", 7), "/object"),
    ("type we do not take", "gancio", _set("/type", "Like"), "/type"),
    ("to a number", "mobilizon", _set("/to", 5), "/to"),
    ("to not an address", "mobilizon", _set("/to/0", "everyone"), "/to/0"),
    ("cc far too long", "mobilizon", _set("/cc", [f"https://x.example/u/{i}" for i in range(1001)]), "/cc"),
    ("url a script", "mobilizon", _set("/object/url", "javascript:alert(1)"), "/object/url"),
    ("content too long", "gancio", _set("/object/content", "x" * 200_001), "/object/content"),
    ("summary a number", "gancio", _set("/object/summary", 1), "/object/summary"),
    ("sport a number", "gancio", _set("/object/sport", 3), "/object/sport"),
    ("schedule as text", "gancio", _set("/object/eventSchedule", "tuesdays"), "/object/eventSchedule"),
    ("criterion as text", "gancio", _set("/object/safeGuidance", "yes"), "/object/safeGuidance"),
    ("validity the wrong way", "gancio", lambda d: d["object"].update(validFrom="2026-02-01", validThrough="2026-01-01"), "/object/validThrough"),
]
# fmt: on


@pytest.mark.parametrize(
    ("source", "change", "pointer"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_variants_are_refused_at_the_field(
    source: str,
    change: Callable[[dict[str, Any]], None],
    pointer: str,
    inbound: SchemaSet,
    objects: SchemaSet,
    sports: ConceptList,
) -> None:
    activity = fixture(
        "mobilizon-post-activity.json" if source == "mobilizon" else "gancio-event-activity.json"
    )
    assert refusal(copy.deepcopy(activity), inbound, objects, sports) == set()
    change(activity)
    assert pointer in refusal(activity, inbound, objects, sports)


# What cannot be read of a place is left out, and the event kept (issue 14: a place that cannot be
# read does not sink its event). The last column: what is left of the location.
# fmt: off
LEFT_OUT: list[tuple[str, str, Callable[[dict[str, Any]], None], str, Any]] = [
    ("location by URL", "mobilizon", _set("/object/location", "https://event1.tcit.fr/address/1"), "/object/location", None),
    ("location a PostalAddress", "mobilizon", _set("/object/location/type", "PostalAddress"), "/object/location/type", None),
    ("address of no known shape", "mobilizon", _set("/object/location/address/type", "GeoCoordinates"), "/object/location/address/type", None),
    ("address a number", "mobilizon", _set("/object/location/address", 12), "/object/location/address", None),
    ("place with neither name nor address", "gancio", _set("/object/location", {"type": "Place"}), "/object/location", None),
    ("virtual without url", "gancio", _set("/object/location", {"type": "VirtualLocation"}), "/object/location/url", None),
    ("latitude in words", "mobilizon", lambda d: d["object"]["location"].update(latitude="north", longitude=4.8), "/object/location/latitude", "Locaux de Framasoft"),
    ("one coordinate", "mobilizon", lambda d: d["object"]["location"].update(latitude=45.7), "/object/location/longitude", "Locaux de Framasoft"),
    ("capacity in words", "mobilizon", _set("/object/maximumAttendeeCapacity", "twenty"), "/object/maximumAttendeeCapacity", "Locaux de Framasoft"),
]
# fmt: on


@pytest.mark.parametrize(
    ("source", "change", "pointer", "place"), [m[1:] for m in LEFT_OUT], ids=[m[0] for m in LEFT_OUT]
)
def test_what_cannot_be_read_of_a_place_is_left_out(
    source: str, change: Callable[[dict[str, Any]], None], pointer: str, place: Any,
    inbound: SchemaSet, objects: SchemaSet, sports: ConceptList,
) -> None:
    activity = fixture("mobilizon-post-activity.json" if source == "mobilizon" else "gancio-event-activity.json")
    change(activity)
    assert validate_inbound(activity, inbound) == []
    dropped: list[Any] = []
    document = event_to_activity(activity["object"], sports=sports, received=RECEIVED, at="/object", dropped=dropped)
    assert objects.errors("remote-activity", document) == []
    assert pointer in {problem.path for problem in dropped}
    assert document["name"] == activity["object"]["name"]
    assert (document["location"]["name"] if "location" in document else None) == place
    if place:
        assert "latitude" not in document["location"] and "longitude" not in document["location"]
    assert "maximumAttendeeCapacity" not in document


@pytest.mark.parametrize("capacity", [0, -1])
def test_a_capacity_of_zero_or_less_is_no_capacity(capacity: int, sports: ConceptList) -> None:
    """Mobilizon sends 0 for "no limit" on every event that sets none."""
    dropped: list[Any] = []
    document = mapped(minimal_event(maximumAttendeeCapacity=capacity), sports, dropped=dropped)
    assert "maximumAttendeeCapacity" not in document and dropped == []
    assert mapped(minimal_event(maximumAttendeeCapacity=12), sports)["maximumAttendeeCapacity"] == 12


def test_one_unreadable_location_of_several_is_left_out(sports: ConceptList) -> None:
    online = {"type": "VirtualLocation", "url": "https://meet.example/room"}
    dropped: list[Any] = []
    document = mapped(minimal_event(location=[{"type": "Hall"}, online]), sports, dropped=dropped)
    assert document["location"] == online
    assert [problem.path for problem in dropped] == ["/location/0/type"]


def test_the_mapping_refuses_by_itself(sports: ConceptList) -> None:
    """Without the schema in front (a backfilled outbox page), the mapping still says what is wrong."""
    event = fixture("gancio-event-activity.json")["object"]
    event.update(name="", endTime="2021-07-14T16:00:00+02:00", location={"type": "Hall"}, type="Note")
    with pytest.raises(MalformedEvent) as raised:
        mapped(event, sports, at="/object")
    error = raised.value
    assert isinstance(error, ValueError) and isinstance(error, SportnodeError) and error.status == 422
    # The location of an unknown type is left out rather than refused (test above).
    assert {f.path for f in error.fields} == {
        "/object/type",
        "/object/name",
        "/object/endTime",
    }


def test_a_bad_received_time_is_a_programming_error(sports: ConceptList) -> None:
    with pytest.raises(ValueError, match="received"):
        event_to_activity(minimal_event(), sports=sports, received="yesterday")


# ---- Contexts ----


def context_refusal(document: dict[str, Any]) -> list[str]:
    with pytest.raises(RefusedContext) as raised:
        check_context(document)
    assert isinstance(raised.value, ValueError) and raised.value.status == 400
    return [f.path for f in raised.value.fields]


def test_an_unknown_context_is_refused_at_the_top() -> None:
    activity = fixture("mobilizon-post-activity.json")
    activity["@context"].append(EVIL)
    assert context_refusal(activity) == ["/@context/3"]
    assert context_refusal({**activity, "@context": EVIL}) == ["/@context"]


def test_an_unknown_context_is_refused_inside_the_object() -> None:
    activity = fixture("gancio-event-activity.json")  # no top-level context at all
    activity["object"]["@context"] = ["https://www.w3.org/ns/activitystreams", EVIL]
    assert context_refusal(activity) == ["/object/@context/1"]
    activity["object"]["@context"] = EVIL
    activity["object"]["location"]["@context"] = "https://evil.example/other"
    assert context_refusal(activity) == ["/object/@context", "/object/location/@context"]


def test_contexts_hidden_in_an_inline_context_are_refused() -> None:
    activity = fixture("mobilizon-post-activity.json")
    inline = activity["@context"][2]
    inline["joinMode"]["@context"] = EVIL  # a scoped context
    inline["@import"] = "https://evil.example/imported.jsonld"
    assert context_refusal(activity) == ["/@context/2/@import", "/@context/2/joinMode/@context"]


def test_other_spellings_of_known_contexts_pass() -> None:
    check_context(
        {"@context": ["http://www.w3.org/ns/activitystreams/", "https://w3id.org/security/v1", None]}
    )
    check_context({"@context": {"sc": "http://schema.org#"}, "type": "Note"})
    check_context({"type": "Follow"})


def test_a_context_entry_of_a_wrong_type_is_refused() -> None:
    assert context_refusal({"@context": ["https://www.w3.org/ns/activitystreams", 5]}) == ["/@context/1"]


def test_the_bundled_litepub_context() -> None:
    litepub = load_context_document("https://litepub.social/litepub/context.jsonld")
    entries = litepub["@context"]
    assert entries[:2] == ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
    assert entries[2]["Hashtag"] == "as:Hashtag"
    # Inlined without a fetch: the two contexts litepub names are spliced in as objects.
    document = inline_contexts(fixture("mobilizon-post-activity.json"))
    assert all(isinstance(entry, dict) for entry in document["@context"])
    graph = Graph().parse(data=json.dumps(document), format="json-ld")
    assert (URIRef(document["object"]["id"]), RDF.type, AS.Event) in graph


def test_every_bundled_context_names_its_url() -> None:
    paths = sorted((ROOT / "vocab" / "contexts").glob("*.jsonld"))
    assert paths
    for path in paths:
        bundled = json.loads(path.read_text(encoding="utf-8"))
        assert load_context_document(bundled["url"])["@context"] == bundled["@context"]


# ---- Limits ----


def test_an_activity_nested_too_deep_fails_the_limits() -> None:
    activity = fixture("gancio-event-activity.json")
    body = json.dumps(activity).encode()
    assert parse_json_object(body, max_bytes=64 * 1024, max_depth=32) == activity
    deep: dict[str, Any] = {"name": "bottom"}
    for _ in range(40):
        deep = {"type": "Note", "inReplyTo": deep}
    activity["object"]["attachment"] = [deep]
    with pytest.raises(SportnodeError) as raised:
        parse_json_object(json.dumps(activity).encode(), max_bytes=64 * 1024, max_depth=32)
    assert raised.value.status == 400 and "nested" in raised.value.detail
