"""The embeddable widget's routes (docs/web.md, "Widget"): the iframe page, the HTML fragment that the
`<sportnode-activities>` element fetches, the stylesheet of an iframe's style settings, and the page on
which an editor composes a widget.

Only these routes may be framed by other sites (page_security.py gives every path under /widget
`frame-ancestors *`). The fragment is fetched across origins, so it carries `Access-Control-Allow-Origin: *`;
it is inert HTML: no scripts, and text from other servers sanitised (services/result_summary.py).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.services import pages_widget as widgets
from node.services import pages_widget_maker as making
from node.services.node import Node
from node.web.appkeys import NODE
from node.web.render import html_response, render

WIDGET_PATH = "/widget"
FRAGMENT_PATH = "/widget/fragment"
THEME_PATH = "/widget/theme.css"
MAKER_PATH = "/widget/maken"
# A widget on a busy neighbourhood site is asked for often; five minutes old is fresh enough.
CACHE = "public, max-age=300"


def _raw(request: web.Request) -> dict[str, list[str]]:
    return {name: request.query.getall(name) for name in set(request.query.keys())}


def _list_context(node: Node, widget: widgets.Widget, items: list[Any]) -> dict[str, Any]:
    return {"items": items, "more_url": widgets.search_url(node, widget), "title": widgets.title(node)}


async def frame(request: web.Request) -> web.Response:
    node = request.app[NODE]
    try:
        widget = widgets.parse_widget(node, _raw(request))
    except widgets.WidgetError as error:
        return html_response(request, "widget/frame.html", status=400, errors=error.messages(),
                             title=widgets.title(node), more_url=f"{node.config.base_url}/zoeken")
    items = await widgets.results(node, widget)
    response = html_response(request, "widget/frame.html", theme_url=widgets.theme_url(node, widget),
                             **_list_context(node, widget, items))
    response.headers["Cache-Control"] = CACHE
    return response


def _fragment_response(text: str, status: int = 200) -> web.Response:
    response = web.Response(status=status, text=text, charset="utf-8")
    response.content_type = "text/html"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


async def fragment(request: web.Request) -> web.Response:
    node = request.app[NODE]
    try:
        widget = widgets.parse_widget(node, _raw(request))
    except widgets.WidgetError as error:
        text = render(request, "widget/fragment.html", errors=error.messages(), title=widgets.title(node),
                      more_url=f"{node.config.base_url}/zoeken")
        return _fragment_response(text, status=400)
    items = await widgets.results(node, widget)
    response = _fragment_response(render(request, "widget/fragment.html", **_list_context(node, widget, items)))
    response.headers["Cache-Control"] = CACHE
    return response


async def theme(request: web.Request) -> web.Response:
    node = request.app[NODE]
    try:
        widget = widgets.parse_widget(node, _raw(request))
    except widgets.WidgetError as error:
        # A stylesheet cannot show an error: an empty one leaves the widget's own colours.
        response = web.Response(status=400, text=f"/* {', '.join(sorted(error.fields))} */\n", charset="utf-8")
    else:
        response = web.Response(text=widgets.theme_css(widget), charset="utf-8")
        response.headers["Cache-Control"] = "public, max-age=86400"
    response.content_type = "text/css"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


async def maker(request: web.Request) -> web.Response:
    """The editor's page; its form is a plain GET form to this page, so it works without scripts."""
    node = request.app[NODE]
    raw = _raw(request)
    errors: dict[str, str] = {}
    widget = None
    try:
        widget = widgets.parse_widget(node, raw)
    except widgets.WidgetError as error:
        errors = error.messages()
    context = await making.form_context(node, raw)
    if widget is not None:
        context.update(
            preview_url=widgets.frame_url(node, widget),
            iframe_snippet=widgets.iframe_snippet(node, widget),
            element_snippet=widgets.element_snippet(node, widget),
        )
    return html_response(request, "widget/maker.html", status=400 if errors else 200, errors=errors,
                         canonical=f"{node.config.base_url}{MAKER_PATH}", **context)


def add_routes(app: web.Application) -> None:
    app.router.add_get(WIDGET_PATH, frame)
    app.router.add_get(FRAGMENT_PATH, fragment)
    app.router.add_get(THEME_PATH, theme)
    app.router.add_get(MAKER_PATH, maker)
