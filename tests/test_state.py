"""`sync.state`: the hidden `_stato` tab read and written back, line for line.

The typed public record reads and writes the same lines as before; a round trip gives the same grid; unknown
or broken lines are skipped; recorded lines keep their place and new facts are appended in a fixed order,
so two syncs over the same input write the same cells.
"""

from __future__ import annotations

from dataclasses import replace

from sync.state import (
    STATE_HEADER,
    PublicRecord,
    State,
    TabRecord,
    format_id,
    id_number,
    read_state,
    render_state,
)

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


GRID = [
    list(STATE_HEADER),
    ["contatore", "prossimo_id", "4", "", ""],
    ["pubblico", "tab:Elenco", "9f2c", "46", "17"],
    ["cf", "91910830198", "E-0001", "", ""],
    ["risposta", "a1b2c3d4e5f60718", "E-0001", "", ""],
    ["risposta", "0f1e2d3c4b5a6978", "E-0002", "", ""],
    ["separata", "0f1e2d3c4b5a6978", "E-0001", "", ""],
    ["decisione", "5e5e5e5e5e5e5e5e", "a1b2c3d4e5f60718", "", ""],
    ["risposta", "ffff0000ffff0000-2", "E-0003", "", ""],
]


def test_reading_the_tab_gives_every_fact() -> None:
    state = read_state(GRID)
    assert state.next_id == 4
    assert state.public == PublicRecord(tabs={"Elenco": TabRecord("9f2c", 46, 17)})
    assert state.tax_codes == {"91910830198": "E-0001"}
    assert state.responses == {
        "a1b2c3d4e5f60718": "E-0001",
        "0f1e2d3c4b5a6978": "E-0002",
        "ffff0000ffff0000-2": "E-0003",
    }
    assert state.detached == {"0f1e2d3c4b5a6978": "E-0001"}
    assert state.decisions == {"5e5e5e5e5e5e5e5e": "a1b2c3d4e5f60718"}


def test_a_round_trip_gives_the_same_lines_in_the_same_order() -> None:
    assert render_state(read_state(GRID)) == GRID
    assert render_state(read_state(render_state(read_state(GRID)))) == GRID


def test_unknown_and_broken_lines_are_skipped() -> None:
    grid = [
        list(STATE_HEADER),
        ["nota", "scritta da qualcuno", "x"],  # an unknown kind
        ["risposta", "", "E-0009"],  # no key
        ["", "a1b2", "E-0009"],  # no kind
        ["risposta", "a1b2", ""],  # no value
        ["contatore", "prossimo_id", "quaranta"],  # not a number
        ["contatore", "altro", "99"],  # another counter
        ["pubblico", "tab:Elenco", "9f2c", "tante", ""],  # sizes that are not numbers
        [],
        ["risposta", "c3d4", "E-0002"],
    ]
    state = read_state(grid)
    assert state.responses == {"c3d4": "E-0002"}
    assert state.public == PublicRecord(tabs={"Elenco": TabRecord("9f2c", 0, 0)})
    assert state.next_id == 3  # after the highest ID recorded
    assert render_state(state) == [
        list(STATE_HEADER),
        ["pubblico", "tab:Elenco", "9f2c", "0", "0"],
        ["risposta", "c3d4", "E-0002", "", ""],
        ["contatore", "prossimo_id", "3", "", ""],
    ]


def test_an_empty_tab_is_a_fresh_state() -> None:
    assert read_state([]) == State()
    assert read_state([list(STATE_HEADER)]) == State()
    assert render_state(State()) == [list(STATE_HEADER), ["contatore", "prossimo_id", "1", "", ""]]


def test_the_counter_never_hands_out_a_recorded_id_even_if_its_line_was_lost() -> None:
    grid = [list(STATE_HEADER), ["contatore", "prossimo_id", "2"], ["cf", "91910830198", "E-0041"]]
    assert read_state(grid).next_id == 42
    higher = [list(STATE_HEADER), ["contatore", "prossimo_id", "50"], ["risposta", "a1", "E-0041"]]
    assert read_state(higher).next_id == 50


def test_new_facts_are_appended_after_recorded_ones_by_kind_then_key() -> None:
    state = read_state(GRID)
    state.responses["00aa"] = "E-0004"
    state.tax_codes["00000000000"] = "E-0004"
    state.public = replace(state.public, tabs={**state.public.tabs, "Fragilità": TabRecord("77aa", 20, 17)})
    state.decisions["0000"] = "00aa"
    state.detached["00bb"] = "E-0002"
    state.next_id = 5
    assert render_state(state) == [
        list(STATE_HEADER),
        ["contatore", "prossimo_id", "5", "", ""],
        *GRID[2:],
        ["pubblico", "tab:Fragilità", "77aa", "20", "17"],
        ["cf", "00000000000", "E-0004", "", ""],
        ["separata", "00bb", "E-0002", "", ""],
        ["decisione", "0000", "00aa", "", ""],
        ["risposta", "00aa", "E-0004", "", ""],
    ]


def test_a_fact_forgotten_drops_its_line_and_the_others_keep_their_order() -> None:
    state = read_state(GRID)
    del state.responses["0f1e2d3c4b5a6978"]
    out = render_state(state)
    assert out == [row for row in GRID if row[:2] != ["risposta", "0f1e2d3c4b5a6978"]]


def test_a_changed_value_stays_on_its_line() -> None:
    state = read_state(GRID)
    state.public = replace(state.public, tabs={"Elenco": TabRecord("aaaa", 47, 17)})
    out = render_state(state)
    assert out[2] == ["pubblico", "tab:Elenco", "aaaa", "47", "17"]
    assert out[3:] == GRID[3:]


def test_ids_are_formatted_and_read_back() -> None:
    assert format_id(42) == "E-0042"
    assert format_id(12345) == "E-12345"
    assert [id_number(t) for t in ("E-0042", " e-0007 ", "E-12345", "E-", "42", "X-0001", "")] == [
        42,
        7,
        12345,
        0,
        0,
        0,
        0,
    ]
