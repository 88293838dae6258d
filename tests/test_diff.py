"""`sync.diff` on small grids: exactly the writes that turn the current cells into the wanted ones.

Only cells that differ are written, only in the machine's cells (a `None` is staff's, columns at or beyond
`owned_width` are staff's), runs of a row are merged, rows of the same columns are stacked, rows beyond the
wanted ones are cleared; an ID's row is found by its ID wherever staff moved it.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sync.backends.base import RangeWrite, RowDelete, RowInsert, apply_writes
from sync.backends.memory import trim
from sync.diff import (
    WantedTab,
    cell_bytes,
    count_cells,
    diff_moving_rows,
    diff_tab,
    full_rewrite,
    owned_width,
    rows_in_place,
)

T = "Elenco"


def _w(row: int, col: int, *rows: tuple[str, ...]) -> RangeWrite:
    return RangeWrite(T, row, col, tuple(rows))


# -- diff_tab -------------------------------------------------------------------------------------------------


def test_the_same_cells_write_nothing() -> None:
    grid = [["ID", "Nome"], ["E-0001", "Il Volo"]]
    assert diff_tab(grid, WantedTab(T, [list(r) for r in grid], 2)) == []


def test_one_changed_cell_is_one_single_cell_write() -> None:
    current = [["ID", "Nome", "Comune"], ["E-0001", "Il Volo", "Crema"]]
    wanted = [["ID", "Nome", "Comune"], ["E-0001", "Il Volo APS", "Crema"]]
    assert diff_tab(current, WantedTab(T, list(wanted), 3)) == [_w(1, 1, ("Il Volo APS",))]


def test_adjacent_changes_are_one_run_and_a_gap_splits_them() -> None:
    current = [["a", "b", "c", "d", "e"]]
    assert diff_tab(current, WantedTab(T, [["A", "B", "c", "D", "e"]], 5)) == [
        _w(0, 0, ("A", "B")),
        _w(0, 3, ("D",)),
    ]


def test_rows_changed_in_the_same_columns_are_stacked_into_one_rectangle() -> None:
    current = [["ID", "Stato"], ["E-0001", "iscritto"], ["E-0002", "iscritto"], ["E-0003", "iscritto"]]
    wanted = [["ID", "Stato"], ["E-0001", "sospeso"], ["E-0002", "escluso"], ["E-0003", "iscritto"]]
    assert diff_tab(current, WantedTab(T, [list(r) for r in wanted], 2)) == [
        _w(1, 1, ("sospeso",), ("escluso",))
    ]


def test_rows_of_different_columns_are_not_stacked() -> None:
    current = [["a", "b"], ["c", "d"]]
    assert diff_tab(current, WantedTab(T, [["x", "b"], ["c", "y"]], 2)) == [
        _w(0, 0, ("x",)),
        _w(1, 1, ("y",)),
    ]


def test_a_staff_cell_is_never_written_even_if_it_differs() -> None:
    current = [["ID", "Note"], ["E-0001", "telefonare"]]
    wanted: list[list[str | None]] = [["ID", "Note"], ["E-0001", None]]
    assert diff_tab(current, WantedTab(T, wanted, 2)) == []
    # a whole staff row (None) keeps what staff typed, and a run stops at a staff cell
    assert diff_tab([["a", "b", "c"]], WantedTab(T, [["x", None, "y"]], 3)) == [
        _w(0, 0, ("x",)),
        _w(0, 2, ("y",)),
    ]


def test_columns_at_or_beyond_the_owned_width_are_staff_s() -> None:
    current = [["ID", "Nome", "Note ufficio"], ["E-0001", "Il Volo", "telefonare"]]
    wanted = [["ID", "Nome", "Note ufficio"], ["E-0001", "Il Volo APS", "cancellato"]]
    assert diff_tab(current, WantedTab(T, [list(r) for r in wanted], 2)) == [_w(1, 1, ("Il Volo APS",))]


def test_rows_beyond_the_wanted_ones_are_cleared_in_the_machine_s_columns_only() -> None:
    current = [
        ["ID", "Nome", "Note"],
        ["E-0001", "Il Volo", ""],
        ["E-0002", "Auser", "mia nota"],
        ["", "", "x"],
    ]
    wanted = [["ID", "Nome", "Note"], ["E-0001", "Il Volo", ""]]
    assert diff_tab(current, WantedTab(T, [list(r) for r in wanted], 2)) == [_w(2, 0, ("", ""))]


def test_new_rows_are_written_below_and_a_short_current_row_is_padded() -> None:
    current = [["ID", "Nome"], ["E-0001"]]
    wanted = [["ID", "Nome"], ["E-0001", "Il Volo"], ["E-0002", "Auser"]]
    assert diff_tab(current, WantedTab(T, [list(r) for r in wanted], 2)) == [
        _w(1, 1, ("Il Volo",)),
        _w(2, 0, ("E-0002", "Auser")),
    ]


def test_an_empty_tab_gets_everything_in_one_write() -> None:
    wanted = [["ID", "Nome"], ["E-0001", "Il Volo"]]
    writes = diff_tab([], WantedTab(T, [list(r) for r in wanted], 2))
    assert writes == [_w(0, 0, ("ID", "Nome"), ("E-0001", "Il Volo"))]
    assert count_cells(writes) == 4


# -- rows_in_place --------------------------------------------------------------------------------------------

HEADER = ["ID", "Nome"]
ROWS: dict[str, list[str | None]] = {"E-0001": ["E-0001", "Il Volo"], "E-0002": ["E-0002", "Auser"]}


def test_rows_stay_where_staff_sorted_them_and_new_ids_are_appended() -> None:
    current = [["ID", "Nome", "Note"], ["E-0002", "Auser", "x"], ["E-0001", "Il Volo", "y"]]
    rows = {**ROWS, "E-0003": ["E-0003", "Girasole"]}
    assert rows_in_place(current, HEADER, rows, ["E-0001", "E-0002", "E-0003"], 2) == [
        ["ID", "Nome"],
        ["E-0002", "Auser"],
        ["E-0001", "Il Volo"],
        ["E-0003", "Girasole"],
    ]


def test_a_row_that_is_not_a_known_id_is_staff_s_and_a_repeated_id_too() -> None:
    current = [
        ["ID", "Nome"],
        ["", "riga di appunti"],
        ["E-0001", "Il Volo"],
        ["E-0001", "copia"],
        ["E-9999", "x"],
    ]
    assert rows_in_place(current, HEADER, ROWS, ["E-0001", "E-0002"], 2) == [
        ["ID", "Nome"],
        [None, None],
        ["E-0001", "Il Volo"],
        [None, None],
        [None, None],
        ["E-0002", "Auser"],
    ]


def test_an_id_typed_with_spaces_is_still_found() -> None:
    current = [["ID", "Nome"], [" E-0002 ", "Auser"]]
    assert rows_in_place(current, HEADER, ROWS, ["E-0001", "E-0002"], 2)[1] == ["E-0002", "Auser"]


def test_a_tab_of_an_earlier_layout_keeps_staff_s_columns_right_of_a_new_machine_column() -> None:
    # the earlier layout had ID, Nome; staff added "Note" at C; the new layout adds "Comune"
    current = [["ID", "Nome", "Note"], ["E-0001", "Il Volo", "telefonare"]]
    header = ["ID", "Nome", "Comune"]
    rows: dict[str, list[str | None]] = {"E-0001": ["E-0001", "Il Volo", "Crema"]}
    out = rows_in_place(current, header, rows, ["E-0001"], 3, known={"ID", "Nome", "Comune"})
    assert out == [["ID", "Nome", "Comune", "Note"], ["E-0001", "Il Volo", "Crema", "telefonare"]]
    assert owned_width(out, 3) == 4
    writes = diff_tab(current, WantedTab(T, out, owned_width(out, 3)))
    assert writes == [_w(0, 2, ("Comune", "Note"), ("Crema", "telefonare"))]


def test_a_machine_column_removed_clears_the_cell_staff_s_column_leaves() -> None:
    current = [["ID", "Vecchia", "Nome", "Note"], ["E-0001", "v", "Il Volo", "telefonare"]]
    out = rows_in_place(
        current, HEADER, {"E-0001": ["E-0001", "Il Volo"]}, ["E-0001"], 2, known={"ID", "Nome", "Vecchia"}
    )
    assert out == [["ID", "Nome", "Note"], ["E-0001", "Il Volo", "telefonare", ""]]
    # staff's column moves left with its header; the cells it leaves (column D) are cleared in the same write
    assert diff_tab(current, WantedTab(T, out, owned_width(out, 2))) == [
        _w(0, 1, ("Nome", "Note", ""), ("Il Volo", "telefonare", "")),
    ]


# -- full_rewrite and count_cells -----------------------------------------------------------------------------


def test_full_rewrite_pads_over_what_a_larger_previous_version_held() -> None:
    assert full_rewrite(T, [["ID", "Nome"], ["E-0001"]], old_rows=3, old_cols=3) == [
        RangeWrite(T, 0, 0, (("ID", "Nome", ""), ("E-0001", "", ""), ("", "", "")))
    ]


def test_full_rewrite_of_a_grid_no_larger_than_before() -> None:
    assert full_rewrite(T, [["a", "b"]], old_rows=0, old_cols=0) == [RangeWrite(T, 0, 0, (("a", "b"),))]
    assert full_rewrite(T, [], old_rows=0, old_cols=0) == []
    assert full_rewrite(T, [], old_rows=2, old_cols=1) == [RangeWrite(T, 0, 0, (("",), ("",)))]


def test_count_cells_counts_every_cell_of_every_write() -> None:
    writes = [_w(0, 0, ("a", "b"), ("c", "d")), _w(5, 1, ("e",))]
    assert count_cells(writes) == 5
    assert count_cells([]) == 0


# -- diff_moving_rows -----------------------------------------------------------------------------------------

SORTED = [["ID", "Nome"], ["E-0001", "Alfa"], ["E-0003", "Gamma"], ["E-0004", "Omega"]]


def _moving(current: list[list[str]], wanted: list[list[str]], width: int = 2) -> list[object] | None:
    return diff_moving_rows(current, WantedTab(T, [list[str | None](r) for r in wanted], width, movable=True))


def test_a_name_sorted_in_the_middle_is_one_row_inserted_and_its_cells() -> None:
    wanted = [*SORTED[:2], ["E-0005", "Beta"], *SORTED[2:]]
    assert _moving(SORTED, wanted) == [RowInsert(T, 2, 1), _w(2, 0, ("E-0005", "Beta"))]
    # where diff_tab rewrites every row from the new one down
    assert diff_tab(SORTED, WantedTab(T, [list[str | None](r) for r in wanted], 2)) == [
        _w(2, 0, ("E-0005", "Beta"), ("E-0003", "Gamma"), ("E-0004", "Omega"))
    ]


def test_a_row_that_goes_is_deleted_and_nothing_else_is_written() -> None:
    assert _moving(SORTED, [SORTED[0], SORTED[1], SORTED[3]]) == [RowDelete(T, 2, 1)]


def test_a_renamed_row_moves_to_where_its_name_sorts() -> None:
    wanted = [SORTED[0], SORTED[1], SORTED[3], ["E-0003", "Zeta"]]
    # the row goes; at the end it needs no room made, only its cells
    assert _moving(SORTED, wanted) == [RowDelete(T, 2, 1), _w(3, 0, ("E-0003", "Zeta"))]


def test_a_changed_cell_in_place_is_that_cell_only() -> None:
    wanted = [SORTED[0], ["E-0001", "Alfa APS"], *SORTED[2:]]
    assert _moving(SORTED, wanted) == [_w(1, 1, ("Alfa APS",))]


def test_a_longer_row_replacing_a_shorter_one_clears_nothing_it_should_keep() -> None:
    current = [["ID", "Nome", "Note"], ["E-0001", "Alfa", "x"], ["E-0002", "Beta"]]
    wanted = [["ID", "Nome", "Note"], ["E-0002", "Beta"]]
    assert _moving(current, wanted, 3) == [RowDelete(T, 1, 1)]


def test_rows_do_not_move_where_staff_have_cells_or_the_header_changed() -> None:
    wanted = [*SORTED[:2], ["E-0005", "Beta"], *SORTED[2:]]
    # a note typed right of the machine's columns would move (or go) with its row
    assert _moving([*SORTED[:3], [*SORTED[3], "nota"]], wanted) is None
    # a cell of staff's in the wanted rows
    assert diff_moving_rows(SORTED, WantedTab(T, [SORTED[0], ["E-0001", None]], 2, movable=True)) is None
    # the first row is never moved
    assert _moving([["ID", "Vecchio"], *SORTED[1:]], wanted) is None
    assert _moving([], wanted) is None


def test_cell_bytes_weighs_each_value_with_its_quotes_and_comma() -> None:
    assert cell_bytes([_w(0, 0, ("àb", "")), RowInsert(T, 1, 1)]) == (3 + 3) + (0 + 3)


_cells = st.sampled_from(["", "a", "b", "c", "àè"])
_rows = st.lists(st.lists(_cells, max_size=3), max_size=8)


@given(header=st.lists(_cells, min_size=1, max_size=3), old=_rows, new=_rows)
def test_moving_rows_gives_exactly_what_diff_tab_gives(
    header: list[str], old: list[list[str]], new: list[list[str]]
) -> None:
    current = trim([header, *old])
    wanted = WantedTab(T, [list[str | None](r) for r in [header, *new]], 3, movable=True)
    writes = diff_moving_rows(current, wanted)
    plain = diff_tab(current, wanted)
    if writes is None:
        assert not current or trim([header]) != trim([current[0]])
        return
    by_moves: dict[str, list[list[str]]] = {T: [list(r) for r in current]}
    by_cells: dict[str, list[list[str]]] = {T: [list(r) for r in current]}
    apply_writes(by_moves, writes)
    apply_writes(by_cells, plain)
    assert trim(by_moves[T]) == trim(by_cells[T]) == trim([header, *new])
