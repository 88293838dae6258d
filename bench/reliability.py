"""The long reliability runs: faults, kills, concurrent edits, hostile input, webhook abuse, a load burst.

    .venv/bin/python -m bench.reliability                      every line (about 15 minutes)
    .venv/bin/python -m bench.reliability --only faults-google,load-burst
    .venv/bin/python -m bench.reliability --scale 0.05         a quick pass with a twentieth of the cases

Each line runs the scenarios of `tests/reliability_helpers.py` (the CI suites `tests/test_reliability_*.py`
run the first few cases of the same lines) and prints one row: cases, held, failed, seconds, and what was
seen on the way. `load-burst` is only here: gunicorn (2 workers x 4 threads) on 127.0.0.1 syncing to the
Sheets API fake with Google's quota (60 requests/min), 2,000 signed submissions in a minute, each row
written to the form's sheet first as Google Forms does; then every row must be in `Risposte`.
Everything listens on 127.0.0.1; every loop is bounded; servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.bench_webhook import Service as Gunicorn
from bench.common import demo_set
from sync.config import load_settings
from sync.parse import parse_timestamp
from tests import reliability_helpers as rh
from tests.fakes.sheets_api import SheetsFake
from webhook.auth import sign

RESPONSES_TAB = "Risposte del modulo 1"
OUTPUTS = ("interno.xlsx", "pubblico.xlsx", "pubblico.csv", "pubblico.json")


@dataclass
class Line:
    """One row of the table."""

    name: str
    what: str
    command: str
    cases: int = 0
    held: int = 0
    seconds: float = 0.0
    notes: str = ""
    failures: list[str] = field(default_factory=list)

    def count(self, problems: list[str], label: str) -> None:
        """Record one case and its problems."""
        self.cases += 1
        if problems:
            self.failures.append(f"{label}: " + "; ".join(problems[:4]))
        else:
            self.held += 1


def _n(base: int, scale: float) -> int:
    return max(1, round(base * scale))


# -- the lines ---------------------------------------------------------------------------------------------------


def faults_google(line: Line, scale: float, work: Path) -> None:
    """Randomised fault schedules on the Sheets API fake (the seeds of `pytest -m slow`)."""
    outcomes: collections.Counter[str] = collections.Counter()
    with SheetsFake() as fake:
        refs = {s: rh.references(fake, work, s) for s in ("first", "incremental")}
        for seed in range(20, 20 + _n(200, scale)):
            case = rh.fault_case(fake, work, seed, refs)
            outcomes[case.played.outcome] += 1
            line.count(case.problems, f"seed {seed} {case.scenario} {case.schedule}")
    line.notes = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))


def kill_local(line: Line, scale: float, work: Path) -> None:
    """SIGKILL of a local sync at a random delay or write step (the seeds of `pytest -m slow`)."""
    bases = {s: rh.prepare_kill_base(work, s) for s in ("first", "incremental")}
    states: collections.Counter[str] = collections.Counter()
    temp_left = 0
    for seed in range(5, 5 + _n(60, scale)):
        case = rh.kill_case(bases["first" if seed % 4 == 0 else "incremental"], work, seed)
        temp_left += bool(case.leftovers)
        states.update(f"{n.removeprefix('elenco-')} {s}" for n, s in case.states.items())
        line.count(case.problems, f"seed {seed} {case.scenario} {case.how}")
    left = {f: {k.split(" ", 1)[1]: v for k, v in states.items() if k.startswith(f)} for f in OUTPUTS}
    line.notes = "; ".join(f"elenco-{f} left {v}" for f, v in left.items()) + (
        f"; a temp file left by the kill (removed by the next sync): {temp_left} times"
    )


def edits_memory(line: Line, scale: float, work: Path) -> None:
    """Staff edits and new rows at a random write of a MemoryStore sync."""
    for seed in range(30, 30 + _n(300, scale)):
        line.count(rh.memory_edit_case(seed), f"seed {seed}")


def edits_google(line: Line, scale: float, work: Path) -> None:
    """Staff edits just before each write request, and from another thread at a random moment."""
    with SheetsFake() as fake:
        refs = {"incremental": rh.references(fake, work, "incremental")}
        for at in (1, 2, 3):
            line.count(rh.fake_hook_edit_case(fake, work, at, refs), f"before request {at}")
        for seed in range(5, 5 + _n(50, scale)):
            line.count(rh.fake_thread_edit_case(fake, work, seed, refs), f"thread seed {seed}")


def two_syncs(line: Line, scale: float, work: Path) -> None:
    """Two syncs started together: one spreadsheet (shared lock), one local folder (threads, processes)."""
    reps = _n(10, scale)
    with SheetsFake() as fake:
        refs = {"incremental": rh.references(fake, work, "incremental")}
        for rep in range(reps):
            for rows_between in (False, True):
                lock = work / f"two-{rep}-{rows_between}"
                lock.mkdir()
                problems = rh.two_syncs_fake(fake, lock, refs, same_machine=True, rows_between=rows_between)
                line.count(problems, f"spreadsheet rep {rep} rows_between={rows_between}")
    base = rh.prepare_kill_base(work / "local", "incremental")
    for rep in range(reps):
        for processes in (False, True):
            problems = rh.two_syncs_local(base, work, f"local-{rep}-{processes}", processes=processes)
            line.count(problems, f"folder rep {rep} processes={processes}")


def two_machines(line: Line, scale: float, work: Path) -> None:
    """Not the deployed setup: two machines without a shared lock, interleaved read/read/write/write."""
    with SheetsFake() as fake:
        refs = {"incremental": rh.references(fake, work, "incremental")}
        for rep in range(_n(10, scale)):
            for rows_between in (False, True):
                lock = work / f"machines-{rep}-{rows_between}"
                lock.mkdir()
                problems = rh.two_syncs_fake(fake, lock, refs, same_machine=False, rows_between=rows_between)
                line.count(problems, f"rep {rep} rows_between={rows_between}")


def _hypothesis(line: Line, examples: int, check: Callable[[Any], list[str]], strategy: Any) -> None:
    from hypothesis import HealthCheck, Phase, given, settings

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
        # no shrinking here: a failure is reported as found (the CI test shrinks it), each case counted once
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    @given(strategy)
    def prop(value: Any) -> None:
        problems = check(value)
        line.cases += 1
        if problems:
            raise AssertionError("; ".join(problems[:4]))
        line.held += 1

    try:
        prop()
    except AssertionError as err:  # hypothesis re-raises the (shrunk) failing example
        line.failures.append(str(err)[:500])


def input_memory(line: Line, scale: float, work: Path) -> None:
    """Hostile form sheets synced on the MemoryStore."""
    _hypothesis(line, _n(10_000, scale), rh.check_on_memory, rh.form_sheets())


def input_xlsx(line: Line, scale: float, work: Path) -> None:
    """Hostile form sheets through the local backend (xlsx text cells, neutralised CSV)."""
    serial = iter(range(10**9))

    def check(sheet: rh.FormSheet) -> list[str]:
        folder = work / f"sheet-{next(serial)}"
        folder.mkdir()
        return rh.check_on_xlsx(sheet, folder)

    _hypothesis(line, _n(500, scale), check, rh.form_sheets())


def webhook_fuzz(line: Line, scale: float, work: Path) -> None:
    """Fuzzed requests to POST /hooks/form through the test client; refusals change nothing, logs leak nothing."""
    from tests import test_reliability_webhook as tw
    from webhook.app import state_of

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.DEBUG)
    logger = logging.getLogger("elenco")
    logger.addHandler(handler)
    logger.propagate = False  # the records are checked, not printed
    counted, clock = tw.Counted(), tw.Clock()
    app = tw.fuzz_app(work / "instance", counted, clock)
    sent = [0]

    def check(batch: list[tw.Sent]) -> list[str]:
        sent[0] += len(batch)
        try:
            tw.check_sequence(app, app.test_client(), clock, counted, batch, records)
        except AssertionError as err:
            return [str(err)[:300]]
        return []

    try:
        _hypothesis(line, _n(3_000, scale), check, tw.bad_requests())
    finally:
        state_of(app).scheduler.shutdown(timeout=10)
        logger.removeHandler(handler)
        logger.propagate = True
    kinds = collections.Counter(r.getMessage() for r in records)
    line.notes = f"{sent[0]} requests; log lines: {dict(kinds)}; syncs run: {len(counted.ran)}"


# -- the load burst ---------------------------------------------------------------------------------------------


def load_burst(line: Line, scale: float, work: Path) -> None:
    """2,000 signed submissions over 60 s to gunicorn syncing to the quota-limited Sheets API fake."""
    burst, seconds = _n(2_000, scale), max(5.0, 60.0 * scale)
    secret, token = secrets.token_hex(32), secrets.token_hex(32)
    ambito = load_settings("crema").ambito
    demo = demo_set(ambito, round((burst + 300) / 1.36), seed=11)
    initial, extra = demo.rows[: len(demo.rows) - burst], demo.rows[len(demo.rows) - burst :]
    first_row = len(initial) + 2
    statuses: collections.Counter[int] = collections.Counter()
    verdicts: dict[int, str] = {}
    lock = threading.Lock()
    with SheetsFake() as fake:
        fake.quota_per_minute = 60  # as Google: going over would answer 429
        staff = fake.create_spreadsheet(
            "Modulo (risposte)", {RESPONSES_TAB: [demo.header, *initial]}, rows=len(demo.rows) + 100
        )
        public = fake.create_spreadsheet("Elenco pubblico")
        config = work / "elenco.yaml"
        config.write_text(
            "preset: crema\nbackend:\n  kind: gsheets\n"
            f"  staff_spreadsheet_id: {staff}\n  public_spreadsheet_id: {public}\n"
            f"  endpoint: {fake.base_url}\n  credentials: none\n",
            encoding="utf-8",
        )
        service = Gunicorn(work, config, secret, token)
        try:
            auth = {"Authorization": f"Bearer {token}"}
            first = requests.post(f"{service.base}/tasks/sync", headers=auth, timeout=300)
            if first.status_code != 200:
                raise SystemExit(f"initial sync failed: {first.status_code} {first.text[:500]}")
            fake.reset_counts()
            samples: list[tuple[float, int]] = [(0.0, 0)]
            done = threading.Event()
            started = time.monotonic()

            def sampler() -> None:
                while not done.wait(0.5):
                    samples.append((time.monotonic() - started, fake.count()))

            def worker(index: int, workers: int) -> None:
                with requests.Session() as session:
                    session.trust_env = False
                    for i in range(index, burst, workers):
                        delay = started + i * seconds / burst - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                        row = extra[i]
                        # Google Forms writes the row, then the trigger posts the submission
                        fake.set_values(
                            staff, RESPONSES_TAB, [row], start=f"A{first_row + i}", input_option="RAW"
                        )
                        when = parse_timestamp(row[0])
                        body = json.dumps(
                            {
                                "response_id": f"burst-{i}",
                                "submitted_at": when.isoformat() if when else "2024-04-03T09:09:13",
                                "answers": dict(zip(demo.header[1:], row[1:], strict=False)),
                            }
                        ).encode()
                        ts = str(int(time.time()))
                        headers = {
                            "Content-Type": "application/json",
                            "X-Elenco-Timestamp": ts,
                            "X-Elenco-Signature": sign(secret, ts, body),
                        }
                        try:
                            r = session.post(
                                f"{service.base}/hooks/form", data=body, headers=headers, timeout=60
                            )
                            code, verdict = r.status_code, (r.json().get("status", "") if r.ok else "")
                        except requests.RequestException:
                            code, verdict = 0, ""
                        with lock:
                            statuses[code] += 1
                            verdicts[first_row + i] = verdict

            watcher = threading.Thread(target=sampler, daemon=True)
            watcher.start()
            threads = [threading.Thread(target=worker, args=(w, 16)) for w in range(16)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(seconds + 300)
            sent_s = time.monotonic() - started
            idle = service.wait_idle(180)
            final = requests.post(f"{service.base}/tasks/sync", headers=auth, timeout=300)
            done.set()
            watcher.join(5)
            samples.append((time.monotonic() - started, fake.count()))
            status = service.status()
        finally:
            service.stop()
        risposte = fake.values(staff, "Risposte")
        quota_refusals = sum(1 for e in fake.log if e.status == 429 and e.fault is None)
    worst = max(
        (c1 - c0 for i, (t0, c0) in enumerate(samples) for t1, c1 in samples[i:] if t1 - t0 <= 60.0),
        default=0,
    )
    outcome = {str(r[0]): (r[4] if len(r) > 4 else "") for r in risposte[1:] if r}
    missing = [row for row in range(2, first_row + burst) if str(row) not in outcome]
    labels = {"accepted": "accettata", "rejected": "respinta"}
    agree = sum(1 for row, v in verdicts.items() if labels.get(v) == outcome.get(str(row)))
    line.cases = burst
    line.held = sum(1 for i in range(burst) if verdicts.get(first_row + i) and str(first_row + i) in outcome)
    problems = []
    if set(statuses) != {200}:
        problems.append(f"HTTP statuses {dict(statuses)}")
    if missing:
        problems.append(f"{len(missing)} rows missing from Risposte, e.g. {missing[:5]}")
    if worst > 60 or quota_refusals:
        problems.append(f"quota: {worst} requests in 60 s, {quota_refusals} answered 429")
    if final.status_code != 200 or not idle:
        problems.append(f"final sync {final.status_code}, idle before it: {idle}")
    line.failures += problems
    line.notes = (
        f"sent in {sent_s:.0f} s, statuses {dict(statuses)}; syncs {status.get('syncs_run')}; Sheets API "
        f"requests {samples[-1][1]}, max {worst} in 60 s (quota 60), 429 from quota: {quota_refusals}; "
        f"Risposte lines {len(outcome)} of {first_row - 2 + burst}; webhook verdict = sync outcome for "
        f"{agree}/{burst}"
    )


LINES: list[tuple[str, Callable[[Line, float, Path], None], str]] = [
    ("faults-google", faults_google, "Guasti Google (429/500/503/timeout/connessione caduta) durante una sync"),
    ("kill-local", kill_local, "Processo ucciso (SIGKILL) durante una sync locale"),
    ("edits-memory", edits_memory, "Modifiche dell'ufficio tra lettura e scrittura (MemoryStore)"),
    ("edits-google", edits_google, "Modifiche dell'ufficio durante una sync Google (prima di ogni scrittura, da un altro thread)"),
    ("two-syncs", two_syncs, "Due sync insieme (webhook + cron): stesso foglio, stessa cartella (thread e processi)"),
    ("two-machines", two_machines, "Due macchine senza lock comune (non è la configurazione prevista)"),
    ("input-memory", input_memory, "Fogli del modulo ostili (hypothesis), MemoryStore"),
    ("input-xlsx", input_xlsx, "Fogli del modulo ostili (hypothesis), backend xlsx + CSV"),
    ("webhook-fuzz", webhook_fuzz, "Richieste al webhook alterate (firme, orari, ripetizioni, dimensioni, tipi)"),
    ("load-burst", load_burst, "2.000 invii firmati in un minuto, gunicorn 2 worker, fake Google con quota"),
]  # fmt: skip


def main() -> int:
    """Run the chosen lines and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="comma-separated line names (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the cases to run")
    args = parser.parse_args()
    chosen = [n for n in args.only.split(",") if n] or [n for n, _, _ in LINES]
    unknown = set(chosen) - {n for n, _, _ in LINES}
    if unknown:
        parser.error(f"unknown lines: {sorted(unknown)}")
    done: list[Line] = []
    for name, run, what in LINES:
        if name not in chosen:
            continue
        line = Line(name, what, f".venv/bin/python -m bench.reliability --only {name}")
        print(f"{name} …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"elenco-{name}-") as tmp:
            run(line, args.scale, Path(tmp))
        line.seconds = time.perf_counter() - started
        print(f"{name}: {line.held}/{line.cases} held in {line.seconds:.0f} s {line.notes}", file=sys.stderr)
        for failure in line.failures[:10]:
            print(f"  FAILED {failure}", file=sys.stderr)
        done.append(line)
    print(f"elenco reliability — python {sys.version.split()[0]}, {os.cpu_count()} CPUs, scale {args.scale}")
    print()
    print("| line | what | cases | held | failed | seconds |")
    print("|---|---|---:|---:|---:|---:|")
    for line in done:
        failed = line.cases - line.held if line.cases != line.held else len(line.failures)
        print(f"| `{line.name}` | {line.what} | {line.cases} | {line.held} | {failed} | {line.seconds:.0f} |")
    print()
    for line in done:
        if line.notes:
            print(f"- `{line.name}`: {line.notes}")
    return 1 if any(line.failures for line in done) else 0


if __name__ == "__main__":
    raise SystemExit(main())
