"""`run_sync`: the only place that sequences I/O around the pure core.

    read ─► parse ─► validate ─► resolve ─► render ─► diff ─► write public ─► write staff (+ state)

The public workbook is written before the staff workbook because the staff write carries the state that
says what the public workbook holds: after a fault between the two, the next sync sees a stale record and
rewrites the public tabs, converging to what a fault-free run would have produced.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from pydantic import ValidationError

from sync import labels
from sync.backends import open_backend
from sync.backends.base import Backend, RangeWrite, Snapshot, TabSpec
from sync.calendar import CalendarEntry, calendar_of
from sync.config import PLENARY, Settings
from sync.decisions import parse_decisions
from sync.diff import WantedTab, count_cells, diff_tab, full_rewrite
from sync.instructions import ISTRUZIONI, render_instructions
from sync.layouts import (
    ANOMALIE,
    DECISIONI,
    DUPLICATI,
    ELENCO,
    INFORMAZIONI,
    REGISTRO,
    RISPOSTE,
    public_specs,
    roster_title,
    staff_specs,
)
from sync.manual import MANUAL_TAB, parse_manual
from sync.model import Grid, Problem, Report, Severity, Status
from sync.parse import ParsedSheet, parse_rows
from sync.preview import Preview, build_preview
from sync.public_files import public_files
from sync.public_list import PublicList, build_public_list, parse_updated
from sync.render import (
    content_hash,
    render_anomalie,
    render_area,
    render_duplicati,
    render_elenco,
    render_information,
    render_log_line,
    render_public,
    render_risposte,
    render_roster,
)
from sync.resolve import Resolution, resolve
from sync.shortcut import FIGURES_KEY, INPUT_KEY, after_writes, figures_text, input_digest, read_figures
from sync.state import STATE_TAB, State, read_state, render_state

UPDATED_KEY = "_aggiornato"
DATA_KEY = "_dati"
STRUCTURE_KEY = "_struttura"
STAFF_LAYOUT_KEY = "_struttura_interno"
# Bumped when the presentation of tabs changes (filters, number formats, widths): existing workbooks get it
# at their next write (`ensure` repairs the layout of tabs made before).
LAYOUT_VERSION = "2"


def layout_digest(specs: Sequence[TabSpec]) -> str:
    """What the presentation of a workbook's tabs depends on: titles, headers, column kinds, list or page."""
    return content_hash(
        [
            [LAYOUT_VERSION],
            *([s.title, *s.header, *s.kinds, str(s.listing), str(s.print_columns)] for s in specs),
        ]
    )
FILES_KEY = "_file"
# Bump when the public files change shape (a new file, a new column): the next sync rewrites them all once.
PUBLIC_FILES_VERSION = "pubblici-1"


@dataclass
class TabChange:
    """What a sync changes in one tab, for the dry-run preview."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    cells: int = 0


@dataclass
class SyncResult:
    """A sync's report, its per-tab changes and (for callers that need them) the resolved values."""

    report: Report
    changes: dict[str, TabChange] = field(default_factory=dict)
    resolution: Resolution | None = None
    created: list[str] = field(default_factory=list)
    preview: Preview | None = None


def _column_problems(parsed: ParsedSheet, origin: str) -> list[Problem]:
    out = [
        Problem(
            1,
            origin,
            "colonna_sconosciuta",
            title,
            Severity.WARNING,
            f"La colonna «{title}» del modulo non è usata da elenco: se è una domanda nuova, aggiungerla "
            "in `questions` nella configurazione.",
        )
        for title in parsed.columns.unknown
    ]
    out += [
        Problem(
            1,
            origin,
            "colonna_ripetuta",
            title,
            Severity.WARNING,
            f"La colonna «{title}» è ripetuta: si usa la prima risposta non vuota.",
        )
        for title in parsed.columns.duplicates
    ]
    if parsed.month_first:
        out.append(
            Problem(1, origin, "date_mese_giorno", "", Severity.WARNING, labels.MESSAGES["date_mese_giorno"])
        )
    for row, fields in sorted(parsed.truncated.items()):
        out.append(
            Problem(
                row,
                origin,
                "testo_troncato",
                ", ".join(fields),
                Severity.WARNING,
                "Un campo era più lungo di 5.000 caratteri ed è stato troncato negli elenchi "
                "(il modulo originale resta intatto).",
            )
        )
    return out


def _tab_change(current: Grid, wanted: WantedTab, writes: Sequence[RangeWrite]) -> TabChange:
    rows_touched = {w.row + i for w in writes for i in range(len(w.values))}
    added = sum(1 for r in rows_touched if r >= len(current))
    removed = sum(1 for r in rows_touched if r >= len(wanted.rows))
    return TabChange(
        added=added, changed=len(rows_touched) - added - removed, removed=removed, cells=count_cells(writes)
    )


def _figures(resolution: Resolution, review: int) -> dict[str, int]:
    accepted = sum(1 for o in resolution.outcomes if o.status == "accepted")
    return {
        "responses": len(resolution.outcomes),
        "accepted": accepted,
        "rejected": len(resolution.outcomes) - accepted,
        "organisations": sum(1 for o in resolution.organisations if o.rows and o.status is not Status.MERGED),
        "review_pairs": review,
    }


@dataclass
class SyncPlan:
    """What every machine-owned tab should hold, and what the previous state said."""

    resolution: Resolution
    staff: dict[str, tuple[Grid, WantedTab]]  # title -> (current cells, wanted cells)
    public: dict[str, Grid]
    previous: State
    problems: list[Problem]
    public_list: PublicList
    preview_of: Callable[[], Preview]  # what the plan changes, by organisation: computed for dry runs only
    calendar: list[CalendarEntry] = field(default_factory=list)  # the meetings, from `Calendario` or the preset
    calendar_problems: list[Problem] = field(default_factory=list)


def plan_sync(snapshot: Snapshot, settings: Settings, now: datetime) -> SyncPlan:
    """The pure part of a sync: what every machine-owned tab should hold."""
    ambito = settings.ambito
    parsed = parse_rows(snapshot.responses, ambito)
    manual = parse_manual(snapshot.tabs.get(MANUAL_TAB, []), ambito)
    decisions = parse_decisions(snapshot.tabs.get(DECISIONI, []))
    state = read_state(snapshot.tabs.get(STATE_TAB, []))
    resolution = resolve([*parsed.responses, *manual], decisions, state, ambito)
    orgs = resolution.organisations

    calendar, calendar_problems = calendar_of(snapshot.tabs, ambito)
    other = [
        *_column_problems(parsed, snapshot.responses_origin or "Risposte del modulo"),
        *resolution.anomalies,
        *calendar_problems,
    ]
    withdrawn = {o.id for o in orgs if o.status is Status.WITHDRAWN}

    wanted: list[WantedTab] = []

    def whole(title: str, rows: list[list[str | None]]) -> None:
        wanted.append(WantedTab(title, rows, max(len(r) for r in rows)))

    wanted.append(render_elenco(orgs, ambito, snapshot.tabs.get(ELENCO, [])))
    for a in ambito.areas:
        whole(a.tab, render_area(orgs, ambito, a.code))
    whole(ANOMALIE, render_anomalie(resolution.outcomes, other, withdrawn))
    whole(DUPLICATI, render_duplicati(resolution.review, orgs))
    whole(RISPOSTE, render_risposte(resolution.outcomes))
    whole(ISTRUZIONI, [list[str | None](r) for r in render_instructions(ambito)])
    for a in ambito.areas:
        title = roster_title(ambito, a.code)
        wanted.append(render_roster(orgs, ambito, a.code, calendar, snapshot.tabs.get(title, [])))
    plenary = roster_title(ambito, PLENARY)
    wanted.append(render_roster(orgs, ambito, PLENARY, calendar, snapshot.tabs.get(plenary, [])))
    # pandas is imported here, when a sync plans its tabs: never when the webhook gives its verdict
    from sync.statistics import render_statistics

    whole(labels.STATS_TAB, render_statistics(orgs, resolution.outcomes, ambito, calendar, snapshot.tabs))

    # the public workbook: rewritten tab by tab when its content changes (its state is in `_stato`)
    public = render_public(orgs, ambito)
    counts = {title: len(grid) - 1 for title, grid in public.items()}
    data_digest = content_hash([[title, content_hash(grid)] for title, grid in sorted(public.items())])
    previous_digest = state.public.get(DATA_KEY, ("",))[0]
    previous_updated = state.public.get(UPDATED_KEY, ("",))[0]
    # "last update" moves only when the published data change: a sync with nothing new writes nothing
    updated = (
        previous_updated
        if previous_digest == data_digest and previous_updated
        else (now.strftime("%d/%m/%Y %H:%M"))
    )
    public[INFORMAZIONI] = render_information(ambito, updated, counts)
    resolution.state.public[DATA_KEY] = (data_digest, 0, 0)
    resolution.state.public[UPDATED_KEY] = (updated, 0, 0)
    resolution.state.public[FILES_KEY] = (PUBLIC_FILES_VERSION, 0, 0)
    current = {w.title: (snapshot.tabs.get(w.title, []), w) for w in wanted}
    plist = build_public_list(orgs, ambito, parse_updated(updated) or now.replace(second=0, microsecond=0))
    row_entity = {o.checked.row: o.entity_id for o in resolution.outcomes if o.entity_id}

    def preview_of() -> Preview:
        return build_preview(current, ELENCO, orgs, decisions, resolution.anomalies, row_entity)

    return SyncPlan(resolution, current, public, state, other, plist, preview_of, calendar, calendar_problems)


def run_sync(
    backend: Backend, settings: Settings, now: datetime, *, trigger: str = "manuale", dry_run: bool = False
) -> SyncResult:
    """Read, decide, write only what changed; return the report (DESIGN.md)."""
    started = time.perf_counter()
    ambito = settings.ambito
    s_specs = staff_specs(ambito)
    p_specs = public_specs(ambito)
    with backend.sync_lock():
        snapshot = backend.read(s_specs)
        created: list[str] = []
        missing = [s for s in s_specs if s.title not in snapshot.tabs]
        if missing:
            created = backend.ensure("staff", s_specs, dry_run=dry_run)
            if not dry_run:
                snapshot = backend.read(s_specs)
        context = _digest_context(settings, s_specs, p_specs)
        if not dry_run and not missing:
            idle = _skipped(snapshot, context, now, trigger, backend.requests, started)
            if idle is not None:
                return idle
        plan = plan_sync(snapshot, settings, now)
        resolution, current, public, state = plan.resolution, plan.staff, plan.public, plan.previous

        staff_writes: list[RangeWrite] = []
        changes: dict[str, TabChange] = {}
        for title, (grid, want) in current.items():
            writes = diff_tab(grid, want)
            if writes:
                staff_writes += writes
                changes[title] = _tab_change(grid, want, writes)

        public_writes: list[RangeWrite] = []
        public_changed = False
        structure = layout_digest(p_specs)
        staff_layout = layout_digest(s_specs)
        repair_staff = not missing and state.public.get(STAFF_LAYOUT_KEY, ("",))[0] != staff_layout
        resolution.state.public[STAFF_LAYOUT_KEY] = (staff_layout, 0, 0)
        for title, grid in public.items():
            digest = content_hash(grid)
            old = state.public.get(f"tab:{title}")
            width = max(len(r) for r in grid)
            if old is None or old[0] != digest:
                old_rows, old_cols = (old[1], old[2]) if old else (0, 0)
                # A sync interrupted between the public write and the staff write (which carries this record)
                # may have left more rows than recorded: a list holds each ID at most once, so clear down to
                # one row per ID ever given.
                clear_rows = old_rows if title == INFORMAZIONI else max(old_rows, resolution.state.next_id)
                writes = full_rewrite(title, grid, clear_rows, old_cols)
                public_writes += writes
                public_changed = True
                changes[f"pubblico: {title}"] = TabChange(
                    added=max(0, len(grid) - old_rows),
                    changed=min(len(grid), old_rows),
                    removed=max(0, old_rows - len(grid)),
                    cells=count_cells(writes),
                )
            resolution.state.public[f"tab:{title}"] = (digest, len(grid), width)
        if public_changed:
            resolution.state.public[STRUCTURE_KEY] = (structure, 0, 0)
        # the public files follow the public tabs; written once more when their format changed
        files_due = public_changed or state.public.get(FILES_KEY, ("",))[0] != PUBLIC_FILES_VERSION

        figures = _figures(resolution, len(resolution.review))
        per_area = {
            a.tab: sum(1 for o in resolution.organisations if o.listed and a.code in o.areas) for a in ambito.areas
        }
        anomalies = sum(1 for o in resolution.outcomes for _ in o.checked.problems)
        codes = problem_codes(resolution, plan.problems)
        cells = count_cells(staff_writes) + count_cells(public_writes)
        state_writes = _state_writes(snapshot, resolution.state)
        if staff_writes or public_writes or state_writes:
            log = snapshot.tabs.get(REGISTRO, [])
            line = render_log_line(now, trigger, {**figures, "cells_written": cells}, "completata")
            log_rows: list[list[str | None]] = [list(r) for r in log]
            log_wanted = WantedTab(REGISTRO, [*log_rows, list(line)], len(line))
            staff_writes += diff_tab(log, log_wanted)
            # what the staff workbook will read after these writes, for the next sync's idle short-cut
            resolution.state.public[FIGURES_KEY] = (
                figures_text(
                    {**figures, "per_area": per_area, "anomalies": anomalies, "problem_codes": codes}
                ),
                0,
                0,
            )
            after = after_writes(snapshot.tabs, [*staff_writes, *_state_writes(snapshot, resolution.state)])
            resolution.state.public[INPUT_KEY] = (input_digest(snapshot.responses, after, context), 0, 0)
            staff_writes += _state_writes(snapshot, resolution.state)
        report = Report(
            started_at=now.isoformat(timespec="seconds"),
            duration_s=0.0,
            trigger=trigger,
            **figures,
            per_area=per_area,
            anomalies=anomalies,
            problem_codes=codes,
            tabs_changed={t: c.cells for t, c in changes.items()},
            dry_run=dry_run,
        )
        if not dry_run and (staff_writes or public_writes):
            backend.check_writable(["public", "staff"] if public_writes or files_due else ["staff"])
            if public_writes:
                if state.public.get(STRUCTURE_KEY, ("",))[0] != structure:
                    created += backend.ensure("public", p_specs)
                report.cells_written += backend.write("public", public_writes, p_specs)
            if files_due:
                backend.publish(public_files(plan.public_list))
            if repair_staff:
                created += backend.ensure("staff", s_specs)
            report.cells_written += backend.write("staff", staff_writes, s_specs)
        elif dry_run:
            report.cells_written = 0
        report.api_requests = backend.requests
        report.duration_s = round(time.perf_counter() - started, 3)
        return SyncResult(
            report=report,
            changes=changes,
            resolution=resolution,
            created=created,
            preview=plan.preview_of() if dry_run else None,
        )


def problem_codes(resolution: Resolution, other: Sequence[Problem]) -> dict[str, int]:
    """How many problems of each code this sync found (response rows, decisions, calendar, columns)."""
    counts = Counter(p.code for o in resolution.outcomes for p in o.checked.problems)
    counts.update(p.code for p in other)
    return dict(sorted(counts.items()))


def _state_writes(snapshot: Snapshot, state: State) -> list[RangeWrite]:
    grid = render_state(state)
    return diff_tab(snapshot.tabs.get(STATE_TAB, []), WantedTab(STATE_TAB, [list(r) for r in grid], 5))


def _digest_context(settings: Settings, staff: Sequence[TabSpec], public: Sequence[TabSpec]) -> list[str]:
    """Besides the cells read, what a sync's result depends on: the configuration and the layouts."""
    return [
        _program_version(),
        settings.model_dump_json(),
        layout_digest(staff),
        layout_digest(public),
        PUBLIC_FILES_VERSION,
    ]


def _program_version() -> str:
    try:
        return version("elenco")
    except PackageNotFoundError:  # pragma: no cover - a source tree without an install
        return "sorgente"


def _skipped(
    snapshot: Snapshot, context: list[str], now: datetime, trigger: str, requests: int, started: float
) -> SyncResult | None:
    """The result of a sync that reads exactly what the previous one left (`sync.shortcut`), or None."""
    state = read_state(snapshot.tabs.get(STATE_TAB, []))
    recorded = state.public.get(INPUT_KEY, ("",))[0]
    if not recorded or recorded != input_digest(snapshot.responses, snapshot.tabs, context):
        return None
    figures = read_figures(state.public.get(FIGURES_KEY, ("",))[0])
    if figures is None:
        return None
    try:
        report = Report.model_validate(
            {
                **figures,
                "started_at": now.isoformat(timespec="seconds"),
                "duration_s": 0.0,
                "trigger": trigger,
            }
        )
    except ValidationError:
        return None
    report.api_requests = requests
    report.duration_s = round(time.perf_counter() - started, 3)
    return SyncResult(report=report)


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
    plan = plan_sync(snapshot, settings, now if now is not None else now_local())
    return public_files(plan.public_list)


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
