"""Figures for the local register (issues 2 and 4). Prints tables; not a test.

    .venv/bin/python bench/bench_local.py            # everything (≈1-2 minutes)
    .venv/bin/python bench/bench_local.py --quick    # smaller sizes

1. Validation on the development sets (tests/data/dev): rejected-row recall, false rejections, warning
   recall per code, and `elenco resolve` pair precision/recall against the ground truth.
2. `resolve` on ~27,000 generated rows (20,000 organisations) and on 10× fewer: wall time, peak memory.
3. Cells written by a first sync and by a no-change sync of the 250-organisation development set, and the
   wall time of a full local sync (xlsx files) of 20,000 organisations.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import datetime
from itertools import combinations
from pathlib import Path

from sync.backends.xlsx import XlsxStore
from sync.config import load_settings, parse_settings
from sync.demo_data import generate, to_csv_text
from sync.parse import parse_rows
from sync.pipeline import run_sync
from sync.resolve import resolve
from sync.state import State

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tests" / "data" / "dev"
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
        with (DEV / f"{name}-risposte.csv").open(encoding="utf-8", newline="") as f:
            grid = list(csv.reader(f))
        with (DEV / f"{name}-risposte.truth.csv").open(encoding="utf-8", newline="") as f:
            truth = {int(r["row"]): r for r in csv.DictReader(f)}
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
        accepted = [
            o
            for o in result.outcomes
            if o.status == "accepted" and truth[o.checked.row]["expected"] == "accepted"
        ]
        tp = pp = tt = 0
        for a, b in combinations(accepted, 2):
            same_true = truth[a.checked.row]["entity"] == truth[b.checked.row]["entity"]
            same_pred = a.entity_id == b.entity_id
            tp += same_true and same_pred
            pp += same_pred
            tt += same_true
        orgs_pred = len({o.entity_id for o in result.outcomes if o.status == "accepted"})
        orgs_true = len({t["entity"] for t in truth.values() if t["expected"] == "accepted"})
        warn = ", ".join(f"{c} {hit[c]}/{total[c]}" for c in sorted(total))
        print(
            f"{name:10} {len(truth):5d} {rej_recall:10.3f} {false_rej:10d} {tp / pp:9.4f} {tp / tt:7.4f} "
            f"{orgs_pred:4d}/{orgs_true:<4d}  {warn}"
        )
    print()


def resolve_speed(sizes: list[int]) -> None:
    print("## resolve (pure core: parse + validate + match + IDs) on generated rows")
    print(f"{'organisations':>13} {'rows':>7} {'seconds':>8} {'rows/s':>8} {'peak MB':>8}")
    settings = load_settings("crema")
    timings: list[tuple[int, float]] = []
    for n in sizes:
        demo = generate(settings.ambito, n, seed=7)
        grid = [demo.header, *demo.rows]

        def run(grid: list[list[str]] = grid) -> None:
            responses = parse_rows(grid, settings.ambito).responses
            resolve(responses, [], State(), settings.ambito)

        # warm the reference data (comuni list, legal-form patterns) as a long-running process has it, on
        # another data set so that no per-value cache is warm for the measured one
        other = generate(settings.ambito, 50, seed=99)
        resolve(
            parse_rows([other.header, *other.rows], settings.ambito).responses, [], State(), settings.ambito
        )
        start = time.perf_counter()
        run()
        elapsed = time.perf_counter() - start
        # memory on a separate run: tracemalloc slows Python code down several times
        tracemalloc.start()
        run()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        timings.append((len(demo.rows), elapsed))
        print(f"{n:13d} {len(demo.rows):7d} {elapsed:8.2f} {len(demo.rows) / elapsed:8.0f} {peak / 1e6:8.1f}")
    if len(timings) >= 2:
        (r0, t0), (r1, t1) = timings[0], timings[-1]
        print(f"rows ×{r1 / r0:.1f} → time ×{t1 / t0:.1f}")
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print()


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
        demo = generate(settings.ambito, n_big, seed=11)
        (big / "risposte.csv").write_text(to_csv_text(demo), encoding="utf-8")
        settings = parse_settings(
            {"preset": "crema", "backend": {"kind": "xlsx", "folder": str(big)}}, source="bench"
        )
        start = time.perf_counter()
        report = run_sync(XlsxStore(big), settings, NOW).report
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        again = run_sync(XlsxStore(big), settings, NOW.replace(hour=10)).report
        second_s = time.perf_counter() - start
        print(
            f"{n_big} organisations ({report.responses} rows, {report.organisations} listed): first sync "
            f"{first_s:.1f} s ({report.cells_written} cells); no-change sync {second_s:.1f} s "
            f"({again.cells_written} cells)"
        )
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    dev_quality()
    resolve_speed([200, 2_000] if args.quick else [2_000, 20_000])
    local_sync(2_000 if args.quick else 20_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
