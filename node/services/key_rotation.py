"""`sportnode keys rotate`: a new key pair for the node or an organisation, announced to followers.

The new key replaces the old one in one write transaction that also stores the actor's new document
(an organisation's document embeds its public key) and queues an Update of the actor for every
follower. From then on everything is signed with the new key. A peer that cached the old key learns
the new one from that Update, or sooner: a signature that does not verify with its cached key makes
it fetch the actor again (federation/inbox.py does this, as Mastodon does). A signature made with the
old key stops working at a peer once it has the new key: seconds for a peer that is up, on its return
for one that is down (the Update waits in the delivery queue). docs/operator.md, "Rotating keys".
"""

from __future__ import annotations

from typing import Any

from node.errors import not_found
from node.protocol.objects import node_document
from node.services.keys import new_key_pair
from node.services.node import KINDS, Node
from node.services.outbox import publish_in
from node.store.access import KeyPair, get_key, replace_key
from node.store.objects import get_object, put_object


def _with_key(document: dict[str, Any], actor_id: str, public_pem: str, now: str) -> dict[str, Any]:
    key = {"id": f"{actor_id}#main-key", "owner": actor_id, "publicKeyPem": public_pem}
    return {**document, "publicKey": key, "updated": now}


async def rotate(node: Node, actor_id: str) -> KeyPair:
    """Replace the key of our actor `actor_id` (the node's id, or one of our organisations')."""
    pair = await new_key_pair(actor_id)  # ~70 ms of CPU, outside the transaction
    now = node.now()
    async with node.db.write() as db:
        if await get_key(db, actor_id) is None:
            raise not_found(f"{actor_id} is no actor of this node")
        await replace_key(db, pair, now)
        if actor_id == node.config.node_id:
            document = node_document(
                node_id=actor_id, name=node.config.name, public_key_pem=pair.public_pem,
                collections={kind: node.collection_url(kind) for kind in KINDS},
                vocabulary=f"{node.config.base_url}/ns/context.jsonld",
            )
        else:
            current = await get_object(db, actor_id)
            if current is None or current.deleted or current.origin is not None:
                raise not_found(f"{actor_id} is no live organisation of this node")
            document = _with_key(dict(current.document), actor_id, pair.public_pem, now)
            await put_object(db, "organisation", actor_id, document)
        await publish_in(db, node, "Update", document, actor_id)
    return pair
