"""What in a page could run, load or restyle something: one checker for every test of hostile content."""

from __future__ import annotations

from html.parser import HTMLParser

BASE = "http://node.test"


class Harm(HTMLParser):
    """What could run, load or restyle: handlers, style, script URLs, foreign scripts, styles and frames,
    and forms that post elsewhere. Our own forms, scripts (/static/) and JSON-LD blocks are allowed."""

    def __init__(self, base: str = BASE) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.found: list[str] = []
        self.json_ld: list[str] = []
        self._in_json_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k.lower(): (v or "") for k, v in attrs}
        for name, value in found.items():
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                self.found.append(f"<{tag} {name}={value!r}>")
        harmless_meta = tag == "meta" and "http-equiv" not in found
        # The widget editor frames its own preview; any other frame is the peer's.
        own_preview = tag == "iframe" and found.get("src", "").startswith(self.base + "/widget")
        if tag in ("style", "iframe", "object", "embed", "img", "svg", "base", "frame", "meta") and not (
            harmless_meta or own_preview
        ):
            self.found.append(f"<{tag} {found}>")
        if tag == "form" and not found.get("action", self.base).startswith((self.base, "/")):
            self.found.append(f"<form {found}>")
        if tag == "script":
            if found.get("type") == "application/ld+json":
                self._in_json_ld = True
            elif not found.get("src", "").startswith(self.base + "/static/"):
                self.found.append(f"<script {found}>")
        if tag == "link" and found.get("rel") == "stylesheet" and not found.get("href", "").startswith(self.base + "/"):
            self.found.append(f"<link {found}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_json_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_json_ld:
            self.json_ld.append(data)


def harmful(text: str, base: str = BASE) -> list[str]:
    """Everything `Harm` finds in a page or fragment; empty when nothing of it can run."""
    checker = Harm(base)
    checker.feed(text)
    checker.close()
    return checker.found
