"""Time and memory of writing the public files (HTML, PDF, CSV, JSON, data package). Prints a table; not a test.

    .venv/bin/python -m bench.bench_public                 # 300 and 5,000 organisations
    .venv/bin/python -m bench.bench_public --sizes 300     # one size

For each size N, `sync.demo_data.generate` makes the form responses of N organisations (preset `crema`), the
product's own `parse_rows` and `resolve` turn them into organisations, and `build_public_list` into the list
(not timed). Then, best of `--repeat` runs, the time `sync.public_files.public_files` takes to render the five
files and write them to a temporary folder, file by file; and, as a floor measured in the same process, the
time `csv.writer` alone takes to write the same rows (the same strings, already prepared) to a file: what any
program that writes this list must pay at least.

Memory: every size runs in its own child process, so `ru_maxrss` (the process's peak RSS, from
`resource.getrusage(RUSAGE_SELF)`) belongs to that size: peak before writing (interpreter, libraries, data,
resolved organisations) and peak after writing the files. The difference is what the writing adds beyond
what the process already held.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bench.common import best_of, demo_set, ratio, rss_mb, run_module_child

NOW = datetime(2024, 6, 1, 9, 0)


def child(size: int, repeat: int) -> dict[str, object]:
    """One size, measured in this process: seconds per file, the floor, peak RSS before and after."""
    from sync.config import load_settings
    from sync.parse import parse_rows
    from sync.public_files import html_bytes, pdf_bytes
    from sync.public_list import (
        CSV_DELIMITER,
        CSV_NAME,
        DATAPACKAGE_NAME,
        HTML_NAME,
        JSON_NAME,
        PDF_NAME,
        build_public_list,
        csv_bytes,
        datapackage_bytes,
        json_bytes,
        record,
    )
    from sync.resolve import resolve
    from sync.state import State

    ambito = load_settings("crema").ambito
    data = demo_set(ambito, size, seed=1)
    parsed = parse_rows([data.header, *data.rows], ambito)
    orgs = resolve(parsed.responses, [], State(), ambito).organisations
    plist = build_public_list(orgs, ambito, NOW)
    rows = [
        [" | ".join(v) if isinstance(v, list) else v for v in record(plist, e).values()]
        for e in plist.entries
    ]
    header = list(record(plist, plist.entries[0])) if plist.entries else []
    renderers: dict[str, Callable[[], bytes]] = {
        HTML_NAME: lambda: html_bytes(plist),
        PDF_NAME: lambda: pdf_bytes(plist),
        CSV_NAME: lambda: csv_bytes(plist),
        JSON_NAME: lambda: json_bytes(plist),
        DATAPACKAGE_NAME: lambda: datapackage_bytes(plist),
    }
    rss_before = rss_mb()
    seconds: dict[str, float] = {}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def write(name: str) -> Callable[[], None]:
            def run() -> None:
                data = renderers[name]()
                (folder / name).write_bytes(data)
                sizes[name] = len(data)

            return run

        for name in renderers:
            seconds[name] = best_of(repeat, write(name))

        def floor() -> None:
            with (folder / "floor.csv").open("w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f, delimiter=CSV_DELIMITER, lineterminator="\r\n")
                writer.writerow(header)
                writer.writerows(rows)

        floor_s = best_of(repeat, floor)
    return {
        "size": size,
        "listed": len(plist.entries),
        "table_rows": sum(len(s.entries) for s in plist.areas),
        "seconds": seconds,
        "bytes": sizes,
        "floor_s": floor_s,
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,5000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.repeat)))
        return
    print("## Public files: time and peak RSS (each size in its own process; best of", args.repeat, "runs)")
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        results.append(
            run_module_child("bench.bench_public", "--child", str(size), "--repeat", str(args.repeat))
        )
    names = list(results[0]["seconds"])
    print(f"{'organisations':>13} {'listed':>6} {'rows':>6} " + " ".join(f"{n:>22}" for n in names))
    for r in results:
        cells = [f"{r['seconds'][n]:7.3f} s {r['bytes'][n] / 1024:8.0f} kB" for n in names]
        print(f"{r['size']:>13} {r['listed']:>6} {r['table_rows']:>6} " + " ".join(f"{c:>22}" for c in cells))
    print()
    print(
        f"{'organisations':>13} {'all five':>10} {'floor':>9} {'ratio':>8} {'CSV':>9} {'ratio':>6} "
        f"{'open data':>10} {'ratio':>6} "
        f"{'RSS before':>11} {'RSS after':>10} {'added':>8}"
    )
    for r in results:
        total = sum(r["seconds"].values())
        open_data = sum(v for k, v in r["seconds"].items() if not k.endswith((".html", ".pdf")))
        floor = r["floor_s"]
        csv_s = r["seconds"]["elenco-pubblico.csv"]
        print(
            f"{r['size']:>13} {total:8.3f} s {floor:7.4f} s {ratio(total, floor):7.0f}x "
            f"{csv_s:7.4f} s {ratio(csv_s, floor):5.1f}x {open_data:8.3f} s {ratio(open_data, floor):5.1f}x "
            f"{r['rss_before_mb']:8.0f} MB {r['rss_after_mb']:7.0f} MB "
            f"{r['rss_after_mb'] - r['rss_before_mb']:5.0f} MB"
        )
    print(
        "\nfloor: csv.writer alone writing the same rows (strings prepared beforehand) to a file; CSV: the "
        "product's CSV (the same rows built from the list, formulas neutralised, BOM); open data: CSV + JSON + "
        "data package; rows: table rows of the page and the PDF (an organisation appears once per area)."
    )


if __name__ == "__main__":
    main()
