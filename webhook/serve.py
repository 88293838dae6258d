"""`elenco serve`: the webhook under a real WSGI server (waitress) plus a periodic sync, for a laptop.

waitress is pure Python, so this also runs on Windows. Stops cleanly on Ctrl-C, SIGTERM or `stop_event`:
the HTTP server closes, the scheduler finishes a running sync, the timer thread ends, and the call returns.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import click

from sync.cli import config_option, load_config, presenting_errors
from sync.config import Settings, XlsxBackend
from webhook import labels
from webhook.scheduler import SyncRunner

LOOP_TIMEOUT_S = 0.5  # how often the HTTP loop looks at the stop event (a signal also wakes it)


def _say(text: str) -> None:
    print(text, flush=True)


def default_instance_path(settings: Settings) -> Path | None:
    """Where the local service keeps its replay store and lock: beside the xlsx files, else Flask's default."""
    if isinstance(settings.backend, XlsxBackend):
        return settings.backend.folder / ".elenco"
    return None


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    stop_event: threading.Event | None = None,
    secret: str | None = None,
    instance_path: Path | None = None,
    runner: SyncRunner | None = None,
    on_ready: Callable[[str, int], None] | None = None,
    threads: int = 8,
) -> None:
    """Serve the webhook on host:port and sync every `settings.sync_interval_s` s until stopped."""
    import waitress
    from waitress import wasyncore
    from waitress.server import MultiSocketServer

    from webhook.app import WebhookSettings, create_app, state_of

    stop = stop_event or threading.Event()
    config = WebhookSettings.from_env(
        os.environ, settings=settings, secret=secret,
        instance_path=instance_path or default_instance_path(settings))
    app = create_app(config, runner=runner)
    scheduler = state_of(app).scheduler
    server: Any = waitress.create_server(app, host=host, port=port, threads=threads, ident="elenco")
    if isinstance(server, MultiSocketServer):
        socket_map = server.map
        listen = [(str(h), int(p)) for h, p, *_ in server.effective_listen]
    else:
        socket_map = server._map
        listen = [(str(server.effective_host), int(server.effective_port))]

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # the HTTP loop wakes at least every LOOP_TIMEOUT_S and sees the event
        stop.set()

    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)

    def periodic() -> None:
        # one sync at start catches up whatever arrived while the service was off
        scheduler.request("periodica")
        while not stop.wait(settings.sync_interval_s):
            scheduler.request("periodica")

    timer = threading.Thread(target=periodic, name="elenco-periodic-sync", daemon=True)
    for h, p in listen:
        _say(labels.SERVE_LISTENING.format(host=h, port=p))
    _say(labels.SERVE_INTERVAL.format(seconds=settings.sync_interval_s))
    timer.start()
    if on_ready is not None:
        on_ready(*listen[0])
    try:
        while not stop.is_set() and socket_map:
            wasyncore.loop(timeout=LOOP_TIMEOUT_S, map=socket_map, use_poll=server.adj.asyncore_use_poll, count=1)
    finally:
        stop.set()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _say(labels.SERVE_STOPPING_WAIT if scheduler.running else labels.SERVE_STOPPING)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        wasyncore.close_all(socket_map)
        timer.join(5)
        scheduler.shutdown(timeout=120)
        _say(labels.SERVE_STOPPED)


@click.command("serve", help=labels.SERVE_HELP)
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, help=labels.SERVE_HOST_HELP)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help=labels.SERVE_PORT_HELP)
def serve_command(config: str, host: str, port: int) -> None:
    """`elenco serve`: registered in `sync.cli` through the `elenco.commands` entry point (pyproject.toml)."""
    with presenting_errors():
        serve(load_config(config), host=host, port=port)
