"""The SKOS concept lists in vocab/ (sports, target groups, accessibility) as plain, immutable data.

Clients name a concept by key ("korfbal"), full URI or label ("Korfball"); `ConceptList.resolve` turns any
of these into the concept, and `narrower_closure` widens a broad concept ("balsport") to everything under it
for search. Nothing is read at import; `load_vocabulary` parses the Turtle files once per process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

SPORTS_FILE = "sports.ttl"
TARGET_GROUPS_FILE = "target-groups.ttl"
ACCESSIBILITY_FILE = "accessibility.ttl"


@dataclass(frozen=True)
class Concept:
    uri: str
    key: str
    label_nl: str
    label_en: str
    broader: tuple[str, ...]  # URIs
    matches: tuple[str, ...]  # skos:exactMatch, then skos:closeMatch URIs (e.g. OpenActive)


def _name(text: str) -> str:
    """The form in which keys and labels are compared: case and surrounding or repeated spaces ignored."""
    return " ".join(text.split()).casefold()


class ConceptList:
    """The concepts of one SKOS scheme, iterated in key order.

    Every key and label must name one concept only; an ambiguous list is refused when it is built, since
    resolving "gymnastiek" to whichever concept came first would silently mislabel published objects.
    """

    __slots__ = ("_by_name", "_by_uri", "_narrower", "scheme")

    def __init__(
        self, scheme: str, concepts: Iterable[Concept], alt_labels: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        """`alt_labels` maps a concept URI to further names it is known by (skos:altLabel)."""
        self.scheme = scheme
        self._by_uri: dict[str, Concept] = {c.uri: c for c in sorted(concepts, key=lambda c: c.key)}
        self._by_name: dict[str, Concept] = {}
        self._narrower: dict[str, list[str]] = {}
        alt_labels = alt_labels or {}
        clashes: list[str] = []
        for concept in self._by_uri.values():
            names = {
                _name(n)
                for n in (concept.key, concept.label_nl, concept.label_en, *alt_labels.get(concept.uri, ()))
            }
            for name in names:
                other = self._by_name.setdefault(name, concept)
                if other is not concept:
                    clashes.append(f"{name!r} names both {other.key} and {concept.key}")
            for parent in concept.broader:
                self._narrower.setdefault(parent, []).append(concept.uri)
        if clashes:
            raise ValueError(f"ambiguous names in {scheme}: " + "; ".join(clashes))

    def resolve(self, ref: str) -> Concept | None:
        """The concept that a full URI, a key, or a Dutch or English preferred or alternative label names."""
        ref = ref.strip()
        return self._by_uri.get(ref) or self._by_name.get(_name(ref))

    def narrower_closure(self, uri: str) -> frozenset[str]:
        """`uri` and the URIs of all concepts under it, at any depth; empty if `uri` is not in this list."""
        if uri not in self._by_uri:
            return frozenset()
        found = {uri}
        todo = [uri]
        while todo:
            for child in self._narrower.get(todo.pop(), ()):
                if child not in found:  # a concept may have several parents; also guards against cycles
                    found.add(child)
                    todo.append(child)
        return frozenset(found)

    def __iter__(self) -> Iterator[Concept]:
        return iter(self._by_uri.values())

    def __len__(self) -> int:
        return len(self._by_uri)

    def __contains__(self, item: object) -> bool:
        """Whether `item`, a Concept or a concept URI, belongs to this list."""
        if isinstance(item, Concept):
            return self._by_uri.get(item.uri) == item
        return isinstance(item, str) and item in self._by_uri

    def __repr__(self) -> str:
        return f"ConceptList({self.scheme!r}, {len(self)} concepts)"


def load_concept_list(path: Path) -> ConceptList:
    """The one skos:ConceptScheme in the Turtle file `path`, with its concepts; ValueError if malformed."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF, SKOS

    graph = Graph()
    graph.parse(path, format="turtle")
    schemes = set(graph.subjects(RDF.type, SKOS.ConceptScheme))
    if len(schemes) != 1:
        raise ValueError(f"{path}: expected one skos:ConceptScheme, found {len(schemes)}")
    scheme = schemes.pop()

    # One pass over the triples is several times faster than asking rdflib per concept.
    members: set[URIRef] = set()
    keys: dict[URIRef, str] = {}
    pref: dict[tuple[URIRef, str], list[str]] = {}
    alts: dict[str, list[str]] = {}
    broader: dict[URIRef, set[str]] = {}
    exact: dict[URIRef, set[str]] = {}
    close: dict[URIRef, set[str]] = {}
    for s, p, o in graph:
        if not isinstance(s, URIRef):
            continue
        if p == SKOS.inScheme or p == SKOS.topConceptOf:
            if o == scheme:
                members.add(s)
        elif p == SKOS.hasTopConcept and s == scheme and isinstance(o, URIRef):
            members.add(o)
        elif p == SKOS.notation:
            keys[s] = str(o)
        elif p == SKOS.prefLabel and isinstance(o, Literal) and o.language:
            pref.setdefault((s, o.language.lower()), []).append(str(o))
        elif p == SKOS.altLabel and isinstance(o, Literal):
            alts.setdefault(str(s), []).append(str(o))
        elif p == SKOS.broader:
            broader.setdefault(s, set()).add(str(o))
        elif p == SKOS.narrower and isinstance(o, URIRef):
            broader.setdefault(o, set()).add(str(s))
        elif p == SKOS.exactMatch:
            exact.setdefault(s, set()).add(str(o))
        elif p == SKOS.closeMatch:
            close.setdefault(s, set()).add(str(o))

    concepts = []
    for uri in members:
        labels = {lang: pref.get((uri, lang), []) for lang in ("nl", "en")}
        problems = [f"{len(v)} prefLabels @{lang}" for lang, v in labels.items() if len(v) != 1]
        if uri not in keys:
            problems.append("no skos:notation")
        if problems:
            raise ValueError(f"{path}: {uri}: " + ", ".join(problems))
        concepts.append(
            Concept(
                uri=str(uri),
                key=keys[uri],
                label_nl=labels["nl"][0],
                label_en=labels["en"][0],
                broader=tuple(sorted(broader.get(uri, ()))),
                matches=tuple(sorted(exact.get(uri, ())))
                + tuple(sorted(close.get(uri, set()) - exact.get(uri, set()))),
            )
        )
    return ConceptList(str(scheme), concepts, alts)


class Vocabulary:
    """The three concept lists of a vocab/ folder, each parsed when it is first asked for: a node's web
    app holds its vocabulary from the start (the templates label concepts with it), and most requests
    never look a concept up (parsing with rdflib, and importing it, cost ~0.3 s and ~7 MB)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @cached_property
    def sports(self) -> ConceptList:
        return load_concept_list(self.folder / SPORTS_FILE)

    @cached_property
    def target_groups(self) -> ConceptList:
        return load_concept_list(self.folder / TARGET_GROUPS_FILE)

    @cached_property
    def accessibility(self) -> ConceptList:
        return load_concept_list(self.folder / ACCESSIBILITY_FILE)

    def lists(self) -> tuple[ConceptList, ConceptList, ConceptList]:
        """All three lists, parsing any not read yet."""
        return self.sports, self.target_groups, self.accessibility


def load_vocabulary(vocab_dir: Path) -> Vocabulary:
    """The vocabulary of `vocab_dir`, every list parsed and checked now (ValueError if one is malformed)."""
    vocabulary = Vocabulary(vocab_dir)
    vocabulary.lists()
    return vocabulary
