"""The one small interface every storage backend implements.

Nothing above the backends knows which one runs. A backend reads the staff workbook as text cells in one
go, creates tabs that are missing, and applies batches of rectangular cell writes. The pure core decides
*what* to write (`sync.diff`); the backend only knows *how*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sync.cells import ColumnKind
from sync.model import Grid as Grid  # re-exported: the backends speak in grids of text

Workbook = Literal["staff", "public"]


@dataclass(frozen=True, slots=True)
class Dropdown:
    """A list validation on a column of a tab (from row 2 down)."""

    column: int
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TabSpec:
    """How a tab is created: its header, who owns it, and its presentation."""

    title: str
    header: tuple[str, ...]
    owner: Literal["machine", "staff", "mixed"] = "machine"
    hidden: bool = False
    frozen_rows: int = 1
    frozen_cols: int = 0
    widths: tuple[int, ...] = ()  # in characters
    dropdown: Dropdown | None = None
    seed: tuple[tuple[str, ...], ...] = ()  # rows written once, when the tab is created (staff tabs)
    note: str = ""  # a sentence for staff, shown in the header's first cell comment / protection
    # How each column is stored (`sync.cells`): dates and counts typed, everything else literal text.
    kinds: tuple[ColumnKind, ...] = ()
    # A list people filter, sort and print (auto-filter, print set-up); False for a page of text.
    listing: bool = True
    # Leading columns printed (0 = all): a register too wide to read on one A4 page prints its identifying
    # columns, fitted to the page width.
    print_columns: int = 0


@dataclass(frozen=True, slots=True)
class RangeWrite:
    """A rectangle of text cells to write, 0-based, top-left at (row, col)."""

    tab: str
    row: int
    col: int
    values: tuple[tuple[str, ...], ...]

    @property
    def cells(self) -> int:
        """How many cells the write covers."""
        return sum(len(r) for r in self.values)


@dataclass(frozen=True, slots=True)
class RowInsert:
    """`count` empty rows inserted before 0-based row `at`: the rows from `at` down move down."""

    tab: str
    at: int
    count: int

    @property
    def cells(self) -> int:
        """No cell is written (the rows come in empty)."""
        return 0


@dataclass(frozen=True, slots=True)
class RowDelete:
    """`count` rows deleted from 0-based row `at`: the rows below move up."""

    tab: str
    at: int
    count: int

    @property
    def cells(self) -> int:
        """No cell is written."""
        return 0


# What a backend applies, in order: cell rectangles, and rows inserted or deleted (`sync.public_diff`).
Write = RangeWrite | RowInsert | RowDelete


@dataclass(frozen=True, slots=True)
class Guard:
    """A mark the public workbook carries, so that row moves computed from the record of the last sync are
    applied only to the workbook that sync left (the public workbook is not read).

    `expect`: the mark the record says the workbook carries ("" = none), or None: whatever it carries (a
    rewrite that does not depend on it); `then`: the mark the write leaves. A backend checks and replaces the
    mark in the same atomic step as the row moves, or raises `StaleWorkbook` having written nothing.
    """

    expect: str | None
    then: str


class StaleWorkbook(Exception):
    """The workbook does not carry the expected mark (a write not recorded, a tab changed by hand): nothing
    was written; the caller rewrites the tabs whole instead."""


def apply_writes(grids: MutableMapping[str, Grid], writes: Iterable[Write]) -> None:
    """Apply `writes` in order to grids of text, in place (a missing tab starts empty).

    Rows and cells grow as a rectangle needs them (a "" written beyond a row's last cell is not stored). Rows inserted or deleted beyond a grid's last row change nothing stored.
    """
    for w in writes:
        grid = grids.setdefault(w.tab, [])
        if isinstance(w, RowInsert):
            if w.at <= len(grid):
                grid[w.at : w.at] = [[] for _ in range(w.count)]
        elif isinstance(w, RowDelete):
            del grid[w.at : w.at + w.count]
        else:
            _apply_range(grid, w)


def _apply_range(grid: Grid, write: RangeWrite) -> None:
    for r, values in enumerate(write.values):
        index = write.row + r
        while len(grid) <= index:
            grid.append([])
        row = grid[index]
        for c, value in enumerate(values):
            col = write.col + c
            if len(row) <= col:
                if value == "":
                    continue  # clearing a cell that does not exist
                row.extend([""] * (col + 1 - len(row)))
            row[col] = value


@dataclass(frozen=True, slots=True)
class Printable:
    """An attendance sheet for one meeting of one area: name-sorted, a signature column, no emails."""

    filename: str
    title: str
    subtitle: str
    rows: Grid


@dataclass
class Snapshot:
    """Everything a sync reads from the staff workbook, as text."""

    tabs: dict[str, Grid]  # title -> rows (trailing empty cells and rows trimmed)
    responses: Grid  # the form's responses, header first
    responses_origin: str = ""  # where they came from, for messages ("risposte.csv", "Risposte del modulo 1")
    hidden: set[str] = field(default_factory=set)


class Backend(Protocol):
    """A place where the workbooks live: a local folder (`xlsx`) or Google Sheets (`gsheets`)."""

    name: str
    # The public workbook is not read back before a write, so its row diffs need a `Guard` (Google Sheets).
    # Local backends rewrite whole tabs: the xlsx backend matches rows against the file as it is itself.
    guards_public: bool
    # Rows inserted and deleted cost nothing but the cells they keep (a local file), so a sorted tab's rows
    # move whenever that writes fewer cells; on Google Sheets each move is a request (`MOVES_WORTH_BYTES`).
    free_row_moves: bool

    def read(self, specs: Sequence[TabSpec]) -> Snapshot:
        """Read the responses and every tab of `specs` that exists, in one request where possible."""
        ...

    def ensure(
        self, workbook: Workbook, specs: Sequence[TabSpec], *, dry_run: bool = False, write_next: bool = False
    ) -> list[str]:
        """Create missing tabs (with header, seed rows, dropdown, frozen rows); return what was (or would be) done.

        Existing tabs are never rewritten: a staff tab keeps every value typed in it. `write_next`: the caller
        writes this workbook next, in this sync; a backend may then send the new tabs' headers with that write.
        """
        ...

    def write(
        self,
        workbook: Workbook,
        writes: Sequence[Write],
        specs: Sequence[TabSpec],
        *,
        guard: Guard | None = None,
    ) -> int:
        """Apply the writes (as literal text) in one request where possible; return the cells written.

        `guard` only where `guards_public` is true (else it is refused with ValueError)."""
        ...

    def publish(self, files: Mapping[str, bytes]) -> list[str]:
        """Public files beside the public workbook (HTML, PDF, open data), by name; return the paths written."""
        ...

    def check_writable(self, workbooks: Sequence[Workbook]) -> None:
        """Raise (LockedError, ConfigError) before anything is written if a workbook cannot be written."""
        ...

    def sync_lock(self) -> AbstractContextManager[None]:
        """Held for a whole sync, so that two syncs on one machine never overlap."""
        ...

    @property
    def requests(self) -> int:
        """API requests made so far (0 for local files)."""
        ...
