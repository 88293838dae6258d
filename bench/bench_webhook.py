"""Webhook figures under gunicorn on loopback (2 workers x 4 threads, as app.yaml), syncing to a Google fake.

    .venv/bin/python -m bench.bench_webhook [--clients 32] [--seconds 15] [--burst 1000] [--burst-seconds 60]
                                            [--sparse 24] [--throughput-only]

1. Throughput: `--clients` threads, each with its own `requests.Session`, post signed submissions for
   `--seconds`; prints submissions/s and p50/p99 latency.
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

    def cpu_s(self) -> float:
        """User + system CPU seconds used so far by the gunicorn workers (children of the master), from /proc."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:  # ppid
                total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        return total

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


def throughput(service: Service, subs: Submissions, clients: int, seconds: float) -> dict[str, Any]:
    """Post signed submissions from `clients` threads for `seconds`."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        with requests.Session() as session:
            mine: list[float] = []
            codes: dict[int, int] = {}
            while time.monotonic() < stop_at:
                n = subs.next_id()
                row = subs.rows[n % len(subs.rows)]
                code, latency = subs.post(session, service.base, subs.body(row, f"tp-{n}"))
                mine.append(latency)
                codes[code] = codes.get(code, 0) + 1
            with lock:
                latencies.extend(mine)
                for c, k in codes.items():
                    statuses[c] = statuses.get(c, 0) + k

    cpu_before = service.cpu_s()
    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    cpu = service.cpu_s() - cpu_before
    return {
        "cpu_ms": cpu * 1000 / max(1, len(latencies)),
        "requests": len(latencies),
        "per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "statuses": statuses,
    }


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


def main() -> int:
    """Run both measurements and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
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
    fake: Any = None
    staff_id = ""
    with tempfile.TemporaryDirectory(prefix="elenco-bench-") as tmp:
        folder = Path(tmp)
        config = folder / "elenco.yaml"
        if SheetsFake is not None:
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
            backend = "gsheets on the Sheets API fake"
        else:
            (folder / "risposte.csv").write_text(to_csv_text(demo), encoding="utf-8")
            config.write_text("preset: crema\nbackend:\n  kind: xlsx\n  folder: .\n", encoding="utf-8")
            backend = "xlsx in a temp folder"
        # the floor: the same server and signed requests, a route that only checks the HMAC
        floor_service = Service(folder, config, secret, token, app="bench.trivial_hook:create_app()")
        try:
            floor = throughput(
                floor_service, Submissions(demo.header, initial, secret), args.clients, args.seconds
            )
        finally:
            floor_service.stop()
        service = Service(folder, config, secret, token)
        try:
            first = requests.post(
                f"{service.base}/tasks/sync", headers={"Authorization": f"Bearer {token}"}, timeout=120
            )
            if first.status_code != 200:
                raise SystemExit(f"initial sync failed: {first.status_code} {first.text}")
            subs = Submissions(demo.header, initial, secret)
            tp = throughput(service, subs, args.clients, args.seconds)
            # let the syncs the throughput run asked for finish before the burst
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                s = service.status()
                if not s["sync_pending"] and not s["sync_running"]:
                    break
                time.sleep(0.5)
            time.sleep(3)
            b = sp = None
            if not args.throughput_only:
                if fake is not None:
                    fake.reset_counts()
                b = burst(service, subs, extra[: args.burst], args.burst_seconds, fake, staff_id, len(initial) + 2)
                if fake is not None:
                    fake.reset_counts()
                sp = burst(service, subs, extra[args.burst :], 60.0, fake, staff_id,
                           len(initial) + 2 + args.burst, label="sparse")
        finally:
            service.stop()
            if fake is not None:
                fake.stop()

    print(f"elenco webhook — gunicorn 2 workers x 4 threads on 127.0.0.1, sync: {backend}")
    print(f"initial sheet: {len(initial)} responses; cpu count: {os.cpu_count()}")
    print()
    print("| measure                                   | value |")
    print("|-------------------------------------------|-------|")
    print(f"| signed submissions/s ({args.clients} clients, {args.seconds:.0f} s)    | {tp['per_s']:.0f} |")
    print(f"| latency p50 / p99 (ms)                    | {tp['p50_ms']:.1f} / {tp['p99_ms']:.1f} |")
    print(f"| submissions sent / HTTP statuses          | {tp['requests']} / {tp['statuses']} |")
    print(f"| worker CPU per submission (ms)            | {tp['cpu_ms']:.2f} (syncs it triggers included) |")
    print(f"| floor: HMAC-only route, submissions/s     | {floor['per_s']:.0f}, statuses {floor['statuses']} |")
    print(f"| floor: worker CPU per submission (ms)     | {floor['cpu_ms']:.2f} |")
    print(f"| floor: latency p50 / p99 (ms)             | {floor['p50_ms']:.1f} / {floor['p99_ms']:.1f} |")
    print(f"| ratio elenco / floor, throughput          | {tp['per_s'] / floor['per_s']:.2f} |")
    print(f"| ratio elenco / floor, CPU per submission  | {tp['cpu_ms'] / floor['cpu_ms']:.2f} |")
    if b is None or sp is None:
        return 0
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
