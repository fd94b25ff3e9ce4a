"""Plain, readable Dutch HTML pages of our objects (Jinja2, autoescaped)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from node import i18n
from node.protocol.sanitise import clean_html, plain_text
from node.protocol.vocab import Vocabulary

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DAYS_NL = {
    "Monday": "maandag",
    "Tuesday": "dinsdag",
    "Wednesday": "woensdag",
    "Thursday": "donderdag",
    "Friday": "vrijdag",
    "Saturday": "zaterdag",
    "Sunday": "zondag",
}
MODES_NL = {"onsite": "op locatie", "online": "online", "blended": "op locatie en online"}
CRITERIA_NL = {
    "openToVulnerableGroups": "Open voor kwetsbare groepen",
    "acceptsNewParticipants": "Neemt nieuwe deelnemers aan",
    "startsNewGroups": "Start nieuwe groepen",
    "safeGuidance": "Veilige begeleiding",
    "qualityAndContinuity": "Kwaliteit en continuïteit",
    "givesFeedbackToProfessionals": "Geeft terugkoppeling aan professionals",
}


def _day(uri: str) -> str:
    return DAYS_NL.get(uri.rsplit("/", 1)[-1], uri)


def _moment(value: str) -> str:
    moment = datetime.fromisoformat(value).astimezone(AMSTERDAM)
    return f"{_day('/' + moment.strftime('%A'))} {moment.day}-{moment.month}-{moment.year} {moment:%H:%M}"


def _price(offers: list[dict[str, Any]] | None) -> str:
    if not offers:
        return "onbekend"
    price = float(offers[0]["price"])
    return "gratis" if price == 0 else f"€ {price:.2f}".replace(".", ",")


def _clean(text: str | None) -> Markup:
    """HTML from anywhere, reduced to the sanitiser's allow-list: the only way other servers' HTML reaches a page."""
    return Markup(clean_html(text or ""))  # safe: only the allow-list survives


def _plain(text: str | None) -> str:
    """A name or title from anywhere as plain text (autoescape then escapes what is left)."""
    return plain_text(text or "")


@lru_cache(maxsize=4096)
def _translated(language: str, message: str) -> tuple[Markup, Markup | None]:
    """The translation, and how it reads when used without values (newstyle formats even then: "%%" is "%");
    None for a text with placeholders."""
    text = Markup(i18n.translations(language).gettext(message))  # safe: our own catalogue's text
    try:
        return text, text % {}
    except (KeyError, TypeError, ValueError):
        return text, None


def template_gettext(message: str, **variables: Any) -> Markup:
    """Jinja's newstyle gettext (the translation as Markup, always %-formatted with escaped values), without
    its three context calls per use and with each text translated once per language: a search page uses
    a few hundred."""
    text, formatted = _translated(i18n.current_language.get(), message)
    return formatted if formatted is not None and not variables else text % variables


def template_ngettext(singular: str, plural: str, n: int, **variables: Any) -> Markup:
    variables.setdefault("num", n)
    text = i18n.translations(i18n.current_language.get()).ngettext(singular, plural, n)
    return Markup(text) % variables  # safe: our own catalogue's text


def make_environment(vocabulary: Vocabulary) -> Environment:
    environment = Environment(
        loader=PackageLoader("node.web", "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,  # templates change with the code, which a restart loads anyway; no stat per include
    )
    # Templates call _() and {% trans %}; the language is the request's (i18n.current_language).
    environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)

    def label(uri: str) -> str:
        for concepts in (vocabulary.sports, vocabulary.target_groups, vocabulary.accessibility):
            concept = concepts.resolve(uri)
            if concept:
                return concept.label_nl
        return uri

    environment.filters.update(
        label=label, day=_day, moment=_moment, price=_price, mode=lambda m: MODES_NL.get(m, m),
        clean=_clean, plain=_plain,
    )
    environment.globals.update(criteria=CRITERIA_NL)
    return environment
