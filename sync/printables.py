"""What printing needs: one attendance sheet per meeting, as plain values for `backends.printout`.  Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sync import labels
from sync.backends.base import Printable
from sync.calendar import CalendarEntry, expected_at
from sync.config import Ambito
from sync.layouts import PRINT_HEADER
from sync.model import Grid, Organisation
from sync.render import contact
from sync.text import name_sort_key


def render_printables(
    orgs: Sequence[Organisation], ambito: Ambito, meetings: Sequence[CalendarEntry]
) -> list[Printable]:
    """One printable sheet per area and meeting, listing the organisations eligible for its phase."""
    out: list[Printable] = []
    phases = {p.code: p.label for p in ambito.phases}
    for m in sorted(meetings, key=lambda m: (not m.plenary, m.area, m.day, m.time)):
        tab = labels.PLENARY_NAME if m.plenary else ambito.area(m.area).tab
        members = sorted(
            (o for o in orgs if expected_at(o, m)),
            key=lambda o: name_sort_key(o.current.response.name),
        )
        rows: Grid = [list(PRINT_HEADER)]
        for n, o in enumerate(members, start=1):
            rows.append([str(n), o.current.response.name, contact(o)[0], ""])
        safe_tab = re.sub(r"[^\w\- ]+", "", tab).strip()
        out.append(
            Printable(
                filename=labels.say("stampa_file", tab=safe_tab, day=m.day.isoformat()),
                title=labels.say("stampa_titolo", tab=tab),
                subtitle=labels.say(
                    "stampa_sottotitolo",
                    ambito=ambito.name,
                    meeting=m.label,
                    where=labels.say("stampa_luogo", place=m.place) if m.place else "",
                    phase=labels.say("stampa_fase", phase=phases[m.phase]) if m.phase in phases else "",
                ),
                rows=rows,
            )
        )
    return out
