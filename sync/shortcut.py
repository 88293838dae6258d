"""The idle short-cut: a sync whose inputs are exactly what the previous sync left skips the plan.

A sync's result depends only on what it reads (the responses, every tab of the staff workbook), on the
configuration and on this code. After writing, a sync knows what the staff workbook now holds: what it read
with its own writes applied. It records a digest of that, with the configuration's, in `_stato`; the next
sync that reads the same (nobody answered the form, nobody typed in a tab, nothing was upgraded) has
nothing to change and stops after reading — no resolve, no render, no write. Anything else, or a digest
that could not be recorded, means a full plan, which is always correct.

Pure: grids in, digests out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from sync.backends.base import RangeWrite, Write, apply_writes
from sync.model import Grid
from sync.state import FIGURES_KEY, INPUT_KEY, STATE_TAB

# Bump when the plan's logic changes in a way the package version does not show (development installs).
PLAN_VERSION = "1"
_OWN_KEYS = frozenset({INPUT_KEY, FIGURES_KEY})  # the `_stato` lines this module writes

__all__ = ["FIGURES_KEY", "INPUT_KEY", "after_writes", "figures_text", "input_digest", "read_figures"]


def _trimmed_rows(grid: Grid) -> Grid:
    """`grid` without trailing empty cells and rows, copying only the rows to trim (a read already trims)."""
    rows: Grid = [_trimmed_row(r) if r and r[-1] == "" else r for r in grid]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _trimmed_row(row: list[str]) -> list[str]:
    out = list(row)
    while out and out[-1] == "":
        out.pop()
    return out


def input_digest(responses: Grid, tabs: Mapping[str, Grid], context: Iterable[str]) -> str:
    """The digest of a sync's inputs: the responses, every staff tab (but this module's own `_stato`
    lines), and `context` (configuration, layouts, the program's version: given by the caller)."""
    h = hashlib.sha256()

    def add(grid: Grid) -> None:
        # one update per tab, of the bytes a row-by-row update would hash: each row, then \x1e; then \x1d
        rows = _trimmed_rows(grid)
        if rows:
            h.update(("\x1e".join(["\x1f".join(row) for row in rows]) + "\x1e").encode("utf-8", "surrogatepass"))
        h.update(b"\x1d")

    h.update("\x1f".join([PLAN_VERSION, *context]).encode("utf-8", "surrogatepass"))
    add(responses)
    for title in sorted(tabs):
        grid = tabs[title]
        if title == STATE_TAB:
            grid = [r for r in grid if not (len(r) > 1 and r[0] == "pubblico" and r[1] in _OWN_KEYS)]
        h.update(title.encode("utf-8", "surrogatepass") + b"\x1c")
        add(grid)
    return h.hexdigest()[:32]


def after_writes(tabs: Mapping[str, Grid], writes: Iterable[Write]) -> dict[str, Grid]:
    """The tabs as they read once `writes` are applied (a write of "" clears its cell)."""
    todo = list(writes)
    out: dict[str, Grid] = {}
    copied: dict[str, set[int]] = {}  # per tab, the ids of the rows already copied (written in place)
    for w in todo:
        # each written tab copied once, and of it only the rows a rectangle writes: a sync may hold thousands
        # of writes to a tab of 20,000 rows, most of which it leaves as they are
        grid = out.get(w.tab)
        if grid is None:
            grid = out[w.tab] = list(tabs.get(w.tab, []))
            copied[w.tab] = set()
        if isinstance(w, RangeWrite):
            own = copied[w.tab]
            for index in range(w.row, min(len(grid), w.row + len(w.values))):
                if id(grid[index]) not in own:
                    grid[index] = list(grid[index])
                    own.add(id(grid[index]))
        apply_writes(out, [w])
    return {**tabs, **{title: _trimmed_rows(grid) for title, grid in out.items()}}


def figures_text(figures: Mapping[str, object]) -> str:
    """A sync's figures as the `_stato` line stores them."""
    return json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def read_figures(text: str) -> dict[str, object] | None:
    """The figures of a `_stato` line, or None when the line is missing or damaged."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
