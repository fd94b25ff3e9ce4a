"""ActivityPub and discovery routes: WebFinger, NodeInfo, inboxes, outboxes, followers, activities.

Thin: each handler reads the request and calls node/federation. The delivery worker runs beside the
app for as long as it is up.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from node import __version__
from node.errors import bad_request, not_found
from node.federation import collections, inbox
from node.federation.delivery import DeliveryWorker
from node.jobs.scheduler import running_jobs
from node.protocol import activities
from node.services.reading import own_counts
from node.store.objects import get_object
from node.web.appkeys import DELIVERY, NODE
from node.web.metrics import METRICS
from node.web.negotiation import ACTIVITY_JSON
from node.web.requests import capped_body

JRD = "application/jrd+json"
ACCT = re.compile(r"^acct:([^@\s]+)@([^@\s]+)$")


def _json(document: dict[str, Any], content_type: str = ACTIVITY_JSON, status: int = 200) -> web.Response:
    return _json_text(json.dumps(document, ensure_ascii=False), content_type, status)


def _json_text(text: str, content_type: str = ACTIVITY_JSON, status: int = 200) -> web.Response:
    response = web.Response(text=text, status=status, charset="utf-8")
    response.content_type = content_type
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


async def webfinger(request: web.Request) -> web.Response:
    node = request.app[NODE]
    resource = request.query.get("resource", "").strip()
    match = ACCT.match(resource)
    if match:
        user, host = match[1], match[2].lower()
        if host != node.host.lower():
            raise not_found(f"{host} is not this node's host ({node.host}).")
        actor_id = node.config.node_id if user == "node" else node.object_url("organisation", user)
    elif resource.startswith(("https://", "http://")) and urlsplit(resource).netloc:
        actor_id = resource
    else:
        raise bad_request("resource must be acct:user@host or an actor URL.")
    if actor_id != node.config.node_id:
        async with node.db.read() as db:
            found = await get_object(db, actor_id)
        if found is None or found.kind != "organisation" or found.deleted or found.origin is not None:
            raise not_found(f"There is no actor {resource} on this node.")
        user = found.document["preferredUsername"]
    else:
        user = "node"
    document = activities.webfinger(f"acct:{user}@{node.host}", actor_id, actor_id)
    return _json(document, JRD)


async def nodeinfo_links(request: web.Request) -> web.Response:
    node = request.app[NODE]
    return _json(activities.nodeinfo_links(f"{node.config.base_url}/nodeinfo/2.1"), "application/json")


async def nodeinfo(request: web.Request) -> web.Response:
    node = request.app[NODE]
    found = await own_counts(node)
    document = activities.nodeinfo(
        version=__version__, users=found["organisation"], local_posts=found["activity"], name=node.config.name
    )
    profile = "http://nodeinfo.diaspora.software/ns/schema/2.1#"
    return _json(document, f'application/json; profile="{profile}"')


async def receive(request: web.Request) -> web.Response:
    node = request.app[NODE]
    slug = request.match_info.get("slug")
    if slug:
        await collections.local_actor(node, slug)  # 404 for an inbox of nobody
    inbox.require_signed(request.headers)  # 401 before anything of the body is read
    body = await capped_body(request)
    incoming = inbox.InboundRequest(
        request.method, node.config.base_url + request.raw_path, request.headers, body
    )
    await inbox.receive(node, incoming)
    return web.Response(status=202)


async def outbox(request: web.Request) -> web.Response:
    node = request.app[NODE]
    actor_id = await collections.local_actor(node, request.match_info.get("slug"))
    return _json_text(await collections.outbox(node, actor_id, request.query.get("after")))


async def followers(request: web.Request) -> web.Response:
    node = request.app[NODE]
    actor_id = await collections.local_actor(node, request.match_info.get("slug"))
    return _json(await collections.followers(node, actor_id, request.query.get("page")))


async def activity(request: web.Request) -> web.Response:
    return _json(await collections.activity(request.app[NODE], request.match_info["key"]))


async def delivery_worker(app: web.Application) -> AsyncIterator[None]:
    worker = DeliveryWorker(app[NODE])
    app[DELIVERY] = worker
    task = asyncio.create_task(worker.run())
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def scheduled_jobs(app: web.Application) -> AsyncIterator[None]:
    report = app[METRICS].job_ran if METRICS in app else None  # runs and durations for /metrics
    async for _ in running_jobs(app[NODE], report):
        yield


def add_routes(app: web.Application) -> None:
    app.router.add_get("/.well-known/webfinger", webfinger)
    app.router.add_get("/.well-known/nodeinfo", nodeinfo_links)
    app.router.add_get("/nodeinfo/2.1", nodeinfo)
    for prefix in ("", "/organisations/{slug}"):
        app.router.add_post(f"{prefix}/inbox", receive)
        app.router.add_get(f"{prefix}/outbox", outbox)
        app.router.add_get(f"{prefix}/followers", followers)
    app.router.add_get("/ap/{key:[0-9a-f]+}", activity)
    app.cleanup_ctx.append(delivery_worker)
    app.cleanup_ctx.append(scheduled_jobs)
