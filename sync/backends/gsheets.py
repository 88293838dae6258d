"""The Google Sheets backend: gspread's HTTP layer over google-auth, a few requests per sync.

    GSheetsStore.from_settings(settings.backend)            service-account key file, or ADC on App Engine
    GSheetsStore(session, staff_id, public_id, endpoint=…)   any requests.Session (tests: one wired to a fake)

Request budget (every figure counts HTTP requests, retries included; see `requests`):

    read    1  values:batchGet of the responses tab and every staff tab (FORMATTED_VALUE: cells as people
               see them, so a tax code, CAP or phone typed as text keeps its leading zeros; a number typed
               into a cell comes back as displayed). Only when a tab is missing (Google answers 400
               "Unable to parse range") +1 metadata fetch and +1 batchGet of the tabs that exist; when the
               range Google names is the hidden state (a first sync), +1 batchGet of the responses tab alone,
               and `ensure` adds every staff tab blind (below). The read right after `ensure` made staff tabs
               is answered from what was read and written (0).
    write   1  values:batchUpdate, valueInputOption=RAW (literal text: "=1+1" stays text), for the whole
               batch; 0 when there is nothing to write. +1 spreadsheets:batchUpdate only when a write goes
               beyond a tab's grid. Grid sizes come free with every read (a whole-sheet range is echoed as
               the full grid, e.g. `Elenco!A1:Z1000`); a spreadsheet not read in this process (the public
               one) is written without its metadata, which is fetched only when Google answers that a tab
               is missing or too small: so a sync in a new process (CLI, cron, webhook) is 3 requests.
               Rows inserted and deleted (`RowInsert`, `RowDelete`) are +1 spreadsheets:batchUpdate before
               the cells, never re-sent after a timeout; tab ids not known are presumed as `ensure` chose
               them (+1 metadata fetch and the batch again only when Google refuses the guess).
               A batch over ~2 MB (Google's advice; it refuses bodies over 10 MB) is split, each part
               idempotent. With a `Guard` (public rows diffed against the record in `_stato`,
               `sync.plan.PUBLIC_DIFF_WORTH_BYTES`) that spreadsheets:batchUpdate is always sent: it deletes
               the hidden `GUARD_TAB` of the recorded id and adds one with the next id, then moves the rows
               (tab ids presumed as `ensure` chose them), all or nothing. Google refusing it (400: not the
               recorded mark, or a presumed id wrong) is `StaleWorkbook`: the caller rewrites every public
               tab whole with `expect` None, which costs +1 metadata fetch and the mark's batchUpdate. So a
               sync that changes a large public list is 4 requests, its bytes those of the rows changed.
    ensure  1  metadata fetch (none when the read just fetched it), +1 spreadsheets:batchUpdate (tabs,
               frozen rows, widths, warning-only protections, dropdowns) and +1 values:batchUpdate (header
               and seed rows; none with `write_next`: they go with the write) when something is missing; a
               second `ensure` sends only the metadata fetch. After a presumed first-sync read: 1 blind
               batchUpdate with includeSpreadsheetInResponse (no metadata fetch), refused whole by Google if
               a tab exists after all, then metadata, +1 batchGet of the tabs there are, and the usual batch.
               So a first sync on new spreadsheets is 7 requests (plus parts of writes over ~2 MB).

gspread is used through `gspread.http_client.HTTPClient` only (never `open_by_key`/`Worksheet`, which
re-fetch metadata on every call). `_Client` subclasses it to send requests to `endpoint` instead of
https://sheets.googleapis.com when one is configured (a test fake or a proxy), to stay under the per-user
quota with a sliding-window limiter, and to count requests. Retries live in `GSheetsStore`: 408/5xx,
dropped connections and timeouts are retried with jittered exponential backoff, then become a
`TransientError`; a 429 (quota) is waited out over Google's one-minute window (Retry-After honoured, else
jittered steps), within the sync's time budget, then given up with `labels.GSHEETS_QUOTA_GIVE_UP`; gspread's `BackOffHTTPClient` is not used (in 6.2.1 it retries without bound).

Timestamps of the form are read as the sheet shows them: in an Italian-locale sheet "03/04/2024 11.09.13",
which `sync.parse.parse_timestamp` reads day first. A sheet in another locale (en_US shows "4/20/2024
2:41:12 PM", month first) is recognised by `sync.parse.month_first` (a second field over 12, or AM/PM) and
read month first with one warning; a file where every field is 12 or less is read day first, so keep the
form's spreadsheet in the Italian locale (File › Impostazioni › Impostazioni internazionali: Italia).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import random
import re
import tempfile
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

import filelock
import requests
from gspread.exceptions import APIError
from gspread.http_client import FileType, HTTPClient, ParamsType
from gspread.utils import absolute_range_name, rowcol_to_a1

from sync import labels
from sync.backends.base import (
    Grid,
    Guard,
    RangeWrite,
    RowDelete,
    RowInsert,
    Snapshot,
    StaleWorkbook,
    TabSpec,
    Workbook,
    Write,
    apply_writes,
)
from sync.cells import GOOGLE_FORMATS, SERIAL_EPOCH, canonical_text, kind_of, serial_number, typed_value
from sync.config import GSheetsBackend
from sync.errors import ConfigError, TransientError

T = TypeVar("T")

SHEETS_ORIGIN = "https://sheets.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)  # the Drive scope is not needed: we open by ID
ANONYMOUS = ("none", "anonymous")  # `credentials` values for a test fake or an authenticating proxy

# New tabs get Google's default grid; a write beyond it grows the grid with some headroom, so that a few new
# rows per sync do not cost a grid change every time.
NEW_TAB_ROWS = 1000
NEW_TAB_COLS = 26
GROW_ROWS_MIN = 200
GROW_COLS = 5
# Columns of a "mixed" roster tab the machine writes (ID … Stato, `render.render_roster`); attendance and
# notes to their right are staff's, so only these are protected.
MIXED_MACHINE_COLUMNS = 6
# Pixels per character of a TabSpec width (Arial 10 in Google Sheets).
PX_PER_CHAR = 7
# Google refuses request bodies over 10 MB and advises at most 2 MB: a larger write is sent in parts.
MAX_BODY_BYTES = 1_900_000
# The public spreadsheet's mark (`Guard`): an empty hidden tab whose id changes with every guarded write.
GUARD_TAB = "_contrassegno"
# Rows presumed in a public tab whose grid this process has not seen: any row a diff moves is within it
# (Google refuses a move beyond the grid, and the whole batch with it: the write is then made whole).
PRESUMED_ROWS = 10_000_000
# Only the fields this backend uses: titles, ids, grid sizes, visibility, protections.
METADATA_FIELDS = (
    "properties(locale),sheets(properties(sheetId,title,index,hidden,gridProperties(rowCount,columnCount)),"
    "protectedRanges(protectedRangeId,range,warningOnly),basicFilter(range))"
)
# Column widths (characters) never cut a header (plus the filter button) and stop here; longer columns wrap.
MAX_WIDTH_CHARS = 40
FILTER_BUTTON = 3
# The empty tab a new spreadsheet starts with, in the locales an Ambito may use: removed from the public
# spreadsheet, so that a visitor opening the link lands on the list.
DEFAULT_TAB_TITLES = frozenset({"Foglio1", "Foglio 1", "Sheet1", "Sheet 1"})
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
# Google's quota is counted per minute ("refilled every minute"): a 429 is waited out for up to one window.
QUOTA_WINDOW_S = 60.0
# The most one sync spends sleeping before retries (App Engine's cron and task handlers may run 10 minutes).
TIME_BUDGET_S = 240.0

# Italian messages for people: `sync.labels` (the exact texts are asserted by the tests).
MSG_NOT_SHARED = labels.GSHEETS_NOT_SHARED
MSG_NOT_SHARED_UNKNOWN = labels.GSHEETS_NOT_SHARED_UNKNOWN
MSG_NOT_FOUND = labels.GSHEETS_NOT_FOUND
MSG_API_DISABLED = labels.GSHEETS_API_DISABLED
MSG_UNAUTHORIZED = labels.GSHEETS_UNAUTHORIZED
MSG_REFRESH = labels.GSHEETS_REFRESH
MSG_TRANSIENT = labels.GSHEETS_TRANSIENT
MSG_NO_RESPONSES_TAB = labels.GSHEETS_NO_RESPONSES_TAB
MSG_BUSY = labels.GSHEETS_BUSY
MSG_NO_KEY_FILE = labels.GSHEETS_NO_KEY_FILE
MSG_BAD_KEY_FILE = labels.GSHEETS_BAD_KEY_FILE
MSG_NO_ADC = labels.GSHEETS_NO_ADC
MSG_ANONYMOUS_NEEDS_ENDPOINT = labels.GSHEETS_ANONYMOUS_NEEDS_ENDPOINT
ACTION_TAB = labels.GSHEETS_ACTION_TAB
ACTION_HEADER = labels.GSHEETS_ACTION_HEADER
ACTION_PROTECT = labels.GSHEETS_ACTION_PROTECT
ACTION_PROTECT_COLUMNS = labels.GSHEETS_ACTION_PROTECT_COLUMNS
ACTION_HIDE = labels.GSHEETS_ACTION_HIDE
ACTION_LAYOUT = labels.GSHEETS_ACTION_LAYOUT
ACTION_MOVE = labels.GSHEETS_ACTION_MOVE
ACTION_DELETE_DEFAULT = labels.GSHEETS_ACTION_DELETE_DEFAULT
PROTECTION_NOTE = labels.GSHEETS_PROTECTION_NOTE
GIVE_UP_QUOTA = labels.GSHEETS_QUOTA_GIVE_UP

_GRID_ECHO = re.compile(r"!([A-Z]+)(\d+):([A-Z]+)(\d+)$")


# -- quota and HTTP ------------------------------------------------------------------------------------------


class RateLimiter:
    """At most `limit` requests in any `window_s` seconds: waits before a request that would exceed it."""

    def __init__(
        self,
        limit: int,
        window_s: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = max(1, limit)
        self.window_s = window_s
        self.clock = clock
        self.sleep = sleep
        self.waited_s = 0.0
        self._sent: list[float] = []
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Record one request, sleeping first if the window is full."""
        with self._lock:
            while True:
                now = self.clock()
                self._sent = [t for t in self._sent if now - t < self.window_s]
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                wait = self._sent[0] + self.window_s - now
                self.waited_s += wait
                self.sleep(wait)


class _Client(HTTPClient):
    """gspread's HTTP layer, sent to `base_url` when set, under the rate limit, counting every request."""

    def __init__(
        self,
        session: requests.Session,
        *,
        base_url: str,
        limiter: RateLimiter,
        on_request: Callable[[], None],
    ) -> None:
        # With a session gspread never touches `auth`: authentication is the session's job (AuthorizedSession).
        super().__init__(cast(Any, None), session)
        self.base_url = base_url
        self.limiter = limiter
        self.on_request = on_request

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: FileType = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request (no retry here: `GSheetsStore` decides what may be retried)."""
        if self.base_url and endpoint.startswith(SHEETS_ORIGIN):
            endpoint = self.base_url + endpoint[len(SHEETS_ORIGIN) :]
        self.limiter.acquire()
        self.on_request()
        return super().request(
            method, endpoint, params=params, data=data, json=json, files=files, headers=headers
        )


class _Failure(Exception):
    """One failed attempt that may succeed if tried again (quota, server error, network)."""

    def __init__(self, what: str, retry_after: float = 0.0, *, quota: bool = False) -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after
        self.quota = quota  # 429 (or 403 rateLimitExceeded): the per-minute quota is spent
        self.refused = False  # Google answered that it did nothing (quota, unavailable): safe to send again


@dataclass
class _Tab:
    """What the backend knows of one tab: its id (None until metadata is fetched) and grid size."""

    sheet_id: int | None
    rows: int
    cols: int
    hidden: bool = False
    protections: list[dict[str, Any]] = field(default_factory=list)
    index: int = -1  # position among the tabs (-1 until metadata is fetched)
    filtered: bool = False  # has a basic filter: its presentation was applied


@dataclass
class _Book:
    """What the backend knows of one spreadsheet; `complete` = from metadata, so every tab is listed."""

    tabs: dict[str, _Tab] = field(default_factory=dict)
    complete: bool = False
    locale: str = ""


@dataclass
class _Plan:
    """Structural changes to send in one spreadsheets:batchUpdate, and the grids they leave."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    after: dict[str, _Tab] = field(default_factory=dict)
    values: list[RangeWrite] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # tabs the batch deletes


# -- the store -----------------------------------------------------------------------------------------------


class GSheetsStore:
    """The staff and public workbooks as two Google spreadsheets (see the module docstring for the budget)."""

    name = "gsheets"
    guards_public = True
    free_row_moves = False

    def __init__(
        self,
        session: requests.Session,
        staff_spreadsheet_id: str,
        public_spreadsheet_id: str,
        *,
        responses_tab: str = labels.RESPONSES_TAB,
        endpoint: str = "",
        timeout_s: float | None = 30.0,
        max_retries: int = 5,
        requests_per_minute: int = 60,
        service_account_email: str = "",
        credentials: Any = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        base_delay_s: float = 1.0,
        max_delay_s: float = 32.0,
        lock_dir: Path | None = None,
        lock_timeout_s: float = 120.0,
        time_budget_s: float = TIME_BUDGET_S,
    ) -> None:
        self.staff_spreadsheet_id = staff_spreadsheet_id
        self.public_spreadsheet_id = public_spreadsheet_id
        self.responses_tab = responses_tab
        # `max_retries` counts every attempt, the first included: 5 → "dopo 5 tentativi".
        self.max_attempts = max(1, max_retries)
        self.timeout_s = timeout_s
        self.sleep = sleep
        self.rng = rng if rng is not None else random.Random()
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.limiter = RateLimiter(requests_per_minute, clock=clock, sleep=sleep)
        self.lock_timeout_s = lock_timeout_s
        self.time_budget_s = time_budget_s
        self._waited = 0.0  # seconds slept before retries in this sync (reset by `sync_lock`)
        self._service_account_email = service_account_email
        self._credentials = credentials  # only to name the service account in messages; never printed
        self._requests = 0
        self._count_lock = threading.Lock()
        self._books: dict[str, _Book] = {}
        self._just_fetched = ""  # the spreadsheet whose metadata the last read fetched (for the next ensure)
        self._last_read: Snapshot | None = None  # the last staff read of this sync
        self._ensured: Snapshot | None = None  # that read with the tabs `ensure` then made: the next read
        self._empty: set[str] = set()  # staff tabs that existed but were empty at the last read
        self._presumed = ""  # the spreadsheet whose read presumed every staff tab missing (first sync)
        self._fresh: set[str] = set()  # spreadsheets whose metadata is current in this sync
        self._pending: dict[str, list[RangeWrite]] = {}  # headers of new tabs, sent with the next write
        self._new_rows = 0  # rows of the responses tab at the last read: list tabs are made that tall
        self._unformatted: set[str] = set()  # tabs whose typed cells showed bare serial numbers
        self._client = _Client(
            session, base_url=_base_url(endpoint), limiter=self.limiter, on_request=self._count
        )
        self._client.set_timeout(timeout_s)
        self._session = session
        self._closer: Callable[[], object] | None = None
        folder = lock_dir if lock_dir is not None else Path(tempfile.gettempdir())
        key = hashlib.sha256(staff_spreadsheet_id.encode("utf-8")).hexdigest()[:16]
        # Keyed by the staff spreadsheet: two syncs of the same sheets on one machine never overlap.
        self._lock = filelock.FileLock(str(folder / f"elenco-gsheets-{key}.lock"))

    @classmethod
    def from_settings(cls, settings: GSheetsBackend, **options: Any) -> GSheetsStore:
        """A store with the configured credentials (key file, "adc", or "none" with an `endpoint`)."""
        session, credentials = _open_session(settings)
        store = cls(
            session,
            settings.staff_spreadsheet_id,
            settings.public_spreadsheet_id,
            responses_tab=settings.responses_tab,
            endpoint=settings.endpoint,
            timeout_s=settings.timeout_s,
            max_retries=settings.max_retries,
            requests_per_minute=settings.requests_per_minute,
            credentials=credentials,
            **options,
        )
        # The store made the session, so it closes it (also when a caller forgets `close()`).
        store._closer = weakref.finalize(store, session.close)
        return store

    def close(self) -> None:
        """Close the HTTP session if the store opened it."""
        if self._closer is not None:
            self._closer()

    def __enter__(self) -> GSheetsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the Backend protocol --------------------------------------------------------------------------------

    @property
    def requests(self) -> int:
        """HTTP requests made so far, retries included."""
        return self._requests

    def read(self, specs: Sequence[TabSpec]) -> Snapshot:
        """Read the responses tab and every spec tab in one values:batchGet (more only if a tab is missing).

        Right after `ensure` created staff tabs, the read is answered from what this store read and then
        wrote (no request): the tabs it made hold their header and seed rows, the others what was read."""
        if self._ensured is not None:
            snapshot, self._ensured = self._ensured, None
            return snapshot
        sid = self.staff_spreadsheet_id
        # The hidden tabs (the state) first: when Google names one of them as the range it cannot parse,
        # this is most likely a first sync.
        marker = [s.title for s in specs if s.hidden]
        titles = list(dict.fromkeys([self.responses_tab, *marker, *(s.title for s in specs)]))
        hidden: set[str] = set()
        book = self._books.get(sid)
        if sid in self._fresh and book is not None and book.complete:
            # the metadata is current (this sync fetched or made it): read the tabs that exist
            titles = [t for t in titles if t in book.tabs]
            hidden = {t for t, tab in book.tabs.items() if tab.hidden}
        try:
            ranges = self._batch_get(sid, titles)
        except APIError as err:
            if not _is_bad_range(err):
                raise
            if _refused_range(err) in {absolute_range_name(t) for t in marker}:
                # Most likely a first sync, where no staff tab exists yet: read the responses tab alone. What
                # else the spreadsheet holds is then presumed, not known: `ensure` adds every staff tab in one
                # batchUpdate, which Google refuses whole if one exists after all, and then looks.
                titles = [self.responses_tab]
                ranges = self._read_responses(sid)
                self._presumed = sid
            else:
                # A tab deleted by hand: learn which exist, then read only those.
                book = self._fetch_book(sid)
                self._just_fetched = sid
                self._check_responses_tab(sid, book)
                titles = [t for t in titles if t in book.tabs]
                hidden = {t for t, tab in book.tabs.items() if tab.hidden}
                ranges = self._batch_get(sid, titles)
        grids = dict(zip(titles, ranges, strict=True))
        responses = grids.pop(self.responses_tab)
        self._new_rows = len(responses)
        # An empty tab is as good as missing: the pipeline then calls `ensure`, which writes its header.
        self._empty = {t for t, g in grids.items() if not g}
        tabs = {t: g for t, g in grids.items() if g}
        self._unformatted = _read_serials(tabs, specs)
        self._last_read = Snapshot(
            tabs=tabs, responses=responses, responses_origin=self.responses_tab, hidden=hidden
        )
        return self._last_read

    def _read_responses(self, sid: str) -> list[Grid]:
        """The responses tab alone; a `ConfigError` naming the tabs there are when it is missing."""
        try:
            return self._batch_get(sid, [self.responses_tab])
        except APIError as err:
            if not _is_bad_range(err):
                raise
            self._check_responses_tab(sid, self._fetch_book(sid))
            raise  # the check raised: the responses tab is missing

    def _check_responses_tab(self, sid: str, book: _Book) -> None:
        if self.responses_tab not in book.tabs:
            present = ", ".join(f"«{t}»" for t in book.tabs) or "nessuna"
            raise ConfigError(
                MSG_NO_RESPONSES_TAB.format(id=sid, tab=self.responses_tab, tabs=present)
            ) from None

    def ensure(
        self, workbook: Workbook, specs: Sequence[TabSpec], *, dry_run: bool = False, write_next: bool = False
    ) -> list[str]:
        """Create missing tabs with their presentation and protections; return what was (or would be) done.

        With `write_next` the caller writes this workbook next: the headers of new tabs go with that write."""
        sid = self._spreadsheet_id(workbook)

        def plan(book: _Book) -> _Plan:
            empty = self._empty if workbook == "staff" else set()
            return _ensure_plan(book, specs, empty, public=workbook == "public", rows=self._new_rows)

        presumed, self._presumed = self._presumed == sid, ""
        # the metadata the read just fetched (it found a tab missing) is still current: not fetched again
        book = self._books.get(sid) if self._just_fetched == sid else None
        self._just_fetched = ""
        done = self._ensure_new(sid, plan) if presumed and not dry_run else None
        if done is None:
            if book is None or not book.complete:
                book = self._fetch_book(sid)
            if presumed:
                # the read presumed tabs missing that may exist (and hold what staff typed): read them now
                self._read_existing(sid, book, specs)
            if dry_run:
                if workbook == "staff":
                    self._ensured = self._last_read  # nothing made: the next read is this one
                return plan(book).actions
            done = self._change_structure(sid, plan, book)
        if done.values:
            if write_next:
                self._pending.setdefault(sid, []).extend(done.values)
            else:
                self._write_values(sid, _typed(done.values, specs))
            self._empty -= {w.tab for w in done.values}
        if workbook == "staff" and self._last_read is not None:
            self._ensured = _with_writes(self._last_read, done.values, {s.title for s in specs if s.hidden})
        return done.actions

    def _ensure_new(self, sid: str, plan: Callable[[_Book], _Plan]) -> _Plan | None:
        """Every staff tab of a first sync in one batchUpdate, sent without metadata (the read presumed them
        missing); the spreadsheet is learnt from Google's answer. None when Google refused the batch (a tab
        existed after all: nothing was applied) or the attempt failed (perhaps applied): the caller looks."""
        known = self._books.setdefault(sid, _Book())
        todo = plan(_Book(tabs=dict(known.tabs), complete=True))
        if not todo.requests:
            return None
        body = {"requests": todo.requests, "includeSpreadsheetInResponse": True}
        try:
            reply = self._attempt(sid, functools.partial(self._client.batch_update, sid, body))
        except _Failure:
            return None
        except APIError as err:
            if err.code != 400:
                raise
            return None
        self._books[sid] = _book_of(reply.get("updatedSpreadsheet", {}))
        return todo

    def _read_existing(self, sid: str, book: _Book, specs: Sequence[TabSpec]) -> None:
        """After a presumed read (only the responses tab), the staff tabs that do exist, as `read` reads them."""
        if self._last_read is None:
            return
        titles = [s.title for s in specs if s.title in book.tabs]
        grids = dict(zip(titles, self._batch_get(sid, titles), strict=True)) if titles else {}
        self._empty = {t for t, g in grids.items() if not g}
        tabs = {t: g for t, g in grids.items() if g}
        self._unformatted = _read_serials(tabs, specs)
        self._last_read = replace(
            self._last_read, tabs=tabs, hidden={t for t, tab in book.tabs.items() if tab.hidden}
        )

    def write(
        self,
        workbook: Workbook,
        writes: Sequence[Write],
        specs: Sequence[TabSpec],
        *,
        guard: Guard | None = None,
    ) -> int:
        """Write the batch as literal text in one values:batchUpdate (growing small grids first).

        Rows inserted and deleted go first, in order, in one spreadsheets:batchUpdate; the rectangles then
        address the rows as they are after them (the order `sync.public_diff.row_diff` gives). A `guard`
        goes in that batchUpdate too, before the moves: Google applies all of it or none."""
        moves = [w for w in writes if isinstance(w, RowInsert | RowDelete)]
        sid = self._spreadsheet_id(workbook)
        if guard is not None:
            self._guarded_moves(sid, guard, moves)
        elif moves:
            self._move_rows(sid, moves)
        rects = [w for w in writes if isinstance(w, RangeWrite) and w.cells]
        cells = sum(w.cells for w in rects)
        pending = self._pending.pop(sid, [])
        if not cells and not pending:
            return 0
        rects = [*pending, *rects]  # the headers of tabs `ensure` just made (write_next)
        needed = _extents(rects)
        typed = _typed(rects, specs)
        # A spreadsheet not read in this process (the public one, in a new process): its grids are not known,
        # and not fetched either; the write is sent as it is, and only if Google answers that a tab is missing
        # or too small is the metadata fetched and the grid fitted (below). Most syncs then need no metadata.
        if sid in self._books:
            self._fit(sid, needed, specs, fresh=False)
        if workbook == "staff" and self._unformatted:
            self._restore_formats(sid, specs)
        try:
            self._write_values(sid, typed)
        except APIError as err:
            if not (_is_bad_range(err) or _is_beyond_grid(err)):
                raise
            # What we knew of the grid is stale (a tab deleted or shrunk by hand since): look again, once.
            self._fit(sid, needed, specs, fresh=True)
            self._write_values(sid, typed)
        return cells

    def publish(self, files: Mapping[str, bytes]) -> list[str]:
        """Nothing beside the workbook: the spreadsheet is shared read-only; `elenco pubblica` writes the files."""
        return []

    def check_writable(self, workbooks: Sequence[Workbook]) -> None:
        """Nothing to check in advance: sharing problems surface as ConfigError on the first request."""
        return None

    @contextlib.contextmanager
    def sync_lock(self) -> Iterator[None]:
        """Hold a lock file in the temp folder, keyed by the staff spreadsheet, for a whole sync."""
        try:
            self._lock.acquire(timeout=self.lock_timeout_s)
        except filelock.Timeout:
            raise TransientError(MSG_BUSY) from None
        self._waited = 0.0
        self._just_fetched = self._presumed = ""
        self._fresh.clear()
        self._pending.clear()
        self._last_read = self._ensured = None
        try:
            yield
        finally:
            self._lock.release()

    # -- requests --------------------------------------------------------------------------------------------

    def _count(self) -> None:
        with self._count_lock:
            self._requests += 1

    def _spreadsheet_id(self, workbook: Workbook) -> str:
        return self.staff_spreadsheet_id if workbook == "staff" else self.public_spreadsheet_id

    def _batch_get(self, sid: str, titles: Sequence[str]) -> list[Grid]:
        ranges = [absolute_range_name(t) for t in titles]
        params: ParamsType = {"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"}
        reply = self._call(sid, lambda: self._client.values_batch_get(sid, ranges, dict(params)))
        value_ranges = reply.get("valueRanges", [])
        book = self._books.setdefault(sid, _Book())
        grids: list[Grid] = []
        for title, value_range in zip(titles, value_ranges, strict=True):
            size = _echoed_grid(str(value_range.get("range", "")))
            if size is not None:
                known = book.tabs.get(title)
                book.tabs[title] = (
                    replace(known, rows=size[0], cols=size[1])
                    if known is not None
                    else _Tab(None, size[0], size[1])
                )
            grids.append(_trim([[_text(v) for v in row] for row in value_range.get("values", [])]))
        return grids

    def _fetch_book(self, sid: str) -> _Book:
        meta = self._call(sid, lambda: self._client.fetch_sheet_metadata(sid, {"fields": METADATA_FIELDS}))
        book = self._books[sid] = _book_of(meta)
        self._fresh.add(sid)
        return book

    def _write_values(self, sid: str, writes: Sequence[_TypedWrite]) -> None:
        for data in _batches(writes):
            # RAW: every value is stored as the literal text it is ("=1+1", "+39 333", "007").
            body = {"valueInputOption": "RAW", "data": data}
            self._call(sid, functools.partial(self._client.values_batch_update, sid, body))

    def _move_rows(self, sid: str, moves: Sequence[RowInsert | RowDelete]) -> None:
        """Insert and delete rows in one spreadsheets:batchUpdate (metadata fetched only for unknown tab ids).

        Not idempotent: an attempt Google answered with a quota or availability error (nothing applied) is
        tried again; a timeout or a dropped connection (perhaps applied) is not, it ends the sync."""
        book = self._books.get(sid)
        if book is None:
            book = self._fetch_book(sid)
        # tab ids a values read does not give: presumed as `ensure` chose them; a wrong guess is refused whole
        presumed = any(book.tabs.get(w.tab) is not None and book.tabs[w.tab].sheet_id is None for w in moves)
        tabs = {
            w.tab: _presumed_id(w.tab, book.tabs[w.tab]) if presumed else book.tabs[w.tab]
            for w in moves
            if w.tab in book.tabs
        }
        requests_out = _move_requests(tabs, moves)
        if not requests_out:
            return
        try:
            self._send_once(sid, requests_out)
        except APIError as err:
            if err.code != 400 or not presumed:
                raise
            # an id guessed wrong (a tab made by hand): nothing applied; look, and send it again
            book = self._fetch_book(sid)
            tabs = {w.tab: book.tabs[w.tab] for w in moves if w.tab in book.tabs}
            self._send_once(sid, _move_requests(tabs, moves))
        book.tabs.update(tabs)

    def _send_once(self, sid: str, requests_out: list[dict[str, Any]]) -> None:
        """One spreadsheets:batchUpdate that is not idempotent: an attempt Google refused (quota,
        availability: nothing applied) is tried again, one perhaps applied (a timeout) ends the sync; any
        other error reaches the caller (Google applied none of the batch)."""
        body = {"requests": requests_out}
        attempt, quota_wait = 0, 0.0
        while True:
            attempt += 1
            try:
                self._attempt(sid, functools.partial(self._client.batch_update, sid, body))
                return
            except _Failure as failure:
                if not failure.refused:
                    raise self._give_up(failure, attempt) from None
                quota_wait = self._wait_or_give_up(failure, attempt, quota_wait)

    def _guarded_moves(self, sid: str, guard: Guard, moves: Sequence[RowInsert | RowDelete]) -> None:
        """Replace the mark and move rows in one spreadsheets:batchUpdate; StaleWorkbook if Google refuses it.

        The mark is the id of the hidden tab `GUARD_TAB`: deleting the expected id fails when the spreadsheet
        carries another (a write whose record was lost), adding the tab fails when one is there and none was
        expected. Tab ids not seen in this process are presumed as `ensure` chose them; a wrong guess is
        refused in the same way. With `expect` None the metadata is fetched and any mark replaced."""
        book = self._fetch_book(sid) if guard.expect is None else self._books.get(sid)
        requests_out: list[dict[str, Any]] = []
        if guard.expect is None:
            assert book is not None
            marks = [t.sheet_id for title, t in book.tabs.items() if title == GUARD_TAB]
            requests_out += [{"deleteSheet": {"sheetId": m}} for m in marks if m is not None]
        elif guard.expect:
            requests_out.append({"deleteSheet": {"sheetId": int(guard.expect)}})
        properties = {"sheetId": int(guard.then), "title": GUARD_TAB, "hidden": True}
        requests_out.append({"addSheet": {"properties": {**properties, "gridProperties": _ONE_CELL}}})
        tabs: dict[str, _Tab] = {}
        for w in moves:
            known = book.tabs.get(w.tab) if book is not None else None
            presumed = _Tab(_new_sheet_id(w.tab, set()), PRESUMED_ROWS, 0)
            tabs[w.tab] = known if known is not None and known.sheet_id is not None else presumed
        requests_out += _move_requests(tabs, moves)
        try:
            self._send_once(sid, requests_out)
        except APIError as err:
            if err.code == 400 and guard.expect is not None:
                raise StaleWorkbook(_message(err)) from None
            raise
        if book is not None:
            book.tabs.update({t: tab for t, tab in tabs.items() if tab.rows != PRESUMED_ROWS})
            book.tabs[GUARD_TAB] = _Tab(int(guard.then), 1, 1, hidden=True)

    def _restore_formats(self, sid: str, specs: Sequence[TabSpec]) -> None:
        """Number formats someone cleared by hand: set them again (one batchUpdate, only then)."""
        lost = {s.title: s for s in specs if s.title in self._unformatted and s.listing}

        def plan(book: _Book) -> _Plan:
            out = _Plan()
            for title, spec in lost.items():
                tab = book.tabs.get(title)
                if tab is not None and tab.sheet_id is not None:
                    out.requests += _format_requests(spec, tab.sheet_id)
            return out

        self._change_structure(sid, plan, None)
        self._unformatted.clear()

    def _fit(
        self, sid: str, needed: Mapping[str, tuple[int, int]], specs: Sequence[TabSpec], *, fresh: bool
    ) -> None:
        """Make every tab of `needed` exist and hold (rows, cols); fetch metadata only when in doubt."""
        by_title = {s.title: s for s in specs}

        def plan(book: _Book) -> _Plan:
            return _fit_plan(book, needed, by_title)

        book = None if fresh else self._books.get(sid)
        if book is not None:
            todo = plan(book)
            unknown = any(t not in book.tabs and not book.complete for t in needed)
            blind = any(book.tabs[t].sheet_id is None for t in todo.after if t in book.tabs)
            if not todo.requests and not unknown:
                return
            if unknown or blind:
                book = None
        self._change_structure(sid, plan, book)

    def _change_structure(self, sid: str, plan: Callable[[_Book], _Plan], book: _Book | None) -> _Plan:
        """Send the planned spreadsheets:batchUpdate; after a failed attempt, look at the sheet again first.

        A batchUpdate is not idempotent (addSheet twice fails, appendDimension twice grows twice), and an
        attempt that timed out may have been applied: so each retry re-reads the metadata and re-plans.
        """
        attempt = 0
        quota_wait = 0.0
        values: dict[str, RangeWrite] = {}
        actions: dict[str, None] = {}
        while True:
            attempt += 1
            if book is None:
                book = self._fetch_book(sid)
            todo = plan(book)
            # Keep what earlier plans did: an attempt that timed out may have been applied (the tabs then
            # exist, but still need their header, and the caller still hears that they were created).
            values.update((w.tab, w) for w in todo.values)
            actions.update(dict.fromkeys(todo.actions))
            todo.values = list(values.values())
            todo.actions = list(actions)
            if not todo.requests:
                return todo
            body = {"requests": todo.requests}
            try:
                self._attempt(sid, functools.partial(self._client.batch_update, sid, body))
            except _Failure as failure:
                quota_wait = self._wait_or_give_up(failure, attempt, quota_wait)
                book = None
                continue
            book.tabs.update(todo.after)
            for title in todo.gone:
                book.tabs.pop(title, None)
            return todo

    def _call(self, sid: str, fn: Callable[[], T]) -> T:
        """Run one idempotent API call with bounded, jittered exponential backoff."""
        attempt = 0
        quota_wait = 0.0
        while True:
            attempt += 1
            try:
                return self._attempt(sid, fn)
            except _Failure as failure:
                quota_wait = self._wait_or_give_up(failure, attempt, quota_wait)

    def _attempt(self, sid: str, fn: Callable[[], T]) -> T:
        """One try: a retryable failure becomes `_Failure`, a sharing problem `ConfigError`, the rest a bug."""
        from google.auth import exceptions as auth_errors

        try:
            return fn()
        except APIError as err:
            self._raise_config_error(sid, err)
            if err.code in RETRY_STATUS or err.code >= 500 or _is_rate_limit(err):
                quota = _is_rate_limit(err)
                failure = _Failure(
                    labels.GSHEETS_FAIL_STATUS.format(code=err.code), _retry_after(err.response), quota=quota
                )
                failure.refused = quota or err.code == 503
                raise failure from None
            raise
        except requests.Timeout:
            raise _Failure(labels.GSHEETS_FAIL_TIMEOUT.format(wait=_seconds(self.timeout_s))) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            raise _Failure(labels.GSHEETS_FAIL_CONNECTION) from None
        except auth_errors.RefreshError:
            raise ConfigError(MSG_REFRESH) from None
        except auth_errors.TransportError:
            raise _Failure(labels.GSHEETS_FAIL_CONNECTION) from None

    def _raise_config_error(self, sid: str, err: APIError) -> None:
        if err.code == 404:
            raise ConfigError(MSG_NOT_FOUND.format(id=sid)) from None
        if err.code == 401:
            raise ConfigError(MSG_UNAUTHORIZED) from None
        if err.code == 403 and not _is_rate_limit(err):
            if _is_api_disabled(err):
                raise ConfigError(MSG_API_DISABLED) from None
            email = self.service_account_email
            message = (
                MSG_NOT_SHARED.format(id=sid, email=email) if email else MSG_NOT_SHARED_UNKNOWN.format(id=sid)
            )
            raise ConfigError(message) from None

    @property
    def service_account_email(self) -> str:
        """The account to share the sheets with, when the credentials tell ("" when unknown)."""
        if self._service_account_email:
            return self._service_account_email
        email = getattr(self._credentials, "service_account_email", "")
        # Metadata-server credentials say "default" until their first refresh.
        return email if isinstance(email, str) and "@" in email else ""

    def _wait_or_give_up(self, failure: _Failure, attempt: int, quota_wait: float) -> float:
        """Sleep before the next attempt, or raise `TransientError`; return the time waited on the quota so far.

        A quota error (429) is waited out: Retry-After when Google sends it, else jittered exponential steps
        capped at the quota's one-minute window, until a whole window has been waited (the quota is then spent
        by someone else: waiting longer will not help) or the sync's time budget would be passed. Any other
        failure gets `max_attempts` tries with the same backoff capped at `max_delay_s`."""
        if failure.quota:
            step = min(QUOTA_WINDOW_S, self.base_delay_s * 2.0 ** (attempt - 1))
            delay = failure.retry_after or step / 2 + self.rng.random() * step / 2
            if quota_wait >= QUOTA_WINDOW_S or self._waited + delay > self.time_budget_s:
                raise TransientError(GIVE_UP_QUOTA.format(seconds=f"{quota_wait:.0f}")) from None
            quota_wait += delay
        else:
            if attempt >= self.max_attempts:
                raise self._give_up(failure, attempt) from None
            delay = self._delay(attempt, failure.retry_after)
        self._waited += delay
        self.sleep(delay)
        return quota_wait

    def _delay(self, attempt: int, retry_after: float) -> float:
        # "Equal jitter": half the exponential step, plus a random half, so retries of many clients spread out.
        step = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))
        return max(retry_after, step / 2 + self.rng.random() * step / 2)

    def _give_up(self, failure: _Failure, attempts: int) -> TransientError:
        counted = "1 tentativo" if attempts == 1 else f"{attempts} tentativi"
        return TransientError(MSG_TRANSIENT.format(what=failure.what, attempts=counted))


# -- planning (pure) -----------------------------------------------------------------------------------------


def _book_of(meta: Mapping[str, Any]) -> _Book:
    """What a spreadsheet resource (metadata, or a batchUpdate's `updatedSpreadsheet`) says of its tabs."""
    book = _Book(complete=True, locale=str(meta.get("properties", {}).get("locale", "")))
    for sheet in meta.get("sheets", []):
        props = sheet.get("properties", {})
        grid = props.get("gridProperties", {})
        book.tabs[str(props.get("title", ""))] = _Tab(
            int(props.get("sheetId", 0)),
            int(grid.get("rowCount", 0)),
            int(grid.get("columnCount", 0)),
            bool(props.get("hidden", False)),
            list(sheet.get("protectedRanges", [])),
            int(props.get("index", 0)),
            "basicFilter" in sheet,
        )
    return book


def _refused_range(err: APIError) -> str:
    """The range Google could not parse, as it was sent ("Unable to parse range: '_stato'" → "'_stato'")."""
    found = re.search(r"Unable to parse range: (.*)$", _message(err))
    return found.group(1).strip() if found else ""


def _with_writes(snapshot: Snapshot, writes: Sequence[RangeWrite], hidden: set[str]) -> Snapshot:
    """A snapshot as a read would return it after `writes` (the headers and seed rows of new tabs)."""
    tabs = {title: [list(r) for r in grid] for title, grid in snapshot.tabs.items()}
    apply_writes(tabs, writes)
    made = {w.tab for w in writes}
    return Snapshot(
        tabs={t: _trim(g) for t, g in tabs.items() if _trim(g)},
        responses=snapshot.responses,
        responses_origin=snapshot.responses_origin,
        hidden=snapshot.hidden | (made & hidden),
    )


def _ensure_plan(
    book: _Book, specs: Sequence[TabSpec], empty: set[str], *, public: bool = False, rows: int = 0
) -> _Plan:
    """What `ensure` must do to this spreadsheet: new tabs, missing protections, headers of empty tabs,
    the presentation of list tabs made before it existed; in the public spreadsheet also the tab order
    (`Elenco` first, `Informazioni` last) and no empty default tab. A new list tab (and the state) gets room
    for `rows` rows (those of the responses tab), so that the first write needs no grid change."""
    out = _Plan()
    used = {t.sheet_id for t in book.tabs.values() if t.sheet_id is not None}
    for position, spec in enumerate(specs):
        tab = book.tabs.get(spec.title)
        if tab is None:
            sheet_id = _new_sheet_id(spec.title, used)
            used.add(sheet_id)
            # a list holds a row per organisation at most (room for one per response), the hidden state a
            # line per response and one per tax code
            scales = (2 if spec.hidden else 1 if spec.listing else 0) * rows
            height = max(NEW_TAB_ROWS, 1 + len(spec.seed), _grown(scales) if scales else 0)
            cols = max(NEW_TAB_COLS, len(spec.header), len(spec.widths), *(len(r) for r in spec.seed))
            out.requests += _new_tab_requests(spec, sheet_id, height, cols, position if public else None)
            out.actions.append(ACTION_TAB.format(title=spec.title))
            if _protection(spec, sheet_id) is not None:
                out.actions.append(_protect_action(spec))
            out.after[spec.title] = _Tab(sheet_id, height, cols, spec.hidden)
            if spec.header or spec.seed:
                out.values.append(_header_write(spec))
            continue
        if spec.title in empty and (spec.header or spec.seed):
            out.actions.append(ACTION_HEADER.format(title=spec.title))
            out.values.append(_header_write(spec))
        if tab.sheet_id is not None and spec.listing and not spec.hidden and not tab.filtered:
            out.requests += _layout_requests(spec, tab.sheet_id)
            out.actions.append(ACTION_LAYOUT.format(title=spec.title))
        if public and tab.sheet_id is not None and tab.index != position:
            out.requests.append(
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": tab.sheet_id, "index": position},
                        "fields": "index",
                    }
                }
            )
            out.actions.append(ACTION_MOVE.format(title=spec.title, position=position + 1))
        if spec.hidden and not tab.hidden and tab.sheet_id is not None:
            out.requests.append(
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": tab.sheet_id, "hidden": True},
                        "fields": "hidden",
                    }
                }
            )
            out.actions.append(ACTION_HIDE.format(title=spec.title))
        protection = _protection(spec, tab.sheet_id)
        if protection is not None and not _has_protection(tab, protection):
            out.requests.append({"addProtectedRange": {"protectedRange": protection}})
            out.actions.append(_protect_action(spec))
    if public:
        wanted = {s.title for s in specs}
        for title, tab in book.tabs.items():
            # after the list tabs were added, so the spreadsheet is never left without a tab
            if title in DEFAULT_TAB_TITLES and title not in wanted and tab.sheet_id is not None:
                out.requests.append({"deleteSheet": {"sheetId": tab.sheet_id}})
                out.actions.append(ACTION_DELETE_DEFAULT.format(title=title))
                out.gone.append(title)
    return out


def _move_requests(tabs: dict[str, _Tab], moves: Sequence[RowInsert | RowDelete]) -> list[dict[str, Any]]:
    """insertDimension / deleteDimension for each move, in order, within each tab's grid; `tabs` is updated
    to the grid sizes they leave. Rows beyond a grid hold nothing: moving them is left out."""
    out: list[dict[str, Any]] = []
    for w in moves:
        tab = tabs.get(w.tab)
        if tab is None or tab.sheet_id is None:
            continue  # a tab that does not exist holds no row to move
        if isinstance(w, RowInsert):
            if w.at >= tab.rows:
                continue
            kind, end, rows = "insertDimension", w.at + w.count, tab.rows + w.count
        else:
            end = min(w.at + w.count, tab.rows)
            if end - w.at >= tab.rows:
                end = tab.rows - 1  # a grid keeps at least one row (row_diff never deletes a header)
            if end <= w.at:
                continue
            kind, rows = "deleteDimension", tab.rows - (end - w.at)
        span = {"sheetId": tab.sheet_id, "dimension": "ROWS", "startIndex": w.at, "endIndex": end}
        out.append({kind: {"range": span}})
        tabs[w.tab] = replace(tab, rows=rows)
    return out


def _protect_action(spec: TabSpec) -> str:
    if spec.owner == "mixed":
        columns = f"A:{_column_letter(MIXED_MACHINE_COLUMNS)}"
        return ACTION_PROTECT_COLUMNS.format(columns=columns, title=spec.title)
    return ACTION_PROTECT.format(title=spec.title)


def _fit_plan(book: _Book, needed: Mapping[str, tuple[int, int]], specs: Mapping[str, TabSpec]) -> _Plan:
    """Grid growth (and tabs deleted by hand) so that every write fits."""
    out = _Plan()
    used = {t.sheet_id for t in book.tabs.values() if t.sheet_id is not None}
    for title, (rows, cols) in needed.items():
        tab = book.tabs.get(title)
        if tab is None:
            if not book.complete:
                continue  # unknown, not missing: the caller fetches metadata first
            spec = specs.get(title, TabSpec(title=title, header=()))
            sheet_id = _new_sheet_id(title, used)
            used.add(sheet_id)
            size = (max(NEW_TAB_ROWS, _grown(rows)), max(NEW_TAB_COLS, cols + GROW_COLS))
            out.requests += _new_tab_requests(spec, sheet_id, *size)
            out.actions.append(ACTION_TAB.format(title=title))
            out.after[title] = _Tab(sheet_id, *size, spec.hidden)
            continue
        if rows <= tab.rows and cols <= tab.cols:
            continue
        new_rows = _grown(rows) if rows > tab.rows else tab.rows
        new_cols = cols + GROW_COLS if cols > tab.cols else tab.cols
        # appendDimension, not a new absolute size: it can never shrink a grid someone grew meanwhile.
        if new_rows > tab.rows:
            out.requests.append(
                {
                    "appendDimension": {
                        "sheetId": tab.sheet_id,
                        "dimension": "ROWS",
                        "length": new_rows - tab.rows,
                    }
                }
            )
        if new_cols > tab.cols:
            out.requests.append(
                {
                    "appendDimension": {
                        "sheetId": tab.sheet_id,
                        "dimension": "COLUMNS",
                        "length": new_cols - tab.cols,
                    }
                }
            )
        grown = specs.get(title)
        if grown is not None and grown.listing and not grown.hidden and new_rows > tab.rows:
            # Formats and the filter cover the rows the grid had when they were set: extend them to new rows.
            out.requests += _format_requests(grown, tab.sheet_id or 0)
        out.after[title] = replace(tab, rows=new_rows, cols=new_cols)
    return out


def _new_tab_requests(
    spec: TabSpec, sheet_id: int, rows: int, cols: int, index: int | None = None
) -> list[dict[str, Any]]:
    """addSheet with frozen rows/columns and visibility, bold header, widths, protection, dropdown, and a
    list tab's filter, date formats and wrapping (all in the same batchUpdate)."""
    grid: dict[str, Any] = {"rowCount": rows, "columnCount": cols}
    if spec.frozen_rows:
        grid["frozenRowCount"] = spec.frozen_rows
    if spec.frozen_cols:
        grid["frozenColumnCount"] = spec.frozen_cols
    out: list[dict[str, Any]] = [
        {
            "addSheet": {
                "properties": {
                    "sheetId": sheet_id,
                    "title": spec.title,
                    "hidden": spec.hidden,
                    "gridProperties": grid,
                    **({} if index is None else {"index": index}),
                }
            }
        }
    ]
    if spec.header:
        out.append(
            {
                "repeatCell": {
                    "range": {
                        "sheetId": sheet_id,
                        "startRowIndex": 0,
                        "endRowIndex": 1,
                        "startColumnIndex": 0,
                        "endColumnIndex": len(spec.header),
                    },
                    "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                    "fields": "userEnteredFormat.textFormat.bold",
                }
            }
        )
    out += _width_requests(spec, sheet_id)
    if spec.listing and not spec.hidden:
        out += _format_requests(spec, sheet_id)
    protection = _protection(spec, sheet_id)
    if protection is not None:
        out.append({"addProtectedRange": {"protectedRange": protection}})
    if spec.dropdown is not None and spec.dropdown.values:
        column = spec.dropdown.column
        out.append(
            {
                "setDataValidation": {
                    # From row 2 to the end of the grid: rows added later are covered too.
                    "range": {
                        "sheetId": sheet_id,
                        "startRowIndex": 1,
                        "startColumnIndex": column,
                        "endColumnIndex": column + 1,
                    },
                    "rule": {
                        "condition": {
                            "type": "ONE_OF_LIST",
                            "values": [{"userEnteredValue": v} for v in spec.dropdown.values],
                        },
                        "showCustomUi": True,
                        "strict": True,
                    },
                }
            }
        )
    return out


def _fitted_widths(spec: TabSpec) -> tuple[int, ...]:
    """The spec's widths, never narrower than a header (and its filter button), capped for list tabs."""
    out = []
    for i in range(max(len(spec.widths), len(spec.header) if spec.listing else 0)):
        width = spec.widths[i] if i < len(spec.widths) else 0
        if spec.listing and i < len(spec.header):
            width = min(MAX_WIDTH_CHARS, max(width, len(spec.header[i]) + FILTER_BUTTON))
        out.append(width)
    return tuple(out)


def _width_requests(spec: TabSpec, sheet_id: int) -> list[dict[str, Any]]:
    return [
        {
            "updateDimensionProperties": {
                "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": start, "endIndex": end},
                "properties": {"pixelSize": max(20, PX_PER_CHAR * width)},
                "fields": "pixelSize",
            }
        }
        for start, end, width in _width_runs(_fitted_widths(spec))
    ]


def _column_range(sheet_id: int, column: int) -> dict[str, Any]:
    # From row 2 to the end of the grid (no endRowIndex): rows added later are formatted too.
    return {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": column, "endColumnIndex": column + 1}


def _format_requests(spec: TabSpec, sheet_id: int) -> list[dict[str, Any]]:
    """A list tab: a filter on the header, typed columns' number formats, long columns wrapped."""
    out: list[dict[str, Any]] = [
        {
            "setBasicFilter": {
                "filter": {
                    "range": {
                        "sheetId": sheet_id,
                        "startRowIndex": 0,
                        "startColumnIndex": 0,
                        "endColumnIndex": max(1, len(spec.header)),
                    }
                }
            }
        }
    ]
    for column, kind in enumerate(spec.kinds):
        if kind in GOOGLE_FORMATS:
            number_type, pattern = GOOGLE_FORMATS[kind]
            out.append(
                {
                    "repeatCell": {
                        "range": _column_range(sheet_id, column),
                        "cell": {
                            "userEnteredFormat": {"numberFormat": {"type": number_type, "pattern": pattern}}
                        },
                        "fields": "userEnteredFormat.numberFormat",
                    }
                }
            )
    for column, width in enumerate(spec.widths):
        if width >= MAX_WIDTH_CHARS:
            out.append(
                {
                    "repeatCell": {
                        "range": _column_range(sheet_id, column),
                        "cell": {"userEnteredFormat": {"wrapStrategy": "WRAP", "verticalAlignment": "TOP"}},
                        "fields": "userEnteredFormat(wrapStrategy,verticalAlignment)",
                    }
                }
            )
    return out


def _layout_requests(spec: TabSpec, sheet_id: int) -> list[dict[str, Any]]:
    """The presentation of an existing list tab made before it existed: frozen header, widths, formats."""
    grid: dict[str, Any] = {"frozenRowCount": spec.frozen_rows, "frozenColumnCount": spec.frozen_cols}
    return [
        {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "gridProperties": grid},
                "fields": "gridProperties.frozenRowCount,gridProperties.frozenColumnCount",
            }
        },
        *_width_requests(spec, sheet_id),
        *_format_requests(spec, sheet_id),
    ]


def _protection(spec: TabSpec, sheet_id: int | None) -> dict[str, Any] | None:
    """A warning-only protection for what the machine owns: the whole tab, or a roster's fixed columns."""
    if spec.owner == "staff" or sheet_id is None:
        return None
    grid: dict[str, Any] = {"sheetId": sheet_id}
    if spec.owner == "mixed":
        grid.update(startColumnIndex=0, endColumnIndex=MIXED_MACHINE_COLUMNS)
    # Warning only: staff can still edit in an emergency, after a warning that the next sync rewrites it.
    return {"range": grid, "description": spec.note or PROTECTION_NOTE, "warningOnly": True}


def _has_protection(tab: _Tab, wanted: Mapping[str, Any]) -> bool:
    want = wanted["range"]
    for existing in tab.protections:
        grid = existing.get("range", {})
        if (
            grid.get("startColumnIndex", 0) == want.get("startColumnIndex", 0)
            and grid.get("endColumnIndex") == want.get("endColumnIndex")
            and not grid.get("startRowIndex")
            and grid.get("endRowIndex") is None
        ):
            return True
    return False


def _header_write(spec: TabSpec) -> RangeWrite:
    return RangeWrite(spec.title, 0, 0, (tuple(spec.header), *spec.seed))


def _width_runs(widths: Sequence[int]) -> Iterator[tuple[int, int, int]]:
    """(start, end, width) for each run of equal column widths: fewer sub-requests."""
    start = 0
    for i in range(1, len(widths) + 1):
        if i == len(widths) or widths[i] != widths[start]:
            if widths[start] > 0:
                yield start, i, widths[start]
            start = i


def _new_sheet_id(title: str, used: set[int]) -> int:
    # Chosen here, so that later sub-requests of the same batchUpdate can refer to the new tab.
    candidate = zlib.crc32(title.encode("utf-8")) & 0x7FFFFFFF or 1
    while candidate in used:
        candidate = candidate % 0x7FFFFFFF + 1
    return candidate


_ONE_CELL = {"rowCount": 1, "columnCount": 1}


def _presumed_id(title: str, tab: _Tab) -> _Tab:
    """A tab whose id is not known, with the id `ensure` gives a tab of that title."""
    return tab if tab.sheet_id is not None else replace(tab, sheet_id=_new_sheet_id(title, set()))


def _grown(rows: int) -> int:
    return rows + max(GROW_ROWS_MIN, rows // 5)


Value = str | int | float


@dataclass(frozen=True, slots=True)
class _TypedWrite:
    """A rectangle of values to send: text, or serial numbers in typed columns (still valueInputOption RAW)."""

    tab: str
    row: int
    col: int
    values: tuple[tuple[Value, ...], ...]


_SERIAL_SHOWN = re.compile(r"\d{1,6}(\.\d+)?")


def _read_serials(tabs: dict[str, Grid], specs: Sequence[TabSpec]) -> set[str]:
    """Dates shown as bare serial numbers (their number format was cleared) read as the canonical text, so the
    diff sees what is stored; return the tabs where that happened, so their formats are set again."""
    found: set[str] = set()
    for spec in specs:
        grid = tabs.get(spec.title)
        dated = [c for c, k in enumerate(spec.kinds) if k in ("date", "datetime", "timestamp")]
        if not grid or not dated:
            continue
        for row in grid[1:]:
            for c in dated:
                if c < len(row) and _SERIAL_SHOWN.fullmatch(row[c]):
                    text = canonical_text(spec.kinds[c], SERIAL_EPOCH + timedelta(days=float(row[c])))
                    if text is not None:
                        row[c] = text
                        found.add(spec.title)
    return found


def _typed(writes: Sequence[RangeWrite], specs: Sequence[TabSpec]) -> list[_TypedWrite]:
    """Dates and counts of typed columns as numbers: Google shows them with the column's number format."""
    kinds = {s.title: s.kinds for s in specs if s.kinds}
    out: list[_TypedWrite] = []
    for w in writes:
        table = kinds.get(w.tab)
        if not table:
            out.append(_TypedWrite(w.tab, w.row, w.col, w.values))
            continue
        rows: list[tuple[Value, ...]] = []
        for r, row in enumerate(w.values):
            if w.row + r == 0:
                rows.append(row)
                continue
            cells: list[Value] = []
            for c, value in enumerate(row):
                typed = typed_value(kind_of(table, w.col + c), value)
                cells.append(value if typed is None else serial_number(typed))
            rows.append(tuple(cells))
        out.append(_TypedWrite(w.tab, w.row, w.col, tuple(rows)))
    return out


def _extents(writes: Iterable[RangeWrite]) -> dict[str, tuple[int, int]]:
    """The grid size each tab needs: (rows, columns)."""
    out: dict[str, tuple[int, int]] = {}
    for w in writes:
        rows = w.row + len(w.values)
        cols = w.col + max((len(r) for r in w.values), default=0)
        old = out.get(w.tab, (0, 0))
        out[w.tab] = (max(old[0], rows), max(old[1], cols))
    return out


def _value_range(tab: str, row: int, col: int, values: Sequence[Sequence[Value]]) -> dict[str, Any]:
    width = max((len(r) for r in values), default=1) or 1
    a1 = f"{rowcol_to_a1(row + 1, col + 1)}:{rowcol_to_a1(row + len(values), col + width)}"
    return {
        "range": absolute_range_name(tab, a1),
        "majorDimension": "ROWS",
        "values": [list(r) for r in values],
    }


def _batches(writes: Sequence[_TypedWrite]) -> Iterator[list[dict[str, Any]]]:
    """The value ranges of the writes, in bodies under MAX_BODY_BYTES (one body in every usual case)."""
    batch: list[dict[str, Any]] = []
    size = 0
    for w in writes:
        for item, item_size in _split(w):
            if batch and size + item_size > MAX_BODY_BYTES:
                yield batch
                batch, size = [], 0
            batch.append(item)
            size += item_size
    if batch:
        yield batch


def _split(w: _TypedWrite) -> Iterator[tuple[dict[str, Any], int]]:
    item = _value_range(w.tab, w.row, w.col, w.values)
    size = len(json.dumps(item, ensure_ascii=False).encode("utf-8"))
    if size <= MAX_BODY_BYTES or len(w.values) < 2:
        yield item, size
        return
    half = len(w.values) // 2
    yield from _split(_TypedWrite(w.tab, w.row, w.col, w.values[:half]))
    yield from _split(_TypedWrite(w.tab, w.row + half, w.col, w.values[half:]))


# -- small helpers -------------------------------------------------------------------------------------------


def _open_session(settings: GSheetsBackend) -> tuple[requests.Session, Any]:
    """An authorised session for the configured credentials (nothing secret is ever put in a message)."""
    choice = settings.credentials.strip()
    if choice.lower() in ANONYMOUS:
        if not settings.endpoint:
            raise ConfigError(MSG_ANONYMOUS_NEEDS_ENDPOINT)
        return requests.Session(), None
    import google.auth
    from google.auth import exceptions as auth_errors
    from google.auth.transport.requests import AuthorizedSession

    if choice.lower() == "adc":
        try:
            credentials, _project = google.auth.default(scopes=list(SCOPES))
        except auth_errors.DefaultCredentialsError:
            raise ConfigError(MSG_NO_ADC) from None
    else:
        from google.oauth2 import service_account

        path = Path(choice).expanduser()
        if not path.is_file():
            raise ConfigError(MSG_NO_KEY_FILE.format(path=path))
        try:
            credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                str(path), scopes=list(SCOPES)
            )
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, auth_errors.GoogleAuthError):
            raise ConfigError(MSG_BAD_KEY_FILE.format(path=path)) from None
    return AuthorizedSession(credentials), credentials  # type: ignore[no-untyped-call]


def _base_url(endpoint: str) -> str:
    """`http://127.0.0.1:8080`, or the same ending in `/v4/spreadsheets`, → the origin to send to."""
    base = endpoint.strip().rstrip("/")
    return base.removesuffix("/v4/spreadsheets")


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return "" if value is None else str(value)


def _trim(grid: list[list[str]]) -> Grid:
    out: Grid = []
    for row in grid:
        end = len(row)
        while end and row[end - 1] == "":
            end -= 1
        out.append(row[:end])
    while out and not out[-1]:
        out.pop()
    return out


def _echoed_grid(a1: str) -> tuple[int, int] | None:
    """(rows, columns) of a whole-sheet range as Google echoes it (`'Tab'!A1:Z1000`)."""
    m = _GRID_ECHO.search(a1)
    if m is None or m.group(1) != "A" or m.group(2) != "1":
        return None
    return int(m.group(4)), _column_number(m.group(3))


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - ord("A") + 1)
    return n


def _column_letter(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


def _message(err: APIError) -> str:
    return str(err.error.get("message", ""))


def _reasons(err: APIError) -> set[str]:
    reasons = {str(e.get("reason", "")) for e in err.error.get("errors", []) if isinstance(e, dict)}
    reasons |= {str(d.get("reason", "")) for d in err.error.get("details", []) if isinstance(d, dict)}
    return reasons


def _is_bad_range(err: APIError) -> bool:
    return err.code == 400 and "Unable to parse range" in _message(err)


def _is_beyond_grid(err: APIError) -> bool:
    return err.code == 400 and "exceeds grid limits" in _message(err)


def _is_rate_limit(err: APIError) -> bool:
    # Older Google APIs answer a quota problem with 403 and one of these reasons.
    return err.code == 429 or bool(
        _reasons(err) & {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
    )


def _is_api_disabled(err: APIError) -> bool:
    return "SERVICE_DISABLED" in _reasons(err) or "has not been used in project" in _message(err)


def _retry_after(response: requests.Response | None) -> float:
    value = response.headers.get("Retry-After", "") if response is not None else ""
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0


def _seconds(timeout: float | None) -> str:
    if timeout is None:
        return labels.GSHEETS_WAIT_MAX
    return labels.GSHEETS_WAIT_SECONDS.format(seconds=f"{timeout:g}")
