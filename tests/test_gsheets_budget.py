"""The Google request budget (issue 13): 3 requests per sync in a new process, large writes split under 2 MB,
rows inserted and deleted in one batchUpdate, 429 bursts waited out, and a log that counts every cell written.

Real gspread over real HTTP against the Sheets API fake (unchanged); each "process" is a new `GSheetsStore`
with no carried cache; clock, sleep and random source injected so that no test waits for real.
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
import requests

from sync.backends.base import RangeWrite
from sync.backends.gsheets import MAX_BODY_BYTES, MSG_TRANSIENT, GSheetsStore
from sync.config import Settings, load_settings, parse_settings
from sync.demo_data import generate, load_vocabulary
from sync.errors import TransientError
from sync.labels import GSHEETS_QUOTA_GIVE_UP
from sync.layouts import public_specs
from sync.pipeline import SyncResult, run_sync
from sync.public_diff import row_diff
from sync.state import STATE_TAB
from tests.fakes.sheets_api import SheetsFake

RESPONSES = "Risposte del modulo 1"
LOG = "Registro sincronizzazioni"
T1, T2, T3 = datetime(2024, 5, 20, 10), datetime(2024, 5, 21, 10), datetime(2024, 5, 22, 10)
SIZE = 300
NEW = 10


class FakeClock:
    """A clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def fake() -> Iterator[SheetsFake]:
    with SheetsFake() as server:
        yield server


@pytest.fixture(scope="module")
def demo() -> tuple[list[str], list[list[str]]]:
    ambito = load_settings("crema").ambito
    data = generate(ambito, math.ceil((SIZE + NEW) / 1.3) + 20, vocabulary=load_vocabulary(), seed=3)
    return data.header, data.rows[: SIZE + NEW]


def _settings(fake: SheetsFake, staff: str, public: str) -> Settings:
    backend = {
        "kind": "gsheets",
        "staff_spreadsheet_id": staff,
        "public_spreadsheet_id": public,
        "endpoint": fake.base_url,
        "credentials": "none",
    }
    return parse_settings({"preset": "crema", "backend": backend}, source="test")


def _process(
    settings: Settings,
    tmp_path: Path,
    clock: FakeClock | None = None,
    session: requests.Session | None = None,
    **options: Any,
) -> GSheetsStore:
    """A store as a new process (CLI, cron, webhook) makes it: nothing known of the spreadsheets."""
    clock = clock or FakeClock()
    assert settings.backend.kind == "gsheets"
    common = dict(sleep=clock.sleep, clock=clock, rng=random.Random(5), lock_dir=tmp_path, **options)
    if session is None:
        return GSheetsStore.from_settings(settings.backend, **common)
    b = settings.backend
    return GSheetsStore(
        session, b.staff_spreadsheet_id, b.public_spreadsheet_id, endpoint=b.endpoint, **common
    )


def _sync(settings: Settings, tmp_path: Path, now: datetime, **options: Any) -> SyncResult:
    with _process(settings, tmp_path, **options) as store:
        return run_sync(store, settings, now)


def _append(fake: SheetsFake, staff: str, rows: list[list[str]]) -> None:
    start = len(fake.values(staff, RESPONSES)) + 1
    fake.set_values(staff, RESPONSES, rows, start=f"A{start}", input_option="RAW")


def _bodies(fake: SheetsFake, kind: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in fake.log if r.kind == kind and r.body]


def _rows(grid: list[list[str]]) -> list[list[str]]:
    """Header, then the rows in ID order (a list tab keeps rows where they were: its order has a history)."""
    return [grid[0], *sorted(grid[1:])]


def _spreadsheet(
    fake: SheetsFake, demo: tuple[list[str], list[list[str]]], tmp_path: Path
) -> tuple[str, str, Settings]:
    header, rows = demo
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: [header, *rows[:SIZE]]})
    public = fake.create_spreadsheet("Elenco pubblico")
    settings = _settings(fake, staff, public)
    _sync(settings, tmp_path, T1)
    return staff, public, settings


# -- requests and bytes, each sync its own process -------------------------------------------------------


def test_new_responses_in_a_new_process_are_3_requests(
    fake: SheetsFake, demo: tuple[list[str], list[list[str]]], tmp_path: Path
) -> None:
    staff, public, settings = _spreadsheet(fake, demo, tmp_path)
    _append(fake, staff, demo[1][SIZE:])
    fake.reset_counts()
    result = _sync(settings, tmp_path, T2)
    assert [r.kind for r in fake.requests] == ["values.batchGet", "values.batchUpdate", "values.batchUpdate"]
    assert result.report.api_requests == 3
    # and the public workbook holds what a sync from scratch writes, in alphabetical order
    again_staff = fake.create_spreadsheet("Modulo 2", {RESPONSES: [demo[0], *demo[1]]})
    again_public = fake.create_spreadsheet("Elenco pubblico 2")
    _sync(_settings(fake, again_staff, again_public), tmp_path, T2)
    for title in (s.title for s in public_specs(settings.ambito)):
        if title != "Informazioni":
            assert fake.values(public, title) == fake.values(again_public, title), title

    fake.reset_counts()
    idle = _sync(settings, tmp_path, T3)
    assert [r.kind for r in fake.requests] == ["values.batchGet"]
    assert idle.report.cells_written == 0


def test_a_decision_in_a_new_process_is_3_requests(
    fake: SheetsFake, demo: tuple[list[str], list[list[str]]], tmp_path: Path
) -> None:
    staff, public, settings = _spreadsheet(fake, demo, tmp_path)
    listed = fake.values(public, "Elenco")
    last = listed[-1][0]
    decisions = fake.values(staff, "Decisioni")
    fake.set_values(
        staff,
        "Decisioni",
        [[last, "Escludi", "", "requisiti non posseduti", "UdP", "21/05/2024"]],
        start=f"A{len(decisions) + 1}",
        input_option="RAW",
    )
    fake.reset_counts()
    _sync(settings, tmp_path, T2)
    assert [r.kind for r in fake.requests] == ["values.batchGet", "values.batchUpdate", "values.batchUpdate"]
    assert [r[0] for r in fake.values(public, "Elenco")] == [r[0] for r in listed[:-1]]


def test_a_public_tab_deleted_by_hand_is_found_by_the_write_and_made_again(
    fake: SheetsFake, demo: tuple[list[str], list[list[str]]], tmp_path: Path
) -> None:
    staff, public, settings = _spreadsheet(fake, demo, tmp_path)
    gc = fake.client()
    sh = gc.open_by_key(public)
    sh.del_worksheet(sh.worksheet("Elenco"))
    _append(fake, staff, demo[1][SIZE:])
    fake.reset_counts()
    _sync(settings, tmp_path, T2)
    # the write that failed, the metadata, the new tab, the write again, the staff write
    assert [r.kind for r in fake.requests] == [
        "values.batchGet",
        "values.batchUpdate",
        "spreadsheets.get",
        "spreadsheets.batchUpdate",
        "values.batchUpdate",
        "values.batchUpdate",
    ]
    assert [r.status for r in fake.log][1] == 400
    fresh_staff = fake.create_spreadsheet("Modulo 3", {RESPONSES: [demo[0], *demo[1]]})
    fresh_public = fake.create_spreadsheet("Elenco pubblico 3")
    _sync(_settings(fake, fresh_staff, fresh_public), tmp_path, T2)
    assert fake.values(public, "Elenco") == fake.values(fresh_public, "Elenco")


def test_rows_inserted_and_deleted_are_one_batch_update_before_the_cells(
    fake: SheetsFake, tmp_path: Path
) -> None:
    rows = [["ID", "Denominazione"], ["E-0001", "Alfa"], ["E-0003", "Gamma"], ["E-0004", "Delta"]]
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: [["Informazioni cronologiche"]]})
    public = fake.create_spreadsheet("Elenco pubblico", {"Elenco": rows})
    settings = _settings(fake, staff, public)
    new = [["ID", "Denominazione"], ["E-0001", "Alfa"], ["E-0002", "Beta"], ["E-0003", "Gamma"]]
    writes = row_diff("Elenco", rows, new)
    fake.reset_counts()
    with _process(settings, tmp_path) as store:
        assert store.write("public", writes, []) == 2
        # tab ids are not known in a new process: one metadata fetch, then the rows moved, then the cells
        assert [r.kind for r in fake.requests] == [
            "spreadsheets.get",
            "spreadsheets.batchUpdate",
            "values.batchUpdate",
        ]
        moved = json.loads(fake.log[1].body)["requests"]
        assert [next(iter(r)) for r in moved] == ["insertDimension", "deleteDimension"]
        assert fake.values(public, "Elenco") == new
        fake.reset_counts()
        back = row_diff("Elenco", new, rows)
        store.write("public", back, [])
        assert [r.kind for r in fake.requests] == ["spreadsheets.batchUpdate", "values.batchUpdate"]
    assert fake.values(public, "Elenco") == rows


def test_rows_moved_are_not_sent_again_after_a_dropped_connection(fake: SheetsFake, tmp_path: Path) -> None:
    """A batch that inserts rows is not idempotent: a connection dropped (perhaps applied) ends the write."""
    rows = [["ID"], ["E-0001"], ["E-0003"]]
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: [["Informazioni cronologiche"]]})
    public = fake.create_spreadsheet("Elenco pubblico", {"Elenco": rows})
    settings = _settings(fake, staff, public)
    writes = row_diff("Elenco", rows, [["ID"], ["E-0001"], ["E-0002"], ["E-0003"]])
    with _process(settings, tmp_path) as store:
        fake.reset_counts()
        fake.fail_next("spreadsheets.batchUpdate", ("drop", True))
        with pytest.raises(TransientError) as caught:
            store.write("public", writes, [])
    assert str(caught.value) == MSG_TRANSIENT.format(what="connessione interrotta", attempts="1 tentativo")
    assert fake.count("spreadsheets.batchUpdate") == 1
    assert fake.count("values.batchUpdate") == 0
    assert fake.values(public, "Elenco") == [["ID"], ["E-0001"], [], ["E-0003"]]  # applied, once


def test_a_large_write_is_split_under_2_mb_per_request(fake: SheetsFake, tmp_path: Path) -> None:
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: [["Informazioni cronologiche"]]})
    public = fake.create_spreadsheet("Elenco pubblico", {"Elenco": [["ID"]]})
    settings = _settings(fake, staff, public)
    rows = tuple((f"E-{i:05d}", "x" * 300, "y" * 300) for i in range(1, 8001))
    fake.reset_counts()
    with _process(settings, tmp_path) as store:
        written = store.write("public", [RangeWrite("Elenco", 1, 0, rows)], [])
    bodies = [r.body for r in fake.log if r.kind == "values.batchUpdate"]
    assert written == 3 * len(rows)
    assert MAX_BODY_BYTES <= 2_000_000
    assert 2 <= len(bodies) <= math.ceil(sum(len(b) for b in bodies) / MAX_BODY_BYTES) + 1
    assert all(len(b) <= 2_000_000 for b in bodies)
    assert fake.values(public, "Elenco")[1:] == [list(r) for r in rows]


# -- the first sync on new spreadsheets ------------------------------------------------------------------

FIRST_SYNC = [
    "values.batchGet",  # 400: Google names `_stato`, the first tab asked after the responses: a first sync
    "values.batchGet",  # the responses tab alone
    "spreadsheets.batchUpdate",  # every staff tab, sized to the responses, learnt from the answer
    "spreadsheets.get",  # the public spreadsheet's tabs (its default tab, to remove)
    "spreadsheets.batchUpdate",  # the public tabs
    "values.batchUpdate",  # the public lists, headers included
    "values.batchUpdate",  # the staff tabs, headers included
]


def _staff_tabs(fake: SheetsFake, sid: str) -> dict[str, list[list[str]]]:
    # the log and the state record when and how (the state: the spreadsheet's grid sizes) as well
    return {t: fake.values(sid, t) for t in fake.sheet_titles(sid) if t not in (LOG, STATE_TAB)}


def test_a_first_sync_on_new_spreadsheets_is_7_requests_and_needs_no_grid_change(
    fake: SheetsFake, tmp_path: Path
) -> None:
    ambito = load_settings("crema").ambito
    data = generate(ambito, 900, vocabulary=load_vocabulary(), seed=11)
    assert len(data.rows) > 1000  # more responses than a new tab's 1,000 rows
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: [data.header, *data.rows]}, rows=1200)
    public = fake.create_spreadsheet("Elenco pubblico")
    settings = _settings(fake, staff, public)
    fake.reset_counts()
    result = _sync(settings, tmp_path, T1)
    # then the staff cells, split under 2 MB per request; no grid change anywhere
    kinds = [r.kind for r in fake.requests]
    assert kinds[:6] == FIRST_SYNC[:6] and set(kinds[6:]) == {"values.batchUpdate"}
    assert [r.status for r in fake.log] == [400, *[200] * (len(kinds) - 1)]
    assert result.report.api_requests == len(kinds) == 8  # the staff cells here are 2 parts
    assert all(len(r.body) <= 2_000_000 for r in fake.log)
    elenco = fake.values(staff, "Elenco")
    assert len(elenco) == 1 + result.report.organisations > 800
    assert len(fake.values(staff, STATE_TAB)) > 1000
    assert fake.sheet_titles(public)[0] == "Elenco" and "Sheet1" not in fake.sheet_titles(public)
    assert fake.values(public, "Elenco")[0][0] == "ID"
    # the same workbooks as the older path made, which looked at the metadata first: `init`, then a sync
    staff2 = fake.create_spreadsheet("Modulo 2", {RESPONSES: [data.header, *data.rows]}, rows=1200)
    public2 = fake.create_spreadsheet("Elenco pubblico 2")
    settings2 = _settings(fake, staff2, public2)
    with _process(settings2, tmp_path) as store:
        store.ensure("staff", [])  # metadata fetched: the read after it is not presumed
    _sync(settings2, tmp_path, T1)
    assert _staff_tabs(fake, staff) == _staff_tabs(fake, staff2)
    assert {t: fake.values(public, t) for t in fake.sheet_titles(public)} == {
        t: fake.values(public2, t) for t in fake.sheet_titles(public2)
    }


def test_a_state_deleted_by_hand_is_not_taken_for_a_first_sync(
    fake: SheetsFake, demo: tuple[list[str], list[list[str]]], tmp_path: Path
) -> None:
    """The blind batch of a presumed first sync is refused whole when a tab exists: the tabs are then read,
    so nothing staff typed is lost, and nothing is created twice."""
    staff, public, settings = _spreadsheet(fake, demo, tmp_path)
    listed = fake.values(public, "Elenco")
    excluded = listed[3][0]
    fake.set_values(
        staff,
        "Decisioni",
        [[excluded, "Escludi", "", "requisiti non posseduti", "UdP", "21/05/2024"]],
        start=f"A{len(fake.values(staff, 'Decisioni')) + 1}",
        input_option="RAW",
    )
    decisions = fake.values(staff, "Decisioni")
    elenco = [r[:2] for r in fake.values(staff, "Elenco")]
    gc = fake.client()
    sh = gc.open_by_key(staff)
    sh.del_worksheet(sh.worksheet(STATE_TAB))
    titles = fake.sheet_titles(staff)
    fake.reset_counts()
    _sync(settings, tmp_path, T2)
    assert [r.kind for r in fake.requests][:6] == [
        "values.batchGet",
        "values.batchGet",
        "spreadsheets.batchUpdate",  # refused: «Elenco» already exists
        "spreadsheets.get",
        "values.batchGet",  # the staff tabs that exist
        "spreadsheets.batchUpdate",  # the state tab alone
    ]
    assert [r.status for r in fake.log][:3] == [400, 200, 400]
    assert sorted(fake.sheet_titles(staff)) == sorted([*titles, STATE_TAB])
    # what staff typed is kept, and the organisations keep the IDs `Elenco` shows
    assert fake.values(staff, "Decisioni") == decisions
    assert [r[:2] for r in fake.values(staff, "Elenco")] == elenco


def test_a_dry_run_on_new_spreadsheets_writes_nothing_and_says_what_it_would_make(
    fake: SheetsFake, demo: tuple[list[str], list[list[str]]], tmp_path: Path
) -> None:
    header, rows = demo
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: [header, *rows[:SIZE]]})
    public = fake.create_spreadsheet("Elenco pubblico")
    settings = _settings(fake, staff, public)
    fake.reset_counts()
    with _process(settings, tmp_path) as store:
        result = run_sync(store, settings, T1, dry_run=True)
    assert [r.kind for r in fake.requests] == ["values.batchGet", "values.batchGet", "spreadsheets.get"]
    assert fake.sheet_titles(staff) == [RESPONSES]
    assert "creata la scheda «Elenco»" in result.created
    assert result.report.organisations > 200


def test_a_first_staff_batch_applied_but_unanswered_converges(
    fake: SheetsFake, demo: tuple[list[str], list[list[str]]], tmp_path: Path
) -> None:
    """The blind batch timed out after Google applied it: the tabs exist, empty; the sync looks, reads them,
    writes their headers, and ends as a sync without the fault does."""
    header, rows = demo
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: [header, *rows[:SIZE]]})
    public = fake.create_spreadsheet("Elenco pubblico")
    settings = _settings(fake, staff, public)
    fake.reset_counts()
    fake.schedule_faults({3: ("503", True)})
    try:
        _sync(settings, tmp_path, T1)
    finally:
        fake.clear_faults()
    assert [r.kind for r in fake.requests][:5] == [
        "values.batchGet",
        "values.batchGet",
        "spreadsheets.batchUpdate",  # applied, answered 503
        "spreadsheets.get",
        "values.batchGet",  # the tabs it made, empty
    ]
    reference_staff = fake.create_spreadsheet("Modulo 2", {RESPONSES: [header, *rows[:SIZE]]})
    reference_public = fake.create_spreadsheet("Elenco pubblico 2")
    _sync(_settings(fake, reference_staff, reference_public), tmp_path, T1)
    assert _staff_tabs(fake, staff) == _staff_tabs(fake, reference_staff)
    assert fake.values(public, "Elenco") == fake.values(reference_public, "Elenco")


# -- 429 bursts -----------------------------------------------------------------------------------------


def test_a_429_burst_longer_than_the_retries_is_waited_out_within_the_window(
    fake: SheetsFake, demo: tuple[list[str], list[list[str]]], tmp_path: Path
) -> None:
    staff, public, settings = _spreadsheet(fake, demo, tmp_path)
    _append(fake, staff, demo[1][SIZE:])
    clock = FakeClock()
    fake.reset_counts()
    fake.fail_next("values.batchUpdate", 429, times=7)  # more than max_retries (5)
    result = _sync(settings, tmp_path, T2, clock=clock)
    assert result.report.organisations > 0
    assert [r.status for r in fake.log] == [200, *[429] * 7, 200, 200]
    assert len(clock.sleeps) == 7
    # jittered exponential steps (1, 2, 4, 8, 16, 32, 60 s: each between half and all of its step)
    for sleep, step in zip(clock.sleeps, [1, 2, 4, 8, 16, 32, 60], strict=True):
        assert step / 2 <= sleep <= step
    assert fake.values(public, "Elenco")[-1][0] != ""


def test_a_429_that_outlasts_the_window_gives_up_cleanly_in_italian(
    fake: SheetsFake, demo: tuple[list[str], list[list[str]]], tmp_path: Path
) -> None:
    staff, public, settings = _spreadsheet(fake, demo, tmp_path)
    _append(fake, staff, demo[1][SIZE:])
    before = fake.values(public, "Elenco"), fake.values(staff, STATE_TAB)
    clock = FakeClock()
    fake.fail_next(None, 429, times=1000)
    with pytest.raises(TransientError) as caught:
        _sync(settings, tmp_path, T2, clock=clock)
    fake.clear_faults()
    waited = sum(clock.sleeps)
    assert 60 <= waited <= 60 + 60
    assert str(caught.value) == GSHEETS_QUOTA_GIVE_UP.format(seconds=f"{waited:.0f}")
    assert str(caught.value).startswith(
        "Google Sheets ha superato la quota di richieste al minuto (errore 429)"
    )
    assert (fake.values(public, "Elenco"), fake.values(staff, STATE_TAB)) == before


def test_retry_after_is_honoured_and_the_time_budget_bounds_the_wait(
    fake: SheetsFake, demo: tuple[list[str], list[list[str]]], tmp_path: Path
) -> None:
    _staff, _public, settings = _spreadsheet(fake, demo, tmp_path)

    def retry_after(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.status_code == 429:
            response.headers["Retry-After"] = "7"

    session = requests.Session()
    session.hooks["response"].append(retry_after)
    clock = FakeClock()
    fake.fail_next("values.batchGet", 429, times=2)
    with _process(settings, tmp_path, clock, session) as store:
        run_sync(store, settings, T2)
    assert clock.sleeps == [7.0, 7.0]

    clock = FakeClock()
    fake.fail_next("values.batchGet", 429, times=1000)
    with (
        pytest.raises(TransientError),
        _process(settings, tmp_path, clock, session, time_budget_s=20) as store,
    ):
        run_sync(store, settings, T2)
    fake.clear_faults()
    assert clock.sleeps == [7.0, 7.0]  # a third wait would pass the 20-second budget
    session.close()


# -- the log counts every cell written --------------------------------------------------------------------


def test_the_log_counts_every_cell_written_its_own_and_the_states(
    fake: SheetsFake, demo: tuple[list[str], list[list[str]]], tmp_path: Path
) -> None:
    staff, _public, settings = _spreadsheet(fake, demo, tmp_path)
    _append(fake, staff, demo[1][SIZE:])
    fake.reset_counts()
    result = _sync(settings, tmp_path, T2)
    sent = 0
    for body in _bodies(fake, "values.batchUpdate"):
        sent += sum(len(row) for item in body["data"] for row in item["values"])
    state_cells = sum(
        len(row)
        for item in _bodies(fake, "values.batchUpdate")[-1]["data"]
        if STATE_TAB in item["range"]
        for row in item["values"]
    )
    assert state_cells > 0
    log = fake.values(staff, LOG)
    assert log[-1][7] == str(sent) == str(result.report.cells_written)
