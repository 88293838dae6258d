"""`run_sync`: the only place that sequences I/O around the pure core.

    read ─► parse ─► validate ─► resolve ─► render ─► diff ─► write public ─► write staff (+ state)

The public workbook is written before the staff workbook because the staff write carries the state that
says what the public workbook holds: after a fault between the two, the next sync sees a stale record and
rewrites the public tabs, converging to what a fault-free run would have produced.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sync import labels
from sync.backends import open_backend
from sync.backends.base import Backend, GridLayout, RangeWrite, RemembersGrids, Snapshot, TabSpec, Workbook
from sync.config import Settings
from sync.decisions import parse_decisions
from sync.diff import WantedTab, count_cells, diff_tab, full_rewrite
from sync.model import Grid, Problem, Report, Severity, Status
from sync.parse import ParsedSheet, parse_rows
from sync.preview import Preview, build_preview
from sync.public_diff import ROW_PREFIX, TABS_KEY, PublicPlan, keep_rows_in_place, plan_public
from sync.public_files import public_files
from sync.public_list import PublicList, build_public_list, parse_updated
from sync.render import (
    ANOMALIE,
    CALENDARIO,
    DECISIONI,
    DUPLICATI,
    ELENCO,
    INFORMAZIONI,
    REGISTRO,
    RISPOSTE,
    content_hash,
    meetings_from_preset,
    parse_calendar,
    public_specs,
    render_anomalie,
    render_area,
    render_duplicati,
    render_elenco,
    render_information,
    render_log_line,
    render_public,
    render_risposte,
    render_roster,
    roster_title,
    staff_specs,
)
from sync.resolve import Resolution, resolve
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
    preview: Preview  # what the plan changes, by organisation (dry run, «Anteprima»)


def plan_sync(snapshot: Snapshot, settings: Settings, now: datetime) -> SyncPlan:
    """The pure part of a sync: what every machine-owned tab should hold."""
    ambito = settings.ambito
    parsed = parse_rows(snapshot.responses, ambito)
    decisions = parse_decisions(snapshot.tabs.get(DECISIONI, []))
    state = read_state(snapshot.tabs.get(STATE_TAB, []))
    resolution = resolve(parsed.responses, decisions, state, ambito)
    orgs = resolution.organisations

    if CALENDARIO in snapshot.tabs:
        calendar, calendar_problems = parse_calendar(snapshot.tabs[CALENDARIO], ambito)
    else:
        calendar, calendar_problems = meetings_from_preset(ambito.meetings), []
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
    for a in ambito.areas:
        title = roster_title(ambito, a.code)
        wanted.append(render_roster(orgs, ambito, a.code, calendar, snapshot.tabs.get(title, [])))

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
    preview = build_preview(current, ELENCO, orgs, decisions, resolution.anomalies, row_entity)
    return SyncPlan(resolution, current, public, state, other, plist, preview)


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
                snapshot = _after_ensure(backend, snapshot, s_specs)
        plan = plan_sync(snapshot, settings, now)
        resolution, current, public, state = plan.resolution, plan.staff, plan.public, plan.previous

        staff_writes: list[RangeWrite] = []
        changes: dict[str, TabChange] = {}
        for title, (grid, want) in current.items():
            want = _in_place(title, grid, want, s_specs)
            writes = diff_tab(grid, want)
            if writes:
                staff_writes += writes
                changes[title] = _tab_change(grid, want, writes)

        structure = layout_digest(p_specs)
        staff_layout = layout_digest(s_specs)
        repair_staff = not missing and state.public.get(STAFF_LAYOUT_KEY, ("",))[0] != staff_layout
        resolution.state.public[STAFF_LAYOUT_KEY] = (staff_layout, 0, 0)
        remember = backend if isinstance(backend, RemembersGrids) else None
        if remember is not None and not dry_run:
            for book in WORKBOOKS:
                remember.recall_grids(book, recorded_grids(state, book))
        published = _plan_public(public, state, resolution.state, structure)
        public_writes = published.writes
        public_changed = bool(public_writes)
        for title, c in published.changes.items():
            changes[f"pubblico: {title}"] = TabChange(c.added, c.changed, c.removed, c.cells)
        # the public files follow the public tabs; written once more when their format changed
        files_due = public_changed or state.public.get(FILES_KEY, ("",))[0] != PUBLIC_FILES_VERSION

        figures = _figures(resolution, len(resolution.review))
        report = Report(
            started_at=now.isoformat(timespec="seconds"),
            duration_s=0.0,
            trigger=trigger,
            **figures,
            per_area={
                a.tab: sum(1 for o in resolution.organisations if o.listed and a.code in o.areas)
                for a in ambito.areas
            },
            anomalies=sum(1 for o in resolution.outcomes for _ in o.checked.problems),
            tabs_changed={t: c.cells for t, c in changes.items()},
            dry_run=dry_run,
        )
        public_cells = 0
        if not dry_run and (staff_writes or public_writes):
            backend.check_writable(["public", "staff"] if public_writes or files_due else ["staff"])
            if public_writes:
                if state.public.get(STRUCTURE_KEY, ("",))[0] != structure:
                    created += backend.ensure("public", p_specs)
                public_cells = backend.write("public", public_writes, p_specs)
                if remember is not None and remember.rebuilt("public"):
                    # tabs deleted or shrunk by hand since the last sync: the rows written were not enough
                    again = [
                        w for t in sorted(remember.rebuilt("public")) for w in _whole(t, published.grids)
                    ]
                    public_cells += backend.write("public", again, p_specs)
            if files_due:
                backend.publish(public_files(plan.public_list))
            if repair_staff:
                created += backend.ensure("staff", s_specs)
        if remember is not None and not dry_run:
            for book in WORKBOOKS:
                record_grids(resolution.state, book, remember.grid_layout(book), state)
        state_grid = render_state(resolution.state)
        state_writes = diff_tab(
            snapshot.tabs.get(STATE_TAB, []), WantedTab(STATE_TAB, [list(r) for r in state_grid], 5)
        )
        if staff_writes or public_writes or state_writes:
            staff_writes += state_writes
            staff_writes += _log_writes(
                snapshot, now, trigger, figures, count_cells(staff_writes) + public_cells
            )
        if dry_run:
            report.cells_written = 0
        elif staff_writes or public_writes:
            report.cells_written = public_cells + backend.write("staff", staff_writes, s_specs)
        report.api_requests = backend.requests
        report.duration_s = round(time.perf_counter() - started, 3)
        return SyncResult(
            report=report, changes=changes, resolution=resolution, created=created, preview=plan.preview
        )


GRID_PREFIX = "griglia:"
WORKBOOKS: tuple[Workbook, Workbook] = ("staff", "public")


def recorded_grids(state: State, workbook: str) -> GridLayout:
    """Tab ids and grid sizes the state keeps for a workbook (`pubblico | griglia:public:Elenco | id`)."""
    prefix = f"{GRID_PREFIX}{workbook}:"
    out: GridLayout = {}
    for key, (value, rows, cols) in state.public.items():
        if key.startswith(prefix) and value.isdigit():
            out[key[len(prefix) :]] = (int(value), rows, cols)
    return out


def record_grids(new: State, workbook: str, layout: GridLayout, previous: State) -> None:
    """Keep what the backend knows of the tabs in the state; the staff workbook's sizes are echoed by every
    read, so only its ids are kept (its record does not change when a tab grows)."""
    prefix = f"{GRID_PREFIX}{workbook}:"
    for key, record in previous.public.items():
        if key.startswith(prefix):
            new.public.setdefault(key, record)
    for title, (sheet_id, rows, cols) in layout.items():
        new.public[prefix + title] = (
            (str(sheet_id), 0, 0) if workbook == "staff" else (str(sheet_id), rows, cols)
        )


def _plan_public(public: dict[str, Grid], previous: State, new: State, structure: str) -> PublicPlan:
    """The public writes, row by row against the state (`sync.public_diff`); the records into the new state."""
    records = {k: v for k, v in previous.public.items() if k.startswith(("tab:", ROW_PREFIX, TABS_KEY))}
    if previous.public.get(STRUCTURE_KEY, ("",))[0] != structure:
        records = {k: v for k, v in records.items() if not k.startswith(("tab:", TABS_KEY))}
    out = plan_public(
        public,
        records,
        next_id=new.next_id,
        new_ids=max(0, new.next_id - previous.next_id),
        always=frozenset({INFORMAZIONI}),
    )
    new.public.update(out.records)
    if out.writes:
        new.public[STRUCTURE_KEY] = (structure, 0, 0)
    elif STRUCTURE_KEY in previous.public:
        new.public[STRUCTURE_KEY] = previous.public[STRUCTURE_KEY]
    return out


IN_ORDER = frozenset({ELENCO, RISPOSTE, REGISTRO, STATE_TAB})  # tabs whose rows have a meaning by position


def _in_place(title: str, grid: Grid, want: WantedTab, specs: Sequence[TabSpec]) -> WantedTab:
    """A staff list tab written only where rows changed (`public_diff.keep_rows_in_place`): a new response
    sorted into the middle of an area list or of `Anomalie` moves no other row."""
    listing = {s.title for s in specs if s.listing and s.owner == "machine"}
    if title in IN_ORDER or title not in listing:
        return want
    rows = keep_rows_in_place(grid, want.rows)
    return want if rows is None else WantedTab(want.title, rows, want.owned_width)


def _after_ensure(backend: Backend, snapshot: Snapshot, specs: Sequence[TabSpec]) -> Snapshot:
    """The staff workbook after `ensure`: for a remote backend, each missing tab now holds its header and seed
    rows (what `ensure` wrote), so it is not read again (one request less on a first sync)."""
    if not isinstance(backend, RemembersGrids):
        return backend.read(specs)
    tabs = dict(snapshot.tabs)
    for spec in specs:
        if spec.title not in tabs and (spec.header or spec.seed):
            rows = [[*spec.header], *([*r] for r in spec.seed)]
            tabs[spec.title] = [r[: max((i + 1 for i, v in enumerate(r) if v), default=0)] for r in rows]
    return replace(snapshot, tabs=tabs)


def _whole(title: str, grids: dict[str, Grid]) -> list[RangeWrite]:
    grid = grids.get(title, [])
    return full_rewrite(title, grid, 0, 0) if grid else []


def _log_writes(
    snapshot: Snapshot, now: datetime, trigger: str, figures: dict[str, int], cells: int
) -> list[RangeWrite]:
    """The `Registro sincronizzazioni` line, counting every cell the sync writes: its own included."""
    log = snapshot.tabs.get(REGISTRO, [])
    log_rows: list[list[str | None]] = [list(r) for r in log]

    def writes(total: int) -> list[RangeWrite]:
        line = render_log_line(now, trigger, {**figures, "cells_written": total}, "completata")
        return diff_tab(log, WantedTab(REGISTRO, [*log_rows, list(line)], len(line)))

    # the line's own cells do not depend on the figure written in it (a count is never an empty cell)
    return writes(cells + count_cells(writes(cells)))


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
