"""Sanitised at the door: the HTML and the text of a remote object are cleaned when it is stored, so the
API, the CSV and the iCalendar feed (all read from the stored document) give clean text."""

from __future__ import annotations

import json
from typing import Any

from federation_net import Network, Peer
from inbox_net import create, event, post
from inbox_net import pair as pair  # the fixture

from node.protocol.remote_text import cleaned

HOSTILE = {
    "name": "<b>Zwem</b>les &amp; meer<script>alert(1)</script>",
    "content": '<p onclick="alert(1)">Elke <strong>dinsdag</strong></p><script>alert(2)</script>'
               '<a href="javascript:alert(3)">hier</a><img src=x onerror=alert(4)>',
    "summary": '<iframe src="https://evil.example"></iframe><em>Voor iedereen</em>',
    "location": {"type": "Place", "name": "<i>Sporthal</i><style>*{}</style>",
                 "address": {"type": "PostalAddress", "streetAddress": "<b>Sportlaan</b> 1",
                             "addressLocality": "Amersfoort", "addressCountry": "NL"}},
}
ACTIVE = ("<script", "onclick", "onerror", "javascript:", "<iframe", "<img", "<style", "alert(")


def test_cleaned_is_pure_and_keeps_what_is_allowed() -> None:
    document = cleaned({"type": "Event", **HOSTILE})
    assert document["name"] == "Zwemles & meer"
    assert document["content"] == '<p>Elke <strong>dinsdag</strong></p><a rel="nofollow noopener noreferrer">hier</a>'
    assert document["summary"] == "<em>Voor iedereen</em>"
    assert document["location"]["name"] == "Sporthal"
    assert document["location"]["address"]["streetAddress"] == "Sportlaan 1"
    assert cleaned(document) == document  # cleaning twice changes nothing (an aggregator's relay)
    place = cleaned({"type": "Place", "name": "<b>Veld</b> 3", "address": "<i>Dorpsstraat</i> 1"})
    assert (place["name"], place["address"]) == ("Veld 3", "Dorpsstraat 1")


async def test_a_hostile_event_is_stored_clean(pair: tuple[Network, Peer, Peer]) -> None:
    net, target, sender = pair
    body = json.dumps(create(sender, event(sender, "hostile", **HOSTILE), key="chostile")).encode()
    assert (await post(net, target, body, await sender.key()))[0] == 202
    rows = await target.query("SELECT document FROM objects WHERE id = ?", f"{sender.base}/activities/hostile")
    stored: dict[str, Any] = json.loads(rows[0][0])
    assert stored["name"] == "Zwemles & meer" and stored["summary"] == "<em>Voor iedereen</em>"
    assert stored["location"]["name"] == "Sporthal"
    for output in ("json", "csv", "ical"):
        async with net.http.get(f"{target.base}/api/search", params={"format": output, "limit": "50"}) as response:
            assert response.status == 200, await response.text()
            text = await response.text()
        assert "Zwemles" in text, output
        for bad in ACTIVE:
            assert bad not in text, (output, bad)
