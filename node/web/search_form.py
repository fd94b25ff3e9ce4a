"""What the search form offers, as HTML: its long lists (options with counts beside them, checkboxes) and
its field errors; and how a filter in use is described in words (for the widening links), in the
request's language.

The lists are made here rather than in a template loop: a page has some 250 options and checkboxes, and
rendering them with a macro per count cost more than the search itself (docs/web.md, "Search"). What does
not change between requests (each list's keys and words, escaped) is kept per language; a request adds
only what it chose and its counts. Every value and word is escaped (`escape`, `Markup %`) before it joins
the HTML.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from markupsafe import Markup, escape

from node import i18n
from node.i18n import N_
from node.i18n import gettext as _
from node.protocol.objects import CRITERIA, DAYS
from node.protocol.query_params import DAY_NAMES
from node.protocol.vocab import Concept, ConceptList
from node.services.node import Node
from node.services.pages_search import PageQuery, SearchPage
from node.web.result_view import DAY_NAMES as DAY_WORDS
from node.web.result_view import KIND_NAMES, and_list, label_of

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
EMPTY = Markup("")


@dataclass(frozen=True)
class Choice:
    """One option or checkbox, escaped: `head` up to where " selected" or " checked" goes, `label` after it."""

    ref: str  # what the request's choice and the counts name it by (a concept URI, a code, a key)
    head: str
    label: str
    under: bool = False  # shown under its broader concept

    @cached_property
    def option(self) -> str:
        """As an option neither chosen nor counted: most of a long list, each time."""
        return f"{self.head}{self.label}</option>"


Tree = tuple[tuple[str, tuple[Choice, ...]], ...]  # (escaped group label, its choices)


def error(errors: Mapping[str, str], name: str) -> Markup:
    """A field's error message, beside the field; `invalid` ties the field to it."""
    if name not in errors:
        return EMPTY
    return Markup('<p class="error-text" id="err-%s">%s</p>') % (name, errors[name])


def invalid(errors: Mapping[str, str], name: str, hint: str = "") -> Markup:
    """A field's aria attributes: invalid and described by its error (and hint), or by its hint alone."""
    if name in errors:
        return Markup(' aria-invalid="true" aria-describedby="%s"') % (f"err-{name} {hint}" if hint else f"err-{name}")
    return Markup(' aria-describedby="%s"') % hint if hint else EMPTY


def _label(concept: Concept, language: str) -> str:
    return concept.label_en if language == "en" and concept.label_en else concept.label_nl


def _option(ref: str, value: str, label: str) -> Choice:
    return Choice(ref, f'<option value="{escape(value)}"', f">{escape(label)}")


def _options(choices: Iterable[Choice], chosen: Collection[str], counts: Mapping[str, int]) -> list[str]:
    return [_marked(choice, chosen, counts) if choice.ref in counts or choice.ref in chosen else choice.option
            for choice in choices]


def _marked(choice: Choice, chosen: Collection[str], counts: Mapping[str, int]) -> str:
    count = counts.get(choice.ref)
    return (f"{choice.head}{' selected' if choice.ref in chosen else ''}{choice.label}"
            f"{f' ({count})' if count else ''}</option>")


def _groups(tree: Iterable[tuple[str, Iterable[Choice]]], chosen: Collection[str], counts: Mapping[str, int]) -> Markup:
    return Markup("".join(f'      <optgroup label="{label}">\n{"".join(_options(choices, chosen, counts))}'
                          "      </optgroup>\n" for label, choices in tree))


def _checks(choices: Iterable[Choice], chosen: Collection[str], counts: Mapping[str, int] | None = None,
            indent: str = "    ") -> str:
    parts = []
    for choice in choices:
        count = counts.get(choice.ref) if counts is not None else None
        tail = f'<span>{choice.label} <span class="facet-count">({count})</span></span>' if count else (
            f"<span>{choice.label}</span>" if counts is not None else choice.label)
        parts.append(f"{indent}{choice.head}{' checked' if choice.ref in chosen else ''}>{tail}</label>\n")
    return "".join(parts)


def _selected(page: PageQuery, name: str) -> set[str]:
    return {v.strip() for raw in page.values(name) for v in raw.split(",")}


def _chosen_concepts(concepts: ConceptList, page: PageQuery, name: str) -> set[str]:
    return {c.uri for ref in _selected(page, name) if (c := concepts.resolve(ref))}


def _tops(concepts: ConceptList, language: str) -> list[tuple[Concept, list[Concept]]]:
    """Each top concept by label, with every concept under it, at any depth, by label: a deeper sport
    (walking football under voetbal under balsport) must be in the list, or the form would drop it."""
    def under(top: Concept) -> list[Concept]:
        uris = concepts.narrower_closure(top.uri) - {top.uri}
        return sorted((c for c in concepts if c.uri in uris), key=lambda c: _label(c, language))

    return [(top, under(top)) for top in sorted((c for c in concepts if not c.broader), key=lambda c: _label(c, language))]


@lru_cache(maxsize=32)
def _sport_tree(sports: ConceptList, language: str) -> Tree:
    every = i18n.translations(language).gettext("Alle soorten %(sport)s")
    return tuple(
        (str(escape(_label(top, language))),
         (_option(top.uri, top.key, every % {"sport": _label(top, language).lower()}),
          *(_option(c.uri, c.key, _label(c, language)) for c in under)))
        for top, under in _tops(sports, language))


def sport_options(node: Node, page: PageQuery, counts: Mapping[str, int]) -> Markup:
    """Every sport under its top concept (one optgroup each); a count where the results have it."""
    sports = node.vocabulary.sports
    tree = _sport_tree(sports, i18n.current_language.get())
    return _groups(tree, _chosen_concepts(sports, page, "sport"), counts)


def municipality_options(node: Node, page: PageQuery, found: SearchPage) -> Markup:
    known = node.areas.municipalities
    chosen = {v.upper() for v in _selected(page, "municipality")}
    counts = dict(found.municipalities)
    codes = sorted((code for code in set(counts) | chosen if code in known), key=lambda code: known[code].name)
    return Markup("".join(_options((_option(code, code, known[code].name) for code in codes), chosen, counts)))


def wijk_options(node: Node, page: PageQuery, found: SearchPage) -> Markup:
    """The wijken with results (and the one chosen), by municipality."""
    known = node.areas.neighbourhoods
    chosen = {v.upper() for v in _selected(page, "neighbourhood")}
    counts = dict(found.wijken)
    codes = [c for c in set(counts) | chosen if c in known]
    by_municipality: dict[str, tuple[str, list[Choice]]] = {}
    for code in sorted(codes, key=lambda c: known[c].name):
        wijk = known[code]
        municipality = node.areas.municipalities.get(wijk.municipality_code)
        group = by_municipality.setdefault(wijk.municipality_code, (municipality.name if municipality else "", []))
        group[1].append(_option(code, code, wijk.name))
    tree = ((str(escape(name)), choices) for name, choices in sorted(by_municipality.values(), key=lambda g: g[0]))
    return _groups(tree, chosen, counts)


@lru_cache(maxsize=32)
def _target_group_checks(concepts: ConceptList, language: str) -> tuple[Choice, ...]:
    def check(concept: Concept, under: bool) -> Choice:
        return Choice(concept.uri, f'<label class="check{" under" if under else ""}"><input type="checkbox" '
                      f'name="targetGroup" value="{escape(concept.key)}" form="zoekformulier"',
                      str(escape(_label(concept, language))), under)

    return tuple(each for top, under in _tops(concepts, language)
                 for each in (check(top, False), *(check(c, True) for c in under)))


def target_group_checks(node: Node, page: PageQuery, counts: Mapping[str, int]) -> Markup:
    """Target groups: each under its broader one, with the count of results for it and those under it."""
    concepts = node.vocabulary.target_groups
    checks = _target_group_checks(concepts, i18n.current_language.get())
    return Markup(_checks(checks, _chosen_concepts(concepts, page, "targetGroup"), counts))


@lru_cache(maxsize=32)
def _accessibility_tree(concepts: ConceptList, language: str) -> Tree:
    return tuple(
        (str(escape(_label(top, language))),
         tuple(Choice(c.uri, '<label class="check"><input type="checkbox" name="accessibility" '
                             f'value="{escape(c.key)}" form="zoekformulier"', str(escape(_label(c, language))))
               for c in under))
        for top, under in _tops(concepts, language))


def accessibility_checks(node: Node, page: PageQuery) -> Markup:
    """A fieldset per top concept, a checkbox for each concept under it."""
    concepts = node.vocabulary.accessibility
    chosen = _chosen_concepts(concepts, page, "accessibility")
    return Markup("".join(f'  <fieldset class="plain">\n    <legend>{label}</legend>\n{_checks(choices, chosen)}'
                          "  </fieldset>\n"
                          for label, choices in _accessibility_tree(concepts, i18n.current_language.get())))


@lru_cache(maxsize=8)
def _day_choices(language: str) -> tuple[Choice, ...]:
    words = i18n.translations(language)
    return tuple(Choice(day, f'<label class="check"><input type="checkbox" name="day" value="{day}" form="zoekformulier"',
                        str(escape(words.gettext(DAY_WORDS[i])))) for i, day in enumerate(DAYS))


def day_checks(page: PageQuery) -> Markup:
    chosen = {DAYS[DAY_NAMES[v.lower()]] for v in _selected(page, "day") if v.lower() in DAY_NAMES}
    return Markup(_checks(_day_choices(i18n.current_language.get()), chosen))


def _distance(km: str) -> Choice:
    return _option(km, km, _("Tot %(km)s km") % {"km": km})


@lru_cache(maxsize=8)
def _km_choices(language: str) -> tuple[Choice, ...]:
    return tuple(_distance(km) for km in DISTANCES)


def km_options(page: PageQuery) -> Markup:
    """The distances, and a distance from the URL that is not among them."""
    chosen = page.first("km")
    choices = _km_choices(i18n.current_language.get())
    if chosen and chosen not in DISTANCES:
        choices = (*choices, _distance(chosen))
    return Markup("".join(_options(choices, (chosen,), {})))


@lru_cache(maxsize=8)
def _sort_choices(language: str) -> tuple[Choice, ...]:
    return tuple(_option(value, value, i18n.translations(language).gettext(label)) for value, label in SORTS)


def sort_options(page: PageQuery, located: bool) -> Markup:
    """The orders; by distance only with a position (or when the URL asks for it, to show it was refused)."""
    chosen = page.first("sort") or "updated"
    return Markup("".join(_options((c for c in _sort_choices(i18n.current_language.get())
                                    if c.ref != "distance" or located or c.ref == chosen), (chosen,), {})))


@lru_cache(maxsize=8)
def _kind_choices(language: str) -> tuple[Choice, ...]:
    return tuple(_option(kind, kind, i18n.translations(language).gettext(KIND_NAMES[kind])) for kind in KINDS)


def kind_options(page: PageQuery) -> Markup:
    return Markup("".join(_options(_kind_choices(i18n.current_language.get()), (page.first("type"),), {})))


@lru_cache(maxsize=8)
def _criteria_labels(language: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, str(escape(i18n.translations(language).gettext(CRITERIA_WORDS[name])))) for name in CRITERIA)


def criteria_checks(page: PageQuery, errors: Mapping[str, str]) -> Markup:
    """The buurtsportcoach criteria, each a checkbox with its own error."""
    parts = []
    for name, label in _criteria_labels(i18n.current_language.get()):
        checked = " checked" if page.first(name).lower() == "true" else ""
        parts.append(f'  {error(errors, name)}\n  <label class="check"><input type="checkbox" id="f-{name}" '
                     f'name="{name}" value="true" form="zoekformulier"{checked}{invalid(errors, name)}>'
                     f"{label}</label>\n")
    return Markup("".join(parts))


def describe(node: Node, page: PageQuery, group: str) -> str:
    """A filter in use as words: "dag (dinsdag)", "sport (Korfbal)"."""
    if group in CRITERIA_WORDS:
        return _(CRITERIA_WORDS[group])
    words = _(FILTER_WORDS.get(group, group))
    values = sorted(_selected(page, group))
    vocabulary = node.vocabulary
    shown: Sequence[str]
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
