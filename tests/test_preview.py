"""The dry run told by organisation: per tab who is added/changed/removed, decisions in effect, the public list."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest

from sync.backends.memory import MemoryStore
from sync.config import Settings
from sync.decisions import parse_decisions
from sync.diff import WantedTab
from sync.model import Grid, Problem, Severity
from sync.pipeline import run_sync
from sync.preview import Named, build_preview, listed_before, tab_preview
from tests.conftest import sample_rows

NOW = datetime(2024, 5, 20, 10, 0)
HEADER = ["ID", "Denominazione", "Aree"]


def _tab(rows: list[list[str | None]], width: int = 3) -> WantedTab:
    return WantedTab("Elenco", [list(HEADER), *rows], width)


@pytest.mark.parametrize(
    ("current", "wanted", "expected"),
    [
        ([], [], None),
        ([["E-0001", "Alfa", "A"]], [["E-0001", "Alfa", "A"]], None),
        # re-sorted rows are not changes
        (
            [["E-0001", "Alfa", "A"], ["E-0002", "Beta", "B"]],
            [["E-0002", "Beta", "B"], ["E-0001", "Alfa", "A"]],
            None,
        ),
        (
            [["E-0001", "Alfa", "A"]],
            [["E-0001", "Alfa", "A"], ["E-0002", "Beta", "B"]],
            (["E-0002 Beta"], [], []),
        ),
        ([["E-0001", "Alfa", "A"]], [["E-0001", "Alfa", "A, B"]], ([], ["E-0001 Alfa"], [])),
        (
            [["E-0001", "Alfa", "A"], ["E-0002", "Beta", "B"]],
            [["E-0002", "Beta", "B"]],
            ([], [], ["E-0001 Alfa"]),
        ),
        # a staff cell (None) is compared as it is now; staff columns beyond the machine's are ignored
        ([["E-0001", "Alfa", "presente", "nota"]], [["E-0001", "Alfa", None]], None),
        # many cells of one organisation: one change
        ([["E-0001", "Alfa", "A"]], [["E-0001", "Alfa srl", "B"]], ([], ["E-0001 Alfa srl"], [])),
    ],
)
def test_tab_preview_counts_organisations_not_cells(
    current: Grid, wanted: list[list[str | None]], expected: tuple[list[str], list[str], list[str]] | None
) -> None:
    got = tab_preview("Elenco", [HEADER, *current] if current else [], _tab(wanted))
    if expected is None:
        assert got is None
        return
    assert got is not None
    assert (
        [n.text() for n in got.added],
        [n.text() for n in got.changed],
        [n.text() for n in got.removed],
    ) == (
        list(expected[0]),
        list(expected[1]),
        list(expected[2]),
    )


def test_rows_without_ids_are_keyed_by_row_and_tabs_without_either_are_counted_unnamed() -> None:
    header = ["Riga", "Inviata il", "Denominazione", "ID ente"]
    got = tab_preview(
        "Risposte",
        [header, ["4", "05/04/2024", "Prova", ""]],
        WantedTab("Risposte", [list(header), ["4", "05/04/2024", "Prova", ""], ["7", "", "Nuova", ""]], 4),
    )
    assert got is not None and [n.text() for n in got.added] == ["riga 7 Nuova"]
    log = tab_preview(
        "Registro", [["Data", "Esito"]], WantedTab("Registro", [["Data", "Esito"], ["ieri", "ok"]], 2)
    )
    assert log is not None and len(log.added) == 1 and log.added[0].text() == ""


def test_listed_before_reads_the_status_column() -> None:
    grid = [["ID", "Denominazione", "Stato"], ["E-0001", "Alfa", "Attivo"], ["E-0002", "Beta", "Escluso"]]
    assert listed_before(grid) == {"E-0001": "Alfa"}
    assert listed_before([]) == {}


def test_a_decision_is_shown_when_it_changes_something_and_refused_ones_are_not() -> None:
    decisions = parse_decisions(
        [
            ["ID ente o riga", "Decisione", "Valore", "Motivazione", "Operatore", "Data"],
            ["E-0001", "Escludi", "", "requisiti non posseduti", "", ""],
            ["E-0002", "Sospendi", "", "", "", ""],
            ["E-0099", "Escludi", "", "", "", ""],
        ]
    )
    refused = [Problem(4, "Decisioni", "decisione_non_applicabile", "E-0099", Severity.WARNING, "…")]
    tabs = {
        "Elenco": (
            [["ID", "Denominazione", "Stato"], ["E-0001", "Alfa", "Attivo"], ["E-0002", "Beta", "Sospeso"]],
            WantedTab(
                "Elenco",
                [
                    ["ID", "Denominazione", "Stato"],
                    ["E-0001", "Alfa", "Escluso"],
                    ["E-0002", "Beta", "Sospeso"],
                ],
                3,
            ),
        )
    }
    preview = build_preview(tabs, "Elenco", [], decisions, refused, {})
    assert preview.decisions == (
        "riga 2 di «Decisioni»: E-0001 Escludi (motivazione: requisiti non posseduti)",
    )
    assert preview.leaving == (Named("E-0001", "Alfa"),) and preview.entering == ()


def test_a_dry_run_after_a_decision_names_who_leaves_the_public_list(crema: Settings) -> None:
    store = MemoryStore(responses=sample_rows())
    run_sync(store, crema, NOW)
    store.staff["Decisioni"] = [
        ["ID ente o riga", "Decisione", "Valore", "Motivazione", "Operatore", "Data"],
        ["E-0002", "Escludi", "", "fuori ambito", "Ufficio di Piano", "20/05/2024"],
    ]
    before = (copy.deepcopy(store.staff), copy.deepcopy(store.public), len(store.writes))
    result = run_sync(store, crema, NOW, dry_run=True)
    assert (store.staff, store.public, len(store.writes)) == before  # a dry run writes nothing
    assert result.preview is not None
    lines = result.preview.lines()
    assert "  Elenco: 0 da aggiungere, 1 da modificare, 0 da togliere" in lines
    assert "    da modificare: E-0002 Auser Crema ODV" in lines
    assert "riga 2 di «Decisioni»: E-0002 Escludi (motivazione: fuori ambito)" in [x.strip() for x in lines]
    assert lines[-1] == "Escono dall'elenco pubblico: E-0002 Auser Crema ODV"
    data = result.preview.to_json()
    assert data["escono_dall_elenco_pubblico"] == ["E-0002 Auser Crema ODV"]
    assert data["entrano_nell_elenco_pubblico"] == []
    assert {
        "scheda": "Elenco",
        "aggiunte": 0,
        "modificate": 1,
        "tolte": 0,
        "enti_aggiunti": [],
        "enti_modificati": ["E-0002 Auser Crema ODV"],
        "enti_tolti": [],
    } in data["schede"]

    run_sync(store, crema, NOW)
    idle = run_sync(store, crema, NOW, dry_run=True)
    assert idle.preview is not None
    assert idle.preview.lines() == ["Nessuna modifica: i fogli sono già aggiornati."]
