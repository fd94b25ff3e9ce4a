"""The object pages (activity, organisation, place, course, and /aanbod for another host's object), served
by a real node on a fixed clock: the plain-words facts, the next sessions by the search API's own rules,
the calendar file, the JSON-LD block (read by rdflib) and Open Graph tags.

Hostile HTML from a peer is tested in test_object_pages_hostile.py; the browser and axe checks are in
tests/pages/test_pages_objects.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient
from conftest import activity_input, course_input, create, place_input
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from node.config import Config
from node.services.node import Node, open_node

SDO = Namespace("https://schema.org/")
HTML_ACCEPT = {"Accept": "text/html"}
MONDAY_NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # 13:00 in Amsterdam


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_NOON)


@pytest.fixture
async def node(config: Config, clock: Clock) -> AsyncIterator[Node]:
    opened = await open_node(config, clock=clock)
    yield opened
    await opened.close()


class Page(HTMLParser):
    """The parts of a page these tests read: JSON-LD blocks, meta and link tags, and the text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.json_ld: list[str] = []
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.hrefs: list[str] = []
        self.words: list[str] = []
        self._in_json_ld = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "script" and found.get("type") == "application/ld+json":
            self._in_json_ld = True
            self.json_ld.append("")
        elif tag == "meta":
            self.meta[found.get("property") or found.get("name", "")] = found.get("content", "")
        elif tag == "link":
            self.links[found.get("rel", "")] = found.get("href", "")
        elif tag == "a":
            self.hrefs.append(found.get("href", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_json_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_json_ld:
            self.json_ld[-1] += data
        else:
            self.words.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.words).split())


def schema_graph(block: str) -> Graph:
    """A JSON-LD block as RDF. The page names schema.org's context by URL; rdflib would fetch it, and
    tests never use the network: `{"@vocab": "https://schema.org/"}` is what that context says for
    the terms these blocks use."""
    data = json.loads(block)
    assert data["@context"] == "https://schema.org"
    data["@context"] = {"@vocab": "https://schema.org/"}
    graph = Graph()
    graph.parse(data=json.dumps(data), format="json-ld")
    return graph


async def get_page(client: TestClient[Any, Any], url: str) -> tuple[Page, str]:
    response = await client.get(url.replace("http://node.test", ""), headers=HTML_ACCEPT)
    text = await response.text()
    assert response.status == 200, text
    assert response.content_type == "text/html"
    return Page(text), text


@pytest.fixture
async def world(client: TestClient[Any, Any], club: dict[str, Any]) -> dict[str, Any]:
    place = await create(client, club, "places", place_input())
    weekly = await create(client, club, "activities", activity_input(place["id"], price=2.5, website="https://zwaluwen.example/aanmelden"))
    once = await create(client, club, "activities", _without_none(activity_input(
        place["id"], name="Sportdag in de wijk", schedule=None, startTime="2026-12-12T14:00:00+01:00",
        endTime="2026-12-12T16:00:00+01:00", price=0, ageRange={"min": 6, "max": 12}, targetGroups=["jeugd"])))
    course = await create(client, club, "courses", course_input(place["id"]))
    return {"place": place, "weekly": weekly, "once": once, "course": course, "club": club}


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


async def test_activity_page_says_when_where_cost_for_whom_and_how_to_join(
    client: TestClient[Any, Any], world: dict[str, Any]
) -> None:
    page, _ = await get_page(client, world["weekly"]["id"])
    text = page.text
    assert "elke dinsdag en donderdag 10:00-11:00, volgende keer dinsdag 8 december" in text
    for session in ("dinsdag 8 december, 10:00-11:00", "donderdag 10 december, 10:00-11:00",
                    "dinsdag 15 december, 10:00-11:00"):
        assert session in text
    assert "Sporthal Zuid" in text and "Sportlaan 12" in text and "3811 AB Amersfoort" in text
    assert "€ 2,50 per keer" in text
    assert "vanaf 65 jaar" in text and "Senioren" in text and "Rolstoeltoegankelijk" in text
    assert "Open voor mensen die extra steun nodig hebben" in text and "Nieuwe deelnemers zijn welkom" in text
    assert "Ans de Vries" in text and "mailto:ans@example.org" in page.hrefs
    assert "https://zwaluwen.example/aanmelden" in page.hrefs
    assert world["club"]["id"] in page.hrefs and "Korfbalvereniging De Zwaluwen" in text
    assert world["weekly"]["id"] + "/agenda.ics" in page.hrefs and "Zet in je agenda" in text
    assert "Laatst bevestigd op 7 december 2026" in text
    assert page.links["canonical"] == world["weekly"]["id"]


async def test_a_one_off_activity_gives_its_date_and_times(client: TestClient[Any, Any], world: dict[str, Any]) -> None:
    page, _ = await get_page(client, world["once"]["id"])
    assert "zaterdag 12 december, 14:00-16:00" in page.text
    assert "gratis" in page.text and "van 6 tot en met 12 jaar" in page.text


async def test_organisation_page_lists_its_activities_courses_and_places(
    client: TestClient[Any, Any], world: dict[str, Any]
) -> None:
    page, _ = await get_page(client, world["club"]["id"])
    for kind in ("weekly", "once", "course", "place"):
        assert world[kind]["id"] in page.hrefs, kind
    # Soonest first: the weekly one (Tuesday) before the one-off (Saturday).
    assert page.hrefs.index(world["weekly"]["id"]) < page.hrefs.index(world["once"]["id"])
    assert "Activiteiten" in page.text and "Cursussen" in page.text and "Locaties" in page.text


async def test_place_page_gives_address_map_and_what_is_held_there(
    client: TestClient[Any, Any], world: dict[str, Any]
) -> None:
    page, text = await get_page(client, world["place"]["id"])
    assert "Sportlaan 12" in page.text and "3811 AB Amersfoort" in page.text
    assert 'data-point-lat="52.1486"' in text and 'data-point-lon="5.3878"' in text
    for kind in ("weekly", "once", "course"):
        assert world[kind]["id"] in page.hrefs, kind


async def test_course_page_lists_instances_with_dates_mode_cost_and_place(
    client: TestClient[Any, Any], world: dict[str, Any]
) -> None:
    page, _ = await get_page(client, world["course"]["id"])
    text = page.text
    assert "1 februari 2027 tot en met 2 februari 2027" in text and "op locatie" in text
    assert "€ 95,00" in text and "1 maart 2027" in text and "online" in text and "€ 45,00" in text
    assert world["place"]["id"] in page.hrefs and "Sportacademie Utrecht" in text


@pytest.mark.parametrize("kind", ["weekly", "once", "course", "place", "club"])
async def test_head_has_json_ld_open_graph_and_canonical(
    client: TestClient[Any, Any], world: dict[str, Any], kind: str
) -> None:
    object_id = world[kind]["id"]
    page, _text = await get_page(client, object_id)
    assert len(page.json_ld) == 1
    assert "</" not in page.json_ld[0]
    graph = schema_graph(page.json_ld[0])
    subject = URIRef(object_id)
    name = "Korfbalvereniging De Zwaluwen" if kind == "club" else world[kind]["name"]
    assert (subject, SDO.name, Literal(name)) in graph
    assert page.meta["og:title"] == name and page.meta["og:url"] == object_id
    assert page.meta["og:type"] and page.meta["og:locale"] == "nl_NL"
    assert page.links["canonical"] == object_id
    expected_type = {"weekly": SDO.Event, "once": SDO.Event, "course": SDO.Course, "place": SDO.Place,
                     "club": SDO.SportsOrganization}[kind]
    assert (subject, RDF.type, expected_type) in graph


async def test_an_events_json_ld_has_the_fields_search_engines_read(
    client: TestClient[Any, Any], world: dict[str, Any]
) -> None:
    page, _ = await get_page(client, world["weekly"]["id"])
    graph = schema_graph(page.json_ld[0])
    event = URIRef(world["weekly"]["id"])
    assert graph.value(event, SDO.startDate) == Literal("2026-12-08T10:00:00+01:00")
    assert graph.value(event, SDO.endDate) == Literal("2026-12-08T11:00:00+01:00")
    assert str(graph.value(event, SDO.eventStatus)) == "https://schema.org/EventScheduled"
    assert str(graph.value(event, SDO.eventAttendanceMode)) == "https://schema.org/OfflineEventAttendanceMode"
    assert str(graph.value(event, SDO.description)) == "Rustig voetballen, zonder rennen. Koffie na afloop."
    schedule = graph.value(event, SDO.eventSchedule)
    assert {str(d) for d in graph.objects(schedule, SDO.byDay)} == {"https://schema.org/Tuesday", "https://schema.org/Thursday"}
    place = URIRef(world["place"]["id"])
    assert graph.value(event, SDO.location) == place
    address = graph.value(place, SDO.address)
    assert graph.value(address, RDF.type) == SDO.PostalAddress
    assert graph.value(address, SDO.postalCode) == Literal("3811 AB")
    geo = graph.value(place, SDO.geo)
    assert float(graph.value(geo, SDO.latitude)) == 52.1486  # type: ignore[arg-type]
    assert graph.value(event, SDO.organizer) == URIRef(world["club"]["id"])
    offer = graph.value(event, SDO.offers)
    assert float(graph.value(offer, SDO.price)) == 2.5 and graph.value(offer, SDO.priceCurrency) == Literal("EUR")  # type: ignore[arg-type]


async def test_script_end_tags_in_our_own_text_stay_text_in_the_page_and_its_json_ld(
    client: TestClient[Any, Any], club: dict[str, Any]
) -> None:
    """An organisation may write "</script>" in a name or description: our text is escaped text, so it
    reaches the JSON-LD as those characters, which must not end the <script> element."""
    place = await create(client, club, "places", place_input())
    name = "Gym &lt;/script&gt;<script>alert(1)</script>"
    description = "Neem mee: </script><script>alert(2)</script> <!-- en een handdoek"
    activity = await create(client, club, "activities", activity_input(place["id"], name=name, description=description))
    page, text = await get_page(client, activity["id"])
    assert text.count("<script") == text.count('<script type="application/ld+json">') + text.count("<script src=")
    assert len(page.json_ld) == 1 and "<" not in page.json_ld[0]
    data = json.loads(page.json_ld[0])
    assert "</script>" in data["description"] and "<!--" in data["description"]
    assert data["name"].startswith("Gym")
    assert "Neem mee: </script><script>alert(2)</script> <!-- en een handdoek" in page.text


async def test_the_next_sessions_follow_the_search_apis_rules(
    client: TestClient[Any, Any], club: dict[str, Any], clock: Clock
) -> None:
    place = await create(client, club, "places", place_input())
    made = [
        await create(client, club, "activities", _without_none(activity_input(place["id"], **changes)))
        for changes in (
            {"schedule": {"days": ["monday"], "startTime": "13:00", "endTime": "14:00"}},  # starts this minute
            {"schedule": {"days": ["monday"], "startTime": "12:30", "endTime": "13:30"}},  # passed today
            {"schedule": {"days": ["friday"], "startTime": "19:00", "endTime": "20:00", "startDate": "2027-01-04"}},
            {"schedule": {"days": ["sunday"], "startTime": "09:00", "endTime": "10:00", "endDate": "2026-12-01"}},
            {"schedule": None, "startTime": "2026-12-07T13:00:00+01:00", "endTime": "2026-12-07T15:00:00+01:00"},
            {"schedule": None, "startTime": "2026-12-01T13:00:00+01:00", "endTime": "2026-12-01T15:00:00+01:00"},
            {"schedule": None, "startTime": "2027-06-20T09:30:00+02:00", "endTime": "2027-06-20T11:00:00+02:00"},
        )
    ]
    ids = [m["id"] for m in made]
    for moment in (MONDAY_NOON, MONDAY_NOON + timedelta(seconds=59), MONDAY_NOON + timedelta(minutes=1),
                   MONDAY_NOON + timedelta(days=5, hours=7)):
        clock.moment = moment
        response = await client.get("/api/search?limit=50&sort=next")
        assert response.status == 200
        api = {item["id"]: item.get("nextOccurrence") for item in (await response.json())["items"]}
        for object_id in ids:
            _page, text = await get_page(client, object_id)
            times = re.findall(r'<time datetime="([^"]+)"', text)
            assert (times[0] if times else None) == api.get(object_id), (object_id, moment)
    clock.moment = MONDAY_NOON


async def test_agenda_file_is_the_activity_as_icalendar(client: TestClient[Any, Any], world: dict[str, Any]) -> None:
    url = world["weekly"]["id"].replace("http://node.test", "") + "/agenda.ics"
    response = await client.get(url)
    assert response.status == 200
    assert response.content_type == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    body = (await response.text()).replace("\r\n ", "")
    assert body.count("BEGIN:VEVENT") == 1
    assert "SUMMARY:Walking football voor 65-plussers" in body
    assert "RRULE:FREQ=WEEKLY" in body and "BYDAY=TU,TH" in body
    assert f"UID:{world['weekly']['id']}" in body
    missing = await client.get("/activities/0000/agenda.ics")
    assert missing.status == 404


async def test_remote_page_needs_an_id_and_knows_what_it_holds(
    client: TestClient[Any, Any], world: dict[str, Any]
) -> None:
    missing = await client.get("/aanbod", headers=HTML_ACCEPT)
    assert missing.status == 400 and missing.content_type == "text/html"
    unknown = await client.get("/aanbod?id=" + quote("https://elders.example/activities/x", safe=""), headers=HTML_ACCEPT)
    assert unknown.status == 404 and unknown.content_type == "text/html"
    assert unknown.headers["Content-Language"] == "nl"
    as_api = await client.get("/aanbod?id=" + quote("https://elders.example/activities/x", safe=""))
    assert as_api.status == 404 and as_api.content_type == "application/problem+json"
    own = await client.get("/aanbod?id=" + quote(world["weekly"]["id"], safe=""), allow_redirects=False)
    assert own.status == 302 and own.headers["Location"] == world["weekly"]["id"]


async def test_linked_data_of_the_same_urls_is_unchanged(client: TestClient[Any, Any], world: dict[str, Any]) -> None:
    url = world["weekly"]["id"].replace("http://node.test", "")
    as_json = await client.get(url, headers={"Accept": "application/activity+json"})
    assert as_json.status == 200 and (await as_json.json())["id"] == world["weekly"]["id"]
    as_turtle = await client.get(url, headers={"Accept": "text/turtle"})
    assert as_turtle.status == 200 and "schema:" in await as_turtle.text()
