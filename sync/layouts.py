"""The tabs' layouts: titles, headers, column kinds and how each tab is created (`TabSpec`).  Pure.

Tab titles and column headers are layout words, not sentences: they live here, beside the widths and
kinds they go with (the golden test pins them, and staff find columns by them). Every sentence a tab
shows staff (the notes on its header) is in `sync.labels`.

May import: `sync.labels`, `sync.config`, `sync.cells`, `sync.state`, `sync.instructions` and the plain
values of `sync.backends.base` (`TabSpec`, `Dropdown`). Must not import the core stages (`parse`,
`validate`, `resolve`, `render`, `diff`, `decisions`, `pipeline`): the backends and the CLI read layouts
without pulling the core in.
"""

from __future__ import annotations

from collections.abc import Sequence

from sync import labels
from sync.backends.base import Dropdown, TabSpec
from sync.cells import ColumnKind
from sync.config import FIELDS, PLENARY, Ambito
from sync.instructions import ISTRUZIONI
from sync.state import STATE_HEADER, STATE_TAB

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
INFORMAZIONI_HEADER = ("Voce", "Valore")
PRINT_HEADER = ("N.", "Ente", "Referente", "Firma")
MANUAL_TAB = labels.MANUAL_TAB

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


def roster_title(ambito: Ambito, code: str) -> str:
    """`Presenze Minori e famiglia`; `Presenze plenaria` for the plenary meetings."""
    if code == PLENARY:
        return f"{ROSTER_PREFIX}{labels.PLENARY_NAME.lower()}"
    return f"{ROSTER_PREFIX}{ambito.area(code).tab}"[:100]


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


def manual_header(ambito: Ambito) -> tuple[str, ...]:
    """The form's question titles (from the configuration), the date of receipt first, then Canale, Protocollo."""
    titles = [
        labels.MANUAL_TIMESTAMP if f == "timestamp" else getattr(ambito.questions, f)[0] for f in FIELDS
    ]
    return (*titles, labels.MANUAL_CHANNEL, labels.MANUAL_PROTOCOL)


def manual_spec(ambito: Ambito) -> TabSpec:
    """How `Domande manuali` is created: staff-owned, its header only, a dropdown of channels."""
    header = manual_header(ambito)
    text: ColumnKind = "text"
    kinds: list[ColumnKind] = ["date", *([text] * (len(header) - 1))]
    return TabSpec(
        MANUAL_TAB,
        header,
        owner="staff",
        frozen_cols=1,
        widths=(12, 28, *([24] * (len(header) - 4)), 10, 14),
        dropdown=Dropdown(header.index(labels.MANUAL_CHANNEL), labels.MANUAL_CHANNELS),
        kinds=tuple(kinds),
        note=labels.MANUAL_NOTE,
    )


def staff_specs(ambito: Ambito) -> list[TabSpec]:
    """Every tab of the staff workbook, in the order they are created."""
    return [
        *_register_specs(ambito),
        *_roster_specs(ambito),
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
            note=labels.say("nota_scheda_macchina"),
            kinds=column_kinds(REGISTRO_HEADER, _LOG_TYPED),
        ),
        *_staff_owned_specs(ambito),
        TabSpec(STATE_TAB, STATE_HEADER, hidden=True, listing=False, note=labels.say("nota_memoria")),
    ]


def _register_specs(ambito: Ambito) -> list[TabSpec]:
    """The machine's registers: `Elenco`, one tab per area, `Anomalie`, duplicates, `Risposte`, `Istruzioni`."""
    machine = labels.say("nota_scheda_macchina")
    return [
        TabSpec(
            ELENCO,
            ELENCO_HEADER,
            frozen_cols=2,
            kinds=column_kinds(ELENCO_HEADER),
            print_columns=ELENCO_HEADER.index("Indirizzo sede legale") + 1,
            widths=(8, 40, 14, 28, 20, 10, 22, 9, 28, 24, 28, 28, 14, 12, 16, 16, 16, 6, 30, 12, 24, 14, 40, 24),
            note=labels.say("nota_elenco"),
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
            note=labels.say("nota_risposte"),
            kinds=column_kinds(RISPOSTE_HEADER),
        ),
        TabSpec(ISTRUZIONI, labels.INSTRUCTIONS_HEADER, widths=(26, 24, 90, 60), note=machine),
    ]


def _roster_specs(ambito: Ambito) -> list[TabSpec]:
    """One attendance roster per area, then the plenary one: staff mark attendance in meeting columns."""
    widths = (8, 40, 24, 14, 16, 14, 30)
    return [
        *(
            TabSpec(
                roster_title(ambito, a.code),
                ROSTER_FIXED,
                owner="mixed",
                frozen_cols=2,
                widths=widths,
                note=labels.say("nota_presenze"),
            )
            for a in ambito.areas
        ),
        TabSpec(
            roster_title(ambito, PLENARY),
            ROSTER_FIXED,
            owner="mixed",
            frozen_cols=2,
            widths=widths,
            note=labels.say("nota_presenze_plenaria"),
        ),
    ]


def _staff_owned_specs(ambito: Ambito) -> list[TabSpec]:
    """The tabs staff write: `Domande manuali`, `Decisioni`, `Calendario` (seeded with the preset's meetings)."""
    return [
        manual_spec(ambito),
        TabSpec(
            DECISIONI,
            labels.DECISION_HEADERS,
            owner="staff",
            widths=(14, 12, 30, 40, 20, 12),
            dropdown=Dropdown(1, labels.VERBS),
            note=labels.say("nota_decisioni"),
        ),
        TabSpec(
            CALENDARIO,
            CALENDARIO_HEADER,
            owner="staff",
            widths=(24, 12, 14, 30, 40, 30),
            dropdown=Dropdown(0, (*(a.tab for a in ambito.areas), labels.PLENARY_AREA)),
            seed=calendar_seed(ambito),
            kinds=column_kinds(CALENDARIO_HEADER),
            note=labels.say("nota_calendario"),
        ),
    ]


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
        TabSpec(INFORMAZIONI, INFORMAZIONI_HEADER, widths=(28, 90), listing=False),
    ]
