"""elenco's matcher and a well-configured Splink, side by side, on the same records.

    .venv/bin/pip install -e '.[bench]'          # Splink (DuckDB) is only the benchmark's extra
    .venv/bin/python bench/bench_splink.py [--orgs 20000] [--seed 7] [--skip-large]

Records are built the product's way (`parse_rows`, `resolve.check_all`, `resolve._record`) from the development
sets in `tests/data/dev/` (the generated ones and `crema-difficili`, the hand-written hard cases) and
from `sync.demo_data` at `--orgs` organisations (~1.35 form rows each). For each set and engine it
prints pair precision and recall against the ground truth, wall time and the peak RSS of the process
that ran it (each engine runs in its own forked process: the figure is that process's peak, not a
tracemalloc estimate), and the RSS the process had before it started (the records).

Splink is configured as one would for this data: DuckDB backend; names normalised with elenco's own
Italian legal-form-aware normaliser (`sync.names`), compared by Jaro-Winkler levels with
term-frequency adjustments; tax id, email, PEC, phone exact (tax id and comune with term
frequencies); the address by Levenshtein levels; blocking on tax id, email, PEC, phone and on comune +
first name word; λ from the tax-id rule, u by random sampling, m by expectation maximisation on two
blocking rules; clusters at match probability 0.9.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.config import load_settings
from sync.match import MatchRecord, match
from sync.names import name_key
from sync.parse import parse_rows
from sync.resolve import _record, check_all

DEV = Path(__file__).resolve().parents[1] / "tests" / "data" / "dev"
SETS = {"crema": "crema", "cremonese": "cremonese", "cernusco": "cernusco", "crema-difficili": "crema"}

Records = list[MatchRecord]
Truth = dict[int, int]


def dev_records(name: str, preset: str) -> tuple[Records, Truth]:
    """The accepted records of a development set and their true organisation."""
    ambito = load_settings(preset).ambito
    with (DEV / f"{name}-risposte.csv").open(newline="", encoding="utf-8") as f:
        grid = list(csv.reader(f))
    with (DEV / f"{name}-risposte.truth.csv").open(newline="", encoding="utf-8") as f:
        entity = {int(r["row"]): r["entity"] for r in csv.DictReader(f)}
    return _records(check_all(parse_rows(grid, ambito).responses, [], ambito, set()).checked, entity)


def demo_records(orgs: int, seed: int) -> tuple[Records, Truth]:
    """Records from the product's generator (Crema), with its truth."""
    from sync.demo_data import generate

    ambito = load_settings("crema").ambito
    demo = generate(ambito, orgs, seed=seed)
    entity = {int(t["row"]): t["entity"] for t in demo.truth}
    responses = parse_rows([demo.header, *demo.rows], ambito).responses
    return _records(check_all(responses, [], ambito, set()).checked, entity)


def _records(checked: list[Any], entity: dict[int, str]) -> tuple[Records, Truth]:
    records: Records = []
    truth: Truth = {}
    ids: dict[str, int] = {}
    for c in checked:
        if c.accepted:
            key = len(records)
            records.append(_record(key, c))
            truth[key] = ids.setdefault(entity.get(c.response.row, f"row{c.response.row}"), len(ids))
    return records, truth


def pair_scores(clusters: list[list[int]], truth: Truth) -> tuple[float, float]:
    predicted = {p for c in clusters for p in combinations(sorted(c), 2)}
    groups: dict[int, list[int]] = defaultdict(list)
    for k, e in truth.items():
        groups[e].append(k)
    true = {p for g in groups.values() for p in combinations(sorted(g), 2)}
    tp = len(predicted & true)
    return (tp / len(predicted) if predicted else 1.0), (tp / len(true) if true else 1.0)


def run_elenco(records: Records) -> list[list[int]]:
    return match(records).clusters


def run_splink(records: Records) -> list[list[int]]:
    import logging

    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    rows = []
    for r in records:
        key = name_key(r.name)
        words = key.tokens
        rows.append(
            {
                "unique_id": r.key,
                "name": " ".join(words) or None,
                "name_first": words[0] if words else None,
                "tax_id": r.tax_ids[0] if r.tax_ids else None,
                "email": r.email or None,
                "pec": r.pec or None,
                "phone": r.phone or None,
                "comune": r.comune or None,
                "address": r.address or None,
            }
        )
    frame = pd.DataFrame(rows)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.97, 0.92, 0.85]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("tax_id").configure(term_frequency_adjustments=True),
            cl.ExactMatch("email"),
            cl.ExactMatch("pec"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("comune").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("address", [1, 3]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("tax_id"),
            block_on("email"),
            block_on("pec"),
            block_on("phone"),
            block_on("comune", "name_first"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(frame, settings, db_api=DuckDBAPI())
    linker.training.estimate_probability_two_random_records_match([block_on("tax_id")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("comune"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
    out: dict[int, list[int]] = defaultdict(list)
    for uid, cid in clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]].itertuples(index=False):
        out[str(cid)].append(int(uid))  # type: ignore[index]
    return list(out.values())


def _child(engine: Callable[[Records], list[list[int]]], records: Records, queue: Any) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    clusters = engine(records)
    wall = time.perf_counter() - start
    queue.put((clusters, wall, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def measure(engine: Callable[[Records], list[list[int]]], records: Records) -> tuple[list[list[int]], float, int, int]:
    """Clusters, wall time (s), RSS before and peak RSS (kB) of a forked process running `engine`."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(engine, records, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-large", action="store_true")
    a = parser.parse_args()
    sets: list[tuple[str, Records, Truth]] = [(name, *dev_records(name, preset)) for name, preset in SETS.items()]
    if not a.skip_large:
        sets.append((f"demo {a.orgs} orgs", *demo_records(a.orgs, a.seed)))
    print(f"{'set':<20} {'records':>8}  {'engine':<7} {'precision':>9} {'recall':>7} {'wall s':>8} {'RSS MB':>7} {'start MB':>8}")
    for name, records, truth in sets:
        for label, engine in (("elenco", run_elenco), ("splink", run_splink)):
            clusters, wall, before, peak = measure(engine, records)
            precision, recall = pair_scores(clusters, truth)
            print(
                f"{name:<20} {len(records):>8}  {label:<7} {precision:>9.4f} {recall:>7.4f} {wall:>8.2f} "
                f"{peak / 1024:>7.0f} {before / 1024:>8.0f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
