"""The aiohttp application of a node."""

from __future__ import annotations

from aiohttp import web

from node.services.node import Node
from node.web import api, claim, federation, metrics, pages_areas, pages_objects, reading, rpde, static_files
from node.web import coverage as coverage_routes
from node.web import pages_findable as findable_routes
from node.web import pages_search as search_page_routes
from node.web import pages_widget as widget_routes
from node.web import query as query_routes
from node.web import sparql as sparql_routes
from node.web.appkeys import NODE, TEMPLATES
from node.web.errors import error_middleware
from node.web.html import make_environment
from node.web.limits import limits_middleware
from node.web.map_settings import csp_img_sources
from node.web.metrics import metrics_middleware
from node.web.page_security import security_middleware
from node.web.render import language_middleware


def create_app(node: Node) -> web.Application:
    """The web app over an open node; the caller owns the node and closes it."""
    # Outermost first: security headers see every response, error pages are rendered in the request's language.
    # Metrics next: it sees each handler's own exception (the inbox's refusal code) and times the handler.
    # Limits innermost: a 429 or 503 of its own is counted and rendered in the request's language.
    middlewares = [security_middleware(csp_img_sources(node.config)), language_middleware, error_middleware,
                   metrics_middleware, limits_middleware(node.config.rate_limits)]
    app = web.Application(middlewares=middlewares, client_max_size=node.config.max_body_bytes)
    app[NODE] = node
    app[TEMPLATES] = make_environment(node.vocabulary)
    metrics.add_routes(app)  # /metrics, /healthz, /readyz (docs/operator.md, "Monitoring")
    reading.add_routes(app)
    static_files.add_routes(app)  # stylesheet, scripts and the vendored map under /static/
    api.add_routes(app)
    claim.add_routes(app)
    rpde.add_routes(app)  # OpenActive feeds and Dataset Site
    federation.add_routes(app)
    query_routes.add_routes(app)  # GET /api/search and /openapi.json (docs/query.md)
    sparql_routes.add_routes(app)  # read-only SPARQL endpoint (docs/sparql.md)
    coverage_routes.add_routes(app)  # coverage for Sportakkoorden (docs/coverage.md)
    widget_routes.add_routes(app)  # the embeddable widget and its editor (docs/web.md, "Widget")
    findable_routes.add_routes(app)  # sitemap.xml, robots.txt, Atom feed of a search (docs/web.md, "Findable")
    pages_areas.add_routes(app)  # /wijk/CODE and /gemeente/CODE (docs/web.md, "Area pages")
    pages_objects.add_routes(app)  # /aanbod?id= and agenda.ics (docs/web.md, "Object pages")
    search_page_routes.add_routes(app)  # /zoeken, the search page (docs/web.md, "Search")
    return app
