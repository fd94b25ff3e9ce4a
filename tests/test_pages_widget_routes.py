"""The widget's routes on a real node: /widget (the iframe page), /widget/fragment (what the custom
element fetches), /widget/theme.css and /widget/maken (the editor's page), with their headers, their
checks, and a peer's hostile activity made harmless."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from conftest import BASE_URL, activity_input, create, place_input
from page_harm import harmful

from node.protocol.jsonld import AS_PUBLIC, OBJECT_CONTEXT
from node.protocol.sanitise import plain_text
from node.services.node import Node
from node.services.pages_widget import element_snippet, iframe_snippet, parse_widget
from node.store.objects import put_object

Client = TestClient[Any, Any]
PEER = "https://peer.example"
HOSTILE_NAME = 'Volleybal<script>alert("naam")</script><img src=x onerror="alert(1)">'
HOSTILE_CONTENT = (
    '<p onclick="alert(2)">Kom <a href="javascript:alert(3)">meedoen</a></p><style>body{display:none}</style>'
    '<iframe src="https://evil.example"></iframe><svg onload="alert(4)"></svg>'
)


@pytest.fixture
async def offering(client: Client, club: dict[str, Any], node: Node) -> dict[str, Any]:
    place = await create(client, club, "places", place_input())
    walking = await create(client, club, "activities", activity_input(place["id"]))
    korfbal = await create(client, club, "activities", activity_input(
        place["id"], name="Korfbal voor de jeugd", sport="korfbal", targetGroups=["jeugd"], ageRange={"min": 8},
        price=2.5, schedule={"days": ["wednesday"], "startTime": "16:00", "endTime": "17:00"},
    ))
    yoga = await create(client, club, "activities", activity_input(
        place["id"], name="Stoelyoga", sport="yoga", price=4,
        schedule={"days": ["monday"], "startTime": "19:00", "endTime": "20:00"},
    ))
    hostile = {
        "@context": OBJECT_CONTEXT, "id": f"{PEER}/events/1", "type": "Event",
        "published": "2026-11-01T10:00:00Z", "updated": "2026-11-01T10:00:00Z", "name": HOSTILE_NAME,
        "content": HOSTILE_CONTENT, "attributedTo": f"{PEER}/@buurt", "startTime": "2027-12-20T10:00:00Z",
        "location": {"type": "Place", "name": '<b onmouseover="alert(5)">Speeltuin</b>', "latitude": 52.15,
                     "longitude": 5.39, "neighbourhoodCode": "WK030701", "municipalityCode": "GM0307",
                     "address": {"type": "PostalAddress", "addressLocality": "Amersfoort<script>x()</script>"}},
        "to": [AS_PUBLIC],
    }
    async with node.db.write() as db:
        await put_object(db, "activity", hostile["attributedTo"], hostile, origin=f"{PEER}/@buurt")
    return {"walking": walking, "korfbal": korfbal, "yoga": yoga, "hostile": hostile}


class Links(HTMLParser):
    """The list's names and links, and every tag and attribute, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.links: list[dict[str, str | None]] = []
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self._in_name = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += attrs
        found = dict(attrs)
        if "sn-name" in (found.get("class") or ""):
            self._in_name = True
            self.names.append("")
        if tag == "a":
            self.links.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("a", "span"):
            self._in_name = False

    def handle_data(self, data: str) -> None:
        if self._in_name:
            self.names[-1] += data


def parsed(text: str) -> Links:
    found = Links()
    found.feed(text)
    return found


async def api_names(client: Client, query: str) -> list[str]:
    """The names /api/search finds for the widget's query, as a page shows them (a peer's as plain text)."""
    response = await client.get(f"/api/search?type=activity&sort=next&{query}")
    assert response.status == 200
    items = (await response.json())["items"]
    return [plain_text(i["document"]["name"]) if i["origin"] else i["document"]["name"] for i in items]


def assert_harmless(text: str) -> None:
    assert harmful(text) == []
    assert "<script>alert" not in text and "x()</script>" not in text


async def test_fragment_lists_what_the_api_finds(client: Client, offering: dict[str, Any]) -> None:
    response = await client.get("/widget/fragment?sport=korfbal")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    text = await response.text()
    page = parsed(text)
    assert page.names == await api_names(client, "sport=korfbal&limit=5") == ["Korfbal voor de jeugd"]
    assert "script" not in page.tags
    assert f'href="{offering["korfbal"]["id"]}"' in text
    # Name links open in the top window, not in a frame; "Meer aanbod" goes to the full search.
    assert all(link.get("target") == "_top" for link in page.links)
    more = [link["href"] for link in page.links if "/zoeken" in (link["href"] or "")]
    assert more and dict(parse_qsl(urlsplit(str(more[0])).query)) == {"sport": "korfbal"}
    assert "Woensdag" in text or "woensdag" in text
    assert "€ 2,50" in text or "€\xa02,50" in text


async def test_the_default_limit_is_five_and_at_most_fifty(client: Client, offering: dict[str, Any]) -> None:
    everything = await api_names(client, "limit=5")
    assert len(everything) == 4
    assert parsed(await (await client.get("/widget/fragment")).text()).names == everything
    assert parsed(await (await client.get("/widget/fragment?limit=2")).text()).names == everything[:2]
    for bad in ("0", "51", "veel"):
        response = await client.get(f"/widget/fragment?limit={bad}")
        assert response.status == 400
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "limit" in await response.text()


async def test_filters_by_wijk_day_price_and_words(client: Client, offering: dict[str, Any]) -> None:
    cases = {
        "wijk=WK030701": "neighbourhood=WK030701",
        "day=monday": "day=monday",
        "day=maandag": "day=maandag",
        "free=true": "free=true",
        "maxPrice=3": "maxPrice=3",
        "q=stoelyoga": "q=stoelyoga",
        "targetGroup=jeugd": "targetGroup=jeugd",
        "municipality=GM0307&sport=walking-football": "municipality=GM0307&sport=walking-football",
    }
    for widget, api in cases.items():
        names = parsed(await (await client.get(f"/widget/fragment?{widget}")).text()).names
        assert names == await api_names(client, api + "&limit=5"), widget
        assert names, widget


async def test_iframe_page_is_a_small_framable_document(client: Client, offering: dict[str, Any]) -> None:
    response = await client.get("/widget?wijk=WK030701&limit=3", headers={"Accept": "text/html"})
    assert response.status == 200
    text = await response.text()
    assert text.startswith("<!doctype html>")
    assert 'class="site-header"' not in text  # no layout of the site around it
    assert "/static/widget-frame.js" in text and "/static/widget.css" in text
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "script-src 'self'" in policy
    assert "X-Frame-Options" not in response.headers
    assert parsed(text).names == await api_names(client, "neighbourhood=WK030701&limit=3")
    assert response.headers["Cache-Control"] == "public, max-age=300"


async def test_other_pages_refuse_to_be_framed(client: Client, offering: dict[str, Any]) -> None:
    for path in ("/", "/zoeken", "/dekking", offering["walking"]["id"].removeprefix(BASE_URL), "/activities?page=1"):
        response = await client.get(path, headers={"Accept": "text/html"})
        assert response.headers["Content-Type"].startswith("text/html"), path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-src" not in response.headers["Content-Security-Policy"], path
    for path in ("/widget", "/widget/fragment", "/widget/maken"):
        response = await client.get(path, headers={"Accept": "text/html"})
        assert "frame-ancestors *" in response.headers["Content-Security-Policy"], path
        assert "X-Frame-Options" not in response.headers, path
    # The editor's page frames its preview, the node's own /widget, and nothing else.
    maker = await client.get("/widget/maken", headers={"Accept": "text/html"})
    assert "frame-src 'self'" in maker.headers["Content-Security-Policy"]
    # A path that only starts like the widget's is an ordinary page.
    response = await client.get("/widgetje", headers={"Accept": "text/html"})
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


async def test_bad_settings_are_named(client: Client, offering: dict[str, Any]) -> None:
    for query, name in (("wijk=WK999999", "wijk"), ("sport=quidditch", "sport"), ("day=someday", "day"),
                        ("free=misschien", "free"), ("maxPrice=veel", "maxPrice"), ("kleur=rood", "kleur"),
                        ("accent=red;x", "accent"), ("font=a%7Bb", "font"), ("radius=1px;", "radius")):
        for path in ("/widget", "/widget/fragment"):
            response = await client.get(f"{path}?{query}", headers={"Accept": "text/html"})
            assert response.status == 400, (path, query)
            text = await response.text()
            assert f"<code>{name}</code>" in text, (path, query)
    # The language switch is no widget setting, and empty form fields are no choice.
    assert (await client.get("/widget/fragment?lang=en&wijk=&sport=")).status == 200


async def test_hostile_peer_activity_is_harmless(client: Client, offering: dict[str, Any]) -> None:
    for path in ("/widget/fragment?limit=50", "/widget?limit=50"):
        response = await client.get(path)
        text = await response.text()
        assert_harmless(text)
        names = parsed(text).names
        hostile = [n for n in names if "Volleybal" in n]
        assert hostile == ['Volleybal'], names  # the script's text is dropped with it
        # The remote activity is linked to this node's page of it, which names its origin.
        assert f"{BASE_URL}/aanbod?id=https%3A%2F%2Fpeer.example%2Fevents%2F1" in text
        assert "Speeltuin, Amersfoort" in text
    # The script tag of the frame page is our own.
    frame = await (await client.get("/widget")).text()
    assert re.findall(r"<script[^>]*>", frame) == [
        f'<script src="{BASE_URL}/static/widget-frame.js?v={re.search(r"widget-frame.js[?]v=([0-9a-f]+)", frame).group(1)}" defer>'  # type: ignore[union-attr]
    ]


async def test_theme_stylesheet_sets_only_checked_values(client: Client) -> None:
    response = await client.get("/widget/theme.css?accent=%23c00000&font=Georgia,%20serif&radius=0.5rem")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/css")
    css = await response.text()
    assert "--sportnode-accent: #c00000;" in css and "--sportnode-font: Georgia, serif;" in css
    assert "--sportnode-radius: 0.5rem;" in css
    bad = await client.get("/widget/theme.css?accent=red%7D%20body%7Bdisplay:none")
    assert bad.status == 400 and "display" not in await bad.text()
    frame = await (await client.get("/widget?accent=%23c00000")).text()
    assert f'href="{BASE_URL}/widget/theme.css?accent=%23c00000"' in frame
    # The widget's own colour is no setting: it is left out.
    assert "theme.css" not in await (await client.get("/widget?accent=%230b6e4f")).text()


async def test_maker_shows_snippets_and_preview_without_javascript(client: Client, offering: dict[str, Any]) -> None:
    response = await client.get("/widget/maken", headers={"Accept": "text/html"})
    assert response.status == 200
    text = await response.text()
    assert '<form class="widget-form" method="get"' in text
    assert 'src="http://node.test/widget"' in text  # the preview of the defaults
    assert '<option value="WK030701"' in text  # a wijk with offering
    chosen = await client.get(
        "/widget/maken?wijk=WK030701&municipality=&sport=korfbal&targetGroup=&day=&maxPrice=&q=&limit=3"
        "&font=&accent=%23c00000&text=%231b1b1b&background=%23ffffff&radius=0.6rem",
        headers={"Accept": "text/html"},
    )
    assert chosen.status == 200
    page = await chosen.text()
    frame = "http://node.test/widget?wijk=WK030701&amp;sport=korfbal&amp;limit=3&amp;accent=%23c00000&amp;radius=0.6rem"
    assert f'src="{frame}"' in page  # the preview
    # The snippets, escaped once for the textarea: the iframe and its script, the element and its script.
    assert f"&lt;iframe src=&#34;{frame.replace('&amp;', '&amp;amp;')}&#34;" in page
    assert "&lt;script src=&#34;http://node.test/static/widget-embed.js&#34; defer&gt;" in page
    assert ("&lt;sportnode-activities node=&#34;http://node.test&#34; wijk=&#34;WK030701&#34; "
            "sport=&#34;korfbal&#34; limit=&#34;3&#34;&gt;") in page
    assert "--sportnode-accent: #c00000;" in page and "--sportnode-radius: 0.6rem;" in page
    assert 'selected>Korfbal' in page or "selected>korfbal" in page.lower()
    bad = await client.get("/widget/maken?limit=500&accent=rood", headers={"Accept": "text/html"})
    assert bad.status == 400
    bad_text = await bad.text()
    assert 'id="fout-limit"' in bad_text and 'aria-invalid="true"' in bad_text and "<iframe" not in bad_text


async def test_snippet_attributes_escape_values(node: Node) -> None:
    widget = parse_widget(node, {"q": ['yoga"><script>'], "targetGroup": ["senioren"]})
    element = element_snippet(node, widget)
    assert element.splitlines()[0] == (
        '<sportnode-activities node="http://node.test" target-group="senioren" q="yoga&quot;&gt;&lt;script&gt;">'
    )
    assert 'src="http://node.test/widget?targetGroup=senioren&amp;q=yoga%22%3E%3Cscript%3E"' in iframe_snippet(node, widget)
