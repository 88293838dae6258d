"""The machine's memory, kept in the staff workbook's hidden `_stato` tab (no extra database).

One line per fact, in the order facts were first recorded, so that two syncs over the same input write the
same lines at the same places, and a new fact is an appended line:

    tipo        chiave                      valore
    risposta    <response fingerprint>      E-0007     which organisation a response row belongs to
    cf          <tax code>                  E-0007     anchors an edited response to its organisation
    separata    <response fingerprint>      E-0007     a row staff split off this organisation (`Separa`)
    decisione   <decision key>              <fp>       the response a `riga N` decision was written for
    contatore   prossimo_id                 43         IDs are never reused
    pubblico    <key>                       <value>    with rows and columns: the sync's own bookkeeping
    pubblicato  <ID>                        <row>      a listed organisation's public row as last written
                                                       (`sync.public_diff`: digest|previous ID|areas; "-"
                                                       once no longer listed, so lines never shift)

The `pubblico` lines are read into a typed `PublicRecord` (one named field per key below, a mapping for the
`tab:<title>` lines) and written back as the same lines, so workbooks written before and after read alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sync.model import Grid

STATE_TAB = "_stato"
STATE_HEADER = ("tipo", "chiave", "valore", "righe", "colonne")

# the keys of the `pubblico` lines (stable: they are on disk in every staff workbook)
DATA_KEY = "_dati"  # digest of the published data
UPDATED_KEY = "_aggiornato"  # «last update» shown to the public: moves only when the data change
STRUCTURE_KEY = "_struttura"  # layout digest of the public tabs last ensured
STAFF_LAYOUT_KEY = "_struttura_interno"  # layout digest of the staff tabs last ensured
FILES_KEY = "_file"  # version of the public files last published
INPUT_KEY = "_ingressi"  # digest of what the last sync left (`sync.shortcut`)
FIGURES_KEY = "_cifre"  # that sync's figures (JSON), for the report of a skipped one
TAB_PREFIX = "tab:"  # `tab:<public tab>`: the digest and size of what that tab holds
GUARD_KEY = "_contrassegno"  # the mark the public workbook carries since the last row diff (`Guard`)


@dataclass(frozen=True)
class TabRecord:
    """One public tab as the last sync wrote it: its content digest and size."""

    digest: str
    rows: int = 0
    cols: int = 0


@dataclass(frozen=True)
class PublicRecord:
    """What the previous syncs recorded about the public workbook and themselves ("" = not recorded)."""

    data: str = ""
    updated: str = ""
    structure: str = ""
    staff_layout: str = ""
    files: str = ""
    inputs: str = ""
    figures: str = ""
    guard: str = ""
    tabs: Mapping[str, TabRecord] = field(default_factory=dict)  # public tab title -> what it holds
    # `pubblico` lines this version does not know (written by a newer one): kept as they are
    other: Mapping[str, TabRecord] = field(default_factory=dict)


def _public_record(lines: Mapping[str, TabRecord]) -> PublicRecord:
    def value(key: str) -> str:
        line = lines.get(key)
        return line.digest if line is not None else ""

    scalars = {
        DATA_KEY,
        UPDATED_KEY,
        STRUCTURE_KEY,
        STAFF_LAYOUT_KEY,
        FILES_KEY,
        INPUT_KEY,
        FIGURES_KEY,
        GUARD_KEY,
    }
    return PublicRecord(
        data=value(DATA_KEY),
        updated=value(UPDATED_KEY),
        structure=value(STRUCTURE_KEY),
        staff_layout=value(STAFF_LAYOUT_KEY),
        files=value(FILES_KEY),
        inputs=value(INPUT_KEY),
        figures=value(FIGURES_KEY),
        guard=value(GUARD_KEY),
        tabs={k.removeprefix(TAB_PREFIX): r for k, r in lines.items() if k.startswith(TAB_PREFIX)},
        other={k: r for k, r in lines.items() if k not in scalars and not k.startswith(TAB_PREFIX)},
    )


def public_lines(record: PublicRecord) -> dict[str, TabRecord]:
    """The `pubblico` lines of a record, by key (the inverse of reading them)."""
    scalars = {
        DATA_KEY: record.data,
        UPDATED_KEY: record.updated,
        STRUCTURE_KEY: record.structure,
        STAFF_LAYOUT_KEY: record.staff_layout,
        FILES_KEY: record.files,
        INPUT_KEY: record.inputs,
        FIGURES_KEY: record.figures,
        GUARD_KEY: record.guard,
    }
    out = {**record.other, **{key: TabRecord(value) for key, value in scalars.items() if value}}
    out.update({TAB_PREFIX + title: line for title, line in record.tabs.items()})
    return out


@dataclass
class State:
    """Stable IDs and what the public workbook holds."""

    responses: dict[str, str] = field(default_factory=dict)  # fingerprint -> ID
    tax_codes: dict[str, str] = field(default_factory=dict)  # tax code -> ID
    detached: dict[str, str] = field(default_factory=dict)  # fingerprint -> the ID it was split off
    decisions: dict[str, str] = field(default_factory=dict)  # decision key -> fingerprint of its response
    next_id: int = 1
    public: PublicRecord = field(default_factory=PublicRecord)
    published: dict[str, str] = field(default_factory=dict)  # ID -> its public row's line ("-" = not listed)
    order: dict[tuple[str, str], None] = field(default_factory=dict)  # (kind, key) in recorded order


def read_state(grid: Grid) -> State:
    """Parse the `_stato` tab; unknown or broken lines are skipped (the tab is machine-owned)."""
    state = State()
    public: dict[str, TabRecord] = {}
    for row in grid[1:]:
        cells = [*row, "", "", "", "", ""][:5]
        kind, key, value = cells[0], cells[1], cells[2]
        if not kind or not key:
            continue
        if kind == "risposta" and value:
            state.responses[key] = value
        elif kind == "cf" and value:
            state.tax_codes[key] = value
        elif kind == "separata" and value:
            state.detached[key] = value
        elif kind == "decisione" and value:
            state.decisions[key] = value
        elif kind == "contatore" and key == "prossimo_id" and value.isdigit():
            state.next_id = max(state.next_id, int(value))
        elif kind == "pubblicato" and value:
            state.published[key] = value
        elif kind == "pubblico":
            rows = int(cells[3]) if cells[3].isdigit() else 0
            cols = int(cells[4]) if cells[4].isdigit() else 0
            public[key] = TabRecord(value, rows, cols)
        else:
            continue
        state.order.setdefault((kind, key), None)
    state.public = _public_record(public)
    # never hand out an ID that is already recorded, even if the counter line was lost
    for entity in (*state.responses.values(), *state.tax_codes.values()):
        number = id_number(entity)
        if number >= state.next_id:
            state.next_id = number + 1
    return state


def render_state(state: State) -> Grid:
    """The `_stato` tab: previously recorded lines in their order, new ones appended in sorted order."""
    values: dict[tuple[str, str], list[str]] = {("contatore", "prossimo_id"): [str(state.next_id), "", ""]}
    for fp, entity in state.responses.items():
        values[("risposta", fp)] = [entity, "", ""]
    for code, entity in state.tax_codes.items():
        values[("cf", code)] = [entity, "", ""]
    for fp, entity in state.detached.items():
        values[("separata", fp)] = [entity, "", ""]
    for key, fp in state.decisions.items():
        values[("decisione", key)] = [fp, "", ""]
    for entity, published in state.published.items():
        values[("pubblicato", entity)] = [published, "", ""]
    for key, line in public_lines(state.public).items():
        values[("pubblico", key)] = [line.digest, str(line.rows), str(line.cols)]
    kinds = {
        "contatore": 0,
        "pubblico": 1,
        "cf": 2,
        "separata": 3,
        "decisione": 4,
        "risposta": 5,
        "pubblicato": 6,
    }
    known = [k for k in state.order if k in values]
    recorded = set(known)
    new = sorted((k for k in values if k not in recorded), key=lambda k: (kinds[k[0]], k[1]))
    out: Grid = [list(STATE_HEADER)]
    for kind, key in [*known, *new]:
        out.append([kind, key, *values[(kind, key)]])
    return out


def format_id(number: int) -> str:
    """`E-0042`; past 9999 the number simply grows."""
    return f"E-{number:04d}"


def id_number(entity: str) -> int:
    """The number of an `E-…` ID, or 0."""
    text = entity.strip().upper()
    if text.startswith("E-") and text[2:].isdigit():
        return int(text[2:])
    return 0
