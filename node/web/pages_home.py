"""What the home page's HTML shows (`GET /` is negotiated in reading.py; JSON-LD and Turtle are unchanged):
a search box, sports to browse, shortcuts by target group, the node's wijken, what is new, and the
ways to the coverage page and the open data (docs/web.md, "Home")."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from node.i18n import N_
from node.i18n import gettext as _
from node.protocol.openactive import FEEDS
from node.services import pages_home
from node.services.rpde import FEED_PATH
from node.web.appkeys import NODE
from node.web.result_view import concept_label, item_of

# (text, search parameters): each a common question of residents, in the vocabulary's own keys.
SHORTCUTS = (
    (N_("65+"), (("targetGroup", "senioren"),)),
    (N_("Met een beperking"), (("targetGroup", "mensen-met-een-beperking"),)),
    (N_("Gratis of goedkoop"), (("maxPrice", "5"),)),
    (N_("Jeugd"), (("targetGroup", "jeugd"),)),
)
COLLECTION_WORDS = {"organisation": N_("Organisaties"), "place": N_("Locaties"), "activity": N_("Activiteiten"),
                    "course": N_("Cursussen")}
# Above this many wijken (an aggregator's whole region) the page lists municipalities, not every wijk.
MAX_WIJKEN = 80


def search_url(base: str, *pairs: tuple[str, str]) -> str:
    return f"{base}/zoeken?{urlencode([*pairs, ('type', 'activity')])}"


async def home_context(request: web.Request) -> dict[str, Any]:
    node = request.app[NODE]
    base = node.config.base_url
    found = await pages_home.home(node, base + "/")
    today = node.clock().date()
    wijk_count = sum(len(m.wijken) for m in found.municipalities)
    return {
        "counts": found.counts,
        "activities": found.activities,
        "collections": [{"url": node.collection_url(kind) + "?page=1", "name": _(COLLECTION_WORDS[kind]), "count": n}
                        for kind, n in found.counts.items() if kind in COLLECTION_WORDS],
        "sports": sorted(
            ({"label": concept_label(c), "count": n, "url": search_url(base, ("sport", c.key))} for c, n in found.sports),
            key=lambda s: str(s["label"]),
        ),
        "shortcuts": [{"text": _(text), "url": search_url(base, *pairs)} for text, pairs in SHORTCUTS],
        "municipalities": found.municipalities,
        "show_wijken": wijk_count <= MAX_WIJKEN,
        "latest": [item_of(hit, base_url=base, vocabulary=node.vocabulary, organisers=found.organisers, today=today)
                   for hit in found.latest.hits],
        "latest_url": f"{base}/zoeken?type=activity&sort=updated",
        "feeds": [(f"{base}{FEED_PATH}/{name}", feed.title) for name, feed in FEEDS.items()],
        "feed_path": FEED_PATH,
    }
