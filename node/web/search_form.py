"""What the search form offers (options with counts beside them) and how a filter in use is described in
words (for the widening links), in the request's language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from node.protocol.objects import CRITERIA, DAYS
from node.protocol.query_params import DAY_NAMES
from node.services.node import Node
from node.services.pages_search import PageQuery, SearchPage
from node.web.i18n import N_
from node.web.i18n import gettext as _
from node.web.result_view import DAY_NAMES as DAY_WORDS
from node.web.result_view import KIND_NAMES, and_list, concept_label, label_of

DISTANCES = ("1", "2", "5", "10", "25")
SORTS = (("updated", N_("Laatst bijgewerkt")), ("next", N_("Eerstvolgende eerst")), ("distance", N_("Dichtstbij eerst")))
KINDS = ("activity", "course", "organisation", "place")
CRITERIA_WORDS = {
    "openToVulnerableGroups": N_("Open voor kwetsbare groepen"),
    "acceptsNewParticipants": N_("Neemt nieuwe deelnemers aan"),
    "startsNewGroups": N_("Start nieuwe groepen"),
    "safeGuidance": N_("Veilige begeleiding"),
    "qualityAndContinuity": N_("Kwaliteit en continuïteit"),
    "givesFeedbackToProfessionals": N_("Geeft terugkoppeling aan professionals"),
}
FILTER_WORDS = {
    "q": N_("zoekwoorden"), "type": N_("soort"), "sport": N_("sport"), "municipality": N_("gemeente"),
    "neighbourhood": N_("wijk"), "location": N_("afstand"), "age": N_("leeftijd"), "free": N_("alleen gratis"),
    "maxPrice": N_("maximumprijs"), "day": N_("dag"), "startsAfter": N_("begintijd"), "endsBefore": N_("eindtijd"),
    "targetGroup": N_("doelgroep"), "accessibility": N_("toegankelijkheid"),
}


@dataclass
class Option:
    value: str
    label: str
    count: int | None = None
    selected: bool = False
    depth: int = 0  # 1: shown under its broader concept


@dataclass
class Group:
    label: str
    options: list[Option] = field(default_factory=list)


def _selected(page: PageQuery, name: str) -> set[str]:
    return {v.strip() for raw in page.values(name) for v in raw.split(",")}


def sport_groups(node: Node, page: PageQuery, counts: Mapping[str, int]) -> list[Group]:
    """Every sport under its top concept (one optgroup each); a count where the results have it."""
    sports = node.vocabulary.sports
    chosen = {c.uri for ref in _selected(page, "sport") if (c := sports.resolve(ref))}
    tops = sorted((c for c in sports if not c.broader), key=concept_label)
    groups = []
    for top in tops:
        group = Group(concept_label(top), [Option(top.key, _("Alle soorten %(sport)s") % {"sport": concept_label(top).lower()},
                                                  counts.get(top.uri), top.uri in chosen)])
        under = [c for c in sports if top.uri in c.broader]
        for concept in sorted(under, key=concept_label):
            group.options.append(Option(concept.key, concept_label(concept), counts.get(concept.uri),
                                        concept.uri in chosen, depth=1))
        groups.append(group)
    return groups


def municipality_options(node: Node, page: PageQuery, found: SearchPage) -> list[Option]:
    known = node.areas.municipalities
    chosen = {v.upper() for v in _selected(page, "municipality")}
    counts = dict(found.municipalities)
    codes = set(counts) | {c for c in chosen if c in known}
    options = [Option(code, known[code].name, counts.get(code), code in chosen) for code in codes if code in known]
    return sorted(options, key=lambda o: o.label)


def wijk_groups(node: Node, page: PageQuery, found: SearchPage) -> list[Group]:
    """The wijken with results (and the one chosen), by municipality."""
    known = node.areas.neighbourhoods
    chosen = {v.upper() for v in _selected(page, "neighbourhood")}
    counts = dict(found.wijken)
    codes = [c for c in set(counts) | chosen if c in known]
    by_municipality: dict[str, Group] = {}
    for code in sorted(codes, key=lambda c: known[c].name):
        wijk = known[code]
        municipality = node.areas.municipalities.get(wijk.municipality_code)
        group = by_municipality.setdefault(wijk.municipality_code, Group(municipality.name if municipality else ""))
        group.options.append(Option(code, wijk.name, counts.get(code), code in chosen))
    return sorted(by_municipality.values(), key=lambda g: g.label)


def concept_options(node: Node, page: PageQuery, name: str, counts: Mapping[str, int]) -> list[Option]:
    """Target groups: each under its broader one, with the count of results for it and those under it."""
    concepts = node.vocabulary.target_groups
    chosen = {c.uri for ref in _selected(page, name) if (c := concepts.resolve(ref))}
    options = []
    for top in sorted((c for c in concepts if not c.broader), key=concept_label):
        options.append(Option(top.key, concept_label(top), counts.get(top.uri, 0), top.uri in chosen))
        for concept in sorted((c for c in concepts if top.uri in c.broader), key=concept_label):
            options.append(Option(concept.key, concept_label(concept), counts.get(concept.uri, 0),
                                  concept.uri in chosen, depth=1))
    return options


def accessibility_groups(node: Node, page: PageQuery) -> list[Group]:
    concepts = node.vocabulary.accessibility
    chosen = {c.uri for ref in _selected(page, "accessibility") if (c := concepts.resolve(ref))}
    groups = []
    for top in sorted((c for c in concepts if not c.broader), key=concept_label):
        under = sorted((c for c in concepts if top.uri in c.broader), key=concept_label)
        groups.append(Group(concept_label(top), [Option(c.key, concept_label(c), selected=c.uri in chosen)
                                                  for c in under]))
    return groups


def day_options(page: PageQuery) -> list[Option]:
    chosen = {DAY_NAMES[v.lower()] for v in _selected(page, "day") if v.lower() in DAY_NAMES}
    return [Option(DAYS[i], _(DAY_WORDS[i]), selected=i in chosen) for i in range(7)]


def simple_options(pairs: tuple[tuple[str, str], ...], chosen: str) -> list[Option]:
    return [Option(value, _(label), selected=value == chosen) for value, label in pairs]


def kind_options(chosen: str) -> list[Option]:
    return [Option(kind, _(KIND_NAMES[kind]), selected=kind == chosen) for kind in KINDS]


def criteria_options(page: PageQuery) -> list[Option]:
    return [Option(name, _(CRITERIA_WORDS[name]), selected=page.first(name).lower() == "true") for name in CRITERIA]


def describe(node: Node, page: PageQuery, group: str) -> str:
    """A filter in use as words: "dag (dinsdag)", "sport (Korfbal)"."""
    if group in CRITERIA_WORDS:
        return _(CRITERIA_WORDS[group])
    words = _(FILTER_WORDS.get(group, group))
    values = sorted(_selected(page, group))
    vocabulary = node.vocabulary
    shown: list[str]
    if group == "sport":
        shown = [label_of(vocabulary.sports, v) or v for v in values]
    elif group == "targetGroup":
        shown = [label_of(vocabulary.target_groups, v) or v for v in values]
    elif group == "accessibility":
        shown = [label_of(vocabulary.accessibility, v) or v for v in values]
    elif group == "municipality":
        shown = [m.name if (m := node.areas.municipalities.get(v.upper())) else v for v in values]
    elif group == "neighbourhood":
        shown = [w.name if (w := node.areas.neighbourhoods.get(v.upper())) else v for v in values]
    elif group == "day":
        shown = [_(DAY_WORDS[DAY_NAMES[v.lower()]]) for v in values if v.lower() in DAY_NAMES]
    elif group == "type":
        shown = [_(KIND_NAMES[v]) for v in values if v in KIND_NAMES]
    elif group == "location":
        km = page.first("km")
        shown = [_("binnen %(km)s km") % {"km": km}] if km else []
    elif group == "free":
        shown = []
    elif group == "maxPrice":
        shown = ["€ " + page.first("maxPrice").replace(".", ",")]
    else:
        shown = [page.first(group)]
    return f"{words} ({and_list(shown)})" if shown else words
