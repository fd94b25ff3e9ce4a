"""Real payloads, read generously: a Mobilizon event as Mobilizon's converter writes it (capacity 0 for no
limit, the fields we do not read) is stored; coordinates that contradict a Dutch address are exchanged
back when that makes them fit, else dropped; a place that cannot be read does not sink its event."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest
from conftest import SHARED
from federation_net import Network, Peer
from inbox_net import pair as pair  # the fixture
from inbox_net import post

from node.federation.places import area_finder, check_coordinates
from node.protocol.coordinates import Area, Verdict, check, checked_place, distance_km, is_dutch
from node.services.area_index import load_area_index

MOBILIZON = "https://mobilizon.fr"
# Stadhuisplein 1, 3811 LM Amersfoort.
AMERSFOORT = {"type": "PostalAddress", "streetAddress": "Stadhuisplein 1", "postalCode": "3811 LM",
              "addressLocality": "Amersfoort", "addressCountry": "NL"}
LAT, LON = 52.1561, 5.3878
# What Mobilizon's own converter writes besides (framasoft/mobilizon,
# lib/federation/activity_stream/converter/event.ex, model_to_as): capacity 0 when none is set.
CONVERTER_FIELDS = {"uuid": "39a0c4a6-f2b6-41dc-bbe2-fc5bff76cc93", "mediaType": "text/html", "joinMode": "free",
                    "maximumAttendeeCapacity": 0, "repliesModerationOption": "allow_all", "commentsEnabled": True,
                    "anonymousParticipationEnabled": False, "ical:status": "CONFIRMED",
                    "endTime": "2018-02-12T16:08:20Z", "updated": "2018-02-12T14:08:20Z"}


def mobilizon_event(sender: Peer, key: str, **place: Any) -> dict[str, Any]:
    """The recorded Mobilizon Create (../shared), moved onto the sender, with the converter's fields and
    a Dutch place."""
    text = (SHARED / "fixtures" / "fediverse" / "mobilizon-post-activity.json").read_text(encoding="utf-8")
    activity: dict[str, Any] = json.loads(text.replace("https://mobilizon.fr/@metacartes", sender.actor)
                                          .replace(MOBILIZON, sender.base))
    activity["id"] += f"-{key}"
    event = activity["object"]
    event.update(CONVERTER_FIELDS, id=f"{event['id']}-{key}", url=f"{event['id']}-{key}")
    event["location"] = {"type": "Place", "name": "Stadhuis", "id": f"{sender.base}/address/{key}",
                         "address": AMERSFOORT, **place}
    return activity


async def stored(target: Peer, object_id: str) -> dict[str, Any]:
    rows = await target.query("SELECT document FROM objects WHERE id = ?", object_id)
    assert rows, f"{object_id} was not stored"
    document: dict[str, Any] = json.loads(rows[0][0])
    return document


async def test_mobilizon_events_through_a_signed_inbox(pair: tuple[Network, Peer, Peer],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    net, target, sender = pair
    key = await sender.key()
    cases = {
        "right": mobilizon_event(sender, "right", latitude=LAT, longitude=LON),
        # Older Mobilizon versions published the two exchanged.
        "exchanged": mobilizon_event(sender, "exchanged", latitude=LON, longitude=LAT),
        # Utrecht's Domtoren: in the Netherlands, but 20 km from the Amersfoort of the address.
        "elsewhere": mobilizon_event(sender, "elsewhere", latitude=52.0907, longitude=5.1214 - 0.2),
        "unreadable": mobilizon_event(sender, "unreadable"),
        # Read, but not a place of our model (our peers' CBS code, malformed): left out after the schema.
        "unfit": mobilizon_event(sender, "unfit", municipalityCode="Amersfoort"),
    }
    cases["unreadable"]["object"]["location"] = {"type": "Hall", "name": 12}
    caplog.set_level(logging.INFO, logger="node.federation")
    for name, activity in cases.items():
        status, _, text = await post(net, target, json.dumps(activity).encode(), key)
        assert status == 202, (name, text)
    right = await stored(target, cases["right"]["object"]["id"])
    assert "maximumAttendeeCapacity" not in right  # 0: no limit
    assert (right["location"]["latitude"], right["location"]["longitude"]) == (LAT, LON)
    exchanged = await stored(target, cases["exchanged"]["object"]["id"])
    assert (exchanged["location"]["latitude"], exchanged["location"]["longitude"]) == (LAT, LON)
    elsewhere = await stored(target, cases["elsewhere"]["object"]["id"])
    assert elsewhere["location"]["address"] == AMERSFOORT and "latitude" not in elsewhere["location"]
    unreadable = await stored(target, cases["unreadable"]["object"]["id"])
    assert "location" not in unreadable and unreadable["name"] == "My first event"
    assert "location" not in await stored(target, cases["unfit"]["object"]["id"])
    logged = caplog.text
    assert "were exchanged; corrected" in logged and "do not fit its address; dropped" in logged
    assert "left out /object/location" in logged and "left out /location/municipalityCode" in logged


def test_the_judging_is_pure_and_dutch_only() -> None:
    amersfoort = Area("Amersfoort", 52.17456, 5.38441, 30.0)
    assert check(LAT, LON, amersfoort) is Verdict.KEPT
    assert check(LON, LAT, amersfoort) is Verdict.SWAPPED
    assert check(52.37, 4.89, amersfoort) is Verdict.DROPPED  # Amsterdam, 50 km off
    assert check(LAT, LON, None) is Verdict.KEPT  # in the Netherlands, town unknown
    assert check(48.85, 2.35, None) is Verdict.DROPPED  # Paris for a Dutch address
    assert 40 < distance_km(52.37, 4.89, 52.17, 5.38) < 45
    assert is_dutch(AMERSFOORT) and is_dutch({"postalCode": "3811LM"}) and is_dutch({"addressCountry": "Nederland"})
    assert not is_dutch({"addressCountry": "France", "postalCode": "69007"}) and not is_dutch("Amersfoort")
    lyon = {"type": "Place", "address": {"addressLocality": "Lyon", "addressCountry": "France"},
            "latitude": 4.84, "longitude": 45.76}
    assert checked_place(lyon, lambda place: None) == (lyon, Verdict.KEPT)  # not ours to judge


def test_the_cbs_areas_name_where_a_dutch_place_lies() -> None:
    areas = load_area_index()
    area_of = area_finder(areas)
    assert area_of({"address": {"addressLocality": "amersfoort"}}).name == "Amersfoort"
    assert area_of({"address": {"addressLocality": "'s-Hertogenbosch"}}).name == "'s-Hertogenbosch"
    assert area_of({"address": {"addressLocality": "Hoogland"}}).radius_km == 10.0  # a wijk of Amersfoort
    assert area_of({"address": {"addressLocality": "Centrum"}}) is None  # twenty wijken share the name
    assert area_of({"municipalityCode": "GM0327", "address": "Leusden"}).name == "Leusden"
    event = {"id": "https://x.example/e", "type": "Event", "location": [
        {"type": "Place", "name": "a", "address": {**AMERSFOORT, "addressLocality": "Hoogland"},
         "latitude": 5.376, "longitude": 52.185},
        {"type": "VirtualLocation", "url": "https://meet.example/room"}]}
    fixed = check_coordinates(copy.deepcopy(event), areas)
    assert (fixed["location"][0]["latitude"], fixed["location"][0]["longitude"]) == (52.185, 5.376)
    assert fixed["location"][1] == event["location"][1]
