"""The `_stato` tab: the typed public record reads and writes the same lines as before."""

from __future__ import annotations

from dataclasses import replace

from sync.state import PublicRecord, State, TabRecord, read_state, render_state

# a `_stato` tab as the version before the typed record wrote it (line for line)
WRITTEN_BEFORE = [
    ["tipo", "chiave", "valore", "righe", "colonne"],
    ["contatore", "prossimo_id", "3", "", ""],
    ["pubblico", "_aggiornato", "20/05/2024 10:00", "0", "0"],
    ["pubblico", "_dati", "d1", "0", "0"],
    ["pubblico", "_file", "pubblici-1", "0", "0"],
    ["pubblico", "_struttura", "s1", "0", "0"],
    ["pubblico", "_struttura_interno", "i1", "0", "0"],
    ["pubblico", "tab:Elenco", "h1", "3", "9"],
    ["pubblico", "tab:Informazioni", "h2", "4", "2"],
    ["pubblico", "_cifre", '{"responses":2}', "0", "0"],
    ["pubblico", "_ingressi", "abc", "0", "0"],
    ["pubblico", "_futuro", "x", "1", "2"],
    ["risposta", "fp1", "E-0001", "", ""],
    ["risposta", "fp2", "E-0002", "", ""],
]


def test_lines_written_before_are_read_into_named_fields() -> None:
    record = read_state(WRITTEN_BEFORE).public
    assert record == PublicRecord(
        data="d1",
        updated="20/05/2024 10:00",
        structure="s1",
        staff_layout="i1",
        files="pubblici-1",
        inputs="abc",
        figures='{"responses":2}',
        tabs={"Elenco": TabRecord("h1", 3, 9), "Informazioni": TabRecord("h2", 4, 2)},
        other={"_futuro": TabRecord("x", 1, 2)},
    )


def test_reading_and_writing_back_gives_the_same_lines() -> None:
    assert render_state(read_state(WRITTEN_BEFORE)) == WRITTEN_BEFORE


def test_a_changed_field_rewrites_only_its_line_and_a_new_tab_is_appended() -> None:
    state = read_state(WRITTEN_BEFORE)
    tabs = {**state.public.tabs, "Anziani": TabRecord("h3", 5, 7)}
    grid = render_state(replace(state, public=replace(state.public, data="d2", tabs=tabs)))
    assert grid[3] == ["pubblico", "_dati", "d2", "0", "0"]
    assert [r for i, r in enumerate(grid[:-1]) if i != 3] == [
        r for i, r in enumerate(WRITTEN_BEFORE) if i != 3
    ]
    assert grid[-1] == ["pubblico", "tab:Anziani", "h3", "5", "7"]


def test_an_empty_record_writes_no_public_line() -> None:
    assert [r[0] for r in render_state(State())] == ["tipo", "contatore"]
