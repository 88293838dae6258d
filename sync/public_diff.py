"""Old rows vs new rows of a list tab → rows deleted, rows inserted, and the cells of new or changed rows.  Pure.

A public list is sorted by name: a new organisation goes where its name sorts, an excluded one leaves a gap
that closes. Rewriting the tab from the first change down would send half the list for one new name; instead
the rows that stay are matched in order (`difflib.SequenceMatcher` on whole rows, the ID included), and only
the rest is sent: a `RowDelete` for rows that go, a `RowInsert` for rows that come, and a `RangeWrite` of
their cells. Applied in order (`sync.backends.base.apply_writes`), the writes turn `old` into `new` exactly,
so the tab keeps the order `new` has.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
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


# -- the public tabs as the record of the last sync says they are ---------------------------------------------
#
# The public workbook on Google Sheets is not read back: its rows are diffed against what the last sync
# recorded in `_stato`, one `pubblicato` line per listed organisation: its row's digest, the ID listed just
# above it in `Elenco` (so the order is known, and a name sorted in changes one neighbour's line only) and
# its areas (so each area tab's rows, `Elenco`'s in the same order, are known too). A `Guard` makes sure the
# workbook is the one recorded before any row is moved.

LINE_SEP = "|"
AREA_SEP = ","
UNLISTED = "-"  # the line of an organisation no longer listed (kept, so that the lines below do not move)

Key = tuple[str, str]  # (ID, digest of its `Elenco` row): a row unchanged keeps its key


@dataclass(frozen=True, slots=True)
class Published:
    """One `pubblicato` line: what a listed organisation's public rows held when last written."""

    digest: str
    previous: str  # the ID just above in `Elenco` ("" for the first row)
    areas: tuple[str, ...]

    def line(self) -> str:
        return LINE_SEP.join((self.digest, self.previous, AREA_SEP.join(self.areas)))


def row_digest(row: Sequence[str]) -> str:
    """48 bits of a row's SHA-256: a changed row reads as changed (a collision among a list's rows: 1e-7)."""
    return hashlib.sha256("\x1f".join(row).encode("utf-8")).hexdigest()[:12]


def sequence_digest(header: Sequence[str], keys: Sequence[Key]) -> str:
    """A list tab's content digest: its header and its rows' keys in order (an area tab's rows are columns of
    `Elenco`'s, so the key of the `Elenco` row stands for them)."""
    h = hashlib.sha256("\x1f".join(header).encode("utf-8"))
    for entity, digest in keys:
        h.update(f"\x1e{entity}\x1f{digest}".encode())
    return h.hexdigest()[:16]


def published_lines(main: Grid, areas: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """The `pubblicato` lines of `Elenco`'s rows (header first, the ID in the first column), by ID."""
    out: dict[str, str] = {}
    previous = ""
    for row in main[1:]:
        entity = row[0]
        out[entity] = Published(row_digest(row), previous, areas.get(entity, ())).line()
        previous = entity
    return out


def recorded_order(lines: Mapping[str, str]) -> list[tuple[str, Published]] | None:
    """`Elenco`'s rows as recorded, in order; None when the lines do not make one list (lost or edited)."""
    below: dict[str, tuple[str, Published]] = {}
    for entity, line in lines.items():
        if line == UNLISTED:
            continue
        parts = line.split(LINE_SEP)
        if len(parts) != 3 or not parts[0] or parts[1] in below:
            return None
        below[parts[1]] = (
            entity,
            Published(parts[0], parts[1], tuple(a for a in parts[2].split(AREA_SEP) if a)),
        )
    order: list[tuple[str, Published]] = []
    here = ""
    while here in below and len(order) <= len(below):
        entry = below[here]
        order.append(entry)
        here = entry[0]
    return order if len(order) == len(below) else None


def keyed_diff(title: str, old: Sequence[Key], new: Sequence[Key], rows: Grid, width: int) -> list[Write]:
    """The writes that turn a list tab whose rows had the keys `old` into `rows` (keys `new`, header at row 0,
    not written): rows that stay are matched in order, as `row_diff` does, and only the others are sent."""
    out: list[Write] = []
    matcher = SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        gone, come = i2 - i1, j2 - j1
        top = j1 + 1  # below the header
        if gone > come:
            out.append(RowDelete(title, top + come, gone - come))
        elif come > gone:
            out.append(RowInsert(title, top + gone, come - gone))
        if come:
            cells = tuple(tuple([*r, *[""] * (width - len(r))][:width]) for r in rows[top : top + come])
            out.append(RangeWrite(title, top, 0, cells))
    return out
