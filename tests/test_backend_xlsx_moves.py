"""Rows inserted and deleted in a workbook (`RowInsert`, `RowDelete`): by the splice, which renumbers the
rows that move, and by openpyxl, the fallback. Both give what `apply_writes` gives a grid of text."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.backends import xlsx
from sync.backends.base import Grid, RangeWrite, RowDelete, RowInsert, TabSpec, Write, apply_writes
from sync.backends.xlsx import XlsxStore
from sync.backends.xlsx_splice import moved_row
from sync.cells import XLSX_FORMATS
from tests.test_sheets_xlsx_layout import libreoffice_resave

LISTA = TabSpec(title="Lista", header=("ID", "Nome", "Iscritto dal"), kinds=("text", "text", "date"))
ROWS = tuple((f"E-{i:04d}", f"Ente {i}", f"0{i}/05/2024") for i in range(1, 7))
LONG = "parola " * 20  # wider than a column may grow: wrapped, its row taller


@pytest.fixture(params=["splice", "openpyxl"])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> XlsxStore:
    (tmp_path / "risposte.csv").write_text("Informazioni cronologiche\n", encoding="utf-8")
    if request.param == "openpyxl":  # the path of a file the splice does not rewrite
        monkeypatch.setattr(XlsxStore, "_spliced", lambda *args: None)
    store = XlsxStore(tmp_path)
    store.ensure("staff", [LISTA])
    store.write("staff", [RangeWrite("Lista", 1, 0, ROWS)], [LISTA])
    if request.param == "splice":  # and it must be the splice that writes

        def not_openpyxl(path: Path) -> None:
            raise AssertionError(f"{path} written by openpyxl, not by the splice")

        monkeypatch.setattr(xlsx, "_load_for_edit", not_openpyxl)
    return store


def expected(writes: list[Write]) -> Grid:
    grids = {"Lista": [list(LISTA.header), *map(list, ROWS)]}
    apply_writes(grids, writes)
    return [row for row in grids["Lista"]]


def read(store: XlsxStore) -> Grid:
    return store.read([LISTA]).tabs["Lista"]


def test_a_row_inserted_in_the_middle_moves_the_rows_below_with_their_types(store: XlsxStore) -> None:
    writes: list[Write] = [RowInsert("Lista", 3, 1), RangeWrite("Lista", 3, 0, (("E-0007", LONG, "20/05/2024"),))]
    assert store.write("staff", writes, [LISTA]) == 3
    assert read(store) == expected(writes)
    ws = openpyxl.load_workbook(store.paths()["staff"])["Lista"]
    assert [ws.cell(r, 1).value for r in range(1, 9)] == ["ID", "E-0001", "E-0002", "E-0007", "E-0003",
                                                          "E-0004", "E-0005", "E-0006"]
    assert ws["C8"].value == datetime(2024, 5, 6) and ws["C8"].number_format == XLSX_FORMATS["date"]
    assert ws["A8"].data_type == "s" and ws["A8"].number_format == "@"
    assert ws["B4"].alignment.wrap_text and ws.row_dimensions[4].height == 4 * 12.75 + 2
    assert not ws.row_dimensions[5].height  # the moved row below keeps the default height
    assert ws.auto_filter.ref == "A1:C8"


def test_a_row_deleted_alone_is_deleted_though_no_cell_is_written(store: XlsxStore) -> None:
    assert store.write("staff", [RowDelete("Lista", 2, 1)], [LISTA]) == 0
    assert [r[0] for r in read(store)] == ["ID", "E-0001", "E-0003", "E-0004", "E-0005", "E-0006"]
    ws = openpyxl.load_workbook(store.paths()["staff"])["Lista"]
    assert ws.auto_filter.ref == "A1:C6" and ws["C6"].value == datetime(2024, 5, 6)


def test_cells_written_before_a_move_move_with_their_rows(store: XlsxStore) -> None:
    writes: list[Write] = [
        RangeWrite("Lista", 5, 1, (("scritto prima",),)),
        RangeWrite("Lista", 2, 1, (("cancellato",),)),
        RowDelete("Lista", 2, 1),
        RowInsert("Lista", 1, 2),
        RangeWrite("Lista", 1, 0, (("E-0010", "Nuovo", "01/06/2024"), ("E-0011", "Altro", ""))),
    ]
    store.write("staff", writes, [LISTA])
    assert read(store) == expected(writes)


def test_moved_row() -> None:
    moves = [RowInsert("T", 2, 3), RowDelete("T", 1, 1)]
    assert [moved_row(r, moves) for r in range(5)] == [0, None, 4, 5, 6]


def test_a_persons_formula_in_a_moving_sheet_sends_the_write_to_openpyxl(tmp_path: Path) -> None:
    (tmp_path / "risposte.csv").write_text("Informazioni cronologiche\n", encoding="utf-8")
    store = XlsxStore(tmp_path)
    store.ensure("staff", [LISTA])
    store.write("staff", [RangeWrite("Lista", 1, 0, ROWS)], [LISTA])
    wb = openpyxl.load_workbook(store.paths()["staff"])
    wb["Lista"]["E7"] = "=1+1"
    wb.save(store.paths()["staff"])
    store.write("staff", [RowInsert("Lista", 1, 1), RangeWrite("Lista", 1, 0, (("E-0000",),))], [LISTA])
    ws = openpyxl.load_workbook(store.paths()["staff"])["Lista"]
    assert ws["A2"].value == "E-0000" and ws["E8"].value == "=1+1" and ws["A8"].value == "E-0006"


def test_a_file_with_moved_rows_opens_and_saves_in_libreoffice(tmp_path: Path) -> None:
    (tmp_path / "risposte.csv").write_text("Informazioni cronologiche\n", encoding="utf-8")
    store = XlsxStore(tmp_path)
    store.ensure("staff", [LISTA])
    store.write("staff", [RangeWrite("Lista", 1, 0, ROWS)], [LISTA])
    writes: list[Write] = [RowInsert("Lista", 4, 2), RangeWrite("Lista", 4, 0, (("E-0008", LONG, "21/05/2024"),
                                                                               ("E-0009", "B", "")))]
    store.write("staff", writes, [LISTA])
    (tmp_path / "lo").mkdir()
    libreoffice_resave([store.paths()["staff"]], tmp_path / "lo")
    assert read(store) == expected(writes)


_move = st.one_of(
    st.builds(RowInsert, st.just("Lista"), st.integers(1, 9), st.integers(1, 3)),
    st.builds(RowDelete, st.just("Lista"), st.integers(1, 9), st.integers(1, 3)),
    st.builds(
        RangeWrite,
        st.just("Lista"),
        st.integers(1, 9),
        st.integers(0, 2),
        st.lists(st.tuples(st.sampled_from(["", "x", "E-0042", "02/06/2024", "=1"])), min_size=1, max_size=3).map(
            tuple
        ),
    ),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_move, min_size=1, max_size=5))
def test_any_moves_and_writes_read_back_as_apply_writes_says(store: XlsxStore, writes: list[Write]) -> None:
    before = read(store)
    store.write("staff", writes, [LISTA])
    grids = {"Lista": [list(r) for r in before]}
    apply_writes(grids, writes)
    want = [list(r) for r in grids["Lista"]]
    for row in want:
        while row and row[-1] == "":
            row.pop()
    while want and not want[-1]:
        want.pop()
    assert read(store) == want


def _shifted(rows: Grid, at: int, new: list[str]) -> dict[int, dict[int, str]]:
    """The cells a whole-tab diff writes when `new` is sorted in at `at`: every row from there down."""
    after = [*rows[:at], new, *rows[at:]]
    return {r: dict(enumerate(after[r])) for r in range(at, len(after))}


def test_rows_shifted_by_a_name_sorted_in_are_moved_not_rewritten() -> None:
    current = [list(LISTA.header), *map(list, ROWS)]
    cells = _shifted(current, 3, ["E-0007", "Nuovo", "20/05/2024"])
    found = xlsx.rows_moved(current, cells)
    assert found is not None
    written, moves = found
    assert moves == [RowInsert("", 3, 1)]
    assert written == {3: {0: "E-0007", 1: "Nuovo", 2: "20/05/2024"}}


def test_rows_are_not_moved_when_a_moved_row_holds_a_cell_beyond_the_writes() -> None:
    current = [list(LISTA.header), *map(list, ROWS)]
    current[4] = [*current[4], "", "appunto"]  # a person's note to the right: it stays where it is typed
    assert xlsx.rows_moved(current, _shifted(current[:4] + [list(r) for r in ROWS[3:]], 3, ["E-0007", "N", ""])) is None
    assert xlsx.rows_moved(current, {3: {1: "x"}}) is None  # nothing shifts: the writes as they are


def test_a_machine_list_rewritten_below_a_new_row_reads_back_the_same_with_its_types(
    store: XlsxStore, request: pytest.FixtureRequest
) -> None:
    before = read(store)
    cells = _shifted(before, 2, ["E-0000", LONG, "21/05/2024"])
    writes: list[Write] = [RangeWrite("Lista", r, 0, (tuple(row[c] for c in sorted(row)),)) for r, row in cells.items()]
    # the cells really written (the sync's register counts them): spliced, the rows below move and only the
    # new row's 3 cells are written; through openpyxl every cell asked
    spliced = request.node.callspec.params["store"] == "splice"
    assert store.write("staff", writes, [LISTA]) == (3 if spliced else 3 * 6)
    assert read(store) == expected(writes)
    ws = openpyxl.load_workbook(store.paths()["staff"])["Lista"]
    assert ws["C8"].value == datetime(2024, 5, 6) and ws["C8"].number_format == XLSX_FORMATS["date"]
    assert ws["A8"].data_type == "s" and ws["A8"].number_format == "@"
    assert ws["B3"].alignment.wrap_text and ws.row_dimensions[3].height == 4 * 12.75 + 2
    assert ws.auto_filter.ref == "A1:C8"
