"""Shared helpers of the reliability suites (`tests/test_reliability_*.py`, `bench/reliability.py`).

A fixed synthetic dataset split in three (rows present at the first sync, rows that arrive later, rows that
arrive *during* a sync), the staff edits a person types (a decision, attendance marks, free notes), stores
wired to the Sheets API fake with instant retries, and the comparisons that define "nothing lost":

- `comparable(book)` is a workbook as the suites compare it. Every tab is compared cell for cell except
  `Registro sincronizzazioni`, of which only the header and the figures of the last line are kept: its
  "Data e ora" is the wall time of a sync and its "Celle scritte" depends on what the previous attempt
  already wrote, and a sync that failed may or may not have logged its line, so the number of lines is
  not compared either.
- `typed_cells_present(book, edits)` checks that every cell a person typed is still where it was typed.

Run as a script, it is the child process that the SIGKILL suite kills (`python -m tests.reliability_helpers
sync FOLDER ISO_NOW [KILL_AT]`): with KILL_AT = n > 0 the child kills itself at the n-th I/O step of the
writes (a zip member, an fsync or a rename, before or after it), with 0 it only counts the steps.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import random
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from sync.backends.base import Grid
from sync.backends.gsheets import GSheetsStore
from sync.config import Settings, load_settings
from sync.demo_data import generate, load_vocabulary
from sync.shortcut import INPUT_KEY

if TYPE_CHECKING:
    from sync.backends.memory import MemoryStore

RESPONSES_TAB = "Risposte del modulo 1"
REGISTRO = "Registro sincronizzazioni"
DECISIONI = "Decisioni"
ELENCO = "Elenco"
RISPOSTE = "Risposte"
STATE_TAB = "_stato"
# Three sync times: the first sync, then every later one (a recovery sync keeps the time of the sync it
# recovers, so that "Ultimo aggiornamento" of the public list - the time its data last changed - matches).
T1 = datetime(2024, 5, 20, 10, 0)
T2 = datetime(2024, 5, 27, 10, 0)
FREE_NOTE_HEADER = "Note ufficio"
# Figures of a `Registro sincronizzazioni` line that must match: Avvio, Risposte … Duplicati, Esito.
REGISTRO_FIGURES = (1, 2, 3, 4, 5, 6, 8)
# The same without "Avvio", for two syncs started together by different triggers (either may log the line).
REGISTRO_FIGURES_ANY_TRIGGER = (2, 3, 4, 5, 6, 8)


@lru_cache(maxsize=1)
def crema() -> Settings:
    """The Crema preset (tax code and RUNTS required), loaded once."""
    return load_settings("crema")


@dataclass(frozen=True)
class Dataset:
    """A form export split by arrival: at the first sync, before the second, during a sync."""

    header: list[str]
    initial: list[list[str]]
    later: list[list[str]]
    mid: list[list[str]]

    @property
    def all_rows(self) -> list[list[str]]:
        """Every data row, in arrival order."""
        return [*self.initial, *self.later, *self.mid]


@lru_cache(maxsize=4)
def dataset(organisations: int = 60, seed: int = 3) -> Dataset:
    """Realistic rows of `organisations` organisations; the last rows (latest timestamps) arrive mid-sync."""
    demo = generate(crema().ambito, organisations, vocabulary=load_vocabulary(), seed=seed)
    rows = [list(r) for r in demo.rows]
    a, b = int(len(rows) * 0.7), len(rows) - 3
    return Dataset(list(demo.header), rows[:a], rows[a:b], rows[b:])


# -- staff edits ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Typed:
    """A cell a person types: in `tab`, on the row whose column A is `entity`, under the header `column`.

    A header missing from the tab is typed too, in the first free column (a column staff add).
    """

    tab: str
    entity: str
    column: str
    value: str


@dataclass(frozen=True)
class StaffEdits:
    """What a person types at one moment: decision rows appended to `Decisioni`, and single cells."""

    decisions: tuple[tuple[str, ...], ...] = ()
    cells: tuple[Typed, ...] = ()


def _col_of(header: Sequence[str], column: str) -> int:
    return list(header).index(column) if column in header else len(header)


def _row_of(grid: Grid, entity: str) -> int:
    for r, row in enumerate(grid):
        if r and row and row[0] == entity:
            return r
    raise AssertionError(f"no row for {entity!r} in the tab")


def edit_cells(grid: Grid, edits: StaffEdits, tab: str) -> list[tuple[int, int, str]]:
    """The (row, column, value) cells, 0-based, that typing `edits` into `tab` (currently `grid`) sets."""
    out: list[tuple[int, int, str]] = []
    if tab == DECISIONI:
        last = max((r for r, row in enumerate(grid) if any(row)), default=0)
        for i, decision in enumerate(edits.decisions):
            out += [(last + 1 + i, c, v) for c, v in enumerate(decision) if v]
    header = list(grid[0]) if grid else []
    for t in edits.cells:
        if t.tab != tab:
            continue
        c = _col_of(header, t.column)
        if c == len(header):
            header.append(t.column)
            out.append((0, c, t.column))
        out.append((_row_of(grid, t.entity), c, t.value))
    return out


def tabs_touched(edits: StaffEdits) -> list[str]:
    """The tabs a set of edits types into."""
    return list(dict.fromkeys([*([DECISIONI] if edits.decisions else []), *(t.tab for t in edits.cells)]))


def type_into_grids(book: dict[str, Grid], edits: StaffEdits) -> None:
    """Type the edits into in-memory grids (a MemoryStore's `staff`)."""
    for tab in tabs_touched(edits):
        grid = book[tab]
        for r, c, v in edit_cells(grid, edits, tab):
            while len(grid) <= r:
                grid.append([])
            row = grid[r]
            row.extend([""] * (c + 1 - len(row)))
            row[c] = v


def a1(row: int, col: int) -> str:
    """A 0-based cell as A1."""
    letters, n = "", col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return f"{letters}{row + 1}"


def type_into_fake(fake: Any, sid: str, edits: StaffEdits) -> None:
    """Type the edits into the fake's spreadsheet as a person does (USER_ENTERED, cell by cell)."""
    for tab in tabs_touched(edits):
        for r, c, v in edit_cells(fake.values(sid, tab), edits, tab):
            fake.set_values(sid, tab, [[v]], start=a1(r, c))


def typed_cells_present(book: Mapping[str, Grid], edits: StaffEdits) -> list[str]:
    """What a person typed and is no longer where it was typed (empty = nothing lost)."""
    lost: list[str] = []
    for t in edits.cells:
        grid = book.get(t.tab, [])
        header = grid[0] if grid else []
        if t.column not in header:
            lost.append(f"{t.tab}: column {t.column!r}")
            continue
        c = header.index(t.column)
        rows = [row for row in grid[1:] if row and row[0] == t.entity]
        if len(rows) != 1 or rows[0][c : c + 1] != [t.value]:
            lost.append(f"{t.tab}: {t.entity} / {t.column} = {t.value!r}")
    decisions = [_trimmed(row) for row in book.get(DECISIONI, [])]
    for d in edits.decisions:
        if _trimmed(d) not in decisions:
            lost.append(f"{DECISIONI}: {d!r}")
    return lost


def _trimmed(row: Sequence[str]) -> tuple[str, ...]:
    end = len(row)
    while end and not row[end - 1]:
        end -= 1
    return tuple(row[:end])


def pick_entities(book: Mapping[str, Grid]) -> list[tuple[str, str]]:
    """(roster tab, ID) of listed organisations, in roster order, from the roster with the most rows."""
    rosters = sorted((t for t in book if t.startswith("Presenze ")), key=lambda t: (-len(book[t]), t))
    out: list[tuple[str, str]] = []
    for tab in rosters:
        out += [(tab, row[0]) for row in book[tab][1:] if row and row[0]]
    return out


def meeting_columns(grid: Grid) -> list[str]:
    """The meeting columns of a roster (after the fixed ones)."""
    return [h for h in grid[0][7:] if h]


def edits_between(book: Mapping[str, Grid]) -> StaffEdits:
    """Edits typed between two syncs: a suspension, an attendance mark, a roster note, a free note."""
    picks = pick_entities(book)
    (tab_a, a), (_, b), (_, c) = picks[0], picks[1], picks[2]
    meeting = meeting_columns(book[tab_a])[0]
    return StaffEdits(
        decisions=((c, "Sospendi", "", "documentazione incompleta", "Ufficio di Piano", "21/05/2024"),),
        cells=(
            Typed(tab_a, a, meeting, "P"),
            Typed(tab_a, a, "Note", "nuovo referente da giugno"),
            Typed(ELENCO, b, FREE_NOTE_HEADER, "telefonare per il RUNTS"),
        ),
    )


def edits_during(book: Mapping[str, Grid]) -> StaffEdits:
    """Edits typed while a sync runs: an exclusion, another attendance mark, another free note."""
    picks = pick_entities(book)
    (tab_a, a), (_, d), (_, e) = picks[0], picks[3], picks[4]
    meeting = meeting_columns(book[tab_a])[-1]
    return StaffEdits(
        decisions=((d, "Escludi", "", "requisiti non posseduti", "Ufficio di Piano", "22/05/2024"),),
        cells=(
            Typed(tab_a, a, meeting, "A"),
            Typed(ELENCO, e, FREE_NOTE_HEADER, "verificare la PEC"),
        ),
    )


def merge_edits(*parts: StaffEdits) -> StaffEdits:
    """Several sets of edits as one (for the final check)."""
    return StaffEdits(
        decisions=tuple(d for p in parts for d in p.decisions), cells=tuple(c for p in parts for c in p.cells)
    )


# -- comparisons ---------------------------------------------------------------------------------------------


def comparable(
    book: Mapping[str, Grid],
    skip: Sequence[str] = (RESPONSES_TAB, "Sheet1"),
    figures: Sequence[int] = REGISTRO_FIGURES,
) -> dict[str, Grid]:
    """A workbook as compared: every tab as is, `Registro sincronizzazioni` as header + last line's figures."""
    out: dict[str, Grid] = {}
    for title, grid in book.items():
        if title in skip:
            continue
        if title == REGISTRO and grid:
            last = [*grid[-1], *[""] * 9][:9] if len(grid) > 1 else []
            out[title] = [list(grid[0]), [last[i] for i in figures] if last else []]
        elif title == STATE_TAB:
            # the digest of the inputs covers the whole log, compared above by its last figures
            out[title] = [list(r) for r in grid if list(r[:2]) != ["pubblico", INPUT_KEY]]
        else:
            out[title] = [list(r) for r in grid]
    return out


def diff_books(got: Mapping[str, Grid], want: Mapping[str, Grid], limit: int = 5) -> list[str]:
    """Human-readable differences between two comparable workbooks (empty = equal)."""
    out: list[str] = []
    for title in sorted(set(got) | set(want)):
        if title not in got or title not in want:
            out.append(f"tab {title!r} only in {'expected' if title in want else 'actual'}")
            continue
        g, w = got[title], want[title]
        for r in range(max(len(g), len(w))):
            gr, wr = (g[r] if r < len(g) else None), (w[r] if r < len(w) else None)
            if gr != wr:
                out.append(f"{title} row {r + 1}: got {gr!r}, want {wr!r}")
                if len(out) >= limit:
                    return out
    return out


def ids_problems(book: Mapping[str, Grid], before: Mapping[str, Grid] | None = None) -> list[str]:
    """Duplicate or missing IDs in `Elenco`, and IDs of response rows that changed since `before`."""
    problems: list[str] = []
    ids = [row[0] for row in book.get(ELENCO, [])[1:] if row]
    if len(ids) != len(set(ids)):
        problems.append(f"duplicate IDs in Elenco: {sorted(i for i in set(ids) if ids.count(i) > 1)}")
    if ids != [f"E-{n:04d}" for n in range(1, len(ids) + 1)]:
        problems.append("Elenco IDs are not E-0001… in order without gaps")
    if before is not None:
        now = _row_ids(book)
        for row, entity in _row_ids(before).items():
            if entity and now.get(row) != entity:
                problems.append(f"response row {row}: ID {entity} became {now.get(row)!r}")
    return problems


def _row_ids(book: Mapping[str, Grid]) -> dict[str, str]:
    grid = book.get(RISPOSTE, [])
    col = grid[0].index("ID ente") if grid and "ID ente" in grid[0] else 3
    return {row[0]: (row[col] if len(row) > col else "") for row in grid[1:] if row}


# -- the Google fake -----------------------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock that moves only when someone sleeps: backoff and the rate limiter never wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Advance the clock instead of waiting."""
        self.slept += seconds
        self.now += seconds


class HookedSession(requests.Session):
    """A `requests.Session` that runs `before[n]` just before sending its n-th request (1-based)."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # 127.0.0.1 only: never a proxy from the environment
        self.sent = 0
        self.before: dict[int, Callable[[], None]] = {}

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Run the hook of this request number, if any, then send."""
        self.sent += 1
        hook = self.before.pop(self.sent, None)
        if hook is not None:
            hook()
        return super().send(request, **kwargs)


def gsheets_store(
    fake: Any,
    staff: str,
    public: str,
    lock_dir: Path,
    *,
    session: requests.Session | None = None,
    seed: int = 0,
    max_retries: int = 3,
    timeout_s: float = 1.0,
) -> GSheetsStore:
    """A GSheetsStore on the fake whose backoff and rate limiter use a fake clock (no real waiting)."""
    clock = FakeClock()
    if session is None:
        session = HookedSession()
    return GSheetsStore(
        session,
        staff,
        public,
        endpoint=fake.base_url,
        timeout_s=timeout_s,
        max_retries=max_retries,
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(seed),
        lock_dir=lock_dir,
    )


def fake_book(fake: Any, sid: str) -> dict[str, Grid]:
    """Every tab of a fake spreadsheet as text."""
    return {t: [[str(v) for v in row] for row in fake.values(sid, t)] for t in fake.sheet_titles(sid)}


def fake_structure(fake: Any, sid: str) -> list[tuple[Any, ...]]:
    """Tabs in order with visibility, frozen panes, protections and dropdowns (no ids, no grid sizes)."""
    out: list[tuple[Any, ...]] = []
    for title in fake.sheet_titles(sid):
        props = fake.sheet_properties(sid, title)
        grid = props.get("gridProperties", {})
        protections = sorted(
            (
                str(p.get("description", "")),
                bool(p.get("warningOnly", False)),
                json.dumps({k: v for k, v in p.get("range", {}).items() if k != "sheetId"}, sort_keys=True),
            )
            for p in fake.protected_ranges(sid, title)
        )
        rules = len(fake.data_validations(sid, title))
        out.append(
            (
                title,
                bool(props.get("hidden", False)),
                grid.get("frozenRowCount", 0),
                grid.get("frozenColumnCount", 0),
                tuple(protections),
                rules,
            )
        )
    return out


# -- fault scenarios on the Google fake ----------------------------------------------------------------------

FAULT_KINDS = ("429", "500", "503", "timeout", "drop")
OUTAGE_KINDS = ("500", "503", "timeout", "drop")  # faults that end a sync after ATTEMPTS tries
# The store gives up after this many attempts of one request, so a run of this many faults in a row makes
# the sync fail at that point (e.g. between the public and the staff write).
ATTEMPTS = 3
# A "timeout" fault holds the answer longer than the store waits for it.
CLIENT_TIMEOUT_S = 0.4
HOLD_S = 0.6


@dataclass
class Played:
    """The end of one scenario: both workbooks as compared, their structure, and what happened on the way."""

    staff: dict[str, Grid]
    public: dict[str, Grid]
    structure: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]
    setup: dict[str, Grid]
    failed_syncs: int = 0
    outcome: str = ""  # of the faulty sync: ok | failed before writing | failed between writes | …
    idle_requests: int = 0
    lost: tuple[str, ...] = ()
    id_problems: tuple[str, ...] = ()
    fake_errors: int = 0


def random_schedule(rng: random.Random, span: int, staff_write: int) -> dict[int, Any]:
    """Faults on random request numbers (1-based from the faulty sync's first request) within `span`.

    Half the outages start at the staff write (request `staff_write` of a fault-free run, shifted by the
    retries of earlier faults): the sync then stops between its public and its staff write.
    """
    from tests.fakes.sheets_api import Fault

    def one(kinds: tuple[str, ...] = FAULT_KINDS) -> Any:
        kind = rng.choice(kinds)
        return Fault(kind, rng.random() < 0.5, HOLD_S if kind == "timeout" else None)

    schedule: dict[int, Any] = {}
    for _ in range(rng.choice((1, 1, 2, 3))):
        schedule[rng.randint(1, span)] = one()
    if rng.random() < 0.5:
        # an outage: ATTEMPTS faults in a row, the store gives up there
        if rng.random() < 0.5:
            start = staff_write + sum(1 for n in schedule if n <= staff_write)
        else:
            start = rng.randint(1, span)
        # one cause for the whole outage (a network down, a server failing); a 429 burst of ATTEMPTS answers
        # is waited out over the quota window (tests/test_gsheets_budget.py gives up on a longer one)
        outage = one(OUTAGE_KINDS)
        for n in range(start, start + ATTEMPTS):
            schedule[n] = outage
    return schedule


SPAN = {"first": 16, "incremental": 7}
# The staff write's request number in a fault-free faulty sync (`tests/test_backend_gsheets.py` counts them).
STAFF_WRITE = {"first": 12, "incremental": 3}


def play(
    fake: Any,
    lock_dir: Path,
    scenario: str,
    *,
    schedule: Mapping[int, Any] | None = None,
    event_at: int | None = None,
    event_delay_s: float | None = None,
    seed: int = 0,
) -> Played:
    """Run a scenario on fresh spreadsheets of `fake`; `schedule` faults hit its faulty sync.

    "first": the very first sync is the faulty one (tabs, protections and headers are created in it) and
    new form rows arrive during it. "incremental": after a first sync and edits typed by staff, new rows
    arrive, and the faulty sync sees staff type a decision, an attendance mark and a free note, and more form
    rows arrive, while it runs. `event_at` = n: that happens just before the faulty sync's n-th request;
    `event_delay_s` = s: another thread does it s seconds after the sync starts (None for both: right after
    the faulty sync). After the faulty sync, one more sync (faults scheduled beyond the
    faulty sync's requests hit it), then faults are cleared and one fault-free sync must converge; a last
    sync must then make a single request (nothing new, nothing written).
    """
    from sync.errors import TransientError
    from sync.pipeline import run_sync

    ds = dataset()
    settings = crema()
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES_TAB: [ds.header, *ds.initial]})
    public = fake.create_spreadsheet("Elenco pubblico")
    session = HookedSession()
    store = gsheets_store(
        fake,
        staff,
        public,
        lock_dir,
        session=session,
        seed=seed,
        max_retries=ATTEMPTS,
        timeout_s=CLIENT_TIMEOUT_S,
    )
    played = Played({}, {}, ([], []), {})
    errors_before = len(fake.errors)
    typed: list[StaffEdits] = []

    def sync(now: datetime) -> bool:
        try:
            run_sync(store, settings, now, trigger="cron")
        except TransientError:
            played.failed_syncs += 1
            return False
        return True

    def append(rows: Sequence[Sequence[str]]) -> None:
        start = len(fake.values(staff, RESPONSES_TAB)) + 1
        fake.set_values(staff, RESPONSES_TAB, [list(r) for r in rows], start=f"A{start}", input_option="RAW")

    try:
        if scenario == "first":

            def event() -> None:
                append(ds.later)

            now = T1
        else:
            sync(T1)
            edits = edits_between(fake_book(fake, staff))
            type_into_fake(fake, staff, edits)
            typed.append(edits)
            append(ds.later)
            during = edits_during(fake_book(fake, staff))

            def event() -> None:
                type_into_fake(fake, staff, during)
                typed.append(during)
                append(ds.mid)

            now = T2
        played.setup = fake_book(fake, staff)
        fake.reset_counts()
        fake.clear_faults()
        fake.schedule_faults(dict(schedule or {}))
        pending = event_at is not None or event_delay_s is not None
        if event_at is not None:
            session.before[session.sent + event_at] = event
        timer = threading.Timer(event_delay_s, event) if event_delay_s is not None else None
        if timer is not None:
            timer.start()
        ok = sync(now)
        if timer is not None:
            timer.join()
        played.outcome = "ok" if ok else "failed " + _where(fake.log, staff, public)
        if not pending:
            event()
        sync(now)  # faults scheduled beyond the faulty sync land here
        if session.before:  # the faulty syncs stopped before the event's request: it happens now
            session.before.clear()
            event()
        fake.clear_faults()
        if not sync(now):
            raise AssertionError("a fault-free sync failed")
        fake.reset_counts()
        sync(now)
        played.idle_requests = fake.count()
        staff_book, public_book = fake_book(fake, staff), fake_book(fake, public)
        played.staff, played.public = comparable(staff_book), comparable(public_book)
        played.structure = (fake_structure(fake, staff), fake_structure(fake, public))
        played.lost = tuple(typed_cells_present(staff_book, merge_edits(*typed)))
        played.id_problems = tuple(ids_problems(staff_book, played.setup if scenario != "first" else None))
        played.fake_errors = len(fake.errors) - errors_before
        return played
    finally:
        session.close()
        fake.delete_spreadsheet(staff)
        fake.delete_spreadsheet(public)


def _where(log: Sequence[Any], staff: str, public: str) -> str:
    """Where a failed sync stopped, from the fake's log: which value writes were committed."""
    committed = [
        e.path
        for e in log
        if e.kind == "values.batchUpdate"
        and ((e.fault is None and e.status == 200) or (e.fault and e.fault.applied))
    ]
    last_public = max((i for i, p in enumerate(committed) if public in p), default=-1)
    if last_public < 0:
        return "before writing"
    if any(staff in p for p in committed[last_public + 1 :]):
        return "after writing"
    return "between writes"


@dataclass
class FaultCase:
    """One randomised fault schedule and what it proved."""

    seed: int
    scenario: str
    schedule: dict[int, Any]
    event_at: int
    played: Played
    problems: list[str]


def references(fake: Any, lock_dir: Path, scenario: str) -> list[Played]:
    """The fault-free runs a faulty one must end like: the mid-sync event before, or after, the sync."""
    return [play(fake, lock_dir, scenario, event_at=1), play(fake, lock_dir, scenario, event_at=None)]


def fault_case(fake: Any, lock_dir: Path, seed: int, refs: Mapping[str, list[Played]]) -> FaultCase:
    """Play one randomised schedule (seeded) and list every way it differs from a fault-free run."""
    rng = random.Random(seed)
    scenario = "first" if rng.random() < 0.3 else "incremental"
    schedule = random_schedule(rng, SPAN[scenario], STAFF_WRITE[scenario])
    event_at = rng.randint(1, SPAN[scenario] - 2)
    got = play(fake, lock_dir, scenario, schedule=schedule, event_at=event_at, seed=seed)
    return FaultCase(seed, scenario, dict(schedule), event_at, got, fault_problems(got, refs[scenario]))


def fault_problems(got: Played, refs: Sequence[Played]) -> list[str]:
    """Every way a faulty run differs from the fault-free runs `refs` (empty = it converged)."""
    problems: list[str] = []
    matches = [r for r in refs if r.staff == got.staff and r.public == got.public]
    if not matches:
        best = refs[0]
        problems += ["workbooks differ from every fault-free run:"]
        problems += diff_books(got.staff, best.staff) + diff_books(got.public, best.public)
    if got.structure != refs[0].structure:
        problems.append("tabs, protections or dropdowns differ from the fault-free run")
    if got.idle_requests != 1:
        problems.append(f"a sync with nothing new made {got.idle_requests} requests")
    problems += [f"lost: {x}" for x in got.lost]
    problems += list(got.id_problems)
    if got.fake_errors:
        problems.append(f"{got.fake_errors} errors inside the fake")
    return problems


# -- local files ---------------------------------------------------------------------------------------------


def xlsx_book(path: Path) -> dict[str, Grid]:
    """Every sheet of an xlsx file as text cells (trimmed), opened as a person's program would."""
    from sync.backends.xlsx import _read_workbook

    tabs, _hidden = _read_workbook(path)
    return tabs


def write_responses_csv(folder: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """The form's export, `risposte.csv`, as Google writes it (UTF-8, comma, quoted when needed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    tmp = folder / "risposte.csv.part"
    tmp.write_text(out.getvalue(), encoding="utf-8")
    os.replace(tmp, folder / "risposte.csv")


def type_into_xlsx(path: Path, edits: StaffEdits) -> None:
    """A person opens the staff workbook, types the edits and saves it (as LibreOffice would)."""
    import warnings

    from openpyxl import load_workbook

    book = xlsx_book(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wb = load_workbook(path)
    try:
        for tab in tabs_touched(edits):
            ws = wb[tab]
            for r, c, v in edit_cells(book[tab], edits, tab):
                ws.cell(row=r + 1, column=c + 1).value = v
        wb.save(path)
    finally:
        wb.close()


OUTPUTS = (
    "elenco-interno.xlsx",
    "elenco-pubblico.xlsx",
    "elenco-pubblico.csv",
    "elenco-pubblico.json",
    "elenco-pubblico.html",
    "elenco-pubblico.pdf",
    "datapackage.json",
)


def folder_files(folder: Path) -> dict[str, bytes]:
    """The bytes of every output file of a local folder (not the lock, not the responses)."""
    return {n: (folder / n).read_bytes() for n in OUTPUTS if (folder / n).exists()}


def leftovers(folder: Path) -> list[str]:
    """Temp files a killed writer left in the folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp") or p.name.endswith(".part"))


def copy_folder(src: Path, dst: Path) -> Path:
    """A copy of a local folder (a fresh case from a prepared state)."""
    shutil.copytree(src, dst)
    return dst


# -- SIGKILL at random points of a local sync -----------------------------------------------------------------

# The child process: one local sync. It prints "ready" once imported, then runs the sync; with KILL_AT = n > 0
# it SIGKILLs itself at the n-th I/O step of the writes (a zip member written by openpyxl, an fsync, a rename),
# just before or just after it; at the end it prints how many steps there were.
CHILD_CODE = """
import os, random, signal, sys, zipfile
from datetime import datetime
from pathlib import Path
from sync.backends.xlsx import XlsxStore
from sync.config import load_settings
from sync.pipeline import run_sync

folder, when, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
settings = load_settings("crema")
store = XlsxStore(Path(folder))
steps = [0]
rng = random.Random(kill_at)

def tick(fn):
    def wrapped(*args, **kwargs):
        steps[0] += 1
        after = rng.random() < 0.5
        if steps[0] == kill_at and not after:
            os.kill(os.getpid(), signal.SIGKILL)
        result = fn(*args, **kwargs)
        if steps[0] == kill_at and after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapped

zipfile.ZipFile.write = tick(zipfile.ZipFile.write)
zipfile.ZipFile.writestr = tick(zipfile.ZipFile.writestr)
os.fsync = tick(os.fsync)
os.replace = tick(os.replace)
print("ready", flush=True)
run_sync(store, settings, datetime.fromisoformat(when), trigger="cron")
print("steps", steps[0], flush=True)
"""


@dataclass(frozen=True)
class ChildRun:
    """How a child sync ended: exit code (-9 = killed), write steps (-1 if killed), seconds after "ready"."""

    code: int
    steps: int
    seconds: float


def run_child(
    folder: Path, when: datetime, *, kill_at: int = 0, kill_after_s: float | None = None
) -> ChildRun:
    """Run one local sync in a child process; SIGKILL it `kill_after_s` seconds after it is ready, or let it
    kill itself at its `kill_at`-th write step."""
    import subprocess
    import time

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD_CODE, str(folder), when.isoformat(), str(kill_at)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=root,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != "ready":
            proc.kill()
            _, err = proc.communicate(timeout=60)
            raise AssertionError(f"the child did not start: {line!r} {err[-2000:]}")
        ready = time.perf_counter()
        if kill_after_s is not None:
            time.sleep(kill_after_s)
            proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
        seconds = time.perf_counter() - ready
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    steps = -1
    for word in out.split("\n"):
        if word.startswith("steps "):
            steps = int(word.split()[1])
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"the child sync failed ({proc.returncode}): {err[-2000:]}")
    return ChildRun(proc.returncode, steps, seconds)


@dataclass
class LocalState:
    """The output files of a local folder: bytes, and each workbook's sheets as text."""

    files: dict[str, bytes]
    books: dict[str, dict[str, Grid]]


def local_state(folder: Path) -> LocalState:
    """Read every output of a local folder (a workbook that does not open raises)."""
    files = folder_files(folder)
    books = {n: xlsx_book(folder / n) for n in files if n.endswith(".xlsx")}
    for n, data in files.items():
        if n.endswith(".json"):
            json.loads(data.decode("utf-8"))
    return LocalState(files, books)


@dataclass
class KillBase:
    """A prepared folder (state before the killed sync) and what the killed sync would have left."""

    scenario: str
    before_dir: Path
    before: LocalState
    after: LocalState
    when: datetime
    edits: StaffEdits
    steps: int
    duration_s: float


def prepare_kill_base(root: Path, scenario: str) -> KillBase:
    """Prepare the folder a killed sync starts from, and the fault-free result of that sync.

    "first": only `risposte.csv`, the sync creates every file. "incremental": after a first sync, staff
    typed a decision, attendance marks and free notes in `elenco-interno.xlsx` and new rows arrived.
    """
    from sync.backends.xlsx import XlsxStore
    from sync.pipeline import run_sync

    ds = dataset()
    before_dir = root / f"before-{scenario}"
    before_dir.mkdir(parents=True)
    edits = StaffEdits()
    if scenario == "first":
        write_responses_csv(before_dir, ds.header, [*ds.initial, *ds.later])
        when = T1
    else:
        write_responses_csv(before_dir, ds.header, ds.initial)
        run_sync(XlsxStore(before_dir), crema(), T1, trigger="cron")
        staff = before_dir / "elenco-interno.xlsx"
        first = edits_between(xlsx_book(staff))
        type_into_xlsx(staff, first)
        second = edits_during(xlsx_book(staff))
        type_into_xlsx(staff, second)
        edits = merge_edits(first, second)
        write_responses_csv(before_dir, ds.header, ds.all_rows)
        when = T2
    (before_dir / ".elenco.lock").unlink(missing_ok=True)
    after_dir = copy_folder(before_dir, root / f"after-{scenario}")
    done = run_child(after_dir, when)
    assert done.code == 0 and done.steps > 0
    return KillBase(
        scenario,
        before_dir,
        local_state(before_dir),
        local_state(after_dir),
        when,
        edits,
        done.steps,
        done.seconds,
    )


def _same_file(a: LocalState, b: LocalState, name: str) -> bool:
    """The same workbook content (xlsx bytes differ by their timestamps), or the same bytes."""
    if name.endswith(".xlsx"):
        return a.books.get(name) == b.books.get(name)
    return a.files.get(name) == b.files.get(name)


def _is_prefix(book: Mapping[str, Grid], final: Mapping[str, Grid]) -> bool:
    """Every tab of `final` is there, holding only a beginning of its rows (header, seed rows), nothing else."""
    return list(book) == list(final) and all(
        len(grid) <= len(final[t]) and all(row == final[t][i][: len(row)] for i, row in enumerate(grid))
        for t, grid in book.items()
    )


@dataclass
class KillCase:
    """One SIGKILL and what it proved."""

    seed: int
    scenario: str
    how: str  # "at write step n/N" or "after x.xx s"
    killed: bool
    states: dict[str, str]  # file -> "before" | "after" | "absent"
    leftovers: list[str]
    problems: list[str]


def kill_case(base: KillBase, work: Path, seed: int) -> KillCase:
    """Kill a local sync at a random point, check every file, then check that one sync converges."""
    from sync.backends.xlsx import XlsxStore
    from sync.pipeline import run_sync

    rng = random.Random(seed)
    folder = copy_folder(base.before_dir, work / f"kill-{base.scenario}-{seed}")
    if rng.random() < 0.5:
        step = rng.randint(1, base.steps)
        how = f"at write step {step}/{base.steps}"
        code = run_child(folder, base.when, kill_at=step).code
    else:
        delay = rng.uniform(0.0, base.duration_s)
        how = f"after {delay:.2f} s of {base.duration_s:.2f} s"
        code = run_child(folder, base.when, kill_after_s=delay).code
    try:
        now = local_state(folder)
    except Exception as err:  # a broken file is exactly what this looks for
        return KillCase(seed, base.scenario, how, code != 0, {}, leftovers(folder), [f"broken file: {err!r}"])
    states, problems = file_states(base, now)
    left = leftovers(folder)
    run_sync(XlsxStore(folder, lock_timeout_s=10), crema(), base.when, trigger="cron")
    final = local_state(folder)
    if leftovers(folder):
        problems.append(f"temp files left after the next sync: {leftovers(folder)}")
    problems += converged_problems(base, final)
    idle = XlsxStore(folder)
    run_sync(idle, crema(), base.when, trigger="cron")
    if idle.files_written:
        problems.append(f"a sync with nothing new wrote {idle.files_written} files")
    shutil.rmtree(folder)
    return KillCase(seed, base.scenario, how, code != 0, states, left, problems)


def file_states(base: KillBase, now: LocalState) -> tuple[dict[str, str], list[str]]:
    """What each output file is after a kill (before | after | tabs created | absent | other), and the
    problems: a file that disappeared, a file that is neither the previous version nor the new one."""
    problems: list[str] = []
    states: dict[str, str] = {}
    for name in OUTPUTS:
        if name not in now.files:
            states[name] = "absent"
            if name in base.before.files:
                problems.append(f"{name} disappeared")
            continue
        if name in base.before.files and _same_file(base.before, now, name):
            states[name] = "before"
        elif _same_file(base.after, now, name):
            states[name] = "after"
        elif name.endswith(".xlsx") and _is_prefix(now.books[name], base.after.books[name]):
            states[name] = "tabs created"  # a first sync creates the tabs with their headers, then fills them
        else:
            states[name] = "other"
            problems.append(f"{name} is neither the previous version nor the new one")
    return states, problems


def converged_problems(base: KillBase, final: LocalState) -> list[str]:
    """How a folder after the recovering sync differs from the fault-free result (empty = converged)."""
    problems: list[str] = []
    for name in OUTPUTS:
        if name.endswith(".xlsx"):
            got, want = comparable(final.books.get(name, {})), comparable(base.after.books[name])
            problems += [f"{name}: {d}" for d in diff_books(got, want)]
        elif final.files.get(name) != base.after.files[name]:
            problems.append(f"{name} differs from the fault-free result")
    problems += [f"lost: {x}" for x in typed_cells_present(final.books["elenco-interno.xlsx"], base.edits)]
    problems += ids_problems(final.books["elenco-interno.xlsx"])
    return problems


# -- concurrency ----------------------------------------------------------------------------------------------


def random_edits(rng: random.Random, book: Mapping[str, Grid], count: int = 6) -> StaffEdits:
    """A random handful of what staff type: attendance marks, roster notes, free notes, decisions."""
    picks = pick_entities(book)
    cells: dict[tuple[str, str, str], Typed] = {}
    decisions: list[tuple[str, ...]] = []
    for _ in range(count):
        tab, entity = rng.choice(picks)
        kind = rng.choice(("attendance", "attendance", "note", "free", "decision"))
        if kind == "attendance":
            typed = Typed(
                tab, entity, rng.choice(meeting_columns(book[tab])), rng.choice(("P", "A", "giust."))
            )
        elif kind == "note":
            typed = Typed(tab, entity, "Note", rng.choice(("referente cambiato", "=SOMMA(A1:A3)", "+39 333")))
        elif kind == "free":
            typed = Typed(ELENCO, entity, FREE_NOTE_HEADER, rng.choice(("sollecitare", "-1", "@ufficio")))
        else:
            verb = rng.choice(("Sospendi", "Escludi", "Riammetti"))
            decisions.append((entity, verb, "", "motivo " + str(rng.randint(1, 99)), "Ufficio di Piano", ""))
            continue
        cells[(typed.tab, typed.entity, typed.column)] = typed  # the last value typed in a cell wins
    return StaffEdits(tuple(decisions), tuple(cells.values()))


def _copy_memory_store(source: MemoryStore) -> MemoryStore:
    """A new MemoryStore holding a deep copy of `source`'s workbooks, responses, hidden tabs and dropdowns."""
    from sync.backends.memory import MemoryStore

    store = MemoryStore(
        responses=copy.deepcopy(source.responses),
        staff=copy.deepcopy(source.staff),
        public=copy.deepcopy(source.public),
        responses_origin=source.responses_origin,
    )
    store.hidden = copy.deepcopy(source.hidden)
    store.dropdowns = copy.deepcopy(source.dropdowns)
    return store


@lru_cache(maxsize=1)
def _memory_bases() -> tuple[MemoryStore, MemoryStore]:
    """What every seed of `memory_edit_case` starts from, built once per process (callers take copies):
    the store after the first sync with the later rows arrived, and the same after one more sync."""
    from sync.backends.memory import MemoryStore
    from sync.pipeline import run_sync

    ds = dataset()
    settings = crema()
    fresh = MemoryStore(responses=[list(ds.header), *(list(r) for r in ds.initial)])
    run_sync(fresh, settings, T1)
    fresh.responses += [list(r) for r in ds.later]
    synced = _copy_memory_store(fresh)
    run_sync(synced, settings, T2)
    return fresh, synced


def memory_edit_case(seed: int) -> list[str]:
    """Staff type at a random write of a MemoryStore sync (and new rows may land then): nothing is lost,
    and after one more sync everything equals the sequential run (sync, then the edits, then a sync)."""
    from sync.backends.memory import trim
    from sync.pipeline import run_sync

    rng = random.Random(seed)
    ds = dataset()
    settings = crema()
    fresh, synced = _memory_bases()

    store = _copy_memory_store(fresh)
    edits = random_edits(rng, {t: trim(g) for t, g in store.staff.items()})
    rows = [list(r) for r in ds.mid] if rng.random() < 0.5 else []
    at = rng.choice((1, 2))  # the public write, or the staff write
    calls = [0]

    def person() -> None:
        calls[0] += 1
        if calls[0] == at:
            type_into_grids(store.staff, edits)
            store.responses += rows

    store.before_write = person
    run_sync(store, settings, T2)
    store.before_write = None
    run_sync(store, settings, T2)
    ref = _copy_memory_store(synced)
    type_into_grids(ref.staff, edits)
    ref.responses += rows
    run_sync(ref, settings, T2)

    def book(s: MemoryStore, workbook: str) -> dict[str, Grid]:
        return comparable({t: trim(g) for t, g in (s.staff if workbook == "staff" else s.public).items()})

    problems = diff_books(book(store, "staff"), book(ref, "staff")) + diff_books(
        book(store, "public"), book(ref, "public")
    )
    final = {t: trim(g) for t, g in store.staff.items()}
    problems += [f"lost: {x}" for x in typed_cells_present(final, edits)]
    problems += ids_problems(final)
    return problems


def fake_thread_edit_case(
    fake: Any, lock_dir: Path, seed: int, refs: Mapping[str, list[Played]]
) -> list[str]:
    """Another thread types and appends rows at a random moment while a sync runs on a slow fake (latency)."""
    rng = random.Random(seed)
    fake.latency = 0.03
    try:
        got = play(fake, lock_dir, "incremental", event_delay_s=rng.uniform(0.0, 0.15), seed=seed)
    finally:
        fake.latency = 0.0
    return _against(got, refs["incremental"])


def fake_hook_edit_case(fake: Any, lock_dir: Path, at: int, refs: Mapping[str, list[Played]]) -> list[str]:
    """Staff type and rows arrive just before request `at` of a sync (2: public write, 3: staff write)."""
    return _against(play(fake, lock_dir, "incremental", event_at=at), refs["incremental"])


def _against(got: Played, refs: Sequence[Played]) -> list[str]:
    problems: list[str] = []
    if not any(r.staff == got.staff and r.public == got.public for r in refs):
        problems += ["workbooks differ from every sequential run:"]
        problems += diff_books(got.staff, refs[0].staff) + diff_books(got.public, refs[0].public)
    if got.idle_requests != 1:
        problems.append(f"a sync with nothing new made {got.idle_requests} requests")
    problems += [f"lost: {x}" for x in got.lost] + list(got.id_problems)
    return problems


def two_syncs_fake(
    fake: Any, lock_dir: Path, refs: Mapping[str, list[Played]], *, same_machine: bool, rows_between: bool
) -> list[str]:
    """Two syncs (webhook and cron) of the same spreadsheets started together, each with its own store.

    `same_machine`: both stores share the lock folder, as two gunicorn workers do; otherwise each has its
    own (two machines) and they are interleaved by hand: A reads, B reads, A writes, B writes. With
    `rows_between`, the last form rows arrive after A's read and before B's. Then one more sync; everything
    must equal a sequential run - except, for two machines with rows between, the order of the rows in the
    attendance tabs and in the hidden state tab (B writes its new rows over A's in its own order; rows are
    stable afterwards), so there those tabs are compared as sets of rows. Two machines are not how elenco is deployed (App
    Engine `max_instances: 1`; workers of one machine share the lock): this measures what would happen.
    """
    from sync.pipeline import run_sync

    ds = dataset()
    settings = crema()
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES_TAB: [ds.header, *ds.initial]})
    public = fake.create_spreadsheet("Elenco pubblico")
    sessions = [HookedSession(), HookedSession(), HookedSession()]
    dirs = [lock_dir, lock_dir] if same_machine else [lock_dir / "a", lock_dir / "b"]
    for d in dirs:
        d.mkdir(exist_ok=True)
    a, b = (gsheets_store(fake, staff, public, d, session=s) for d, s in zip(dirs, sessions, strict=False))
    extra = gsheets_store(fake, staff, public, lock_dir, session=sessions[2])
    errors: list[str] = []

    def append(rows: Sequence[Sequence[str]]) -> None:
        start = len(fake.values(staff, RESPONSES_TAB)) + 1
        fake.set_values(staff, RESPONSES_TAB, [list(r) for r in rows], start=f"A{start}", input_option="RAW")

    try:
        run_sync(extra, settings, T1, trigger="cron")
        first = edits_between(fake_book(fake, staff))
        type_into_fake(fake, staff, first)
        append(ds.later)
        second = edits_during(fake_book(fake, staff))
        type_into_fake(fake, staff, second)
        if not rows_between:
            append(ds.mid)
        b_may_start, b_has_read, a_done = threading.Event(), threading.Event(), threading.Event()
        if same_machine:
            b_may_start.set()
            if rows_between:
                sessions[0].before[2] = lambda: append(ds.mid)
        else:

            def a_before_writing() -> None:
                if rows_between:
                    append(ds.mid)
                b_may_start.set()
                b_has_read.wait(10)

            def b_before_writing() -> None:
                b_has_read.set()
                a_done.wait(10)

            sessions[0].before[2] = a_before_writing
            sessions[1].before[2] = b_before_writing

        def run(
            store: GSheetsStore, trigger: str, wait: threading.Event | None, done: threading.Event
        ) -> None:
            try:
                if wait is not None:
                    wait.wait(10)
                run_sync(store, settings, T2, trigger=trigger)
            except Exception as err:  # reported, not raised in a thread
                errors.append(f"{trigger}: {err!r}")
            finally:
                done.set()

        b_done = threading.Event()
        threads = [
            threading.Thread(target=run, args=(a, "cron", None, a_done)),
            threading.Thread(target=run, args=(b, "webhook", b_may_start, b_done)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        if sessions[0].before:  # A found nothing to write (B had written it all): the rows arrive now
            sessions[0].before.clear()
            append(ds.mid)
        run_sync(extra, settings, T2, trigger="cron")
        book = fake_book(fake, staff)
        got_staff = comparable(book, figures=REGISTRO_FIGURES_ANY_TRIGGER)
        got_public = comparable(fake_book(fake, public))
        problems = list(errors)
        wants = [
            ({**r.staff, REGISTRO: [r.staff[REGISTRO][0], r.staff[REGISTRO][1][1:]]}, r.public)
            for r in refs["incremental"]
        ]
        if not same_machine and rows_between:
            got_staff = _rosters_as_sets(got_staff)
            wants = [(_rosters_as_sets(w), p) for w, p in wants]
        if (got_staff, got_public) not in wants:
            problems += ["workbooks differ from every sequential run:"]
            w = wants[1] if rows_between else wants[0]
            problems += diff_books(got_staff, w[0]) + diff_books(got_public, w[1])
        problems += [f"lost: {x}" for x in typed_cells_present(book, merge_edits(first, second))]
        problems += ids_problems(book)
        return problems
    finally:
        for s in sessions:
            s.close()
        fake.delete_spreadsheet(staff)
        fake.delete_spreadsheet(public)


def _rosters_as_sets(book: Mapping[str, Grid]) -> dict[str, Grid]:
    """Attendance tabs and the state tab with their rows sorted (header first): order ignored, rows kept."""
    return {
        t: [g[0], *sorted(g[1:])] if (t.startswith("Presenze ") or t == STATE_TAB) and g else g
        for t, g in book.items()
    }


def two_syncs_local(base: KillBase, work: Path, name: str, *, processes: bool) -> list[str]:
    """Two local syncs of one folder started together (threads of one process, or two processes)."""
    from sync.backends.xlsx import XlsxStore
    from sync.pipeline import run_sync

    folder = copy_folder(base.before_dir, work / name)
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def run(trigger: str) -> None:
        try:
            barrier.wait(10)
            if processes:
                run_child(folder, base.when)
            else:
                run_sync(XlsxStore(folder), crema(), base.when, trigger=trigger)
        except Exception as err:  # reported, not raised in a thread
            errors.append(f"{trigger}: {err!r}")

    threads = [threading.Thread(target=run, args=(t,)) for t in ("cron", "webhook")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    got = local_state(folder)
    problems = list(errors)
    for file in OUTPUTS:
        if file.endswith(".xlsx"):
            problems += diff_books(
                comparable(got.books[file], figures=REGISTRO_FIGURES_ANY_TRIGGER),
                comparable(base.after.books[file], figures=REGISTRO_FIGURES_ANY_TRIGGER),
            )
        elif got.files.get(file) != base.after.files[file]:
            problems.append(f"{file} differs from the sequential run")
    staff = got.books["elenco-interno.xlsx"]
    problems += [f"lost: {x}" for x in typed_cells_present(staff, base.edits)]
    problems += ids_problems(staff)
    if len(staff.get(REGISTRO, [])) != len(base.after.books["elenco-interno.xlsx"][REGISTRO]):
        problems.append("both syncs logged a line: the second one wrote again")
    shutil.rmtree(folder)
    return problems


# -- hostile input ----------------------------------------------------------------------------------------------

# The form's fields in the order of a Crema export (`tests.conftest.HEADER`), and which ones are required or
# hold a contact person's data (never published: names, emails, phones).
FORM_FIELDS = (
    "timestamp", "email", "name", "tax_code", "legal_form", "runts", "comune", "address", "contact_name",
    "phone", "pec", "areas", "phases", "experience", "consent",
)  # fmt: skip
REQUIRED = frozenset({"timestamp", "email", "name", "tax_code", "comune", "areas", "consent"})
CONTACT = frozenset({"email", "contact_name", "phone"})
PERSONAL_TAX_CODE = "RCCMNL83S18D969H"  # a person's (valid) codice fiscale: never published
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = (
    "=1+1", '=HYPERLINK("https://example.org";"clic")', "=cmd|' /C calc'!A0", "+39 333 1234567", "-2+3",
    "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "'=1+1", "=IMPORTXML(A1)", "\u202eKCOL\u202c", "مرحبا بكم",
    "שלום עולם", "👩\u200d👩\u200d👧\u200d👦", "🇮🇹", "\x00\x01\x1f\x7f", "03/04", "1/2/2024", "2024-01-01",
    "44927", "007", "1e10", "0,5", "12.000,50", "VERO", "TRUE", "", " ", "\n", "a\r\nb", '"', '""', ";", ",",
    "NULL", "None", "<script>alert(1)</script>", "${jndi:ldap://x}", "Robert'); DROP TABLE--", "\ufeffBOM",
    "\u200b", "ﬀ", "İ", "ß", "Ⅻ", "A) Minori e Famiglia,,,,", "riga 2", "E-0001",
    "elenco:\n1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16",
)  # fmt: skip
LONG_CELLS = ("x" * 50_000, "=" + "1" * 49_999, "é" * 50_000, "👍" * 25_000, "a,\n" * 16_000)


def hostile_texts() -> Any:
    """A hypothesis strategy of cell texts: payloads, arbitrary Unicode, formula starts, 50,000 characters."""
    from hypothesis import strategies as st

    return st.one_of(
        st.sampled_from(PAYLOADS),
        st.text(max_size=30),
        st.tuples(st.sampled_from(FORMULA_STARTS), st.text(max_size=12)).map("".join),
        st.sampled_from(LONG_CELLS),
    )


@dataclass(frozen=True)
class FormSheet:
    """A generated form sheet, and what is known about it."""

    grid: list[list[str]]
    missing_required: tuple[str, ...]  # required fields left without a column
    markers: tuple[str, ...]  # texts put only in contact persons' cells

    def __repr__(self) -> str:
        rows = [
            [c if len(c) <= 40 else f"{c[:20]!r}…({len(c)} characters)" for c in row] for row in self.grid
        ]
        return f"FormSheet({rows!r}, missing_required={self.missing_required!r})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))  # hypothesis prints a failing example with this: not 50,000-character cells


def _base_row(r: int) -> dict[str, str]:
    """A valid response (so that many generated rows are accepted and published)."""
    from tests.conftest import make_row

    values = dict(zip(FORM_FIELDS, make_row(), strict=True))
    values["timestamp"] = f"{1 + r % 28:02d}/04/2024 10.{r % 60:02d}.00"
    values["name"] = f"Associazione numero {r} APS"
    values["tax_code"] = ("91910830198", "93378570191", "04688560194", "82985460193")[r % 4]
    return values


def form_sheets() -> Any:
    """A hypothesis strategy of form sheets: mutated headers (duplicate, blank, renamed, missing, extra,
    shuffled, alias spellings), rows of any length with hostile text in any field, contact cells marked."""
    from hypothesis import strategies as st

    @st.composite
    def build(draw: Any) -> FormSheet:
        from tests.conftest import HEADER

        columns: list[tuple[str, str | None, str]] = [
            (t, f, f) for t, f in zip(HEADER, FORM_FIELDS, strict=True)
        ]
        for k in range(draw(st.integers(0, 4))):
            op = draw(st.sampled_from(("dup", "blank", "rename", "remove", "extra", "shuffle", "alias")))
            i = draw(st.integers(0, len(columns) - 1)) if columns else 0
            if not columns and op != "extra":
                continue
            title, field, origin = columns[i] if columns else ("", None, "")
            if op == "dup":
                columns.insert(draw(st.integers(0, len(columns))), (title, field, origin))
            elif op == "blank":
                columns[i] = (draw(st.sampled_from(("", "   ", "\t"))), None, origin)
            elif op == "rename":
                columns[i] = (f"Colonna {k} {draw(st.text(max_size=15))}", None, origin)
            elif op == "remove":
                columns.pop(i)
            elif op == "extra":
                columns.insert(draw(st.integers(0, len(columns))), (f"Colonna extra {k}", None, ""))
            elif op == "shuffle":
                columns = draw(st.permutations(columns))
            else:  # the same question, spelled as people and exports do
                spelled = draw(st.sampled_from((title.upper(), f"  {title}:* ", title.replace(" ", "  "))))
                columns[i] = (spelled, field, origin)
        fields_present = {f for _, f, _ in columns if f}
        rows: list[list[str]] = []
        markers: list[str] = []
        for r in range(draw(st.integers(0, 6))):
            base = _base_row(r)
            if draw(st.booleans()):
                base["tax_code"] = PERSONAL_TAX_CODE
            marks = {
                "contact_name": f"Qzreferente{r}Qz",
                "email": f"qzposta{r}qz@example.org",
                "phone": f"0373 4{r:03d}97",
            }
            markers += list(marks.values())
            row: list[str] = []
            for _, _field, origin in columns:
                value = base.get(origin, "") if origin else ""
                if draw(st.integers(0, 3)) == 0 or not origin:
                    value = draw(hostile_texts())
                if origin in CONTACT:
                    value = marks[origin] if draw(st.booleans()) else f"{value} {marks[origin]}"
                row.append(value)
            cut = draw(st.integers(0, 4))
            if cut == 1:
                row = row[: draw(st.integers(0, len(row)))]
            elif cut == 2:
                row += [draw(hostile_texts()) for _ in range(draw(st.integers(1, 3)))]
            rows.append(row)
        missing = tuple(sorted(REQUIRED - fields_present))
        return FormSheet([[t for t, _, _ in columns], *rows], missing, tuple(markers))

    return build()


def is_blank_row(row: Sequence[str]) -> bool:
    """A row a person would call empty: only spaces, line breaks, control and format characters."""
    import unicodedata

    return all(unicodedata.category(ch)[0] in "CZ" for cell in row for ch in cell)


def check_outputs(sheet: FormSheet, staff: Mapping[str, Grid], public: Mapping[str, Grid]) -> list[str]:
    """Every non-blank row in `Risposte` once; public tabs free of contact persons' data."""
    problems: list[str] = []
    lines = [row[0] for row in staff.get(RISPOSTE, [])[1:] if row]
    if len(lines) != len(set(lines)):
        problems.append("a response row is listed twice in Risposte")
    wanted = {str(i + 2) for i, row in enumerate(sheet.grid[1:]) if not is_blank_row(row)}
    if missing := sorted(wanted - set(lines), key=int):
        problems.append(f"rows missing from Risposte: {missing}")
    if extra := sorted(set(lines) - {str(i + 2) for i in range(len(sheet.grid) - 1)}):
        problems.append(f"Risposte lists rows that do not exist: {extra}")
    published = "\n".join("\x1f".join(row) for grid in public.values() for row in grid)
    for marker in [*sheet.markers, PERSONAL_TAX_CODE]:
        if marker in published:
            problems.append(f"personal data published: {marker!r}")
    return problems


def check_on_memory(sheet: FormSheet) -> list[str]:
    """Sync a generated sheet on the MemoryStore: no crash, the right error, every row, nothing personal."""
    from sync.backends.memory import MemoryStore, trim
    from sync.errors import ConfigError
    from sync.pipeline import run_sync

    store = MemoryStore(responses=[list(r) for r in sheet.grid])
    try:
        run_sync(store, crema(), T1)
    except ConfigError as err:
        if not sheet.missing_required:
            return [f"ConfigError with every required column present: {err}"]
        if "manca la domanda «" not in str(err):
            return [f"the error does not name the missing question in Italian: {err}"]
        return []
    if sheet.missing_required:
        return [f"no ConfigError although {sheet.missing_required} have no column"]
    problems: list[str] = []
    for workbook, write in store.writes:
        if not all(isinstance(v, str) for row in write.values for v in row):
            problems.append(f"a non-text value written to {workbook}: {write.tab}")
    staff = {t: trim(g) for t, g in store.staff.items()}
    problems += check_outputs(sheet, staff, {t: trim(g) for t, g in store.public.items()})
    before = len(store.writes)
    run_sync(store, crema(), T1)
    if len(store.writes) != before:
        problems.append("a second sync with the same input wrote again")
    return problems


def check_on_xlsx(sheet: FormSheet, folder: Path) -> list[str]:
    """The same through the local backend (a Forms CSV export: rectangular rows), plus: every cell written
    in both workbooks is a text cell, and no CSV cell starts with = + - @ tab or CR."""

    from sync.backends.xlsx import XlsxStore
    from sync.errors import ConfigError
    from sync.pipeline import run_sync

    width = len(sheet.grid[0])
    rect = FormSheet(
        [[*r[:width], *[""] * (width - len(r))] for r in sheet.grid], sheet.missing_required, sheet.markers
    )
    write_responses_csv(folder, rect.grid[0], rect.grid[1:])
    store = XlsxStore(folder)
    try:
        run_sync(store, crema(), T1)
    except ConfigError as err:
        # without its timestamp column a CSV cannot tell an answer holding a line of commas from a row
        # swallowed by an unclosed quote: that ConfigError (Italian too) may come before the missing question
        if sheet.missing_required and ("manca la domanda «" in str(err) or "non è un CSV valido" in str(err)):
            return []
        return [f"ConfigError: {err}"]
    if sheet.missing_required:
        return [f"no ConfigError although {sheet.missing_required} have no column"]
    staff = xlsx_book(folder / "elenco-interno.xlsx")
    public = xlsx_book(folder / "elenco-pubblico.xlsx")
    problems = check_outputs(rect, staff, public)
    problems += typed_cell_problems(folder)
    problems += public_file_problems(folder, sheet.markers)
    again = XlsxStore(folder)
    run_sync(again, crema(), T1)
    if again.files_written:
        problems.append(f"a second sync with the same input wrote {again.files_written} files")
    return problems


def public_file_problems(folder: Path, markers: Sequence[str]) -> list[str]:
    """No cell of the public CSV starts with = + - @ tab or CR; no marker nor personal tax code in the CSV
    or the JSON (which must parse)."""
    problems: list[str] = []
    text = (folder / "elenco-pubblico.csv").read_bytes().decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
        for value in row:
            if value.startswith(FORMULA_STARTS):
                problems.append(f"CSV cell not neutralised: {value[:20]!r}")
    opendata = (folder / "elenco-pubblico.json").read_bytes().decode("utf-8")
    json.loads(opendata)
    for marker in [*markers, PERSONAL_TAX_CODE]:
        if marker in text or marker in opendata:
            problems.append(f"personal data in the public CSV or JSON: {marker!r}")
    return problems


def typed_cell_problems(folder: Path) -> list[str]:
    """Every xlsx cell is literal text, except a date or number in a column typed by its tab's spec (never a
    formula, never in the header, never in a column of form answers)."""
    from openpyxl import load_workbook

    from sync.cells import kind_of
    from sync.layouts import public_specs, staff_specs

    ambito = crema().ambito
    problems: list[str] = []
    for name, specs in (("elenco-interno.xlsx", staff_specs), ("elenco-pubblico.xlsx", public_specs)):
        kinds = {s.title[:31]: s.kinds for s in specs(ambito)}
        wb = load_workbook(folder / name)
        try:
            for ws in wb.worksheets:
                for row in ws.iter_rows():
                    for cell in row:
                        if cell.value is None or cell.data_type == "s":
                            continue
                        typed = kind_of(kinds.get(ws.title, ()), cell.column - 1) != "text"
                        if not (typed and cell.row > 1 and cell.data_type in ("n", "d")):
                            problems.append(
                                f"{name} {ws.title}!{cell.coordinate} is a {cell.data_type!r} cell"
                            )
        finally:
            wb.close()
    return problems
