"""Measure `sync.match` on the development sets, and on perturbed copies of them.

    .venv/bin/python -m bench.tune_match [DATA_DIR] [--sets crema,cremonese,cernusco] [--seed 7]
                                         [--no-perturb] [--only VARIANT] [--show-errors] [--out DIR]

For each `<set>-risposte.csv` with its `<set>-risposte.truth.csv` in DATA_DIR (default `tests/data/dev`)
it builds the `MatchRecord`s the product builds (`parse_rows`, `resolve.check_all`,
`resolve.match_records`: see `bench/common.py`), runs `match`, and scores its clusters with the shared
scorer's pair precision/recall (`bench.common.pair_scores`). The truth file is used only to leave out the
rows the truth rejects anyway (no consent, no name...), never to match. `--out DIR` also writes each
prediction as `row,entity_id,status,reasons,warnings` (what `score_resolve.py` reads).

Perturbations (seeded) check that the figures are not tuned to the rows: no tax codes at all;
shuffled word order; dropped articles; legal forms spelled differently; one-character typos; all
of them at once (the truth is unchanged for these); and "twins": different bodies added with a
near-identical name (the other legal form with the same email and PEC, the same name in another
town, another number), with and without tax codes (these extend the truth).
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from stdnum import luhn

from bench.common import DEV, DEV_SETS, Records, checked_rows, cluster_of, dev_set, pair_scores, records_of
from sync.config import load_settings
from sync.match import MatchResult, match

NAME = "Denominazione dell'ente"
TAX = "Codice fiscale dell'ente"
Row = dict[str, str]


# --- perturbations ------------------------------------------------------------------------------

FORM_SPELLINGS = [
    ["ODV", "O.d.V.", "Organizzazione di Volontariato", "OdV"],
    ["APS", "A.P.S.", "Associazione di Promozione Sociale", "Aps"],
    [
        "Società Cooperativa Sociale",
        "Soc. Coop. Soc.",
        "Cooperativa Sociale",
        "S.C.S.",
        "Coop. Sociale a r.l.",
    ],
    ["ASD", "A.S.D.", "Associazione Sportiva Dilettantistica"],
    ["Impresa Sociale S.r.l.", "Impresa Sociale srl", "S.r.l. Impresa Sociale"],
    ["Onlus", "O.N.L.U.S.", "ONLUS"],
    ["ETS", "E.T.S."],
]
HEAD_SPELLINGS = [["Associazione", "Ass.ne", "Ass."], ["Fondazione", "Fond."]]
ARTICLES = re.compile(r"(?i)\b(il|lo|la|i|gli|le)\s+|\bl['’]\s*")
# "Associazione" inside "Associazione di Promozione Sociale" belongs to the form, not to the head.
ATTACHED = {"il", "lo", "la", "i", "gli", "le", "di", "de", "del", "della", "dei", "sul", "ed", "e"}
INSIDE_FORM = r"(?!\s+(?:di\s+promozione|di\s+volontariato|sportiva|non\s+riconosciuta))"


def _spelling_regex(variants: list[str], head: bool = False) -> re.Pattern[str]:
    def loose(v: str) -> str:
        # accent-insensitive, as typed: Società / Societa / Societa'
        return re.escape(v).replace("à", "(?:à|a'|a)").replace(r"\ ", r"\s+")

    alternatives = sorted((loose(v) for v in variants), key=len, reverse=True)
    return re.compile(
        r"(?i)(?<![\w.])(?:" + "|".join(alternatives) + r")(?![\w])" + (INSIDE_FORM if head else "")
    )


FORM_RES = [(_spelling_regex(v), v) for v in FORM_SPELLINGS]
HEAD_RES = [(_spelling_regex(v, head=True), v) for v in HEAD_SPELLINGS]


def no_tax(row: Row, rng: random.Random) -> Row:
    return row | {TAX: ""}


def swap_forms(row: Row, rng: random.Random) -> Row:
    name = row[NAME]
    for regex, variants in FORM_RES + HEAD_RES:
        name = regex.sub(lambda m, v=variants: rng.choice(v), name)
    return row | {NAME: name}


def drop_articles(row: Row, rng: random.Random) -> Row:
    if rng.random() < 0.5:
        return row
    return row | {NAME: ARTICLES.sub("", row[NAME])}


def shuffle_words(row: Row, rng: random.Random) -> Row:
    """Change the word order as people do: the legal form first or last, the other words rotated
    or two of them swapped (an article or preposition stays with the word after it)."""
    if rng.random() < 0.5:
        return row
    name = row[NAME]
    forms: list[str] = []
    for regex, _ in FORM_RES:
        forms += [m.group(0) for m in regex.finditer(name)]
        name = regex.sub(" ", name)
    chunks: list[str] = []
    pending = ""
    for word in re.sub(r"[«»\"“”]", " ", name).split():
        if word.lower() in ATTACHED:
            pending += word + " "
        else:
            chunks.append(pending + word)
            pending = ""
    if pending:
        chunks.append(pending.strip())
    if len(chunks) > 1:
        if rng.random() < 0.5:
            k = rng.randrange(1, len(chunks))
            chunks = chunks[k:] + chunks[:k]
        else:
            i = rng.randrange(len(chunks) - 1)
            chunks[i], chunks[i + 1] = chunks[i + 1], chunks[i]
    parts = [" ".join(chunks), *forms] if rng.random() < 0.5 else [*forms, " ".join(chunks)]
    return row | {NAME: " ".join(p for p in parts if p)}


def typo(row: Row, rng: random.Random) -> Row:
    """One-character typo (substitution, deletion, insertion, transposition) in one word."""
    if rng.random() < 0.5:
        return row
    words = row[NAME].split(" ")
    spots = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not spots:
        return row
    i = rng.choice(spots)
    w = words[i]
    p = rng.randrange(1, len(w) - 1)
    kind = rng.choice("sdit")
    letter = rng.choice("aeioulnrst")
    if kind == "s":
        w = w[:p] + letter + w[p + 1 :]
    elif kind == "d":
        w = w[:p] + w[p + 1 :]
    elif kind == "i":
        w = w[:p] + letter + w[p:]
    else:
        w = w[: p - 1] + w[p] + w[p - 1] + w[p + 1 :]
    words[i] = w
    return row | {NAME: " ".join(words)}


def everything(row: Row, rng: random.Random) -> Row:
    for step in (no_tax, swap_forms, drop_articles, shuffle_words, typo):
        row = step(row, rng)
    return row


def _new_tax_code(rng: random.Random) -> str:
    body = rng.choice("89") + "".join(rng.choice("0123456789") for _ in range(6)) + "019"
    return body + luhn.calc_check_digit(body)


def add_twins(rows: dict[int, Row], truth: dict[int, Row], rng: random.Random) -> None:
    """Add, for a quarter of the bodies, a different body with a near-identical name: the other
    legal form (ODV/APS) with the same email and PEC, the same name in another town, or another
    number. Its seat, phone and tax code are its own; the truth gets a new entity for it."""
    towns = sorted(
        {r["Comune della sede legale"].strip() for r in rows.values() if r["Comune della sede legale"]}
    )
    first_rows: dict[str, int] = {}
    for n, t in sorted(truth.items()):
        if t["expected"] == "accepted":
            first_rows.setdefault(t["entity"], n)
    next_row = max(rows) + 1
    for entity, n in sorted(first_rows.items()):
        if rng.random() >= 0.25:
            continue
        row = dict(rows[n])
        name, town = row[NAME], row["Comune della sede legale"].strip()
        kind = rng.choice(["form", "place", "number"])
        if kind == "form":
            if re.search(r"\bODV\b", name, re.I):
                name, form = re.sub(r"(?i)\bODV\b", "APS", name), "Associazione di promozione sociale (APS)"
            elif re.search(r"\bAPS\b", name, re.I):
                name, form = re.sub(r"(?i)\bAPS\b", "ODV", name), "Organizzazione di volontariato (ODV)"
            else:
                name, form = name + " ODV", "Organizzazione di volontariato (ODV)"
            row["Forma giuridica"] = form
        elif kind == "place" and town and re.search(re.escape(town), name, re.I):
            other = rng.choice([t for t in towns if t.lower() != town.lower()] or [town])
            name = re.sub(re.escape(town), other, name, flags=re.I)
            row["Comune della sede legale"] = other
        else:
            number = re.search(r"\b(\d+)\b", name)
            name = name.replace(number.group(1), str(int(number.group(1)) + 1)) if number else name + " 2"
        row[NAME] = name
        row[TAX] = _new_tax_code(rng)
        row["Telefono del referente"] = f"0373 {rng.randint(100000, 999999)}"
        row["Indirizzo della sede legale"] = f"Via Marconi {rng.randint(1, 200)}"
        rows[next_row] = row
        truth[next_row] = {"row": str(next_row), "entity": f"TWIN-{entity}", "expected": "accepted",
                           "reasons": "", "warnings": ""}  # fmt: skip
        next_row += 1


def twins_without_tax(rows: dict[int, Row], truth: dict[int, Row], rng: random.Random) -> None:
    add_twins(rows, truth, rng)
    for n in rows:
        rows[n] = no_tax(rows[n], rng)


# Perturbations that add rows (and truth) rather than rewrite them.
SET_PERTURBATIONS: dict[str, Callable[[dict[int, Row], dict[int, Row], random.Random], None]] = {
    "twins": add_twins,
    "twins_no_tax": twins_without_tax,
}

PERTURBATIONS: dict[str, Callable[[Row, random.Random], Row]] = {
    "no_tax_codes": no_tax,
    "shuffled_words": shuffle_words,
    "no_articles": drop_articles,
    "swapped_forms": swap_forms,
    "typos": typo,
    "all_at_once": everything,
}

# --- scoring ------------------------------------------------------------------------------------


def write_prediction(path: Path, truth: dict[int, Row], found: Records, result: MatchResult) -> None:
    entity = {found.rows[key]: f"C{cluster[0]:05d}" for cluster in result.clusters for key in cluster}
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["row", "entity_id", "status", "reasons", "warnings"])
        for row_number, t in sorted(truth.items()):
            if row_number in entity:
                w.writerow([row_number, entity[row_number], "accepted", "", t["warnings"]])
            else:
                w.writerow([row_number, "", "rejected", t["reasons"], t["warnings"]])


def show_errors(truth: dict[int, Row], rows: dict[int, Row], found: Records, result: MatchResult) -> None:
    row_of = found.rows
    cluster = {row_of[k]: tuple(row_of[m] for m in c) for c in result.clusters for k in c}
    by_entity: dict[str, list[int]] = {}
    for r in cluster:
        by_entity.setdefault(truth[r]["entity"], []).append(r)
    for c in sorted(set(cluster.values())):
        if len({truth[r]["entity"] for r in c}) > 1:
            print("   FALSE MERGE", [(r, rows[r][NAME], truth[r]["entity"]) for r in c])
    for e, members in sorted(by_entity.items()):
        if len({cluster[r] for r in members}) > 1:
            print("   MISSED", e, [(r, rows[r][NAME], rows[r][TAX]) for r in members])
    for lk in result.review:
        a, b = row_of[lk.a], row_of[lk.b]
        tag = "SAME " if truth[a]["entity"] == truth[b]["entity"] else "other"
        print(f"   review {tag} {a}:{rows[a][NAME]!r} ~ {b}:{rows[b][NAME]!r} {lk.evidence}")


def _perturbed(
    data: Path, name: str, perturb: str | None, seed: int
) -> tuple[list[str], dict[int, Row], dict[int, Row]]:
    """The set's header, rows (sheet row -> answers) and truth, perturbed as asked."""
    grid, truth = dev_set(name, data)
    header = grid[0]
    rows = {n: dict(zip(header, r, strict=False)) for n, r in enumerate(grid[1:], start=2)}
    rng = random.Random(f"{seed}-{name}-{perturb}")
    if perturb in SET_PERTURBATIONS:
        SET_PERTURBATIONS[perturb](rows, truth, rng)
    elif perturb:
        rows = {n: PERTURBATIONS[perturb](r, rng) for n, r in rows.items()}
    return header, rows, truth


def run_set(
    data: Path, name: str, out: Path | None, perturb: str | None, seed: int, errors: bool
) -> dict[str, str]:
    header, rows, truth = _perturbed(data, name, perturb, seed)
    grid = [header, *([r.get(h, "") for h in header] for _, r in sorted(rows.items()))]
    checked = checked_rows(grid, load_settings(DEV_SETS.get(name, "crema")).ambito)
    entity = {n: t["entity"] for n, t in truth.items()}
    found = records_of(checked, entity, lambda c: truth[c.response.row]["expected"] == "accepted")
    t0 = time.perf_counter()
    result = match(found.records)
    elapsed = time.perf_counter() - t0
    if out is not None:
        write_prediction(out / f"{name}{'-' + perturb if perturb else ''}.pred.csv", truth, found, result)
    s = pair_scores(found.truth, cluster_of(result.clusters))
    if errors:
        show_errors(truth, rows, found, result)
    return {
        "pair_precision": f"{s.precision:.4f}",
        "pair_recall": f"{s.recall:.4f}",
        "organisations_true": str(s.organisations_true),
        "organisations_predicted": str(s.organisations_predicted),
        "false_merge_pairs": str(s.false_pairs),
        "missed_pairs": str(s.missed_pairs),
        "review_pairs": str(len(result.review)),
        "review_same": str(sum(found.truth[lk.a] == found.truth[lk.b] for lk in result.review)),
        "seconds": f"{elapsed:.3f}",
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?", default=str(DEV), help="folder with <set>-risposte.csv (+ .truth.csv)")
    ap.add_argument("--sets", default="crema,cremonese,cernusco")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-perturb", action="store_true")
    ap.add_argument("--only", help="run only this perturbation ('none' for the plain sets)")
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--out", help="also write the predicted CSVs there")
    a = ap.parse_args()
    data = Path(a.data)
    out = Path(a.out) if a.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    variants: list[str | None] = [None] + ([] if a.no_perturb else [*PERTURBATIONS, *SET_PERTURBATIONS])
    if a.only:
        variants = [None if a.only == "none" else a.only]
    print(
        f"{'set':10} {'variant':15} {'precision':>9} {'recall':>7} {'orgs pred/true':>15} "
        f"{'false pairs':>11} {'missed':>6} {'review (same)':>14} {'s':>6}"
    )
    worst_ok = True
    for variant in variants:
        for name in a.sets.split(","):
            if not (data / f"{name}-risposte.csv").is_file():
                print(f"tune_match: {name}-risposte.csv not found in {data}", file=sys.stderr)
                return 2
            f = run_set(data, name, out, variant, a.seed, a.show_errors)
            p, r = float(f["pair_precision"]), float(f["pair_recall"])
            t, o = int(f["organisations_true"]), int(f["organisations_predicted"])
            ok = (p >= 0.995 and r >= 0.97 and abs(o - t) <= 0.01 * t) if variant is None else p >= 0.99
            worst_ok &= ok
            print(
                f"{name:10} {variant or '-':15} {p:9.4f} {r:7.4f} {o:>7}/{t:<7} {f['false_merge_pairs']:>11} "
                f"{f['missed_pairs']:>6} {f['review_pairs']:>8} ({f['review_same']:>3}) {f['seconds']:>6}"
                f"{'' if ok else '  <-- below target'}"
            )
    return 0 if worst_ok else 1


if __name__ == "__main__":
    sys.exit(main())
