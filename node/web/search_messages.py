"""The search page's errors in Dutch, one per form field, from the English details of `parse_search`,
`filters_of` and the postcode lookup (a FieldError's path names the parameter).

A detail is matched by a few words of the English check that made it (query_params.py,
services/query.py, services/pages_search.py); a field's first message is its fallback.
"""

from __future__ import annotations

from collections.abc import Iterable

from node.errors import FieldError
from node.i18n import N_
from node.i18n import gettext as _
from node.protocol.objects import CRITERIA

# Which form field shows the error of each parameter (lat/lon come from "near me", shown at the postcode).
FIELD_OF = {"lat": "postcode", "lon": "postcode", "province": "municipality"}

MESSAGES: dict[str, list[tuple[str, str]]] = {
    "q": [
        ("", N_("Typ woorden met letters of cijfers.")),
        ("characters", N_("Typ een kortere zoekvraag (hoogstens 200 tekens).")),
        ("words", N_("Typ minder woorden (hoogstens 10).")),
    ],
    "postcode": [
        ("", N_("Vul een postcode in als 1234 AB.")),
        ("unknown", N_("We kennen deze postcode niet. Kies een gemeente of wijk, of gebruik 'bij mij in de buurt'.")),
        ("lat", N_("We konden je locatie niet gebruiken. Probeer het nog een keer, of vul een postcode in.")),
        ("lon", N_("We konden je locatie niet gebruiken. Probeer het nog een keer, of vul een postcode in.")),
        ("must be", N_("We konden je locatie niet gebruiken. Probeer het nog een keer, of vul een postcode in.")),
    ],
    "km": [
        ("", N_("Kies een afstand uit de lijst.")),
        ("needs lat", N_("Vul ook een postcode in, of kies 'bij mij in de buurt'. Dan weten we vanaf waar we meten.")),
    ],
    "sort": [
        ("", N_("Kies een volgorde uit de lijst.")),
        ("distance", N_("Sorteren op afstand kan alleen met een postcode of 'bij mij in de buurt'.")),
    ],
    "sport": [("", N_("We kennen deze sport niet. Kies een sport uit de lijst."))],
    "municipality": [("", N_("We kennen deze gemeente niet. Kies een gemeente uit de lijst."))],
    "neighbourhood": [("", N_("We kennen deze wijk niet. Kies een wijk uit de lijst."))],
    "age": [("", N_("Vul een leeftijd in: een heel getal van 0 tot en met 150."))],
    "maxPrice": [("", N_("Vul een bedrag in euro in, bijvoorbeeld 5 of 2,50."))],
    "free": [("", N_("Vink 'gratis' aan of laat het leeg."))],
    "day": [("", N_("Kies een of meer dagen uit de lijst."))],
    "startsAfter": [("", N_("Vul een tijd in als uu:mm, bijvoorbeeld 09:30."))],
    "endsBefore": [("", N_("Vul een tijd in als uu:mm, bijvoorbeeld 17:00."))],
    "targetGroup": [("", N_("We kennen deze doelgroep niet. Kies uit de lijst."))],
    "accessibility": [("", N_("We kennen deze toegankelijkheid niet. Kies uit de lijst."))],
    "type": [("", N_("Kies wat je zoekt uit de lijst."))],
    "cursor": [("", N_("Deze vervolgpagina hoort bij een andere zoekvraag. Begin opnieuw met zoeken."))],
}
CRITERION_MESSAGE = N_("Vink het aan of laat het leeg.")
UNKNOWN_MESSAGE = N_("Deze zoekpagina kent het onderdeel '%(name)s' niet. Haal het weg uit het adres.")


def parameter_of(error: FieldError) -> str:
    return error.path.lstrip("/").split("/", 1)[0]


def field_of(parameter: str) -> str:
    return FIELD_OF.get(parameter, parameter)


def dutch(error: FieldError) -> str:
    name = parameter_of(error)
    detail = error.message.split(":", 1)[-1]
    if "not a parameter" in detail:
        return _(UNKNOWN_MESSAGE) % {"name": name}
    options = MESSAGES.get(name) or ([("", CRITERION_MESSAGE)] if name in CRITERIA else [])
    if name in ("lat", "lon"):
        options = MESSAGES["postcode"][2:]
    chosen = options[0][1] if options else N_("Dit klopt niet. Kijk het nog eens na.")
    for words, message in options[1:]:
        if words in detail:
            chosen = message
            break
    return _(chosen)


def by_field(errors: Iterable[FieldError]) -> dict[str, str]:
    """Form field -> its message (the first error of a field wins: one message per field)."""
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(field_of(parameter_of(error)), dutch(error))
    return found
