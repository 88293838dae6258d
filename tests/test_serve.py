"""`serve`: the webhook under waitress with a periodic sync, on a real xlsx folder, stopping cleanly."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from sync.config import Settings, load_settings
from sync.demo_data import generate, load_vocabulary, to_csv_text
from tests.conftest import HEADER, make_row
from webhook.auth import sign
from webhook.serve import serve

SECRET = "serve-test-secret-0123456789abcdef-0123"


def demo_folder(folder: Path, organisations: int = 20) -> Path:
    """What `elenco demo --dir` leaves: elenco.yaml (preset crema, xlsx backend) and risposte.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "elenco.yaml"
    config.write_text("preset: crema\nbackend:\n  kind: xlsx\n  folder: .\n", encoding="utf-8")
    settings = load_settings(config)
    (folder / "risposte.csv").write_text(
        to_csv_text(generate(settings.ambito, organisations, vocabulary=load_vocabulary(), seed=1)),
        encoding="utf-8",
    )
    return config


def status(base: str) -> dict[str, Any]:
    """GET /status."""
    data: dict[str, Any] = requests.get(f"{base}/status", timeout=5).json()
    return data


def wait_status(base: str, predicate: Any, timeout: float = 15.0) -> dict[str, Any]:
    """Poll /status until the predicate holds."""
    deadline = time.monotonic() + timeout
    while True:
        current = status(base)
        if predicate(current) or time.monotonic() > deadline:
            return current
        time.sleep(0.05)


def signed_post(base: str, body: dict[str, Any]) -> requests.Response:
    """POST /hooks/form as the Apps Script does."""
    raw = json.dumps(body).encode()
    ts = str(int(time.time()))
    return requests.post(
        f"{base}/hooks/form",
        data=raw,
        timeout=10,
        headers={
            "Content-Type": "application/json",
            "X-Elenco-Timestamp": ts,
            "X-Elenco-Signature": sign(SECRET, ts, raw),
        },
    )


def test_serve_answers_syncs_and_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ELENCO_DEBOUNCE_S", "0.1")
    monkeypatch.setenv("ELENCO_MAX_DELAY_S", "1")
    monkeypatch.setenv("ELENCO_MIN_INTERVAL_S", "0")
    settings: Settings = load_settings(demo_folder(tmp_path / "demo"))
    stop = threading.Event()
    ports: queue.Queue[int] = queue.Queue()
    thread = threading.Thread(
        target=serve,
        args=(settings, "127.0.0.1", 0),
        daemon=True,
        kwargs={"stop_event": stop, "secret": SECRET, "on_ready": lambda host, port: ports.put(port)},
    )
    thread.start()
    port = ports.get(timeout=10)
    base = f"http://127.0.0.1:{port}"
    try:
        assert requests.get(f"{base}/healthz", timeout=5).text == "ok"
        # the start-up sync catches up whatever arrived while the service was off
        first = wait_status(
            base, lambda s: s["syncs_run"] >= 1 and not s["sync_pending"] and not s["sync_running"]
        )
        assert first["last_sync_outcome"] == "ok", first
        assert first["last_report"]["trigger"] == "periodica"
        assert first["last_report"]["responses"] > 20
        assert (tmp_path / "demo" / "elenco-interno.xlsx").exists()

        answers = dict(zip(HEADER[1:], make_row()[1:], strict=True))
        answers["Aree di interesse"] = ["A) Minori e Famiglia"]
        r = signed_post(
            base, {"response_id": "serve-1", "submitted_at": "2024-04-03T09:09:13Z", "answers": answers}
        )
        assert r.status_code == 200
        assert r.json()["status"] == "accepted"
        after = wait_status(
            base, lambda s: s["syncs_run"] >= 2 and not s["sync_pending"] and not s["sync_running"]
        )
        assert after["last_report"]["trigger"] == "modulo"
        assert after["last_submission_at"] is not None
    finally:
        started = time.monotonic()
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - started < 5
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/healthz", timeout=2)
    out = capsys.readouterr().out
    assert (
        f"elenco in ascolto su http://127.0.0.1:{port} (modulo: POST /hooks/form, stato: GET /status)" in out
    )
    assert "Sincronizzazione automatica ogni 300 secondi. Premere Ctrl-C per fermare." in out
    assert out.rstrip().endswith("elenco fermato.")
    assert (
        tmp_path / "demo" / ".elenco" / "webhook.sqlite3"
    ).exists()  # the instance folder beside the files


SERVE_SCRIPT = """
import sys
from sync.config import load_settings
from webhook.serve import serve
serve(load_settings(sys.argv[1]), "127.0.0.1", 0, secret=sys.argv[2])
print("returned", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_service_cleanly(tmp_path: Path, signum: signal.Signals) -> None:
    config = demo_folder(tmp_path / "demo", organisations=5)
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE_SCRIPT, str(config), SECRET],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        seen = []
        deadline = time.monotonic() + 20
        while not any("Premere Ctrl-C" in line for line in seen) and time.monotonic() < deadline:
            seen.append(lines.get(timeout=20))
        assert any("elenco in ascolto su http://127.0.0.1:" in line for line in seen), seen
        proc.send_signal(signum)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert rest[-2:] == ["elenco fermato.\n", "returned\n"], rest
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    proc.stderr.close()
    assert proc.stdout is not None
    proc.stdout.close()
    assert "Traceback" not in stderr
