"""Observability: Prometheus metrics at /metrics (to configured addresses only), /healthz and /readyz.

Each app has its own registry: several nodes run in one process (the demo federation, the tests),
and each must count only its own traffic. Request metrics are labelled by a small fixed set of route
classes, never by path, so no client can create new time series. The delivery queue and the database
size are read when Prometheus scrapes, not kept up to date on every write.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from node import __version__, observe
from node.errors import SportnodeError, forbidden
from node.services.node import Node
from node.store.database import migration_files
from node.store.health import delivery_queue, schema_version
from node.web.appkeys import NODE

ROUTE_CLASSES = ("page", "api", "search", "sparql", "inbox", "federation", "static", "other")
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
JOBS = ("reconcile", "follow-configured", "prune")
FEDERATION_PREFIXES = ("/.well-known/", "/nodeinfo", "/ap/")
FEDERATION_SUFFIXES = ("/outbox", "/followers")
OWN_ROUTES = ("/metrics", "/healthz", "/readyz")
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Metrics:
    """The metrics of one node's app."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=registry)  # memory, CPU, open files of this process
        self.latency = Histogram("sportnode_http_request_duration_seconds", "Request latency by route class",
                                 ["route"], registry=registry)
        self.requests = Counter("sportnode_http_requests", "Requests by route class and status class",
                                ["route", "status"], registry=registry)
        self.inbox = Counter("sportnode_inbox_activities", "Inbound activities by outcome and reason",
                             ["outcome", "reason"], registry=registry)
        self.queue_depth = Gauge("sportnode_delivery_queue_depth", "Deliveries waiting, by receiving host",
                                 ["host"], registry=registry)
        self.queue_age = Gauge("sportnode_delivery_queue_oldest_seconds",
                               "Age of the oldest waiting delivery, by receiving host", ["host"], registry=registry)
        self.retrying = Gauge("sportnode_delivery_retrying", "Waiting deliveries that failed at least once, by host",
                              ["host"], registry=registry)
        self.given_up = Gauge("sportnode_delivery_given_up", "Deliveries abandoned after the last retry, by host",
                              ["host"], registry=registry)
        self.job_runs = Counter("sportnode_job_runs", "Runs of the periodic jobs", ["job", "outcome"],
                                registry=registry)
        self.job_duration = Histogram("sportnode_job_duration_seconds", "Duration of the periodic jobs", ["job"],
                                      buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, float("inf")), registry=registry)
        self.job_success = Gauge("sportnode_job_last_success_timestamp_seconds",
                                 "When each job last finished without an error (Unix time)", ["job"],
                                 registry=registry)
        self.db_size = Gauge("sportnode_database_size_bytes", "Size of the database file and its WAL", ["file"],
                             registry=registry)
        self.schema = Gauge("sportnode_schema_version", "The database's schema version", registry=registry)
        self.info = Gauge("sportnode_info", "What runs", ["version", "role"], registry=registry)
        # Every fixed series exists from the start, at 0: a rate over a series that appears late is wrong.
        for route in ROUTE_CLASSES:
            self.latency.labels(route)
            for status in STATUS_CLASSES:
                self.requests.labels(route, status)
        for job in JOBS:
            self.job_duration.labels(job)
            for outcome in ("ok", "failed"):
                self.job_runs.labels(job, outcome)

    def job_ran(self, job: str, seconds: float, ok: bool) -> None:
        self.job_runs.labels(job, "ok" if ok else "failed").inc()
        self.job_duration.labels(job).observe(seconds)
        if ok:
            self.job_success.labels(job).set(time.time())

    async def refresh(self, node: Node) -> None:
        """Read what lives in the database (and on disk) just before a scrape."""
        async with node.db.read() as db:
            queue = await delivery_queue(db)
            self.schema.set(await schema_version(db))
        now = node.clock()
        for gauge in (self.queue_depth, self.queue_age, self.retrying, self.given_up):
            gauge.clear()  # a host whose queue emptied drops out
        for host, entry in queue.items():
            self.queue_depth.labels(host).set(entry.pending)
            self.retrying.labels(host).set(entry.retrying)
            self.given_up.labels(host).set(entry.given_up)
            if entry.oldest:
                oldest = datetime.fromisoformat(entry.oldest.replace("Z", "+00:00"))
                self.queue_age.labels(host).set(max(0.0, (now - oldest).total_seconds()))
        path = node.db.path
        for name, file in (("database", path), ("wal", path.with_name(path.name + "-wal"))):
            self.db_size.labels(name).set(file.stat().st_size if file.exists() else 0)
        self.info.clear()
        self.info.labels(__version__, node.config.role).set(1)


METRICS = web.AppKey("metrics", Metrics)


def route_class(request: web.Request, content_type: str | None) -> str:
    """The request's class, from its path and method, and for pages from the answer's type."""
    path, method = request.path, request.method
    if path.startswith("/static/"):
        return "static"
    if method == "POST" and path.endswith("/inbox"):
        return "inbox"
    if path == "/api/search":
        return "search"
    if path == "/sparql":
        return "sparql"
    if path.startswith(FEDERATION_PREFIXES) or path.endswith(FEDERATION_SUFFIXES):
        return "federation"
    if path in OWN_ROUTES or request.match_info.route.resource is None:
        return "other"  # our own routes, and paths no route matches (404s of scanners)
    if content_type == "text/html":
        return "page"
    return "api"


def _status_class(status: int) -> str:
    return f"{min(max(status // 100, 2), 5)}xx"


def _inbox_outcome(status: int, error: BaseException | None, notes: dict[str, str]) -> tuple[str, str]:
    if error is not None:
        if isinstance(error, SportnodeError):
            return "refused", error.code
        if isinstance(error, web.HTTPException):
            return "refused", f"http-{error.status}"
        return "refused", "error"
    if status >= 400:
        return "refused", f"http-{status}"
    outcome, _, reason = notes.get("inbox", "accepted/applied").partition("/")
    return outcome, reason


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Innermost (inside the error middleware), so it sees the handler's own exception and its code."""
    metrics = request.app[METRICS]
    started = time.perf_counter()
    status, content_type = 500, None
    error: BaseException | None = None
    with observe.observing() as notes:
        try:
            response = await handler(request)
            status, content_type = response.status, response.content_type
            return response
        except web.HTTPException as raised:
            status, content_type, error = raised.status, raised.content_type, raised
            raise
        except SportnodeError as raised:
            status, error = raised.status, raised
            raise
        except Exception as raised:
            error = raised
            raise
        finally:
            route = route_class(request, content_type)
            metrics.latency.labels(route).observe(time.perf_counter() - started)
            metrics.requests.labels(route, _status_class(status)).inc()
            if route == "inbox":
                metrics.inbox.labels(*_inbox_outcome(status, error, notes)).inc()


def _addresses(request: web.Request) -> list[str]:
    """The client's address and every address a proxy in front says the request came from."""
    found = [request.remote or ""]
    for header in PROXY_HEADERS:
        for value in request.headers.getall(header, []):
            found += [part.strip() for part in value.split(",")]
    return found


def allowed(request: web.Request, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    for text in _addresses(request):
        try:
            address = ipaddress.ip_address(text.strip("[]"))
        except ValueError:
            return False  # an address we cannot read is no address we allow
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not any(address in network for network in networks):
            return False
    return True


async def metrics_page(request: web.Request) -> web.Response:
    node = request.app[NODE]
    networks = [ipaddress.ip_network(entry, strict=False) for entry in node.config.metrics_allow]
    if not allowed(request, networks):
        raise forbidden("The metrics are for the addresses in [metrics] allow only.")
    metrics = request.app[METRICS]
    await metrics.refresh(node)
    response = web.Response(body=generate_latest(metrics.registry))
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    response.headers["Cache-Control"] = "no-store"
    return response


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n", headers={"Cache-Control": "no-store"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the database answers a query and every migration this code knows has run."""
    node = request.app[NODE]
    newest = migration_files()[-1][0]
    try:
        async with node.db.read() as db:
            version = await schema_version(db)
    except Exception as error:  # any failure of the database is "not ready", never a 500
        return web.Response(status=503, text=f"not ready: the database does not answer ({error})\n",
                            headers={"Cache-Control": "no-store"})
    if version < newest:
        return web.Response(status=503, text=f"not ready: schema {version}, migrations up to {newest} pending\n",
                            headers={"Cache-Control": "no-store"})
    return web.Response(text="ready\n", headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app[METRICS] = Metrics()
    app.router.add_get("/metrics", metrics_page)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
