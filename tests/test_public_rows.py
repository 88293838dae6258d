"""Public tabs diffed by row against the record in `_stato`, behind a guard (issue 13: bytes follow the change).

The public workbook is not read back: a sync diffs its rows against the `pubblicato` lines the last sync
recorded, and a `Guard` (on Google Sheets the id of a hidden tab, replaced in the same atomic batchUpdate as
the row moves) refuses the diff when the workbook is not the one recorded: after a sync whose staff write was
lost, the rows are rewritten whole instead of being inserted twice.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import sync.plan
from sync.backends.base import Grid, RangeWrite, RowDelete, RowInsert, StaleWorkbook, apply_writes
from sync.backends.gsheets import GUARD_TAB, GSheetsStore
from sync.backends.memory import MemoryStore, trim
from sync.config import Settings, load_settings
from sync.demo_data import generate, load_vocabulary
from sync.errors import TransientError
from sync.layouts import public_specs
from sync.pipeline import SyncResult, run_sync
from sync.public_diff import (
    UNLISTED,
    Published,
    keyed_diff,
    published_lines,
    recorded_order,
    row_digest,
)
from sync.state import STATE_TAB, read_state
from tests.fakes.sheets_api import SheetsFake
from tests.test_gsheets_budget import _append, _settings

RESPONSES = "Risposte del modulo 1"
T1, T2, T3, T4 = (datetime(2024, 5, d, 10) for d in (20, 21, 22, 23))
SIZE, NEW = 300, 10


# -- the pure parts ----------------------------------------------------------------------------------------


def _grid(names: list[str]) -> Grid:
    return [["ID", "Denominazione"], *([f"E-{n:04d}", n and name] for n, name in enumerate(names, 1))]


def _keys(grid: Grid) -> list[tuple[str, str]]:
    return [(r[0], row_digest(r)) for r in grid[1:]]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["Alfa", "Beta", "Gamma"], ["Alfa", "Beta", "Delta", "Gamma"]),
        (["Alfa", "Beta", "Gamma"], ["Beta"]),
        ([], ["Alfa"]),
        (["Alfa"], []),
        (["Alfa", "Beta", "Gamma", "Delta"], ["Zeta", "Beta", "Gamma", "Eta", "Theta"]),
    ],
)
def test_the_keyed_diff_turns_the_recorded_rows_into_the_new_ones(old: list[str], new: list[str]) -> None:
    before = [["ID", "Denominazione"], *([f"E-{name}", name] for name in old)]
    after = [["ID", "Denominazione"], *([f"E-{name}", name + "!"] if name == "Gamma" else [f"E-{name}", name] for name in new)]
    writes = keyed_diff("Elenco", _keys(before), _keys(after), after, 2)
    grids = {"Elenco": [list(r) for r in before]}
    apply_writes(grids, writes)
    assert trim(grids["Elenco"]) == after
    # only the rows that are new or changed are sent
    sent = sum(len(w.values) for w in writes if isinstance(w, RangeWrite))
    assert sent == len([r for r in after[1:] if r not in before[1:]])


def test_one_name_sorted_in_sends_its_row_and_moves_the_rest() -> None:
    before = [["ID", "Denominazione"], *([f"E-{n:04d}", f"Ente {n:04d}"] for n in range(1, 1001))]
    after = [*before[:501], ["E-2000", "Ente 0500 bis"], *before[501:]]
    writes = keyed_diff("Elenco", _keys(before), _keys(after), after, 2)
    assert writes == [RowInsert("Elenco", 501, 1), RangeWrite("Elenco", 501, 0, (("E-2000", "Ente 0500 bis"),))]


def test_the_recorded_order_is_rebuilt_and_refused_when_the_lines_are_broken() -> None:
    main = [["ID", "X"], ["E-0002", "a"], ["E-0001", "b"], ["E-0003", "c"]]
    lines = published_lines(main, {"E-0001": ("A", "B")})
    assert lines["E-0001"] == f"{row_digest(['E-0001', 'b'])}|E-0002|A,B"
    order = recorded_order({**lines, "E-0009": UNLISTED})
    assert order is not None
    assert [e for e, _ in order] == ["E-0002", "E-0001", "E-0003"]
    assert order[1][1] == Published(row_digest(["E-0001", "b"]), "E-0002", ("A", "B"))
    assert recorded_order({**lines, "E-0003": lines["E-0001"]}) is None  # two rows below one
    assert recorded_order({k: v for k, v in lines.items() if k != "E-0001"}) is None  # a line lost
    assert recorded_order({**lines, "E-0002": "broken"}) is None


# -- the pipeline, on the memory backend -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def crema() -> Settings:
    return load_settings("crema")


@pytest.fixture(scope="module")
def demo(crema: Settings) -> tuple[list[str], list[list[str]]]:
    data = generate(crema.ambito, math.ceil((SIZE + 2 * NEW) / 1.3) + 20, vocabulary=load_vocabulary(), seed=3)
    return data.header, data.rows[: SIZE + 2 * NEW]


@pytest.fixture
def always_diff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Row diffs from the first saving on (the default waits for 200 kB: a list of ~500 organisations)."""
    monkeypatch.setattr(sync.plan, "PUBLIC_DIFF_WORTH_BYTES", 0)


def _from_scratch(crema: Settings, header: list[str], rows: list[list[str]], now: datetime) -> dict[str, Grid]:
    store = MemoryStore(responses=[header, *rows])
    run_sync(store, crema, now)
    return {t: trim(g) for t, g in store.public.items()}


def _public(store: MemoryStore) -> dict[str, Grid]:
    return {t: trim(g) for t, g in store.public.items()}


@pytest.mark.usefixtures("always_diff")
def test_new_responses_send_only_their_public_rows_behind_a_guard(
    crema: Settings, demo: tuple[list[str], list[list[str]]]
) -> None:
    header, rows = demo
    store = MemoryStore(responses=[header, *rows[:SIZE]], guards_public=True)
    run_sync(store, crema, T1)
    assert store.marks["public"] == ""  # a first sync writes whole tabs: no record to diff against
    store.responses += rows[SIZE : SIZE + NEW]
    store.writes.clear()
    result = run_sync(store, crema, T2)
    mark = store.marks["public"]
    assert mark and read_state(trim(store.staff[STATE_TAB])).public.guard == mark
    public_writes = [w for book, w in store.writes if book == "public"]
    assert any(isinstance(w, RowInsert) for w in public_writes)
    sent = sum(len(w.values) for w in public_writes if isinstance(w, RangeWrite) and w.tab != "Informazioni")
    assert 0 < sent <= 3 * NEW  # Elenco and the areas' tabs of 10 organisations, not 300 rows
    assert _public(store) == _from_scratch(crema, header, rows[: SIZE + NEW], T2)
    assert result.changes["pubblico: Elenco"].cells < 20 * NEW
    # an idle sync after it writes nothing
    store.writes.clear()
    run_sync(store, crema, T2)
    assert store.writes == []


@pytest.mark.usefixtures("always_diff")
def test_a_lost_staff_write_makes_the_guard_refuse_the_diff_and_the_tabs_are_rewritten(
    crema: Settings, demo: tuple[list[str], list[list[str]]]
) -> None:
    header, rows = demo
    store = MemoryStore(responses=[header, *rows[:SIZE]], guards_public=True)
    run_sync(store, crema, T1)
    store.responses += rows[SIZE : SIZE + 1]
    run_sync(store, crema, T2)  # the record now describes the rows: the next write is a diff
    calls: list[int] = []

    def lose_the_staff_write() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise TransientError("la scrittura del foglio interno non è riuscita")

    store.responses += rows[SIZE + 1 : SIZE + NEW]
    store.before_write = lose_the_staff_write
    with pytest.raises(TransientError):
        run_sync(store, crema, T3)  # public rows inserted, their record lost
    store.before_write = None
    store.responses += rows[SIZE + NEW : SIZE + 2 * NEW]
    store.writes.clear()
    run_sync(store, crema, T4)
    # the diff from the stale record would have inserted the 9 rows again: the guard refused it
    public_writes = [w for book, w in store.writes if book == "public"]
    assert public_writes and all(isinstance(w, RangeWrite) and w.row == 0 for w in public_writes)
    assert _public(store) == _from_scratch(crema, header, rows[: SIZE + 2 * NEW], T4)
    ids = [r[0] for r in store.public["Elenco"][1:] if r and r[0]]
    assert len(ids) == len(set(ids))


def test_the_memory_guard_refuses_a_stale_mark_and_writes_nothing() -> None:
    from sync.backends.base import Guard

    store = MemoryStore(public={"Elenco": [["ID"], ["E-0001"]]}, guards_public=True)
    store.write("public", [RowDelete("Elenco", 1, 1)], [], guard=Guard("", "7"))
    assert store.public["Elenco"] == [["ID"]] and store.marks["public"] == "7"
    with pytest.raises(StaleWorkbook):
        store.write("public", [RowInsert("Elenco", 1, 1)], [], guard=Guard("", "8"))
    assert store.public["Elenco"] == [["ID"]] and store.marks["public"] == "7"
    store.write("public", [RangeWrite("Elenco", 1, 0, (("E-0002",),))], [], guard=Guard(None, "9"))
    assert store.marks["public"] == "9"
    with pytest.raises(ValueError, match="guards_public"):
        MemoryStore().write("public", [], [], guard=Guard("", "1"))


# -- on the Sheets API fake ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake() -> Iterator[SheetsFake]:
    with SheetsFake() as server:
        yield server


def _sync(settings: Settings, tmp_path: Path, now: datetime) -> SyncResult:
    """One sync in a new process: nothing known of the spreadsheets."""
    assert settings.backend.kind == "gsheets"
    options: dict[str, Any] = dict(sleep=lambda s: None, rng=random.Random(5), lock_dir=tmp_path)
    with GSheetsStore.from_settings(settings.backend, **options) as store:
        return run_sync(store, settings, now)


def _sent(fake: SheetsFake, spreadsheet: str) -> int:
    return sum(len(r.body or b"") for r in fake.log if spreadsheet in r.path and r.method == "POST")


def _lists(fake: SheetsFake, public: str, settings: Settings) -> dict[str, list[list[str]]]:
    return {s.title: fake.values(public, s.title) for s in public_specs(settings.ambito) if s.title != "Informazioni"}


@pytest.mark.usefixtures("always_diff")
def test_on_google_new_responses_are_four_requests_and_their_rows(
    fake: SheetsFake, demo: tuple[list[str], list[list[str]]], tmp_path: Path
) -> None:
    header, rows = demo
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: [header, *rows[:SIZE]]})
    public = fake.create_spreadsheet("Elenco pubblico")
    settings = _settings(fake, staff, public)
    _sync(settings, tmp_path, T1)
    full = _sent(fake, public)
    _append(fake, staff, rows[SIZE : SIZE + NEW])
    fake.reset_counts()
    result = _sync(settings, tmp_path, T2)
    kinds = [r.kind for r in fake.requests]
    assert kinds == ["values.batchGet", "spreadsheets.batchUpdate", "values.batchUpdate", "values.batchUpdate"]
    assert result.report.api_requests == 4
    batch = json.loads(next(r.body for r in fake.log if r.kind == "spreadsheets.batchUpdate"))
    add = batch["requests"][0]["addSheet"]["properties"]
    assert add["title"] == GUARD_TAB and add["hidden"] is True
    assert {"insertDimension"} <= {name for req in batch["requests"] for name in req}
    assert _sent(fake, public) < full / 10  # the changed rows, not the tabs
    again_staff = fake.create_spreadsheet("Modulo 2", {RESPONSES: [header, *rows[: SIZE + NEW]]})
    again_public = fake.create_spreadsheet("Elenco pubblico 2")
    _sync(_settings(fake, again_staff, again_public), tmp_path, T2)
    assert _lists(fake, public, settings) == _lists(fake, again_public, settings)
    assert GUARD_TAB in fake.sheet_titles(public)

    # the staff write of the next sync is lost (its `_stato` put back): the record is stale
    before = fake.values(staff, STATE_TAB)
    _append(fake, staff, rows[SIZE + NEW : SIZE + NEW + 5])
    _sync(settings, tmp_path, T3)
    fake.set_values(staff, STATE_TAB, [[""] * 5] * 2000, input_option="RAW")
    fake.set_values(staff, STATE_TAB, before, input_option="RAW")
    _append(fake, staff, rows[SIZE + NEW + 5 : SIZE + 2 * NEW])
    fake.reset_counts()
    _sync(settings, tmp_path, T4)
    kinds = [r.kind for r in fake.requests]
    # refused (the mark is not the recorded one), then the metadata, the mark reset, every tab whole
    assert kinds[:3] == ["values.batchGet", "spreadsheets.batchUpdate", "spreadsheets.get"]
    assert fake.log[1].status == 400
    final_staff = fake.create_spreadsheet("Modulo 3", {RESPONSES: [header, *rows[: SIZE + 2 * NEW]]})
    final_public = fake.create_spreadsheet("Elenco pubblico 3")
    _sync(_settings(fake, final_staff, final_public), tmp_path, T4)
    assert _lists(fake, public, settings) == _lists(fake, final_public, settings)
    assert fake.sheet_titles(public).count(GUARD_TAB) == 1
