"""RSA-2048 key pairs for the node and its organisation actors."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiosqlite
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from node.store.access import KeyPair, get_key, put_key


def generate_key_pair(actor_id: str) -> KeyPair:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(actor_id, private_pem, public_pem)


async def new_key_pair(actor_id: str) -> KeyPair:
    # ~70 ms of CPU: kept off the event loop, and outside any write transaction.
    return await asyncio.to_thread(generate_key_pair, actor_id)


def _generate_all(actor_ids: Sequence[str]) -> list[KeyPair]:
    return [generate_key_pair(actor_id) for actor_id in actor_ids]


async def new_key_pairs(actor_ids: Sequence[str]) -> list[KeyPair]:
    """Key pairs for many actors, in the order given; two threads use both cores (~70 ms a key)."""
    done = await asyncio.gather(
        *(asyncio.to_thread(_generate_all, half) for half in (actor_ids[0::2], actor_ids[1::2]))
    )
    by_id = {pair.actor_id: pair for pairs in done for pair in pairs}
    return [by_id[i] for i in actor_ids]


async def ensure_key(db: aiosqlite.Connection, pair: KeyPair, now: str) -> KeyPair:
    """Store `pair` unless the actor already has one; return the stored pair."""
    existing = await get_key(db, pair.actor_id)
    if existing:
        return existing
    await put_key(db, pair, now)
    return pair
