"""The embeddable widget: its query string checked, its results found, and the snippets an editor copies.

The widget's filters are a small, friendly subset of /api/search (`wijk` is the API's `neighbourhood`); they
are checked by the same parser and resolved by the same service, so a widget never shows what the API
would not. It shows activities only, soonest first. Style settings are checked strictly, because they end
up in a stylesheet: colours as hex, a font as a list of plain family names, a radius as a length.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode

from node.errors import SportnodeError
from node.i18n import N_
from node.i18n import gettext as _
from node.protocol.query_params import SearchParams, parse_search
from node.services import query
from node.services.node import Node
from node.services.result_summary import Summary, summarise

# The widget's filter names, each to the /api/search parameter it stands for, in the order of the form.
FILTERS = {
    "wijk": "neighbourhood",
    "municipality": "municipality",
    "sport": "sport",
    "targetGroup": "targetGroup",
    "day": "day",
    "free": "free",
    "maxPrice": "maxPrice",
    "q": "q",
}
DEFAULT_LIMIT = 5
MAX_LIMIT = 50
# Style settings, each to the CSS custom property it sets.
STYLES = {
    "font": "--sportnode-font",
    "accent": "--sportnode-accent",
    "text": "--sportnode-text",
    "background": "--sportnode-background",
    "radius": "--sportnode-radius",
}
# The look of static/widget.css: a setting equal to it changes nothing, so it is left out of URLs and snippets.
DEFAULT_STYLE = {"accent": "#0b6e4f", "text": "#1b1b1b", "background": "#ffffff"}
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_FAMILY = r"[A-Za-z][A-Za-z0-9-]*(?: [A-Za-z][A-Za-z0-9-]*)*"
_FONT = re.compile(rf"^{_FAMILY}(?:, ?{_FAMILY})*$")
_LENGTH = re.compile(r"^(?:0|[0-9]{1,2}(?:\.[0-9]{1,2})?(?:px|rem|em))$")
_STYLE_CHECKS = {"font": _FONT, "accent": _COLOUR, "text": _COLOUR, "background": _COLOUR, "radius": _LENGTH}
MAX_STYLE = 120
# Not parameters of the widget, but set by the page machinery (language choice).
IGNORED = frozenset({"lang"})

MESSAGES = {
    "wijk": N_("Deze wijk kennen we niet. Een wijkcode begint met WK, bijvoorbeeld WK030701."),
    "municipality": N_("Deze gemeente kennen we niet. Een gemeentecode begint met GM, bijvoorbeeld GM0307."),
    "sport": N_("Deze sport kennen we niet."),
    "targetGroup": N_("Deze doelgroep kennen we niet."),
    "day": N_("Kies een dag van de week."),
    "free": N_("Gratis is ja (true) of nee (false)."),
    "maxPrice": N_("Vul een bedrag in euro in, bijvoorbeeld 5."),
    "q": N_("Vul een of meer woorden in, samen hoogstens 200 tekens."),
    "limit": N_("Kies een aantal van 1 tot en met 50."),
    "font": N_("Vul lettertypen in met alleen letters, cijfers, spaties en komma's."),
    "accent": N_("Vul een kleur in als #rrggbb, bijvoorbeeld #0b6e4f."),
    "text": N_("Vul een kleur in als #rrggbb, bijvoorbeeld #1b1b1b."),
    "background": N_("Vul een kleur in als #rrggbb, bijvoorbeeld #ffffff."),
    "radius": N_("Vul een maat in, bijvoorbeeld 0, 4px of 0.5rem."),
    "unknown": N_("Deze instelling kent de widget niet."),
}
_API_TO_WIDGET = {api: name for name, api in FILTERS.items()}


class WidgetError(Exception):
    """Settings that cannot make a widget; `fields` maps each bad setting to a Dutch message id."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = dict(fields)

    def messages(self) -> dict[str, str]:
        return {name: _(message) for name, message in self.fields.items()}


@dataclass(frozen=True)
class Widget:
    """Checked settings. `filters` and `style` keep the values as given, in form order, for URLs."""

    filters: tuple[tuple[str, str], ...] = ()
    limit: int = DEFAULT_LIMIT
    style: tuple[tuple[str, str], ...] = ()
    search: SearchParams = field(default_factory=SearchParams)

    def query(self, *, style: bool = True, limit: bool = True) -> list[tuple[str, str]]:
        items = list(self.filters)
        if limit and self.limit != DEFAULT_LIMIT:
            items.append(("limit", str(self.limit)))
        return items + (list(self.style) if style else [])

    def api_query(self) -> list[tuple[str, str]]:
        """The same filters in /api/search's names (for links to the full search)."""
        return [(FILTERS[name], value) for name, value in self.filters]


def _given(raw: Mapping[str, Sequence[str]], name: str) -> list[str]:
    # A GET form sends empty fields too ("wijk="): those are no choice.
    return [value.strip() for value in raw.get(name, ()) if value.strip()]


def _limit(values: list[str], errors: dict[str, str]) -> int:
    if not values:
        return DEFAULT_LIMIT
    if len(values) == 1 and re.fullmatch(r"[0-9]{1,3}", values[0]) and 1 <= int(values[0]) <= MAX_LIMIT:
        return int(values[0])
    errors["limit"] = MESSAGES["limit"]
    return DEFAULT_LIMIT


def _style(raw: Mapping[str, Sequence[str]], errors: dict[str, str]) -> tuple[tuple[str, str], ...]:
    found = []
    for name, pattern in _STYLE_CHECKS.items():
        values = _given(raw, name)
        if not values:
            continue
        if len(values) > 1 or len(values[0]) > MAX_STYLE or not pattern.match(values[0]):
            errors[name] = MESSAGES[name]
        elif values[0].lower() != DEFAULT_STYLE.get(name):
            found.append((name, values[0]))
    return tuple(found)


def parse_widget(node: Node, raw: Mapping[str, Sequence[str]]) -> Widget:
    """Checked widget settings from a query string (each name to its values); WidgetError if any is bad.

    Concepts and areas are resolved here already, so a bad one is reported before anything is searched."""
    errors: dict[str, str] = {}
    for name in sorted(set(raw) - set(FILTERS) - set(STYLES) - IGNORED - {"limit"}):
        errors[name] = MESSAGES["unknown"]
    filters = tuple((name, value) for name in FILTERS for value in _given(raw, name))
    limit = _limit(_given(raw, "limit"), errors)
    style = _style(raw, errors)
    api: dict[str, list[str]] = {"type": ["activity"], "sort": ["next"], "limit": [str(limit)]}
    for name, value in filters:
        api.setdefault(FILTERS[name], []).append(value)
    search = SearchParams()
    try:
        search = parse_search(api)
        query.filters_of(node, search)
    except SportnodeError as error:
        for problem in error.fields:
            name = _API_TO_WIDGET.get(problem.path.lstrip("/"), "unknown")
            errors.setdefault(name, MESSAGES.get(name, MESSAGES["unknown"]))
    if errors:
        raise WidgetError(errors)
    return Widget(filters=filters, limit=limit, style=style, search=search)


async def results(node: Node, widget: Widget) -> list[Summary]:
    page = await query.search(node, widget.search, lambda cursor: "")
    return [summarise(hit, node) for hit in page.hits]


def _url(base: str, items: list[tuple[str, str]]) -> str:
    return f"{base}?{urlencode(items)}" if items else base


def search_url(node: Node, widget: Widget) -> str:
    """The full search page for the same filters ("Meer aanbod")."""
    return _url(f"{node.config.base_url}/zoeken", widget.api_query())


def frame_url(node: Node, widget: Widget) -> str:
    return _url(f"{node.config.base_url}/widget", widget.query())


def fragment_url(node: Node, widget: Widget) -> str:
    return _url(f"{node.config.base_url}/widget/fragment", widget.query(style=False))


def theme_url(node: Node, widget: Widget) -> str | None:
    return _url(f"{node.config.base_url}/widget/theme.css", list(widget.style)) if widget.style else None


def theme_css(widget: Widget) -> str:
    """The style settings as custom properties; every value has passed its pattern, so none can end the
    declaration or the rule."""
    declarations = "".join(f"\n  {STYLES[name]}: {value};" for name, value in widget.style)
    return f":root {{{declarations}\n}}\n"


def title(node: Node) -> str:
    return _("Sport en bewegen bij %(node)s") % {"node": node.config.name}


def iframe_snippet(node: Node, widget: Widget) -> str:
    """What an editor pastes for the iframe: the frame, and the script that fits its height to the list."""
    src = escape(frame_url(node, widget))
    return (
        f'<iframe src="{src}" title="{escape(title(node))}" width="100%" height="400" loading="lazy" '
        f"data-sportnode-widget></iframe>\n"
        f'<script src="{escape(node.config.base_url)}/static/widget-embed.js" defer></script>'
    )


# The element's attribute for each widget setting (HTML attributes are written in kebab case).
ATTRIBUTES = {"targetGroup": "target-group", "maxPrice": "max-price"}


def element_snippet(node: Node, widget: Widget) -> str:
    """What an editor pastes for the custom element: the element (with a link for browsers without
    scripts), its script, and the style settings as CSS custom properties."""
    values: dict[str, list[str]] = {}
    for name, value in widget.query(style=False):
        values.setdefault(ATTRIBUTES.get(name, name), []).append(value)
    attributes = "".join(f' {name}="{escape(",".join(found))}"' for name, found in values.items())
    fallback = escape(search_url(node, widget))
    snippet = (
        f'<sportnode-activities node="{escape(node.config.base_url)}"{attributes}>\n'
        f'  <a href="{fallback}">{escape(title(node))}</a>\n'
        f"</sportnode-activities>\n"
        f'<script src="{escape(node.config.base_url)}/static/widget.js" defer></script>'
    )
    if widget.style:
        rules = "".join(f"\n    {STYLES[name]}: {value};" for name, value in widget.style)
        snippet += f"\n<style>\n  sportnode-activities {{{rules}\n  }}\n</style>"
    return snippet
