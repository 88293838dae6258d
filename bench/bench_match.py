"""Time `sync.match` on ~20,000 organisations / ~27,000 form rows, and 10x fewer.

    .venv/bin/python -m bench.bench_match [--orgs 20000] [--seed 7] [--repeat 3] [--ambito crema]
                                          [--no-memory] [--synthetic]

By default the records come the product's way: `sync.demo_data.generate` builds the form rows of an
Ambito (names spelled differently across resubmissions, partite IVA for codici fiscali, namesakes,
ODV/APS twins, blocking problems...), `parse_rows` and `check` read them, and the accepted ones become
`MatchRecord`s as `resolve` makes them. The territory stays the Ambito's: ten times the
organisations means ten times as many per comune, which is what makes blocking hard.

For each size it prints rows and records, the best wall time of `--repeat` cold runs (name caches
cleared: a sync normalises names it has not seen), records/s, the candidate pairs the blocking keys
proposed and the pairs actually judged (a separate, untimed run), clusters, review pairs, peak memory
(tracemalloc, in another run: tracing slows Python down) and pair precision/recall against the
generator's truth. Then the time ratio between the two sizes: the product requirement is that ten
times the rows cost at most ~12 times the time. The load average is printed too: the machine may be
shared, which is why the fastest run counts.

`--synthetic` uses this script's own generator instead (word lists, ~1.35 records per organisation,
a territory that grows with the organisations), as before.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
import tracemalloc

from stdnum import luhn
from stdnum.it import iva

import sync.match
from bench.common import demo_records, score_clusters
from sync.match import MatchRecord, match
from sync.names import clear_caches


def _words(text: str) -> list[str]:
    return text.split()


PLACES = _words(
    """Crema Cremona Soncino Pandino Rivolta Agnadello Vailate Spino Dovera Monte Bagnolo Vaiano
Chieve Capergnanica Ripalta Montodine Moscazzano Credera Castelleone Madignano Izano Offanengo
Romanengo Ticengo Casaletto Salvirola Fiesco Trigolo Genivolta Cumignano Soresina Casalmorano
Annicco Sesto Pizzighettone Acquanegra Grumello Crotta Spinadesco Gerre Bonemerse Malagnino
Persico Vescovato Pescarolo Cicognolo Olmeneta Robecco Pozzaglio Corte Gadesco Stagno Isola
Ostiano Volongo Piadena Drizzona Calvatone Tornata Casalmaggiore Viadana Sabbioneta Gussola
Martignana Torricella Motta Scandolara Derovere Cappella Pessina Gabbioneta Seniga Pralboino
Cernusco Gorgonzola Cassina Bussero Carugate Pessano Gessate Cambiago Bellinzago Melzo Vignate
Pioltello Segrate Vimodrone Cologno Brugherio Inzago Pozzuolo Truccazzano Liscate Settala Rodano
Treviglio Caravaggio Calvenzano Misano Arzago Casirate Brignano Fara Canonica Pontirolo Boltiere
Lodi Codogno Casalpusterlengo Sant'Angelo Borghetto Castiraga Lodivecchio Tavazzano Zelo Mulazzano
Bergamo Brescia Mantova Pavia Piacenza Milano Monza Lecco Como Varese Sondrio Vigevano Voghera
Abbiategrasso Magenta Legnano Saronno Rho Bollate Paderno Cinisello Solaro Desio Seregno Lissone
Vimercate Arcore Merate Cantu Erba Mariano Meda Seveso Cesano Limbiate Garbagnate Senago Arese"""
)
QUALIFIERS = [
    "",
    "",
    "",
    "",
    "Cremasco",
    "Cremonese",
    "Lodigiano",
    "Martesana",
    "Bassa",
    "Alta",
    "Nord",
    "Sud",
]
THEMES = _words(
    """Genitori Anziani Disabili Famiglie Giovani Donne Volontari Alpini Pensionati Malati Oncologici
Diabetici Alzheimer Parkinson Autismo Sclerosi Dislessia Cardiopatici Trapiantati Ciechi Sordi Ipovedenti
Immigrati Rifugiati Studenti Insegnanti Educatori Nonni Bambini Ragazzi Mamme Papà Vedove Orfani"""
)
NOUNS = _words(
    """Sorriso Girasole Melograno Aquilone Arcobaleno Sentiero Timone Faro Ponte Portico Cortile Seme
Germoglio Mosaico Tenda Bottega Rete Strada Sorgente Fenice Goccia Rondine Bussola Nodo Cerchio Volo
Quercia Ulivo Gabbiano Delfino Albero Fiore Stella Luna Sole Mare Vela Ancora Approdo Orizzonte Radici
Incontro Cammino Passo Porto Scuola Officina Casa Cascina Torre Filo Ruota Chiave Lanterna Aurora
Primavera Speranza Solidarietà Insieme Agorà Koinè Iride Itaca Betania Emmaus Shalom Nazareth"""
)
ARTICLE = {n: ("L'" if n[0] in "AEIOU" else "La " if n.endswith("a") else "Il ") for n in NOUNS}
SAINTS = _words(
    """Francesco Luigi Giovanni Giuseppe Martino Pantaleone Chiara Angela Vincenzo Antonio Rocco Carlo
Ambrogio Giorgio Marco Luca Paolo Pietro Andrea Stefano Lorenzo Bernardino Rita Teresa Caterina"""
)
BRANDS = [
    "Auser",
    "ANFFAS",
    "AVIS",
    "AIDO",
    "ACLI",
    "Arci",
    "Caritas",
    "UILDM",
    "ANTEAS",
    "CAV",
    "Croce Verde",
]
SPORTS = ["Polisportiva", "Atletica", "Gruppo Sportivo", "Pallavolo", "Basket", "Calcio", "Ciclistica"]
STREETS = """Via Roma|Via Dante|Via Verdi|Via Mazzini|Via Garibaldi|Via Cavour|Piazza Duomo|Via Manzoni
Via XX Settembre|Via IV Novembre|Via Matteotti|Corso Italia|Via Gramsci|Via Marconi|Piazza Garibaldi
Via Kennedy|Via Volta|Via Carducci|Via Pascoli|Via Leopardi|Via Fermi|Via Diaz|Viale Europa""".replace(
    "\n", "|"
).split("|")
FIRST = ["Anna", "Marco", "Luca", "Sara", "Paola", "Giuseppe", "Elena", "Davide", "Chiara", "Fabio"]
LAST = ["Rossi", "Ferrari", "Bianchi", "Moretti", "Galli", "Conti", "Rizzi", "Guerini", "Tedoldi", "Vailati"]
DOMAINS = ["gmail.com", "libero.it", "alice.it", "virgilio.it", "tiscali.it", "outlook.it"]
FORMS = {
    "odv": ["ODV", "O.d.V.", "OdV", "Organizzazione di Volontariato"],
    "aps": ["APS", "A.P.S.", "Aps", "Associazione di Promozione Sociale"],
    "coop": ["Società Cooperativa Sociale", "Soc. Coop. Soc.", "Cooperativa Sociale", "S.C.S."],
    "asd": ["ASD", "A.S.D.", "Associazione Sportiva Dilettantistica"],
    "srl": ["Impresa Sociale S.r.l.", "Impresa Sociale srl"],
    "": [""],
}


def _tax_code(rng: random.Random, first: str) -> str:
    """A valid 11-digit codice fiscale / partita IVA: serial, office code 001-100, Luhn digit."""
    body = first + "".join(rng.choice("0123456789") for _ in range(6)) + f"{rng.randint(1, 100):03d}"
    code = body + luhn.calc_check_digit(body)
    assert iva.is_valid(code)
    return code


def _org(rng: random.Random, n: int, places: list[str]) -> dict[str, str]:
    """One organisation: its canonical name parts, legal form and contacts."""
    place = rng.choice(places)
    kind = rng.random()
    if kind < 0.25:
        core, form = (
            f"Associazione {rng.choice(THEMES)} {place} {rng.choice(QUALIFIERS)}",
            rng.choice(["odv", "aps"]),
        )
    elif kind < 0.4:
        core, form = (
            f"Gruppo {rng.choice(['Volontari', 'Alpini', 'Amici'])} {place}",
            rng.choice(["odv", "aps", ""]),
        )
    elif kind < 0.55:
        noun = rng.choice(NOUNS)
        core, form = ARTICLE[noun] + noun, rng.choice(["coop", "coop", "srl"])
    elif kind < 0.65:
        core, form = f"Fondazione {rng.choice(['San', 'Santa', 'Benefattori'])} {rng.choice(SAINTS)}", ""
    elif kind < 0.78:
        number = f" {rng.randint(1, 60)}" if rng.random() < 0.3 else ""
        core, form = f"{rng.choice(SPORTS)} {place}{number}", "asd"
    elif kind < 0.9:
        core, form = f"{rng.choice(BRANDS)} {place}", rng.choice(["odv", "aps"])
    else:
        core, form = (
            f"Amici di {rng.choice(['San', 'Santa'])} {rng.choice(SAINTS)}",
            rng.choice(["odv", "aps", ""]),
        )
    person = f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}{n}"
    slug = "".join(c for c in core.lower() if c.isalpha())[:18]
    return {
        "core": " ".join(core.split()),
        "form": form,
        "place": place.lower(),
        "email": (slug if rng.random() < 0.5 else person) + "@" + rng.choice(DOMAINS),
        "pec": slug + "@pec.it" if rng.random() < 0.6 else "",
        "phone": f"03{rng.randint(10_000_000, 99_999_999)}",
        "address": f"{rng.choice(STREETS).lower()} {rng.randint(1, 150)}",
        "cf": _tax_code(rng, rng.choice("89")),
        "piva": _tax_code(rng, rng.choice("01")) if rng.random() < 0.3 else "",
    }


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    spots = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not spots:
        return text
    i = rng.choice(spots)
    w = words[i]
    p = rng.randrange(1, len(w) - 1)
    words[i] = w[: p - 1] + w[p] + w[p - 1] + w[p + 1 :]  # a transposition, the commonest slip
    return " ".join(words)


def _spelling(rng: random.Random, org: dict[str, str]) -> str:
    name = org["core"]
    if rng.random() < 0.2 and name.startswith(("Il ", "La ", "L'")):
        name = name.split(" ", 1)[1] if " " in name else name
    form = rng.choice(FORMS[org["form"]])
    if form and org["form"] == "coop" and rng.random() < 0.3:
        name = f"{form} {name}"
    elif form:
        name = f"{name} {form}"
    roll = rng.random()
    if roll < 0.15:
        name = name.upper()
    elif roll < 0.25:
        name = f"«{name}»"
    elif roll < 0.4:
        name = _typo(rng, name)
    return name


def generate(orgs: int, seed: int) -> tuple[list[MatchRecord], dict[int, int]]:
    """Records and their true organisation, ~1.35 records per organisation."""
    rng = random.Random(seed)
    # A bigger territory has more towns, not more bodies per town: ~130 per town at any size, so
    # that the two sizes differ in scale only (the per-town density sets the blocking buckets).
    places = PLACES[: max(5, round(len(PLACES) * orgs / 20_000))]
    records: list[MatchRecord] = []
    truth: dict[int, int] = {}
    names: set[tuple[str, str]] = set()  # one body per name and town, like in a real register
    ids: set[str] = set()
    n = 0
    while n < orgs:
        org = _org(rng, n, places)
        if (org["core"], org["place"]) in names or {org["cf"], org["piva"]} & ids:
            continue
        names.add((org["core"], org["place"]))
        ids.update({org["cf"], org["piva"]} - {""})
        group = [org]
        if org["form"] in ("odv", "aps") and rng.random() < 0.05:
            # an ODV/APS twin: same name, town and email; its own seat, phone and ids
            twin = _org(rng, n, places) | {"core": org["core"], "email": org["email"], "place": org["place"]}
            twin["form"] = "aps" if org["form"] == "odv" else "odv"
            if twin["address"] != org["address"] and not {twin["cf"], twin["piva"]} & ids:
                ids.update({twin["cf"], twin["piva"]} - {""})
                group.append(twin)
        for o in group:
            oid = 2 * n + (o is not org)
            copies = 1 + (rng.random() < 0.28) + (rng.random() < 0.07)
            for _ in range(copies):
                roll = rng.random()
                tax = "" if roll < 0.1 else (o["piva"] or o["cf"]) if roll < 0.25 else o["cf"]
                key = len(records)
                records.append(
                    MatchRecord(
                        key=key,
                        name=_spelling(rng, o),
                        tax_ids=(tax,) if tax else (),
                        raw_tax_id=tax,
                        email=o["email"],
                        pec=o["pec"],
                        phone=o["phone"],
                        comune=o["place"],
                        address=o["address"],
                        submitted_at=None,
                    )
                )
                truth[key] = oid
        n += 1
    return records, truth


def generate_demo(orgs: int, seed: int, ambito_name: str) -> tuple[list[MatchRecord], dict[int, int], int]:
    """Records built the product's way from `sync.demo_data` (`bench.common`), their true organisation, and
    the number of form rows."""
    found, form_rows = demo_records(ambito_name, orgs, seed=seed)
    return found.records, found.truth, form_rows


def count_pairs(records: list[MatchRecord]) -> tuple[int, int]:
    """Pairs the blocking keys proposed, and pairs judged, in one untimed run of `match`."""
    proposed = judged = 0
    judge = sync.match._judge
    screen = getattr(sync.match, "_Screen", None)
    keep = getattr(screen, "keep", None)

    def counting_judge(*args: object) -> object:
        nonlocal judged
        judged += 1
        return judge(*args)  # type: ignore[arg-type]

    def counting_keep(self: object, pairs: set[int]) -> object:
        nonlocal proposed
        proposed += len(pairs)
        return keep(self, pairs)  # type: ignore[misc]

    sync.match._judge = counting_judge  # type: ignore[assignment]
    if screen is not None and keep is not None:
        screen.keep = counting_keep  # type: ignore[method-assign]
    try:
        match(records)
    finally:
        sync.match._judge = judge
        if screen is not None and keep is not None:
            screen.keep = keep  # type: ignore[method-assign]
    return (proposed if keep is not None else -1), judged


def measure(records: list[MatchRecord], truth: dict[int, int], repeat: int, memory: bool) -> dict[str, float]:
    times = []
    result = None
    for _ in range(repeat):
        clear_caches()  # cold: a sync normalises names it has not seen
        t0 = time.perf_counter()
        result = match(records)
        times.append(time.perf_counter() - t0)
    assert result is not None
    wall = min(times)  # the machine is shared: the fastest run is the least disturbed
    scores = score_clusters(result.clusters, truth)
    precision, recall = scores.precision, scores.recall
    clear_caches()
    proposed, judged = count_pairs(records)
    figures = {
        "orgs": float(len(set(truth.values()))),
        "records": float(len(records)),
        "wall_s": wall,
        "records_per_s": len(records) / wall,
        "proposed": float(proposed),
        "judged": float(judged),
        "clusters": float(len(result.clusters)),
        "review": float(len(result.review)),
        "precision": precision,
        "recall": recall,
    }
    if memory:
        clear_caches()
        tracemalloc.start()
        match(records)
        figures["peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orgs", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per size (the fastest is shown)")
    ap.add_argument("--ambito", default="crema", help="preset whose Ambito the demo rows are for")
    ap.add_argument("--no-memory", action="store_true", help="skip the traced run")
    ap.add_argument("--synthetic", action="store_true", help="this script's own generator, not the product's")
    a = ap.parse_args()
    load = os.getloadavg()
    print(f"cpus {os.cpu_count()}  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    rows = []
    for orgs in (a.orgs // 10, a.orgs):
        if a.synthetic:
            records, truth = generate(orgs, a.seed)
            form_rows = len(records)
        else:
            records, truth, form_rows = generate_demo(orgs, a.seed, a.ambito)
        f = measure(records, truth, a.repeat, not a.no_memory)
        rows.append(f)
        peak = f"{f['peak_mb']:7.1f}" if "peak_mb" in f else "      -"
        print(
            f"orgs {orgs:>6}  rows {form_rows:>6}  records {f['records']:>6.0f}  wall {f['wall_s']:6.3f} s  "
            f"{f['records_per_s']:>7.0f} records/s  pairs screened {f['proposed']:>7.0f} judged {f['judged']:>6.0f}  "
            f"peak {peak} MB  clusters {f['clusters']:>6.0f}  review {f['review']:>5.0f}  "
            f"precision {f['precision']:.4f}  recall {f['recall']:.4f}"
        )
    ratio = rows[1]["wall_s"] / rows[0]["wall_s"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"time ratio for {rows[1]['records'] / rows[0]['records']:.1f}x records: {ratio:.1f}x  (target <= ~12x)"
    )
    load = os.getloadavg()
    print(f"process peak RSS: {rss:.0f} MB  load average now {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
