"""Which sport a remote event is: the sender's concept, a hashtag, a category or words in its name,
resolved against our sport list. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from node.protocol.inbound_fields import Problems, type_names
from node.protocol.vocab import Concept, ConceptList


def _squash(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


@lru_cache(maxsize=8)
def _squashed_names(sports: ConceptList) -> dict[str, Concept]:
    """Keys and labels without spaces or hyphens, as hashtags write them ("walkingfootball").

    A squashed name that two concepts share is left out rather than guessed. Cached per list because a
    backfill maps hundreds of thousands of events against the same one.
    """
    found: dict[str, Concept] = {}
    clashes: set[str] = set()
    for concept in sports:
        for name in {_squash(n) for n in (concept.key, concept.label_nl, concept.label_en)}:
            if name in found and found[name] is not concept:
                clashes.add(name)
            found.setdefault(name, concept)
    return {name: concept for name, concept in found.items() if name not in clashes and name}


@lru_cache(maxsize=8)
def _matched_uris(sports: ConceptList) -> dict[str, Concept]:
    """OpenActive (and other) URIs that exactly one of our concepts matches, for peers that send those."""
    owners: dict[str, set[str]] = {}
    by_uri = {concept.uri: concept for concept in sports}
    for concept in sports:
        for match in concept.matches:
            owners.setdefault(match, set()).add(concept.uri)
    return {match: by_uri[next(iter(uris))] for match, uris in owners.items() if len(uris) == 1}


def _words(text: str) -> list[str]:
    # "#WalkingFootball", "walking_football" and "walking-football" all give the words walking, football.
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return [w for w in re.split(r"[\s_\-]+", spaced) if w]


def _term(text: str, sports: ConceptList) -> Concept | None:
    text = text.strip().lstrip("#").strip()
    if not text:
        return None
    found = sports.resolve(text)
    words = _words(text)
    if found is None and len(words) > 1:
        found = sports.resolve(" ".join(words)) or sports.resolve("-".join(words))
    return found or _squashed_names(sports).get(_squash(text))


def _in_name(name: str, sports: ConceptList) -> Concept | None:
    """The longest run of words in `name` that names a sport, leftmost first ("Walking football voor 65+"
    is walking football, not football). Single words shorter than three letters are not tried."""
    words = re.findall(r"\w+", name)
    for size in range(min(4, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            phrase = words[start : start + size]
            if size == 1 and len(phrase[0]) < 3:
                continue
            found = sports.resolve(" ".join(phrase)) or _squashed_names(sports).get(_squash("".join(phrase)))
            if found:
                return found
    return None


def _hashtags(tags: Any) -> Iterator[str]:
    for tag in tags if isinstance(tags, list) else [tags]:
        if isinstance(tag, Mapping) and isinstance(tag.get("name"), str):
            types = type_names(tag.get("type"))
            if "Hashtag" in types or (not types and tag["name"].startswith("#")):
                yield tag["name"]


def sport_of(
    event: Mapping[str, Any], name: str | None, sports: ConceptList, problems: Problems
) -> str | None:
    declared = event.get("sport")
    if declared is not None:
        if not isinstance(declared, str):
            problems.add("/sport", "must be the URI of a sport concept")
            return None
        # Our own nodes send our concept URI; a peer with a newer list may send one we lack, and then the
        # tags below may still say what it is.
        concept = sports.resolve(declared) or _matched_uris(sports).get(declared.strip())
        if concept:
            return concept.uri
    for tag in _hashtags(event.get("tag")):
        if concept := _term(tag, sports):
            return concept.uri
    category = event.get("category")
    for text in category if isinstance(category, list) else [category]:
        if isinstance(text, str) and (concept := _term(text, sports)):
            return concept.uri
    concept = _in_name(name, sports) if name else None
    return concept.uri if concept else None
