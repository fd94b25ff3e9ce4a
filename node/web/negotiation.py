"""Choosing a response media type from the Accept header (RFC 9110, section 12.5.1)."""

from __future__ import annotations

from collections.abc import Sequence

ACTIVITY_JSON = "application/activity+json"
LD_JSON = "application/ld+json"
JSON = "application/json"
TURTLE = "text/turtle"
HTML = "text/html"
AS_PROFILE = '; profile="https://www.w3.org/ns/activitystreams"'

# Offers for a linked-data resource, in order of preference when the client does not mind.
LINKED_DATA_OFFERS = (ACTIVITY_JSON, LD_JSON, JSON, TURTLE, HTML)


def _parse(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        if not media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((media.lower(), q))
    return ranges


def _quality(offer: str, ranges: list[tuple[str, float]]) -> float:
    """q of the most specific range that matches the offer (exact beats type/* beats */*)."""
    kind = offer.split("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for media, q in ranges:
        specificity = 2 if media == offer else 1 if media == f"{kind}/*" else 0 if media == "*/*" else -1
        if specificity > best[0]:
            best = (specificity, q)
    return best[1]


def choose(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers most, the earlier offer on ties; None when nothing is acceptable."""
    if not accept or not accept.strip():
        return offers[0]
    ranges = _parse(accept)
    scored = [(_quality(offer, ranges), -i, offer) for i, offer in enumerate(offers)]
    q, _, offer = max(scored)
    return offer if q > 0 else None


def content_type_header(media: str) -> str:
    return media + AS_PROFILE if media == LD_JSON else media
