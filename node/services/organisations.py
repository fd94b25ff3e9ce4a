"""Organisations: created by the node admin, each with its own bearer token and an invite link."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiosqlite

from node.errors import FieldError, forbidden, invalid_input, not_found, unauthorized
from node.protocol.objects import organisation_document
from node.services.keys import ensure_key, new_key_pair
from node.services.node import Node, iso
from node.services.outbox import publish_in
from node.services.vocab_refs import resolve_concepts
from node.services.write_shape import to_write_shape
from node.store import access
from node.store.objects import StoredObject, get_object, put_object

ADMIN_TOKEN_SETTING = "admin_token_sha256"
INVITE_VALID_FOR = timedelta(days=14)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    return slug or "organisatie"


def invite_url(node: Node, code: str) -> str:
    return f"{node.config.base_url}/claim/{code}"


@dataclass(frozen=True)
class NewOrganisation:
    object: StoredObject
    token: str
    invite_url: str


async def issue_admin_token(node: Node) -> str:
    token = new_secret()
    async with node.db.write() as db:
        await access.set_setting(db, ADMIN_TOKEN_SETTING, hash_secret(token))
    return token


async def is_admin(node: Node, token: str) -> bool:
    async with node.db.read() as db:
        stored = await access.get_setting(db, ADMIN_TOKEN_SETTING)
    return stored is not None and hmac.compare_digest(stored, hash_secret(token))


async def authenticate(node: Node, token: str) -> str:
    """The organisation a token belongs to, or 401."""
    async with node.db.read() as db:
        organisation_id = await access.organisation_for_token(db, hash_secret(token))
    if organisation_id is None:
        raise unauthorized("The token is not valid for any organisation.")
    return organisation_id


async def _free_slug(db: aiosqlite.Connection, node: Node, wanted: str) -> str:
    slug, n = wanted, 1
    while await get_object(db, node.object_url("organisation", slug)):
        n += 1
        slug = f"{wanted}-{n}"
    return slug


def _check(node: Node, data: dict[str, Any]) -> list[str]:
    """Schema and vocabulary checks; the focus areas as concept URIs."""
    errors = node.schemas.errors("organisation", data)
    if errors:
        raise invalid_input(errors)
    problems: list[FieldError] = []
    focus = resolve_concepts(
        node.vocabulary.sports, data.get("focusAreas", []), "/focusAreas", "sport", problems
    )
    code = data.get("municipalityCode")
    if code and code not in node.areas.municipalities:
        problems.append(FieldError("/municipalityCode", f"{code} is not a CBS municipality code of 2025"))
    if problems:
        raise invalid_input(problems)
    return focus


async def create_organisation_in(
    db: aiosqlite.Connection, node: Node, data: dict[str, Any], key_pair: access.KeyPair | None = None
) -> NewOrganisation:
    """Create inside an open write transaction; `key_pair` lets callers generate keys beforehand."""
    focus = _check(node, data)
    slug = data.get("slug") or slugify(data["name"])
    if data.get("slug") and await get_object(db, node.object_url("organisation", slug)):
        raise invalid_input([FieldError("/slug", f"{slug!r} is already taken")])
    slug = await _free_slug(db, node, slug)
    object_id = node.object_url("organisation", slug)
    pair = key_pair if key_pair and key_pair.actor_id == object_id else await new_key_pair(object_id)
    now = node.now()
    await ensure_key(db, pair, now)
    document = organisation_document(
        data,
        object_id=object_id,
        slug=slug,
        focus_areas=focus,
        public_key_pem=pair.public_pem,
        shared_inbox=f"{node.config.base_url}/inbox",
        published=now,
        updated=now,
    )
    await put_object(db, "organisation", object_id, document)
    await publish_in(db, node, "Create", document, object_id)
    token, code = new_secret(), new_secret()
    await access.put_access(db, object_id)
    await access.set_token_hash(db, object_id, hash_secret(token))
    await access.set_invite(db, object_id, hash_secret(code), iso(node.clock() + INVITE_VALID_FOR))
    stored = await get_object(db, object_id)
    assert stored is not None
    return NewOrganisation(stored, token, invite_url(node, code))


async def create_organisation(node: Node, data: dict[str, Any]) -> NewOrganisation:
    data = to_write_shape("organisation", data)
    _check(node, data)  # fail fast, before spending a key generation
    slug = data.get("slug") or slugify(data["name"])
    async with node.db.read() as db:
        slug = await _free_slug(db, node, slug) if not data.get("slug") else slug
    pair = await new_key_pair(node.object_url("organisation", slug))
    async with node.db.write() as db:
        return await create_organisation_in(db, node, data, pair)


async def update_organisation(node: Node, organisation_id: str, data: dict[str, Any]) -> StoredObject:
    data = to_write_shape("organisation", data, object_id=organisation_id)
    focus = _check(node, data)
    async with node.db.write() as db:
        current = await get_object(db, organisation_id)
        if current is None or current.deleted:
            raise not_found()
        slug = current.document["preferredUsername"]
        if data.get("slug", slug) != slug:
            raise invalid_input([FieldError("/slug", "the slug of an organisation cannot change")])
        key = await access.get_key(db, organisation_id)
        assert key is not None
        document = organisation_document(
            data,
            object_id=organisation_id,
            slug=slug,
            focus_areas=focus,
            public_key_pem=key.public_pem,
            shared_inbox=f"{node.config.base_url}/inbox",
            published=current.published,
            updated=node.now(),
        )
        await put_object(db, "organisation", organisation_id, document)
        await publish_in(db, node, "Update", document, organisation_id)
        stored = await get_object(db, organisation_id)
    assert stored is not None
    return stored


async def organisation_by_slug(node: Node, slug: str) -> str:
    organisation_id = node.object_url("organisation", slug)
    async with node.db.read() as db:
        found = await get_object(db, organisation_id)
    if found is None or found.deleted:
        raise not_found(f"There is no organisation {slug!r} on this node.")
    return organisation_id


async def issue_invite(node: Node, organisation_id: str) -> str:
    code = new_secret()
    async with node.db.write() as db:
        await access.spend_invite(db, organisation_id, "replaced", node.now())
        await access.set_invite(db, organisation_id, hash_secret(code), iso(node.clock() + INVITE_VALID_FOR))
    return invite_url(node, code)


async def rotate_token(node: Node, organisation_id: str) -> str:
    token = new_secret()
    async with node.db.write() as db:
        await access.set_token_hash(db, organisation_id, hash_secret(token))
    return token


async def claim_invite(node: Node, code: str) -> tuple[str, str]:
    """Trade a valid invite code for a fresh token (the old one stops working); the code is spent."""
    token = new_secret()
    async with node.db.write() as db:
        organisation_id = await access.organisation_for_invite(db, hash_secret(code), node.now())
        if organisation_id is None:
            raise forbidden("This invite link is not valid (any more). Ask the node admin for a new one.")
        await access.spend_invite(db, organisation_id, "claimed", node.now())
        await access.mark_claimed(db, organisation_id, hash_secret(token), node.now())
    return organisation_id, token


async def invite_state(node: Node, code: str) -> str:
    """What an invite code is now: "valid", "expired", "claimed", "replaced" or "unknown"."""
    async with node.db.read() as db:
        return await access.invite_state(db, hash_secret(code), node.now())
