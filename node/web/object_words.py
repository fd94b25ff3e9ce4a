"""An object's facts in plain words, in the request's language: when, what it costs, for whom.

Dutch at B1 level is the source text (gettext msgids); dates, weekdays and amounts are written by Babel
in the language of the request. The object pages' templates call these through `Words`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from babel.dates import format_date, get_day_names
from babel.lists import format_list
from babel.numbers import format_currency

from node.i18n import N_, current_language
from node.i18n import gettext as _
from node.protocol.local_time import AMSTERDAM
from node.protocol.occurrences import Occurrence, weekdays
from node.protocol.vocab import Vocabulary

# The buurtsportcoach criteria as a resident reads them (when the activity says yes).
CRITERIA_LABELS = {
    "openToVulnerableGroups": N_("Open voor mensen die extra steun nodig hebben"),
    "acceptsNewParticipants": N_("Nieuwe deelnemers zijn welkom"),
    "startsNewGroups": N_("Er kunnen nieuwe groepen bij komen"),
    "safeGuidance": N_("Begeleiding door mensen die weten wat ze doen, in een veilige sfeer"),
    "qualityAndContinuity": N_("Het aanbod is goed en gaat niet zomaar stoppen"),
    "givesFeedbackToProfessionals": N_("De begeleider praat met hulpverleners als dat nodig is"),
}
# What a "no" means where it matters to a resident.
CRITERIA_NO_LABELS = {"acceptsNewParticipants": N_("Op dit moment kunnen er geen nieuwe deelnemers bij")}
MODES = {"onsite": N_("op locatie"), "online": N_("online"), "blended": N_("op locatie en online")}


class Words:
    """Writes the facts of the object pages; `now` is the node's clock, for "this year" in dates."""

    def __init__(self, vocabulary: Vocabulary, now: datetime) -> None:
        self.vocabulary = vocabulary
        self.today = now.astimezone(AMSTERDAM).date()

    @property
    def language(self) -> str:
        return current_language.get()

    def label(self, uri: Any) -> str:
        """A concept's label (sport, target group, accessibility) in the page's language."""
        if not isinstance(uri, str):
            return ""
        for concepts in (self.vocabulary.sports, self.vocabulary.target_groups, self.vocabulary.accessibility):
            concept = concepts.resolve(uri)
            if concept:
                return concept.label_en if self.language == "en" and concept.label_en else concept.label_nl
        return uri.rsplit("#", 1)[-1].replace("-", " ")

    def date(self, day: date | datetime) -> str:
        """"dinsdag 8 december", with the year when it is not this year."""
        if isinstance(day, datetime):
            day = day.astimezone(AMSTERDAM).date()
        pattern = "EEEE d MMMM" if day.year == self.today.year else "EEEE d MMMM y"
        return format_date(day, pattern, locale=self.language)

    def day_date(self, text: Any) -> str:
        """An ISO date (or date-time) as "8 december 2026"; "" when it is none."""
        if not isinstance(text, str):
            return ""
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return ""
        day = moment.astimezone(AMSTERDAM).date() if moment.tzinfo else moment.date()
        return format_date(day, "d MMMM y", locale=self.language)

    @staticmethod
    def hours(start: datetime, end: datetime | None) -> str:
        return f"{start:%H:%M}-{end:%H:%M}" if end else f"{start:%H:%M}"

    def occurrence(self, occurrence: Occurrence) -> str:
        """One session: "dinsdag 8 december, 10:00-11:00" (a course: its days)."""
        start, end = occurrence.start, occurrence.end
        if occurrence.all_day:
            if end is None or end.date() == start.date():
                return self.date(start)
            return _("%(first)s tot en met %(last)s") % {"first": self.date(start), "last": self.date(end)}
        if end is not None and end.astimezone(AMSTERDAM).date() != start.astimezone(AMSTERDAM).date():
            return _("%(start)s tot %(end)s") % {
                "start": f"{self.date(start)}, {start:%H:%M}", "end": f"{self.date(end)}, {end:%H:%M}"
            }
        return f"{self.date(start)}, {self.hours(start, end)}"

    def schedule(self, schedule: Mapping[str, Any]) -> str:
        """"elke dinsdag en donderdag 10:00-11:00"."""
        names = get_day_names("wide", locale=self.language)
        days = format_list([names[d] for d in weekdays(schedule)], locale=self.language)
        start, end = schedule.get("startTime"), schedule.get("endTime")
        hours = f"{start}-{end}" if isinstance(start, str) and isinstance(end, str) else str(start or "")
        return _("elke %(days)s %(hours)s") % {"days": days, "hours": hours}

    def schedule_period(self, schedule: Mapping[str, Any]) -> str:
        """"van 1 januari 2026 tot en met 30 juni 2026", or half of it, or ""."""
        first, last = self.day_date(schedule.get("startDate")), self.day_date(schedule.get("endDate"))
        if first and last:
            return _("van %(first)s tot en met %(last)s") % {"first": first, "last": last}
        if first:
            return _("vanaf %(first)s") % {"first": first}
        if last:
            return _("tot en met %(last)s") % {"last": last}
        return ""

    def money(self, amount: float) -> str:
        return format_currency(amount, "EUR", locale=self.language)

    def price(self, offers: Any, free: Any = None, per_session: bool = True) -> str:
        """"gratis", "€ 2,50 per keer" (an activity) or "€ 95,00" (a course instance); "" when unknown."""
        prices = [float(o["price"]) for o in offers or () if isinstance(o, Mapping)
                  and isinstance(o.get("price"), (int, float))]
        if free is True or (prices and min(prices) == 0):
            return _("gratis")
        if not prices:
            return ""
        amount = self.money(min(prices))
        return _("%(price)s per keer") % {"price": amount} if per_session else amount

    def age(self, age_range: Any) -> str:
        if not isinstance(age_range, Mapping):
            return ""
        low, high = age_range.get("minValue"), age_range.get("maxValue")
        if low is not None and high is not None:
            return _("van %(min)s tot en met %(max)s jaar") % {"min": low, "max": high}
        if low is not None:
            return _("vanaf %(min)s jaar") % {"min": low}
        if high is not None:
            return _("tot en met %(max)s jaar") % {"max": high}
        return ""

    def labels(self, uris: Any) -> list[str]:
        return [self.label(u) for u in uris] if isinstance(uris, list) else []

    @staticmethod
    def criteria(document: Mapping[str, Any]) -> list[str]:
        """The criteria the activity meets, and the "no" a resident must know, in words."""
        found = [_(text) for name, text in CRITERIA_LABELS.items() if document.get(name) is True]
        found += [_(text) for name, text in CRITERIA_NO_LABELS.items() if document.get(name) is False]
        return found

    @staticmethod
    def mode(value: Any) -> str:
        return _(MODES[value]) if value in MODES else str(value or "")

    @staticmethod
    def joined(parts: Sequence[Any]) -> str:
        return ", ".join(str(p) for p in parts if p)
