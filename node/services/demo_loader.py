"""Loading generated demo offering into a node through the same services an organisation uses."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from node.services.demo_data import DemoOrganisation
from node.services.keys import new_key_pairs
from node.services.node import Node
from node.services.organisations import create_organisation_in, slugify
from node.services.publishing import create_in


async def load_demo(
    node: Node, offering: Sequence[DemoOrganisation], progress: Callable[[int], None] | None = None
) -> None:
    """Create every organisation with its places, activities and courses; each organisation in one transaction."""
    slugs = [demo.organisation.get("slug") or slugify(demo.organisation["name"]) for demo in offering]
    # Key generation dominates loading; done up front, outside the write transactions.
    pairs = await new_key_pairs([node.object_url("organisation", s) for s in slugs])
    for demo, slug, pair in zip(offering, slugs, pairs, strict=True):
        async with node.db.write() as db:
            created = await create_organisation_in(db, node, {**demo.organisation, "slug": slug}, pair)
            owner = created.object.id
            place_ids: dict[str, str] = {}
            for ref, place in demo.places:
                place_ids[ref] = (await create_in(db, node, owner, "place", place)).id
            for activity in demo.activities:
                await create_in(
                    db, node, owner, "activity", {**activity, "place": place_ids[activity["place"]]}
                )
            for course in demo.courses:
                instances = [
                    {**i, "place": place_ids[i["place"]]} if "place" in i else i for i in course["instances"]
                ]
                await create_in(db, node, owner, "course", {**course, "instances": instances})
        if progress:
            progress(1)
