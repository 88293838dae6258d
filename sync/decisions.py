"""The staff-owned `Decisioni` tab: parse its rows and fold them into what each verb asks.  Pure.

Decisions are replayed on every sync in sheet order, the later one winning. One that cannot apply is
returned as a `Problem` (reported in `Anomalie`), never ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from sync import labels
from sync.model import Decision, Grid, Problem, Response, Severity
from sync.state import format_id, id_number

ROW_VERBS = {"Correggi", "Accetta", "Scarta"}
ENTITY_STATUS_VERBS = {"Escludi", "Sospendi", "Riammetti", "Ritira"}
_ROW_TARGET = re.compile(r"^(?:riga|r\.?|row)?\s*n?\.?\s*(\d{1,7})$", re.IGNORECASE)
_ID_TARGET = re.compile(r"^e\s*-?\s*(\d{1,7})$", re.IGNORECASE)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).strip().casefold()


_VERBS = {_fold(v): v for v in labels.VERBS}


@dataclass
class Plan:
    """What the decisions ask, after replay (later decisions win)."""

    corrections: dict[int, dict[str, str]] = field(default_factory=dict)  # row -> field -> value
    row_verdicts: dict[int, str] = field(default_factory=dict)  # row -> Accetta | Scarta
    detach: set[int] = field(default_factory=set)  # rows split off their organisation (Separa on a row)
    status: dict[str, tuple[str, str]] = field(default_factory=dict)  # ID -> (verb, reason)
    pairs: dict[tuple[str, str], str] = field(default_factory=dict)  # (ID, ID) sorted -> Unisci | Separa
    problems: list[Problem] = field(default_factory=list)
    row_refs: dict[int, int] = field(default_factory=dict)  # response row -> Decisioni row of its verdict
    entity_refs: dict[str, int] = field(default_factory=dict)  # ID -> Decisioni row


def parse_decisions(grid: Grid) -> list[Decision]:
    """Rows of the `Decisioni` tab (header skipped, blank rows skipped)."""
    out: list[Decision] = []
    for i, row in enumerate(grid[1:], start=2):
        cells = [str(c).strip() for c in [*row, "", "", "", "", "", ""][:6]]
        if not any(cells):
            continue
        out.append(Decision(i, cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]))
    return out


def target_row(text: str) -> int | None:
    """`riga 17`, `Riga 17`, `17` → 17."""
    m = _ROW_TARGET.match(text.strip())
    return int(m.group(1)) if m else None


def target_id(text: str) -> str | None:
    """`E-0042`, `e42`, `E 42` → `E-0042`."""
    m = _ID_TARGET.match(text.strip())
    return format_id(int(m.group(1))) if m else None


def plan(decisions: list[Decision], rows: set[int], ids: set[str]) -> Plan:
    """Replay the decisions against the known response rows and organisation IDs."""
    p = Plan()

    def problem(d: Decision, code: str, **params: str) -> None:
        text = labels.MESSAGES[code].format(**params)
        p.problems.append(
            Problem(
                d.sheet_row,
                "Decisioni",
                code,
                f"{d.target} {d.verb} {d.value}".strip(),
                Severity.WARNING,
                text,
            )
        )

    for d in decisions:
        verb = _VERBS.get(_fold(d.verb))
        if verb is None:
            problem(d, "decisione_sconosciuta", value=d.verb, verbs=", ".join(labels.VERBS))
            continue
        if not d.target:
            problem(d, "decisione_senza_destinatario")
            continue
        row = target_row(d.target)
        entity = target_id(d.target)
        if row is not None and row not in rows:
            problem(
                d, "decisione_non_applicabile", detail=f"la riga {row} non esiste tra le risposte del modulo."
            )
            continue
        if entity is not None and entity not in ids:
            problem(d, "decisione_non_applicabile", detail=f"l'ente {entity} non esiste.")
            continue
        if row is None and entity is None:
            problem(
                d,
                "decisione_non_applicabile",
                detail=f"«{d.target}» non è né un ID ente (es. E-0042) né una riga (es. riga 17).",
            )
            continue
        if verb in ROW_VERBS:
            if row is None:
                problem(
                    d,
                    "decisione_non_applicabile",
                    detail=f"«{verb}» si applica a una riga delle risposte (es. «riga 17»), non a un ente.",
                )
                continue
            if verb == "Correggi":
                fld, _, value = d.value.partition("=")
                key = labels.CORRECTABLE_FIELDS.get(_fold(fld).strip())
                if not _ or key is None:
                    known = ", ".join(sorted({k.capitalize() for k in labels.CORRECTABLE_FIELDS}))
                    problem(
                        d,
                        "decisione_non_applicabile",
                        detail=f"per «Correggi» il valore deve essere campo=valore; campi: {known}.",
                    )
                    continue
                p.corrections.setdefault(row, {})[key] = value.strip()
            else:
                p.row_verdicts[row] = verb
                p.row_refs[row] = d.sheet_row
            continue
        if verb in ENTITY_STATUS_VERBS:
            if entity is None:
                problem(
                    d,
                    "decisione_non_applicabile",
                    detail=f"«{verb}» si applica a un ente (es. E-0042), non a una riga.",
                )
                continue
            p.status[entity] = (verb, d.reason)
            p.entity_refs[entity] = d.sheet_row
            continue
        # Unisci / Separa
        other = target_id(d.value)
        if verb == "Separa" and row is not None:
            p.detach.add(row)
            p.row_refs[row] = d.sheet_row
            continue
        if entity is None or other is None:
            problem(
                d,
                "decisione_non_applicabile",
                detail=f"per «{verb}» indicare due enti: l'ID nella prima colonna e l'altro ID in «Valore».",
            )
            continue
        if other not in ids:
            problem(d, "decisione_non_applicabile", detail=f"l'ente {other} non esiste.")
            continue
        if other == entity:
            problem(d, "decisione_non_applicabile", detail=f"{verb}: i due ID sono uguali ({entity}).")
            continue
        a, b = sorted((entity, other), key=id_number)
        p.pairs[(a, b)] = verb
    return p


def apply_corrections(response: Response, fields: dict[str, str]) -> Response:
    """The response as staff corrected it (the raw sheet is never edited)."""
    return replace(response, **fields)  # type: ignore[arg-type]
