"""`sync.decisions` directly: how typed verbs are read, where each verb lands in the plan, and the exact Italian
problem staff read in `Anomalie` for a decision that cannot apply; a row decision follows its response.
"""

from __future__ import annotations

import pytest

from sync.decisions import Plan, decision_key, parse_decisions, plan, target_code, target_id, target_row
from sync.labels import VERBS, Verb
from sync.model import MANUAL_BASE, Decision, Problem, Severity, response_code

HEADER = ["ID ente o riga", "Decisione", "Valore", "Motivazione", "Operatore", "Data"]
ROWS = {2: "a" * 16, 3: "b" * 16}
IDS = {"E-0001", "E-0002"}


def _plan(*rows: list[str]) -> Plan:
    return plan(parse_decisions([HEADER, *rows]), rows=ROWS, ids=IDS)


def test_the_verbs_are_the_words_of_the_dropdown_in_its_order() -> None:
    assert VERBS == (
        "Escludi",
        "Sospendi",
        "Riammetti",
        "Ritira",
        "Unisci",
        "Separa",
        "Correggi",
        "Accetta",
        "Scarta",
    )
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
        (
            ["riga 2", "Correggi", "Denominazione dell’ente=Il Volo", "", "", ""],
            "corrections",
            {2: {"name": "Il Volo"}},
        ),
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


# -- parsing, targets, each refusal's exact words ----------------------------------------------------------

FP2, FP3 = "a1b2c3d4e5f60718", "0f1e2d3c4b5a6978"  # fingerprints of the responses on rows 2 and 3
AT = {2: FP2, 3: FP3}
THREE_IDS = {"E-0001", "E-0002", "E-0003"}


def _decision(target: str, verb: str, value: str = "", reason: str = "", row: int = 2) -> Decision:
    return Decision(row, target, verb, value, reason)


def _problem(d: Decision, message: str, code: str = "decisione_non_applicabile") -> Problem:
    return Problem(
        d.sheet_row, "Decisioni", code, f"{d.target} {d.verb} {d.value}".strip(), Severity.WARNING, message
    )


# -- parse_decisions ------------------------------------------------------------------------------------------


def test_rows_are_parsed_trimmed_with_their_sheet_row_blank_rows_skipped() -> None:
    grid = [
        ["ID ente o riga", "Decisione", "Valore", "Motivazione", "Operatore", "Data"],
        [" E-0001 ", "Sospendi ", "", "documentazione incompleta", "Ufficio di Piano", "21/05/2024"],
        ["", "  ", "", "", "", ""],
        [],
        ["riga 3", "Scarta"],
        ["E-0002", "Escludi", "", "motivo", "", "", "una nota oltre la colonna F"],
    ]
    assert parse_decisions(grid) == [
        Decision(2, "E-0001", "Sospendi", "", "documentazione incompleta", "Ufficio di Piano", "21/05/2024"),
        Decision(5, "riga 3", "Scarta"),
        Decision(6, "E-0002", "Escludi", "", "motivo"),
    ]
    assert parse_decisions([]) == [] and parse_decisions(grid[:1]) == []


# -- targets --------------------------------------------------------------------------------------------------


def test_targets_as_staff_write_them() -> None:
    assert [target_row(t) for t in ("riga 17", "Riga 17", "17", "r. 17", "riga n. 17", "E-0017", "riga")] == [
        17, 17, 17, 17, 17, None, None,
    ]  # fmt: skip
    assert target_row("manuale 3") == target_row("Domande manuali riga 3") == MANUAL_BASE + 3
    assert [target_id(t) for t in ("E-0042", "e42", "E 42", "E-42000", "42", "riga 4")] == [
        "E-0042", "E-0042", "E-0042", "E-42000", None, None,
    ]  # fmt: skip
    assert target_code("r-3f9a0c12d4") == "R-3F9A0C12D4"
    assert target_code("M 3F9A0C12D4-2") == "M-3F9A0C12D4-2"
    assert target_code("R-3F9A") is None


# -- each verb ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["Escludi", "Sospendi", "Riammetti", "Ritira"])
def test_a_status_verb_on_an_organisation(verb: str) -> None:
    p = plan([_decision("E-0002", verb, reason="requisiti", row=4)], AT, THREE_IDS)
    assert p.status == {"E-0002": (verb, "requisiti")}
    assert p.entity_refs == {"E-0002": 4}
    assert p.problems == []


def test_verbs_are_read_without_case_accents_or_spaces_and_the_later_decision_wins() -> None:
    p = plan([_decision("e2", " sospendi "), _decision("E-0002", "RIAMMETTI", row=3)], AT, THREE_IDS)
    assert p.status == {"E-0002": ("Riammetti", "")}
    assert p.entity_refs == {"E-0002": 3}


@pytest.mark.parametrize("verb", ["Accetta", "Scarta"])
def test_a_verdict_on_a_response_row(verb: str) -> None:
    d = _decision("riga 3", verb, row=5)
    p = plan([d], AT, THREE_IDS)
    assert p.row_verdicts == {3: verb}
    assert p.row_refs == {3: 5}
    assert p.bindings == {decision_key(3, verb, "", 1): FP3}
    assert p.problems == []


def test_a_verdict_by_response_code() -> None:
    p = plan([_decision(response_code(FP2).lower(), "Accetta")], AT, THREE_IDS)
    assert p.row_verdicts == {2: "Accetta"}
    assert p.bindings == {}


def test_a_correction_of_a_row() -> None:
    p = plan([_decision("riga 2", "Correggi", "Denominazione = Il Volo APS ")], AT, THREE_IDS)
    assert p.corrections == {2: {"name": "Il Volo APS"}}
    assert p.problems == []


def test_a_correction_of_an_organisation() -> None:
    p = plan([_decision("E-0001", "Correggi", "Denominazione=Il Volo APS", row=7)], AT, THREE_IDS)
    [c] = p.entity_corrections
    assert (c.entity, c.field, c.value, c.sheet_row) == ("E-0001", "name", "Il Volo APS", 7)
    assert p.corrections == {}


def test_merge_and_split_of_two_organisations_sorted_by_id() -> None:
    p = plan([_decision("E-0003", "Unisci", "E-0001"), _decision("E-0002", "Separa", "e3")], AT, THREE_IDS)
    assert p.pairs == {("E-0001", "E-0003"): "Unisci", ("E-0002", "E-0003"): "Separa"}


def test_split_of_a_response_row_off_its_organisation() -> None:
    p = plan([_decision("riga 3", "Separa", row=6)], AT, THREE_IDS)
    assert p.detach == {3}
    assert p.row_refs == {3: 6}


# -- a decision that cannot apply: the exact problem ----------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "message"),
    [
        (
            _decision("E-0001", "Cancella"),
            "Decisione «Cancella» non riconosciuta. Usare: Escludi, Sospendi, Riammetti, Ritira, Unisci, "
            "Separa, Correggi, Accetta, Scarta.",
        ),
        (_decision("E-0009", "Escludi"), "Decisione non applicabile: l'ente E-0009 non esiste."),
        (
            _decision("Il Volo", "Escludi"),
            "Decisione non applicabile: «Il Volo» non è né un ID ente (es. E-0042) né una riga (es. riga 17) "
            "né un codice di risposta (es. R-3F9A0C12D4).",
        ),
        (
            _decision("E-0001", "Scarta"),
            "Decisione non applicabile: «Scarta» si applica a una riga delle risposte (es. «riga 17»), "
            "non a un ente.",
        ),
        (
            _decision("riga 2", "Sospendi"),
            "Decisione non applicabile: «Sospendi» si applica a un ente (es. E-0042), non a una riga.",
        ),
        (
            _decision("riga 9", "Accetta"),
            "Decisione non applicabile: la riga 9 non esiste tra le risposte del modulo.",
        ),
        (
            _decision("manuale 4", "Accetta"),
            "Decisione non applicabile: la riga 4 non esiste tra le domande della scheda «Domande manuali».",
        ),
        (
            _decision("R-FFFFFFFFFF", "Accetta"),
            "Decisione non applicabile: la risposta R-FFFFFFFFFF non è tra le risposte del modulo (i codici "
            "sono nella scheda «Risposte»).",
        ),
        (
            _decision("E-0001", "Unisci"),
            "Decisione non applicabile: per «Unisci» indicare due enti: l'ID nella prima colonna e l'altro ID "
            "in «Valore».",
        ),
        (_decision("E-0001", "Unisci", "E-0007"), "Decisione non applicabile: l'ente E-0007 non esiste."),
        (
            _decision("E-0001", "Separa", "E-0001"),
            "Decisione non applicabile: Separa: i due ID sono uguali (E-0001).",
        ),
    ],
    ids=lambda v: v.target + " " + v.verb if isinstance(v, Decision) else "",
)
def test_a_decision_that_cannot_apply_is_a_problem_in_italian(d: Decision, message: str) -> None:
    p = plan([d], AT, THREE_IDS)
    assert p.problems == [
        _problem(d, message, "decisione_sconosciuta" if d.verb == "Cancella" else "decisione_non_applicabile")
    ]
    assert (p.status, p.row_verdicts, p.pairs, p.detach) == ({}, {}, {}, set())


def test_a_decision_without_a_target() -> None:
    d = _decision("", "Escludi")
    assert plan([d], AT, THREE_IDS).problems == [
        _problem(
            d,
            "Decisione senza ID ente o riga: indicare ad esempio E-0042 o «riga 17».",
            "decisione_senza_destinatario",
        )
    ]


def test_a_correction_without_field_or_of_an_unknown_field() -> None:
    no_eq, unknown = (
        _decision("riga 2", "Correggi", "Il Volo APS"),
        _decision("riga 2", "Correggi", "Colore=rosso"),
    )
    p = plan([no_eq, unknown], AT, THREE_IDS)
    first, second = (x.message for x in p.problems)
    assert first.startswith(
        "Decisione non applicabile: per «Correggi» il valore deve essere campo=valore "
        "(es. Denominazione=Nuovo nome); campi: "
    )
    assert second.startswith(
        "Decisione non applicabile: «Colore» non è un campo che si può correggere; campi: "
    )
    assert "Denominazione" in first and p.corrections == {}


# -- a row decision follows its response ----------------------------------------------------------------------


def test_a_row_decision_follows_its_response_when_rows_move() -> None:
    d = _decision("riga 2", "Scarta")
    first = plan([d], AT, THREE_IDS)
    moved = {2: FP3, 3: FP2}  # a row was inserted above: the response of row 2 is on row 3 now
    again = plan([d], moved, THREE_IDS, first.bindings)
    assert again.row_verdicts == {3: "Scarta"}
    assert [x.message for x in again.problems] == [
        f"La risposta per cui è stata scritta la decisione ({response_code(FP2)}) ora è alla riga 3, non più "
        f"alla riga 2: la decisione continua ad applicarsi a quella risposta. Per chiarezza scrivere «riga 3» "
        f"oppure «{response_code(FP2)}» nella prima colonna."
    ]
    assert again.problems[0].code == "decisione_spostata"


def test_a_row_decision_whose_response_is_gone_applies_to_nothing() -> None:
    d = _decision("riga 2", "Accetta")
    first = plan([d], AT, THREE_IDS)
    gone = plan([d], {2: "ffffffffffffffff"}, THREE_IDS, first.bindings)
    assert gone.row_verdicts == {}
    assert [(x.code, x.message) for x in gone.problems] == [
        (
            "decisione_orfana",
            f"La risposta per cui è stata scritta la decisione ({response_code(FP2)}, allora alla riga 2) non "
            "c'è più tra le risposte del modulo: la decisione non viene applicata a nessun'altra risposta. Se la "
            "risposta è stata cancellata per errore ripristinarla, altrimenti cancellare la decisione.",
        )
    ]
