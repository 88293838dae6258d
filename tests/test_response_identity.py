"""Responses have an identity: a `riga N` decision stays with the response it was written for.

The property: whatever rows staff delete, insert or reorder in the form's response sheet, every decision
applies to the response it was written for when it is still there, and to no other response ever.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.config import load_settings
from sync.decisions import decision_key, parse_decisions, plan, target_code
from sync.model import Decision, response_code
from sync.parse import parse_rows
from sync.resolve import resolve
from sync.state import read_state, render_state
from tests.conftest import HEADER, make_row

HEAD = ["ID ente o riga", "Decisione", "Valore", "Motivazione", "Operatore", "Data"]


def _fp(n: int) -> str:
    return f"{n:016x}"


# One operation on the response sheet: ("del", i) removes the i-th row (modulo), ("ins", i) inserts a new
# response there, ("perm", seed) reorders every row.
_op = st.one_of(
    st.tuples(st.just("del"), st.integers(0, 40)),
    st.tuples(st.just("ins"), st.integers(0, 40)),
    st.tuples(st.just("perm"), st.integers(0, 10_000)),
)


def _apply(sheet: list[str], op: tuple[str, int], fresh: int) -> list[str]:
    kind, n = op
    if kind == "del" and sheet:
        return sheet[: n % len(sheet)] + sheet[n % len(sheet) + 1 :]
    if kind == "ins":
        at = n % (len(sheet) + 1)
        return [*sheet[:at], _fp(fresh), *sheet[at:]]
    if kind == "perm":
        import random

        out = list(sheet)
        random.Random(n).shuffle(out)
        return out
    return sheet


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(1, 25),
    chosen=st.lists(st.integers(0, 24), min_size=1, max_size=12, unique=True),
    steps=st.lists(st.lists(_op, max_size=6), min_size=1, max_size=4),
)
def test_decisions_stay_with_their_response_under_any_row_edits(
    size: int, chosen: list[int], steps: list[list[tuple[str, int]]]
) -> None:
    sheet = [_fp(i) for i in range(size)]  # the fingerprint at each sheet row (row = index + 2)
    targets = [c for c in chosen if c < size]
    # one decision per chosen response, citing the row it had when staff wrote it; verbs alternate
    decisions: list[Decision] = []
    written_for: dict[int, str] = {}  # Decisioni row -> fingerprint
    for k, index in enumerate(targets):
        verb, value = [("Correggi", f"Denominazione=D{k}"), ("Scarta", ""), ("Accetta", ""), ("Separa", "")][
            k % 4
        ]
        decisions.append(Decision(k + 2, f"riga {index + 2}", verb, value))
        written_for[k + 2] = sheet[index]
    # the sync after staff wrote them records which response each cites (a `riga N` means the row as
    # staff saw it: edits between typing a decision and the next sync are what response codes are for)
    bindings = dict(plan(decisions, {i + 2: fp for i, fp in enumerate(sheet)}, set(), {}).bindings)
    fresh = 1_000
    for step in steps:
        for op in step:
            fresh += 1
            sheet = _apply(sheet, op, fresh)
        rows = {i + 2: fp for i, fp in enumerate(sheet)}
        row_of = {fp: row for row, fp in rows.items()}
        p = plan(decisions, rows, set(), bindings)
        bindings.update(p.bindings)
        orphans = {pr.row for pr in p.problems if pr.code == "decisione_orfana"}
        for d in decisions:
            fp = written_for[d.sheet_row]
            applied_rows = _rows_touched_by(d, p)
            if fp in row_of:
                assert applied_rows == {row_of[fp]}, (d, rows)
                assert d.sheet_row not in orphans
            else:
                assert applied_rows == set(), (d, rows)
                assert d.sheet_row in orphans


def _rows_touched_by(d: Decision, p: object) -> set[int]:
    """Where a decision took effect (each decision here is the only one with its verb and value)."""
    from sync.decisions import Plan

    assert isinstance(p, Plan)
    if d.verb == "Correggi":
        wanted = d.value.partition("=")[2]
        return {row for row, fix in p.corrections.items() if fix.get("name") == wanted}
    if d.verb == "Separa":
        return {row for row in p.detach if p.row_refs.get(row) == d.sheet_row}
    return {
        row for row, verb in p.row_verdicts.items() if verb == d.verb and p.row_refs.get(row) == d.sheet_row
    }


def test_a_deleted_row_above_keeps_a_correction_on_its_response() -> None:
    """The issue's first habit, end to end through resolve and the hidden state."""
    ambito = load_settings("crema").ambito
    test_row = make_row(timestamp="02/04/2024 09.00.00", name="TEST", tax_code="", email="prova@prova.it")
    volo = make_row()
    auser = make_row(
        timestamp="04/04/2024 10.00.00",
        email="auser@auser.it",
        name="Auser Crema ODV",
        tax_code="93378570191",
        areas="B) Fragilità (Anziani e Persone con disabilità)",
    )
    decisions = parse_decisions(
        [HEAD, ["riga 4", "Correggi", "Codice fiscale=93049520195", "refuso", "", ""]]
    )
    first = resolve(
        parse_rows([HEADER, test_row, volo, auser], ambito).responses, decisions, _empty(), ambito
    )
    assert [o.checked.tax_code for o in first.outcomes] == ["", "91910830198", "93049520195"]

    # staff delete the TEST row: Auser moves to row 3, Il Volo to row 2
    state = read_state(render_state(first.state))
    second = resolve(parse_rows([HEADER, volo, auser], ambito).responses, decisions, state, ambito)
    assert [(o.checked.row, o.checked.tax_code) for o in second.outcomes] == [
        (2, "91910830198"),
        (3, "93049520195"),
    ]
    code = second.outcomes[1].checked.response.code
    assert [(p.row, p.code, p.message) for p in second.anomalies] == [
        (
            2,
            "decisione_spostata",
            f"La risposta per cui è stata scritta la decisione ({code}) ora è alla riga 3, non più alla riga 4: "
            f"la decisione continua ad applicarsi a quella risposta. Per chiarezza scrivere «riga 3» oppure "
            f"«{code}» nella prima colonna.",
        )
    ]

    # then Auser's response is deleted too: the correction applies to nothing (not to the row now at 4)
    state = read_state(render_state(second.state))
    late = make_row(timestamp="09/04/2024 10.00.00", email="x@coop.it", name="Coop X", tax_code="04688560194")
    third = resolve(parse_rows([HEADER, volo, test_row, late], ambito).responses, decisions, state, ambito)
    assert [o.checked.tax_code for o in third.outcomes] == ["91910830198", "", "04688560194"]
    assert [(p.code, p.message) for p in third.anomalies] == [
        (
            "decisione_orfana",
            f"La risposta per cui è stata scritta la decisione ({code}, allora alla riga 4) non c'è più tra le "
            "risposte del modulo: la decisione non viene applicata a nessun'altra risposta. Se la risposta è "
            "stata cancellata per errore ripristinarla, altrimenti cancellare la decisione.",
        )
    ]


def test_a_decision_may_cite_the_response_code() -> None:
    ambito = load_settings("crema").ambito
    rows = [HEADER, make_row(), make_row(timestamp="04/04/2024 10.00.00", name="Auser Crema ODV")]
    responses = parse_rows(rows, ambito).responses
    code = responses[1].code
    assert code == response_code(responses[1].fingerprint) and len(code) == 12
    for typed in (code, code.lower(), code.replace("-", " ")):
        assert target_code(typed) == code
    decisions = parse_decisions([HEAD, [code.lower(), "Scarta", "", "", "", ""], ["R-0000000000", "Scarta"]])
    result = resolve(list(reversed(responses)), decisions, _empty(), ambito)
    assert [(o.checked.row, o.status) for o in result.outcomes] == [(3, "rejected"), (2, "accepted")]
    assert [p.message for p in result.anomalies] == [
        "Decisione non applicabile: la risposta R-0000000000 non è tra le risposte del modulo (i codici sono "
        "nella scheda «Risposte»)."
    ]


def test_a_repeated_decision_is_a_decision_of_its_own() -> None:
    """Two `riga 5 | Scarta` written at different times are bound one by one, not merged."""
    assert decision_key(5, "Scarta", "", 1) != decision_key(5, "Scarta", "", 2)
    assert decision_key(5, "Correggi", "Email=a@b.it", 1) == decision_key(5, "Correggi", " Email=A@b.it ", 1)


def _empty():  # type: ignore[no-untyped-def]
    from sync.state import State

    return State()
