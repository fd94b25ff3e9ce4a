"""The pages' interface language: Dutch, with English from a gettext catalogue.

Dutch is the source language (every msgid is the Dutch text); `node/web/locale/en/LC_MESSAGES/messages.po`
holds the English. The catalogue is read and compiled in memory on first use, so no compiled `.mo` file is
kept in the repository. The language of a request is chosen once, by the middleware (`?lang=`, then the
`lang` cookie, then Accept-Language), and held in a context variable, so templates and Python code alike
call `gettext` without passing a locale around.
"""

from __future__ import annotations

import gettext as stdlib_gettext
import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

SOURCE_LANGUAGE = "nl"
LANGUAGES = ("nl", "en")
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "web" / "locale"

current_language: ContextVar[str] = ContextVar("current_language", default=SOURCE_LANGUAGE)


@cache
def translations(language: str) -> stdlib_gettext.NullTranslations:
    if language == SOURCE_LANGUAGE:
        return stdlib_gettext.NullTranslations()
    # Babel's catalogue code is imported on the first English request, not at start (~10 ms, a few MB).
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalogue = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return stdlib_gettext.GNUTranslations(compiled)


def gettext(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a module-level text for the catalogue; it is translated where it is shown, by `gettext`."""
    return message


def from_accept_language(header: str | None) -> str:
    """The best of our languages for an Accept-Language header; Dutch when nothing fits."""
    if not header:
        return SOURCE_LANGUAGE
    from babel.core import Locale, UnknownLocaleError

    ranges: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > 0:
            ranges.append((q, -position, tag.strip()))
    for _, _, tag in sorted(ranges, reverse=True):
        if tag == "*":
            return SOURCE_LANGUAGE
        try:
            language = Locale.parse(tag, sep="-").language
        except (ValueError, UnknownLocaleError):
            continue
        if language in LANGUAGES:
            return language
    return SOURCE_LANGUAGE


def choose_language(query_value: str | None, cookie_value: str | None, accept_language: str | None) -> str:
    for explicit in (query_value, cookie_value):
        if explicit in LANGUAGES:
            return explicit
    return from_accept_language(accept_language)
