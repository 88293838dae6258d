"""Organisations, outcomes and calendar → every tab as rows of text cells.  Pure.

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
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sync import labels
from sync.backends.base import Dropdown, Printable, TabSpec
from sync.cells import ColumnKind
from sync.config import PLENARY, Ambito, Meeting
from sync.diff import Cell, WantedTab, owned_width, rows_in_place
from sync.instructions import ISTRUZIONI
from sync.manual import manual_spec, origin, provenance, row_label
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
from sync.state import STATE_HEADER, STATE_TAB
from sync.tipologia import ADMISSION_CODE
from sync.tipologia import label as tipologia_label

ELENCO = "Elenco"
ANOMALIE = "Anomalie"
DUPLICATI = "Possibili duplicati"
RISPOSTE = "Risposte"
REGISTRO = "Registro sincronizzazioni"
DECISIONI = "Decisioni"
CALENDARIO = "Calendario"
INFORMAZIONI = "Informazioni"
ROSTER_PREFIX = "Presenze "

ELENCO_HEADER = (
    "ID",
    "Denominazione",
    "Codice fiscale",
    "Forma giuridica",
    "Tipologia",
    "N. RUNTS",
    "Comune sede legale",
    "Codice ISTAT",
    "Indirizzo sede legale",
    "Referente",
    "Email",
    "PEC",
    "Telefono",
    "Aree",
    "Fasi",
    "Prima domanda",
    "Ultima domanda",
    "N. domande",
    "Avvisi",
    "Stato",
    "Note sullo stato",
    "Righe del modulo",
    "Riconoscimento",
    "Codici",
)
# Every machine column `Elenco` has had (add a column's name here before removing it): a tab made by an
# earlier version is recognised by these, and staff's columns after them are moved, never overwritten.
ELENCO_EVER = frozenset(ELENCO_HEADER)
AREA_HEADER = (
    "ID",
    "Denominazione",
    "Forma giuridica",
    "Tipologia",
    "Comune sede legale",
    "Referente",
    "Email",
    "PEC",
    "Telefono",
    "Fasi",
    "Iscritto dal",
)
ANOMALIE_HEADER = (
    "Origine",
    "Riga",
    "ID ente",
    "Denominazione",
    "Campo",
    "Tipo",
    "Gravità",
    "Valore",
    "Problema",
    "Suggerimento",
    "Cosa fare",
    "Codice",
)
DUPLICATI_HEADER = (
    "ID ente A",
    "Denominazione A",
    "Comune A",
    "ID ente B",
    "Denominazione B",
    "Comune B",
    "Somiglianza nome",
    "Indizi",
    "Come decidere",
)
RISPOSTE_HEADER = (
    "Riga",
    "Codice risposta",
    "Inviata il",
    "Denominazione",
    "ID ente",
    "Esito",
    "Motivi",
    "Avvisi",
    "Dettagli",
    "Nota",
    "Provenienza",
    "Codici",
)
REGISTRO_HEADER = (
    "Data e ora",
    "Avvio",
    "Risposte",
    "Accettate",
    "Respinte",
    "Enti",
    "Duplicati da verificare",
    "Celle scritte",
    "Esito",
)
CALENDARIO_HEADER = ("Area", "Data", "Orario", "Luogo", "Fase", "Note")
ROSTER_FIXED = ("ID", "Denominazione", "Referente", "Telefono", "Fasi", "Stato", "Note")
PUBLIC_HEADER = (
    "ID",
    "Denominazione",
    "Forma giuridica",
    "Tipologia",
    "Codice fiscale",
    "N. RUNTS",
    "Comune sede legale",
    "Provincia",
    "Aree tematiche",
    "Iscritto dal",
    "Stato",
)
# per-area public tabs: the same allow-listed columns, less the area list and the status
PUBLIC_AREA_HEADER = tuple(h for h in PUBLIC_HEADER if h not in ("Aree tematiche", "Stato"))

# Typed columns (`sync.cells`): dates shown dd/mm/yyyy and counts stored as numbers, by tab and header.
_TYPED: dict[str, ColumnKind] = {
    "Prima domanda": "datetime",
    "Ultima domanda": "datetime",
    "N. domande": "int",
    "Iscritto dal": "date",
    "Riga": "int",
    "Inviata il": "datetime",
    "Data": "date",
}
_LOG_TYPED: dict[str, ColumnKind] = {
    "Data e ora": "timestamp",
    **dict.fromkeys(REGISTRO_HEADER[2:8], "int"),
}


def column_kinds(header: Sequence[str], typed: dict[str, ColumnKind] | None = None) -> tuple[ColumnKind, ...]:
    """The kind of each column of a header (text unless listed)."""
    table = _TYPED if typed is None else typed
    return tuple(table.get(h, "text") for h in header)


REVIEW_HOW = "Stesso ente: in «Decisioni» {a} | Unisci | {b}. Enti diversi: {a} | Separa | {b}."


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^a-z0-9 ]+", "", text).strip()


def name_sort_key(name: str) -> tuple[str, str]:
    """Alphabetical order as people expect it: accents, case and quotes ignored."""
    return (_fold(name), name)


def fmt_dt(value: datetime | None) -> str:
    """`03/04/2024 11:09`."""
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def fmt_date(value: datetime | date | None) -> str:
    """`03/04/2024`."""
    return value.strftime("%d/%m/%Y") if value else ""


# Calendar ---------------------------------------------------------------------------------------------------


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


def area_name(ambito: Ambito, code: str) -> str:
    """An area's tab name, or «Tutte le aree» for a plenary."""
    return labels.PLENARY_AREA if code == PLENARY else ambito.area(code).tab


def calendar_seed(ambito: Ambito) -> tuple[tuple[str, ...], ...]:
    """The preset's meetings as `Calendario` rows (written once, when the tab is created)."""
    phases = {p.code: p.label for p in ambito.phases}
    return tuple(
        (area_name(ambito, m.area), m.date.strftime("%d/%m/%Y"), m.time, m.place, phases.get(m.phase, ""), "")
        for m in ambito.meetings
    )


def parse_calendar(grid: Grid, ambito: Ambito) -> tuple[list[CalendarEntry], list[Problem]]:
    """Read `Calendario`: area by tab name, code or label; Italian dates; bad rows reported."""
    areas: dict[str, str] = {}
    for a in ambito.areas:
        for spelling in (a.code, a.tab, a.label):
            areas[_fold(spelling)] = a.code
    for spelling in labels.PLENARY_SPELLINGS:
        areas.setdefault(_fold(spelling), PLENARY)
    phases: dict[str, str] = {}
    for p in ambito.phases:
        for spelling in (p.code, p.label):
            phases[_fold(spelling)] = p.code
    out: list[CalendarEntry] = []
    problems: list[Problem] = []
    for i, row in enumerate(grid[1:], start=2):
        cells = [*row, "", "", "", "", "", ""][:6]
        if not any(c.strip() for c in cells):
            continue
        area = areas.get(_fold(cells[0]))
        day = _parse_day(cells[1])
        phase = phases.get(_fold(cells[4]), "") if cells[4].strip() else ""
        if area is None or day is None or (cells[4].strip() and not phase):
            what = "area" if area is None else "data" if day is None else "fase"
            problems.append(
                Problem(
                    i,
                    CALENDARIO,
                    "calendario_non_valido",
                    " | ".join(cells[:5]).strip(),
                    Severity.WARNING,
                    f"Riga {i} di «Calendario»: {what} non riconosciuta; l'incontro non compare "
                    "nei fogli presenze.",
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


# Layout -----------------------------------------------------------------------------------------------------


def roster_title(ambito: Ambito, code: str) -> str:
    """`Presenze Minori e famiglia`; `Presenze plenaria` for the plenary meetings."""
    if code == PLENARY:
        return f"{ROSTER_PREFIX}{labels.PLENARY_NAME.lower()}"
    return f"{ROSTER_PREFIX}{ambito.area(code).tab}"[:100]


def staff_specs(ambito: Ambito) -> list[TabSpec]:
    """Every tab of the staff workbook, in the order they are created."""
    machine = "Scheda aggiornata da elenco a ogni sincronizzazione: le modifiche vanno fatte in «Decisioni»."
    specs = [
        TabSpec(
            ELENCO,
            ELENCO_HEADER,
            frozen_cols=2,
            kinds=column_kinds(ELENCO_HEADER),
            print_columns=ELENCO_HEADER.index("Indirizzo sede legale") + 1,
            widths=(8, 40, 14, 28, 20, 10, 22, 9, 28, 24, 28, 28, 14, 12, 16, 16, 16, 6, 30, 12, 24, 14, 40, 24),
            note=machine + " Si possono aggiungere colonne a destra: restano vostre.",
        ),
        *(
            TabSpec(
                a.tab,
                AREA_HEADER,
                frozen_cols=2,
                kinds=column_kinds(AREA_HEADER),
                widths=(8, 40, 28, 20, 22, 24, 28, 28, 14, 16, 12),
                note=machine,
            )
            for a in ambito.areas
        ),
        TabSpec(
            ANOMALIE,
            ANOMALIE_HEADER,
            widths=(10, 6, 8, 36, 14, 24, 10, 30, 60, 28, 60, 22),
            note=machine,
            kinds=column_kinds(ANOMALIE_HEADER),
        ),
        TabSpec(DUPLICATI, DUPLICATI_HEADER, widths=(8, 36, 18, 8, 36, 18, 10, 50, 60), note=machine),
        TabSpec(
            RISPOSTE,
            RISPOSTE_HEADER,
            widths=(6, 15, 16, 36, 8, 10, 30, 30, 80, 40, 30, 30),
            note=machine + " Il codice risposta identifica la risposta anche se le righe si spostano: "
            "si può usare in «Decisioni» al posto di «riga N». Le domande della scheda «Domande manuali» hanno "
            "codici M-… e si citano anche con «manuale N».",
            kinds=column_kinds(RISPOSTE_HEADER),
        ),
        TabSpec(
            ISTRUZIONI,
            labels.INSTRUCTIONS_HEADER,
            widths=(26, 24, 90, 60),
            note=machine,
        ),
        *(
            TabSpec(
                roster_title(ambito, a.code),
                ROSTER_FIXED,
                owner="mixed",
                frozen_cols=2,
                widths=(8, 40, 24, 14, 16, 14, 30),
                note="Segnare le presenze nelle colonne degli incontri (es. «P» o «A»): non vengono mai "
                "sovrascritte. Nuovi incontri: aggiungerli in «Calendario».",
            )
            for a in ambito.areas
        ),
        TabSpec(
            roster_title(ambito, PLENARY),
            ROSTER_FIXED,
            owner="mixed",
            frozen_cols=2,
            widths=(8, 40, 24, 14, 16, 14, 30),
            note="Incontri plenari (in «Calendario» l'area «Tutte le aree»): un ente per riga, tutti gli enti "
            "ammessi. Segnare le presenze nelle colonne degli incontri (es. «P» o «A»): non vengono mai "
            "sovrascritte.",
        ),
        TabSpec(
            labels.STATS_TAB,
            labels.STATS_HEADER,
            widths=(30, 40, 30, 10, 10, 10),
            note=labels.STATS_NOTE,
            kinds=column_kinds(labels.STATS_HEADER, dict.fromkeys(labels.STATS_HEADER[3:], "int")),
        ),
        TabSpec(
            REGISTRO,
            REGISTRO_HEADER,
            widths=(20, 12, 9, 9, 9, 7, 10, 10, 40),
            note=machine,
            kinds=column_kinds(REGISTRO_HEADER, _LOG_TYPED),
        ),
        manual_spec(ambito),
        TabSpec(
            DECISIONI,
            labels.DECISION_HEADERS,
            owner="staff",
            widths=(14, 12, 30, 40, 20, 12),
            dropdown=Dropdown(1, labels.VERBS),
            note="Una decisione per riga; vengono riapplicate a ogni sincronizzazione, nell'ordine.",
        ),
        TabSpec(
            CALENDARIO,
            CALENDARIO_HEADER,
            owner="staff",
            widths=(24, 12, 14, 30, 40, 30),
            dropdown=Dropdown(0, (*(a.tab for a in ambito.areas), labels.PLENARY_AREA)),
            seed=calendar_seed(ambito),
            kinds=column_kinds(CALENDARIO_HEADER),
            note="Un incontro per riga: nei fogli presenze compare una colonna per ogni incontro.",
        ),
        TabSpec(
            STATE_TAB, STATE_HEADER, hidden=True, listing=False, note="Memoria di elenco: non modificare."
        ),
    ]
    return specs


def public_specs(ambito: Ambito) -> list[TabSpec]:
    """Every tab of the public workbook."""
    return [
        TabSpec(
            ELENCO,
            PUBLIC_HEADER,
            frozen_cols=2,
            widths=(8, 44, 28, 20, 14, 10, 24, 8, 50, 12, 10),
            kinds=column_kinds(PUBLIC_HEADER),
        ),
        *(
            TabSpec(
                a.tab,
                PUBLIC_AREA_HEADER,
                frozen_cols=2,
                widths=(8, 44, 28, 20, 14, 10, 24, 8, 12),
                kinds=column_kinds(PUBLIC_AREA_HEADER),
            )
            for a in ambito.areas
        ),
        TabSpec(INFORMAZIONI, ("Voce", "Valore"), widths=(28, 90), listing=False),
    ]


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
        return "tutte"
    return "; ".join(names.get(c, c) for c in codes)


def _status_text(o: Organisation) -> str:
    if o.status is Status.MERGED:
        return f"Unito a {o.merged_into}"
    return labels.STATUS_LABELS[o.status.value]


def _contact(o: Organisation) -> tuple[str, str, str, str, str]:
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
        person, email, pec, phone, address = _contact(o)
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
        person, email, pec, phone, _ = _contact(o)
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
            gravity, todo = ("bloccante" if rank == 0 else "avviso"), what_to_do(p.code, p.row, out.entity_id)
            if (rank == 0 or p.code == ADMISSION_CODE) and out.checked.accepted_by_staff:
                rank, gravity, todo = 2, "superato", labels.WHAT_TO_DO_ACCEPTED
            elif out.checked.discarded_by_staff:
                rank, gravity, todo = 2, "scartata", labels.WHAT_TO_DO_DISCARDED
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
                "da correggere",
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
                REVIEW_HOW.format(a=pair.a, b=pair.b),
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
        person, _, _, phone, _ = _contact(o)
        if not o.listed:
            state = _status_text(o)
        elif not belongs(o):
            state = "non più atteso" if code == PLENARY else "non più iscritto all'area"
        else:
            state = "iscritto"
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


def public_tax_code(o: Organisation) -> str:
    """Only an organisation's 11-digit code is published; never a person's 16-character one."""
    return o.current.tax_code if o.current.tax_code_kind == "ente" else ""


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
    rows: Grid = [
        ["Voce", "Valore"],
        ["Avviso", ambito.notice],
        ["Ambito", ambito.name],
        ["Ente capofila", ambito.lead_body],
        ["Scadenza dell'avviso", fmt_dt(ambito.deadline)],
        ["Dopo la scadenza", ambito.after_deadline],
        ["Ultimo aggiornamento", updated],
        ["Enti nell'elenco", str(counts.get(ELENCO, 0))],
        *([f"Enti - {a.tab}", str(counts.get(a.tab, 0))] for a in ambito.areas),
        ["Licenza", f"{ambito.licence} (https://creativecommons.org/licenses/by/4.0/deed.it)"],
        ["Contatti", f"{office.name}{': ' + contact if contact else ''}"],
        [
            "Dati pubblicati",
            "Denominazione, forma giuridica, codice fiscale dell'ente, numero RUNTS, comune della "
            "sede legale, aree tematiche, data di iscrizione. Nessun dato personale dei referenti.",
        ],
    ]
    return rows


def content_hash(grid: Grid) -> str:
    """A stable digest of a tab's cells."""
    h = hashlib.sha256()
    for row in grid:
        h.update("\x1f".join(row).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()[:20]


# Printable attendance sheets --------------------------------------------------------------------------------

PRINT_HEADER = ("N.", "Ente", "Referente", "Firma")


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
            person = _contact(o)[0]
            rows.append([str(n), o.current.response.name, person, ""])
        safe_tab = re.sub(r"[^\w\- ]+", "", tab).strip()
        where = f" - {m.place}" if m.place else ""
        out.append(
            Printable(
                filename=f"Presenze - {safe_tab} - {m.day.isoformat()}.xlsx",
                title=f"Foglio presenze - {tab}",
                subtitle=f"{ambito.name} - incontro del {m.label}{where}"
                + (f" - {phases[m.phase]}" if m.phase in phases else ""),
                rows=rows,
            )
        )
    return out
