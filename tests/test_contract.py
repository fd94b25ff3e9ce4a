"""The contract holds: schemathesis reads /openapi.json from a real node serving a small demo (a real
SQLite file, on loopback, in a thread of its own) and sends each documented operation a bounded number
of generated requests. No answer may be a 5xx, and every answer must match what the document says of
its status, content type, headers and body.

The inbox POSTs are left out: a generated body is never signed, so every one is a 401 before it is read
(tests/test_inbox_fuzz.py sends signed hostile bodies). Write operations run without a token and with an
admin's, against the demo's copy in tmp_path.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis import checks
from schemathesis.config import SchemathesisConfig
from test_demo_node import free_port

from node.cli.main import main
from node.config import Config, RateLimits
from node.services.node import Node, open_node
from node.services.openapi import load as load_openapi
from node.services.organisations import issue_admin_token
from node.web.app import create_app

EXAMPLES_PER_OPERATION = 10
# What the contract promises: no server error, and answers as documented (status, content type, headers,
# body). Left out: whether every schema-valid request is accepted and every invalid one refused
# (positive_data_acceptance, negative_data_rejection): the document states the shape of a parameter
# ("a string"), not every rule the node checks ("a CBS code that exists"), and those refusals are 4xx
# in the one error shape, which the checks below do hold them to.
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_headers_conformance, checks.response_schema_conformance]
LONGEST_REQUEST_LINE = 8190 - len("GET  HTTP/1.1")  # aiohttp's max_line_size
SETTINGS = SchemathesisConfig.from_dict({
    "seed": 16,  # the same requests on every run: a failure here is a failure on the next run too
    "suppress-health-check": ["too_slow", "filter_too_much", "large_base_example"],
    "generation": {"max-examples": EXAMPLES_PER_OPERATION, "database": "none"},
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
})


@dataclasses.dataclass
class Served:
    base_url: str
    admin: dict[str, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A small demo node on its own event loop in a thread: schemathesis's requests are synchronous."""
    from aiohttp import web

    folder, port = tmp_path_factory.mktemp("contract") / "data", free_port()
    argv = ["demo", "--port", str(port), "--dir", str(folder), "--load-only", "--organisations", "4",
            "--activities", "16", "--seed", "16"]
    assert main(argv) == 0
    # Rate limits have their own tests; here every generated request must reach its handler.
    unlimited = dataclasses.replace(
        RateLimits(), per_minute=tuple((name, 1_000_000) for name, _ in RateLimits().per_minute),
        inbox_per_host_per_minute=1_000_000,
    )
    config = Config(name="Sportnode contract", base_url=f"http://127.0.0.1:{port}", data_dir=folder,
                    development=True, port=port, rate_limits=unlimited)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="contract-node", daemon=True)
    thread.start()

    async def start() -> tuple[Node, web.AppRunner, str]:
        node = await open_node(config)
        token = await issue_admin_token(node)
        runner = web.AppRunner(create_app(node), handle_signals=False, shutdown_timeout=5.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return node, runner, token

    node, runner, token = asyncio.run_coroutine_threadsafe(start(), loop).result(60)
    yield Served(config.base_url, {"Authorization": f"Bearer {token}"})

    async def stop() -> None:
        await runner.cleanup()
        await node.close()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(60)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as opened:
        yield opened


# The document the node serves at /openapi.json is this one with the node's URL as its server (the
# first test checks so); read here, at collection, so that each operation is a test of its own.
schema = schemathesis.openapi.from_dict(load_openapi(), config=SETTINGS).exclude(
    path_regex=r"(^|/)inbox$", method="POST"
)


def test_the_node_serves_the_document_tested(served: Served) -> None:
    response = requests.get(f"{served.base_url}/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.json() == load_openapi(server_url=served.base_url)


def call_and_check(case: Any, served: Served, session: requests.Session, headers: dict[str, str] | None = None) -> None:
    response = case.call(base_url=served.base_url, session=session, headers=headers, timeout=30)
    if len(response.request.url) > LONGEST_REQUEST_LINE and response.status_code == 400:
        # aiohttp's HTTP parser refuses a request line this long before any route or handler sees it
        # (as nginx does with 414): plain text, outside the document; not a 5xx, which is what counts here.
        return
    case.validate_response(response, checks=CHECKS, headers=headers)


@schema.parametrize()
def test_every_operation_answers_as_documented(case: Any, served: Served, session: requests.Session) -> None:
    call_and_check(case, served, session)


@schema.include(method=["POST", "PUT", "DELETE"]).parametrize()
def test_every_write_operation_answers_as_documented_with_a_token(
    case: Any, served: Served, session: requests.Session
) -> None:
    call_and_check(case, served, session, served.admin)



@pytest.mark.parametrize("path", [
    "/activities?page=8698195102427806720", "/activities?page=%C2%B2", "/followers?page=24192962806876319915180032",
    "/followers?page=%C2%B2", "/outbox?after=%C2%B2", "/openactive/events?afterTimestamp=%C2%B2&afterId=x",
])
def test_page_numbers_found_by_schemathesis_are_refused_not_failed(served: Served, path: str) -> None:
    """A page past any collection's end made an OFFSET too large for SQLite, and "²" passed str.isdigit()
    but not int(): both were 500s."""
    response = requests.get(served.base_url + path, timeout=10, headers={"Accept": "application/json"})
    assert response.status_code in (400, 404), (path, response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("application/problem+json")
