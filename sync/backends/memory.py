"""An in-memory backend with the same interface, for tests: grids of text, every write recorded.

`before_write` is called at the start of each `write()`: a test uses it to type into a staff tab between
the sync's read and its write, or to raise a fault (a `TransientError`) in the middle of a sync.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from sync import labels
from sync.backends.base import (
    Dropdown,
    Grid,
    Guard,
    RangeWrite,
    Snapshot,
    StaleWorkbook,
    TabSpec,
    Workbook,
    Write,
    apply_writes,
)
from sync.errors import LockedError, TransientError

MSG_LOCKED = labels.MEMORY_LOCKED
MSG_BUSY = labels.MEMORY_BUSY
_NAMES: dict[Workbook, str] = {"staff": "elenco-interno", "public": "elenco-pubblico"}


class MemoryStore:
    """Workbooks as dicts of grids; counts requests as a remote backend would (one per call doing I/O)."""

    name = "memory"

    def __init__(
        self,
        responses: Grid | None = None,
        staff: dict[str, Grid] | None = None,
        public: dict[str, Grid] | None = None,
        *,
        responses_origin: str = labels.XLSX_RESPONSES_TAB,
        guards_public: bool = False,
    ) -> None:
        # True: the public tabs are row-diffed behind a `Guard`, as on Google Sheets (`marks` holds it)
        self.guards_public = guards_public
        self.free_row_moves = False  # rows move as on Google Sheets, past `MOVES_WORTH_BYTES`
        self.marks: dict[Workbook, str] = {"staff": "", "public": ""}
        self.responses: Grid = responses if responses is not None else []
        self.responses_origin = responses_origin
        self.staff: dict[str, Grid] = staff if staff is not None else {}
        self.public: dict[str, Grid] = public if public is not None else {}
        self.hidden: dict[Workbook, set[str]] = {"staff": set(), "public": set()}
        self.dropdowns: dict[tuple[Workbook, str], Dropdown] = {}
        self.writes: list[tuple[Workbook, Write]] = []
        self.published: list[dict[str, bytes]] = []  # the files of each publish, by name
        self.locked: set[Workbook] = set()  # a test marks a workbook "open in another program"
        self.before_write: Callable[[], None] | None = None
        self.files_written = 0
        self._requests = 0
        self._sync_lock = threading.RLock()

    @property
    def requests(self) -> int:
        """Requests made so far: one per read, per ensure that changed something, per write with cells."""
        return self._requests

    def book(self, workbook: Workbook) -> dict[str, Grid]:
        """The tabs of a workbook (the live dict: tests may edit it)."""
        return self.staff if workbook == "staff" else self.public

    def read(self, specs: Sequence[TabSpec]) -> Snapshot:
        """Every staff tab and the responses, trimmed, as copies."""
        self._requests += 1
        return Snapshot(
            tabs={title: trim(grid) for title, grid in self.staff.items()},
            responses=trim(self.responses),
            responses_origin=self.responses_origin,
            hidden=set(self.hidden["staff"]),
        )

    def ensure(
        self, workbook: Workbook, specs: Sequence[TabSpec], *, dry_run: bool = False, write_next: bool = False
    ) -> list[str]:
        """Create missing tabs (header + seed rows); an existing tab only gets a missing header."""
        book = self.book(workbook)
        actions: list[str] = []
        for spec in specs:
            grid = book.get(spec.title)
            if grid is None:
                actions.append(labels.XLSX_ACTION_TAB.format(title=spec.title))
                if not dry_run:
                    book[spec.title] = [list(spec.header), *(list(r) for r in spec.seed)]
                    if spec.hidden:
                        self.hidden[workbook].add(spec.title)
                    if spec.dropdown is not None:
                        self.dropdowns[(workbook, spec.title)] = spec.dropdown
            elif spec.header and not any(grid[0] if grid else []):
                actions.append(labels.XLSX_ACTION_HEADER.format(title=spec.title))
                if not dry_run:
                    if grid:
                        grid[0] = list(spec.header)
                    else:
                        grid.append(list(spec.header))
        if actions and not dry_run:
            self._requests += 1
        return actions

    def write(
        self,
        workbook: Workbook,
        writes: Sequence[Write],
        specs: Sequence[TabSpec],
        *,
        guard: Guard | None = None,
    ) -> int:
        """Apply the writes in order (rows inserted and deleted, rectangles growing the grids; "" clears a
        cell); return the cells written. With a `guard`, the mark is checked and replaced first."""
        if self.before_write is not None:
            self.before_write()
        if guard is not None:
            if not self.guards_public:
                raise ValueError("guard without guards_public")
            if guard.expect is not None and self.marks[workbook] != guard.expect:
                raise StaleWorkbook(workbook)
            self.marks[workbook] = guard.then
        cells = sum(w.cells for w in writes)
        if cells == 0 and all(isinstance(w, RangeWrite) for w in writes):
            return 0
        self.check_writable([workbook])
        apply_writes(self.book(workbook), writes)
        self.writes += [(workbook, w) for w in writes]
        self._requests += 1
        self.files_written += 1
        return cells

    def publish(self, files: Mapping[str, bytes]) -> list[str]:
        """Record the public files; nothing is written anywhere."""
        self.published.append(dict(files))
        return []

    def check_writable(self, workbooks: Iterable[Workbook]) -> None:
        """Raise LockedError for a workbook a test marked as open in another program."""
        for workbook in workbooks:
            if workbook in self.locked:
                raise LockedError(MSG_LOCKED.format(name=f"{_NAMES[workbook]}.xlsx"))

    @contextlib.contextmanager
    def sync_lock(self, timeout_s: float = 5.0) -> Iterator[None]:
        """Two syncs on one store never overlap (threads wait, then give up with TransientError)."""
        if not self._sync_lock.acquire(timeout=timeout_s):
            raise TransientError(MSG_BUSY)
        try:
            yield
        finally:
            self._sync_lock.release()


def apply_write(grid: Grid, write: RangeWrite) -> None:
    """Write a rectangle into a grid in place, extending rows and columns as needed."""
    apply_writes({write.tab: grid}, [write])


def trim(grid: Grid) -> Grid:
    """A copy without trailing empty cells per row and trailing empty rows."""
    out = []
    for row in grid:
        end = len(row)
        while end and row[end - 1] == "":
            end -= 1
        out.append(list(row[:end]))
    while out and not out[-1]:
        out.pop()
    return out
