"""What other servers send us, checked and mapped before anything is stored. Pure: no I/O.

The federation layer applies these in order: `limits.parse_json_object` (size and depth), `validate_inbound`
(the schemas in schemas/inbound/), `check_context` (no context that would need a fetch), and for a Create
or Update of an Event `event_to_activity`, whose result must pass schemas/objects/remote-activity.json.
Who may send what (actor host == key host == object host) is the federation layer's check, not these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from node.errors import FieldError, SportnodeError
from node.protocol.jsonld import AS_PUBLIC, OBJECT_CONTEXT, is_known_context
from node.protocol.objects import CRITERIA
from node.protocol.validation import SchemaSet
from node.protocol.vocab import Concept, ConceptList

# The activity types an inbox accepts; each has its schema schemas/inbound/<type in lower case>.json.
INBOUND_TYPES = ("Follow", "Accept", "Reject", "Undo", "Create", "Update", "Delete", "Announce")
# JSON-LD compaction against the AS context may write the public collection as "as:Public", and some
# servers write plain "Public"; with the AS context all three are the same IRI.
PUBLIC_ALIASES = frozenset({AS_PUBLIC, "as:Public", "Public"})
ADDRESS_FIELDS = ("to", "cc", "bto", "bcc", "audience")
POSTAL_FIELDS = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")

_URL = re.compile(r"^https?://[^\s/?#@]+([/?#]\S*)?$")
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_URL = 2048
MAX_NAME = 1000
MAX_HTML = 200_000
MAX_PLACE_TEXT = 500


class InboundError(SportnodeError, ValueError):
    """Inbound input we refuse. A SportnodeError, so the web layer answers it in the one error shape with
    its field pointers; a ValueError, so pure callers that only know "bad data" catch it as that."""


class RefusedContext(InboundError):
    """The document names a JSON-LD context we do not hold; answering it would need a network fetch."""


class MalformedEvent(InboundError):
    """A remote Event that cannot be taken into our model."""


# ---- Contexts ----


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _context_problems(value: Any, pointer: str) -> list[FieldError]:
    def one(entry: Any, at: str) -> list[FieldError]:
        if entry is None or isinstance(entry, Mapping):
            return []
        if not isinstance(entry, str):
            return [FieldError(at, "must be a context URL or an inline context object")]
        if is_known_context(entry):
            return []
        return [
            FieldError(at, f"the context {entry[:200]!r} is not one this node holds, and it fetches none")
        ]

    if isinstance(value, list):
        return [problem for i, entry in enumerate(value) for problem in one(entry, f"{pointer}/{i}")]
    return one(value, pointer)


def check_context(document: Mapping[str, Any]) -> None:
    """Refuse (RefusedContext, HTTP 400) a document if any @context in it, at the top, in an embedded
    object, or scoped inside an inline context, names a URL we do not hold locally; likewise @import.

    Inline context objects are fine. A document without @context (Gancio sends none) is read as plain
    ActivityStreams, which is also what an inbox assumes of it; nothing to refuse.
    """
    problems: list[FieldError] = []
    # Iterative: the depth cap applies before this, but a walk should not depend on it.
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, Mapping):
            for key, item in value.items():
                here = f"{pointer}/{_escape(str(key))}"
                if key in ("@context", "@import"):
                    problems.extend(_context_problems(item, here))
                stack.append((item, here))
        elif isinstance(value, list):
            stack.extend((item, f"{pointer}/{i}") for i, item in enumerate(value))
    if problems:
        raise RefusedContext(
            400,
            "bad-request",
            "The document names a JSON-LD context that this node does not hold; it never fetches one.",
            sorted(problems, key=lambda p: p.path),
        )


# ---- Addressing ----


def normalise_public(addresses: str | Iterable[object] | None) -> list[str]:
    """`to`/`cc`-style addresses as a list, with every spelling of the public collection as AS_PUBLIC.

    One string counts as a list of one, None as none; repeats are dropped, order is kept, and anything
    that is not a string is left out (the schema has already refused it).
    """
    if addresses is None:
        return []
    items: Iterable[object] = [addresses] if isinstance(addresses, str) else addresses
    result: list[str] = []
    for item in items:
        if isinstance(item, str):
            address = AS_PUBLIC if item in PUBLIC_ALIASES else item
            if address not in result:
                result.append(address)
    return result


def is_public(addresses: str | Iterable[object] | None) -> bool:
    return AS_PUBLIC in normalise_public(addresses)


def normalise_addressing(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an activity with to/cc/bto/bcc/audience as lists of full URIs, in it and in its
    embedded object, so that "is this public?" has one answer however the sender spelled it."""

    def fixed(item: Mapping[str, Any]) -> dict[str, Any]:
        return {**item, **{k: normalise_public(item[k]) for k in ADDRESS_FIELDS if k in item}}

    result = fixed(document)
    if isinstance(result.get("object"), Mapping):
        result["object"] = fixed(result["object"])
    return result


# ---- Schemas ----


def validate_inbound(activity: Any, schemas: SchemaSet) -> list[FieldError]:
    """Every failing field of an inbound activity, by JSON Pointer; empty when it may go on.

    `schemas` is the SchemaSet of schemas/inbound/. The activity's `type` picks the schema; a type we do
    not accept is one error at /type.
    """
    if not isinstance(activity, Mapping):
        return [FieldError("", "must be a JSON object")]
    kind = activity.get("type")
    if "type" not in activity:
        return [FieldError("/type", "is required")]
    if not isinstance(kind, str) or kind not in INBOUND_TYPES:
        return [FieldError("/type", "must be one of " + ", ".join(INBOUND_TYPES))]
    return schemas.errors(kind.lower(), activity)


# ---- Remote events into our model ----


class _Problems:
    """Collects every problem of one event, so a sender learns all of them at once."""

    def __init__(self, at: str) -> None:
        self.at = at
        self.found: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.found.append(FieldError(self.at + field, message))


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str)]
    return []


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_URL and _URL.match(value) is not None


def _url(value: Any, field: str, problems: _Problems, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            problems.add(field, "is required")
        return None
    if not _is_url(value):
        problems.add(field, "must be an http(s) URL")
        return None
    result: str = value
    return result


def _text(value: Any, field: str, problems: _Problems, *, limit: int, required: bool = False) -> str | None:
    """A non-blank string up to `limit` characters, as sent (not stripped: it may be HTML)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(field, "is required")
        return None
    if not isinstance(value, str):
        problems.add(field, "must be text")
        return None
    if len(value) > limit:
        problems.add(field, f"must be at most {limit} characters")
        return None
    return value


def _from_language_map(value: Any) -> Any:
    # Only where the plain property is absent: Dutch first, then English, then whatever comes first.
    if not isinstance(value, Mapping) or not value:
        return None
    for language in ("nl", "en", "und"):
        if language in value:
            return value[language]
    return next(iter(value.values()))


def _parse_date_time(value: str) -> datetime | None:
    match = _DATE_TIME.match(value)
    if not match:
        return None
    date, time, fraction, zone = match.groups()
    # fromisoformat takes at most six fraction digits; nanoseconds are not worth keeping.
    text = f"{date}T{time}" + (f".{fraction[:6].ljust(6, '0')}" if fraction else "")
    text += "+00:00" if zone in ("Z", "z") else zone
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _date_time(value: Any, field: str, problems: _Problems) -> tuple[str, datetime] | None:
    if value is None:
        return None
    parsed = _parse_date_time(value) if isinstance(value, str) else None
    if parsed is None:
        problems.add(field, "must be a date-time with a time zone, like 2025-03-31T19:00:00+02:00")
        return None
    return value.upper(), parsed


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _actor_id(value: Any, field: str, problems: _Problems) -> str | None:
    # Mobilizon and Gancio send a URL; others embed the actor, or list several (the first is the author).
    if isinstance(value, list):
        value = value[0] if value else None
        field += "/0"
    if isinstance(value, Mapping):
        value = value.get("id")
        field += "/id"
    return _url(value, field, problems, required=True)


def _link(value: Any, field: str, problems: _Problems) -> str | None:
    """The page of an event: `url` as a string, a Link, or a list of these (the HTML one preferred)."""
    if isinstance(value, list):
        if not value:
            return None
        html = [
            i for i, v in enumerate(value) if isinstance(v, Mapping) and v.get("mediaType") == "text/html"
        ]
        index = html[0] if html else 0
        return _link(value[index], f"{field}/{index}", problems)
    if isinstance(value, Mapping):
        return _url(value.get("href"), f"{field}/href", problems, required=True)
    return _url(value, field, problems)


def _coordinates(place: Mapping[str, Any], field: str, problems: _Problems) -> dict[str, float]:
    source, at = place, field
    if "latitude" not in place and "longitude" not in place and isinstance(place.get("geo"), Mapping):
        source, at = place["geo"], f"{field}/geo"  # schema.org writes them in a GeoCoordinates
    latitude, longitude = source.get("latitude"), source.get("longitude")
    if latitude is None and longitude is None:
        return {}
    result: dict[str, float] = {}
    for name, value, bound in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if value is None:
            problems.add(f"{at}/{name}", "is required with the other coordinate")
        elif isinstance(value, bool) or not isinstance(value, int | float) or not -bound <= value <= bound:
            problems.add(f"{at}/{name}", f"must be a number from -{bound} to {bound}")
        else:
            result[name] = float(value)
    return result if len(result) == 2 else {}


def _postal_address(address: Mapping[str, Any], field: str, problems: _Problems) -> dict[str, str] | None:
    result: dict[str, str] = {}
    for name in POSTAL_FIELDS:
        value = address.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, int) and not isinstance(value, bool) and name == "postalCode":
            value = str(value)  # a postal code sent as a number is still a postal code
        if not isinstance(value, str):
            problems.add(f"{field}/{name}", "must be text")
        elif len(value) > MAX_PLACE_TEXT:
            problems.add(f"{field}/{name}", f"must be at most {MAX_PLACE_TEXT} characters")
        else:
            result[name] = value.strip()
    return {"type": "PostalAddress", **result} if result else None


def _virtual(
    url_value: Any, url_field: str, name: str | None, location_id: str | None, problems: _Problems
) -> dict[str, Any]:
    url = _link(url_value, url_field, problems) if url_value is not None else None
    if url is None and url_value is None:
        problems.add(url_field, "is required for a VirtualLocation")
    return _compact({"id": location_id, "type": "VirtualLocation", "name": name, "url": url})


# Fields of our own nodes' embedded places, carried over as they are for the schema to check.
_OWN_PLACE_FIELDS = (
    "attributedTo",
    "municipalityCode",
    "neighbourhoodCode",
    "accessibilitySupport",
    "published",
    "updated",
)


def _location(value: Any, field: str, problems: _Problems) -> dict[str, Any] | None:
    """One location in our shape: a Place (with a PostalAddress, a text address, or only a name) or a
    VirtualLocation. Gancio writes an online location as a Place whose address is a VirtualLocation;
    it becomes a VirtualLocation here, since schema:address cannot hold one."""
    if not isinstance(value, Mapping):
        problems.add(field, "must be an embedded Place or VirtualLocation (a location URL is not followed)")
        return None
    types = _types(value.get("type"))
    name = _text(value.get("name"), f"{field}/name", problems, limit=MAX_PLACE_TEXT)
    location_id = _url(value.get("id"), f"{field}/id", problems)
    if "VirtualLocation" in types:
        return _virtual(value.get("url"), f"{field}/url", name, location_id, problems)
    if types and "Place" not in types:
        problems.add(f"{field}/type", "must be Place or VirtualLocation")
        return None

    address: Any = value.get("address")
    if isinstance(address, Mapping):
        address_types = _types(address.get("type"))
        if "VirtualLocation" in address_types:
            return _virtual(address.get("url"), f"{field}/address/url", name, location_id, problems)
        if address_types and "PostalAddress" not in address_types:
            problems.add(f"{field}/address/type", "must be PostalAddress or VirtualLocation")
            return None
        address = _postal_address(address, f"{field}/address", problems)
    elif isinstance(address, str):
        address = _text(address, f"{field}/address", problems, limit=MAX_PLACE_TEXT)
        address = address.strip() if address else None
    elif address is not None:
        problems.add(f"{field}/address", "must be a PostalAddress, a VirtualLocation or text")
        return None

    if name is None and address is None:
        problems.add(field, "a Place needs a name or an address")
        return None
    own = {k: value[k] for k in _OWN_PLACE_FIELDS if k in value}
    return _compact(
        {
            "id": location_id,
            "type": "Place",
            "name": name.strip() if name else None,
            **own,
            "address": address,
            **_coordinates(value, field, problems),
        }
    )


def _locations(value: Any, field: str, problems: _Problems) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        mapped = [_location(item, f"{field}/{i}", problems) for i, item in enumerate(value)]
        kept = [m for m in mapped if m is not None]
        return kept[0] if len(kept) == 1 else kept or None
    return _location(value, field, problems)


# ---- Sport ----


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
            types = _types(tag.get("type"))
            if "Hashtag" in types or (not types and tag["name"].startswith("#")):
                yield tag["name"]


def _sport(
    event: Mapping[str, Any], name: str | None, sports: ConceptList, problems: _Problems
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


# ---- Our own terms, carried over from our peers ----


def _kept(event: Mapping[str, Any], problems: _Problems) -> dict[str, Any]:
    """Our own nodes' terms, when present, checked for their JSON type; the object schema checks the rest."""
    kinds: dict[str, tuple[type | tuple[type, ...], str]] = {
        "eventSchedule": (dict, "must be an object"),
        "ageRange": (dict, "must be an object"),
        "contactPoint": (dict, "must be an object"),
        "targetGroup": (list, "must be a list of concept URIs"),
        "accessibilitySupport": (list, "must be a list of concept URIs"),
        "offers": (list, "must be a list of Offers"),
        "isAccessibleForFree": (bool, "must be true or false"),
        **{name: (bool, "must be true or false") for name in CRITERIA},
    }
    kept: dict[str, Any] = {}
    for name, (kind, message) in kinds.items():
        value = event.get(name)
        if value is None:
            continue
        if name == "offers" and isinstance(value, dict):
            value = [value]  # schema.org allows one Offer without a list
        if isinstance(value, kind):
            kept[name] = value
        else:
            problems.add(f"/{name}", message)
    capacity = event.get("maximumAttendeeCapacity")
    if capacity is not None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            problems.add("/maximumAttendeeCapacity", "must be a whole number of at least 1")
        else:
            kept["maximumAttendeeCapacity"] = capacity
    for name in ("validFrom", "validThrough"):
        value = event.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not _DATE.match(value) or not _valid_date(value):
            problems.add(f"/{name}", "must be a date, like 2026-01-01")
        else:
            kept[name] = value
    if "validFrom" in kept and "validThrough" in kept and kept["validThrough"] < kept["validFrom"]:
        problems.add("/validThrough", "must not be before validFrom")
    return kept


def _valid_date(value: str) -> bool:
    # Called after _DATE matched (YYYY-MM-DD); fromisoformat checks the calendar ~20x faster than strptime.
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _compact(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if v is not None and v != [] and v != {}}


def _addresses(value: Any, field: str, problems: _Problems) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, str | list) or (
        isinstance(value, list) and not all(isinstance(a, str) for a in value)
    ):
        problems.add(field, "must be an address or a list of addresses")
        return []
    return normalise_public(value)


def event_to_activity(
    event: Mapping[str, Any], *, sports: ConceptList, received: str, at: str = ""
) -> dict[str, Any]:
    """A remote AS2 Event (ours, Mobilizon's, Gancio's) as our activity document (remote-activity.json).

    Kept: the remote `id`, the author's id from `attributedTo`, name, content and summary AS SENT (remote
    HTML: sanitise before rendering), startTime/endTime, the page `url`, addressing with the public
    collection spelled out, the location as a Place or VirtualLocation, and our own nodes' terms
    (eventSchedule, targetGroup, ageRange, offers, the buurtsportcoach criteria, ...). `sport` is the
    sender's concept if we know it, else the first hashtag, category or run of words in the name that
    `sports` resolves, else absent. `published`/`updated` become UTC seconds; `received` (when we got it)
    stands in for whichever is missing.

    Raises MalformedEvent (HTTP 422) listing every problem by JSON Pointer, each prefixed with `at` (the
    event's place in its activity, e.g. "/object").
    """
    problems = _Problems(at)
    if "Event" not in _types(event.get("type")):
        problems.add("/type", "must be Event")
    event_id = _url(event.get("id"), "/id", problems, required=True)
    author = _actor_id(event.get("attributedTo"), "/attributedTo", problems)
    name_value = (
        event.get("name") if event.get("name") is not None else _from_language_map(event.get("nameMap"))
    )
    name = _text(name_value, "/name", problems, limit=MAX_NAME, required=True)
    content_value = event.get("content")
    if content_value is None:
        content_value = _from_language_map(event.get("contentMap"))
    content = _text(content_value, "/content", problems, limit=MAX_HTML)
    summary = _text(event.get("summary"), "/summary", problems, limit=MAX_HTML)

    start = _date_time(event.get("startTime"), "/startTime", problems)
    end = _date_time(event.get("endTime"), "/endTime", problems)
    if event.get("startTime") is None and event.get("eventSchedule") is None:
        problems.add("/startTime", "is required (or an eventSchedule)")
    if start and end and end[1] < start[1]:
        problems.add("/endTime", "must not be before startTime")

    received_at = _parse_date_time(received)
    if received_at is None:
        raise ValueError(f"received must be an RFC 3339 date-time, not {received!r}")
    published_at = _date_time(event.get("published"), "/published", problems)
    updated_at = _date_time(event.get("updated"), "/updated", problems)
    published = _timestamp(published_at[1] if published_at else received_at)
    updated = _timestamp(updated_at[1]) if updated_at else published

    document = _compact(
        {
            "@context": OBJECT_CONTEXT,
            "id": event_id,
            "type": "Event",
            "published": published,
            "updated": updated,
            "name": name.strip() if name else None,
            "content": content,
            "summary": summary,
            "attributedTo": author,
            "sport": _sport(event, name, sports, problems),
            "location": _locations(event.get("location"), "/location", problems),
            "startTime": start[0] if start else None,
            "endTime": end[0] if end else None,
            **_kept(event, problems),
            "url": _link(event.get("url"), "/url", problems),
            "to": _addresses(event.get("to"), "/to", problems),
            "cc": _addresses(event.get("cc"), "/cc", problems),
        }
    )
    if problems.found:
        raise MalformedEvent(
            422,
            "invalid-input",
            "The event cannot be taken into this node's model.",
            sorted(problems.found, key=lambda p: p.path),
        )
    return document
