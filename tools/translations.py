"""Keeps the English catalogue in step with the templates and code: `make translations`.

Extracts every Dutch msgid (templates, `_()`, `gettext()`, `N_()`), merges them into
node/web/locale/en/LC_MESSAGES/messages.po (new ones empty, dropped ones removed), and lists the
msgids that still have no English. tests/test_translations.py fails while any is left.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "node" / "web" / "locale" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHODS = [("node/**.py", "python"), ("node/web/templates/**.html", "jinja2")]
OPTIONS = {"node/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extract() -> Catalog:
    template = Catalog(project="sportnode", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), METHODS, OPTIONS, KEYWORDS, comment_tags=("Translators:",)
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _translated(string: str | tuple[str, ...] | None) -> bool:
    """A singular text, or every plural form, is filled in."""
    if isinstance(string, str):
        return bool(string)
    return bool(string) and all(string)


def main() -> int:
    with PO.open("rb") as po:
        catalogue = read_po(po, locale="en")
    catalogue.update(extract(), no_fuzzy_matching=True)
    with PO.open("wb") as po:
        write_po(po, catalogue, omit_header=False, no_location=True, sort_output=True, ignore_obsolete=True)
    missing = [m.id for m in catalogue if m.id and not _translated(m.string)]
    for message in missing:
        print(f"untranslated: {message!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
