"""Old rows vs new rows of a list tab → rows deleted, rows inserted, and the cells of new or changed rows.  Pure.

A public list is sorted by name: a new organisation goes where its name sorts, an excluded one leaves a gap
that closes. Rewriting the tab from the first change down would send half the list for one new name; instead
the rows that stay are matched in order (`difflib.SequenceMatcher` on whole rows, the ID included), and only
the rest is sent: a `RowDelete` for rows that go, a `RowInsert` for rows that come, and a `RangeWrite` of
their cells. Applied in order (`sync.backends.base.apply_writes`), the writes turn `old` into `new` exactly,
so the tab keeps the order `new` has.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from difflib import SequenceMatcher

from sync.backends.base import RangeWrite, RowDelete, RowInsert, Write
from sync.model import Grid


def row_diff(title: str, old: Grid, new: Grid) -> list[Write]:
    """The writes that turn the rows of `old` into those of `new` (both trimmed grids, header included)."""
    a = [tuple(r) for r in old]
    b = [tuple(r) for r in new]
    out: list[Write] = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        gone, come = i2 - i1, j2 - j1
        # before this step rows [0, j1) already read as `new`, and old row i1 sits at row j1
        if gone > come:
            out.append(RowDelete(title, j1 + come, gone - come))
        elif come > gone:
            out.append(RowInsert(title, j1 + gone, come - gone))
        out += _cells(title, j1, b[j1:j2], [len(r) for r in a[i1 : i1 + min(gone, come)]])
    return out


def _cells(
    title: str, top: int, rows: Sequence[tuple[str, ...]], old_widths: Sequence[int]
) -> Iterator[RangeWrite]:
    """One rectangle for rows [top, top + len(rows)): each row padded with "" over what its old row held."""
    if not rows:
        return
    width = max([*(len(r) for r in rows), *old_widths])
    if width:
        yield RangeWrite(title, top, 0, tuple(tuple([*r, *[""] * (width - len(r))]) for r in rows))
