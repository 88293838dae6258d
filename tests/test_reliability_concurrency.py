"""Concurrency: staff typing while a sync runs, and two syncs started together, lose nothing.

- MemoryStore: random staff edits (attendance marks, roster notes, free notes right of `Elenco`, decisions)
  and new form rows land at the public or the staff write of a sync (`before_write`); after one more sync
  the workbooks equal the sequential run (sync, edits, sync) cell for cell.
- Sheets API fake: the same typed between the batchGet and each batchUpdate (a hook on the HTTP session),
  and from another thread at a random moment of a slowed-down sync.
- Two syncs at once (webhook + cron): threads on one spreadsheet (shared lock, as gunicorn workers), threads
  and processes on one local folder, and - not the deployed setup - two machines without a shared lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.sheets_api import SheetsFake
from tests.reliability_helpers import (
    KillBase,
    Played,
    fake_hook_edit_case,
    fake_thread_edit_case,
    memory_edit_case,
    prepare_kill_base,
    references,
    two_syncs_fake,
    two_syncs_local,
)

CI_MEMORY, SLOW_MEMORY = 12, 300
CI_THREADS, SLOW_THREADS = 5, 50


@pytest.fixture(scope="module")
def fake() -> Iterator[SheetsFake]:
    with SheetsFake() as server:
        yield server


@pytest.fixture(scope="module")
def refs(fake: SheetsFake, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Played]]:
    return {"incremental": references(fake, tmp_path_factory.mktemp("locks"), "incremental")}


@pytest.fixture(scope="module")
def local_base(tmp_path_factory: pytest.TempPathFactory) -> KillBase:
    return prepare_kill_base(tmp_path_factory.mktemp("local"), "incremental")


def _memory(seeds: range) -> None:
    failures = [f"seed {seed}: {p[:5]}" for seed in seeds if (p := memory_edit_case(seed))]
    assert not failures, "\n".join(failures)


def test_edits_typed_during_a_memory_sync_are_kept() -> None:
    _memory(range(CI_MEMORY))


@pytest.mark.slow
def test_edits_typed_during_a_memory_sync_are_kept_long() -> None:
    _memory(range(CI_MEMORY, CI_MEMORY + SLOW_MEMORY))


@pytest.mark.parametrize("at", [2, 3], ids=["before-the-public-write", "before-the-staff-write"])
def test_edits_typed_between_the_read_and_a_write_on_the_google_fake(
    fake: SheetsFake, refs: dict[str, list[Played]], tmp_path: Path, at: int
) -> None:
    assert fake_hook_edit_case(fake, tmp_path, at, refs) == []


def _threads(fake: SheetsFake, refs: dict[str, list[Played]], lock_dir: Path, seeds: range) -> None:
    failures = [f"seed {s}: {p[:5]}" for s in seeds if (p := fake_thread_edit_case(fake, lock_dir, s, refs))]
    assert not failures, "\n".join(failures)


def test_edits_typed_from_another_thread_while_a_google_sync_runs(
    fake: SheetsFake, refs: dict[str, list[Played]], tmp_path: Path
) -> None:
    _threads(fake, refs, tmp_path, range(CI_THREADS))


@pytest.mark.slow
def test_edits_typed_from_another_thread_while_a_google_sync_runs_long(
    fake: SheetsFake, refs: dict[str, list[Played]], tmp_path: Path
) -> None:
    _threads(fake, refs, tmp_path, range(CI_THREADS, CI_THREADS + SLOW_THREADS))


@pytest.mark.parametrize("rows_between", [False, True], ids=["same-input", "rows-arrive-between"])
def test_two_syncs_of_one_spreadsheet_started_together(
    fake: SheetsFake, refs: dict[str, list[Played]], tmp_path: Path, rows_between: bool
) -> None:
    assert two_syncs_fake(fake, tmp_path, refs, same_machine=True, rows_between=rows_between) == []


@pytest.mark.parametrize("rows_between", [False, True], ids=["same-input", "rows-arrive-between"])
def test_two_machines_without_a_shared_lock_keep_ids_and_edits(
    fake: SheetsFake, refs: dict[str, list[Played]], tmp_path: Path, rows_between: bool
) -> None:
    assert two_syncs_fake(fake, tmp_path, refs, same_machine=False, rows_between=rows_between) == []


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_two_local_syncs_of_one_folder_started_together(
    local_base: KillBase, tmp_path: Path, processes: bool
) -> None:
    assert two_syncs_local(local_base, tmp_path, "two", processes=processes) == []
