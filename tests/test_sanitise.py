"""The allow-list sanitiser: hostile HTML from a peer keeps its text and loses everything active."""

from __future__ import annotations

import pytest

from node.protocol.sanitise import clean_html, plain_text

HOSTILE = [
    '<script>alert(1)</script>Zwemmen',
    '<p onclick="alert(1)">Zwemmen</p>',
    '<a href="javascript:alert(1)">Zwemmen</a>',
    '<a href="  JaVaScRiPt:alert(1)">Zwemmen</a>',
    '<img src=x onerror=alert(1)>Zwemmen',
    '<svg onload=alert(1)><text>Zwemmen</text></svg>Zwemmen',
    '<iframe src="https://evil.example"></iframe>Zwemmen',
    '<style>body{display:none}</style><p style="position:fixed;top:0">Zwemmen</p>',
    '<form action="https://evil.example"><input name=x></form>Zwemmen',
    '<a href="data:text/html,<script>alert(1)</script>">Zwemmen</a>',
    '<!-- <script>alert(1)</script> -->Zwemmen',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_nothing_active_survives(text: str) -> None:
    cleaned = clean_html(text).lower()
    for bad in ("<script", "onclick", "onerror", "onload", "javascript:", "<iframe", "<style", "style=", "<form",
                "<img", "<svg", "data:", "<!--"):
        assert bad not in cleaned, (text, cleaned)
    assert "zwemmen" in cleaned


def test_allowed_markup_and_links_stay() -> None:
    cleaned = clean_html('<p>Elke <strong>dinsdag</strong>, <a href="https://club.example/aanmelden">aanmelden</a></p>')
    assert cleaned == (
        '<p>Elke <strong>dinsdag</strong>, <a href="https://club.example/aanmelden" '
        'rel="nofollow noopener noreferrer">aanmelden</a></p>'
    )


def test_plain_text_drops_tags_and_unescapes_once() -> None:
    assert plain_text("<b>Jeu &amp; de</b> <script>x()</script> boules") == "Jeu & de boules"
    assert plain_text("&lt;script&gt;") == "<script>"  # stays text: the page escapes it again
