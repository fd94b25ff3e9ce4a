"""The read-only SPARQL endpoint, per the SPARQL 1.1 Protocol: GET or POST /sparql.

The query comes as `query=` in the URL, in a form-encoded POST body, or as the whole body of a POST
with `application/sparql-query`. Results are negotiated from Accept: SELECT and ASK as SPARQL JSON
(default), XML, CSV or TSV; CONSTRUCT and DESCRIBE as Turtle (default), JSON-LD, N-Triples or RDF/XML.
A result cut at the row limit says so in `Sportnode-Truncated: true`; every answer names the limit in
`Sportnode-Result-Limit`. Errors are the one problem+json shape.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from aiohttp import web

from node.errors import SportnodeError, bad_request
from node.services.sparql import SparqlService
from node.services.sparql_worker import Request
from node.web.appkeys import NODE
from node.web.errors import problem_response
from node.web.negotiation import choose
from node.web.requests import capped_body

SPARQL = web.AppKey("sparql", SparqlService)
FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
}


async def _query_text(request: web.Request) -> str:
    """The query, from wherever the protocol allows it; 400 for none, two, or an update."""
    params: dict[str, list[str]] = {k: request.query.getall(k) for k in request.query}
    if request.method == "POST":
        body = (await capped_body(request)).decode("utf-8", errors="replace")
        if request.content_type == FORM:
            params = {**params, **parse_qs(body, keep_blank_values=True)}
        elif request.content_type == SPARQL_QUERY:
            params = {**params, "query": [*params.get("query", []), body]}
        else:
            raise SportnodeError(
                415, "unsupported-media-type", f"Send the query as {SPARQL_QUERY} or {FORM} (query=...)."
            )
    if "update" in params:
        raise SportnodeError(400, "update-not-allowed", "This endpoint is read-only: SPARQL Update is refused.")
    if "default-graph-uri" in params or "named-graph-uri" in params:
        raise bad_request("default-graph-uri and named-graph-uri are not supported: query the node's graph.")
    queries = params.get("query", [])
    if len(queries) != 1 or not queries[0].strip():
        raise bad_request("Give exactly one SPARQL query, in the `query` parameter or as the body.")
    return queries[0]


async def sparql(request: web.Request) -> web.Response:
    # Here, not at the top: node.protocol.sparql brings Oxigraph and rdflib's SPARQL parser, which a node
    # that is never asked a SPARQL query need not load (the queries themselves run in the worker).
    from node.protocol.sparql import GRAPH_FORMATS, RESULT_FORMATS

    text = await _query_text(request)
    accept = request.headers.get("Accept")
    service = request.app[SPARQL]
    answer = await service.query(
        Request(text, choose(accept, list(RESULT_FORMATS)), choose(accept, list(GRAPH_FORMATS)))
    )
    if answer.status != 200:
        # Built here rather than raised: a bounded failure (timeout, catching up) says when to come back.
        response = problem_response(answer.status, answer.code, answer.detail)
        response.headers.update(CORS)
        if answer.retry_after is not None:
            response.headers["Retry-After"] = str(answer.retry_after)
        return response
    response = web.Response(body=answer.body, headers=CORS)
    response.headers["Content-Type"] = f"{answer.media}; charset=utf-8"
    response.headers["Vary"] = "Accept"
    response.headers["Sportnode-Result-Limit"] = str(service.limits.max_rows)
    if answer.truncated:
        response.headers["Sportnode-Truncated"] = "true"
    return response


async def preflight(request: web.Request) -> web.Response:
    return web.Response(status=204, headers=CORS)


async def _close(app: web.Application) -> None:
    await app[SPARQL].close()


def add_routes(app: web.Application) -> None:
    config = app[NODE].config
    # A small pool: as many workers as SPARQL requests may run at once ([limits] sparql_concurrency).
    app[SPARQL] = SparqlService(config.db_path, size=dict(config.rate_limits.concurrency).get("sparql", 2))
    app.on_cleanup.append(_close)
    app.router.add_route("GET", "/sparql", sparql)
    app.router.add_route("POST", "/sparql", sparql)
    app.router.add_route("OPTIONS", "/sparql", preflight)
