"""`sync.public_diff`: list tabs written only where rows change (pure)."""

from __future__ import annotations

import pytest

from sync.backends.base import RangeWrite
from sync.diff import WantedTab, diff_tab
from sync.public_diff import keep_rows_in_place, plan_public

HEADER = ["ID", "Denominazione", "Comune"]


def _tab(*ids: str) -> list[list[str]]:
    return [HEADER, *([e, f"Ente {e}", "Crema"] for e in ids)]


def test_a_row_sorted_into_the_middle_moves_no_other_row() -> None:
    current = _tab("E-0001", "E-0003")
    wanted = _tab("E-0001", "E-0002", "E-0003")  # sorted: the new one in the middle
    rows = keep_rows_in_place(current, wanted)
    assert rows is not None
    assert [r[0] for r in rows] == ["ID", "E-0001", "E-0003", "E-0002"]
    assert diff_tab(current, WantedTab("T", rows, 3)) == [
        RangeWrite("T", 3, 0, (("E-0002", "Ente E-0002", "Crema"),))
    ]


def test_rows_without_distinct_ids_are_matched_by_content() -> None:
    current = [["Riga", "Codice"], ["7", "cf_mancante"], ["7", "cf_mancante"], ["9", "nessuna_area"]]
    wanted = [["Riga", "Codice"], ["5", "consenso_mancante"], ["7", "cf_mancante"], ["7", "cf_mancante"]]
    rows = keep_rows_in_place(current, wanted)
    assert rows == [
        ["Riga", "Codice"],
        ["7", "cf_mancante"],
        ["7", "cf_mancante"],
        ["5", "consenso_mancante"],
    ]


@pytest.mark.parametrize(
    "current",
    [[], [["ID", "Nome vecchio", "Comune"], ["E-0001", "x", "y"]]],
    ids=["unknown tab", "another header"],
)
def test_an_unknown_tab_or_header_is_written_as_rendered(current: list[list[str]]) -> None:
    assert keep_rows_in_place(current, _tab("E-0001")) is None


def _public(*ids: str) -> dict[str, list[list[str]]]:
    return {"Elenco": _tab(*ids), "Informazioni": [["Voce", "Valore"], ["Enti nell'elenco", str(len(ids))]]}


def _apply(book: dict[str, list[list[str]]], writes: list[RangeWrite]) -> None:
    for w in writes:
        grid = book.setdefault(w.tab, [])
        for r, values in enumerate(w.values):
            while len(grid) <= w.row + r:
                grid.append([])
            row = grid[w.row + r]
            row.extend([""] * (w.col + len(values) - len(row)))
            row[w.col : w.col + len(values)] = values


def _trim(grid: list[list[str]]) -> list[list[str]]:
    out = [r[: max((i + 1 for i, v in enumerate(r) if v), default=0)] for r in grid]
    while out and not out[-1]:
        out.pop()
    return out


def test_public_tabs_first_whole_then_only_what_changed() -> None:
    book: dict[str, list[list[str]]] = {}
    first = plan_public(_public("E-0001", "E-0003"), {}, next_id=4)
    _apply(book, first.writes)
    assert _trim(book["Elenco"]) == _tab("E-0001", "E-0003")

    # a new organisation sorted into the middle: one row written, at the end
    second = plan_public(_public("E-0001", "E-0002", "E-0003"), first.records, next_id=5, new_ids=1)
    elenco = [w for w in second.writes if w.tab == "Elenco"]
    assert [(w.row, w.values[0][0]) for w in elenco] == [(3, "E-0002")]
    assert second.changes["Elenco"].added == 1 and second.changes["Elenco"].changed == 0
    _apply(book, second.writes)
    assert _trim(book["Elenco"]) == [HEADER, *_tab("E-0001", "E-0003", "E-0002")[1:]]

    # one leaves: the last row takes its place, the last row is cleared
    third = plan_public(_public("E-0002", "E-0003"), second.records, next_id=5)
    _apply(book, third.writes)
    assert _trim(book["Elenco"]) == [HEADER, *_tab("E-0002", "E-0003")[1:]]
    assert third.records["riga:E-0001"] == ("", 0, 0)  # its state line stays, emptied

    # nothing new: nothing written
    assert plan_public(_public("E-0002", "E-0003"), third.records, next_id=5).writes == []


def test_a_record_that_does_not_match_rewrites_the_tab_whole() -> None:
    first = plan_public(_public("E-0001", "E-0002"), {}, next_id=3)
    again = plan_public(_public("E-0001", "E-0002"), first.records, next_id=3, whole=frozenset({"Elenco"}))
    assert [w for w in again.writes if w.tab == "Elenco"] == [w for w in first.writes if w.tab == "Elenco"]
