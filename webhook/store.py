"""What the webhook remembers on one machine: seen signatures and response ids, and the last sync's figures.

A small SQLite file in the instance folder, so that it survives a restart and is shared by the gunicorn
workers of one machine (WAL mode: readers never wait for the writer). Bounded: expired entries are pruned
and, beyond `max_entries` response ids, the oldest are dropped — a dropped id could only be replayed with a
fresh valid signature, i.e. by someone who holds the secret.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

SIGNATURE_TTL_S = 600.0  # a signature is usable only within ±300 s of its timestamp
RESPONSE_TTL_S = 7 * 24 * 3600.0  # far beyond the retries of the Apps Script and of Google
MAX_ENTRIES = 200_000
PRUNE_EVERY_S = 60.0
# `last_submission_at` (shown by /status to the second) is rewritten at most this often by each worker: a
# third b-tree write in every claim only moved it by milliseconds
MARK_EVERY_S = 1.0

# No index on `expires`: it would be another b-tree written by every claim, for the prune that runs once a
# minute and scans the table either way (≈ 30 ms at MAX_ENTRIES). WITHOUT ROWID: the key is the table's own
# b-tree, so a claim writes one b-tree per key, not a table and its primary-key index.
_TABLES = {
    "seen": "CREATE TABLE seen (key TEXT PRIMARY KEY, expires REAL NOT NULL) WITHOUT ROWID",
    "meta": "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
}
# both keys in one statement; a key already there counts as claimed again only once it has expired, so the
# statement changes 2 rows exactly when neither key is live (otherwise the transaction is rolled back)
_CLAIM = (
    "INSERT INTO seen (key, expires) VALUES (?, ?), (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE seen.expires <= ?"
)
_SET = "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"
_LIVE = "SELECT 1 FROM seen WHERE key = ? AND expires > ?"

Replay = Literal["signature", "response"]


class InstanceStore:
    """Replay protection and shared status, in `<instance>/webhook.sqlite3`."""

    def __init__(self, folder: Path, *, max_entries: int = MAX_ENTRIES,
                 response_ttl_s: float = RESPONSE_TTL_S) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "webhook.sqlite3"
        self.max_entries = max_entries
        self.response_ttl_s = response_ttl_s
        self._last_prune = 0.0
        self._last_mark = 0.0
        self._local = threading.local()
        self._write_lock, self._lock_pid = threading.Lock(), os.getpid()
        self._writer_con: sqlite3.Connection | None = None
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            self._create(con)

    @staticmethod
    def _create(con: sqlite3.Connection) -> None:
        # the workers of a machine may start together: one creates, or converts a file of an earlier version
        # (tables with a rowid) keeping its keys, while the others wait
        con.execute("BEGIN IMMEDIATE")
        try:
            con.execute("DROP INDEX IF EXISTS seen_expires")
            for name, create in _TABLES.items():
                row = con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
                if row is not None and "WITHOUT ROWID" in row[0].upper():
                    continue
                if row is None:
                    con.execute(create)
                    continue
                con.execute(f"ALTER TABLE {name} RENAME TO {name}_old")
                con.execute(create)
                con.execute(f"INSERT OR REPLACE INTO {name} SELECT * FROM {name}_old")
                con.execute(f"DROP TABLE {name}_old")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _open(self, *, shared: bool = False) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=not shared)
        # WAL + NORMAL: no fsync per commit; a power cut may forget the last few seconds of ids,
        # which the ±300 s window and the idempotent sync make harmless
        con.execute("PRAGMA synchronous=NORMAL")
        return con

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # Readers: one connection per thread, kept open (opening and closing one per request was most of a
        # submission's cost). A connection is never shared across threads nor used across a fork (a
        # gunicorn worker opens its own); it closes when its thread ends.
        local = self._local
        con: sqlite3.Connection | None = getattr(local, "con", None)
        if con is None or local.pid != os.getpid():
            con = self._open()
            local.con, local.pid = con, os.getpid()
        try:
            yield con
        except sqlite3.Error:
            # a connection that failed is not kept for the next request
            local.con = None
            con.close()
            raise

    def _write_connection(self) -> sqlite3.Connection:
        """Under `_write_lock`: this process's one writing connection (opened after a fork)."""
        con = self._writer_con
        if con is None:
            con = self._writer_con = self._open(shared=True)
        return con

    @contextlib.contextmanager
    def _writer(self) -> Iterator[sqlite3.Connection]:
        # The threads of one worker take turns here, not in SQLite: a writer that finds the database
        # locked sleeps in SQLite's busy handler (1, 2, 5, 10… ms) however soon the lock is free, while
        # this lock hands over at once. The workers of a machine still wait for each other in SQLite.
        # They write through one connection per process, used only under this lock: its page cache stays
        # valid from one claim to the next unless the other worker wrote (with one per thread, every
        # claim re-read the pages the previous one, on another connection, had changed).
        if self._lock_pid != os.getpid():  # a fork (gunicorn --preload) gets a lock and connection of its own
            self._write_lock, self._lock_pid, self._writer_con = threading.Lock(), os.getpid(), None
        with self._write_lock:
            con = self._write_connection()
            try:
                yield con
            except sqlite3.Error:
                # a connection that failed is not kept for the next request
                self._writer_con = None
                con.close()
                raise
            except BaseException:
                # the next thread must not find a transaction left open by this one
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close this thread's reading connection and the process's writing one (tests, shutdown)."""
        con = getattr(self._local, "con", None)
        if con is not None and self._local.pid == os.getpid():
            con.close()
        self._local.con = None
        with self._write_lock:
            if self._writer_con is not None and self._lock_pid == os.getpid():
                self._writer_con.close()
            self._writer_con = None

    def claim(self, signature: str, response_key: str, now: float) -> Replay | None:
        """Record a signature and a response key together; return which one was already seen (and record nothing)."""
        sig, resp = f"sig:{signature}", f"resp:{response_key}"
        with self._writer() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                before = con.total_changes
                con.execute(_CLAIM, (sig, now + SIGNATURE_TTL_S, resp, now + self.response_ttl_s, now))
                if con.total_changes - before != 2:
                    # a replay (rare): record nothing, then say which key was live (the signature first)
                    con.execute("ROLLBACK")
                    return "signature" if con.execute(_LIVE, (sig, now)).fetchone() else "response"
                # a clock that went back (tests set it) is marked at once
                if not 0.0 <= now - self._last_mark < MARK_EVERY_S:
                    self._set(con, "last_submission_at", now)
                    self._last_mark = now
                if now - self._last_prune >= PRUNE_EVERY_S:
                    self._prune(con, now)
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
        return None

    def claim_signature(self, signature: str, now: float) -> bool:
        """Record a signature of a staff-menu request; False if it was already seen (a replay)."""
        key = f"sig:{signature}"
        with self._writer() as con:
            con.execute("BEGIN IMMEDIATE")
            row = con.execute("SELECT expires FROM seen WHERE key = ?", (key,)).fetchone()
            if row is not None and row[0] > now:
                con.execute("ROLLBACK")
                return False
            con.execute("INSERT OR REPLACE INTO seen (key, expires) VALUES (?, ?)", (key, now + SIGNATURE_TTL_S))
            con.execute("COMMIT")
        return True

    def _prune(self, con: sqlite3.Connection, now: float) -> None:
        self._last_prune = now
        con.execute("DELETE FROM seen WHERE expires <= ?", (now,))
        # only response keys are capped: live signatures are few (one per request in the last 10 minutes)
        # and dropping one would let it be replayed inside its window
        # a range of the primary key, not LIKE (which scans): ';' is the character after ':'
        (count,) = con.execute("SELECT COUNT(*) FROM seen WHERE key >= 'resp:' AND key < 'resp;'").fetchone()
        if count > self.max_entries:
            con.execute("DELETE FROM seen WHERE key IN (SELECT key FROM seen WHERE key >= 'resp:' AND key < 'resp;' "
                        "ORDER BY expires LIMIT ?)", (count - self.max_entries,))

    def prune(self, now: float) -> None:
        """Drop expired entries and keep at most `max_entries`."""
        with self._writer() as con:
            con.execute("BEGIN IMMEDIATE")
            self._prune(con, now)
            con.execute("COMMIT")

    def entries(self, kind: Replay | None = None) -> int:
        """How many signatures and/or response keys are remembered."""
        prefix = {"signature": "sig:%", "response": "resp:%", None: "%"}[kind]
        with self._connect() as con:
            (count,) = con.execute("SELECT COUNT(*) FROM seen WHERE key LIKE ?", (prefix,)).fetchone()
        return int(count)

    @staticmethod
    def _set(con: sqlite3.Connection, name: str, value: Any) -> None:
        con.execute(_SET, (name, json.dumps(value)))

    def set(self, **values: Any) -> None:
        """Store status values (JSON-serialisable)."""
        with self._writer() as con:
            con.execute("BEGIN IMMEDIATE")
            for name, value in values.items():
                self._set(con, name, value)
            con.execute("COMMIT")

    def increment(self, name: str) -> int:
        """Add one to a counter shared by the workers; return the new value."""
        with self._writer() as con:
            con.execute("BEGIN IMMEDIATE")
            row = con.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
            value = (int(json.loads(row[0])) if row else 0) + 1
            self._set(con, name, value)
            con.execute("COMMIT")
        return value

    def get(self, name: str, default: Any = None) -> Any:
        """A stored status value."""
        with self._connect() as con:
            row = con.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else default

    def status(self) -> dict[str, Any]:
        """Every stored status value."""
        with self._connect() as con:
            rows = con.execute("SELECT name, value FROM meta").fetchall()
        return {name: json.loads(value) for name, value in rows}
