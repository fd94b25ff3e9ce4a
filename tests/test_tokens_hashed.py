"""A stolen database file gives no working token: the admin token, organisation tokens and invite codes
are kept as SHA-256 hashes only (docs/security.md), and what is kept cannot be used as a token."""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp.test_utils import TestClient

from node.services.node import Node


def stored_bytes(node: Node) -> bytes:
    """Every file of the database as it lies on disk (the write-ahead log too)."""
    folder = node.config.db_path.parent
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.name.startswith(node.config.db_path.name))


async def test_tokens_and_invites_are_stored_as_hashes_only(
    client: TestClient[Any, Any], admin: dict[str, str], club: dict[str, Any], node: Node
) -> None:
    admin_token = admin["Authorization"].removeprefix("Bearer ")
    token, code = club["token"], club["invite"].rsplit("/", 1)[1]
    assert (await client.get("/api/me", headers=club["headers"])).status == 200
    kept = stored_bytes(node)
    for secret in (admin_token, token, code):
        assert secret.encode() not in kept
        assert hashlib.sha256(secret.encode()).hexdigest().encode() in kept
    # The hash is no token: presented as one, it is refused.
    stolen = {"Authorization": f"Bearer {hashlib.sha256(token.encode()).hexdigest()}"}
    assert (await client.get("/api/me", headers=stolen)).status == 401
