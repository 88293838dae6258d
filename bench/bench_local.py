"""Figures for the local register (issues 2 and 4). Prints tables; not a test.

    .venv/bin/python -m bench.bench_local            # everything (≈3-4 minutes)
    .venv/bin/python -m bench.bench_local --quick    # smaller sizes
    .venv/bin/python -m bench.bench_local --sync-only  # part 3 alone (≈2 minutes)
    .venv/bin/python -m bench.bench_local --resolve-only --against 9d2da3b   # part 2, before and after
    .venv/bin/python -m bench.bench_local --resolve-only --against 22ff2ec,9d2da3b   # several peers

1. Validation on the development sets (tests/data/dev): rejected-row recall, false rejections, warning
   recall per code, and `elenco resolve` pair precision/recall against the ground truth.
2. `resolve` on ~27,000 generated rows (20,000 organisations) and on 10× fewer, each run a new process
   reading the rows from a CSV, both as the core alone and as `elenco resolve` runs it (and, with
   `--against REV[,REV…]`, as the code of other git revisions does it): wall and CPU time, time in the garbage
   collector, the process's peak RSS, and how time grows with the rows.
3. Cells written by a first sync and by a no-change sync of the 250-organisation development set; for
   20,000 organisations (xlsx files): the floor — reading the staff workbook's values with python-calamine,
   measured in the same run, right before the syncs it is compared with (openpyxl beside it) — the first sync,
   a no-change sync and a sync with 10 new responses, each in its own process, with their ratios to the floor
   and each process's peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from bench.common import DEV, ROOT, demo_set, dev_set, in_fork, pair_scores
from sync.backends.xlsx import XlsxStore
from sync.config import Settings, load_settings, parse_settings
from sync.parse import parse_rows
from sync.pipeline import run_sync
from sync.resolve import resolve
from sync.state import State

NOW = datetime(2024, 6, 1, 9, 0)


def codes(text: str) -> set[str]:
    return {c for c in text.split(";") if c}


def dev_quality() -> None:
    print("## Development sets: validation and matching")
    print(
        f"{'set':10} {'rows':>5} {'rej.recall':>10} {'false rej.':>10} {'precision':>9} {'recall':>7} "
        f"{'orgs':>9}  warning recall"
    )
    for name in ("crema", "cremonese", "cernusco"):
        settings = load_settings(name)
        grid, truth = dev_set(name)
        result = resolve(parse_rows(grid, settings.ambito).responses, [], State(), settings.ambito)
        rejected_true = [r for r, t in truth.items() if t["expected"] == "rejected"]
        status = {o.checked.row: o.status for o in result.outcomes}
        rej_recall = sum(status[r] == "rejected" for r in rejected_true) / len(rejected_true)
        false_rej = sum(
            1 for r, t in truth.items() if t["expected"] == "accepted" and status[r] == "rejected"
        )
        hit: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for o in result.outcomes:
            want = codes(truth[o.checked.row]["warnings"])
            got = {p.code for p in o.checked.problems}
            for code in want:
                total[code] += 1
                hit[code] += code in got
        pairs = pair_scores(
            {r: t["entity"] for r, t in truth.items() if t["expected"] == "accepted"},
            {o.checked.row: o.entity_id for o in result.outcomes if o.status == "accepted"},
        )
        orgs_pred, orgs_true = pairs.organisations_predicted, pairs.organisations_true
        warn = ", ".join(f"{c} {hit[c]}/{total[c]}" for c in sorted(total))
        print(
            f"{name:10} {len(truth):5d} {rej_recall:10.3f} {false_rej:10d} {pairs.precision:9.4f} {pairs.recall:7.4f} "
            f"{orgs_pred:4d}/{orgs_true:<4d}  {warn}"
        )
    print()


def resolve_speed(sizes: list[int], repeat: int = 3, against: str = "") -> None:
    print("## resolve (parse + validate + match + IDs) on generated rows, each run a process of its own")
    print("   core: `parse_rows` then `sync.resolve.resolve`; CLI: `sync.cli.resolve_grid`, what `elenco resolve`")
    print("   runs between reading and writing (the same, with what was read kept out of the GC's full scans)")
    print(f"   the fastest of {repeat} runs, interleaved (the machine may be shared); load average {_load()}")
    print(f"{'way':>7} {'organisations':>13} {'rows':>7} {'seconds':>8} {'CPU s':>6} {'GC s':>5} {'rows/s':>8} "
          f"{'peak RSS MB':>12}")
    settings = load_settings("crema")
    peers = [rev[:7] for rev in against.split(",") if rev]
    timings: dict[str, list[tuple[int, float]]] = {**{rev: [] for rev in peers}, "core": [], "CLI": []}
    with tempfile.TemporaryDirectory() as tmp:
        for rev in peers:
            # the same rows resolved by the code of another revision (its core way), in the same run
            (Path(tmp) / rev).mkdir()
            subprocess.run(f"git -C {ROOT} archive {rev} sync sheets_templates | tar -x -C {tmp}/{rev}",
                           shell=True, check=True)
        for n in sizes:
            _resolve_size(settings, n, repeat, timings, Path(tmp))
    for way, points in timings.items():
        if len(points) >= 2:
            (r0, t0), (r1, t1) = points[0], points[-1]
            print(f"{way}: rows ×{r1 / r0:.1f} → time ×{t1 / t0:.1f} (goal ≤ ×{1.1 * r1 / r0:.0f})")
    for rev in peers:
        old = timings[rev][-1][1]
        print("against " + rev + ": " + ", ".join(
            f"{way} ×{points[-1][1] / old:.2f}" for way, points in timings.items() if way not in peers
        ) + " the time at the largest size")
    print(f"load average after: {_load()}")
    print()


def _resolve_size(
    settings: Settings, n: int, repeat: int, timings: dict[str, list[tuple[int, float]]], tree: Path
) -> None:
    demo = demo_set(settings.ambito, n, seed=7)
    grid = [demo.header, *demo.rows]
    (tree / "grid.csv").write_text(_csv(grid), encoding="utf-8")
    best: dict[str, dict[str, float]] = {}
    for _ in range(repeat):
        for way in timings:
            got = _in_process(ROOT, way, tree / "grid.csv") if way in ("core", "CLI") else _in_process(tree / way, "core", tree / "grid.csv")
            if way not in best or got["seconds"] < best[way]["seconds"]:
                best[way] = got
    for way, got in best.items():
        timings[way].append((len(demo.rows), got["seconds"]))
        print(
            f"{way:>7} {n:13d} {len(demo.rows):7d} {got['seconds']:8.2f} {got['cpu']:6.2f} {got['gc']:5.2f} "
            f"{len(demo.rows) / got['seconds']:8.0f} {got['rss_mb']:12.0f}"
        )


_RESOLVE_JOB = """
import csv, gc, json, resource, sys, time
from sync.config import load_settings
from sync import demo_data
from sync.parse import parse_rows
from sync.resolve import resolve
from sync.state import State
settings = load_settings("crema")
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    grid = list(csv.reader(f))
# a revision before the demo vocabulary moved to data has no `load_vocabulary` (`--against`)
words = {"vocabulary": demo_data.load_vocabulary()} if hasattr(demo_data, "load_vocabulary") else {}
other = demo_data.generate(settings.ambito, 50, seed=99, **words)
# warm the reference data (comuni list, legal-form patterns) as a long-running process has it,
# on another data set so that no per-value cache is warm for the measured one
resolve(parse_rows([other.header, *other.rows], settings.ambito).responses, [], State(), settings.ambito)
in_gc = [0.0, 0.0]
def clock(phase, info):
    if phase == "start":
        in_gc[1] = time.perf_counter()
    else:
        in_gc[0] += time.perf_counter() - in_gc[1]
gc.callbacks.append(clock)
start, cpu = time.perf_counter(), time.process_time()
if sys.argv[2] == "CLI":
    from sync.cli import resolve_grid
    resolve_grid(grid, settings)
else:
    resolve(parse_rows(grid, settings.ambito).responses, [], State(), settings.ambito)
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, "gc": in_gc[0],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _in_process(tree: Path, way: str, grid: Path) -> dict[str, float]:
    """Seconds (wall, CPU, in the garbage collector) and peak RSS of resolving the rows in `grid` in a new
    process, as the code in `tree` does it `way`: "core" or "CLI" (after a warm-up on other rows)."""
    out = subprocess.run(
        [sys.executable, "-c", _RESOLVE_JOB, str(grid), way],
        env={**os.environ, "PYTHONPATH": str(tree)},
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(out.stdout.splitlines()[-1])
    return figures


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


_FLOOR_JOB = """
import json, sys, time
import openpyxl, python_calamine
path = sys.argv[1]
start = time.perf_counter()
book = python_calamine.CalamineWorkbook.from_path(path)
for name in book.sheet_names:
    book.get_sheet_by_name(name).to_python()
book.close()
calamine_s = time.perf_counter() - start
openpyxl_s = 0.0
if sys.argv[2] == "both":
    start = time.perf_counter()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    for ws in wb.worksheets:
        for _ in ws.iter_rows(values_only=True):
            pass
    wb.close()
    openpyxl_s = time.perf_counter() - start
print(json.dumps([calamine_s, openpyxl_s]))
"""


def _read_floor(path: Path, *, openpyxl_too: bool = True) -> tuple[float, float]:
    """Seconds to read every sheet of a workbook's values: python-calamine (the floor) and openpyxl, each in a
    new process (a process holding this one's heap would also pay the garbage collector's scans of it)."""
    out = subprocess.run(
        [sys.executable, "-c", _FLOOR_JOB, str(path), "both" if openpyxl_too else "calamine"],
        capture_output=True,
        text=True,
        check=True,
    )
    calamine_s, openpyxl_s = json.loads(out.stdout.splitlines()[-1])
    return float(calamine_s), float(openpyxl_s)


def local_sync(n_big: int) -> None:
    print("## Local sync (xlsx backend, real files)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "dev"
        folder.mkdir()
        (folder / "risposte.csv").write_bytes((DEV / "crema-risposte.csv").read_bytes())
        settings = parse_settings(
            {"preset": "crema", "backend": {"kind": "xlsx", "folder": str(folder)}}, source="bench"
        )
        first = run_sync(XlsxStore(folder), settings, NOW).report
        second = run_sync(XlsxStore(folder), settings, NOW.replace(hour=10)).report
        print(
            f"250-organisation development set (crema, {first.responses} rows): first sync "
            f"{first.cells_written} cells in {first.duration_s:.2f} s; no-change sync {second.cells_written} "
            f"cells in {second.duration_s:.2f} s"
        )

        big = Path(tmp) / "big"
        big.mkdir()
        demo = demo_set(settings.ambito, n_big + 10, seed=11)
        initial, added = demo.rows[:-10], demo.rows[-10:]
        header = demo.header
        (big / "risposte.csv").write_text(_csv([header, *initial]), encoding="utf-8")
        settings = parse_settings(
            {"preset": "crema", "backend": {"kind": "xlsx", "folder": str(big)}}, source="bench"
        )
        first = _sync_in_child(big, settings, NOW)
        # the floor is measured right before each measured sync (other processes load the machine unevenly)
        floor_idle, openpyxl_s = _read_floor(big / "elenco-interno.xlsx")
        idle = _sync_in_child(big, settings, NOW.replace(hour=10))
        (big / "risposte.csv").write_text(_csv([header, *initial, *added]), encoding="utf-8")
        floor_more = _read_floor(big / "elenco-interno.xlsx", openpyxl_too=False)[0]
        more = _sync_in_child(big, settings, NOW.replace(hour=11))
        size_mb = (big / "elenco-interno.xlsx").stat().st_size / 1e6
        print(
            f"{n_big} organisations ({first['responses']:.0f} rows, {first['organisations']:.0f} listed), staff "
            f"workbook {size_mb:.1f} MB; each sync in its own process (its peak RSS)"
        )
        print(
            f"  floor: reading every sheet with python-calamine {floor_idle:.2f} s / {floor_more:.2f} s before "
            f"the two syncs below (openpyxl read-only: {openpyxl_s:.2f} s, ×{openpyxl_s / floor_idle:.1f})"
        )
        for label, got, floor, goal in (
            ("first sync", first, floor_idle, ""),
            ("no-change sync", idle, floor_idle, " (goal ≤ ×3)"),
            ("sync with 10 new responses", more, floor_more, " (goal ≤ ×10)"),
        ):
            print(
                f"  {label} {got['seconds']:.2f} s ({got['cells']:.0f} cells, peak RSS {got['rss_mb']:.0f} MB): "
                f"×{got['seconds'] / floor:.1f} the floor{goal}"
            )
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print()


def _sync_in_child(folder: Path, settings: Settings, now: datetime) -> dict[str, float]:
    """One sync of the folder in a forked process: seconds, cells written, figures, that process's peak RSS."""

    def job() -> dict[str, float]:
        start = time.perf_counter()
        report = run_sync(XlsxStore(folder), settings, now).report
        seconds = time.perf_counter() - start
        return {
            "seconds": seconds,
            "cells": report.cells_written,
            "responses": report.responses,
            "organisations": report.organisations,
        }

    forked = in_fork(job)
    return {**forked.value, "rss_mb": forked.rss_peak_mb, "rss_before_mb": forked.rss_before_mb}


def _csv(grid: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(grid)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--resolve-only", action="store_true", help="only part 2, `resolve`")
    parser.add_argument("--sync-only", action="store_true", help="only part 3, the syncs")
    parser.add_argument(
        "--against", default="", help="part 2 also with the code of these git revisions (comma-separated)"
    )
    args = parser.parse_args()
    if args.resolve_only:
        resolve_speed([200, 2_000] if args.quick else [2_000, 20_000], against=args.against)
        return 0
    if args.sync_only:
        local_sync(2_000 if args.quick else 20_000)
        return 0
    dev_quality()
    resolve_speed([200, 2_000] if args.quick else [2_000, 20_000], against=args.against)
    local_sync(2_000 if args.quick else 20_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
