"""Faults: randomised Sheets API failures and SIGKILLed local syncs end exactly where a fault-free run ends.

Google (the Sheets API fake): a seeded schedule of 429/500/503/timeouts/dropped connections, applied or not,
on any request of a sync - half of the outages at the staff write, so the sync stops between its public and
its staff write - while staff type a decision, attendance marks and free notes and new form rows arrive.
After one fault-free sync both workbooks equal a fault-free run cell for cell (`Registro sincronizzazioni`:
header and last line's figures only, see `tests/reliability_helpers.py`), tabs/protections/dropdowns are
the same, no ID changed or doubled, every typed cell is where it was typed, and one more sync makes a
single request. Local files: a sync in a child process is SIGKILLed after a random delay or at a random
write step; every file is the previous version or the new one (or, in a first sync, absent or tabs with
their headers), a temp file left behind is removed by the next sync, which converges.

CI runs 20 schedules and 5 kills; `pytest -m slow` and `bench/reliability.py` run 200 and 60.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from sync.backends.memory import MemoryStore, trim
from sync.backends.xlsx import XlsxStore
from sync.config import Settings
from sync.errors import TransientError
from sync.pipeline import run_sync
from tests.conftest import HEADER, make_row
from tests.fakes.sheets_api import SheetsFake
from tests.reliability_helpers import (
    T2,
    KillBase,
    Played,
    dataset,
    fault_case,
    kill_case,
    prepare_kill_base,
    references,
    write_responses_csv,
)

CI_SCHEDULES = 20
SLOW_SCHEDULES = 200
CI_KILLS = 3
SLOW_KILLS = 60


@pytest.fixture(scope="module")
def fake() -> Iterator[SheetsFake]:
    with SheetsFake() as server:
        yield server


@pytest.fixture(scope="module")
def refs(fake: SheetsFake, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Played]]:
    lock_dir = tmp_path_factory.mktemp("locks")
    return {s: references(fake, lock_dir, s) for s in ("first", "incremental")}


@pytest.fixture(scope="module")
def kill_bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KillBase]:
    root = tmp_path_factory.mktemp("kill")
    return {s: prepare_kill_base(root, s) for s in ("first", "incremental")}


def _run_schedules(fake: SheetsFake, refs: dict[str, list[Played]], lock_dir: Path, seeds: range) -> None:
    failures: list[str] = []
    outcomes: collections.Counter[str] = collections.Counter()
    for seed in seeds:
        case = fault_case(fake, lock_dir, seed, refs)
        outcomes[case.played.outcome] += 1
        if case.problems:
            failures.append(
                f"seed {seed} ({case.scenario}, {case.schedule}, event at {case.event_at}): "
                + "; ".join(case.problems[:6])
            )
    assert not failures, "\n".join(failures)
    # the schedules reached every place a sync can stop
    assert {"ok", "failed before writing", "failed between writes", "failed after writing"} <= set(outcomes)


# -- regressions found by these suites ------------------------------------------------------------------------


def test_regression_public_rows_written_by_an_interrupted_sync_are_cleared(crema: Settings) -> None:
    rows = [
        HEADER,
        make_row(areas="A) Minori e Famiglia"),
        make_row(
            timestamp="04/04/2024 10.00.00",
            email="auser@auser.it",
            name="Auser Crema ODV",
            tax_code="93378570191",
            areas="A) Minori e Famiglia",
        ),
    ]
    store = MemoryStore(responses=rows)
    run_sync(store, crema, datetime(2024, 5, 20, 10))
    store.responses.append(
        make_row(
            timestamp="05/04/2024 10.00.00",
            email="info@girasole.it",
            name="Il Girasole Coop. Soc.",
            tax_code="04688560194",
            areas="A) Minori e Famiglia",
        )
    )
    calls: list[int] = []

    def fail_the_staff_write() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise TransientError("la scrittura del foglio interno non è riuscita")

    store.before_write = fail_the_staff_write
    with pytest.raises(TransientError):
        run_sync(store, crema, datetime(2024, 5, 21, 10))  # public list written with 3 rows, state not
    store.before_write = None
    store.staff["Decisioni"].append(["E-0001", "Escludi", "", "requisiti non posseduti", "", ""])
    run_sync(store, crema, datetime(2024, 5, 21, 10))
    public = trim(store.public["Minori e famiglia"])
    assert [r[0] for r in public] == ["ID", "E-0002", "E-0003"]  # no stale copy of the last row


def test_regression_a_killed_writers_temp_file_is_removed_by_the_next_sync(
    tmp_path: Path, crema: Settings
) -> None:
    ds = dataset()
    write_responses_csv(tmp_path, ds.header, ds.initial)
    stale = tmp_path / ".elenco-0123456789abcdef.tmp"
    stale.write_bytes(b"PK\x03\x04 half a workbook")
    mine = tmp_path / "appunti.tmp"
    mine.write_text("non mio", encoding="utf-8")
    run_sync(XlsxStore(tmp_path), crema, T2)
    assert not stale.exists()
    assert mine.read_text(encoding="utf-8") == "non mio"


# -- randomised faults ----------------------------------------------------------------------------------------


def test_fault_schedules_on_the_google_fake_converge(
    fake: SheetsFake, refs: dict[str, list[Played]], tmp_path: Path
) -> None:
    _run_schedules(fake, refs, tmp_path, range(CI_SCHEDULES))


@pytest.mark.slow
def test_fault_schedules_on_the_google_fake_converge_long(
    fake: SheetsFake, refs: dict[str, list[Played]], tmp_path: Path
) -> None:
    _run_schedules(fake, refs, tmp_path, range(CI_SCHEDULES, CI_SCHEDULES + SLOW_SCHEDULES))


def _run_kills(bases: dict[str, KillBase], work: Path, seeds: range) -> None:
    failures: list[str] = []
    states: collections.Counter[str] = collections.Counter()
    for seed in seeds:
        case = kill_case(bases["first" if seed % 4 == 0 else "incremental"], work, seed)
        states.update(f"{name}: {state}" for name, state in case.states.items())
        if case.problems:
            failures.append(f"seed {seed} ({case.scenario}, {case.how}): " + "; ".join(case.problems[:6]))
    assert not failures, "\n".join(failures)
    assert states["elenco-interno.xlsx: before"] and states["elenco-pubblico.xlsx: after"], states


def test_sigkill_during_a_local_sync_leaves_old_or_new_files(
    kill_bases: dict[str, KillBase], tmp_path: Path
) -> None:
    _run_kills(kill_bases, tmp_path, range(CI_KILLS))


@pytest.mark.slow
def test_sigkill_during_a_local_sync_leaves_old_or_new_files_long(
    kill_bases: dict[str, KillBase], tmp_path: Path
) -> None:
    _run_kills(kill_bases, tmp_path, range(CI_KILLS, CI_KILLS + SLOW_KILLS))
