"""Builders of the ActivityPub activities we send: plain data in, plain dicts out.

Activities that carry one of our objects use the objects' context (so their terms mean the same to a
JSON-LD processor); the bare social ones (Follow, Accept, ...) need only ActivityStreams.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from node.protocol.jsonld import AS_CONTEXT, AS_PUBLIC, OBJECT_CONTEXT


def _base(activity_id: str, kind: str, actor: str, published: str) -> dict[str, Any]:
    return {"@context": AS_CONTEXT, "id": activity_id, "type": kind, "actor": actor, "published": published}


def follow(activity_id: str, actor: str, target: str, published: str) -> dict[str, Any]:
    return {**_base(activity_id, "Follow", actor, published), "object": target, "to": [target]}


def _response(kind: str, activity_id: str, actor: str, follow_activity: Mapping[str, Any], published: str) -> dict[str, Any]:
    return {
        **_base(activity_id, kind, actor, published),
        # The Follow embedded (without its context) so the follower need not fetch it.
        "object": {k: v for k, v in follow_activity.items() if k != "@context"},
        "to": [follow_activity["actor"]],
    }


def accept(activity_id: str, actor: str, follow_activity: Mapping[str, Any], published: str) -> dict[str, Any]:
    return _response("Accept", activity_id, actor, follow_activity, published)


def reject(activity_id: str, actor: str, follow_activity: Mapping[str, Any], published: str) -> dict[str, Any]:
    return _response("Reject", activity_id, actor, follow_activity, published)


def undo(activity_id: str, actor: str, inner: Mapping[str, Any], published: str) -> dict[str, Any]:
    to = inner.get("to") or [AS_PUBLIC]
    return {**_base(activity_id, "Undo", actor, published),
            "object": {k: v for k, v in inner.items() if k != "@context"}, "to": to}


def _addressed(document: Mapping[str, Any], extra_cc: Sequence[str]) -> tuple[list[str], list[str]]:
    to = list(document.get("to") or [AS_PUBLIC])
    cc = list(dict.fromkeys([*document.get("cc", []), *extra_cc]))
    return to, cc


def _about_object(
    kind: str, activity_id: str, actor: str, document: Mapping[str, Any], published: str, extra_cc: Sequence[str]
) -> dict[str, Any]:
    to, cc = _addressed(document, extra_cc)
    body = {k: v for k, v in document.items() if k != "@context"}
    return {
        **_base(activity_id, kind, actor, published),
        "@context": OBJECT_CONTEXT,
        "object": body,
        "to": to,
        "cc": cc,
    }


def create(
    activity_id: str, actor: str, document: Mapping[str, Any], published: str, extra_cc: Sequence[str] = ()
) -> dict[str, Any]:
    return _about_object("Create", activity_id, actor, document, published, extra_cc)


def update(
    activity_id: str, actor: str, document: Mapping[str, Any], published: str, extra_cc: Sequence[str] = ()
) -> dict[str, Any]:
    return _about_object("Update", activity_id, actor, document, published, extra_cc)


def delete(
    activity_id: str, actor: str, tombstone: Mapping[str, Any], published: str, extra_cc: Sequence[str] = ()
) -> dict[str, Any]:
    return _about_object("Delete", activity_id, actor, {**tombstone, "to": [AS_PUBLIC]}, published, extra_cc)


def announce(
    activity_id: str, actor: str, object_id: str, published: str, cc: Sequence[str] = ()
) -> dict[str, Any]:
    return {**_base(activity_id, "Announce", actor, published), "object": object_id, "to": [AS_PUBLIC],
            "cc": list(cc)}


def is_public(activity: Mapping[str, Any]) -> bool:
    addresses = [*_as_list(activity.get("to")), *_as_list(activity.get("cc"))]
    return AS_PUBLIC in addresses


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def webfinger(subject: str, actor_id: str, profile_url: str | None = None) -> dict[str, Any]:
    links: list[dict[str, Any]] = [{"rel": "self", "type": "application/activity+json", "href": actor_id}]
    if profile_url:
        links.append({"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile_url})
    return {"subject": subject, "aliases": [actor_id], "links": links}


def nodeinfo_links(nodeinfo_url: str) -> dict[str, Any]:
    return {"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": nodeinfo_url}]}


def nodeinfo(
    *, version: str, users: int, local_posts: int, name: str, open_registrations: bool = False
) -> dict[str, Any]:
    """A NodeInfo 2.1 document; `users` counts organisations (our actors), `local_posts` our activities."""
    return {
        "version": "2.1",
        "software": {
            "name": "sportnode",
            "version": version,
            "repository": "https://w3id.org/sportnode",
            "homepage": "https://w3id.org/sportnode",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": {"users": {"total": users}, "localPosts": local_posts},
        "metadata": {"nodeName": name},
    }
