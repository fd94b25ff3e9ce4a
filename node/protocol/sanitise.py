"""Text from other servers made safe to show: an allow-list HTML cleaner and a plain-text reducer.

Pure functions over nh3 (ammonia). Only a few inline and block tags survive; links keep http, https and
mailto targets and get rel="nofollow noopener noreferrer"; everything else (scripts, styles, event
handlers, javascript: URLs, forms, iframes, images, CSS) is dropped, its text kept where it is text.
"""

from __future__ import annotations

import html

import nh3

ALLOWED_TAGS = frozenset({"p", "br", "a", "strong", "b", "em", "i", "ul", "ol", "li", "blockquote"})
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Contents of these are never text a reader should see.
DROP_WITH_CONTENT = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "math"})


def clean_html(text: str) -> str:
    """HTML that keeps only the allowed tags, attributes and link schemes."""
    return nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        clean_content_tags=set(DROP_WITH_CONTENT),
        strip_comments=True,
    )


def plain_text(text: str) -> str:
    """The text of an HTML fragment with every tag removed, unescaped once (for names, titles, CSV)."""
    stripped = nh3.clean(text, tags=set(), clean_content_tags=set(DROP_WITH_CONTENT), strip_comments=True)
    return " ".join(html.unescape(stripped).split())
