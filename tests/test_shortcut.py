"""The idle short-cut: a sync that reads what the previous one left stops after reading; anything else plans."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sync import pipeline
from sync.backends.base import RangeWrite, RowDelete, RowInsert
from sync.backends.memory import MemoryStore
from sync.backends.xlsx import XlsxStore
from sync.config import Settings, parse_settings
from sync.pipeline import run_sync
from sync.shortcut import FIGURES_KEY, INPUT_KEY, after_writes, input_digest
from sync.state import STATE_TAB
from tests.conftest import HEADER, make_row, sample_rows

T1 = datetime(2024, 5, 20, 10, 0)
T2 = datetime(2024, 5, 21, 9, 0)
T3 = datetime(2024, 5, 22, 9, 0)


class Planned:
    """Counts the plans made (the real `plan_sync` runs: nothing is replaced)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = pipeline.plan_sync

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(pipeline, "plan_sync", counting)


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> Planned:
    return Planned(monkeypatch)


def _state_line(store: MemoryStore, key: str) -> list[str]:
    return next(r for r in store.staff[STATE_TAB] if r[:2] == ["pubblico", key])


def test_a_sync_that_reads_what_the_last_one_left_does_not_plan(crema: Settings, planned: Planned) -> None:
    store = MemoryStore(responses=sample_rows())
    first = run_sync(store, crema, T1).report
    before = [{t: [list(r) for r in g] for t, g in tabs.items()} for tabs in (store.staff, store.public)]
    requests = store.requests
    second = run_sync(store, crema, T2).report
    assert planned.count == 1
    assert second.cells_written == 0 and store.requests == requests + 1  # the read
    # the report of the skipped sync carries the figures of the state it found
    same = ("responses", "accepted", "rejected", "organisations", "review_pairs", "per_area", "anomalies")
    assert {k: getattr(second, k) for k in same} == {k: getattr(first, k) for k in same}
    assert second.trigger == "manuale" and second.started_at == "2024-05-21T09:00:00"
    assert [{t: [list(r) for r in g] for t, g in tabs.items()} for tabs in (store.staff, store.public)] == before


def test_every_kind_of_change_is_planned(crema: Settings, planned: Planned) -> None:
    store = MemoryStore(responses=sample_rows())
    run_sync(store, crema, T1)
    # a staff decision
    store.staff["Decisioni"].append(["E-0002", "Sospendi", "", "verifica", "UdP", "21/05/2024"])
    assert run_sync(store, crema, T2).report.cells_written > 0
    assert planned.count == 2
    assert "E-0002" not in [r[0] for r in store.public["Elenco"]]
    run_sync(store, crema, T2)
    assert planned.count == 2
    # a new response
    store.responses.append(make_row(timestamp="06/05/2024 09.00.00", email="nuovo@ente.it", name="Nuovo Ente APS",
                                    tax_code="93049520195"))
    assert run_sync(store, crema, T3).report.cells_written > 0
    assert planned.count == 3
    # a machine-owned cell a person overwrote is repaired
    elenco = store.staff["Elenco"]
    name_col = elenco[0].index("Denominazione")
    typed_over = elenco[1][name_col]
    elenco[1][name_col] = "scritto a mano"
    run_sync(store, crema, T3)
    assert planned.count == 4 and store.staff["Elenco"][1][name_col] == typed_over


def test_another_configuration_is_planned(crema: Settings, planned: Planned) -> None:
    store = MemoryStore(responses=sample_rows())
    run_sync(store, crema, T1)
    later = crema.model_copy(update={"ambito": crema.ambito.model_copy(update={"licence": "CC0 1.0"})})
    run_sync(store, later, T2)
    assert planned.count == 2


def test_a_staff_note_is_read_every_time_until_something_changes(crema: Settings, planned: Planned) -> None:
    """A note in a staff column changes no output: nothing is written (not even the digest), so the next
    syncs plan again — slower, never wrong — until a change is written."""
    store = MemoryStore(responses=sample_rows())
    run_sync(store, crema, T1)
    elenco = store.staff["Elenco"]
    note = len(elenco[0])  # staff's own column, right of the machine's
    elenco[1] = [*elenco[1], *[""] * (note - len(elenco[1])), "telefonare a settembre"]
    assert run_sync(store, crema, T2).report.cells_written == 0
    assert run_sync(store, crema, T2).report.cells_written == 0
    assert planned.count == 3
    store.staff["Decisioni"].append(["E-0001", "Sospendi", "", "", "", ""])
    run_sync(store, crema, T3)
    run_sync(store, crema, T3)
    assert planned.count == 4
    assert store.staff["Elenco"][1][note] == "telefonare a settembre"


def test_a_damaged_record_means_a_full_plan(crema: Settings, planned: Planned) -> None:
    store = MemoryStore(responses=sample_rows())
    run_sync(store, crema, T1)
    _state_line(store, FIGURES_KEY)[2] = "{non json"
    assert run_sync(store, crema, T2).report.organisations > 0
    assert planned.count == 2
    _state_line(store, INPUT_KEY)[2] = "0" * 32
    run_sync(store, crema, T2)
    assert planned.count == 3


def test_dry_runs_always_plan(crema: Settings, planned: Planned) -> None:
    store = MemoryStore(responses=sample_rows())
    run_sync(store, crema, T1)
    result = run_sync(store, crema, T2, dry_run=True)
    assert planned.count == 2 and result.preview is not None


def test_the_short_cut_holds_on_real_workbook_files(tmp_path: Path, planned: Planned) -> None:
    lines = [";".join(f'"{c}"' for c in r) for r in sample_rows()]
    (tmp_path / "risposte.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = parse_settings({"preset": "crema", "backend": {"kind": "xlsx", "folder": str(tmp_path)}}, source="t")
    run_sync(XlsxStore(tmp_path), settings, T1)
    staff = (tmp_path / "elenco-interno.xlsx").read_bytes()
    assert run_sync(XlsxStore(tmp_path), settings, T2).report.cells_written == 0
    assert planned.count == 1
    assert (tmp_path / "elenco-interno.xlsx").read_bytes() == staff
    (tmp_path / "risposte.csv").write_text(
        "\n".join([*lines, ";".join(f'"{c}"' for c in make_row(name="Altro Ente ODV", email="a@b.it"))]) + "\n",
        encoding="utf-8",
    )
    assert run_sync(XlsxStore(tmp_path), settings, T3).report.cells_written > 0
    assert planned.count == 2


def test_after_writes_is_what_a_read_returns() -> None:
    tabs = {"T": [["a", "b"], ["c"]], "U": [["u"]]}
    writes = [RangeWrite("T", 1, 1, (("x",), ("y",))), RangeWrite("T", 0, 1, (("",),)), RangeWrite("V", 0, 0, (("v",),))]
    assert after_writes(tabs, writes) == {"T": [["a"], ["c", "x"], ["", "y"]], "U": [["u"]], "V": [["v"]]}
    assert tabs == {"T": [["a", "b"], ["c"]], "U": [["u"]]}  # the input is not changed


def test_after_writes_with_rows_moved_and_a_row_written_twice_leaves_its_input_alone() -> None:
    tabs = {"T": [["h"], ["a", "1"], ["b", "2"], ["c"]]}
    writes = [
        RowInsert("T", 1, 1),
        RangeWrite("T", 1, 0, (("n", "0"),)),
        RowDelete("T", 3, 1),
        RangeWrite("T", 2, 1, (("",),)),
        RangeWrite("T", 2, 0, (("A",),)),
    ]
    assert after_writes(tabs, writes) == {"T": [["h"], ["n", "0"], ["A"], ["c"]]}
    assert tabs == {"T": [["h"], ["a", "1"], ["b", "2"], ["c"]]}


def test_the_digest_covers_every_cell_but_its_own_lines() -> None:
    state = [["tipo", "chiave"], ["pubblico", INPUT_KEY, "abc"], ["pubblico", FIGURES_KEY, "{}"], ["cf", "1", "E-1"]]
    base = input_digest([HEADER], {STATE_TAB: state, "T": [["a"]]}, ["cfg"])
    own_changed = [state[0], ["pubblico", INPUT_KEY, "zzz"], ["pubblico", FIGURES_KEY, "{1}"], state[3]]
    assert input_digest([HEADER], {STATE_TAB: own_changed, "T": [["a"]]}, ["cfg"]) == base
    assert input_digest([HEADER], {STATE_TAB: state, "T": [["a", ""], []]}, ["cfg"]) == base  # trailing blanks
    assert input_digest([HEADER], {STATE_TAB: state, "T": [["b"]]}, ["cfg"]) != base
    assert input_digest([HEADER], {STATE_TAB: state[:3], "T": [["a"]]}, ["cfg"]) != base
    assert input_digest([HEADER, ["x"]], {STATE_TAB: state, "T": [["a"]]}, ["cfg"]) != base
    assert input_digest([HEADER], {STATE_TAB: state, "T": [["a"]]}, ["other"]) != base
    assert input_digest([HEADER], {STATE_TAB: state, "T": [["a"]], "Nota": [["n"]]}, ["cfg"]) != base
