"""The read-only SPARQL endpoint on a real node: the graph follows writes, queries walk our SKOS lists,
updates and SERVICE are refused, and a runaway query is stopped within its time limit."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from aiohttp.test_utils import TestClient
from conftest import activity_input, create, place_input
from rdflib import Graph, Literal, URIRef

from node.paths import vocab_dir
from node.protocol.objects import place_document
from node.services.node import Node
from node.services.sparql_worker import Limits, in_child
from node.store.graph import GraphStore
from node.store.objects import put_object
from node.web.sparql import SPARQL

PREFIXES = """PREFIX sn: <https://w3id.org/sportnode/ns#>
PREFIX as: <https://www.w3.org/ns/activitystreams#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX sport: <https://w3id.org/sportnode/sports#>
"""
UNDER_BALSPORT = PREFIXES + "SELECT ?name WHERE { ?a a as:Event ; as:name ?name ; sn:sport/skos:broader* sport:balsport }"
Client = TestClient[Any, Any]


async def select(client: Client, query: str, **headers: str) -> list[dict[str, Any]]:
    response = await client.get("/sparql", params={"query": query}, headers=headers)
    assert response.status == 200, await response.text()
    assert response.content_type == "application/sparql-results+json"
    rows: list[dict[str, Any]] = (await response.json(content_type=None))["results"]["bindings"]
    return rows


async def names(client: Client, query: str) -> list[str]:
    return sorted(row["name"]["value"] for row in await select(client, query))


async def problem(response: Any, status: int, code: str) -> str:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    assert body["type"].endswith("#" + code) and body["status"] == status
    detail: str = body["detail"]
    return detail


async def test_select_walks_skos_broader(client: Client, club: dict[str, Any]) -> None:
    place = await create(client, club, "places", place_input())
    for name, sport in (("Korfbal jeugd", "korfbal"), ("Walking football", "walking-football"), ("Baantjes", "zwemmen")):
        await create(client, club, "activities", activity_input(place["id"], name=name, sport=sport))
    # walking-football is under voetbal, which is under balsport: two steps of skos:broader.
    assert await names(client, UNDER_BALSPORT) == ["Korfbal jeugd", "Walking football"]
    water = UNDER_BALSPORT.replace("sport:balsport", "sport:watersport")
    assert await names(client, water) == ["Baantjes"]


async def test_select_by_municipality_code_counts_each_object_once(client: Client, club: dict[str, Any]) -> None:
    amersfoort = await create(client, club, "places", place_input())
    zwolle = await create(
        client, club, "places",
        place_input(name="Sporthal Binnenstad", municipalityCode="GM0193", neighbourhoodCode="WK019310"),
    )
    for number in range(3):
        await create(client, club, "activities", activity_input(amersfoort["id"], name=f"Amersfoort {number}"))
    await create(client, club, "activities", activity_input(zwolle["id"], name="Zwolle"))
    query = PREFIXES + 'SELECT ?name WHERE { ?a as:name ?name ; as:location/sn:municipalityCode "GM0307" }'
    assert await names(client, query) == ["Amersfoort 0", "Amersfoort 1", "Amersfoort 2"]
    # The place is embedded in three activities and stored on its own: still one place in the graph.
    count = PREFIXES + 'SELECT (COUNT(*) AS ?n) WHERE { ?p a as:Place ; sn:municipalityCode "GM0307" }'
    assert (await select(client, count))[0]["n"]["value"] == "1"


async def test_construct_returns_parseable_turtle(client: Client, club: dict[str, Any]) -> None:
    place = await create(client, club, "places", place_input())
    activity = await create(client, club, "activities", activity_input(place["id"]))
    query = PREFIXES + f"CONSTRUCT {{ ?a as:name ?n ; sn:sport ?s }} WHERE {{ BIND(<{activity['id']}> AS ?a) ?a as:name ?n ; sn:sport ?s }}"
    response = await client.post("/sparql", data=query, headers={"Content-Type": "application/sparql-query"})
    assert response.status == 200 and response.content_type == "text/turtle"
    graph = Graph().parse(data=await response.text(), format="turtle")
    subject = URIRef(activity["id"])
    assert (subject, URIRef("https://www.w3.org/ns/activitystreams#name"), Literal(activity["name"])) in graph
    assert len(graph) == 2
    as_json_ld = await client.get("/sparql", params={"query": query}, headers={"Accept": "application/ld+json"})
    assert len(Graph().parse(data=await as_json_ld.text(), format="json-ld")) == 2


async def test_result_formats(client: Client, club: dict[str, Any]) -> None:
    await create(client, club, "places", place_input())
    query = PREFIXES + "SELECT ?name WHERE { ?p a as:Place ; as:name ?name }"
    expected = {
        "application/sparql-results+xml": "<literal>Sporthal Zuid</literal>",
        "text/csv": "name\r\nSporthal Zuid\r\n",
        "text/tab-separated-values": '?name\n"Sporthal Zuid"\n',
    }
    for media, text in expected.items():
        response = await client.get("/sparql", params={"query": query}, headers={"Accept": media})
        assert response.status == 200 and response.content_type == media
        assert text in await response.text()
    ask = await client.post("/sparql", data={"query": "ASK { ?s ?p ?o }"})
    assert (await ask.json(content_type=None))["boolean"] is True


async def test_results_follow_writes_and_deletes(client: Client, club: dict[str, Any]) -> None:
    place = await create(client, club, "places", place_input())
    activity = await create(client, club, "activities", activity_input(place["id"], name="Korfbal", sport="korfbal"))
    assert await names(client, UNDER_BALSPORT) == ["Korfbal"]
    key = activity["id"].rsplit("/", 1)[1]
    changed = activity_input(place["id"], name="Zwemmen", sport="zwemmen")
    response = await client.put(f"/api/activities/{key}", json=changed, headers=club["headers"])
    assert response.status == 200, await response.text()
    assert await names(client, UNDER_BALSPORT) == []
    everything = PREFIXES + "SELECT ?name WHERE { ?a a as:Event ; as:name ?name }"
    assert await names(client, everything) == ["Zwemmen"]
    response = await client.delete(f"/api/activities/{key}", headers=club["headers"])
    assert response.status in (200, 204), await response.text()
    assert await names(client, everything) == []
    tombstone = PREFIXES + f"ASK {{ <{activity['id']}> ?p ?o }}"
    assert (await (await client.get("/sparql", params={"query": tombstone})).json(content_type=None))["boolean"] is False


async def test_objects_of_other_nodes_are_in_the_graph(client: Client, node: Node) -> None:
    owner = "https://leusden.example/organisations/buurtsport"
    document = place_document(
        place_input(name="Sportpark De Korte Bergen", municipalityCode="GM0327", neighbourhoodCode=None),
        object_id="https://leusden.example/places/1", owner=owner, accessibility=[],
        published="2026-01-01T00:00:00Z", updated="2026-01-01T00:00:00Z",
    )
    async with node.db.write() as db:
        await put_object(db, "place", owner, document, origin=owner)
    query = PREFIXES + 'SELECT ?name WHERE { ?p as:name ?name ; sn:municipalityCode "GM0327" }'
    assert await names(client, query) == ["Sportpark De Korte Bergen"]


async def test_updates_are_refused(client: Client) -> None:
    for query in ("INSERT DATA { <http://a.example/> <http://a.example/p> 1 }", "DROP ALL", "LOAD <http://a.example/x.ttl>"):
        detail = await problem(await client.get("/sparql", params={"query": query}), 400, "update-not-allowed")
        assert "read-only" in detail
    form = await client.post("/sparql", data={"update": "CLEAR DEFAULT"})
    await problem(form, 400, "update-not-allowed")
    body = await client.post("/sparql", data="DELETE WHERE { ?s ?p ?o }", headers={"Content-Type": "application/sparql-query"})
    assert "DELETE WHERE" in await problem(body, 400, "update-not-allowed")
    assert len(await select(client, "SELECT * WHERE { ?s ?p ?o } LIMIT 1")) == 1  # nothing was cleared


async def test_service_is_refused(client: Client) -> None:
    nested = "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SELECT ?x WHERE { SERVICE <http://127.0.0.1:9/> { ?x ?y ?z } } } }"
    for query in ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", nested):
        await problem(await client.get("/sparql", params={"query": query}), 400, "service-not-allowed")


def test_a_query_child_cannot_reach_the_network_even_past_the_parser() -> None:
    """The fork that runs a query may open no descriptor: SERVICE sent straight to Oxigraph fails."""
    graph = GraphStore()
    graph.load_vocabulary(vocab_dir())
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]

        def run() -> Any:
            from node.services.sparql_worker import Answer

            try:
                list(graph.query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"))
            except OSError as failed:
                return Answer(599, detail=str(failed))
            return Answer(200)

        answer = in_child(run, Limits(timeout_s=5))
        assert answer.status == 599, answer
        try:
            listener.accept()
            raise AssertionError("the query child connected to the network")
        except BlockingIOError:
            pass


async def test_runaway_query_is_stopped_within_the_limit(client: Client) -> None:
    client.app[SPARQL].limits = Limits(timeout_s=1.0)
    await select(client, "SELECT * WHERE { ?s ?p ?o } LIMIT 1")  # the worker is up
    cross_join = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    response = await client.get("/sparql", params={"query": cross_join})
    elapsed = time.monotonic() - started
    assert "1 s" in await problem(response, 503, "query-timeout")
    assert response.headers["Retry-After"]
    assert elapsed < 2.5
    # Only the query's child was killed: the worker and its graph answer at once.
    started = time.monotonic()
    assert len(await select(client, "SELECT * WHERE { ?s ?p ?o } LIMIT 1")) == 1
    assert time.monotonic() - started < 1.0


async def test_bad_query_gets_the_parsers_message(client: Client) -> None:
    detail = await problem(await client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x"}), 400, "bad-query")
    assert "does not parse" in detail and "col:" in detail
    # Parsed by rdflib but refused by Oxigraph (an undeclared prefix): Oxigraph's message.
    detail = await problem(await client.get("/sparql", params={"query": "SELECT * WHERE { ?s nope:p ?o }"}), 400, "bad-query")
    assert "Prefix not found" in detail


async def test_row_cap_is_reported(client: Client) -> None:
    client.app[SPARQL].limits = Limits(max_rows=3)
    response = await client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.headers["Sportnode-Result-Limit"] == "3"
    assert response.headers["Sportnode-Truncated"] == "true"
    assert len(json.loads(await response.text())["results"]["bindings"]) == 3
    small = await client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 2"})
    assert "Sportnode-Truncated" not in small.headers


async def test_protocol_errors(client: Client) -> None:
    await problem(await client.get("/sparql"), 400, "bad-request")
    await problem(await client.post("/sparql", json={"query": "ASK {}"}), 415, "unsupported-media-type")
    await problem(
        await client.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "http://a.example/"}), 400, "bad-request"
    )
    construct = "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"
    await problem(await client.get("/sparql", params={"query": construct}, headers={"Accept": "text/csv"}), 406, "not-acceptable")
