"""A real `elenco serve` (waitress) on 127.0.0.1 in a subprocess, for the Apps Script end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

SECRET = "test-webhook-secret-0123456789abcdef-XYZ"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveService:
    """`elenco serve --config FILE` on a free local port; `url` is its base address."""

    def __init__(self, config: Path, *, secret: str = SECRET, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.secret = secret
        self.env = {**os.environ, "ELENCO_WEBHOOK_SECRET": secret, **(env or {})}
        self.process: subprocess.Popen[str] | None = None
        self.log = config.parent / "serve.log"

    def __enter__(self) -> LiveService:
        out = self.log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sync.cli",
                "serve",
                "--config",
                str(self.config),
                "--port",
                str(self.port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            cwd=Path(__file__).resolve().parents[2],
        )
        out.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"elenco serve ended: {self.log.read_text(encoding='utf-8')}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"elenco serve did not start: {self.log.read_text(encoding='utf-8')}")

    def output(self) -> str:
        """What the service printed and logged so far."""
        return self.log.read_text(encoding="utf-8")

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
