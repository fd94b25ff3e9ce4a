"""Observability: /metrics parses with prometheus-client's own parser and moves when traffic moves
(requests by route class, inbox outcomes, the delivery queue, jobs); it is refused to addresses not
allowed, also through a proxy; /healthz and /readyz; the alert rules and the dashboard name only
metrics the node has."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from conftest import activity_input, create, place_input
from federation_net import Network, Peer, eventually
from prometheus_client.parser import text_string_to_metric_families

from node.config import Config
from node.federation import follows
from node.services.node import Node, open_node
from node.web.app import create_app

Client = TestClient[Any, Any]
ROOT = Path(__file__).resolve().parents[1]
AS = "https://www.w3.org/ns/activitystreams"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample by (name, sorted labels), through prometheus-client's parser."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(client: Client) -> Samples:
    response = await client.get("/metrics")
    assert response.status == 200, await response.text()
    assert response.content_type == "text/plain"
    return parse(await response.text())


async def test_metrics_parse_and_move_with_traffic(client: Client, club: dict[str, Any]) -> None:
    before = await scrape(client)
    assert value(before, "sportnode_info", version="0.1.0", role="node") == 1
    assert value(before, "sportnode_database_size_bytes", file="database") > 0
    assert value(before, "sportnode_schema_version") >= 14
    assert value(before, "process_resident_memory_bytes") > 0

    place = await create(client, club, "places", place_input())
    await create(client, club, "activities", activity_input(place["id"]))
    for _ in range(3):
        assert (await client.get("/api/search?q=football")).status == 200
    assert (await client.get("/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D")).status == 200
    assert (await client.get("/zoeken", headers={"Accept": "text/html"})).status == 200
    assert (await client.get("/.well-known/nodeinfo")).status == 200
    assert (await client.get("/no/such/path")).status == 404
    unsigned = await client.post("/inbox", data=b"{}", headers={"Content-Type": "application/activity+json"})
    assert unsigned.status == 401
    after = await scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("sportnode_http_request_duration_seconds_count", route="search") == 3
    assert moved("sportnode_http_requests_total", route="search", status="2xx") == 3
    assert moved("sportnode_http_requests_total", route="api", status="2xx") == 2  # the two writes
    assert moved("sportnode_http_requests_total", route="sparql", status="2xx") == 1
    assert moved("sportnode_http_requests_total", route="page", status="2xx") == 1
    assert moved("sportnode_http_requests_total", route="federation", status="2xx") == 1
    assert moved("sportnode_http_requests_total", route="other", status="4xx") == 1
    assert moved("sportnode_http_requests_total", route="inbox", status="4xx") == 1
    assert moved("sportnode_inbox_activities_total", outcome="refused", reason="unauthorized") == 1
    assert moved("sportnode_http_request_duration_seconds_sum", route="search") > 0
    # The first scrape counts too (route class "other"): a scrape is a request like any other.
    assert moved("sportnode_http_requests_total", route="other", status="2xx") == 1
    # Only the fixed route classes are labels, never a path.
    routes = {dict(labels)["route"] for (name, labels) in after if name == "sportnode_http_requests_total"}
    assert routes == {"page", "api", "search", "sparql", "inbox", "federation", "static", "other"}


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Network, Peer, Peer]]:
    net = Network(tmp_path)
    origin, follower = await net.add("origin"), await net.add("follower")
    yield net, origin, follower
    await net.close()


async def scrape_peer(net: Network, peer: Peer) -> Samples:
    async with net.http.get(peer.base + "/metrics") as response:
        assert response.status == 200, await response.text()
        return parse(await response.text())


async def test_inbox_outcomes_the_delivery_queue_and_jobs_are_counted(pair: tuple[Network, Peer, Peer]) -> None:
    net, origin, follower = pair
    # The start-up job ran once on each node.
    await eventually(lambda: _job_ran(net, origin), 10.0, "the follow-configured job to be counted")
    await follows.follow(follower.running, origin.actor)  # a Follow to origin's inbox, then its Accept back
    await eventually(lambda: _accepted(follower), 15.0, "the follow to be accepted")
    samples = await scrape_peer(net, origin)
    assert value(samples, "sportnode_inbox_activities_total", outcome="accepted", reason="applied") == 1
    assert value(samples, "sportnode_job_runs_total", job="follow-configured", outcome="ok") == 1
    assert value(samples, "sportnode_job_duration_seconds_count", job="follow-configured") == 1
    assert value(samples, "sportnode_job_last_success_timestamp_seconds", job="follow-configured") > 0

    like = {"@context": AS, "id": f"{follower.base}/ap/like-1", "type": "Like", "actor": follower.actor,
            "object": origin.actor}
    for _ in range(2):
        assert (await net.signed_post(origin, like, follower))[0] == 202
    note = {"@context": AS, "id": f"{follower.base}/ap/note-1", "type": "Create", "actor": follower.actor,
            "object": {"id": f"{follower.base}/notes/1", "type": "Note", "content": "hoi"}}
    assert (await net.signed_post(origin, note, follower))[0] == 202
    [(follow_id,)] = await follower.query("SELECT follow_id FROM following")
    again = {"@context": AS, "id": follow_id, "type": "Follow", "actor": follower.actor, "object": origin.actor}
    assert (await net.signed_post(origin, again, follower))[0] == 202  # a redelivery
    samples = await scrape_peer(net, origin)
    assert value(samples, "sportnode_inbox_activities_total", outcome="ignored", reason="activity-type") == 2
    assert value(samples, "sportnode_inbox_activities_total", outcome="ignored", reason="object-type") == 1
    assert value(samples, "sportnode_inbox_activities_total", outcome="accepted", reason="duplicate") == 1

    # The follower goes down: what origin publishes now waits in its queue for the follower's host.
    host = follower.base.removeprefix("http://")
    assert value(samples, "sportnode_delivery_queue_depth", host=host) == 0
    await follower.stop()
    club = await net.organisation(origin, "Sportclub Noord")
    await net.api(origin, "POST", "/api/places", club["headers"], place_input(name="Sporthal Noord"))
    await eventually(lambda: _retrying(origin), 15.0, "a delivery to the stopped follower to fail")
    samples = await scrape_peer(net, origin)
    assert value(samples, "sportnode_delivery_queue_depth", host=host) >= 2  # the organisation and its place
    assert value(samples, "sportnode_delivery_retrying", host=host) >= 1
    assert value(samples, "sportnode_delivery_queue_oldest_seconds", host=host) >= 0
    await origin.running.db.close()  # not the node: only to see /readyz fail when the database does not answer
    async with net.http.get(origin.base + "/readyz") as response:
        assert response.status == 503


async def _job_ran(net: Network, peer: Peer) -> bool:
    return value(await scrape_peer(net, peer), "sportnode_job_runs_total", job="follow-configured", outcome="ok") == 1


async def _accepted(peer: Peer) -> bool:
    return await peer.query("SELECT state FROM following") == [("accepted",)]


async def _retrying(peer: Peer) -> bool:
    return bool(await peer.query("SELECT 1 FROM deliveries WHERE attempts > 0"))


@pytest.fixture
async def closed_metrics(config: Config) -> AsyncIterator[Node]:
    opened = await open_node(dataclasses.replace(config, metrics_allow=("10.0.0.0/8", "::1")))
    yield opened
    await opened.close()


async def test_metrics_are_refused_to_addresses_not_allowed(closed_metrics: Node, client: Client, aiohttp_client: Any) -> None:
    closed: Client = await aiohttp_client(create_app(closed_metrics))
    response = await closed.get("/metrics")  # from 127.0.0.1, not in the list
    assert response.status == 403 and response.content_type == "application/problem+json"
    assert "[metrics] allow" in (await response.json())["detail"]
    # The default list allows loopback, but not a request a proxy brought from elsewhere.
    assert (await client.get("/metrics")).status == 200
    for header, address in (("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-For", "127.0.0.1, 198.51.100.2"),
                            ("X-Real-IP", "2001:db8::1"), ("X-Forwarded-For", "not-an-address")):
        assert (await client.get("/metrics", headers={header: address})).status == 403, (header, address)
    assert (await client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})).status == 200


async def test_health_and_readiness(client: Client, node: Node) -> None:
    for path, text in (("/healthz", "ok\n"), ("/readyz", "ready\n")):
        response = await client.get(path)
        assert response.status == 200 and await response.text() == text
    # A database whose last migration has not run (as while an upgrade's migrations run) is not ready.
    with sqlite3.connect(node.config.db_path) as db:
        db.execute("DELETE FROM schema_version WHERE version = (SELECT max(version) FROM schema_version)")
    response = await client.get("/readyz")
    assert response.status == 503 and "pending" in await response.text()


def _names(text: str) -> set[str]:
    return set(re.findall(r"\b(sportnode_[a-z_]+|process_[a-z_]+)", text))


async def test_alerts_and_dashboard_name_only_metrics_the_node_has(client: Client) -> None:
    families = {family.name for family in text_string_to_metric_families(await (await client.get("/metrics")).text())}
    rules = yaml.safe_load((ROOT / "deploy" / "monitoring" / "alerts.yml").read_text(encoding="utf-8"))
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert all(rule.get("alert") and rule.get("annotations", {}).get("summary")
               for group in rules["groups"] for rule in group["rules"])
    dashboard = json.loads((ROOT / "deploy" / "monitoring" / "grafana-dashboard.json").read_text(encoding="utf-8"))
    targets = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    assert exprs and targets
    for expr in exprs + targets:
        for name in _names(expr):
            family = re.sub(r"_(bucket|count|sum|total)$", "", name)
            assert family in families, f"{name} in {expr!r} is not a metric of the node"


def test_json_logs_are_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from node.cli.logs import use_format

    logger = logging.getLogger("node.test_json_logs")
    handler = logging.StreamHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    formatters = [(h, h.formatter) for h in root.handlers]
    try:
        use_format("json")
        logger.warning("delivery to %s failed", "peer.example")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("job failed")
    finally:
        for each, formatter in formatters:  # pytest's own handlers are on the root logger too
            each.setFormatter(formatter)
        root.removeHandler(handler)
    lines = capsys.readouterr().err.strip().splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "delivery to peer.example failed" and first["level"] == "WARNING"
    assert first["logger"] == "node.test_json_logs" and first["time"].endswith("Z")
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exception"]
