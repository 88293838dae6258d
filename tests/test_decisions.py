"""`sync.decisions` directly: how typed verbs are read, and where each verb lands in the plan."""

from __future__ import annotations

import pytest

from sync.decisions import Plan, parse_decisions, plan
from sync.labels import VERBS, Verb

HEADER = ["ID ente o riga", "Decisione", "Valore", "Motivazione", "Operatore", "Data"]
ROWS = {2: "a" * 16, 3: "b" * 16}
IDS = {"E-0001", "E-0002"}


def _plan(*rows: list[str]) -> Plan:
    return plan(parse_decisions([HEADER, *rows]), rows=ROWS, ids=IDS)


def test_the_verbs_are_the_words_of_the_dropdown_in_its_order() -> None:
    assert VERBS == ("Escludi", "Sospendi", "Riammetti", "Ritira", "Unisci", "Separa", "Correggi", "Accetta", "Scarta")
    assert [v.value for v in Verb] == list(VERBS)


@pytest.mark.parametrize("typed", ["Escludi", "escludi", "  ESCLUDI ", "Escludì"])
def test_a_verb_is_read_whatever_its_case_accents_and_spaces(typed: str) -> None:
    p = _plan(["E-0001", typed, "", "doppia", "", ""])
    assert p.problems == []
    assert p.status == {"E-0001": (Verb.EXCLUDE, "doppia")}
    assert p.status["E-0001"][0] == "Escludi"  # a StrEnum: the resolver compares it with the word


@pytest.mark.parametrize(
    ("row", "field", "expected"),
    [
        (["riga 2", "Accetta", "", "", "", ""], "row_verdicts", {2: Verb.ACCEPT}),
        (["3", "scarta", "", "", "", ""], "row_verdicts", {3: Verb.DISCARD}),
        (["riga 3", "Separa", "", "", "", ""], "detach", {3}),
        (["E-0002", "Unisci", "E-0001", "", "", ""], "pairs", {("E-0001", "E-0002"): Verb.MERGE}),
        (["E-0001", "Separa", "E-0002", "", "", ""], "pairs", {("E-0001", "E-0002"): Verb.SEPARATE}),
        (["riga 2", "Correggi", "Denominazione dell’ente=Il Volo", "", "", ""], "corrections", {2: {"name": "Il Volo"}}),
    ],
)
def test_each_verb_lands_in_its_part_of_the_plan(row: list[str], field: str, expected: object) -> None:
    p = _plan(row)
    assert p.problems == []
    assert getattr(p, field) == expected


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ["E-0001", "Cancella", "", "", "", ""],
            "Decisione «Cancella» non riconosciuta. Usare: Escludi, Sospendi, Riammetti, Ritira, Unisci, Separa, "
            "Correggi, Accetta, Scarta.",
        ),
        (
            ["E-0001", "Accetta", "", "", "", ""],
            "Decisione non applicabile: «Accetta» si applica a una riga delle risposte (es. «riga 17»), non a un ente.",
        ),
        (
            ["riga 2", "Sospendi", "", "", "", ""],
            "Decisione non applicabile: «Sospendi» si applica a un ente (es. E-0042), non a una riga.",
        ),
        (["E-0001", "Separa", "E-0007", "", "", ""], "Decisione non applicabile: l'ente E-0007 non esiste."),
    ],
)
def test_what_cannot_apply_is_told_in_anomalie(row: list[str], message: str) -> None:
    p = _plan(row)
    assert [(pr.row, pr.field, pr.message) for pr in p.problems] == [(2, "Decisioni", message)]
