"""The staff-owned `Decisioni` tab: parse its rows and fold them into what each verb asks.  Pure.

Decisions are replayed on every sync in sheet order, the later one winning. One that cannot apply is
returned as a `Problem` (reported in `Anomalie`), never ignored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from sync import labels
from sync.corrections import EntityCorrection, correction_key
from sync.labels import Verb
from sync.layouts import DECISIONI
from sync.model import (
    MANUAL_BASE,
    Decision,
    Grid,
    Problem,
    Response,
    Severity,
    is_manual,
    response_code,
    sheet_row,
)
from sync.state import format_id, id_number
from sync.text import fold

ROW_VERBS = frozenset({Verb.CORRECT, Verb.ACCEPT, Verb.DISCARD})
ENTITY_STATUS_VERBS = frozenset({Verb.EXCLUDE, Verb.SUSPEND, Verb.READMIT, Verb.WITHDRAW})
_ROW_TARGET = re.compile(r"^(?:riga|r\.?|row)?\s*n?\.?\s*(\d{1,7})$", re.IGNORECASE)
_ID_TARGET = re.compile(r"^e\s*-?\s*(\d{1,7})$", re.IGNORECASE)
_CODE_TARGET = re.compile(r"^([rm])\s*-?\s*([0-9a-f]{10})(?:-(\d{1,4}))?$", re.IGNORECASE)
# a row of `Domande manuali`: «manuale 3», «Domande manuali riga 3», «manuali 3»
_MANUAL_TARGET = re.compile(
    r"^(?:riga\s+)?(?:domande\s+)?manual[ei]\s*(?:riga|r\.)?\s*n?\.?\s*(\d{1,7})$", re.IGNORECASE
)


_VERBS = {fold(v): v for v in Verb}  # how staff may type a verb (accents, case and spaces ignored)


@dataclass
class Plan:
    """What the decisions ask, after replay (later decisions win)."""

    corrections: dict[int, dict[str, str]] = field(default_factory=dict)  # row -> field -> value
    row_verdicts: dict[int, Verb] = field(default_factory=dict)  # row -> Accetta | Scarta
    detach: set[int] = field(default_factory=set)  # rows split off their organisation (Separa on a row)
    status: dict[str, tuple[Verb, str]] = field(default_factory=dict)  # ID -> (verb, reason)
    pairs: dict[tuple[str, str], Verb] = field(default_factory=dict)  # (ID, ID) sorted -> Unisci | Separa
    problems: list[Problem] = field(default_factory=list)
    row_refs: dict[int, int] = field(default_factory=dict)  # response row -> Decisioni row of its verdict
    entity_refs: dict[str, int] = field(default_factory=dict)  # ID -> Decisioni row
    bindings: dict[str, str] = field(default_factory=dict)  # decision key -> fingerprint it was written for
    entity_corrections: list[EntityCorrection] = field(default_factory=list)  # `ID | Correggi`, in order


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
    """`riga 17`, `Riga 17`, `17` → 17; `manuale 3` → the core number of row 3 of `Domande manuali`."""
    manual = _MANUAL_TARGET.match(text.strip())
    if manual:
        return MANUAL_BASE + int(manual.group(1))
    m = _ROW_TARGET.match(text.strip())
    return int(m.group(1)) if m else None


def _row_text(row: int) -> str:
    """A core row number as people cite it (`17`, `manuale 3`)."""
    return labels.MANUAL_ROW.format(row=sheet_row(row)) if is_manual(row) else str(row)


def target_id(text: str) -> str | None:
    """`E-0042`, `e42`, `E 42` → `E-0042`."""
    m = _ID_TARGET.match(text.strip())
    return format_id(int(m.group(1))) if m else None


def target_code(text: str) -> str | None:
    """`R-3F9A0C12D4`, `r-3f9a0c12d4`, `R 3F9A0C12D4-2` → the response code as `Risposte` shows it."""
    m = _CODE_TARGET.match(text.strip())
    if not m:
        return None
    return f"{m.group(1).upper()}-{m.group(2).upper()}" + (f"-{m.group(3)}" if m.group(3) else "")


def decision_key(row: int, verb: str, value: str, nth: int) -> str:
    """What identifies a `riga N` decision across syncs: its row, verb, value and which repeat it is."""
    raw = "\x1f".join((f"riga {row}", verb, " ".join(value.split()).casefold(), str(nth)))
    return hashlib.sha1(raw.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


@dataclass
class _Rows:
    """The response rows of this sync, and where each response (by fingerprint) is now."""

    at: Mapping[int, str]  # sheet row -> fingerprint
    bindings: Mapping[str, str]  # decision key -> fingerprint (from the state)
    row_of: dict[str, int] = field(default_factory=dict)
    by_code: dict[str, list[str]] = field(default_factory=dict)
    repeats: dict[tuple[int, str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for row, fp in self.at.items():
            self.row_of[fp] = row
            self.by_code.setdefault(response_code(fp), []).append(fp)


def _locate(d: Decision, verb: str, rows: _Rows, p: Plan, report: Callable[..., None]) -> int | None:
    """The row that now holds the response a row decision was written for, or None (reported)."""
    code = target_code(d.target)
    if code is not None:
        found = rows.by_code.get(code, [])
        if len(found) != 1:
            report(d, "decisione_non_applicabile", detail=labels.DECISION_CODE_UNKNOWN.format(code=code))
            return None
        return rows.row_of[found[0]]
    row = target_row(d.target)
    assert row is not None
    triple = (row, verb, " ".join(d.value.split()).casefold())
    nth = rows.repeats[triple] = rows.repeats.get(triple, 0) + 1
    key = decision_key(row, verb, d.value, nth)
    fp = rows.bindings.get(key)
    if fp is None:  # first seen: written for the response that row holds now
        fp = rows.at.get(row)
        if fp is None:
            unknown = labels.DECISION_MANUAL_ROW_UNKNOWN if is_manual(row) else labels.DECISION_ROW_UNKNOWN
            report(d, "decisione_non_applicabile", detail=unknown.format(row=sheet_row(row)))
            return None
        p.bindings[key] = fp
        return row
    p.bindings[key] = fp
    now = rows.row_of.get(fp)
    if now is None:
        # its response is gone: never applied to whatever response that row holds now
        report(d, "decisione_orfana", response=response_code(fp), row=_row_text(row))
        return None
    if now != row:
        report(d, "decisione_spostata", response=response_code(fp), row=_row_text(row), now=_row_text(now))
    return now


def plan(
    decisions: list[Decision],
    rows: Mapping[int, str],
    ids: set[str],
    bindings: Mapping[str, str] | None = None,
) -> Plan:
    """Replay the decisions against the response rows (row -> fingerprint), IDs and recorded bindings."""
    replay = _Replay(Plan(), _Rows(rows, bindings or {}), ids)
    for d in decisions:
        replay.apply(d)
    return replay.plan


@dataclass
class _Replay:
    """The decisions replayed so far: each one folded into `plan`, or reported as a problem."""

    plan: Plan
    rows: _Rows
    ids: set[str]

    def problem(self, d: Decision, code: str, **params: str) -> None:
        """Report a decision that cannot apply (shown in `Anomalie`)."""
        text = labels.MESSAGES[code].format(**params)
        where = f"{d.target} {d.verb} {d.value}".strip()
        self.plan.problems.append(Problem(d.sheet_row, DECISIONI, code, where, Severity.WARNING, text))

    def not_applicable(self, d: Decision, detail: str) -> None:
        """Report a decision whose verb is known but cannot apply, saying why."""
        self.problem(d, "decisione_non_applicabile", detail=detail)

    def apply(self, d: Decision) -> None:
        """Fold one decision into the plan: by verb, on a response row or on an organisation."""
        verb = _VERBS.get(fold(d.verb))
        if verb is None:
            self.problem(d, "decisione_sconosciuta", value=d.verb, verbs=", ".join(labels.VERBS))
            return
        if not d.target:
            self.problem(d, "decisione_senza_destinatario")
            return
        on_row = target_row(d.target) is not None or target_code(d.target) is not None
        entity = target_id(d.target)
        if entity is not None and entity not in self.ids:
            self.not_applicable(d, labels.say("decisione_ente_inesistente", entity=entity))
        elif not on_row and entity is None:
            self.not_applicable(d, labels.DECISION_TARGET_UNKNOWN.format(target=d.target))
        elif verb is Verb.CORRECT and not on_row and entity is not None:
            _correct_entity(d, entity, self.plan, self.problem)
        elif verb in ROW_VERBS and not on_row:
            self.not_applicable(d, labels.say("decisione_solo_riga", verb=verb))
        elif verb in ROW_VERBS:
            self.on_row(d, verb)
        elif verb in ENTITY_STATUS_VERBS:
            if entity is None:
                self.not_applicable(d, labels.say("decisione_solo_ente", verb=verb))
            else:
                self.plan.status[entity] = (verb, d.reason)
                self.plan.entity_refs[entity] = d.sheet_row
        elif verb is Verb.SEPARATE and on_row:
            row = _locate(d, verb, self.rows, self.plan, self.problem)
            if row is not None:
                self.plan.detach.add(row)
                self.plan.row_refs[row] = d.sheet_row
        else:  # Unisci / Separa between two IDs
            _pair(d, verb, entity, self.ids, self.plan, self.problem)

    def on_row(self, d: Decision, verb: Verb) -> None:
        """`Correggi`, `Accetta` or `Scarta` on one response row (or response code)."""
        if verb is Verb.CORRECT:
            parsed = _correction(d, self.problem)
            if parsed is None:
                return
            key, value = parsed
            row = _locate(d, verb, self.rows, self.plan, self.problem)
            if row is not None:
                self.plan.corrections.setdefault(row, {})[key] = value
            return
        row = _locate(d, verb, self.rows, self.plan, self.problem)
        if row is not None:
            self.plan.row_verdicts[row] = verb
            self.plan.row_refs[row] = d.sheet_row


def _correction(d: Decision, problem: Callable[..., None]) -> tuple[str, str] | None:
    """`campo=valore` of a `Correggi` → (response field, value), or None (reported)."""
    fld, eq, value = d.value.partition("=")
    key = labels.CORRECTABLE_FIELDS.get(fold(fld))
    if eq and key is not None:
        return key, value.strip()
    known = ", ".join(sorted({k.capitalize() for k in labels.CORRECTABLE_FIELDS}))
    if not eq:
        detail = labels.DECISION_CORRECTION_FORMAT.format(fields=known)
    else:
        detail = labels.DECISION_FIELD_UNKNOWN.format(field=fld.strip(), fields=known)
    problem(d, "decisione_non_applicabile", detail=detail)
    return None


def _correct_entity(d: Decision, entity: str, p: Plan, problem: Callable[..., None]) -> None:
    """`E-0002 | Correggi | Denominazione=…`: the organisation's current data, until it answers again."""
    parsed = _correction(d, problem)
    if parsed is None:
        return
    key, value = parsed
    nth = 1 + sum(1 for c in p.entity_corrections if (c.entity, c.field, c.value) == (entity, key, value))
    p.entity_corrections.append(
        EntityCorrection(entity, key, value, correction_key(entity, key, value, nth), d.sheet_row)
    )


def _pair(
    d: Decision, verb: Verb, entity: str | None, ids: set[str], p: Plan, problem: Callable[..., None]
) -> None:
    """`Unisci` / `Separa` between two IDs."""
    other = target_id(d.value)
    if entity is None or other is None:
        problem(
            d,
            "decisione_non_applicabile",
            detail=labels.say("decisione_due_enti", verb=verb),
        )
        return
    if other not in ids:
        problem(d, "decisione_non_applicabile", detail=labels.say("decisione_ente_inesistente", entity=other))
        return
    if other == entity:
        detail = labels.say("decisione_stesso_id", verb=verb, entity=entity)
        problem(d, "decisione_non_applicabile", detail=detail)
        return
    a, b = sorted((entity, other), key=id_number)
    p.pairs[(a, b)] = verb


def apply_corrections(response: Response, fields: dict[str, str]) -> Response:
    """The response as staff corrected it (the raw sheet is never edited)."""
    return replace(response, **fields)  # type: ignore[arg-type]
