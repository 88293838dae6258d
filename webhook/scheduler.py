"""Coalescing sync scheduler: bursts of submissions → few syncs, never two at once, the last one always covered.

    request() ──► dirty=True ──► background thread waits for quiet (debounce_s) or max_delay_s,
                                 and min_interval_s since the last sync started on this machine (quota)
                                                   │
           in-process lock + file lock in the instance folder (the gunicorn workers of this machine);
           inside the sync, the backend's own sync_lock() also keeps out an `elenco sync` run by hand
                                                   │
                            dirty=False  ◄── the sync STARTS here: every request before it is covered
                                                   │
                            runner(trigger) ──► a request that arrived meanwhile set dirty again → one more run

Nothing is lost if the process dies after answering a submission: the form's response sheet is the source of
truth, and the next sync (the periodic one: App Engine cron, or `elenco serve`'s timer) reads every row again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import filelock

from sync.config import Settings
from sync.errors import ConfigError, ElencoError, TransientError
from sync.model import Report
from sync.pipeline import sync_now
from webhook import labels
from webhook.store import InstanceStore

SyncRunner = Callable[[str], Report]


def production_runner(settings: Settings) -> SyncRunner:
    """The real sync: `sync_now` on the configured backend, at the current Italian time."""

    def run(trigger: str) -> Report:
        return sync_now(settings, trigger=trigger).report

    return run

log = logging.getLogger("elenco.scheduler")



class SyncScheduler:
    """Runs `runner(trigger)` in a background thread, coalescing requests; see the module docstring."""

    def __init__(
        self,
        runner: SyncRunner,
        lock_path: Path,
        *,
        store: InstanceStore | None = None,
        debounce_s: float = 2.0,
        max_delay_s: float = 30.0,
        min_interval_s: float = 0.0,
        lock_timeout_s: float = 300.0,
        retry_delay_s: float = 60.0,
        max_retries: int = 3,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._runner = runner
        self._store = store
        self.debounce_s = debounce_s
        self.max_delay_s = max(max_delay_s, debounce_s)
        self.min_interval_s = min_interval_s
        self.lock_timeout_s = lock_timeout_s
        self.retry_delay_s = retry_delay_s
        self.max_retries = max_retries
        self._clock = clock
        self._wall = wall_clock
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        # thread_local (the default): each thread holds its own OS lock, so threads exclude each other too
        self._file_lock = filelock.FileLock(str(lock_path))
        self._run_lock = threading.Lock()
        self._cond = threading.Condition()
        self._dirty = False
        self._trigger = ""
        self._first_pending = 0.0
        self._last_request = 0.0
        self._last_request_wall = 0.0
        self._not_before = 0.0
        self._last_start_wall = 0.0
        self._last_ok_start_wall = 0.0
        self._retries = 0
        self._stopping = False
        self._running = False
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self.runs = 0  # syncs started by this process
        self.skipped = 0  # wake-ups already covered by another process's sync
        self.last_error: str = ""

    # -- public ------------------------------------------------------------------------------------------------

    def request(self, trigger: str) -> None:
        """Ask for a sync that starts after this call; returns at once."""
        with self._cond:
            if self._stopping:
                return
            now = self._clock()
            # A request while one is pending only moves the quiet period later: the background thread,
            # waiting for the earlier due time, recomputes it when it wakes then. Waking it for every
            # submission cost a thread switch each. It is woken when there is something new to see: the
            # first request, or one that cancels a retry's back-off (`_not_before`).
            wake = not self._dirty or self._not_before > 0.0
            if not self._dirty:
                self._first_pending = now
                self._trigger = trigger
            self._dirty = True
            self._last_request = now
            self._last_request_wall = self._wall()
            self._retries = 0
            self._not_before = 0.0
            self._ensure_thread()
            if wake:
                self._cond.notify_all()

    def run_now(self, trigger: str) -> Report:
        """Run one sync in the calling thread, under the same locks; it covers every pending request."""
        report = self._execute(trigger, background=False)
        assert report is not None  # only background runs can be skipped or deferred
        return report

    @property
    def pending(self) -> bool:
        """A sync has been requested and has not started yet."""
        with self._cond:
            return self._dirty

    @property
    def running(self) -> bool:
        """A sync is running in this process."""
        return self._running

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is pending or running (for tests and clean shutdowns)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._cond:
                if not self._dirty and not self._running:
                    return True
            time.sleep(0.01)
        return False

    def shutdown(self, timeout: float = 30.0) -> bool:
        """Stop the background thread (a running sync finishes first); True if it stopped in time."""
        with self._cond:
            self._stopping = True
            pending = self._dirty
            self._cond.notify_all()
            thread = self._thread
        if pending:
            log.info("sync pending at shutdown: the next periodic sync covers it",
                     extra={"fields": {"event": "shutdown_pending"}})
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    # -- internals ---------------------------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        # started lazily, so that an app created before a fork (gunicorn --preload) gets its thread in the
        # worker, not in the master
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._loop, name="elenco-sync-scheduler", daemon=True)
        self._thread.start()

    def _wait_until_due(self) -> str | None:
        """Under the condition: wait for a request, then for quiet; None when stopping."""
        while not self._dirty and not self._stopping:
            self._cond.wait()
        while not self._stopping:
            now = self._clock()
            due = min(self._last_request + self.debounce_s, self._first_pending + self.max_delay_s)
            due = max(due, self._not_before)
            if now >= due:
                return self._trigger
            self._cond.wait(due - now)
        return None

    def _loop(self) -> None:
        while True:
            with self._cond:
                trigger = self._wait_until_due()
            if trigger is None:
                return
            try:
                if self._execute(trigger, background=True) is not None:
                    self._retries = 0
            except TransientError as err:
                self._retry_later(err)
            except ElencoError as err:
                # a person must fix something: retrying would fail the same way; the periodic sync retries
                self.last_error = str(err)
                log.error("sync failed: configuration", extra={"fields": {
                    "event": "sync_failed", "error": type(err).__name__, "detail": str(err)}})
            except Exception as err:  # a bug: keep the scheduler alive, log frames but not values
                self.last_error = type(err).__name__
                log.error("sync failed: unexpected error", extra={"fields": {
                    "event": "sync_failed", "error": type(err).__name__,
                    "frames": traceback.format_tb(err.__traceback__)}})

    def _retry_later(self, err: TransientError) -> None:
        self.last_error = str(err)
        with self._cond:
            self._retries += 1
            retry = self._retries <= self.max_retries and not self._stopping
            if retry and not self._dirty:
                self._dirty = True
                self._first_pending = self._clock()
                self._last_request = self._first_pending
                self._not_before = self._first_pending + self.retry_delay_s * self._retries
        log.warning("sync failed: temporary error", extra={"fields": {
            "event": "sync_failed", "error": type(err).__name__, "detail": str(err),
            "retry": retry, "attempt": self._retries}})

    def _execute(self, trigger: str, *, background: bool) -> Report | None:
        if not self._run_lock.acquire(timeout=self.lock_timeout_s):
            raise TransientError(labels.SYNC_BUSY.format(seconds=self.lock_timeout_s))
        try:
            try:
                self._file_lock.acquire(timeout=self.lock_timeout_s)
            except filelock.Timeout:
                raise TransientError(labels.SYNC_BUSY.format(seconds=self.lock_timeout_s)) from None
            try:
                return self._run_locked(trigger, background)
            finally:
                self._file_lock.release()
        finally:
            self._run_lock.release()

    def _run_locked(self, trigger: str, background: bool) -> Report | None:
        if background:
            # shared by the worker processes of this machine through the store
            # a sync covers the requests made before it started, if it succeeded
            last_start, last_ok = self._last_start_wall, self._last_ok_start_wall
            if self._store is not None:
                shared = self._store.status()
                last_start = max(last_start, float(shared.get("last_sync_started_at", 0.0)))
                last_ok = max(last_ok, float(shared.get("last_ok_sync_started_at", 0.0)))
            with self._cond:
                if last_ok > self._last_request_wall:
                    # another process started a sync after our last request: it covers it
                    self._dirty = False
                    self._not_before = 0.0
                    self.skipped += 1
                    log.info("sync skipped: covered by another process", extra={"fields": {
                        "event": "sync_skipped", "trigger": trigger}})
                    return None
                wait = last_start + self.min_interval_s - self._wall()
                if wait > 0:
                    # too soon after the previous sync (quota): still pending, the loop waits and retries
                    self._not_before = self._clock() + wait
                    return None
        with self._cond:
            # the sync starts now: every request made before this point is covered by it
            self._dirty = False
            self._not_before = 0.0
            self._running = True
        try:
            store = self._store
            started_wall = self._wall()
            self._last_start_wall = started_wall
            if store is not None:
                store.set(last_sync_started_at=started_wall)
            self.runs += 1
            started = time.perf_counter()
            try:
                report = self._runner(trigger)
            except ElencoError as err:
                outcome = "temporary_error" if isinstance(err, TransientError) else "error"
                if isinstance(err, ConfigError):
                    outcome = "configuration_error"
                self._record(started_wall, outcome, None, str(err))
                raise
            except Exception as err:
                self._record(started_wall, "error", None, type(err).__name__)
                raise
            duration = time.perf_counter() - started
            self._last_ok_start_wall = started_wall
            self._record(started_wall, report.outcome, report, report.message)
            self.last_error = ""
            log.info("sync done", extra={"fields": {
                "event": "sync_done", "trigger": trigger, "duration_ms": round(duration * 1000, 1),
                "responses": report.responses, "accepted": report.accepted, "rejected": report.rejected,
                "cells_written": report.cells_written, "api_requests": report.api_requests}})
            return report
        finally:
            with self._cond:
                self._running = False

    def _record(self, started_wall: float, outcome: str, report: Report | None, detail: str) -> None:
        if self._store is None:
            return
        values: dict[str, object] = {
            "last_sync_at": started_wall,
            "last_sync_outcome": outcome,
            "last_sync_detail": detail,
        }
        if report is not None:
            values["last_report"] = report.model_dump(mode="json")
            values["last_ok_sync_started_at"] = started_wall
        self._store.set(**values)
        self._store.increment("syncs_run")
