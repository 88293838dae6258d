"""The whole decision of a sync, pure: a snapshot in; every write, the state it leaves and its report out.

    parse ─► validate ─► resolve ─► render ─► diff ─► SyncPlan

`plan_tabs` decides what every machine-owned tab should hold; `plan_sync` adds what to write where (staff
tabs, the log line, `_stato`, the public tabs), what to `ensure` first, whether the public files are due,
the state the staff workbook will carry and the report. `idle_report` is the short-cut of a sync that reads
what the previous one left. `sync.pipeline.run_sync` only carries the plan out: no decision is made there.

No I/O here: the clock (`now`) and the program's version come from the caller.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from pydantic import ValidationError

from sync import labels
from sync.backends.base import Guard, RangeWrite, RowDelete, RowInsert, Snapshot, TabSpec, Workbook, Write
from sync.batch import collector_paused
from sync.calendar import CalendarEntry, calendar_of
from sync.config import PLENARY, Settings
from sync.decisions import parse_decisions
from sync.diff import WantedTab, cell_bytes, count_cells, diff_moving_rows, diff_tab, full_rewrite
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
from sync.parse import MAX_CELL, ParsedSheet, parse_rows
from sync.preview import Preview, build_preview
from sync.public_diff import (
    UNLISTED,
    keyed_diff,
    published_lines,
    recorded_order,
    row_digest,
    sequence_digest,
)
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
from sync.shortcut import after_writes, figures_text, input_digest, read_figures
from sync.state import (
    INPUT_KEY,
    STATE_HEADER,
    STATE_TAB,
    PublicRecord,
    State,
    TabRecord,
    read_state,
    render_state,
)

# Bumped when the presentation of tabs changes (filters, number formats, widths): existing workbooks get it
# at their next write (`ensure` repairs the layout of tabs made before).
LAYOUT_VERSION = "2"
# Bump when the public files change shape (a new file, a new column): the next sync rewrites them all once.
PUBLIC_FILES_VERSION = "pubblici-1"
# Rows inserted and deleted (`sync.diff.diff_moving_rows`) cost a workbook more requests: on Google Sheets a
# spreadsheets:batchUpdate before the values, and a metadata fetch for the tab ids when the process has not
# fetched them (a new process reads with values:batchGet only). Each is a round trip (~0.2-0.5 s) and counts
# against the per-minute quota, while 100 kB more in the one values:batchUpdate a sync sends anyway take about
# as long on an ordinary uplink. So rows move only when that saves more than this many bytes of cells: an
# Ambito of a few hundred organisations (a sorted tab's rewrite from the first change is tens of kB) keeps 3
# requests per sync, and a list of thousands no longer rewrites half of itself for one name.
MOVES_WORTH_BYTES = 100_000
# The public tabs' rows are diffed against the record in `_stato` (`sync.public_diff`) behind a `Guard`, which
# on Google Sheets costs a spreadsheets:batchUpdate before the values. Once a workbook carries a guard, every
# write to it goes through the guard (a rewrite too: that is what lets the next sync tell a write that was
# made from one that was recorded), so the request is paid for ever after: the first diff waits for a saving
# twice the rows' threshold. An Ambito of a few hundred organisations (its public tabs: ~130 kB at 300)
# keeps 3 requests per sync; a list of a thousand sends its changed rows, not 470 kB.
PUBLIC_DIFF_WORTH_BYTES = 2 * MOVES_WORTH_BYTES


def layout_digest(specs: Sequence[TabSpec]) -> str:
    """What the presentation of a workbook's tabs depends on: titles, headers, column kinds, list or page."""
    return content_hash(
        [
            [LAYOUT_VERSION],
            *([s.title, *s.header, *s.kinds, str(s.listing), str(s.print_columns)] for s in specs),
        ]
    )


def digest_context(settings: Settings, version: str) -> list[str]:
    """Besides the cells read, what a sync's result depends on: the program, the configuration, the layouts."""
    return [
        version,
        settings.model_dump_json(),
        layout_digest(staff_specs(settings.ambito)),
        layout_digest(public_specs(settings.ambito)),
        PUBLIC_FILES_VERSION,
    ]


@dataclass(frozen=True)
class TabChange:
    """What a sync changes in one tab, for the dry-run preview."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    cells: int = 0


@dataclass(frozen=True)
class Wanted:
    """What every machine-owned tab should hold, and what the previous state said."""

    resolution: Resolution
    staff: dict[str, tuple[Grid, WantedTab]]  # title -> (current cells, wanted cells)
    public: dict[str, Grid]
    previous: State
    problems: list[Problem]
    public_list: PublicList
    preview_of: Callable[[], Preview]  # what the plan changes, by organisation: computed for dry runs only
    calendar: list[CalendarEntry]  # the meetings, from `Calendario` or the preset
    calendar_problems: list[Problem]
    data_digest: str  # of the published data
    updated: str  # «last update» as the public reads it


# the log line, the final state and the state's writes for a sync writing that many cells (`plan_sync`)
Closing = Callable[[int], tuple[list[RangeWrite], State, list[RangeWrite]]]


@dataclass(frozen=True)
class SyncPlan:
    """The whole decision of a sync: what to write where, what it leaves in `_stato`, and its report."""

    wanted: Wanted
    staff_writes: tuple[Write, ...]  # the machine-owned staff tabs (rows moved, `MOVES_WORTH_BYTES`)
    log_writes: tuple[RangeWrite, ...]  # this sync's line in `Registro sincronizzazioni`
    state_writes: tuple[RangeWrite, ...]  # `_stato`
    public_writes: tuple[Write, ...]  # whole tabs, or behind `public_guard` the rows that change
    public_rewrite: tuple[RangeWrite, ...]  # every public tab whole: when the guard is refused
    public_guard: Guard | None
    changes: Mapping[str, TabChange]  # tab -> what changes there (public tabs as «pubblico: <title>»)
    ensure_public: bool  # the public tabs' layout is not the recorded one: `ensure` them before writing
    repair_staff: bool  # the staff tabs' layout is not the recorded one: `ensure` them again
    files_due: bool  # publish the public files (HTML, PDF, open data)
    state: State  # what `_stato` holds after the writes
    report: Report  # the figures; cells written, requests and duration are measured by the shell
    # the log line and the state again for another count of cells (`counted`); None when nothing is written
    closing: Closing | None = None

    def counted(self, public_cells: int) -> SyncPlan:
        """The plan whose log line counts `public_cells` for the public workbook: the cells its write really
        made (a local workbook moves rows a whole-tab rewrite would shift), known before the staff write."""
        if self.closing is None or public_cells == count_cells(self.public_writes):
            return self
        log_writes, state, state_writes = _closed(self.closing, count_cells(self.staff_writes) + public_cells)
        return replace(self, log_writes=tuple(log_writes), state_writes=tuple(state_writes), state=state)

    @property
    def staff_all(self) -> list[Write]:
        """Every write to the staff workbook, in order: the tabs, the log line, then the state."""
        return [*self.staff_writes, *self.log_writes, *self.state_writes]

    @property
    def writes_anything(self) -> bool:
        return bool(self.staff_writes or self.log_writes or self.state_writes or self.public_writes)

    @property
    def workbooks(self) -> list[Workbook]:
        """The workbooks this plan writes (to check before the first write)."""
        return ["public", "staff"] if self.public_writes or self.files_due else ["staff"]

    # what the tabs should hold, for callers that only read the plan (reports, printables, the add-on)
    @property
    def resolution(self) -> Resolution:
        return self.wanted.resolution

    @property
    def staff(self) -> dict[str, tuple[Grid, WantedTab]]:
        return self.wanted.staff

    @property
    def public(self) -> dict[str, Grid]:
        return self.wanted.public

    @property
    def previous(self) -> State:
        return self.wanted.previous

    @property
    def problems(self) -> list[Problem]:
        return self.wanted.problems

    @property
    def public_list(self) -> PublicList:
        return self.wanted.public_list

    @property
    def preview_of(self) -> Callable[[], Preview]:
        return self.wanted.preview_of

    @property
    def calendar(self) -> list[CalendarEntry]:
        return self.wanted.calendar

    @property
    def calendar_problems(self) -> list[Problem]:
        return self.wanted.calendar_problems


def _column_problems(parsed: ParsedSheet, origin: str) -> list[Problem]:
    """Warnings about the responses sheet itself: its columns, its dates, texts cut at `MAX_CELL`."""

    def warning(row: int, code: str, cell: str, **params: str) -> Problem:
        return Problem(row, origin, code, cell, Severity.WARNING, labels.MESSAGES[code].format(**params))

    out = [warning(1, "colonna_sconosciuta", t, value=t) for t in parsed.columns.unknown]
    out += [warning(1, "colonna_ripetuta", t, value=t) for t in parsed.columns.duplicates]
    if parsed.month_first:
        out.append(warning(1, "date_mese_giorno", ""))
    limit = labels.whole_number(MAX_CELL)
    out += [
        warning(row, "testo_troncato", ", ".join(fields), limit=limit)
        for row, fields in sorted(parsed.truncated.items())
    ]
    return out


def _wanted_staff(
    snapshot: Snapshot,
    settings: Settings,
    resolution: Resolution,
    other: list[Problem],
    calendar: list[CalendarEntry],
) -> list[WantedTab]:
    """What every machine-owned staff tab should hold, in the order a sync writes them."""
    ambito = settings.ambito
    orgs = resolution.organisations
    withdrawn = {o.id for o in orgs if o.status is Status.WITHDRAWN}
    wanted: list[WantedTab] = []

    def whole(title: str, rows: list[list[str | None]]) -> None:
        wanted.append(WantedTab(title, rows, max(len(r) for r in rows), movable=True))

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
    return wanted


@collector_paused()  # a batch: see `sync.batch`
def plan_tabs(snapshot: Snapshot, settings: Settings, now: datetime) -> Wanted:
    """What every machine-owned tab should hold (staff and public), from what was read."""
    ambito = settings.ambito
    parsed = parse_rows(snapshot.responses, ambito)
    manual = parse_manual(snapshot.tabs.get(MANUAL_TAB, []), ambito)
    decisions = parse_decisions(snapshot.tabs.get(DECISIONI, []))
    state = read_state(snapshot.tabs.get(STATE_TAB, []))
    resolution = resolve([*parsed.responses, *manual], decisions, state, ambito)
    orgs = resolution.organisations

    calendar, calendar_problems = calendar_of(snapshot.tabs, ambito)
    other = [
        *_column_problems(parsed, snapshot.responses_origin or labels.FORM_ORIGIN),
        *resolution.anomalies,
        *calendar_problems,
    ]
    wanted = _wanted_staff(snapshot, settings, resolution, other, calendar)

    # the public workbook: rewritten tab by tab when its content changes (its state is in `_stato`)
    public = render_public(orgs, ambito)
    counts = {title: len(grid) - 1 for title, grid in public.items()}
    data_digest = content_hash([[title, content_hash(grid)] for title, grid in sorted(public.items())])
    # "last update" moves only when the published data change: a sync with nothing new writes nothing
    previous = state.public
    unchanged = previous.data == data_digest and previous.updated
    updated = previous.updated if unchanged else now.strftime("%d/%m/%Y %H:%M")
    public[INFORMAZIONI] = render_information(ambito, updated, counts)
    current = {w.title: (snapshot.tabs.get(w.title, []), w) for w in wanted}
    plist = build_public_list(orgs, ambito, parse_updated(updated) or now.replace(second=0, microsecond=0))
    row_entity = {o.checked.row: o.entity_id for o in resolution.outcomes if o.entity_id}

    def preview_of() -> Preview:
        return build_preview(current, ELENCO, orgs, decisions, resolution.anomalies, row_entity)

    return Wanted(
        resolution,
        current,
        public,
        state,
        other,
        plist,
        preview_of,
        calendar,
        calendar_problems,
        data_digest,
        updated,
    )


def _tab_change(current: Grid, wanted: WantedTab, writes: Sequence[Write]) -> TabChange:
    """Rows added, changed and removed by `writes` (rows inserted or deleted included) in a tab."""
    # where each row stands after the moves: its index in `current`, or -1 for a row inserted
    standing = list(range(len(current)))
    deleted = 0
    for w in writes:
        if isinstance(w, RowInsert):
            standing[w.at : w.at] = [-1] * w.count
        elif isinstance(w, RowDelete):
            deleted += len(standing[w.at : w.at + w.count])
            del standing[w.at : w.at + w.count]
    rows_touched = {w.row + i for w in writes if isinstance(w, RangeWrite) for i in range(len(w.values))}
    removed = deleted + sum(1 for r in rows_touched if r >= len(wanted.rows))
    kept = {r for r in rows_touched if r < len(wanted.rows)}
    changed = sum(1 for r in kept if r < len(standing) and standing[r] >= 0)
    return TabChange(
        added=len(kept) - changed + sum(1 for r, at in enumerate(standing) if at < 0 and r not in kept),
        changed=changed,
        removed=removed,
        cells=count_cells(writes),
    )


def _staff_diff(
    staff: Mapping[str, tuple[Grid, WantedTab]], worth: int = MOVES_WORTH_BYTES
) -> tuple[list[Write], dict[str, TabChange]]:
    """The writes to the machine's staff tabs, rows moved where that saves more than `worth` bytes."""
    plain = {title: diff_tab(grid, want) for title, (grid, want) in staff.items()}
    chosen: dict[str, Sequence[Write]] = dict(plain)
    sizes = {title: cell_bytes(writes) for title, writes in plain.items() if staff[title][1].movable}
    # rows are matched only when the movable tabs' rewrites could save that much at all
    if sum(sizes.values()) > worth:
        moved: dict[str, Sequence[Write]] = {}
        for title, size in sizes.items():
            grid, want = staff[title]
            alternative = diff_moving_rows(grid, want) if size else None
            if alternative is not None and cell_bytes(alternative) < size:
                moved[title] = alternative
        if sum(sizes[t] - cell_bytes(w) for t, w in moved.items()) > worth:
            chosen.update(moved)
    writes: list[Write] = []
    changes: dict[str, TabChange] = {}
    for title, tab_writes in chosen.items():
        if tab_writes:
            writes += tab_writes
            grid, want = staff[title]
            changes[title] = _tab_change(grid, want, tab_writes)
    return writes, changes


@dataclass(frozen=True)
class PublicWrites:
    """What a sync writes to the public workbook, and what it then holds."""

    writes: list[Write]
    rewrite: list[RangeWrite]  # every public tab written whole: the fallback when `guard` is refused
    guard: Guard | None  # row diffs on a workbook not read back (`StaleWorkbook`): None for local files
    changes: dict[str, TabChange]
    tabs: dict[str, TabRecord]
    published: dict[str, str]  # the `pubblicato` lines


def _public_diff(
    public: Mapping[str, Grid],
    previous: State,
    areas: Mapping[str, str],
    *,
    next_id: int,
    guarded: bool,
    same_layout: bool,
) -> PublicWrites:
    """The writes of the public tabs whose content changed: whole tabs, or (where the workbook is guarded and
    the record is whole) only the rows that changed, behind a `Guard`."""
    main = public[ELENCO]
    digests = {row[0]: row_digest(row) for row in main[1:]}
    keys = {t: [(r[0], digests[r[0]]) for r in g[1:]] for t, g in public.items() if t != INFORMAZIONI}
    tabs = dict(previous.public.tabs)
    whole: dict[str, list[RangeWrite]] = {}
    bounds: dict[str, tuple[int, int]] = {}
    for title, grid in public.items():
        digest = sequence_digest(grid[0], keys[title]) if title in keys else content_hash(grid)
        old = tabs.get(title)
        old_rows, old_cols = (old.rows, old.cols) if old else (0, 0)
        # After a sync interrupted between the public write and the staff write (which carries this record)
        # a tab may hold more rows than recorded: a list holds each ID at most once, so clear down to one row
        # per ID ever given.
        clear = old_rows if title == INFORMAZIONI else max(old_rows, next_id)
        bounds[title] = (clear, old_cols)
        if old is None or old.digest != digest:
            whole[title] = full_rewrite(title, grid, clear, old_cols)
        tabs[title] = TabRecord(digest, len(grid), max(len(r) for r in grid))
    # the record of every listed row, whichever backend (a local one never diffs, but its state reads alike)
    published = dict.fromkeys(previous.published, UNLISTED)
    listed = {t: {e for e, _ in keys[t]} for t in areas}
    member = {e: tuple(c for t, c in areas.items() if e in listed[t]) for e in digests}
    published.update(published_lines(main, member))
    chosen: dict[str, list[Write]] = {t: list(w) for t, w in whole.items()}
    guard = None
    if guarded and whole:
        rows = _row_diffs(public, keys, previous, areas, whole) if same_layout else None
        record = previous.public.guard
        saving = sum(cell_bytes(w) for w in whole.values()) - sum(
            cell_bytes(w) for w in (rows or {}).values()
        )
        if rows is not None and (record or saving > PUBLIC_DIFF_WORTH_BYTES):
            chosen.update(rows)
        if record or (rows is not None and saving > PUBLIC_DIFF_WORTH_BYTES):
            guard = Guard(record, guard_mark(record, tabs))
    changes = {
        labels.PUBLIC_TAB_CHANGE.format(title=t): _public_change(w, tabs[t], previous.public.tabs.get(t))
        for t, w in chosen.items()
    }
    writes = [w for ws in chosen.values() for w in ws]
    rewrite = [w for t, g in public.items() for w in full_rewrite(t, g, *bounds[t])] if guard else []
    return PublicWrites(writes, rewrite, guard, changes, tabs, published)


def _row_diffs(
    public: Mapping[str, Grid],
    keys: Mapping[str, list[tuple[str, str]]],
    previous: State,
    areas: Mapping[str, str],
    whole: Mapping[str, list[RangeWrite]],
) -> dict[str, list[Write]] | None:
    """The changed list tabs' row diffs against the recorded rows; None when the record is not whole."""
    order = recorded_order(previous.published)
    if order is None:
        return None
    out: dict[str, list[Write]] = {}
    for title, writes in whole.items():
        if title not in keys:
            out[title] = list(writes)
            continue
        code = areas.get(title)
        old = [(e, p.digest) for e, p in order if code is None or code in p.areas]
        grid, record = public[title], previous.public.tabs.get(title)
        width = len(grid[0])
        if record is None or record.cols != width or record.digest != sequence_digest(grid[0], old):
            return None  # the record does not describe this tab: rewrite (a guard reset follows)
        out[title] = keyed_diff(title, old, keys[title], grid, width)
    return out


def guard_mark(previous: str, tabs: Mapping[str, TabRecord]) -> str:
    """The next mark of the public workbook: a number (a Google Sheets tab id), the same for the same input."""
    text = previous + "".join(f"{t}={r.digest};" for t, r in sorted(tabs.items()))
    mark = str(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 0x7FFFFFFE + 1)
    return mark if mark != previous else str(int(mark) % 0x7FFFFFFE + 1)


def _public_change(writes: Sequence[Write], now: TabRecord, before: TabRecord | None) -> TabChange:
    """How many rows a public tab gains, loses and sees changed (the preview's figures)."""
    old_rows = before.rows if before else 0
    if writes and all(isinstance(w, RangeWrite) and w.row == 0 for w in writes):  # rewritten whole
        return TabChange(
            added=max(0, now.rows - old_rows),
            changed=min(now.rows, old_rows),
            removed=max(0, old_rows - now.rows),
            cells=count_cells(writes),
        )
    inserted = sum(w.count for w in writes if isinstance(w, RowInsert))
    deleted = sum(w.count for w in writes if isinstance(w, RowDelete))
    written = sum(len(w.values) for w in writes if isinstance(w, RangeWrite))
    return TabChange(
        added=inserted, changed=max(0, written - inserted), removed=deleted, cells=count_cells(writes)
    )


def _figures(resolution: Resolution) -> dict[str, int]:
    accepted = sum(1 for o in resolution.outcomes if o.status == "accepted")
    return {
        "responses": len(resolution.outcomes),
        "accepted": accepted,
        "rejected": len(resolution.outcomes) - accepted,
        "organisations": sum(1 for o in resolution.organisations if o.rows and o.status is not Status.MERGED),
        "review_pairs": len(resolution.review),
    }


def problem_codes(resolution: Resolution, other: Sequence[Problem]) -> dict[str, int]:
    """How many problems of each code this sync found (response rows, decisions, calendar, columns)."""
    counts = Counter(p.code for o in resolution.outcomes for p in o.checked.problems)
    counts.update(p.code for p in other)
    return dict(sorted(counts.items()))


def _report_figures(wanted: Wanted, settings: Settings) -> dict[str, object]:
    """The report's figures: what the `_cifre` line keeps for the report of a skipped sync."""
    resolution = wanted.resolution
    per_area = {
        a.tab: sum(1 for o in resolution.organisations if o.listed and a.code in o.areas)
        for a in settings.ambito.areas
    }
    return {
        **_figures(resolution),
        "per_area": per_area,
        "anomalies": sum(1 for o in resolution.outcomes for _ in o.checked.problems),
        "problem_codes": problem_codes(resolution, wanted.problems),
    }


def _state_writes(snapshot: Snapshot, state: State) -> list[RangeWrite]:
    return _diff_state(snapshot.tabs.get(STATE_TAB, []), render_state(state))


def _diff_state(current: Grid, grid: Grid) -> list[RangeWrite]:
    return diff_tab(current, WantedTab(STATE_TAB, [list(r) for r in grid], len(STATE_HEADER)))


class _StateTab:
    """`_stato` rendered and diffed once for `state`; the same state with another `_ingressi` digest then
    costs that one line's render and diff, not the whole tab's (the tab holds a line per response)."""

    def __init__(self, current: Grid, state: State) -> None:
        self.current, self.state = current, state
        self.grid = render_state(state)
        self.writes = _diff_state(current, self.grid)
        rows = (i for i, r in enumerate(self.grid) if r[0] == "pubblico" and r[1] == INPUT_KEY)
        self.inputs_row = next(rows, -1)

    def with_inputs(self, inputs: str) -> tuple[State, list[RangeWrite]]:
        """The state recording `inputs`, and the writes that turn the tab read into its render."""
        final = replace(self.state, public=replace(self.state.public, inputs=inputs))
        r = self.inputs_row
        if r < 0 or not inputs:  # the line appears or goes: later lines move, so render it all
            return final, _diff_state(self.current, render_state(final))
        # The same lines at the same places but this one: the whole tab's writes with this row's redone.
        line = [*self.grid[r][:2], inputs, *self.grid[r][3:]]
        runs = [(w.row + i, w.col, v) for w in self.writes for i, v in enumerate(w.values) if w.row + i != r]
        old = [self.current[r]] if r < len(self.current) else []
        runs += [(r, w.col, w.values[0]) for w in _diff_state(old, [line])]
        runs.sort(key=lambda run: (run[0], run[1]))
        return final, _rectangles(STATE_TAB, runs)


def _rectangles(tab: str, runs: Sequence[tuple[int, int, Sequence[str]]]) -> list[RangeWrite]:
    """Runs of cells (row, first column, values), in row then column order, stacked as `diff_tab` stacks
    them: consecutive rows with the same columns make one rectangle."""
    out: list[RangeWrite] = []
    block: list[Sequence[str]] = []
    top = col = -1
    for r, c, values in runs:
        if block and c == col and r == top + len(block) and len(values) == len(block[0]):
            block.append(values)
            continue
        if block:
            out.append(RangeWrite(tab, top, col, tuple(tuple(v) for v in block)))
        block, top, col = [values], r, c
    if block:
        out.append(RangeWrite(tab, top, col, tuple(tuple(v) for v in block)))
    return out


def _log_writes(snapshot: Snapshot, now: datetime, trigger: str, figures: dict[str, int]) -> list[RangeWrite]:
    log = snapshot.tabs.get(REGISTRO, [])
    line = render_log_line(now, trigger, figures, labels.LOG_COMPLETED)
    rows: list[list[str | None]] = [list(r) for r in log]
    return diff_tab(log, WantedTab(REGISTRO, [*rows, list(line)], len(line)))


def _public_part(wanted: Wanted, settings: Settings, *, guarded: bool) -> tuple[PublicWrites, PublicRecord]:
    """The public workbook's writes, and the record (`_stato`) saying what it and the staff layout then are."""
    previous = wanted.previous.public
    structure = layout_digest(public_specs(settings.ambito))
    out = _public_diff(
        wanted.public,
        wanted.previous,
        {a.tab: a.code for a in settings.ambito.areas},
        next_id=wanted.resolution.state.next_id,
        guarded=guarded,
        same_layout=previous.structure == structure,
    )
    record = replace(
        previous,
        data=wanted.data_digest,
        updated=wanted.updated,
        files=PUBLIC_FILES_VERSION,
        staff_layout=layout_digest(staff_specs(settings.ambito)),
        structure=structure if out.changes else previous.structure,
        tabs=out.tabs,
        guard=out.guard.then if out.guard else previous.guard,
    )
    return out, record


@collector_paused()
def plan_sync(
    snapshot: Snapshot,
    settings: Settings,
    now: datetime,
    *,
    trigger: str = "manuale",
    dry_run: bool = False,
    version: str = "",
    fresh_staff: bool = False,
    guarded: bool = False,
    free_moves: bool = False,
) -> SyncPlan:
    """The whole decision of a sync over `snapshot` (`fresh_staff`: its staff tabs were just created;
    `version`: the program's, which the idle short-cut's digest depends on; `guarded`: the backend diffs the
    public tabs' rows behind a `Guard`, `Backend.guards_public`; `free_moves`: rows move whenever that writes
    fewer cells, `Backend.free_row_moves`)."""
    wanted = plan_tabs(snapshot, settings, now)
    resolution, previous = wanted.resolution, wanted.previous.public
    staff_writes, changes = _staff_diff(wanted.staff, 0 if free_moves else MOVES_WORTH_BYTES)
    out, record = _public_part(wanted, settings, guarded=guarded)
    public_writes = out.writes
    changes.update(out.changes)
    figures = _report_figures(wanted, settings)
    state = replace(resolution.state, public=record, published=out.published)
    log_writes: list[RangeWrite] = []
    state_writes: list[RangeWrite] = []
    closing = None
    # the state is diffed without this sync's figures only when nothing else decides that it writes
    if staff_writes or public_writes or _state_writes(snapshot, state):
        record = replace(record, figures=figures_text(figures))
        state = replace(state, public=record)
        # rendered and diffed once; each closing below changes only the `_ingressi` line
        tab = _StateTab(snapshot.tabs.get(STATE_TAB, []), state)

        def closing(cells: int) -> tuple[list[RangeWrite], State, list[RangeWrite]]:
            """The log line saying `cells`, and the state recording what the staff workbook then reads (for
            the next sync's idle short-cut)."""
            log = _log_writes(snapshot, now, trigger, {**_figures(resolution), "cells_written": cells})
            after = after_writes(snapshot.tabs, [*staff_writes, *log, *tab.writes])
            digest = input_digest(snapshot.responses, after, digest_context(settings, version))
            final, writes = tab.with_inputs(digest)
            return log, final, writes

        # The log counts every cell the sync writes, its own line's and the state's included: how many cells
        # those take does not depend on the figure written (a count is never an empty cell).
        log_writes, state, state_writes = _closed(closing, count_cells(staff_writes) + count_cells(public_writes))
    report = Report.model_validate(
        {
            **figures,
            "started_at": now.isoformat(timespec="seconds"),
            "duration_s": 0.0,
            "trigger": trigger,
            "tabs_changed": {t: c.cells for t, c in changes.items()},
            "dry_run": dry_run,
        }
    )
    return SyncPlan(
        wanted=wanted,
        staff_writes=tuple(staff_writes),
        log_writes=tuple(log_writes),
        state_writes=tuple(state_writes),
        public_writes=tuple(public_writes),
        public_rewrite=tuple(out.rewrite),
        public_guard=out.guard,
        changes=changes,
        ensure_public=bool(public_writes) and previous.structure != record.structure,
        repair_staff=not fresh_staff and previous.staff_layout != record.staff_layout,
        files_due=bool(out.changes) or previous.files != PUBLIC_FILES_VERSION,
        state=state,
        report=report,
        closing=closing,
    )


def _closed(closing: Closing, cells: int) -> tuple[list[RangeWrite], State, list[RangeWrite]]:
    """The log line and the state for a sync writing `cells` in its tabs, plus the cells those two take
    (how many does not depend on the figure written: a count is never an empty cell)."""
    log_writes, _, state_writes = closing(cells)
    return closing(cells + count_cells(log_writes) + count_cells(state_writes))


def idle_report(
    snapshot: Snapshot, settings: Settings, now: datetime, *, trigger: str, version: str
) -> Report | None:
    """The report of a sync that reads exactly what the previous one left (`sync.shortcut`), or None: then
    it must plan."""
    record = read_state(snapshot.tabs.get(STATE_TAB, [])).public
    context = digest_context(settings, version)
    if not record.inputs or record.inputs != input_digest(snapshot.responses, snapshot.tabs, context):
        return None
    figures = read_figures(record.figures)
    if figures is None:
        return None
    try:
        return Report.model_validate(
            {
                **figures,
                "started_at": now.isoformat(timespec="seconds"),
                "duration_s": 0.0,
                "trigger": trigger,
            }
        )
    except ValidationError:
        return None


__all__ = [
    "LAYOUT_VERSION",
    "PUBLIC_FILES_VERSION",
    "PublicRecord",
    "SyncPlan",
    "TabChange",
    "Wanted",
    "digest_context",
    "idle_report",
    "layout_digest",
    "plan_sync",
    "plan_tabs",
    "problem_codes",
]
