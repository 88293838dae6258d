"""The public workbook's tabs diffed against what the state says they hold, so bytes follow the change.  Pure.

The public spreadsheet is never read (a sync is 3 requests: read staff, write public, write staff), so what
it holds is kept in the staff workbook's hidden state: for each organisation published, a short digest of
its public rows and the row it occupies in every list tab (`pubblico | riga:E-0042 | <digest>|0:17;2:5`,
tab 0 = the first list tab). A list tab is a tab whose first column is `ID`; like the staff tabs
(`diff.rows_in_place`) it keeps each row where it is: an organisation new to the tab takes the first free
row at the end, one that leaves it is replaced by the tab's last row (one row moved, not the whole tail
shifted). So a sync with 10 new responses writes about 10 rows per tab, at any size, also when an
organisation joins an area in the middle of the list. The first write of a tab is in the order
`render.render_public` gives (by name).

Tabs without an `ID` column (`Informazioni`), or whose record does not match (an older state, a changed
layout, a tab the backend had to recreate), are rewritten whole, as before.

Writes are absolute values computed from the previous state: after a fault between the public write and the
staff write (which carries the new state), the next sync computes the same writes again and converges.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sync.backends.base import RangeWrite
from sync.diff import full_rewrite
from sync.model import Grid

ROW_PREFIX = "riga:"
TABS_KEY = "_righe_schede"  # which list tabs the recorded positions refer to, in order
TAB_PREFIX = "tab:"
ID_HEADER = "ID"

Record = tuple[str, int, int]


@dataclass
class PublicChange:
    """What the public write changes in one tab (rows by position; cells counted)."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    cells: int = 0


@dataclass
class PublicPlan:
    """The writes for the public workbook, the new records for the state, and every tab as it will read."""

    writes: list[RangeWrite] = field(default_factory=list)
    changes: dict[str, PublicChange] = field(default_factory=dict)
    records: dict[str, Record] = field(default_factory=dict)
    grids: dict[str, Grid] = field(default_factory=dict)  # tab as it is after the write (for a rebuild)


def _digest(parts: Sequence[Sequence[str]]) -> str:
    h = hashlib.sha256()
    for row in parts:
        h.update("\x1f".join(row).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()[:12]


def keyed(grid: Grid) -> bool:
    """A list tab: `ID` in the header's first cell and a distinct non-empty ID on every row."""
    if not grid or not grid[0] or grid[0][0] != ID_HEADER:
        return False
    ids = [r[0] if r else "" for r in grid[1:]]
    return all(ids) and len(set(ids)) == len(ids)


def _positions(text: str) -> dict[int, int]:
    out: dict[int, int] = {}
    for part in text.split(";"):
        tab, _, row = part.partition(":")
        if tab.isdigit() and row.isdigit():
            out[int(tab)] = int(row)
    return out


def _slots(old: Mapping[str, int], wanted: Sequence[str]) -> dict[str, int]:
    """Row (1-based, under the header) of each wanted ID: kept where it was if it still fits; IDs new to the
    tab, then those left beyond the new end, fill the free rows in order."""
    n = len(wanted)
    out = {e: old[e] for e in wanted if e in old and old[e] <= n}
    taken = set(out.values())
    free = (p for p in range(1, n + 1) if p not in taken)
    movers = [e for e in wanted if e not in old] + sorted(
        (e for e in wanted if e in old and old[e] > n), key=lambda e: old[e]
    )
    for entity, at in zip(movers, free, strict=False):
        out[entity] = at
    return out


def _id_order(entity: str) -> tuple[int, str]:
    text = entity.strip().upper()
    number = int(text[2:]) if text.startswith("E-") and text[2:].isdigit() else 0
    return number, entity


def _runs(tab: str, rows: Mapping[int, list[str]]) -> list[RangeWrite]:
    """Consecutive rows of the same width as one rectangle."""
    out: list[RangeWrite] = []
    block: list[tuple[str, ...]] = []
    top = -1
    for r in sorted(rows):
        values = tuple(rows[r])
        if block and r == top + len(block) and len(values) == len(block[0]):
            block.append(values)
            continue
        if block:
            out.append(RangeWrite(tab, top, 0, tuple(block)))
        block, top = [values], r
    if block:
        out.append(RangeWrite(tab, top, 0, tuple(block)))
    return out


def plan_public(
    public: Mapping[str, Grid],
    previous: Mapping[str, Record],
    *,
    next_id: int,
    new_ids: int = 0,
    whole: frozenset[str] = frozenset(),
    always: frozenset[str] = frozenset(),
) -> PublicPlan:
    """The public writes: list tabs row by row against the recorded positions, other tabs whole when changed.

    `previous` is the state's `pubblico` records; `new_ids` how many IDs this sync gave (a sync interrupted
    after its public write may have appended up to that many rows past the recorded end: they are cleared
    when the list did not grow as far); `whole` names tabs to rewrite whole whatever the record says; `always` tabs whose record is kept whole (no row records) even if they have an ID column.
    """
    out = PublicPlan()
    lists = [t for t, g in public.items() if keyed(g) and t not in always]
    tabs_digest = _digest([lists])
    same_tabs = previous.get(TABS_KEY, ("",))[0] == tabs_digest
    out.records[TABS_KEY] = (tabs_digest, 0, 0)

    # what each ID published had: its digest and its row in each list tab
    old_digest: dict[str, str] = {}
    old_pos: list[dict[str, int]] = [{} for _ in lists]
    for key, (value, _r, _c) in previous.items():
        if not key.startswith(ROW_PREFIX) or not value:
            continue
        entity = key[len(ROW_PREFIX) :]
        digest, _, where = value.partition("|")
        old_digest[entity] = digest
        if same_tabs:
            for index, at in _positions(where).items():
                if index < len(old_pos):
                    old_pos[index][entity] = at

    # the wanted rows of each ID in every list tab, and one digest per ID over all of them
    rows_of: dict[str, list[list[str]]] = {}
    for title in lists:
        for line in public[title][1:]:
            rows_of.setdefault(line[0], []).append([title, *line])
    new_digest = {e: _digest(parts) for e, parts in rows_of.items()}
    members: dict[str, list[str]] = {e: [] for e in rows_of}

    for index, title in enumerate(lists):
        grid = public[title]
        width = max(len(r) for r in grid)
        record = previous.get(TAB_PREFIX + title)
        old_rows = record[1] if record else 0
        known = old_pos[index]
        valid = (
            record is not None
            and title not in whole
            and record[2] == width
            and old_rows == len(known) + 1
            and sorted(known.values()) == list(range(1, len(known) + 1))
        )
        by_id = {r[0]: r for r in grid[1:]}
        slots = _slots(known if valid else {}, [r[0] for r in grid[1:]])
        final: Grid = [list(grid[0])] + [[] for _ in by_id]
        for entity, at in slots.items():
            final[at] = list(by_id[entity])
            members[entity].append(f"{index}:{at}")
        out.grids[title] = final
        digest = _digest(final)
        out.records[TAB_PREFIX + title] = (digest, len(final), width)
        if valid and record is not None and record[0] == digest:
            continue
        if not valid:
            # unknown content: write it all, clearing what an older (or interrupted) version may have left
            clear = max(old_rows, next_id)
            writes = full_rewrite(title, final, clear, record[2] if record else 0)
            change = PublicChange(
                added=max(0, len(final) - old_rows),
                changed=min(len(final), old_rows),
                removed=max(0, old_rows - len(final)),
            )
        else:
            lines: dict[int, list[str]] = {}
            change = PublicChange()
            for entity, at in slots.items():
                if known.get(entity) != at or old_digest.get(entity) != new_digest[entity]:
                    lines[at] = [*final[at], *[""] * width][:width]
                    if at >= old_rows:
                        change.added += 1
                    else:
                        change.changed += 1
            for at in range(len(final), old_rows):
                lines[at] = [""] * width
                change.removed += 1
            for at in range(max(len(final), old_rows), old_rows + new_ids):
                lines[at] = [""] * width
            writes = _runs(title, lines)
        change.cells = sum(w.cells for w in writes)
        out.writes += writes
        out.changes[title] = change

    for entity in sorted(members, key=_id_order):
        out.records[ROW_PREFIX + entity] = (f"{new_digest[entity]}|{';'.join(members[entity])}", 0, 0)
    # an organisation no longer published keeps its line, emptied: the state's later lines do not move
    for key in previous:
        if key.startswith(ROW_PREFIX) and key not in out.records:
            out.records[key] = ("", 0, 0)

    for title, grid in public.items():
        if title in lists:
            continue
        width = max(len(r) for r in grid)
        digest = _digest(grid)
        old = previous.get(TAB_PREFIX + title)
        out.grids[title] = [list(r) for r in grid]
        if old is None or old[0] != digest or title in whole:
            old_rows, old_cols = (old[1], old[2]) if old else (0, 0)
            writes = full_rewrite(title, grid, old_rows, old_cols)
            out.writes += writes
            out.changes[title] = PublicChange(
                added=max(0, len(grid) - old_rows),
                changed=min(len(grid), old_rows),
                removed=max(0, old_rows - len(grid)),
                cells=sum(w.cells for w in writes),
            )
        out.records[TAB_PREFIX + title] = (digest, len(grid), width)
    return out


def keep_rows_in_place(current: Grid, wanted: Sequence[Sequence[str | None]]) -> list[list[str | None]] | None:
    """A machine list tab (read back, header first) with its wanted rows placed where they already are.

    Rows are matched by their ID when column A holds distinct IDs, else by their whole content; a row new to
    the tab takes a row freed by one that left (or one past the end). So inserting a row in a sorted list
    moves no other row: the diff then writes what changed, not the tail. None when the tab is unknown or its
    header differs (then it is written as rendered)."""
    if not current or len(wanted) < 2 or any(c is None for r in wanted for c in r):
        return None
    header = [c or "" for c in wanted[0]]
    if _trimmed(current[0]) != _trimmed(header):
        return None
    rows = [[c or "" for c in r] for r in wanted[1:]]
    by_id = [r[0] for r in rows] if all(r and r[0] for r in rows) else []
    if by_id and len(set(by_id)) == len(by_id):
        keys = by_id
        old_keys = [line[0] if line else "" for line in current[1:]]
    else:
        keys = _counted([tuple(_trimmed(r)) for r in rows])
        old_keys = _counted([tuple(line) for line in current[1:]])
    old: dict[str, int] = {}
    for at, key in enumerate(old_keys, 1):
        if key and key not in old:
            old[key] = at
    slots = _slots(old, keys)
    out: list[list[str | None]] = [list(wanted[0])] + [[] for _ in rows]
    for key, row in zip(keys, rows, strict=True):
        out[slots[key]] = list(row)
    return out


def _trimmed(row: Sequence[str]) -> list[str]:
    end = len(row)
    while end and row[end - 1] == "":
        end -= 1
    return list(row[:end])


def _counted(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """A key per row: its content, numbered when the same row appears more than once."""
    seen: dict[tuple[str, ...], int] = {}
    out = []
    for row in rows:
        seen[row] = seen.get(row, 0) + 1
        out.append("\x1f".join(row) + f"\x1e{seen[row]}")
    return out
