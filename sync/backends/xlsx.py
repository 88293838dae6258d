"""The local-folder backend (the embedded default): `risposte.csv|xlsx` in, Excel workbooks and open data out.

Folder layout::

    risposte.csv | risposte.xlsx   the Google Forms export (or the responses tab of elenco-interno.xlsx)
    elenco-interno.xlsx            the staff workbook
    elenco-pubblico.xlsx           the public workbook
    elenco-pubblico.html           the public list as a web page, by area (`sync.public_files`)
    elenco-pubblico.pdf            the same, for the act that approves the list
    elenco-pubblico.csv            the public list as open data (`sync.public_list`: `;`, BOM, ISO dates)
    elenco-pubblico.json           the public list as open data (CC BY 4.0)
    datapackage.json               the Frictionless description of the CSV
    .elenco.lock                   held while a sync runs, so two syncs on one machine never overlap

A write re-serialises only the sheets it writes and copies every other part of the file byte for byte
(`sync.backends.xlsx_splice`); openpyxl creates files and tabs. Every file is written atomically (a temp
file in the same folder, fsync, `os.replace`), and never while LibreOffice or Excel has it open. Cells are always written as literal text: a value starting with `=` is
a string, never a formula.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import queue
import re
import secrets
import stat
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import filelock
import python_calamine
from openpyxl import Workbook as XlWorkbook
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from sync import labels
from sync.backends.base import (
    Grid,
    Guard,
    RangeWrite,
    RowDelete,
    RowInsert,
    Snapshot,
    TabSpec,
    Workbook,
    Write,
    apply_writes,
)
from sync.backends.xlsx_splice import (
    FILTER_BUTTON,
    LINE_HEIGHT,
    MAX_WIDTH,
    ROW_HEIGHT_MAX,
    WIDTH_SAMPLE_ROWS,
    SheetEdit,
    Unsupported,
    moved_row,
    splice,
    wrapped_lines,
)
from sync.batch import collector_paused
from sync.cells import XLSX_FORMATS, canonical_text, kind_of, typed_value
from sync.errors import ConfigError, LockedError, TransientError
from sync.public_diff import row_diff
from sync.public_list import DATAPACKAGE_NAME, FORMULA_PREFIXES, HTML_NAME, PDF_NAME
from sync.public_list import neutralise as neutralise  # re-exported: what the CSV does to a formula

RESPONSES_CSV = "risposte.csv"
RESPONSES_XLSX = "risposte.xlsx"
STAFF_FILE = "elenco-interno.xlsx"
PUBLIC_FILE = "elenco-pubblico.xlsx"
PUBLIC_CSV = "elenco-pubblico.csv"
PUBLIC_JSON = "elenco-pubblico.json"
# every file `publish` may write beside the public workbook (checked for LibreOffice locks before a sync writes)
PUBLIC_FILES = (PUBLIC_CSV, PUBLIC_JSON, HTML_NAME, PDF_NAME, DATAPACKAGE_NAME)
LOCK_FILE = ".elenco.lock"
TEMP_PREFIX, TEMP_SUFFIX = ".elenco-", ".tmp"  # an atomic write's temp file: `.elenco-<16 hex>.tmp`

# Excel refuses sheet titles longer than this (Google Sheets allows 100).
MAX_TITLE = 31
# Dropdowns cover this many rows below the header; staff rarely type more decisions than this.
DROPDOWN_ROWS = 2000
# An inline list validation ("A,B,C") may not exceed 255 characters; longer lists go to a hidden tab.
INLINE_LIST_MAX = 255
LISTS_TAB = labels.XLSX_LISTS_TAB
# A long essay answer is legal (a Google cell holds 50,000 characters); the csv default is 128 KiB.
_CSV_FIELD_LIMIT = 1 << 26
_TEXT_FORMAT = "@"
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
# Column widths fit the content up to MAX_WIDTH, then wrap; row heights, the filter button, the rows sampled to
# fit widths: `xlsx_splice`, the fast write path, which owns these figures.
PAPER_A4 = 9  # openpyxl: PAPERSIZE_A4
_ZERO_PADDED = re.compile(r"0+")
_TIMESTAMP_HEADER = re.compile("|".join(labels.XLSX_TIMESTAMP_HEADERS), re.IGNORECASE)
_STAMP_START = re.compile(r'\s*"?(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})')

# Italian messages for people: sync/labels.py (the exact texts are asserted by the tests).
MSG_LOCKED = labels.XLSX_MSG_LOCKED
MSG_OWNER = labels.XLSX_MSG_OWNER
OWNER_BY = labels.XLSX_OWNER_BY
OWNER_PERSON = labels.XLSX_OWNER_PERSON
OWNER_HOST = labels.XLSX_OWNER_HOST
OWNER_SINCE = labels.XLSX_OWNER_SINCE
MSG_BUSY = labels.XLSX_MSG_BUSY
MSG_NO_FOLDER = labels.XLSX_MSG_NO_FOLDER
MSG_NOT_WRITABLE = labels.XLSX_MSG_NOT_WRITABLE
MSG_NOT_XLSX = labels.XLSX_MSG_NOT_XLSX
MSG_XLSX_AS_CSV = labels.XLSX_MSG_XLSX_AS_CSV
MSG_XLS_AS_CSV = labels.XLSX_MSG_XLS_AS_CSV
MSG_EMPTY = labels.XLSX_MSG_EMPTY
MSG_NO_RESPONSES = labels.XLSX_MSG_NO_RESPONSES
MSG_BOTH_RESPONSES = labels.XLSX_MSG_BOTH_RESPONSES
MSG_CSV_BROKEN = labels.XLSX_MSG_CSV_BROKEN
MSG_CSV_WIDTH = labels.XLSX_MSG_CSV_WIDTH
MSG_CSV_SWALLOWED = labels.XLSX_MSG_CSV_SWALLOWED
MSG_TAB_NAME = labels.XLSX_MSG_TAB_NAME
MSG_TAB_CLASH = labels.XLSX_MSG_TAB_CLASH
ACTION_FILE = labels.XLSX_ACTION_FILE
ACTION_TAB = labels.XLSX_ACTION_TAB
ACTION_HEADER = labels.XLSX_ACTION_HEADER

# What a file that is not a valid xlsx makes openpyxl raise (a zip error, a missing part, bad XML).
_LOAD_ERRORS = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    SyntaxError,
    EOFError,
    zlib.error,
)


# What python-calamine raises on a file that is not a readable xlsx.
_CALAMINE_ERRORS = (python_calamine.CalamineError, OSError, ValueError)


class XlsxStore:
    """The workbooks as files in a local folder; see the module docstring for the layout.

    Read with python-calamine; written by splicing the written sheets' XML into the file (`xlsx_splice`),
    with openpyxl where that does not apply (a new file, a new tab, a file of an unusual shape).
    """

    name = "xlsx"
    guards_public = False
    free_row_moves = True

    def __init__(
        self, folder: Path, responses_tab: str = labels.XLSX_RESPONSES_TAB, *, lock_timeout_s: float = 120.0
    ) -> None:
        self.folder = Path(folder)
        self.responses_tab = responses_tab
        self.lock_timeout_s = lock_timeout_s
        self.files_written = 0
        # One lock object per store: it is re-entrant in a thread, so write() inside sync_lock() does not
        # deadlock, while another thread or process waits for it.
        self._lock = filelock.FileLock(str(self.folder / LOCK_FILE))
        # What read() found in the staff workbook (by sheet title), with the file's stat then: a write to the
        # file still as it was read reuses it instead of reading it again.
        self._seen: dict[Path, tuple[tuple[int, int, int], dict[str, Grid]]] = {}

    # -- paths and locks -------------------------------------------------------------------------------------

    def paths(self) -> dict[str, Path]:
        """The files of the folder, by role."""
        return {
            "responses_csv": self.folder / RESPONSES_CSV,
            "responses_xlsx": self.folder / RESPONSES_XLSX,
            "staff": self.folder / STAFF_FILE,
            "public": self.folder / PUBLIC_FILE,
            "public_csv": self.folder / PUBLIC_CSV,
            "public_json": self.folder / PUBLIC_JSON,
            "lock": self.folder / LOCK_FILE,
        }

    @property
    def requests(self) -> int:
        """API requests made so far: always 0, these are local files."""
        return 0

    def check_writable(self, workbooks: Iterable[Workbook]) -> None:
        """Raise LockedError if any file these workbooks' sync writes is open in LibreOffice or Excel."""
        self._require_folder()
        for workbook in workbooks:
            for path in self._files_of(workbook):
                self._check_not_open(path)

    @contextlib.contextmanager
    def sync_lock(self, timeout_s: float | None = None) -> Iterator[None]:
        """Hold the folder's lock for a whole sync: two syncs on one machine never overlap."""
        self._require_folder()
        with self._locked(self.lock_timeout_s if timeout_s is None else timeout_s):
            self._remove_stale_temp_files()
            yield

    # -- read ------------------------------------------------------------------------------------------------

    # Reading and writing a workbook are batches (`sync.batch`): the collector's full scans of what they make
    # (20,000 organisations: a second of each) find nothing to free. Not the whole sync: on Google it waits
    # on the network, and a long-lived webhook process should not go without collections meanwhile.
    @collector_paused()
    def read(self, specs: Sequence[TabSpec]) -> Snapshot:
        """Read the responses and every tab of the staff workbook, as text."""
        self._require_folder()
        paths = self.paths()
        tabs: dict[str, Grid] = {}
        hidden: set[str] = set()
        if paths["staff"].exists():
            kinds = {sheet: s.kinds for s in specs if s.kinds for sheet in [excel_title(s.title)]}
            seen = _stat_key(paths["staff"])
            tabs, hidden = _read_workbook(paths["staff"], kinds)
            self._seen[paths["staff"]] = (seen, dict(tabs))
            # A title too long for Excel is stored cut (see excel_title): report it under its full name.
            for title, sheet in _sheet_titles(specs).items():
                if sheet != title and sheet in tabs and title not in tabs:
                    tabs[title] = tabs.pop(sheet)
                    if sheet in hidden:
                        hidden.discard(sheet)
                        hidden.add(title)
        responses, origin = self._read_responses(tabs)
        return Snapshot(tabs=tabs, responses=responses, responses_origin=origin, hidden=hidden)

    def _read_responses(self, staff_tabs: dict[str, Grid]) -> tuple[Grid, str]:
        csv_path, xlsx_path = self.folder / RESPONSES_CSV, self.folder / RESPONSES_XLSX
        if csv_path.exists() and xlsx_path.exists():
            raise ConfigError(MSG_BOTH_RESPONSES.format(folder=self.folder))
        if csv_path.exists():
            return read_responses_csv(csv_path), RESPONSES_CSV
        if xlsx_path.exists():
            return read_responses_xlsx(xlsx_path, self.responses_tab), RESPONSES_XLSX
        if self.responses_tab in staff_tabs:
            # The staff workbook's tab was read with Italian dates; re-read it the way responses are read.
            return read_responses_xlsx(self.folder / STAFF_FILE, self.responses_tab), self.responses_tab
        raise ConfigError(MSG_NO_RESPONSES.format(folder=self.folder, tab=self.responses_tab))

    # -- ensure ----------------------------------------------------------------------------------------------

    def ensure(
        self, workbook: Workbook, specs: Sequence[TabSpec], *, dry_run: bool = False, write_next: bool = False
    ) -> list[str]:
        """Create the file and missing tabs (header, seed rows, dropdown, frozen rows); return what was done.

        Existing tabs are never rewritten, except an empty header row, which gets the header.
        """
        self._require_folder()
        sheets = _sheet_titles(specs)
        path = self._workbook_path(workbook)
        actions: list[str] = []
        # Load under the lock: another sync saving between this load and the save below would be lost.
        with contextlib.nullcontext() if dry_run else self._locked(self.lock_timeout_s):
            if path.exists():
                wb = _load_for_edit(path)
            else:
                actions.append(ACTION_FILE.format(name=path.name))
                wb = _new_workbook()
            for spec in specs:
                sheet = sheets[spec.title]
                if sheet not in wb.sheetnames:
                    actions.append(ACTION_TAB.format(title=sheet))
                    _create_tab(wb, spec, sheet)
                elif spec.header and _row_is_empty(wb[sheet], 1):
                    actions.append(ACTION_HEADER.format(title=sheet))
                    _write_header(wb[sheet], spec.header)
            if actions and not dry_run:
                self._check_not_open(path)
                self._save(wb, path)
        return actions

    # -- write -----------------------------------------------------------------------------------------------

    @collector_paused()
    def write(
        self,
        workbook: Workbook,
        writes: Sequence[Write],
        specs: Sequence[TabSpec],
        *,
        guard: Guard | None = None,
    ) -> int:
        """Apply the writes (literal text cells; rows inserted and deleted) to the file as it is on disk now, in
        order; return cells written."""
        if guard is not None:
            raise ValueError("the xlsx backend rewrites public tabs whole: no guard")
        cells = sum(w.cells for w in writes)
        if cells == 0 and all(isinstance(w, RangeWrite) for w in writes):
            return 0
        self._require_folder()
        path = self._workbook_path(workbook)
        self._check_not_open(path)
        by_title = {s.title: s for s in specs}
        sheets = _sheet_titles([*specs, *(TabSpec(w.tab, ()) for w in writes if w.tab not in by_title)])
        with self._locked(self.lock_timeout_s):
            # Re-open from disk, never from the read: a person may have saved edits since, and only the
            # cells in `writes` may change.
            if path.exists():
                spliced = self._spliced(path, writes, by_title, sheets)
                if spliced is not None:
                    data, cells = spliced
                    self._atomic_write(path, _writer_of(data))
                    return cells
            wb = _load_for_edit(path) if path.exists() else _new_workbook()
            touched: dict[str, TabSpec] = {}
            for w in writes:
                sheet = sheets[w.tab]
                spec = by_title.get(w.tab, TabSpec(title=w.tab, header=()))
                if sheet not in wb.sheetnames:
                    _create_tab(wb, spec, sheet)
                touched[sheet] = spec
                _write_openpyxl(wb[sheet], w, spec)
            for sheet, spec in touched.items():
                if spec.listing and spec.owner != "staff" and not spec.hidden:
                    _dress(wb[sheet], spec)
            self._save(wb, path)
        return cells

    def _spliced(
        self, path: Path, writes: Sequence[Write], by_title: Mapping[str, TabSpec], sheets: Mapping[str, str]
    ) -> tuple[bytes, int] | None:
        """The file with the writes spliced into its sheets' XML (`xlsx_splice`) and the cells that writes
        (fewer than asked where rows move instead of being rewritten), or None: use openpyxl."""
        key = _stat_key(path)
        data = path.read_bytes()
        cells: dict[str, dict[int, dict[int, str]]] = {}
        moves: dict[str, list[RowInsert | RowDelete]] = {}
        spec_of: dict[str, TabSpec] = {}
        by_sheet: dict[str, list[Write]] = {}
        for w in writes:
            sheet = sheets[w.tab]
            spec_of[sheet] = by_title.get(w.tab, TabSpec(title=w.tab, header=()))
            by_sheet.setdefault(sheet, []).append(w)
        for sheet, sheet_writes in by_sheet.items():
            cells[sheet], moves[sheet] = _cells_and_moves(sheet_writes)
        dressed = {
            s for s, spec in spec_of.items() if spec.listing and spec.owner != "staff" and not spec.hidden
        }
        grids: dict[str, Grid] = {}
        if dressed:
            seen = self._seen.get(path)
            if seen is not None and seen[0] == key and dressed <= set(seen[1]):
                grids = seen[1]
            else:
                try:
                    grids = _read_workbook(path, {s: spec_of[s].kinds for s in dressed})[0]
                except ConfigError:
                    return None
        # A machine tab whose rows shift (a name sorted in) moves its rows instead of rewriting them all.
        shifted = {
            sheet: found
            for sheet in sorted(dressed)
            if spec_of[sheet].owner == "machine"
            and not moves[sheet]
            and sheet in grids
            and (found := rows_moved(grids[sheet], cells[sheet])) is not None
        }

        def edits(alternatives: Mapping[str, tuple[Cells, list[RowInsert | RowDelete]]]) -> list[SheetEdit]:
            out = []
            for sheet in cells:
                rows, sheet_moves = alternatives.get(sheet, (cells[sheet], moves[sheet]))
                grid = _applied(grids.get(sheet, []), rows, sheet_moves) if sheet in dressed else None
                out.append(SheetEdit(sheet, spec_of[sheet], rows, grid, tuple(sheet_moves)))
            return out

        for alternatives in [shifted, {}] if shifted else [{}]:
            try:
                made = edits(alternatives)
                return splice(data, made), sum(len(row) for e in made for row in e.cells.values())
            except Unsupported:
                continue  # rows that cannot move (a formula, a rule, a note below the header): write them
        return None

    # -- publish ---------------------------------------------------------------------------------------------

    def publish(self, files: Mapping[str, bytes]) -> list[str]:
        """Write the public files (`sync.public_files`) beside the workbook, atomically, only those changed."""
        self._require_folder()
        unknown = sorted(set(files) - set(PUBLIC_FILES))
        if unknown:
            raise ValueError(f"not a public file: {unknown}")  # a bug, not a data problem
        outputs = {self.folder / name: data for name, data in files.items()}
        changed = {p: data for p, data in outputs.items() if not p.exists() or p.read_bytes() != data}
        if not changed:
            return []
        for path in changed:
            self._check_not_open(path)
        with self._locked(self.lock_timeout_s):
            for path, data in changed.items():
                self._atomic_write(path, _writer_of(data))
        return [str(p) for p in changed]

    # -- internals -------------------------------------------------------------------------------------------

    def _workbook_path(self, workbook: Workbook) -> Path:
        return self.folder / (STAFF_FILE if workbook == "staff" else PUBLIC_FILE)

    def _files_of(self, workbook: Workbook) -> list[Path]:
        if workbook == "staff":
            return [self.folder / STAFF_FILE]
        return [self.folder / PUBLIC_FILE, *(self.folder / name for name in PUBLIC_FILES)]

    def _require_folder(self) -> None:
        if not self.folder.is_dir():
            raise ConfigError(MSG_NO_FOLDER.format(folder=self.folder))

    def _check_not_open(self, path: Path) -> None:
        for owner in _owner_files(path):
            try:
                data, mtime = owner.read_bytes()[:4096], owner.stat().st_mtime
            except FileNotFoundError:
                continue
            except OSError:  # present but unreadable (another user's file): still a lock, described by name
                data, mtime = b"", None
            since = datetime.fromtimestamp(mtime) if mtime is not None else None
            detail = describe_owner_file(owner.name, data, since)
            raise LockedError(
                MSG_LOCKED.format(name=path.name)
                + MSG_OWNER.format(owner=owner.name, folder=self.folder, who=detail)
            )

    @contextlib.contextmanager
    def _locked(self, timeout_s: float) -> Iterator[None]:
        try:
            self._lock.acquire(timeout=timeout_s)
        except filelock.Timeout:
            raise TransientError(MSG_BUSY.format(folder=self.folder)) from None
        try:
            yield
        finally:
            self._lock.release()

    def _remove_stale_temp_files(self) -> None:
        # A writer killed mid-save (power cut, SIGKILL) leaves its temp file behind; under the folder's lock no
        # other sync is writing one, so any left is stale.
        for tmp in self.folder.glob(f"{TEMP_PREFIX}{'?' * 16}{TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                tmp.unlink()

    def _save(self, wb: Any, path: Path) -> None:
        _keep_one_sheet_visible(wb)
        self._atomic_write(path, wb.save)

    def _atomic_write(self, path: Path, dump: Callable[[Any], object]) -> None:
        """Write through a temp file in the same folder, fsync it, and rename it onto `path`."""
        tmp = self.folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"
        try:
            # Not mkstemp: its 0600 mode would replace the file's own; 0666 minus the umask, like any new
            # file, or the mode the file already has (a folder shared with colleagues stays readable).
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except PermissionError:
            raise ConfigError(MSG_NOT_WRITABLE.format(folder=self.folder)) from None
        try:
            with contextlib.suppress(FileNotFoundError):
                os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
            with os.fdopen(fd, "wb") as f:
                dump(f)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.replace(tmp, path)
            except PermissionError:
                # On Windows a file open in Excel cannot be replaced, even without its owner file.
                raise LockedError(MSG_LOCKED.format(name=path.name)) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.folder)
        self.files_written += 1


# -- reading ------------------------------------------------------------------------------------------------


def read_responses_csv(path: Path) -> Grid:
    """A Google Forms CSV export as a grid of text; a broken or empty file is a ConfigError."""
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise ConfigError(MSG_XLSX_AS_CSV.format(name=path.name, xlsx=path.with_suffix(".xlsx").name))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ConfigError(MSG_XLS_AS_CSV.format(name=path.name))
    text = _decode(data)
    if not text.strip():
        raise ConfigError(MSG_EMPTY.format(name=path.name))
    delimiter = _sniff_delimiter(text)
    rows, starts = _parse_csv(text, delimiter, path.name)
    _check_shape(rows, starts, delimiter, path.name)
    grid = _trim([_trim_row(r) for r in rows])
    if not grid:
        raise ConfigError(MSG_EMPTY.format(name=path.name))
    return grid


def read_responses_xlsx(path: Path, responses_tab: str) -> Grid:
    """The responses sheet of an xlsx export (the tab named like the responses tab, else the first)."""
    if path.stat().st_size == 0:
        raise ConfigError(MSG_EMPTY.format(name=path.name))
    with _open_read_only(path) as wb:
        ws = wb[responses_tab] if responses_tab in wb.sheetnames else wb.worksheets[0]
        raw = _sheet_cells(ws, path)
    header = [value for value, _ in raw[0]] if raw else []
    iso_cols = {0} | {i for i, h in enumerate(header) if isinstance(h, str) and _TIMESTAMP_HEADER.search(h)}
    grid = _trim(
        [_trim_row([_cell_text(v, fmt, iso=i in iso_cols) for i, (v, fmt) in enumerate(row)]) for row in raw]
    )
    if not grid:
        raise ConfigError(MSG_EMPTY.format(name=path.name))
    return grid


def _read_workbook(
    path: Path, kinds: Mapping[str, tuple[str, ...]] | None = None
) -> tuple[dict[str, Grid], set[str]]:
    """Every sheet as text; cells of typed columns (`kinds`, by sheet title) read back as canonical text.

    Values are read with python-calamine (about ten times faster than openpyxl on a large workbook).
    Calamine gives no number formats, which matter only for a number in a text column (a code shown
    with a «00000» format keeps its zeros): a sheet holding one is read again with openpyxl.
    """
    kinds = kinds or {}
    hidden: set[str] = set()
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            names = []
            for meta in book.sheets_metadata:
                if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                    continue
                if meta.visible != python_calamine.SheetVisibleEnum.Visible:
                    hidden.add(meta.name)
                names.append(meta.name)
            if path.stat().st_size < PARALLEL_READ_BYTES:
                grids = _calamine_grids(book, names, kinds)
            else:
                grids = _read_in_parallel(path, book, names, kinds)
        finally:
            book.close()
    except _CALAMINE_ERRORS:
        raise ConfigError(MSG_NOT_XLSX.format(name=path.name)) from None
    tabs = {name: grids[name] or [] for name in names}  # in the workbook's order; re-read below when None
    with_formats = [name for name in names if grids[name] is None]
    if with_formats:
        with _open_read_only(path) as wb:
            for title in with_formats:
                tabs[title] = _formatted_grid(_sheet_cells(wb[title], path), kinds.get(title, ()))
    return tabs, hidden


_ONLY_TEXT = frozenset({str})
# A workbook this large (a few thousand organisations) is read on two threads: python-calamine parses a
# sheet without holding the GIL, so one thread parses while the other turns cells into text.
PARALLEL_READ_BYTES = 2_000_000
READ_THREADS = 2


def _calamine_grids(
    book: Any, names: Iterable[str], kinds: Mapping[str, tuple[str, ...]]
) -> dict[str, Grid | None]:
    return {
        name: _calamine_grid(book.get_sheet_by_name(name).to_python(skip_empty_area=False), kinds.get(name, ()))
        for name in names
    }


def _read_in_parallel(
    path: Path, book: Any, names: Sequence[str], kinds: Mapping[str, tuple[str, ...]]
) -> dict[str, Grid | None]:
    """`_calamine_grids` of every sheet, each thread with a workbook of its own taking the next sheet."""
    todo = queue.SimpleQueue[str]()
    for name in names:
        todo.put(name)

    def work(own: Any) -> dict[str, Grid | None]:
        out: dict[str, Grid | None] = {}
        try:
            while True:
                try:
                    name = todo.get_nowait()
                except queue.Empty:
                    return out
                out.update(_calamine_grids(own, [name], kinds))
        finally:
            if own is not book:
                own.close()

    with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="elenco-lettura") as pool:
        others = [pool.submit(work, python_calamine.CalamineWorkbook.from_path(str(path)))
                  for _ in range(READ_THREADS - 1)]
        grids = work(book)
        for other in others:
            grids.update(other.result())
    return grids


def _calamine_grid(rows: Sequence[Sequence[object]], kinds: tuple[str, ...]) -> Grid | None:
    """A sheet's values as text, or None when a number sits in a text column (its format decides)."""
    out: list[list[str]] = []
    for r, row in enumerate(rows):
        if set(map(type, row)) <= _ONLY_TEXT:  # most rows: every cell text as stored (one check in C)
            out.append(_trim_row(cast(Sequence[str], row)))
            continue
        cells: list[str] = []
        for c, value in enumerate(row):
            if value.__class__ is str:  # most cells: text as stored
                cells.append(value)
                continue
            kind = kind_of(kinds, c) if r else "text"
            if kind == "text" and isinstance(value, int | float) and not isinstance(value, bool):
                return None
            cells.append(_typed_text(value, None, kind))
        out.append(_trim_row(cells))
    return _trim(out)


def _formatted_grid(rows: list[list[tuple[object, str | None]]], kinds: tuple[str, ...]) -> Grid:
    return _trim(
        [
            _trim_row(
                [_typed_text(v, fmt, kind_of(kinds, c) if r else "text") for c, (v, fmt) in enumerate(row)]
            )
            for r, row in enumerate(rows)
        ]
    )


def _typed_text(value: object, number_format: str | None, kind: str) -> str:
    if kind != "text" and not isinstance(value, str):
        text = canonical_text(kind, value)
        if text is not None:
            return text
    return _cell_text(value, number_format)


@contextlib.contextmanager
def _open_read_only(path: Path) -> Iterator[Any]:
    # Cached values (data_only): a formula a person typed is read as what it shows.
    with warnings.catch_warnings():
        # openpyxl warns about parts it does not read (extensions, missing styles); the cells are intact.
        # In read-only mode the sheets are parsed while iterating, so the filter spans the whole read.
        warnings.simplefilter("ignore", UserWarning)
        # our own handle: openpyxl leaves its file open when the workbook fails to load
        with path.open("rb") as handle:
            try:
                wb = load_workbook(handle, read_only=True, data_only=True)
            except _LOAD_ERRORS:
                raise ConfigError(MSG_NOT_XLSX.format(name=path.name)) from None
            try:
                yield wb
            finally:
                wb.close()


def _sheet_cells(ws: Any, path: Path) -> list[list[tuple[object, str | None]]]:
    """Every stored row of a read-only sheet as (value, number format) pairs."""
    try:
        ws.reset_dimensions()  # a writer's <dimension> may be wrong: read every stored row
        return [[(c.value, getattr(c, "number_format", None)) for c in row] for row in ws.iter_rows()]
    except _LOAD_ERRORS:
        # the sheet's XML is parsed only now, while iterating
        raise ConfigError(MSG_NOT_XLSX.format(name=path.name)) from None


def _load_for_edit(path: Path) -> Any:
    # Formulas kept as formulas (not data_only): saving must not replace a person's formula by its value.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            # read whole into memory first: openpyxl leaves its file open when the workbook fails to load
            return load_workbook(io.BytesIO(path.read_bytes()))
        except _LOAD_ERRORS:
            raise ConfigError(MSG_NOT_XLSX.format(name=path.name)) from None


def _cell_text(value: object, number_format: str | None = None, *, iso: bool = False) -> str:
    """A cell value as the text a person sees (dates in Italian, or ISO for the form's timestamp)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return labels.XLSX_TRUE if value else labels.XLSX_FALSE
    if isinstance(value, int):
        return _pad(str(value), number_format)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return _pad(str(int(value)), number_format)
        # Never scientific notation: 1.5e-05 → "0.000015"; 15 significant digits like a spreadsheet.
        return format(Decimal(f"{value:.15g}"), "f")
    if isinstance(value, datetime):
        if iso:
            return value.replace(tzinfo=None, microsecond=0).isoformat()
        if value.time() == time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H.%M.%S")
    if isinstance(value, date):
        return value.isoformat() if iso else value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H.%M.%S")
    if isinstance(value, timedelta):
        total = int(value.total_seconds())
        return f"{total // 3600}.{total % 3600 // 60:02d}.{total % 60:02d}"
    return str(value)


def _pad(digits: str, number_format: str | None) -> str:
    # A number shown with a "00000" format (a CAP, a code) keeps the zeros the person sees.
    if number_format and _ZERO_PADDED.fullmatch(number_format) and not digits.startswith("-"):
        return digits.zfill(len(number_format))
    return digits


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows saves "CSV" in the ANSI code page.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _sniff_delimiter(text: str) -> str:
    """`,` or `;` (Excel in an Italian locale) or tab: the most frequent one outside quotes in the header."""
    counts = dict.fromkeys(",;\t", 0)
    quoted = False
    for ch in text[:65536]:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "\r\n":
            break
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse_csv(text: str, delimiter: str, name: str) -> tuple[list[list[str]], list[int]]:
    """Rows, and the file line each row starts on (a quoted field may span lines)."""
    rows: list[list[str]] = []
    starts: list[int] = []
    # The limit is process-wide: only ever raised (never restored), so concurrent reads cannot race on it.
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    last_line = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise ConfigError(MSG_CSV_BROKEN.format(name=name, line=last_line + 1)) from None
        rows.append(row)
        starts.append(last_line + 1)
        last_line = reader.line_num
    return rows, starts


def _check_shape(rows: list[list[str]], starts: list[int], delimiter: str, name: str) -> None:
    """Catch unbalanced quotes that strict parsing lets through: rows of another width, or swallowed rows."""
    if not rows:
        return
    width = len(rows[0])
    bad: list[str] = []
    for row, line in zip(rows[1:], starts[1:], strict=True):
        if not row:
            continue  # a blank line
        extra_empty = len(row) > width and not any(row[width:])
        if len(row) != width and not extra_empty:
            bad.append(labels.XLSX_CSV_BAD_ROW.format(line=line, width=len(row)))
    if bad:
        shown = "; ".join(bad[:5]) + (labels.XLSX_CSV_MORE.format(n=len(bad) - 5) if len(bad) > 5 else "")
        raise ConfigError(MSG_CSV_WIDTH.format(name=name, width=width, rows=shown))
    if width < 3:
        return
    # In a Forms export every response has its timestamp: so does a swallowed one (an answer may well hold
    # a line with many commas).
    stamp = next((i for i, title in enumerate(rows[0]) if _TIMESTAMP_HEADER.search(title)), None)
    for row, line in zip(rows, starts, strict=True):
        for field in row:
            if "\n" not in field and "\r" not in field:
                continue
            # A line inside one field with a full row's worth of delimiters is a swallowed response row.
            swallowed = sum(
                1
                for part in field.splitlines()[1:]
                if part.count(delimiter) >= width - 1
                and (stamp is None or _STAMP_START.match(part.split(delimiter)[stamp]))
            )
            if swallowed:
                count = labels.XLSX_ROWS_ONE if swallowed == 1 else labels.XLSX_ROWS_MANY.format(n=swallowed)
                raise ConfigError(MSG_CSV_SWALLOWED.format(name=name, line=line, count=count))


def _trim_row(row: Sequence[str]) -> list[str]:
    if not row or row[-1] != "":
        return list(row)  # most rows: nothing to trim
    end = len(row)
    while end and row[end - 1] == "":
        end -= 1
    return list(row[:end])


def _trim(grid: list[list[str]]) -> Grid:
    end = len(grid)
    while end and not grid[end - 1]:
        end -= 1
    return grid[:end]


# -- writing ------------------------------------------------------------------------------------------------


def _stat_key(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _applied(
    grid: Grid, cells: Mapping[int, Mapping[int, str]], moves: Sequence[RowInsert | RowDelete] = ()
) -> Grid:
    """`grid` with `moves` made, then the cells written (row → column → text). `grid` is left as it is: the
    rows written are copies, the others shared (a large list writes a few of its thousands)."""
    out = list(grid)
    apply_writes({m.tab: out for m in moves}, moves)
    for r, row in cells.items():
        while len(out) <= r:
            out.append([])
        target = out[r] = list(out[r])
        end = max(row) + 1
        if len(target) < end:
            target.extend([""] * (end - len(target)))
        for c, value in row.items():
            target[c] = value
    return out


Cells = dict[int, dict[int, str]]  # 0-based row -> column -> text


def _cells_and_moves(writes: Iterable[Write]) -> tuple[Cells, list[RowInsert | RowDelete]]:
    """One sheet's writes as the cells written (rows as they are once the moves are made) and the moves."""
    cells: Cells = {}
    moves: list[RowInsert | RowDelete] = []
    for w in writes:
        if isinstance(w, RangeWrite):
            for r, row in enumerate(w.values, start=w.row):
                cells.setdefault(r, {}).update(enumerate(row, start=w.col))
        else:
            # the cells written so far move with their rows (those of a deleted row go with it)
            cells = {m: row for r, row in cells.items() if (m := moved_row(r, [w])) is not None}
            moves.append(w)
    return cells, moves


def rows_moved(current: Grid, cells: Cells) -> tuple[Cells, list[RowInsert | RowDelete]] | None:
    """The same result as writing `cells` over `current`, with rows inserted and deleted instead of the
    rows below rewritten, or None when that is not much smaller or would write another cell.

    A name sorted into a list shifts every row below it: the writes rewrite them all. Matching the rows that
    stay (`sync.public_diff.row_diff`) moves them instead, their XML kept. Only cells the writes own are ever
    written: in a column the writes reach and in a row they write (a row they leave alone may be a person's).
    """
    if not cells:
        return None
    target = _trim([_trim_row(row) for row in _applied(current, cells)])
    found, moves = _cells_and_moves(row_diff("", current, target))
    if not moves or 2 * sum(map(len, found.values())) > sum(map(len, cells.values())):
        return None
    width = 1 + max(c for row in cells.values() for c in row)
    if any(r not in cells or max(row) >= width for r, row in found.items() if row):
        return None
    return found, moves


def _new_workbook() -> Any:
    wb = XlWorkbook()
    wb.remove(wb.active)  # openpyxl's default empty "Sheet"
    return wb


def excel_title(title: str) -> str:
    """The sheet title used in the file: Excel allows 31 characters, so a longer title is cut and ends in "…"."""
    if any(ch in title for ch in "[]*?/\\:") or not title.strip() or title[0] == "'" or title[-1] == "'":
        raise ConfigError(MSG_TAB_NAME.format(title=title))
    if len(title) <= MAX_TITLE:
        return title
    return title[: MAX_TITLE - 1].rstrip(" '") + "…"


def _sheet_titles(specs: Iterable[TabSpec]) -> dict[str, str]:
    """Each spec's title → its sheet title; two titles cut to the same sheet title are a ConfigError."""
    out: dict[str, str] = {}
    owner: dict[str, str] = {}
    for spec in specs:
        sheet = excel_title(spec.title)
        other = owner.setdefault(sheet.casefold(), spec.title)  # Excel titles are case-insensitive
        if other != spec.title:
            raise ConfigError(MSG_TAB_CLASH.format(first=other, second=spec.title, short=sheet))
        out[spec.title] = sheet
    return out


def _create_tab(wb: Any, spec: TabSpec, sheet: str) -> None:
    """A new tab with its presentation: bold frozen header, widths, seed rows, dropdown, note, visibility."""
    ws = wb.create_sheet(sheet)
    _write_header(ws, spec.header)
    for r, row in enumerate(spec.seed, start=2):
        for c, value in enumerate(row):
            _set_cell(ws.cell(row=r, column=c + 1), value, kind_of(spec.kinds, c))
    if spec.frozen_rows or spec.frozen_cols:
        ws.freeze_panes = ws.cell(row=spec.frozen_rows + 1, column=spec.frozen_cols + 1).coordinate
    for i, width in enumerate(spec.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(
            MAX_WIDTH, max(width, _header_width(spec, i - 1))
        )
    if spec.listing and not spec.hidden:
        _print_setup(ws, spec)
    if spec.dropdown is not None and spec.dropdown.values:
        _add_dropdown(wb, ws, spec)
    if spec.note and spec.header:
        comment = Comment(spec.note, "elenco")
        comment.width, comment.height = 320, 160
        ws.cell(row=1, column=1).comment = comment
    if spec.hidden:
        ws.sheet_state = "hidden"


def _header_width(spec: TabSpec, column: int) -> int:
    """A header is never cut: its text plus the filter button."""
    if column >= len(spec.header):
        return 0
    return len(spec.header[column]) + (FILTER_BUTTON if spec.listing else 1)


def _print_setup(ws: Any, spec: TabSpec, width: int = 0, last_row: int = 1) -> None:
    """A4 landscape, one page wide, header row on every page, tab, page number and print date in the footer."""
    ws.page_setup.paperSize = PAPER_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if spec.header:
        ws.print_title_rows = "1:1"
        if spec.print_columns:
            ws.print_area = f"A1:{get_column_letter(spec.print_columns)}{last_row}"
        if not ws.auto_filter.ref:
            rows = max(last_row, 1 + len(spec.seed))
            ws.auto_filter.ref = f"A1:{get_column_letter(max(width, len(spec.header)))}{rows}"
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.center.text = labels.PRINT_FOOTER_PAGE
    ws.oddFooter.right.text = labels.PRINT_FOOTER_DATE


def _dress(ws: Any, spec: TabSpec) -> None:
    """After a write: filter over every row, widths fitted to the content (capped), long columns wrapped.

    Also types the text cells of typed columns that an older version wrote as text, so a workbook made
    before typed columns converges at its next write. A roster's meeting columns (beyond the spec's header)
    are fitted too; its attendance cells are only measured, never changed.
    """
    header = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1), ())]
    width = max(
        len(spec.header), max((i + 1 for i, v in enumerate(header) if v not in (None, "")), default=0)
    )
    if width == 0:
        return
    titles = [str(header[c]) if c < len(header) and header[c] is not None else "" for c in range(width)]
    floor = [len(t) + FILTER_BUTTON for t in titles]
    longest = list(floor)
    owned = len(spec.header) if spec.owner == "mixed" else width
    last_row = 1
    for r, row in enumerate(ws.iter_rows(min_row=2, max_col=width), start=2):
        for c, cell in enumerate(row):
            value = cell.value
            if value is None:
                continue
            last_row = r
            if isinstance(value, str):
                kind = kind_of(spec.kinds, c)
                if kind != "text" and c < owned and typed_value(kind, value) is not None:
                    _set_cell(cell, value, kind)
                if r <= WIDTH_SAMPLE_ROWS:
                    longest[c] = max(longest[c], max(len(line) for line in value.split("\n")) + 1)
            elif r <= WIDTH_SAMPLE_ROWS:
                shown = _typed_text(value, cell.number_format, kind_of(spec.kinds, c))
                longest[c] = max(longest[c], len(shown) + 1)
    # Only down to the last row holding a value: a public tab is padded with blank rows when it shrinks.
    ws.auto_filter.ref = f"A1:{get_column_letter(width)}{last_row}"
    _print_setup(ws, spec, width, last_row)
    for c in range(width):
        ws.column_dimensions[get_column_letter(c + 1)].width = min(MAX_WIDTH, max(longest[c], floor[c]))
        if longest[c] > MAX_WIDTH and c < owned:
            for (cell,) in ws.iter_rows(min_row=2, min_col=c + 1, max_col=c + 1):
                if cell.value is not None:
                    cell.alignment = _WRAP
    _fit_row_heights(ws, [c for c in range(min(width, owned)) if longest[c] > MAX_WIDTH], last_row, width)


def _fit_row_heights(ws: Any, wrapped: Sequence[int], last_row: int, width: int) -> None:
    """Rows holding wrapped text are as tall as their longest cell, so they print readably (neither
    LibreOffice nor Excel grows a row of a file it opens); other rows keep the default height."""
    if not wrapped:
        return
    widths = {c: ws.column_dimensions[get_column_letter(c + 1)].width or MAX_WIDTH for c in wrapped}
    for r, row in enumerate(ws.iter_rows(min_row=2, max_row=last_row, max_col=width), start=2):
        lines = 1
        for c in widths:
            value = row[c].value
            if isinstance(value, str):
                lines = max(lines, wrapped_lines(value, widths[c]))
        ws.row_dimensions[r].height = min(ROW_HEIGHT_MAX, LINE_HEIGHT * lines + 2) if lines > 1 else None
        if lines > 1:  # the other cells of a tall row start at its top, beside the wrapped text
            for cell in row:
                if (
                    cell.value is not None
                    and not cell.alignment.wrap_text
                    and cell.alignment.vertical != "top"
                ):
                    cell.alignment = _TOP


def _write_header(ws: Any, header: Sequence[str]) -> None:
    for c, value in enumerate(header, start=1):
        cell = ws.cell(row=1, column=c)
        _set_text(cell, value)
        cell.font = _BOLD


def _add_dropdown(wb: Any, ws: Any, spec: TabSpec) -> None:
    assert spec.dropdown is not None
    values = spec.dropdown.values
    inline = ",".join(v.replace('"', '""') for v in values)
    if len(inline) + 2 <= INLINE_LIST_MAX and not any("," in v for v in values):
        formula = f'"{inline}"'
    else:
        # Too long (or with commas) for an inline list: keep the values in a hidden tab, one column per list.
        lists = wb[LISTS_TAB] if LISTS_TAB in wb.sheetnames else wb.create_sheet(LISTS_TAB)
        lists.sheet_state = "hidden"
        col = (lists.max_column + 1) if lists.max_row > 1 or lists.cell(1, 1).value is not None else 1
        for r, value in enumerate(values, start=1):
            _set_text(lists.cell(row=r, column=col), value)
        letter = get_column_letter(col)
        formula = f"{quote_sheetname(LISTS_TAB)}!${letter}$1:${letter}${len(values)}"
    validation = DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",  # a warning, not a stop: an unknown verb is reported in Anomalie anyway
        errorTitle=labels.XLSX_DROPDOWN_ERROR_TITLE,
        error=labels.XLSX_DROPDOWN_ERROR,
    )
    letter = get_column_letter(spec.dropdown.column + 1)
    validation.add(f"{letter}2:{letter}{DROPDOWN_ROWS}")
    ws.add_data_validation(validation)


def _write_openpyxl(ws: Any, write: Write, spec: TabSpec) -> None:
    """One write into an openpyxl sheet: rows inserted or deleted, or literal text cells (bold in the header)."""
    if isinstance(write, RowInsert):
        if write.at < ws.max_row:  # as `apply_writes`: rows inserted below the last change nothing
            ws.insert_rows(write.at + 1, write.count)
        return
    if isinstance(write, RowDelete):
        ws.delete_rows(write.at + 1, write.count)
        return
    for r, row in enumerate(write.values):
        for c, value in enumerate(row):
            cell = ws.cell(row=write.row + r + 1, column=write.col + c + 1)
            if write.row + r == 0:
                _set_text(cell, value)
                if value:
                    cell.font = _BOLD
            else:
                _set_cell(cell, value, kind_of(spec.kinds, write.col + c))


def _set_cell(cell: Any, value: str, kind: str) -> None:
    """A cell of a typed column: a real date or number with its format when the text reads as one."""
    typed = typed_value(kind, value) if kind != "text" else None
    if typed is None:
        _set_text(cell, value)
        return
    cell.value = typed
    cell.number_format = XLSX_FORMATS[kind]
    cell.quotePrefix = False


def _set_text(cell: Any, value: str) -> None:
    """Store a literal text cell: never a formula, never a number, whatever the value looks like."""
    if value == "":
        cell.value = None
        return
    # Control characters are not allowed in the XML of a sheet (openpyxl would refuse the value), and XML
    # reads a carriage return back as a line feed: store what a read will return.
    text = ILLEGAL_CHARACTERS_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    # Only spaces or line breaks: openpyxl writes them without xml:space="preserve", so readers see a
    # blank cell (as a person does): store it blank.
    if not text.strip():
        cell.value = None
        return
    cell.value = text
    cell.data_type = "s"  # openpyxl infers a formula from a leading "="; a string cell is written as text
    cell.number_format = _TEXT_FORMAT
    if text.startswith(FORMULA_PREFIXES):
        # Excel keeps it text even when a person re-edits the cell (the hidden apostrophe).
        cell.quotePrefix = True


def _row_is_empty(ws: Any, row: int) -> bool:
    return all(c.value in (None, "") for c in next(ws.iter_rows(min_row=row, max_row=row), ()))


def _keep_one_sheet_visible(wb: Any) -> None:
    # Excel cannot open a workbook whose sheets are all hidden, nor one whose active sheet is hidden.
    visible = [i for i, ws in enumerate(wb.worksheets) if ws.sheet_state == "visible"]
    if not visible and wb.worksheets:
        wb.worksheets[0].sheet_state = "visible"
        visible = [0]
    if visible and wb.active is not None and wb.active.sheet_state != "visible":
        wb.active = visible[0]
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws is wb.active


def _owner_files(path: Path) -> list[Path]:
    # LibreOffice: ".~lock.<name>#"; Excel: "~$<name>" (and Word-style "~$" + name[2:], to be safe).
    return [
        path.with_name(f".~lock.{path.name}#"),
        path.with_name(f"~${path.name}"),
        path.with_name(f"~${path.name[2:]}"),
    ]


def _lock_fields(text: str) -> list[str]:
    """The comma-separated fields of a LibreOffice lock line; `\\` escapes `,` `;` and itself."""
    fields, current, escaped = [], [], False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",;":
            fields.append("".join(current).strip())
            current = []
            if ch == ";":
                break
        else:
            current.append(ch)
    else:
        fields.append("".join(current).strip())
    return fields


def describe_owner_file(name: str, data: bytes, modified: datetime | None) -> str:
    """Who holds a lock file, on which computer, since when: what its content (or its date) says."""
    person = host = day = hour = ""
    if name.startswith(".~lock."):
        # LibreOffice: "full name,system user,computer,dd.mm.yyyy hh:mm,profile URL;"
        fields = [*_lock_fields(data.decode("utf-8", "replace")), "", "", "", ""]
        full, user, host, stamp = (clean_owner(f) for f in fields[:4])
        person = OWNER_PERSON.format(name=full, user=user) if full and user and full != user else full or user
        m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4}) (\d{1,2}):(\d{2})", stamp)
        if m:
            day, hour = f"{int(m[1]):02d}/{int(m[2]):02d}/{m[3]}", f"{int(m[4]):02d}:{m[5]}"
    elif data:
        # Excel's owner file: a length byte, then the user name in the ANSI code page
        size = data[0]
        if 0 < size < len(data):
            person = clean_owner(data[1 : 1 + size].decode("cp1252", "replace"))
    if not day and modified is not None:
        day, hour = modified.strftime("%d/%m/%Y"), modified.strftime("%H:%M")
    return (
        (OWNER_BY.format(person=person) if person else "")
        + (OWNER_HOST.format(host=host) if host else "")
        + (OWNER_SINCE.format(day=day, hour=hour) if day else "")
    )


def clean_owner(text: str) -> str:
    """A name read from a lock file, safe to show: printable characters only, at most 80."""
    return "".join(ch for ch in text if ch.isprintable()).strip()[:80]


def _writer_of(data: bytes) -> Callable[[Any], object]:
    def dump(f: Any) -> object:
        return f.write(data)

    return dump


def _fsync_dir(folder: Path) -> None:
    # The rename itself is durable only once the directory entry is flushed (POSIX; a no-op on Windows).
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
