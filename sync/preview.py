"""What a sync would change, told by organisation (not by cell churn), for the dry run and «Anteprima».  Pure.

Per machine-owned tab: which organisations' rows would be added, changed or removed (rows are grouped by the
tab's ID column, so a re-sorted tab or a moved cell does not count as many changes); the staff decisions
that take effect; and, by name, the organisations that would enter or leave the public list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sync import labels
from sync.decisions import target_id, target_row
from sync.diff import Cell, WantedTab
from sync.model import Decision, Grid, Organisation, Problem

KEY_HEADERS = ("ID", "ID ente", "ID ente A")
NAME_HEADERS = ("Denominazione", "Denominazione A")
ROW_HEADER = "Riga"
STATUS_HEADER = "Stato"
DECISIONS_ORIGIN = "Decisioni"
ANONYMOUS = "\x00"


@dataclass(frozen=True)
class Named:
    """An organisation, or a row without one (`riga N`), as people read it."""

    key: str
    name: str

    def text(self) -> str:
        """`E-0001 Il Volo APS`, just the key when there is no name, "" for a row known only by content."""
        if self.key.startswith(ANONYMOUS):
            return ""
        return f"{self.key} {self.name}".strip()


@dataclass(frozen=True)
class TabPreview:
    """What would change in one tab."""

    tab: str
    added: tuple[Named, ...]
    changed: tuple[Named, ...]
    removed: tuple[Named, ...]


@dataclass(frozen=True)
class Preview:
    """The whole dry run: per tab, the decisions that take effect, who enters and leaves the public list."""

    tabs: tuple[TabPreview, ...]
    decisions: tuple[str, ...]
    entering: tuple[Named, ...]
    leaving: tuple[Named, ...]

    @property
    def empty(self) -> bool:
        """Nothing would change."""
        return not self.tabs and not self.entering and not self.leaving

    def lines(self) -> list[str]:
        """The preview in Italian, one line per fact (CLI and the add-on's dialog)."""
        return preview_lines(self)

    def to_json(self) -> dict[str, Any]:
        """The JSON the add-on shows (keys in Italian, like the webhook's)."""
        return {
            "schede": [
                {
                    "scheda": t.tab,
                    "aggiunte": len(t.added),
                    "modificate": len(t.changed),
                    "tolte": len(t.removed),
                    "enti_aggiunti": _texts(t.added),
                    "enti_modificati": _texts(t.changed),
                    "enti_tolti": _texts(t.removed),
                }
                for t in self.tabs
            ],
            "decisioni": list(self.decisions),
            "entrano_nell_elenco_pubblico": [n.text() for n in self.entering],
            "escono_dall_elenco_pubblico": [n.text() for n in self.leaving],
            "righe": self.lines(),
        }


def _text(cell: Cell) -> str:
    return "" if cell is None else str(cell).strip()


def _column(header: Sequence[str], names: Iterable[str]) -> int | None:
    return next((header.index(n) for n in names if n in header), None)


def _groups(grid: Sequence[Sequence[Cell]]) -> tuple[dict[str, list[tuple[str, ...]]], dict[str, str]]:
    """Rows grouped by organisation ID (else by `riga N`, else by content), and a name for each group."""
    if not grid:
        return {}, {}
    header = [_text(c) for c in grid[0]]
    key_col = _column(header, KEY_HEADERS)
    row_col = _column(header, (ROW_HEADER,))
    name_col = _column(header, NAME_HEADERS)
    groups: dict[str, list[tuple[str, ...]]] = {}
    names: dict[str, str] = {}
    for raw in grid[1:]:
        row = [_text(c) for c in raw]
        while row and not row[-1]:
            row.pop()
        if not row:
            continue

        def at(col: int | None, cells: list[str] = row) -> str:
            return cells[col] if col is not None and col < len(cells) else ""

        key = at(key_col) or (labels.PREVIEW_ROW.format(row=at(row_col)) if at(row_col) else "")
        # a row of a tab without IDs or row numbers is known only by its content: counted, never named
        key = key or ANONYMOUS + "\t".join(row)
        groups.setdefault(key, []).append(tuple(row))
        names.setdefault(key, at(name_col))
    return groups, names


def _effective(current: Grid, wanted: WantedTab) -> tuple[list[list[Cell]], list[list[Cell]]]:
    """Both grids cut to the machine's columns, the wanted one with staff cells (None) as they are now."""
    width = wanted.owned_width
    cur: list[list[Cell]] = [list(r[:width]) for r in current]
    want: list[list[Cell]] = []
    for r, row in enumerate(wanted.rows):
        kept = cur[r] if r < len(cur) else []
        want.append(
            [(kept[c] if c < len(kept) else "") if v is None else v for c, v in enumerate(row[:width])]
        )
    return cur, want


def tab_preview(tab: str, current: Grid, wanted: WantedTab) -> TabPreview | None:
    """Organisations whose rows of `tab` would be added, changed or removed; None if nothing would."""
    cur, want = _effective(current, wanted)
    before, old_names = _groups(cur)
    after, new_names = _groups(want)

    def named(keys: Iterable[str]) -> tuple[Named, ...]:
        return tuple(Named(k, new_names.get(k) or old_names.get(k, "")) for k in sorted(keys, key=_order))

    added = named(k for k in after if k not in before)
    removed = named(k for k in before if k not in after)
    changed = named(k for k in after if k in before and sorted(after[k]) != sorted(before[k]))
    if not (added or removed or changed):
        return None
    return TabPreview(tab, added, changed, removed)


def _order(key: str) -> tuple[int, str]:
    digits = "".join(ch for ch in key if ch.isdigit())
    return (int(digits) if digits and len(digits) < 12 else 0, key)


def listed_before(elenco: Sequence[Sequence[Cell]]) -> dict[str, str]:
    """ID → name of the organisations the staff `Elenco` tab shows as listed (those in the public list)."""
    groups, names = _groups(elenco)
    if not elenco:
        return {}
    header = [_text(c) for c in elenco[0]]
    status_col = _column(header, (STATUS_HEADER,))
    active = labels.STATUS_LABELS["attivo"]
    out: dict[str, str] = {}
    for key, rows in groups.items():
        if status_col is not None and any(status_col < len(r) and r[status_col] == active for r in rows):
            out[key] = names.get(key, "")
    return out


def decisions_in_effect(
    decisions: Sequence[Decision],
    anomalies: Sequence[Problem],
    affected: set[str],
    row_entity: Mapping[int, str],
) -> tuple[str, ...]:
    """The decisions that apply and touch an organisation (or row) whose lines would change, in sheet order."""
    refused = {p.row for p in anomalies if p.field == DECISIONS_ORIGIN}
    out: list[str] = []
    for d in decisions:
        if d.sheet_row in refused:
            continue
        row = target_row(d.target)
        entity = target_id(d.target) or (row_entity.get(row, "") if row is not None else "")
        keys = {entity, labels.PREVIEW_ROW.format(row=row) if row is not None else ""} - {""}
        if not keys & affected:
            continue
        what = " ".join(x for x in (d.target, d.verb, d.value) if x)
        out.append(labels.PREVIEW_DECISION.format(row=d.sheet_row, what=what, reason=d.reason or "—"))
    return tuple(out)


def build_preview(
    tabs: Mapping[str, tuple[Grid, WantedTab]],
    elenco_tab: str,
    organisations: Sequence[Organisation],
    decisions: Sequence[Decision],
    anomalies: Sequence[Problem],
    row_entity: Mapping[int, str],
) -> Preview:
    """The dry run of a sync plan: `tabs` maps each machine-owned tab to (current cells, wanted cells)."""
    previews = [p for t, (cur, want) in tabs.items() if (p := tab_preview(t, cur, want)) is not None]
    affected = {n.key for p in previews for n in (*p.added, *p.changed, *p.removed)}
    before = listed_before(tabs[elenco_tab][0]) if elenco_tab in tabs else {}
    after = {o.id: o.current.response.name for o in organisations if o.listed}
    entering = tuple(Named(k, after[k]) for k in sorted(set(after) - set(before), key=_order))
    leaving = tuple(Named(k, after.get(k) or before[k]) for k in sorted(set(before) - set(after), key=_order))
    return Preview(
        tabs=tuple(previews),
        decisions=decisions_in_effect(decisions, anomalies, affected, row_entity),
        entering=entering,
        leaving=leaving,
    )


def _texts(items: Sequence[Named]) -> list[str]:
    return [t for t in (n.text() for n in items) if t]


def _names(items: Sequence[Named]) -> str:
    return ", ".join(_texts(items))


def preview_lines(preview: Preview) -> list[str]:
    """Italian lines: per tab the counts and the organisations, then decisions and the public list."""
    if preview.empty:
        return [labels.PREVIEW_NOTHING]
    lines: list[str] = []
    for t in preview.tabs:
        lines.append(
            labels.PREVIEW_TAB.format(
                tab=t.tab, added=len(t.added), changed=len(t.changed), removed=len(t.removed)
            )
        )
        for word, items in (
            (labels.PREVIEW_ADDED, t.added),
            (labels.PREVIEW_CHANGED, t.changed),
            (labels.PREVIEW_REMOVED, t.removed),
        ):
            if _texts(items):
                lines.append(f"    {word}: {_names(items)}")
    if preview.decisions:
        lines.append(labels.PREVIEW_DECISIONS)
        lines += [f"    {d}" for d in preview.decisions]
    if preview.entering:
        lines.append(labels.PREVIEW_ENTERING.format(names=_names(preview.entering)))
    if preview.leaving:
        lines.append(labels.PREVIEW_LEAVING.format(names=_names(preview.leaving)))
    if not preview.entering and not preview.leaving:
        lines.append(labels.PREVIEW_PUBLIC_SAME)
    return lines
