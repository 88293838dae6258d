"""Webhook figures under gunicorn on loopback (2 workers x 4 threads, as app.yaml), syncing to a Google fake.

    .venv/bin/python -m bench.bench_webhook [--clients 32] [--seconds 15] [--rounds 1] [--burst 1000]
                                            [--burst-seconds 60] [--sparse 24] [--throughput-only]

1. Throughput: `--clients` threads, each with its own `requests.Session`, post signed submissions for
   `--seconds`; prints submissions/s, p50/p99 latency and the workers' CPU per submission, counted until
   the syncs the submissions triggered have finished. Side by side with the floor: the same gunicorn serving
   `bench/trivial_hook.py` (a route that only checks the HMAC), up at the same time and loaded for as long,
   half before and half after elenco in each of `--rounds` rounds, so that the load other programs put on
   the machine weighs on both alike. Ratios to the floor are printed.
2. Burst: `--burst` submissions spread over `--burst-seconds`, each preceded by its row landing in the
   fake's response sheet (as Google Forms does); prints how many syncs ran and the Sheets API requests the
   fake received per minute (the quota is 60/min per user).
3. Sparse: `--sparse` submissions over 60 s, spaced just beyond the 2 s debounce — the pattern that
   would make one sync per submission without the 10 s minimum interval between syncs.

The sync is the real `run_sync` on the gsheets backend, talking over HTTP to the offline Sheets API fake
(`tests/fakes/sheets_api.py`) started here; without it, the xlsx backend in a temp folder. Everything
listens on 127.0.0.1 only; every loop is bounded; gunicorn and the fake are stopped at the end.
Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.common import ROOT, demo_set
from sync.config import load_settings
from sync.demo_data import to_csv_text
from sync.parse import parse_timestamp
from webhook.auth import sign

try:
    from tests.fakes.sheets_api import SheetsFake
except ImportError:  # the fake is a colleague's; without it the bench syncs local xlsx files
    SheetsFake = None  # type: ignore[assignment,misc]

RESPONSES_TAB = "Risposte del modulo 1"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Service:
    """gunicorn running `webhook.wsgi:application()` with a config in a temp folder."""

    def __init__(
        self, folder: Path, config: Path, secret: str, token: str, app: str = "webhook.wsgi:application()"
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "ELENCO_CONFIG": str(config),
            "ELENCO_WEBHOOK_SECRET": secret,
            "ELENCO_TASK_TOKEN": token,
            "ELENCO_INSTANCE_DIR": str(folder / "instance"),
            "PYTHONPATH": str(ROOT),
        }
        self.log = (folder / "gunicorn.log").open("a")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.proc = subprocess.Popen(
            [
                str(gunicorn),
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                "2",
                "--threads",
                "4",
                app,
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or too busy starting to answer
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"gunicorn did not start: see {folder / 'gunicorn.log'}")

    def _workers(self) -> list[tuple[int, list[str]]]:
        """(pid, /proc/<pid>/stat fields after the name) of each gunicorn worker (a child of the master)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:  # ppid
                found.append((int(entry.name), fields))
        return found

    def worker_pids(self) -> list[int]:
        """The pids of the gunicorn workers."""
        return [pid for pid, _ in self._workers()]

    def cpu_s(self) -> float:
        """User + system CPU seconds used so far by the gunicorn workers, from /proc."""
        tick = os.sysconf("SC_CLK_TCK")
        return sum((int(f[11]) + int(f[12])) / tick for _, f in self._workers())  # utime, stime

    def status(self) -> dict[str, Any]:
        """GET /status."""
        data: dict[str, Any] = requests.get(f"{self.base}/status", timeout=10).json()
        return data

    def wait_idle(self, seconds: float) -> bool:
        """Wait (bounded) until neither worker has a sync pending or running."""
        deadline = time.monotonic() + seconds
        quiet = 0
        while time.monotonic() < deadline:
            s = self.status()  # each call reaches one worker: ask until several in a row say idle
            quiet = quiet + 1 if not s["sync_pending"] and not s["sync_running"] else 0
            if quiet >= 6:
                return True
            time.sleep(0.5)
        return False

    def stop(self) -> None:
        """SIGTERM to our gunicorn (its master stops its workers), then wait."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Submissions:
    """Signed submission bodies built from synthetic form rows."""

    def __init__(self, header: list[str], rows: list[list[str]], secret: str) -> None:
        self.header = header
        self.rows = rows
        self.secret = secret
        self._n = 0
        self._lock = threading.Lock()

    def next_id(self) -> int:
        """A unique number per submission."""
        with self._lock:
            self._n += 1
            return self._n

    def body(self, row: list[str], response_id: str) -> bytes:
        """The JSON the Apps Script would send for this row."""
        when = parse_timestamp(row[0])
        answers = dict(zip(self.header[1:], row[1:], strict=False))
        return json.dumps(
            {
                "response_id": response_id,
                "submitted_at": when.isoformat() if when else "2024-04-03T09:09:13",
                "answers": answers,
            }
        ).encode()

    def post(self, session: requests.Session, base: str, body: bytes) -> tuple[int, float]:
        """Sign and post one body; return the status and the latency in seconds."""
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Elenco-Timestamp": ts,
            "X-Elenco-Signature": sign(self.secret, ts, body),
        }
        started = time.perf_counter()
        r = session.post(f"{base}/hooks/form", data=body, headers=headers, timeout=30)
        return r.status_code, time.perf_counter() - started


@dataclass
class Tally:
    """Throughput figures of one server, summed over its measured segments."""

    requests: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0
    load_cpu_s: float = 0.0  # of `cpu_s`, what the workers used while the clients were posting
    syncs: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        """Add one segment's figures."""
        self.requests += other.requests
        self.seconds += other.seconds
        self.cpu_s += other.cpu_s
        self.load_cpu_s += other.load_cpu_s
        self.syncs += other.syncs
        self.latencies.extend(other.latencies)
        for code, n in other.statuses.items():
            self.statuses[code] = self.statuses.get(code, 0) + n

    @property
    def per_s(self) -> float:
        """Submissions answered per second of load."""
        return self.requests / max(self.seconds, 1e-9)

    @property
    def cpu_ms(self) -> float:
        """Worker CPU per submission, what the load left to do afterwards (syncs) included."""
        return self.cpu_s * 1000 / max(1, self.requests)

    def p(self, q: float) -> float:
        """Latency quantile in ms."""
        return percentile(self.latencies, q) * 1000 if self.latencies else 0.0


def throughput(service: Service, subs: Submissions, clients: int, seconds: float, *, settle: bool = False) -> Tally:
    """Post signed submissions from `clients` threads for `seconds`.

    The workers' CPU is counted from the first request until the server is idle again: with `settle`, until
    neither worker has a sync pending or running, so the syncs the submissions triggered are counted too.
    """
    out = Tally()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        with requests.Session() as session:
            mine = Tally()
            while time.monotonic() < stop_at:
                n = subs.next_id()
                row = subs.rows[n % len(subs.rows)]
                code, latency = subs.post(session, service.base, subs.body(row, f"tp-{n}"))
                mine.latencies.append(latency)
                mine.statuses[code] = mine.statuses.get(code, 0) + 1
            mine.requests = len(mine.latencies)
            with lock:
                out.add(mine)

    syncs_before = service.status()["syncs_run"] if settle else 0
    cpu_before = service.cpu_s()
    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.seconds = time.monotonic() - started
    out.load_cpu_s = service.cpu_s() - cpu_before
    if settle:
        if not service.wait_idle(120):
            raise SystemExit("the syncs triggered by the submissions did not finish within 120 s")
        out.syncs = service.status()["syncs_run"] - syncs_before
    out.cpu_s = service.cpu_s() - cpu_before
    return out


def side_by_side(
    floor_service: Service, service: Service, subs: Submissions, clients: int, seconds: float, rounds: int
) -> tuple[Tally, Tally]:
    """`seconds` of load on each server, in `rounds` of floor, elenco, floor (each floor part half as long).

    The machine is shared: its load drifts during a run. Measuring the floor on both sides of elenco
    cancels a linear drift; elenco's load stays one stretch per round, as a burst of submissions would be.
    """
    floor, elenco = Tally(), Tally()
    part = seconds / rounds
    for _ in range(rounds):
        floor.add(throughput(floor_service, subs, clients, part / 2))
        elenco.add(throughput(service, subs, clients, part, settle=True))
        floor.add(throughput(floor_service, subs, clients, part / 2))
    return floor, elenco


def worker_rss_mib(service: Service) -> float:
    """The largest resident set (VmRSS) of the service's workers, in MiB."""
    largest = 0
    for pid in service.worker_pids():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                largest = max(largest, int(line.split()[1]))
    return largest / 1024


def burst(
    service: Service,
    subs: Submissions,
    rows: list[list[str]],
    seconds: float,
    fake: Any,
    staff_id: str,
    first_row: int,
    label: str = "burst",
) -> dict[str, Any]:
    """`len(rows)` submissions evenly over `seconds`, each row written to the fake sheet first."""
    before = service.status()["syncs_run"]
    samples: list[tuple[float, int]] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    started = time.monotonic()
    done = threading.Event()
    workers = 8
    interval = seconds / max(1, len(rows))

    def sampler() -> None:
        while not done.wait(0.5):
            samples.append((time.monotonic() - started, fake.count() if fake is not None else 0))

    def worker(index: int) -> None:
        with requests.Session() as session:
            for i in range(index, len(rows), workers):
                delay = started + i * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                if fake is not None:
                    # the form writes its row, then the trigger calls us
                    fake.set_values(
                        staff_id, RESPONSES_TAB, [rows[i]], start=f"A{first_row + i}", input_option="RAW"
                    )
                code, _ = subs.post(session, service.base, subs.body(rows[i], f"{label}-{i}"))
                with lock:
                    statuses[code] = statuses.get(code, 0) + 1

    base_count = fake.count() if fake is not None else 0
    samples.append((0.0, base_count))
    watcher = threading.Thread(target=sampler, daemon=True)
    watcher.start()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent_s = time.monotonic() - started
    # wait (bounded) for the last submission's sync: it must start after it
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        s = service.status()
        if not s["sync_pending"] and not s["sync_running"] and s["syncs_run"] > before:
            time.sleep(3)  # the other worker may still hold one
            s = service.status()
            if not s["sync_pending"] and not s["sync_running"]:
                break
        time.sleep(0.5)
    done.set()
    watcher.join()
    samples.append((time.monotonic() - started, fake.count() if fake is not None else 0))
    worst = 0
    for i, (t0, c0) in enumerate(samples):
        for t1, c1 in samples[i:]:
            if t1 - t0 <= 60.0:
                worst = max(worst, c1 - c0)
    status = service.status()
    return {
        "sent": len(rows),
        "sent_s": sent_s,
        "statuses": statuses,
        "syncs": status["syncs_run"] - before,
        "api_requests": samples[-1][1] - base_count,
        "max_per_minute": worst,
        "last_outcome": status["last_sync_outcome"],
        "responses": (status["last_report"] or {}).get("responses"),
    }


def _config(folder: Path, demo: Any, initial: list[list[str]]) -> tuple[Path, Any, str, str]:
    """elenco.yaml for the run: the gsheets backend on a started Sheets API fake, else xlsx in `folder`."""
    config = folder / "elenco.yaml"
    if SheetsFake is None:
        (folder / "risposte.csv").write_text(to_csv_text(demo), encoding="utf-8")
        config.write_text("preset: crema\nbackend:\n  kind: xlsx\n  folder: .\n", encoding="utf-8")
        return config, None, "", "xlsx in a temp folder"
    fake = SheetsFake().start()
    fake.quota_per_minute = 60  # as Google: a 429 would show in the figures
    staff_id = fake.create_spreadsheet(
        "Modulo (risposte)", {RESPONSES_TAB: [demo.header, *initial]}, rows=len(demo.rows) + 100
    )
    public_id = fake.create_spreadsheet("Elenco pubblico")
    config.write_text(
        "preset: crema\nbackend:\n  kind: gsheets\n"
        f"  staff_spreadsheet_id: {staff_id}\n  public_spreadsheet_id: {public_id}\n"
        f"  endpoint: {fake.base_url}\n  credentials: none\n",
        encoding="utf-8",
    )
    return config, fake, staff_id, "gsheets on the Sheets API fake"


def _print_throughput(args: argparse.Namespace, tp: Tally, floor: Tally, rss: tuple[float, float]) -> None:
    print("| measure                                   | value |")
    print("|-------------------------------------------|-------|")
    print(f"| signed submissions/s ({args.clients} clients, {args.seconds:.0f} s)    | {tp.per_s:.0f} |")
    print(f"| latency p50 / p99 (ms)                    | {tp.p(0.5):.1f} / {tp.p(0.99):.1f} |")
    print(f"| submissions sent / HTTP statuses          | {tp.requests} / {tp.statuses} |")
    print(f"| worker CPU per submission (ms)            | {tp.cpu_ms:.2f} (the {tp.syncs} syncs they triggered included) |")
    print(f"| of which: during the load / after it      | {tp.load_cpu_s * 1000 / max(1, tp.requests):.2f} / "
          f"{(tp.cpu_s - tp.load_cpu_s) * 1000 / max(1, tp.requests):.2f} |")
    print(f"| floor: HMAC-only route, submissions/s     | {floor.per_s:.0f}, statuses {floor.statuses} |")
    print(f"| floor: worker CPU per submission (ms)     | {floor.cpu_ms:.2f} |")
    print(f"| floor: latency p50 / p99 (ms)             | {floor.p(0.5):.1f} / {floor.p(0.99):.1f} |")
    print(f"| ratio elenco / floor, throughput          | {tp.per_s / floor.per_s:.2f} (goal ≥ 0.9) |")
    print(f"| ratio elenco / floor, CPU per submission  | {tp.cpu_ms / floor.cpu_ms:.2f} |")
    print(f"| worker RSS, largest (MiB)                 | {rss[0]:.0f} (floor {rss[1]:.0f}) |")


def _print_bursts(args: argparse.Namespace, b: dict[str, Any], sp: dict[str, Any]) -> None:
    print(
        f"| burst: submissions over {args.burst_seconds:.0f} s               | {b['sent']} in {b['sent_s']:.1f} s, "
        f"statuses {b['statuses']} |"
    )
    print(f"| burst: syncs run                          | {b['syncs']} |")
    print(f"| burst: Sheets API requests (total)        | {b['api_requests']} |")
    print(f"| burst: max Sheets API requests in 60 s    | {b['max_per_minute']} (quota 60) |")
    print(f"| sparse: submissions over 60 s             | {sp['sent']}, statuses {sp['statuses']} |")
    print(f"| sparse: syncs run                         | {sp['syncs']} |")
    print(f"| sparse: max Sheets API requests in 60 s   | {sp['max_per_minute']} (quota 60) |")
    print(f"| last sync: outcome / responses read       | {sp['last_outcome']} / {sp['responses']} |")


def main() -> int:
    """Run the measurements and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=1, help="floor, elenco, floor rounds sharing --seconds")
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--burst-seconds", type=float, default=60.0)
    parser.add_argument("--sparse", type=int, default=24)
    parser.add_argument("--organisations", type=int, default=300)
    parser.add_argument("--throughput-only", action="store_true", help="measure 1. only (no burst, no sparse)")
    args = parser.parse_args()

    secret = secrets.token_hex(32)
    token = secrets.token_hex(32)
    ambito = load_settings("crema").ambito
    demo = demo_set(ambito, args.organisations + args.burst + args.sparse, seed=11)
    added = args.burst + args.sparse
    initial, extra = demo.rows[: len(demo.rows) - added], demo.rows[len(demo.rows) - added :]
    b = sp = None
    with tempfile.TemporaryDirectory(prefix="elenco-bench-") as tmp:
        folder = Path(tmp)
        config, fake, staff_id, backend = _config(folder, demo, initial)
        # the floor: the same server and signed requests, a route that only checks the HMAC; both servers
        # are up for the whole run, and the load alternates between them
        floor_service = Service(folder, config, secret, token, app="bench.trivial_hook:create_app()")
        service = None
        try:
            service = Service(folder, config, secret, token)
            first = requests.post(
                f"{service.base}/tasks/sync", headers={"Authorization": f"Bearer {token}"}, timeout=120
            )
            if first.status_code != 200:
                raise SystemExit(f"initial sync failed: {first.status_code} {first.text}")
            subs = Submissions(demo.header, initial, secret)
            floor, tp = side_by_side(floor_service, service, subs, args.clients, args.seconds, args.rounds)
            rss = (worker_rss_mib(service), worker_rss_mib(floor_service))
            floor_service.stop()
            time.sleep(3)
            if not args.throughput_only:
                if fake is not None:
                    fake.reset_counts()
                b = burst(service, subs, extra[: args.burst], args.burst_seconds, fake, staff_id, len(initial) + 2)
                if fake is not None:
                    fake.reset_counts()
                sp = burst(service, subs, extra[args.burst :], 60.0, fake, staff_id,
                           len(initial) + 2 + args.burst, label="sparse")
        finally:
            floor_service.stop()
            if service is not None:
                service.stop()
            if fake is not None:
                fake.stop()

    print(f"elenco webhook — gunicorn 2 workers x 4 threads on 127.0.0.1, sync: {backend}")
    print(f"initial sheet: {len(initial)} responses; cpu count: {os.cpu_count()}; "
          f"{args.rounds} round(s) of floor {args.seconds / args.rounds / 2:.1f} s, elenco "
          f"{args.seconds / args.rounds:.1f} s, floor {args.seconds / args.rounds / 2:.1f} s")
    print()
    _print_throughput(args, tp, floor, rss)
    if b is not None and sp is not None:
        _print_bursts(args, b, sp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
