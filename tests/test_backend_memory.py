"""The in-memory backend, and the contract it shares with the xlsx backend."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.backends.base import (
    Backend,
    Dropdown,
    Grid,
    RangeWrite,
    RowDelete,
    RowInsert,
    TabSpec,
    apply_writes,
)
from sync.backends.memory import MemoryStore, apply_write, trim
from sync.backends.xlsx import XlsxStore
from sync.errors import LockedError, TransientError
from sync.public_diff import row_diff

DECISIONI = TabSpec(
    title="Decisioni",
    header=("ID ente o riga", "Decisione", "Valore"),
    owner="staff",
    dropdown=Dropdown(column=1, values=("Escludi", "Unisci")),
    seed=(("E-0000", "Escludi", "esempio"),),
)
ELENCO = TabSpec(title="Elenco", header=("ID", "Denominazione"))
STATO = TabSpec(title="_stato", header=("chiave", "valore"), hidden=True)
SPECS = (ELENCO, DECISIONI, STATO)
RESPONSES: Grid = [["Informazioni cronologiche", "Denominazione dell'ente"], ["03/04/2024 11.09.13", "Ente"]]


def test_read_returns_trimmed_copies_and_counts_one_request() -> None:
    store = MemoryStore(RESPONSES, staff={"Elenco": [["ID", "", ""], [], ["E-0001"], [""], []]})
    snap = store.read(SPECS)
    assert snap.tabs == {"Elenco": [["ID"], [], ["E-0001"]]}
    assert snap.responses == RESPONSES
    assert snap.responses_origin == "Risposte del modulo 1"
    assert store.requests == 1
    snap.tabs["Elenco"][0][0] = "changed"
    snap.responses.clear()
    assert store.staff["Elenco"][0][0] == "ID" and store.responses == RESPONSES


def test_ensure_creates_missing_tabs_once() -> None:
    store = MemoryStore()
    assert store.ensure("staff", SPECS) == [
        "creata la scheda «Elenco»",
        "creata la scheda «Decisioni»",
        "creata la scheda «_stato»",
    ]
    assert list(store.staff) == ["Elenco", "Decisioni", "_stato"]
    assert store.staff["Decisioni"] == [list(DECISIONI.header), ["E-0000", "Escludi", "esempio"]]
    assert store.hidden["staff"] == {"_stato"}
    assert store.dropdowns[("staff", "Decisioni")] == DECISIONI.dropdown
    assert store.requests == 1
    assert store.ensure("staff", SPECS) == []
    assert store.requests == 1  # nothing to do, no request
    assert store.read(SPECS).hidden == {"_stato"}


def test_ensure_never_rewrites_an_existing_tab_but_fills_an_empty_header() -> None:
    store = MemoryStore(
        staff={"Decisioni": [["ID"], ["E-0042", "Sospendi"]], "Elenco": [[], ["x"]], "_stato": []}
    )
    assert store.ensure("staff", SPECS) == [
        "scritta l'intestazione della scheda «Elenco»",
        "scritta l'intestazione della scheda «_stato»",
    ]
    assert store.staff["Decisioni"] == [["ID"], ["E-0042", "Sospendi"]]
    assert store.staff["Elenco"] == [["ID", "Denominazione"], ["x"]]
    assert store.staff["_stato"] == [["chiave", "valore"]]


def test_ensure_dry_run_changes_nothing() -> None:
    store = MemoryStore()
    assert store.ensure("public", [ELENCO], dry_run=True) == ["creata la scheda «Elenco»"]
    assert store.public == {} and store.requests == 0


def test_write_grows_the_grid_clears_cells_and_records_the_write() -> None:
    store = MemoryStore(staff={"Elenco": [["ID", "Denominazione"]]})
    first = RangeWrite("Elenco", 2, 1, (("a", "b"), ("c",)))
    assert store.write("staff", [first], SPECS) == 3
    assert store.staff["Elenco"] == [["ID", "Denominazione"], [], ["", "a", "b"], ["", "c"]]
    second = RangeWrite("Elenco", 2, 2, (("", ""),))
    assert store.write("staff", [second], SPECS) == 2
    assert store.read(SPECS).tabs["Elenco"] == [["ID", "Denominazione"], [], ["", "a"], ["", "c"]]
    assert store.writes == [("staff", first), ("staff", second)]
    assert store.requests == 3  # two writes and a read


def test_write_to_a_new_tab_and_to_the_public_workbook() -> None:
    store = MemoryStore()
    store.write("public", [RangeWrite("Elenco", 0, 0, (("Denominazione",), ("Ente",)))], [ELENCO])
    assert store.public == {"Elenco": [["Denominazione"], ["Ente"]]}
    assert store.staff == {}


def test_nothing_to_write_is_no_request() -> None:
    store = MemoryStore()
    assert store.write("staff", [], SPECS) == 0
    assert store.write("staff", [RangeWrite("Elenco", 0, 0, ())], SPECS) == 0
    assert store.requests == 0 and store.writes == []


def test_before_write_simulates_a_person_typing_during_the_sync() -> None:
    store = MemoryStore(staff={"Decisioni": [list(DECISIONI.header)], "Elenco": [["ID"]]})
    store.read(SPECS)

    def person_types() -> None:
        store.staff["Decisioni"].append(["E-0007", "Escludi"])

    store.before_write = person_types
    store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001",),))], SPECS)
    assert store.staff["Decisioni"][1] == ["E-0007", "Escludi"]
    assert store.staff["Elenco"] == [["ID"], ["E-0001"]]


def test_before_write_can_inject_a_fault_and_nothing_is_applied() -> None:
    store = MemoryStore(staff={"Elenco": [["ID"]]})

    def quota() -> None:
        raise TransientError("quota superata")

    store.before_write = quota
    with pytest.raises(TransientError):
        store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001",),))], SPECS)
    assert store.staff == {"Elenco": [["ID"]]} and store.writes == [] and store.requests == 0


def test_a_locked_workbook_is_not_written() -> None:
    store = MemoryStore(staff={"Elenco": [["ID"]]})
    store.locked.add("staff")
    with pytest.raises(LockedError) as err:
        store.check_writable(["public", "staff"])
    assert str(err.value) == (
        "Il file elenco-interno.xlsx è aperto in un altro programma (LibreOffice o Excel): chiuderlo e "
        "rilanciare la sincronizzazione. Nessun file è stato modificato."
    )
    with pytest.raises(LockedError):
        store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001",),))], SPECS)
    assert store.staff == {"Elenco": [["ID"]]}
    store.check_writable(["public"])


def test_publish_records_the_public_files() -> None:
    store = MemoryStore()
    files = {"elenco-pubblico.csv": b"id\r\n"}
    assert store.publish(files) == []
    files["elenco-pubblico.json"] = b"{}"
    assert store.published == [{"elenco-pubblico.csv": b"id\r\n"}]


def test_sync_lock_keeps_two_syncs_apart() -> None:
    store = MemoryStore()
    entered = threading.Event()
    release = threading.Event()

    def first() -> None:
        with store.sync_lock():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    entered.wait(5)
    with pytest.raises(TransientError) as err, store.sync_lock(timeout_s=0.05):
        pass
    assert str(err.value) == "Un'altra sincronizzazione è in corso: riprovare tra qualche minuto."
    release.set()
    thread.join()
    with store.sync_lock(), store.sync_lock():  # re-entrant in one thread
        pass


# -- the helpers --------------------------------------------------------------------------------------------

CELL = st.sampled_from(["", "a", "=1+1", "007"])
GRID = st.lists(st.lists(CELL, max_size=4), max_size=5)


@given(GRID, st.integers(0, 3), st.integers(0, 3), st.lists(st.lists(CELL, max_size=3), max_size=3))
def test_apply_write_sets_exactly_the_written_cells(grid: Grid, row: int, col: int, values: Grid) -> None:
    before = [list(r) for r in grid]
    apply_write(grid, RangeWrite("T", row, col, tuple(tuple(v) for v in values)))

    def cell(g: Grid, r: int, c: int) -> str:
        return g[r][c] if r < len(g) and c < len(g[r]) else ""

    for r in range(max(len(grid), len(before)) + 1):
        for c in range(8):
            written = 0 <= r - row < len(values) and 0 <= c - col < len(values[r - row])
            expected = values[r - row][c - col] if written else cell(before, r, c)
            assert cell(grid, r, c) == expected


@given(GRID)
def test_trim_is_idempotent_and_keeps_content(grid: Grid) -> None:
    trimmed = trim(grid)
    assert trim(trimmed) == trimmed
    assert not trimmed or trimmed[-1]
    assert all(not r or r[-1] for r in trimmed)
    assert [c for r in trimmed for c in r if c] == [c for r in grid for c in r if c]


# -- the same contract on both backends ---------------------------------------------------------------------


def memory_store(tmp_path: Path) -> Backend:
    return MemoryStore([list(r) for r in RESPONSES])


def xlsx_store(tmp_path: Path) -> Backend:
    (tmp_path / "risposte.csv").write_text("\n".join(",".join(r) for r in RESPONSES) + "\n", encoding="utf-8")
    return XlsxStore(tmp_path)


@pytest.mark.parametrize("make", [memory_store, xlsx_store], ids=["memory", "xlsx"])
def test_backends_agree(tmp_path: Path, make: object) -> None:
    assert callable(make)
    store: Backend = make(tmp_path)
    assert store.ensure("staff", SPECS)
    assert store.ensure("staff", SPECS) == []
    writes = [
        RangeWrite("Elenco", 1, 0, (("E-0001", "Ente"), ("E-0002", "=1+1"))),
        RangeWrite("_stato", 1, 0, (("ultimo", "2024-05-12"),)),
    ]
    assert store.write("staff", writes, SPECS) == 6
    assert store.write("staff", [RangeWrite("Elenco", 2, 1, (("",),))], SPECS) == 1
    snap = store.read(SPECS)
    assert snap.responses == RESPONSES
    assert snap.tabs == {
        "Elenco": [["ID", "Denominazione"], ["E-0001", "Ente"], ["E-0002"]],
        "Decisioni": [list(DECISIONI.header), ["E-0000", "Escludi", "esempio"]],
        "_stato": [["chiave", "valore"], ["ultimo", "2024-05-12"]],
    }
    assert snap.hidden == {"_stato"}


# -- rows inserted and deleted; the public lists' order-preserving diff ----------------------------------


def test_rows_inserted_and_deleted_move_the_rows_below() -> None:
    store = MemoryStore(public={"Elenco": [["ID", "Nome"], ["E-0001", "Alfa"], ["E-0003", "Gamma"]]})
    writes = [
        RowInsert("Elenco", 2, 1),
        RangeWrite("Elenco", 2, 0, (("E-0002", "Beta"),)),
        RowDelete("Elenco", 1, 1),
    ]
    assert store.write("public", writes, []) == 2
    assert store.public["Elenco"] == [["ID", "Nome"], ["E-0002", "Beta"], ["E-0003", "Gamma"]]
    assert store.requests == 1
    assert [w for _, w in store.writes] == writes


def test_a_row_deletion_alone_is_one_request_of_no_cells() -> None:
    store = MemoryStore(public={"Elenco": [["ID"], ["E-0001"], ["E-0002"]]})
    assert store.write("public", [RowDelete("Elenco", 1, 1)], []) == 0
    assert store.public["Elenco"] == [["ID"], ["E-0002"]]
    assert store.requests == 1


def test_row_diff_of_a_sorted_list_sends_only_the_rows_that_change() -> None:
    old: Grid = [["ID", "Nome"], *([f"E-{i:04d}", f"Ente {i:04d}"] for i in range(1, 1001))]
    new = [list(r) for r in old]
    new.insert(500, ["E-1001", "Ente 0499 bis"])  # a new name sorts in the middle
    del new[10]  # an organisation excluded
    new[700] = [new[700][0], "Ente rinominato"]  # and one whose row changed in place
    writes = row_diff("Elenco", old, new)
    assert sum(w.cells for w in writes) == 4  # the new row and the changed row, 2 cells each
    assert sorted(type(w).__name__ for w in writes) == ["RangeWrite", "RangeWrite", "RowDelete", "RowInsert"]
    grids = {"Elenco": [list(r) for r in old]}
    apply_writes(grids, writes)
    assert grids["Elenco"] == new


def test_row_diff_clears_what_a_shorter_row_no_longer_holds() -> None:
    old: Grid = [["ID", "Nome", "Note"], ["E-0001", "Alfa", "x"]]
    new: Grid = [["ID", "Nome", "Note"], ["E-0001", "Alfa"]]
    assert row_diff("Elenco", old, new) == [RangeWrite("Elenco", 1, 0, (("E-0001", "Alfa", ""),))]


_ROWS = st.lists(st.lists(st.sampled_from(["a", "b", "c", ""]), max_size=3), max_size=12)


@given(_ROWS, _ROWS)
def test_row_diff_turns_any_grid_into_any_other(old: Grid, new: Grid) -> None:
    old, new = trim(old), trim(new)
    grids = {"T": [list(r) for r in old]}
    apply_writes(grids, row_diff("T", old, new))
    assert trim(grids["T"]) == new
    # and the diff of a grid with itself is nothing to write
    assert row_diff("T", new, new) == []
