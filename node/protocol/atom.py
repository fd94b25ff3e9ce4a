"""Atom feeds (RFC 4287) as a pure builder: plain values in, a UTF-8 XML document out.

Every text goes in through ElementTree, which escapes it, after the characters XML cannot hold are
dropped; titles and summaries are plain text (`type="text"`, the default), never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree

from node.protocol.xml_text import xml_safe

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPE = "application/atom+xml"


@dataclass(frozen=True)
class Entry:
    id: str  # an IRI: the object's id
    title: str
    updated: str  # RFC 3339
    link: str | None  # the page of the object
    summary: str


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    updated: str  # RFC 3339
    self_url: str
    alternate_url: str  # the same search as a web page
    author: str
    language: str
    entries: Sequence[Entry]
    next_url: str | None = None  # RFC 5005 paging


def _add(parent: ElementTree.Element, name: str, text: str | None = None, **attributes: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, name, {k: xml_safe(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_safe(text)
    return element


def feed_xml(feed: Feed) -> bytes:
    # The namespace as a plain xmlns attribute: Atom's own attributes (rel, href) are unqualified, which
    # ElementTree's default_namespace option refuses.
    root = ElementTree.Element("feed", {"xmlns": ATOM_NS, XML_LANG: feed.language})
    _add(root, "id", feed.id)
    _add(root, "title", feed.title)
    _add(root, "updated", feed.updated)
    _add(_add(root, "author"), "name", feed.author)
    _add(root, "link", rel="self", type=MEDIA_TYPE, href=feed.self_url)
    _add(root, "link", rel="alternate", type="text/html", href=feed.alternate_url)
    if feed.next_url:
        _add(root, "link", rel="next", type=MEDIA_TYPE, href=feed.next_url)
    for entry in feed.entries:
        element = _add(root, "entry")
        _add(element, "id", entry.id)
        _add(element, "title", entry.title)
        _add(element, "updated", entry.updated)
        if entry.link:
            _add(element, "link", rel="alternate", type="text/html", href=entry.link)
        _add(element, "summary", entry.summary)
    document: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
