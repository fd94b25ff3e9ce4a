"""The Sitemaps protocol (sitemaps.org 0.9) and robots.txt, as pure builders.

A sitemap holds at most 50,000 URLs; a node with more answers a sitemap index whose parts are pages of
the same route (`?page=N`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree

from node.protocol.xml_text import xml_safe

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000


@dataclass(frozen=True)
class Location:
    loc: str
    lastmod: str | None = None  # W3C Datetime (RFC 3339 is a profile of it)


def _document(root_name: str, child_name: str, locations: Iterable[Location]) -> bytes:
    root = ElementTree.Element(f"{{{SITEMAP_NS}}}{root_name}")
    for location in locations:
        child = ElementTree.SubElement(root, f"{{{SITEMAP_NS}}}{child_name}")
        ElementTree.SubElement(child, f"{{{SITEMAP_NS}}}loc").text = xml_safe(location.loc)
        if location.lastmod:
            ElementTree.SubElement(child, f"{{{SITEMAP_NS}}}lastmod").text = location.lastmod
    document: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=SITEMAP_NS)
    return document


def urlset(locations: Sequence[Location]) -> bytes:
    """A sitemap of at most MAX_URLS pages."""
    if len(locations) > MAX_URLS:
        raise ValueError(f"a sitemap holds at most {MAX_URLS} URLs, not {len(locations)}")
    return _document("urlset", "url", locations)


def sitemap_index(sitemaps: Sequence[Location]) -> bytes:
    return _document("sitemapindex", "sitemap", sitemaps)


def robots_txt(base_url: str, disallowed: Iterable[str]) -> str:
    """Every page may be crawled except the `disallowed` path prefixes; the sitemap says where they are."""
    # Disallow lines first: parsers that take the first matching rule (Python's robotparser) agree with
    # those that take the longest.
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallowed), "Allow: /", "",
             f"Sitemap: {base_url}/sitemap.xml", ""]
    return "\n".join(lines)
