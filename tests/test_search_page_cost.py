"""What the search page does to be cheap (docs/web.md, "Search") changes nothing it shows: what it keeps
between requests never outlives a change (an organiser's new name, an activity's new text and the other
language show at once), and a big page is compressed for a client that takes gzip (real node, aiohttp
test client)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient
from conftest import activity_input, create, place_input

Client = TestClient[Any, Any]
HTML = {"Accept": "text/html"}


async def _page(client: Client, query: str) -> str:
    response = await client.get(f"/zoeken?{query}", headers=HTML)
    assert response.status == 200
    return await response.text()


def _results(text: str) -> str:
    found = re.search(r'<ol id="results" class="results">(.*?)</ol>', text, re.S)
    assert found, text[:2000]
    return found.group(1)


async def test_a_renamed_organiser_and_a_changed_activity_show_at_once(client: Client, club: dict[str, Any]) -> None:
    place = await create(client, club, "places", place_input())
    activity = await create(client, club, "activities", activity_input(place["id"]))
    for _ in range(2):  # the second time from what was kept
        results = _results(await _page(client, "sport=walking-football"))
        assert "<dd>Korfbalvereniging De Zwaluwen</dd>" in results and "Walking football voor 65-plussers" in results

    slug = club["organisation"]["preferredUsername"]
    renamed = await client.put(f"/api/organisations/{slug}", json={"name": "Sportclub De Zwaluwen"},
                               headers=club["headers"])
    assert renamed.status == 200, await renamed.text()
    key = activity["id"].rsplit("/", 1)[1]
    changed = await client.put(f"/api/activities/{key}", headers=club["headers"], json=activity_input(
        place["id"], name="Walking football <voor> 70-plussers", schedule={"days": ["friday"], "startTime": "09:00", "endTime": "10:00"}))
    assert changed.status == 200, await changed.text()

    results = _results(await _page(client, "sport=walking-football"))
    assert "<dd>Sportclub De Zwaluwen</dd>" in results and "De Zwaluwen</dd>" in results
    assert "Korfbalvereniging" not in results
    assert "Walking football &lt;voor&gt; 70-plussers" in results and "65-plussers" not in results
    assert "elke vrijdag 09:00-10:00" in results and "dinsdag" not in results


async def test_each_language_keeps_its_own_words(client: Client, club: dict[str, Any]) -> None:
    place = await create(client, club, "places", place_input())
    await create(client, club, "activities", activity_input(place["id"]))
    for _ in range(2):
        dutch = await _page(client, "sport=voetbal&lang=nl")
        english = await _page(client, "sport=voetbal&lang=en")
        assert "<dt>Wanneer</dt>" in _results(dutch) and "elke dinsdag en donderdag" in _results(dutch)
        assert "<dt>When</dt>" in _results(english) and "every Tuesday and Thursday" in _results(english)
        assert '<option value="voetbal" selected>Voetbal (1)</option>' in dutch
        assert '<option value="voetbal" selected>Football (1)</option>' in english
        assert ">Alle soorten balsport (1)</option>" in dutch and ">All kinds of ball sports (1)</option>" in english
        assert '<option value="next">Eerstvolgende eerst</option>' in dutch
        assert '<option value="next">Soonest first</option>' in english


async def test_a_big_page_comes_compressed_to_who_takes_gzip(client: Client, club: dict[str, Any]) -> None:
    place = await create(client, club, "places", place_input())
    for n in range(90):
        await create(client, club, "activities", activity_input(place["id"], name=f"Walking football groep {n}"))
    for encoding, compressed in (("gzip, deflate", True), ("identity", False)):
        response = await client.get("/zoeken?weergave=kaart", headers={**HTML, "Accept-Encoding": encoding})
        assert response.status == 200
        text = await response.text()  # decompressed by the client
        assert len(text.encode()) > 64 * 1024 and text.count('">Walking football groep ') == 90
        assert "Accept-Encoding" in response.headers.getall("Vary")
        assert response.headers.get("Content-Encoding") == ("gzip" if compressed else None)
    # A list of 20 is left to the proxy in front (nginx compresses all HTML).
    small = await client.get("/zoeken", headers={**HTML, "Accept-Encoding": "gzip"})
    assert small.status == 200 and "Content-Encoding" not in small.headers and len(await small.read()) < 64 * 1024
