"""Requests and bytes of a Google Sheets sync, each sync in its own process, against the floor and a naive peer.

    .venv/bin/python -m bench.bench_gsheets [--sizes 100,1000,10000] [--latency 0] [--cap 20]

For each size N, `sync.demo_data.generate` makes the form responses (preset `crema`); the first N go into the
fake's responses tab (the Sheets API fake of `tests/fakes`, unchanged, in this process). Four syncs are
measured, each a new Python process (`python -m bench.bench_gsheets --child …`: the CLI, cron or webhook
case, nothing cached): the first sync on brand-new spreadsheets (no `init` before), a sync with 10 new
responses, one with one decision (`Escludi` of an organisation in the middle of the list), one with no change.

For each: HTTP requests received by the fake, bytes sent (request bodies) and received (response bodies,
counted by the child's HTTP session), and the largest request body. Side by side, in the same run:

* floor — 3 requests (read staff, write public, write staff; 1 with nothing new), and the bytes an
  order-preserving row diff of the workbooks before and after the sync sends (`sync.public_diff.row_diff`
  on the fake's cells: the new or changed rows, and the rows inserted or deleted);
* naive — what a first gspread script does: `open_by_key`, `worksheet(title).get_all_records()` per tab,
  `add_worksheet` for a missing tab (and `resize` when too small), `update` of every machine tab, and
  `append_row` per new row of `Risposte` and of the sync log (in this process, a fresh `gspread.Client`).

The naive first sync makes one `append_row` per response. To keep N = 10,000 within minutes, at most `--cap`
`append_row` calls of a sync are really made; the rest are extrapolated (marked `*`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import gspread
from gspread.exceptions import GSpreadException, WorksheetNotFound

from bench.common import demo_set
from sync.backends.base import RangeWrite, RowInsert, Snapshot
from sync.backends.gsheets import GSheetsStore
from sync.config import Settings, load_settings, parse_settings
from sync.layouts import REGISTRO, RISPOSTE, staff_specs
from sync.pipeline import run_sync
from sync.plan import plan_sync
from sync.public_diff import row_diff
from sync.render import render_log_line
from sync.state import STATE_TAB, render_state
from tests.fakes.sheets_api import SheetsFake

RESPONSES = "Risposte del modulo 1"
FIRST = datetime(2024, 5, 20, 10, 0)
NEXT = datetime(2024, 5, 21, 10, 0)
LAST = datetime(2024, 5, 22, 10, 0)
NEW_ROWS = 10


@dataclass
class Figures:
    """One measured sync."""

    requests: int
    seconds: float
    capped: bool = False
    largest_body_mb: float = 0.0

    def cell(self) -> str:
        star = "*" if self.capped else ""
        return f"{self.requests:>6}{star:1} {self.seconds:8.1f}s{star:1}"


# -- the naive gspread script --------------------------------------------------------------------------


class Naive:
    """A straightforward gspread sync (see the module docstring), counting the requests it would make."""

    def __init__(self, fake: SheetsFake, staff_id: str, public_id: str, settings: Settings, cap: int) -> None:
        self.fake = fake
        self.gc = gspread.Client(auth=None, session=fake.session())  # type: ignore[arg-type]
        self.staff_id = staff_id
        self.public_id = public_id
        self.settings = settings
        self.cap = cap
        self.uncounted = 0  # requests sent only to stand in for appends not made
        self.skipped = 0  # append_row calls not made (extrapolated)
        self.append_times: list[float] = []

    def sync(self, now: datetime) -> Figures:
        """One naive sync; returns its (partly extrapolated) request count and time."""
        self.fake.reset_counts()
        self.uncounted = self.skipped = 0
        self.append_times = []
        started = time.perf_counter()
        sh = self.gc.open_by_key(self.staff_id)
        responses = _records_grid(sh.worksheet(RESPONSES))
        sheets: dict[str, Any] = {}
        tabs: dict[str, list[list[str]]] = {}
        for spec in staff_specs(self.settings.ambito):
            try:
                ws = sh.worksheet(spec.title)
            except WorksheetNotFound:
                continue
            sheets[spec.title] = ws
            grid = _records_grid(ws)
            if grid:
                tabs[spec.title] = grid
        plan = plan_sync(
            Snapshot(tabs=tabs, responses=responses, responses_origin=RESPONSES), self.settings, now
        )
        for spec in staff_specs(self.settings.ambito):
            if spec.title not in sheets:
                sheets[spec.title] = sh.add_worksheet(spec.title, rows=1000, cols=26)
                sheets[spec.title].update([list(spec.header), *map(list, spec.seed)], "A1")
        for title, (current, wanted) in plan.staff.items():
            rows = [
                [
                    (
                        c
                        if c is not None
                        else (current[r][i] if r < len(current) and i < len(current[r]) else "")
                    )
                    for i, c in enumerate(row)
                ]
                for r, row in enumerate(wanted.rows)
            ]
            if title == RISPOSTE:
                self._append(sheets[title], rows, len(current))
            else:
                self._replace(sheets[title], rows)
        self._replace(sheets[STATE_TAB], [list(r) for r in render_state(plan.resolution.state)])
        figures = {"responses": len(plan.resolution.outcomes)}
        self._append(sheets[REGISTRO], [["x"], render_log_line(now, "manuale", figures, "completata")], 1)
        ph = self.gc.open_by_key(self.public_id)
        for title, grid in plan.public.items():
            try:
                ws = ph.worksheet(title)
            except WorksheetNotFound:
                ws = ph.add_worksheet(title, rows=max(1000, len(grid) + 1), cols=26)
            self._replace(ws, grid)
        elapsed = time.perf_counter() - started
        mean = sum(self.append_times) / len(self.append_times) if self.append_times else 0.0
        return Figures(
            self.fake.count() - self.uncounted + self.skipped,
            elapsed + self.skipped * mean,
            capped=self.skipped > 0,
        )

    def _replace(self, ws: Any, rows: list[list[str]]) -> None:
        if ws.row_count < len(rows):
            ws.resize(rows=len(rows) + 100)
        ws.update(rows, "A1")

    def _append(self, ws: Any, rows: list[list[str]], have: int) -> None:
        """append_row for each row beyond the first `have`; past the cap, one uncounted bulk update."""
        new = rows[have:]
        for row in new[: self.cap]:
            t = time.perf_counter()
            ws.append_row(row)
            self.append_times.append(time.perf_counter() - t)
        rest = new[self.cap :]
        if rest:
            with _no_latency(self.fake):
                start = have + min(len(new), self.cap) + 1
                ws.resize(rows=max(ws.row_count, start + len(rest) + 100))
                ws.update(rest, f"A{start}")
            self.uncounted += 2
            self.skipped += len(rest)


def _records_grid(ws: Any) -> list[list[str]]:
    # get_all_records numericises: "01234560199" comes back as 1234560199 (the trap the backend avoids).
    try:
        records = ws.get_all_records()
    except GSpreadException:  # blank header cells (e.g. a roster's meeting columns): read the plain grid
        return [list(map(str, row)) for row in ws.get_all_values()]
    if not records:
        return []
    return [list(records[0]), *([str(v) for v in r.values()] for r in records)]


@contextmanager
def _no_latency(fake: SheetsFake) -> Iterator[None]:
    saved, fake.latency = fake.latency, 0.0
    try:
        yield
    finally:
        fake.latency = saved


# -- the run -------------------------------------------------------------------------------------------


def _settings(fake: SheetsFake, staff: str, public: str) -> Settings:
    return _settings_for(fake.base_url, staff, public)


def _settings_for(endpoint: str, staff: str, public: str) -> Settings:
    return parse_settings(
        {
            "preset": "crema",
            "backend": {
                "kind": "gsheets",
                "staff_spreadsheet_id": staff,
                "public_spreadsheet_id": public,
                "endpoint": endpoint,
                "credentials": "none",
                "timeout_s": 300,
            },
        },
        source="bench",
    )


# -- one sync in its own process --------------------------------------------------------------------------


def child(endpoint: str, staff: str, public: str, when: str, lock_dir: str) -> None:
    """Run one sync (what `elenco sync` does), counting response bytes at the HTTP session; print JSON."""
    settings = _settings_for(endpoint, staff, public)
    assert settings.backend.kind == "gsheets"
    received = [0]

    def count(response: Any, *args: Any, **kwargs: Any) -> None:
        received[0] += len(response.content)

    with GSheetsStore.from_settings(settings.backend, lock_dir=Path(lock_dir)) as store:
        store._session.hooks["response"].append(count)
        started = time.perf_counter()
        result = run_sync(store, settings, datetime.fromisoformat(when))
        seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "requests": result.report.api_requests,
                "received": received[0],
                "seconds": seconds,
                "cells": result.report.cells_written,
            }
        )
    )


@dataclass
class Measured:
    """One sync of the production code in its own process, and its floor."""

    requests: int
    sent: int
    received: int
    largest: int
    seconds: float
    floor_requests: int
    floor_bytes: int


def _snapshot(fake: SheetsFake, ids: tuple[str, str]) -> dict[tuple[str, str], list[list[Any]]]:
    return {(sid, t): fake.values(sid, t) for sid in ids for t in fake.sheet_titles(sid)}


def _floor_bytes(
    before: dict[tuple[str, str], list[list[Any]]], after: dict[tuple[str, str], list[list[Any]]]
) -> int:
    """Per workbook, what an order-preserving diff must send (`sync.public_diff.row_diff`, the lists keep their
    alphabetical order): one values:batchUpdate of the rows that are new or changed, and one batchUpdate of
    the rows inserted and deleted when rows move."""
    total = 0
    for sid in {k[0] for k in after}:
        data: list[dict[str, Any]] = []
        moves: list[dict[str, Any]] = []
        for (s, title), grid in after.items():
            if s != sid:
                continue
            old = [[str(v) for v in r] for r in before.get((s, title), [])]
            for w in row_diff(title, old, [[str(v) for v in r] for r in grid]):
                if isinstance(w, RangeWrite):
                    a1 = f"'{title}'!A{w.row + 1}"
                    data.append(
                        {"range": a1, "majorDimension": "ROWS", "values": [list(r) for r in w.values]}
                    )
                else:
                    kind = "insertDimension" if isinstance(w, RowInsert) else "deleteDimension"
                    span = {"sheetId": 0, "dimension": "ROWS", "startIndex": w.at, "endIndex": w.at + w.count}
                    moves.append({kind: {"range": span}})
        if data:
            body = {"valueInputOption": "RAW", "data": data}
            total += len(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        if moves:
            total += len(json.dumps({"requests": moves}).encode("utf-8"))
    return total


def _process_sync(fake: SheetsFake, ids: tuple[str, str], when: datetime, lock_dir: str) -> Measured:
    before = _snapshot(fake, ids)
    fake.reset_counts()
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_gsheets", "--child", fake.base_url, ids[0], ids[1], when.isoformat(), lock_dir],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    after = _snapshot(fake, ids)
    bodies = [len(r.body) for r in fake.log]
    assert fake.count() == got["requests"], (fake.count(), got)
    floor = _floor_bytes(before, after)
    return Measured(
        got["requests"],
        sum(bodies),
        got["received"],
        max(bodies, default=0),
        got["seconds"],
        3 if floor else 1,
        floor,
    )


def _decide(fake: SheetsFake, staff: str, public: str) -> None:
    """Staff type one decision: `Escludi` of the organisation in the middle of the public list."""
    listed = fake.values(public, "Elenco")
    target = listed[len(listed) // 2][0]
    rows = fake.values(staff, "Decisioni")
    line = [target, "Escludi", "", "requisiti non posseduti", "Ufficio di Piano", "21/05/2024"]
    fake.set_values(staff, "Decisioni", [line], start=f"A{len(rows) + 1}", input_option="RAW")


DECIDED = datetime(2024, 5, 21, 16, 0)
CASES = ("first", "incremental", "decision", "nochange")


def run(size: int, latency: float, cap: int) -> dict[str, Any]:
    """Measure both implementations on `size` responses; return the figures."""
    ambito = load_settings("crema").ambito
    demo = demo_set(ambito, math.ceil((size + NEW_ROWS) / 1.3) + 20, seed=size)
    rows = demo.rows[: size + NEW_ROWS]
    assert len(rows) == size + NEW_ROWS, "the generator made too few rows"
    first, new = [demo.header, *rows[:size]], rows[size:]
    out: dict[str, Any] = {"size": size}
    with SheetsFake() as fake, tempfile.TemporaryDirectory() as lock_dir:
        fake.latency = latency
        staff = fake.create_spreadsheet("Modulo", {RESPONSES: first}, rows=max(1000, size + 100))
        public = fake.create_spreadsheet("Pubblico")
        ids = (staff, public)
        out["first"] = _process_sync(fake, ids, FIRST, lock_dir)
        fake.set_values(staff, RESPONSES, new, start=f"A{size + 2}", input_option="RAW")
        out["incremental"] = _process_sync(fake, ids, NEXT, lock_dir)
        _decide(fake, staff, public)
        out["decision"] = _process_sync(fake, ids, DECIDED, lock_dir)
        out["nochange"] = _process_sync(fake, ids, LAST, lock_dir)

        staff = fake.create_spreadsheet("Modulo", {RESPONSES: first}, rows=max(1000, size + 100))
        public = fake.create_spreadsheet("Pubblico")
        settings = _settings(fake, staff, public)
        naive = Naive(fake, staff, public, settings, cap)
        out["naive_first"] = _naive(fake, naive, FIRST)
        with _no_latency(fake):
            fake.set_values(staff, RESPONSES, new, start=f"A{size + 2}", input_option="RAW")
        out["naive_incremental"] = _naive(fake, Naive(fake, staff, public, settings, cap), NEXT)
        _decide(fake, staff, public)
        out["naive_decision"] = _naive(fake, Naive(fake, staff, public, settings, cap), DECIDED)
        out["naive_nochange"] = _naive(fake, Naive(fake, staff, public, settings, cap), LAST)
        assert fake.errors == [], fake.errors
    return out


def _naive(fake: SheetsFake, naive: Naive, when: datetime) -> tuple[Figures, int]:
    figures = naive.sync(when)
    return figures, sum(len(r.body) for r in fake.log)


def _kb(n: int) -> str:
    return f"{n / 1000:,.1f} kB" if n < 1_000_000 else f"{n / 1e6:,.2f} MB"


def main() -> None:
    """Run the benchmark and print the table."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:7])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every fake request")
    parser.add_argument("--cap", type=int, default=20, help="append_row calls really made per naive sync")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        "each elenco sync in its own process; requests = HTTP requests received by the fake (retries "
        "included); sent = request bodies; floor = 3 requests (1 with nothing new) and the bytes an "
        "order-preserving row diff sends (new or changed rows, rows inserted or deleted), measured; * = naive "
        "figures with extrapolated append_row calls\n"
    )
    header = (
        f"{'rows':>6} {'sync':<12} {'elenco req':>10} {'floor':>5} {'naive':>7} {'ratio':>6}  "
        f"{'elenco sent':>11} {'floor sent':>11} {'ratio':>6} {'naive sent':>11}  {'largest':>9} {'received':>10} "
        f"{'time':>6}"
    )
    print(header)
    print("-" * len(header))
    for size in sizes:
        r = run(size, args.latency, args.cap)
        for case in CASES:
            m: Measured = r[case]
            naive, naive_bytes = r[f"naive_{case}"]
            star = "*" if naive.capped else " "
            ratio_b = f"{m.sent / m.floor_bytes:5.2f}x" if m.floor_bytes else "    - "
            print(
                f"{size:>6,} {case:<12} {m.requests:>10} {m.floor_requests:>5} {naive.requests:>6}{star} "
                f"{m.requests / m.floor_requests:5.2f}x  {_kb(m.sent):>11} {_kb(m.floor_bytes):>11} {ratio_b} "
                f"{_kb(naive_bytes):>11}  {_kb(m.largest):>9} {_kb(m.received):>10} {m.seconds:5.1f}s"
            )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
