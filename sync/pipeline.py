"""`run_sync`: the only place that sequences I/O around the pure core (`sync.plan` decides everything).

    lock ─► read ─► (ensure missing staff tabs, read again) ─► idle? ─► plan ─► write public ─► write staff

The public workbook is written before the staff workbook because the staff write carries the state that
says what the public workbook holds: after a fault between the two, the next sync sees a stale record and
rewrites the public tabs, converging to what a fault-free run would have produced. Where the public rows
are diffed against that record (Google Sheets), a `Guard` tells a stale record from a current one: the
write it refuses is replaced by every public tab written whole.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from sync.backends import open_backend
from sync.backends.base import Backend, Guard, StaleWorkbook, TabSpec
from sync.config import Settings
from sync.layouts import public_specs, staff_specs
from sync.model import Report
from sync.plan import SyncPlan, TabChange, idle_report, plan_sync, plan_tabs
from sync.preview import Preview
from sync.public_files import public_files
from sync.resolve import Resolution


@dataclass
class SyncResult:
    """A sync's report, its per-tab changes and (for callers that need them) the resolved values."""

    report: Report
    changes: dict[str, TabChange] = field(default_factory=dict)
    resolution: Resolution | None = None
    created: list[str] = field(default_factory=list)
    preview: Preview | None = None


def run_sync(
    backend: Backend, settings: Settings, now: datetime, *, trigger: str = "manuale", dry_run: bool = False
) -> SyncResult:
    """Read, decide (`sync.plan`), write only what changed; return the report (DESIGN.md)."""
    started = time.perf_counter()
    s_specs = staff_specs(settings.ambito)
    program = _program_version()
    with backend.sync_lock():
        snapshot = backend.read(s_specs)
        missing = [s for s in s_specs if s.title not in snapshot.tabs]
        created = backend.ensure("staff", s_specs, dry_run=dry_run, write_next=True) if missing else []
        if missing:
            snapshot = backend.read(s_specs)
        if not dry_run and not missing:
            idle = idle_report(snapshot, settings, now, trigger=trigger, version=program)
            if idle is not None:
                return SyncResult(report=_finished(idle, 0, backend, started))
        plan = plan_sync(
            snapshot,
            settings,
            now,
            trigger=trigger,
            dry_run=dry_run,
            version=program,
            fresh_staff=bool(missing),
            guarded=backend.guards_public,
            free_moves=backend.free_row_moves,
        )
        written = 0
        # after `ensure` made tabs, the staff write also carries their headers (`write_next`): always made
        if not dry_run and (plan.writes_anything or missing):
            written, ensured = _carry_out(backend, plan, s_specs, public_specs(settings.ambito))
            created += ensured
        return SyncResult(
            report=_finished(plan.report, written, backend, started),
            changes=dict(plan.changes),
            resolution=plan.resolution,
            created=created,
            preview=plan.preview_of() if dry_run else None,
        )


def _carry_out(
    backend: Backend, plan: SyncPlan, s_specs: Sequence[TabSpec], p_specs: Sequence[TabSpec]
) -> tuple[int, list[str]]:
    """Make the plan's writes, public workbook first; the cells written and the tabs `ensure` created."""
    backend.check_writable(plan.workbooks)
    written = 0
    created: list[str] = []
    if plan.public_writes:
        if plan.ensure_public:
            created += backend.ensure("public", p_specs, write_next=True)
        public = _write_public(backend, plan, p_specs)
        written += public
        plan = plan.counted(public)  # the log line says what the write really made
    if plan.files_due:
        backend.publish(public_files(plan.public_list))
    if plan.repair_staff:
        created += backend.ensure("staff", s_specs, write_next=True)
    written += backend.write("staff", plan.staff_all, s_specs)
    return written, created


def _write_public(backend: Backend, plan: SyncPlan, specs: Sequence[TabSpec]) -> int:
    """The public writes; row diffs refused by their guard (a write not recorded, a tab changed by hand) give
    way to every public tab rewritten whole, the mark reset."""
    guard = plan.public_guard
    if guard is None:
        return backend.write("public", plan.public_writes, specs)
    try:
        return backend.write("public", plan.public_writes, specs, guard=guard)
    except StaleWorkbook:
        return backend.write("public", plan.public_rewrite, specs, guard=Guard(None, guard.then))


def _finished(report: Report, written: int, backend: Backend, started: float) -> Report:
    """The report with what only the shell measures: cells written, API requests, duration."""
    return report.model_copy(
        update={
            "cells_written": report.cells_written + written,
            "api_requests": backend.requests,
            "duration_s": round(time.perf_counter() - started, 3),
        }
    )


def _program_version() -> str:
    try:
        return version("elenco")
    except PackageNotFoundError:  # pragma: no cover - a source tree without an install
        return "sorgente"


ROME_TZ = "Europe/Rome"


def now_local() -> datetime:
    """The current time in Italy, naive (form timestamps are naive local times): the clock read at the edge."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(ROME_TZ)).replace(tzinfo=None, microsecond=0)


def sync_now(
    settings: Settings,
    *,
    trigger: str = "manuale",
    dry_run: bool = False,
    backend: Backend | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """The one entry the CLI, the web app and the scheduler call: the configured backend, at Italian time."""
    return run_sync(
        backend if backend is not None else open_backend(settings),
        settings,
        now if now is not None else now_local(),
        trigger=trigger,
        dry_run=dry_run,
    )


def public_files_now(
    settings: Settings, *, backend: Backend | None = None, now: datetime | None = None
) -> dict[str, bytes]:
    """The public files (HTML, PDF, open data) as a sync now would publish them: one read, no write.

    For Google mode, where no sync writes files: `elenco pubblica` and the web app's `GET /elenco` use it.
    """
    backend = backend if backend is not None else open_backend(settings)
    snapshot = backend.read(staff_specs(settings.ambito))
    wanted = plan_tabs(snapshot, settings, now if now is not None else now_local())
    return public_files(wanted.public_list)


__all__ = [
    "SyncPlan",
    "SyncResult",
    "TabChange",
    "now_local",
    "plan_sync",
    "public_files_now",
    "run_sync",
    "sync_now",
]
