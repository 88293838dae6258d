"""What the staff menu's «Fogli presenze da stampare» and «Verifica configurazione» show.  Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sync import labels
from sync.calendar import CalendarEntry, expected_at
from sync.config import Ambito
from sync.layouts import area_name, roster_title
from sync.model import Organisation
from sync.render import fmt_date

UPCOMING = 6  # meetings listed by «Fogli presenze da stampare»


@dataclass(frozen=True)
class Upcoming:
    """One of the next meetings: its roster tab and how many organisations are expected."""

    area: str
    day: date
    time: str
    place: str
    tab: str
    organisations: int

    def text(self) -> str:
        """`15/05/2024 09:30-13:00, Minori e famiglia (12 enti)` in Italian."""
        where = f", {self.place}" if self.place else ""
        return labels.MEETING_LINE.format(
            day=fmt_date(self.day), time=self.time, area=self.area, where=where, n=self.organisations
        )


def upcoming_meetings(
    calendar: Sequence[CalendarEntry], orgs: Sequence[Organisation], ambito: Ambito, today: date
) -> list[Upcoming]:
    """The next meetings from `today` on, in date order, with their roster tab."""
    codes = {a.code for a in ambito.areas}
    out = []
    for m in sorted(calendar, key=lambda m: (m.day, m.time, m.area)):
        if m.day < today or (m.area not in codes and not m.plenary):
            continue
        expected = sum(1 for o in orgs if expected_at(o, m))
        out.append(
            Upcoming(area_name(ambito, m.area), m.day, m.time, m.place, roster_title(ambito, m.area), expected)
        )
    return out[:UPCOMING]


@dataclass(frozen=True)
class Check:
    """One line of «Verifica configurazione»."""

    ok: bool
    text: str

    def line(self) -> str:
        """`✔ …` or `✘ …`."""
        return f"{labels.CHECK_OK if self.ok else labels.CHECK_PROBLEM} {self.text}"
