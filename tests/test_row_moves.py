"""Sorted staff tabs keep the rows that stay: rows inserted and deleted instead of a rewrite from the first
change down, when that saves more than `sync.plan.MOVES_WORTH_BYTES` (issue 13).

On every backend (memory, xlsx files, the Sheets API fake) a sync that moves rows leaves exactly the cells a
sync from scratch leaves, its report counts the rows really added and changed, the next sync writes nothing;
on Google a fault between the rows moved and the cells written converges at the next sync, which diffs
against what it reads. The threshold is lowered in most tests so that a small Ambito moves rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from sync.backends.base import RangeWrite, RowDelete, RowInsert, Snapshot
from sync.backends.memory import MemoryStore, trim
from sync.backends.xlsx import XlsxStore
from sync.config import Settings
from sync.diff import cell_bytes
from sync.errors import TransientError
from sync.layouts import staff_specs
from sync.pipeline import run_sync
from sync.plan import plan_sync
from sync.public_diff import row_diff
from tests.fakes.sheets_api import SheetsFake
from tests.reliability_helpers import crema, dataset, fake_book, gsheets_store, write_responses_csv

T1, T2, T3 = datetime(2024, 5, 20, 10), datetime(2024, 5, 21, 10), datetime(2024, 5, 22, 10)
RESPONSES = "Risposte del modulo 1"
ORGS = 80


def _movable(settings: Settings) -> list[str]:
    """The staff tabs a sync may move rows in: the machine's registers rewritten whole."""
    snapshot = MemoryStore(responses=[dataset(ORGS, seed=11).header]).read(staff_specs(settings.ambito))
    plan = plan_sync(snapshot, settings, T1, fresh_staff=True)
    return [title for title, (_, want) in plan.staff.items() if want.movable]


@pytest.fixture
def moves_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows move whenever that saves a byte."""
    monkeypatch.setattr("sync.plan.MOVES_WORTH_BYTES", 0)


@pytest.fixture(scope="module")
def rows() -> tuple[list[str], list[list[str]], list[list[str]]]:
    """The form's header, the rows of the first sync, and rows arriving after it."""
    data = dataset(ORGS, seed=11)
    return data.header, data.initial, [*data.later, *data.mid]


def _from_scratch(header: list[str], rows: list[list[str]], when: datetime) -> dict[str, list[list[str]]]:
    store = MemoryStore(responses=[header, *rows])
    run_sync(store, crema(), when)
    return {title: trim(grid) for title, grid in store.staff.items()}


def test_movable_tabs_are_the_machines_registers_not_elenco_or_the_rosters() -> None:
    settings = crema()
    areas = [a.tab for a in settings.ambito.areas]
    assert _movable(settings) == [
        *areas,
        "Anomalie",
        "Possibili duplicati",
        "Risposte",
        "Istruzioni",
        "Statistiche",
    ]


# -- memory --------------------------------------------------------------------------------------------------


def test_new_responses_move_rows_and_leave_what_a_sync_from_scratch_leaves(
    moves_always: None, rows: tuple[list[str], list[list[str]], list[list[str]]]
) -> None:
    header, first, later = rows
    store = MemoryStore(responses=[header, *first])
    run_sync(store, crema(), T1)
    before = {title: trim(grid) for title, grid in store.staff.items()}
    store.responses = [header, *first, *later]
    store.writes.clear()
    result = run_sync(store, crema(), T2)

    want = _from_scratch(header, [*first, *later], T2)
    for title in _movable(crema()):
        assert trim(store.staff[title]) == want[title], title
    staff_writes = [w for book, w in store.writes if book == "staff"]
    inserted = {w.tab for w in staff_writes if isinstance(w, RowInsert)}
    assert inserted >= {a.tab for a in crema().ambito.areas}
    # each tab's report counts the rows an order-preserving diff adds, changes and removes
    for title in _movable(crema()):
        diff = row_diff(title, before.get(title, []), want[title])
        inserts = sum(w.count for w in diff if isinstance(w, RowInsert))
        deletes = sum(w.count for w in diff if isinstance(w, RowDelete))
        change = result.changes.get(title)
        if not diff:
            assert change is None, title
            continue
        assert change is not None, title
        assert (change.added - inserts, change.removed - deletes) == (0, 0), title
        written = {w.row + i for w in diff if isinstance(w, RangeWrite) for i in range(len(w.values))}
        assert change.changed <= len(written) - inserts, title

    store.writes.clear()
    idle = run_sync(store, crema(), T3)
    assert store.writes == [] and idle.report.cells_written == 0


def test_an_excluded_organisation_is_its_rows_deleted(moves_always: None) -> None:
    data = dataset(ORGS, seed=11)
    store = MemoryStore(responses=[data.header, *data.initial])
    run_sync(store, crema(), T1)
    area = crema().ambito.areas[0].tab
    middle = store.staff[area][len(store.staff[area]) // 2]
    decisions = store.staff["Decisioni"]
    decisions.append([middle[0], "Escludi", "", "requisiti non posseduti", "UdP", "21/05/2024"])
    store.writes.clear()
    result = run_sync(store, crema(), T2)
    deleted = [w for _, w in store.writes if isinstance(w, RowDelete) and w.tab == area]
    assert len(deleted) == 1 and deleted[0].count == 1
    assert middle[0] not in {r[0] for r in store.staff[area] if r}
    change = result.changes[area]
    assert (change.added, change.removed) == (0, 1)


def _plans(snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch, threshold: int) -> list[object]:
    monkeypatch.setattr("sync.plan.MOVES_WORTH_BYTES", threshold)
    return list(plan_sync(snapshot, crema(), T2).staff_writes)


def test_rows_move_only_when_that_saves_more_than_the_threshold(
    monkeypatch: pytest.MonkeyPatch, rows: tuple[list[str], list[list[str]], list[list[str]]]
) -> None:
    header, first, later = rows
    store = MemoryStore(responses=[header, *first])
    run_sync(store, crema(), T1)
    store.responses = [header, *first, *later]
    snapshot = store.read(staff_specs(crema().ambito))
    plain = plan_sync(snapshot, crema(), T2).staff_writes  # an Ambito this small: the default keeps rewrites
    assert not any(isinstance(w, RowInsert | RowDelete) for w in plain)
    moved = _plans(snapshot, monkeypatch, 0)
    saving = cell_bytes(plain) - cell_bytes(moved)  # type: ignore[arg-type]
    assert saving > 0
    assert _plans(snapshot, monkeypatch, saving) == list(plain)
    assert _plans(snapshot, monkeypatch, saving - 1) == moved
    # a local file pays no request per move: its rows move whenever that writes fewer cells
    assert list(plan_sync(snapshot, crema(), T2, free_moves=True).staff_writes) == moved


def test_rows_with_a_note_typed_beside_them_are_not_moved(
    moves_always: None, rows: tuple[list[str], list[list[str]], list[list[str]]]
) -> None:
    header, first, later = rows
    store = MemoryStore(responses=[header, *first])
    run_sync(store, crema(), T1)
    area = crema().ambito.areas[0].tab
    noted = store.staff[area][3]
    noted += [""] * (12 - len(noted)) + ["chiamare"]  # column M, right of the machine's columns
    store.responses = [header, *first, *later]
    store.writes.clear()
    run_sync(store, crema(), T2)
    assert not any(isinstance(w, RowInsert | RowDelete) and w.tab == area for _, w in store.writes)
    assert store.staff[area][3][12] == "chiamare"


# -- xlsx files ------------------------------------------------------------------------------------------------


def test_xlsx_files_move_rows_to_what_a_sync_from_scratch_leaves(
    moves_always: None, tmp_path: Path, rows: tuple[list[str], list[list[str]], list[list[str]]]
) -> None:
    header, first, later = rows
    write_responses_csv(tmp_path, header, first)
    run_sync(XlsxStore(tmp_path), crema(), T1)
    write_responses_csv(tmp_path, header, [*first, *later])
    run_sync(XlsxStore(tmp_path), crema(), T2)
    got = XlsxStore(tmp_path).read(staff_specs(crema().ambito)).tabs
    want = _from_scratch(header, [*first, *later], T2)
    for title in _movable(crema()):
        assert got[title] == want[title], title


# -- Google Sheets (the API fake) ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake() -> Iterator[SheetsFake]:
    with SheetsFake() as server:
        yield server


def _google(fake: SheetsFake, header: list[str], first: list[list[str]], tmp_path: Path) -> tuple[str, str]:
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: [header, *first]})
    public = fake.create_spreadsheet("Elenco pubblico")
    with gsheets_store(fake, staff, public, tmp_path) as store:
        run_sync(store, crema(), T1)
    return staff, public


def _append(fake: SheetsFake, staff: str, new: list[list[str]]) -> None:
    start = len(fake.values(staff, RESPONSES)) + 1
    fake.set_values(staff, RESPONSES, new, start=f"A{start}", input_option="RAW")


def _google_book(fake: SheetsFake, staff: str) -> dict[str, list[list[str]]]:
    return {title: trim(grid) for title, grid in fake_book(fake, staff).items()}


def test_google_moves_rows_in_one_batch_update_and_writes_what_a_sync_from_scratch_writes(
    moves_always: None,
    fake: SheetsFake,
    tmp_path: Path,
    rows: tuple[list[str], list[list[str]], list[list[str]]],
) -> None:
    header, first, later = rows
    staff, public = _google(fake, header, first, tmp_path)
    _append(fake, staff, later)
    fake.reset_counts()
    with gsheets_store(fake, staff, public, tmp_path) as store:
        run_sync(store, crema(), T2)
    # the staff tab ids are presumed as `ensure` gave them: no metadata fetch
    assert [r.kind for r in fake.requests] == [
        "values.batchGet",
        "values.batchUpdate",
        "spreadsheets.batchUpdate",
        "values.batchUpdate",
    ]
    got = _google_book(fake, staff)
    want = _from_scratch(header, [*first, *later], T2)
    for title in _movable(crema()):
        assert got[title] == want[title], title

    fake.reset_counts()
    with gsheets_store(fake, staff, public, tmp_path) as store:
        idle = run_sync(store, crema(), T3)
    assert [r.kind for r in fake.requests] == ["values.batchGet"] and idle.report.cells_written == 0


def test_google_a_fault_after_the_rows_moved_converges_at_the_next_sync(
    moves_always: None,
    fake: SheetsFake,
    tmp_path: Path,
    rows: tuple[list[str], list[list[str]], list[list[str]]],
) -> None:
    header, first, later = rows
    staff, public = _google(fake, header, first, tmp_path)
    _append(fake, staff, later)
    fake.reset_counts()
    # requests 1-3: read, public cells, rows moved; then every try of the staff cells fails
    fake.schedule_faults({n: 503 for n in range(4, 11)})
    with gsheets_store(fake, staff, public, tmp_path) as store, pytest.raises(TransientError):
        run_sync(store, crema(), T2)
    assert fake.count("spreadsheets.batchUpdate") == 1
    area = crema().ambito.areas[0].tab
    assert [] in _google_book(fake, staff)[area]  # rows inserted, their cells not written
    fake.clear_faults()

    with gsheets_store(fake, staff, public, tmp_path) as store:
        run_sync(store, crema(), T2)
    got = _google_book(fake, staff)
    want = _from_scratch(header, [*first, *later], T2)
    for title in _movable(crema()):
        assert got[title] == want[title], title
    fake.reset_counts()
    with gsheets_store(fake, staff, public, tmp_path) as store:
        run_sync(store, crema(), T3)
    assert [r.kind for r in fake.requests] == ["values.batchGet"]


def test_google_a_tab_id_presumed_wrong_is_refused_then_looked_up(
    moves_always: None,
    fake: SheetsFake,
    tmp_path: Path,
    rows: tuple[list[str], list[list[str]], list[list[str]]],
) -> None:
    header, first, later = rows
    # the area tabs made beforehand (by hand, by another program): their ids are not those `ensure` gives
    areas = [a.tab for a in crema().ambito.areas]
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: [header, *first], **{t: [] for t in areas}})
    public = fake.create_spreadsheet("Elenco pubblico")
    with gsheets_store(fake, staff, public, tmp_path) as store:
        run_sync(store, crema(), T1)
    _append(fake, staff, later)
    fake.reset_counts()
    with gsheets_store(fake, staff, public, tmp_path) as store:
        run_sync(store, crema(), T2)
    kinds = [r.kind for r in fake.requests]
    assert kinds[2:5] == ["spreadsheets.batchUpdate", "spreadsheets.get", "spreadsheets.batchUpdate"]
    assert [r.status for r in fake.log[2:5]] == [400, 200, 200]
    got = _google_book(fake, staff)
    want = _from_scratch(header, [*first, *later], T2)
    for title in _movable(crema()):
        assert got[title] == want[title], title
