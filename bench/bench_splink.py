"""elenco's matcher and a well-configured Splink, side by side, on the same records.

    .venv/bin/pip install -e '.[bench]'          # Splink (DuckDB) is only the benchmark's extra
    .venv/bin/python -m bench.bench_splink [--orgs 20000] [--seed 7] [--skip-large]

Records are built the product's way (`parse_rows`, `resolve.check_all`, `resolve.match_records`: see
`bench/common.py`) from the development
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
from collections import defaultdict

from bench.common import DEV_SETS, Records, demo_records, dev_records, in_fork, score_clusters
from sync.match import MatchRecord, match
from sync.names import name_key


def run_elenco(records: list[MatchRecord]) -> list[list[int]]:
    return match(records).clusters


def run_splink(records: list[MatchRecord]) -> list[list[int]]:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-large", action="store_true")
    a = parser.parse_args()
    sets: list[tuple[str, Records]] = [(name, dev_records(name)) for name in DEV_SETS]
    if not a.skip_large:
        sets.append((f"demo {a.orgs} orgs", demo_records("crema", a.orgs, seed=a.seed)[0]))
    print(
        f"{'set':<20} {'records':>8}  {'engine':<7} {'precision':>9} {'recall':>7} {'wall s':>8} {'RSS MB':>7} {'start MB':>8}"
    )
    for name, found in sets:
        for label, engine in (("elenco", run_elenco), ("splink", run_splink)):
            run = in_fork(engine, found.records)  # each engine's peak RSS in its own process
            s = score_clusters(run.value, found.truth)
            print(
                f"{name:<20} {len(found.records):>8}  {label:<7} {s.precision:>9.4f} {s.recall:>7.4f} "
                f"{run.seconds:>8.2f} {run.rss_peak_mb:>7.0f} {run.rss_before_mb:>8.0f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
