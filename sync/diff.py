"""Current cells vs wanted cells → the rectangles to write.  Pure.

The machine writes only what differs, and only in cells it owns: a `None` in a wanted row is a cell that
belongs to staff (attendance, notes) and is never written; columns at or beyond `owned_width` are staff's
too (a column staff add to the right of `Elenco` stays theirs).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from sync.backends.base import RangeWrite, RowDelete, RowInsert, Write
from sync.model import Grid

Cell = str | None


@dataclass(frozen=True)
class WantedTab:
    """What the machine wants in a tab: rows of cells (None = staff's), machine columns [0, owned_width)."""

    title: str
    rows: list[list[Cell]]
    owned_width: int
    # The tab is the machine's, row by row (a sorted register rewritten whole): its rows may be inserted and
    # deleted to keep the rows that stay (`diff_moving_rows`) instead of rewriting from the first change down.
    movable: bool = False


def rows_in_place(
    current: Grid,
    header: Sequence[Cell],
    rows: dict[str, list[Cell]],
    new: Sequence[str],
    width: int,
    known: Collection[str] = (),
) -> list[list[Cell]]:
    """Rows keyed by the ID in column A, each kept where staff left it; IDs not yet in the tab appended.

    A tab staff may sort, filter or extend with columns of their own is updated in place: an ID's row is
    found by its ID, not by its position, so a note typed beside it stays beside it. A row whose first cell
    is not a known ID (blank, typed by staff, a repeated ID) is staff's: `None`, never written.
    `known`: every machine header this tab has had; given, a tab of an earlier layout is migrated.
    """
    out: list[list[Cell]] = [list(header)]
    # A tab made by an earlier version (a machine column added since) keeps staff's columns: they move
    # right with their header, past the machine's new last column, in the same write.
    moved = _staff_start(current, header, known) if known else width
    if moved != width:
        out[0] += current[0][moved:]
    placed: set[str] = set()
    for line in current[1:]:
        entity = line[0].strip() if line else ""
        if entity in rows and entity not in placed:
            staff = list(line[moved:]) if moved != width else []
            if staff and moved > width:  # a machine column removed: clear the cells staff's columns leave
                staff += [""] * (moved - width)
            out.append([*rows[entity], *staff] if staff else rows[entity])
            placed.add(entity)
        else:
            out.append([None] * width)
    out.extend(rows[entity] for entity in new if entity not in placed)
    return out


def _staff_start(current: Grid, header: Sequence[Cell], known: Collection[str]) -> int:
    """Where staff's own columns begin in `current`: after its leading machine headers (any version's)."""
    if not current:
        return len(header)
    first = list(current[0])
    if first[: len(header)] == list(header):
        return len(header)
    start = 0
    while start < len(first) and first[start] in known:
        start += 1
    return start if start else len(header)


def owned_width(rows: Sequence[Sequence[Cell]], width: int) -> int:
    """The columns a write must cover: the machine's, and staff's moved ones (`rows_in_place`)."""
    return max(width, *(len(r) for r in rows))


def _cell(grid: Grid, r: int, c: int) -> str:
    if r < len(grid):
        row = grid[r]
        if c < len(row):
            return row[c]
    return ""


def _same_cells(have: Sequence[str], want: Sequence[Cell], width: int) -> bool:
    """True when a row's first `width` cells already hold what is wanted (a staff cell, None, is never
    equal to text, so such a row is compared cell by cell)."""
    n = len(want)
    if have[:n] != want:
        return False
    return n >= width or not any(have[n:width])


def diff_tab(current: Grid, wanted: WantedTab) -> list[RangeWrite]:
    """The writes that turn `current` into `wanted` in the machine's cells; rows beyond are cleared."""
    runs: list[tuple[int, int, list[str]]] = []  # (row, first col, values)
    height = max(len(current), len(wanted.rows))
    width = wanted.owned_width
    for r in range(height):
        want_row = wanted.rows[r] if r < len(wanted.rows) else []
        if r < len(current) and _same_cells(current[r], want_row, width):
            continue  # most rows of a large tab: compared in C, not cell by cell
        start = -1
        values: list[str] = []
        for c in range(wanted.owned_width):
            want: Cell = want_row[c] if c < len(want_row) else ""
            if want is not None and want != _cell(current, r, c):
                if start < 0:
                    start = c
                elif start + len(values) != c:
                    runs.append((r, start, values))
                    start, values = c, []
                values.append(want)
            elif start >= 0:
                runs.append((r, start, values))
                start, values = -1, []
        if start >= 0:
            runs.append((r, start, values))
    return list(_blocks(wanted.title, runs))


def _blocks(tab: str, runs: list[tuple[int, int, list[str]]]) -> Iterable[RangeWrite]:
    """Stack runs of consecutive rows with the same columns into one rectangle (fewer ranges to send)."""
    block: list[list[str]] = []
    top = col = -1
    for r, c, values in runs:
        if block and c == col and r == top + len(block) and len(values) == len(block[0]):
            block.append(values)
            continue
        if block:
            yield RangeWrite(tab, top, col, tuple(tuple(v) for v in block))
        block, top, col = [values], r, c
    if block:
        yield RangeWrite(tab, top, col, tuple(tuple(v) for v in block))


def diff_moving_rows(current: Grid, wanted: WantedTab) -> list[Write] | None:
    """The writes that turn `current` into `wanted` keeping the rows that stay where the list puts them.

    A sorted list with one name more shifts every row below it: `diff_tab` rewrites them all. Here the rows
    are matched in order (`difflib.SequenceMatcher` on the machine's cells of whole rows), rows that go are
    deleted (`RowDelete`) and rows that come inserted empty (`RowInsert`), then `diff_tab` writes the cells
    that differ from the rows as they then stand. Applied in order, the writes give what `diff_tab` gives.

    None when rows must not move: a wanted cell is staff's (`None`), a current row holds a cell beyond the
    machine's columns (moving or deleting the row would move or delete what staff typed there), or the
    header differs (the first row is never moved, so a grid always keeps a row).
    """
    width = wanted.owned_width
    if any(len(row) > width for row in current) or any(c is None for row in wanted.rows for c in row):
        return None
    old = [_row_key(row, width) for row in current]
    new = [_row_key(row, width) for row in wanted.rows]
    if not old or not new or old[0] != new[0]:
        return None
    moves: list[Write] = []
    standing: Grid = list(current)  # the rows as they stand after the moves so far
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        gone, come = i2 - i1, j2 - j1
        # rows [0, j1) already stand as wanted, and old row i1 stands at row j1
        if gone > come:
            moves.append(RowDelete(wanted.title, j1 + come, gone - come))
            del standing[j1 + come : j1 + gone]
        elif come > gone:
            if j1 + gone < len(standing):  # rows after the last one need no room made
                moves.append(RowInsert(wanted.title, j1 + gone, come - gone))
            standing[j1 + gone : j1 + gone] = [[] for _ in range(come - gone)]
    return [*moves, *diff_tab(standing, wanted)]


def _row_key(row: Sequence[Cell], width: int) -> tuple[str, ...]:
    """A row's machine cells as read back (trailing blanks trimmed), to match rows across two versions."""
    cells = [c or "" for c in row[:width]]
    while cells and not cells[-1]:
        cells.pop()
    return tuple(cells)


def full_rewrite(title: str, grid: Grid, old_rows: int, old_cols: int) -> list[RangeWrite]:
    """Write a whole tab, padding with blanks over what a larger previous version held."""
    width = max([old_cols, *(len(r) for r in grid)]) if grid or old_cols else 0
    height = max(old_rows, len(grid))
    if not width or not height:
        return []
    rows = tuple(tuple([*(grid[r] if r < len(grid) else []), *[""] * width][:width]) for r in range(height))
    return [RangeWrite(title, 0, 0, rows)]


def count_cells(writes: Iterable[Write]) -> int:
    """Cells covered by a list of writes (rows inserted or deleted cover none)."""
    return sum(w.cells for w in writes)


def cell_bytes(writes: Iterable[Write]) -> int:
    """About the bytes the cells of `writes` take in a request body: each value's UTF-8, its quotes and comma
    (JSON escapes and the ranges' own few bytes left out: this weighs one set of writes against another)."""
    return sum(
        len(v.encode()) + 3 for w in writes if isinstance(w, RangeWrite) for row in w.values for v in row
    )
