"""The machine's memory, kept in the staff workbook's hidden `_stato` tab (no extra database).

One line per fact, in the order facts were first recorded, so that two syncs over the same input write the
same lines at the same places, and a new fact is an appended line:

    tipo        chiave                      valore
    risposta    <response fingerprint>      E-0007     which organisation a response row belongs to
    cf          <tax code>                  E-0007     anchors an edited response to its organisation
    separata    <response fingerprint>      E-0007     a row staff split off this organisation (`Separa`)
    decisione   <decision key>              <fp>       the response a `riga N` decision was written for
    contatore   prossimo_id                 43         IDs are never reused
    pubblico    <public tab>                <hash>     with its size: what the public workbook holds
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.model import Grid

STATE_TAB = "_stato"
STATE_HEADER = ("tipo", "chiave", "valore", "righe", "colonne")


@dataclass
class State:
    """Stable IDs and what the public workbook holds."""

    responses: dict[str, str] = field(default_factory=dict)  # fingerprint -> ID
    tax_codes: dict[str, str] = field(default_factory=dict)  # tax code -> ID
    detached: dict[str, str] = field(default_factory=dict)  # fingerprint -> the ID it was split off
    decisions: dict[str, str] = field(default_factory=dict)  # decision key -> fingerprint of its response
    next_id: int = 1
    public: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # tab -> (hash, rows, cols)
    order: dict[tuple[str, str], None] = field(default_factory=dict)  # (kind, key) in recorded order


def read_state(grid: Grid) -> State:
    """Parse the `_stato` tab; unknown or broken lines are skipped (the tab is machine-owned)."""
    state = State()
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
        elif kind == "pubblico":
            rows = int(cells[3]) if cells[3].isdigit() else 0
            cols = int(cells[4]) if cells[4].isdigit() else 0
            state.public[key] = (value, rows, cols)
        else:
            continue
        state.order.setdefault((kind, key), None)
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
    for tab, (digest, rows, cols) in state.public.items():
        values[("pubblico", tab)] = [digest, str(rows), str(cols)]
    kinds = {"contatore": 0, "pubblico": 1, "cf": 2, "separata": 3, "decisione": 4, "risposta": 5}
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
