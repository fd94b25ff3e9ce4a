"""What the widget editor's form offers: the areas that have offering, the sports and target groups, the
days, and a few font stacks and corner radii; with the values the editor chose, shown again as given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from babel.dates import get_day_names

from node.i18n import N_, current_language
from node.i18n import gettext as _
from node.protocol.objects import DAYS
from node.protocol.vocab import ConceptList
from node.services.node import Node
from node.services.pages_widget import DEFAULT_STYLE
from node.store import findable

FONTS = (
    ("", N_("Standaard")),
    ("Arial, Helvetica, sans-serif", "Arial"),
    ("Verdana, Geneva, sans-serif", "Verdana"),
    ("Georgia, Times New Roman, serif", "Georgia"),
    ("Trebuchet MS, sans-serif", "Trebuchet MS"),
)
RADII = (("", N_("Standaard")), ("0", N_("Geen (hoekig)")), ("0.6rem", N_("Rond")), ("1.2rem", N_("Heel rond")))


def _label(concept: Any) -> str:
    return str(concept.label_en if current_language.get() == "en" else concept.label_nl)


def _concepts(concepts: ConceptList) -> list[tuple[str, str]]:
    return sorted(((c.key, _label(c)) for c in concepts), key=lambda pair: pair[1].casefold())


def _first(raw: Mapping[str, Sequence[str]], name: str) -> str:
    return next((value.strip() for value in raw.get(name, ()) if value.strip()), "")


async def form_context(node: Node, raw: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    today = node.clock().date().isoformat()
    async with node.db.read() as db:
        wijk_rows = await findable.areas_with_offering(db, today, "wijk")
        municipality_rows = await findable.areas_with_offering(db, today, "municipality")
    areas = node.areas
    grouped: dict[str, list[tuple[str, str]]] = {}
    for row in wijk_rows:
        wijk = areas.neighbourhoods.get(row.key)
        if wijk is not None:
            town = areas.municipalities.get(wijk.municipality_code)
            grouped.setdefault(town.name if town else wijk.municipality_code, []).append((wijk.code, wijk.name))
    municipalities = sorted(
        ((row.key, areas.municipalities[row.key].name) for row in municipality_rows if row.key in areas.municipalities),
        key=lambda pair: pair[1],
    )
    day_names = get_day_names("wide", locale=current_language.get())
    values = {name: _first(raw, name) for name in
              ("wijk", "municipality", "sport", "targetGroup", "day", "free", "maxPrice", "q", "limit",
               "font", "accent", "text", "background", "radius")}
    for name, default in DEFAULT_STYLE.items():
        values[name] = values[name] or default
    return {
        "values": values,
        "wijken": sorted((town, sorted(found, key=lambda p: p[1])) for town, found in grouped.items()),
        "municipalities": municipalities,
        "sports": _concepts(node.vocabulary.sports),
        "target_groups": _concepts(node.vocabulary.target_groups),
        "days": [(day, day_names[i]) for i, day in enumerate(DAYS)],
        "fonts": [(value, _(label) if not value else label) for value, label in FONTS],
        "radii": [(value, _(label)) for value, label in RADII],
    }
