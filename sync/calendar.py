"""Reading the staff-owned `Calendario` tab: the meetings, and who is expected at each.  Pure.

An input parser: the pipeline reads the calendar once (`calendar_of`) and hands the meetings to the rosters,
the printables, the convocations and the statistics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sync import labels
from sync.config import PLENARY, Ambito, Meeting
from sync.layouts import CALENDARIO
from sync.model import Grid, Organisation, Problem, Severity
from sync.text import fold_alnum


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """A meeting as staff keep it in `Calendario`."""

    area: str  # area code, or `PLENARY` for every area at once
    day: date
    time: str
    place: str
    phase: str  # phase code, or "" for all

    @property
    def label(self) -> str:
        """The roster column header of this meeting."""
        return f"{self.day.strftime('%d/%m/%Y')} {self.time}".strip()

    @property
    def plenary(self) -> bool:
        """A meeting for every admitted organisation, whatever its areas."""
        return self.area == PLENARY


def expected_at(o: Organisation, m: CalendarEntry) -> bool:
    """Whether a listed organisation is expected at a meeting: its area (any, for a plenary) and its phase."""
    return o.listed and (m.plenary or m.area in o.areas) and (not m.phase or m.phase in o.phases)


def _key(spelling: str) -> str:
    """How a `Calendario` cell is compared: accents, case and punctuation ignored."""
    return fold_alnum(spelling, keep=" ", joiner="")


def parse_calendar(grid: Grid, ambito: Ambito) -> tuple[list[CalendarEntry], list[Problem]]:
    """Read `Calendario`: area by tab name, code or label; Italian dates; bad rows reported."""
    areas: dict[str, str] = {}
    for a in ambito.areas:
        for spelling in (a.code, a.tab, a.label):
            areas[_key(spelling)] = a.code
    for spelling in labels.PLENARY_SPELLINGS:
        areas.setdefault(_key(spelling), PLENARY)
    phases: dict[str, str] = {}
    for p in ambito.phases:
        for spelling in (p.code, p.label):
            phases[_key(spelling)] = p.code
    out: list[CalendarEntry] = []
    problems: list[Problem] = []
    for i, row in enumerate(grid[1:], start=2):
        cells = [*row, "", "", "", "", "", ""][:6]
        if not any(c.strip() for c in cells):
            continue
        area = areas.get(_key(cells[0]))
        day = _parse_day(cells[1])
        phase = phases.get(_key(cells[4]), "") if cells[4].strip() else ""
        if area is None or day is None or (cells[4].strip() and not phase):
            what = "area" if area is None else "data" if day is None else "fase"
            problems.append(
                Problem(
                    i,
                    CALENDARIO,
                    "calendario_non_valido",
                    " | ".join(cells[:5]).strip(),
                    Severity.WARNING,
                    labels.say("calendario_non_valido", row=i, what=labels.CALENDAR_FIELDS[what]),
                )
            )
            continue
        out.append(CalendarEntry(area, day, cells[2].strip(), cells[3].strip(), phase))
    return out, problems


def _parse_day(text: str) -> date | None:
    text = text.strip()
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})(?:\s.*)?", text)
    try:
        if m:
            d, mo, y = (int(g) for g in m.groups())
            return date(y + 2000 if y < 100 else y, mo, d)
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def meetings_from_preset(meetings: Sequence[Meeting]) -> list[CalendarEntry]:
    """Preset meetings as calendar entries (used before `Calendario` exists)."""
    return [CalendarEntry(m.area, m.date, m.time, m.place, m.phase) for m in meetings]


def calendar_of(tabs: Mapping[str, Grid], ambito: Ambito) -> tuple[list[CalendarEntry], list[Problem]]:
    """The meetings: the `Calendario` tab as read (with its problems), or the preset's before it exists."""
    if CALENDARIO in tabs:
        return parse_calendar(tabs[CALENDARIO], ambito)
    return meetings_from_preset(ambito.meetings), []
