"""Organisations, outcomes and meetings → the rows of every tab, as text cells.  Pure.

The tabs' titles, headers and specs are in `sync.layouts`; the meetings are read by `sync.calendar`; the
printable attendance sheets are made by `sync.printables`; the words are in `sync.labels`.

Layout choices that keep staff edits safe:
- `Elenco` has one row per ID ever given, first in ID order; afterwards each ID's row is updated where it
  is (staff may sort or filter it) and new IDs are appended, so a note staff type in a column to its
  right stays beside its organisation.
- A roster (`Presenze …`) keeps its rows in the order they first appeared and its meeting columns in the
  order meetings were first seen; new organisations are appended below, new meetings to the right, and the
  machine never writes an attendance or note cell.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime

from sync import labels
from sync.calendar import CalendarEntry, expected_at
from sync.config import PLENARY, Ambito
from sync.diff import Cell, WantedTab, owned_width, rows_in_place
from sync.layouts import (
    ANOMALIE_HEADER,
    AREA_HEADER,
    DUPLICATI_HEADER,
    ELENCO,
    ELENCO_EVER,
    ELENCO_HEADER,
    INFORMAZIONI_HEADER,
    PUBLIC_AREA_HEADER,
    PUBLIC_HEADER,
    RISPOSTE_HEADER,
    ROSTER_FIXED,
    roster_title,
)
from sync.manual import origin, provenance, row_label
from sync.model import (
    Grid,
    Organisation,
    Problem,
    ReviewPair,
    RowOutcome,
    Severity,
    Status,
    is_manual,
    sheet_row,
)
from sync.public_list import public_tax_code
from sync.text import name_sort_key
from sync.tipologia import ADMISSION_CODE
from sync.tipologia import label as tipologia_label


def fmt_dt(value: datetime | None) -> str:
    """`03/04/2024 11:09`."""
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def fmt_date(value: datetime | date | None) -> str:
    """`03/04/2024`."""
    return value.strftime("%d/%m/%Y") if value else ""


# Staff tabs -------------------------------------------------------------------------------------------------


def _warnings(o: Organisation) -> str:
    return labels.code_labels(_warning_codes(o))


def _warning_codes(o: Organisation) -> list[str]:
    return sorted({p.code for p in o.current.warnings})


def _areas_text(ambito: Ambito, codes: Sequence[str]) -> str:
    return ", ".join(ambito.area(c).tab for c in codes)


def _phases_text(ambito: Ambito, codes: Sequence[str]) -> str:
    names = {p.code: p.label for p in ambito.phases}
    if ambito.phases and set(codes) >= {p.code for p in ambito.phases}:
        return labels.ALL_PHASES
    return "; ".join(names.get(c, c) for c in codes)


def _status_text(o: Organisation) -> str:
    if o.status is Status.MERGED:
        return labels.say("unito_a", into=o.merged_into)
    return labels.STATUS_LABELS[o.status.value]


def contact(o: Organisation) -> tuple[str, str, str, str, str]:
    """Contact person, email, PEC, phone, address — blank once the organisation withdrew (`Ritira`)."""
    if o.status is Status.WITHDRAWN:
        return "", "", "", "", ""
    c = o.current
    r = c.response
    return r.contact_name, c.email or r.email.strip(), c.pec or r.pec.strip(), r.phone.strip(), r.address


def render_elenco(orgs: Sequence[Organisation], ambito: Ambito, current: Grid | None = None) -> WantedTab:
    """`Elenco`: one row per ID ever given, each where staff left it (new IDs appended in ID order)."""
    rows: dict[str, list[Cell]] = {}
    for o in orgs:
        if not o.rows:  # an ID whose rows were merged elsewhere, discarded or deleted: its row stays
            empty: dict[str, str] = {
                "ID": o.id,
                "N. domande": "0",
                "Stato": _status_text(o),
                "Note sullo stato": o.status_note,
            }
            rows[o.id] = [empty.get(h, "") for h in ELENCO_HEADER]
            continue
        c = o.current
        r = c.response
        person, email, pec, phone, address = contact(o)
        rows[o.id] = [
            o.id,
            r.name,
            c.tax_code or r.tax_code,
            r.legal_form,
            tipologia_label(c.tipologia),
            r.runts,
            c.comune_name or r.comune,
            c.comune_istat,
            address,
            person,
            email,
            pec,
            phone,
            _areas_text(ambito, o.areas),
            _phases_text(ambito, o.phases),
            fmt_dt(o.first_at),
            fmt_dt(o.last_at),
            str(len(o.rows)),
            _warnings(o),
            _status_text(o),
            o.status_note,
            ", ".join(row_label(x) for x in o.rows),
            "; ".join(o.evidence),
            "; ".join(_warning_codes(o)),
        ]
    width = len(ELENCO_HEADER)
    # staff sort and filter Elenco and keep notes to its right: rows are found by ID, never by position;
    # a tab of an earlier layout has its staff columns moved past the machine's
    grid = rows_in_place(current or [], list(ELENCO_HEADER), rows, list(rows), width, ELENCO_EVER)
    return WantedTab(ELENCO, grid, owned_width(grid, width))



def render_area(orgs: Sequence[Organisation], ambito: Ambito, code: str) -> list[list[Cell]]:
    """One area's tab: its listed organisations, sorted by name, with contacts."""
    members = sorted(
        (o for o in orgs if o.listed and code in o.areas),
        key=lambda o: name_sort_key(o.current.response.name),
    )
    rows: list[list[Cell]] = [list(AREA_HEADER)]
    for o in members:
        r = o.current.response
        person, email, pec, phone, _ = contact(o)
        rows.append(
            [
                o.id,
                r.name,
                r.legal_form,
                tipologia_label(o.current.tipologia),
                o.current.comune_name or r.comune,
                person,
                email,
                pec,
                phone,
                _phases_text(ambito, o.phases),
                fmt_date(o.first_at),
            ]
        )
    return rows


def what_to_do(code: str, row: int, entity: str) -> str:
    """«Cosa fare» for a problem of response row `row`: the real row (or ID) to type in `Decisioni`."""
    text = labels.WHAT_TO_DO.get(code, "")
    target = row_label(row) if is_manual(row) else labels.WHAT_TO_DO_ROW.format(row=row)
    return text.format(target=target, id=entity or target)


def render_anomalie(
    outcomes: Sequence[RowOutcome], other: Sequence[Problem], withdrawn: set[str]
) -> list[list[Cell]]:
    """`Anomalie`: every problem of every row (blocking first), then decisions and calendar rows."""
    rows: list[list[Cell]] = [list(ANOMALIE_HEADER)]
    listed: list[tuple[int, int, list[Cell]]] = []
    for out in outcomes:
        private = out.entity_id in withdrawn
        for p in out.checked.problems:
            if p.code == "oltre_scadenza":
                continue  # not a problem to fix: it is shown as a warning in Elenco and Risposte
            rank = 0 if p.severity is Severity.BLOCKING else 1
            gravity, todo = labels.GRAVITY["blocking" if rank == 0 else "warning"], what_to_do(p.code, p.row, out.entity_id)
            if (rank == 0 or p.code == ADMISSION_CODE) and out.checked.accepted_by_staff:
                rank, gravity, todo = 2, labels.GRAVITY["accepted"], labels.WHAT_TO_DO_ACCEPTED
            elif out.checked.discarded_by_staff:
                rank, gravity, todo = 2, labels.GRAVITY["discarded"], labels.WHAT_TO_DO_DISCARDED
            listed.append(
                (
                    rank,
                    out.checked.row,
                    [
                        origin(p.row),
                        str(sheet_row(p.row)),
                        out.entity_id,
                        out.checked.response.name,
                        labels.FIELD_LABELS.get(p.field, p.field),
                        labels.code_label(p.code),
                        gravity,
                        "" if private else p.value,
                        "" if private else p.message,
                        p.suggestion,
                        todo,
                        p.code,
                    ],
                )
            )
    listed.sort(key=lambda t: (t[0], t[1]))
    rows.extend(r for _, _, r in listed)
    for p in other:
        rows.append(
            [
                p.field,
                str(p.row),
                "",
                "",
                "",
                labels.code_label(p.code),
                labels.GRAVITY["other"],
                p.value,
                p.message,
                p.suggestion,
                labels.WHAT_TO_DO_OTHER.format(row=p.row, tab=p.field),
                p.code,
            ]
        )
    return rows


def render_duplicati(review: Sequence[ReviewPair], orgs: Sequence[Organisation]) -> list[list[Cell]]:
    """`Possibili duplicati`: each open pair, its evidence and how to decide it."""
    by_id = {o.id: o for o in orgs}
    rows: list[list[Cell]] = [list(DUPLICATI_HEADER)]
    for pair in review:
        a, b = by_id.get(pair.a), by_id.get(pair.b)
        if a is None or b is None or not a.rows or not b.rows:
            continue
        rows.append(
            [
                pair.a,
                a.current.response.name,
                a.current.comune_name or a.current.response.comune,
                pair.b,
                b.current.response.name,
                b.current.comune_name or b.current.response.comune,
                f"{round(pair.score)}%",
                "; ".join(pair.evidence),
                labels.say("come_decidere", a=pair.a, b=pair.b),
            ]
        )
    return rows


def render_risposte(outcomes: Sequence[RowOutcome]) -> list[list[Cell]]:
    """`Risposte`: every response row accounted for — its organisation, outcome and reasons."""
    rows: list[list[Cell]] = [list(RISPOSTE_HEADER)]
    for out in outcomes:
        c = out.checked
        details = " ".join(p.message for p in (c.blocking if out.status == "rejected" else c.warnings))
        rows.append(
            [
                str(sheet_row(c.row)),
                c.response.code,
                fmt_dt(c.response.submitted_at) or c.response.submitted_raw,
                c.response.name,
                out.entity_id,
                labels.OUTCOME_LABELS[out.status],
                labels.code_labels(p.code for p in c.blocking),
                labels.code_labels(p.code for p in c.warnings),
                details,
                out.note,
                provenance(c.response),
                "; ".join(p.code for p in (*c.blocking, *c.warnings)),
            ]
        )
    return rows


def render_roster(
    orgs: Sequence[Organisation], ambito: Ambito, code: str, meetings: Sequence[CalendarEntry], current: Grid
) -> WantedTab:
    """One area's roster (or the plenary one, `code` = `PLENARY`): stable rows and meeting columns;
    attendance and notes are never written."""
    fixed = len(ROSTER_FIXED)
    title = roster_title(ambito, code)
    header = [*ROSTER_FIXED, *(current[0][fixed:] if current else [])]
    columns = [h for h in header[fixed:]]
    own = sorted((m for m in meetings if m.area == code), key=lambda m: (m.day, m.time))
    for m in own:
        if m.label not in columns:
            columns.append(m.label)
    width = fixed + len(columns)
    present = {row[0].strip() for row in current[1:] if row and row[0].strip()}

    def belongs(o: Organisation) -> bool:
        # a plenary expects every listed organisation eligible for one of its meetings' phases
        if code == PLENARY:
            return any(expected_at(o, m) for m in own)
        return o.listed and code in o.areas

    members = sorted(
        (o for o in orgs if belongs(o) and o.id not in present),
        key=lambda o: name_sort_key(o.current.response.name),
    )
    rows: dict[str, list[Cell]] = {}
    # the note and attendance cells stay staff's: None = never written
    for o in orgs:
        if o.id not in present and not belongs(o):
            continue
        if not o.rows:  # merged or without valid answers: keep what the row shows, update the status
            rows[o.id] = [None, None, None, None, None, _status_text(o), *([None] * (width - 6))]
            continue
        person, _, _, phone, _ = contact(o)
        if not o.listed:
            state = _status_text(o)
        elif not belongs(o):
            state = labels.ROSTER_STATES["not_expected" if code == PLENARY else "left_area"]
        else:
            state = labels.ROSTER_STATES["member"]
        rows[o.id] = [
            o.id,
            o.current.response.name,
            person,
            phone,
            _phases_text(ambito, o.phases),
            state,
            *([None] * (width - 6)),
        ]
    head: list[Cell] = [*ROSTER_FIXED, *columns]
    return WantedTab(title, rows_in_place(current, head, rows, [o.id for o in members], width), width)


def render_log_line(now: datetime, trigger: str, figures: dict[str, int], outcome: str) -> list[str]:
    """One line of `Registro sincronizzazioni`."""
    return [
        now.strftime("%d/%m/%Y %H:%M:%S"),
        trigger,
        str(figures.get("responses", 0)),
        str(figures.get("accepted", 0)),
        str(figures.get("rejected", 0)),
        str(figures.get("organisations", 0)),
        str(figures.get("review_pairs", 0)),
        str(figures.get("cells_written", 0)),
        outcome,
    ]


# Public tabs ------------------------------------------------------------------------------------------------


def _public_row(o: Organisation, ambito: Ambito) -> dict[str, str]:
    """The allow-listed fields of one organisation (`public_list_fields`): nothing about its contact person."""
    c = o.current
    return {
        "ID": o.id,
        "Denominazione": c.response.name,
        "Forma giuridica": c.response.legal_form,
        "Tipologia": tipologia_label(c.tipologia),
        "Codice fiscale": public_tax_code(o),
        "N. RUNTS": c.response.runts,
        "Comune sede legale": c.comune_name or c.response.comune,
        "Provincia": c.province,
        "Aree tematiche": _areas_text(ambito, o.areas),
        "Iscritto dal": fmt_date(o.first_at),
        "Stato": labels.STATUS_LABELS[o.status.value],
    }


def render_public(orgs: Sequence[Organisation], ambito: Ambito) -> dict[str, Grid]:
    """Public `Elenco` and per-area tabs: allow-listed fields of listed organisations only."""
    listed = sorted((o for o in orgs if o.listed), key=lambda o: name_sort_key(o.current.response.name))
    rows = [(o, _public_row(o, ambito)) for o in listed]
    tabs: dict[str, Grid] = {ELENCO: [list(PUBLIC_HEADER), *([r[h] for h in PUBLIC_HEADER] for _, r in rows)]}
    for a in ambito.areas:
        tabs[a.tab] = [
            list(PUBLIC_AREA_HEADER),
            *([r[h] for h in PUBLIC_AREA_HEADER] for o, r in rows if a.code in o.areas),
        ]
    return tabs


def render_information(ambito: Ambito, updated: str, counts: dict[str, int]) -> Grid:
    """Public `Informazioni`: avviso, Ambito, last update, licence, contact of the Ufficio di Piano."""
    office = ambito.office
    contact = ", ".join(x for x in (office.email, office.phone, office.website) if x)
    items = labels.INFORMATION_ITEMS
    rows: Grid = [
        list(INFORMAZIONI_HEADER),
        [items["notice"], ambito.notice],
        [items["ambito"], ambito.name],
        [items["lead_body"], ambito.lead_body],
        [items["deadline"], fmt_dt(ambito.deadline)],
        [items["after_deadline"], ambito.after_deadline],
        [items["updated"], updated],
        [items["count"], str(counts.get(ELENCO, 0))],
        *([items["area_count"].format(area=a.tab), str(counts.get(a.tab, 0))] for a in ambito.areas),
        [items["licence"], f"{ambito.licence} (https://creativecommons.org/licenses/by/4.0/deed.it)"],
        [items["contacts"], f"{office.name}{': ' + contact if contact else ''}"],
        [items["published"], labels.INFORMATION_PUBLISHED_FIELDS],
    ]
    return rows


def content_hash(grid: Grid) -> str:
    """A stable digest of a tab's cells."""
    h = hashlib.sha256()
    for row in grid:
        h.update("\x1f".join(row).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()[:20]
