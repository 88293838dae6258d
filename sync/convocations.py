"""Convocations: an iCalendar event and the invitees' addresses for every meeting of `Calendario`.  Pure.

`elenco convocazioni` writes what this module builds. Staff-side only: the address files hold the
organisations' e-mail and PEC, never published. Each meeting gives
- `<data> <area>.ics`: one VEVENT in Europe/Rome with its VTIMEZONE (RFC 5545, through `icalendar`); its UID
  comes from the Ambito, the area, the day and the meeting's number that day, so a file written again after a
  change of time or place updates the event already in a calendar instead of adding a second one;
- `<data> <area> - indirizzi.txt`: the e-mail and PEC addresses, deduplicated, on one `;`-separated line to
  paste in Bcc;
- `<data> <area> - indirizzi.csv`: denominazione, ID, email, pec for a mail merge (`;`, UTF-8 with BOM).
Each area (and the plenaries) also gets one .ics with all its meetings and the addresses of its organisations.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from sync import labels
from sync.calendar import CalendarEntry, expected_at
from sync.config import PLENARY, Ambito
from sync.layouts import area_name
from sync.model import Organisation
from sync.public_list import neutralise
from sync.text import name_sort_key

ROME = ZoneInfo("Europe/Rome")
DEFAULT_LENGTH = timedelta(hours=2)  # a meeting with a start time only
CSV_HEADER = ("denominazione", "id", "email", "pec")
_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?")


@dataclass(frozen=True, slots=True)
class Invitee:
    """An organisation expected at a meeting, with the addresses it can be reached at."""

    id: str
    name: str
    email: str
    pec: str


@dataclass
class Convocation:
    """One file set: a meeting (or every meeting of an area) and who is invited."""

    stem: str  # file name without extension
    ics: bytes
    invitees: list[Invitee]
    notes: list[str] = field(default_factory=list)  # meetings without a time or a place, in Italian

    @property
    def bcc(self) -> str:
        """Every distinct address (e-mail and PEC), `; `-separated, ready to paste in Bcc."""
        return "; ".join(addresses(self.invitees))

    def csv_bytes(self) -> bytes:
        """The mail-merge CSV: `;`, UTF-8 with BOM, formulas neutralised."""
        out = io.StringIO()
        w = csv.writer(out, delimiter=";", lineterminator="\r\n")
        w.writerow(CSV_HEADER)
        for i in self.invitees:
            w.writerow([neutralise(i.name), i.id, i.email, i.pec])
        return ("\ufeff" + out.getvalue()).encode("utf-8")


def addresses(invitees: Sequence[Invitee]) -> list[str]:
    """E-mail and PEC addresses in invitee order, each once (compared without case)."""
    seen: set[str] = set()
    out: list[str] = []
    for i in invitees:
        for a in (i.email, i.pec):
            if a and a.casefold() not in seen:
                seen.add(a.casefold())
                out.append(a)
    return out


def parse_time(text: str) -> tuple[time, time | None] | None:
    """`17:00` → (17:00, None); `09:30-13:00`, `9.30 - 13` → (09:30, 13:00); no readable time → None."""
    found = [(int(h), int(m or 0)) for h, m in _TIME.findall(text)]
    found = [(h, m) for h, m in found if h < 24 and m < 60]
    if not found:
        return None
    start = time(*found[0])
    end = time(*found[1]) if len(found) > 1 and found[1] > found[0] else None
    return start, end


def invitees(orgs: Sequence[Organisation], m: CalendarEntry) -> list[Invitee]:
    """The organisations expected at a meeting (every eligible one for a plenary), by name."""
    out = []
    for o in sorted(
        (o for o in orgs if expected_at(o, m)), key=lambda o: name_sort_key(o.current.response.name)
    ):
        c = o.current
        out.append(
            Invitee(
                o.id, c.response.name, c.email or c.response.email.strip(), c.pec or c.response.pec.strip()
            )
        )
    return out


def _uid(ambito: Ambito, m: CalendarEntry, n: int) -> str:
    key = f"{ambito.code}|{m.area}|{m.day.isoformat()}|{n}"
    return f"{hashlib.sha256(key.encode()).hexdigest()[:24]}@elenco.{ambito.code}"


def _safe(text: str) -> str:
    return re.sub(r"[^\w\- ]+", "", text).strip()


def _event(ambito: Ambito, m: CalendarEntry, n: int, count: int, now: datetime) -> tuple[Event, list[str]]:
    phases = {p.code: p.label for p in ambito.phases}
    notes: list[str] = []
    what = (
        labels.CONVOCATION_PLENARY
        if m.plenary
        else labels.CONVOCATION_TAVOLO.format(area=ambito.area(m.area).tab)
    )
    ev = Event()
    ev.add("uid", _uid(ambito, m, n))
    # DTSTAMP is UTC (RFC 5545 §3.8.7.2); a naive `now` is local time in Rome
    ev.add("dtstamp", (now if now.tzinfo else now.replace(tzinfo=ROME)).astimezone(UTC))
    ev.add("summary", f"{what} - {ambito.name}")
    span = parse_time(m.time)
    when = labels.meeting_day(m.day)
    if span is None:
        ev.add("dtstart", m.day)
        ev.add("dtend", m.day + timedelta(days=1))
        notes.append(labels.CONVOCATION_NO_TIME.format(day=when, area=area_name(ambito, m.area)))
    else:
        start = datetime.combine(m.day, span[0], ROME)
        end = datetime.combine(m.day, span[1], ROME) if span[1] else start + DEFAULT_LENGTH
        ev.add("dtstart", start)
        ev.add("dtend", end)
    if m.place:
        ev.add("location", m.place)
    else:
        notes.append(labels.CONVOCATION_NO_PLACE.format(day=when, area=area_name(ambito, m.area)))
    office = ambito.office
    contact = ", ".join(x for x in (office.email, office.phone) if x)
    lines = [
        labels.CONVOCATION_DESCRIPTION.format(what=what, ambito=ambito.name, notice=ambito.notice),
        *([labels.CONVOCATION_PHASE.format(phase=phases[m.phase])] if m.phase in phases else []),
        labels.CONVOCATION_INVITED.format(n=labels.orgs_count(count)),
        *([labels.CONVOCATION_NO_TIME_TEXT] if span is None else []),
        *([labels.CONVOCATION_CONTACT.format(office=office.name, contact=contact)] if contact else []),
    ]
    ev.add("description", "\n".join(lines))
    return ev, notes


def _calendar(ambito: Ambito) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//elenco//Convocazioni//IT")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{ambito.name} - {labels.CONVOCATION_CALENDAR}")
    cal.add("x-wr-timezone", "Europe/Rome")
    return cal


def _ics(ambito: Ambito, events: Sequence[Event]) -> bytes:
    cal = _calendar(ambito)
    for ev in events:
        cal.add_component(ev)
    cal.add_missing_timezones()  # the VTIMEZONE of Europe/Rome, so every client reads the same local time
    return bytes(cal.to_ical())


def build_convocations(
    orgs: Sequence[Organisation], ambito: Ambito, meetings: Sequence[CalendarEntry], now: datetime
) -> list[Convocation]:
    """One convocation per meeting, then one per area (and one for the plenaries) with all its meetings."""
    ordered = sorted(
        meetings, key=lambda m: (m.day, not m.plenary, m.area, parse_time(m.time) or (time(0),), m.time)
    )
    numbered: list[tuple[CalendarEntry, int]] = []
    per_day: dict[tuple[str, date], int] = {}
    for m in ordered:
        n = per_day[(m.area, m.day)] = per_day.get((m.area, m.day), 0) + 1
        numbered.append((m, n))
    out: list[Convocation] = []
    by_area: dict[str, list[tuple[Event, CalendarEntry]]] = {}
    for m, n in numbered:
        people = invitees(orgs, m)
        ev, notes = _event(ambito, m, n, len(people), now)
        by_area.setdefault(m.area, []).append((ev, m))
        name = labels.PLENARY_NAME if m.plenary else ambito.area(m.area).tab
        suffix = f" ({n})" if n > 1 else ""
        out.append(
            Convocation(f"{m.day.isoformat()} {_safe(name)}{suffix}", _ics(ambito, [ev]), people, notes)
        )
    for code in [*(a.code for a in ambito.areas), PLENARY]:
        if code not in by_area:
            continue
        seen: dict[str, Invitee] = {}
        for _, m in by_area[code]:
            for i in invitees(orgs, m):
                seen.setdefault(i.id, i)
        people = sorted(seen.values(), key=lambda i: name_sort_key(i.name))
        name = labels.PLENARY_NAME if code == PLENARY else ambito.area(code).tab
        out.append(
            Convocation(
                labels.CONVOCATION_AREA_FILE.format(area=_safe(name)),
                _ics(ambito, [ev for ev, _ in by_area[code]]),
                people,
            )
        )
    return out
