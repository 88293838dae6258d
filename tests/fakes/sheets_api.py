"""A stateful, in-process fake of the Google Sheets API v4 (plus the few Drive v3 calls gspread makes).

The fake is a WSGI application served by a real werkzeug HTTP server on ``127.0.0.1`` (free port,
background thread), so gspread 6.x talks to it over real HTTP, unpatched::

    with SheetsFake() as fake:                      # or fake = SheetsFake().start(); ...; fake.stop()
        sid = fake.create_spreadsheet("Elenco", {"Enti": [["Nome", "CF"], ["Alfa", "007"]]})
        gc = gspread.Client(auth=None, session=fake.session())   # or fake.client()
        ws = gc.open_by_key(sid).worksheet("Enti")
        assert ws.get_all_values() == [["Nome", "CF"], ["Alfa", "007"]]

Reaching the fake
    ``fake.session()`` is a ``requests.Session`` whose ``GoogleRedirectAdapter`` sends
    ``https://sheets.googleapis.com`` and ``https://www.googleapis.com`` to the fake (closed by
    ``stop()``); ``fake.client(http_client=None)`` wraps it in a ``gspread.Client``. Code that takes an
    endpoint can use ``fake.base_url`` / ``fake.sheets_url`` (``http://127.0.0.1:PORT/v4/spreadsheets``).

Endpoints
    ``spreadsheets.get`` (``fields`` masks honoured, no grid data), ``spreadsheets.create``,
    ``spreadsheets.batchUpdate`` (addSheet, deleteSheet, duplicateSheet, updateSheetProperties,
    updateSpreadsheetProperties, appendDimension, insertDimension, deleteDimension,
    updateDimensionProperties, autoResizeDimensions, addProtectedRange, updateProtectedRange,
    deleteProtectedRange, setDataValidation, mergeCells, unmergeCells, setBasicFilter,
    clearBasicFilter, repeatCell (``numberFormat`` stored and rendered in FORMATTED_VALUE, other cell
    formats stored for inspection), and - accepted, range-checked, not rendered - updateBorders,
    addConditionalFormatRule), ``values.get/update/append/clear/batchGet/batchUpdate/batchClear``
    and Drive ``files.create/get/list/delete``. Other Sheets requests answer 501 UNIMPLEMENTED.

State helpers (no HTTP, not counted)
    ``create_spreadsheet``, ``add_sheet``, ``delete_spreadsheet``, ``forbid``, ``values``,
    ``set_values`` (a person typing: USER_ENTERED), ``raw_cell``, ``sheet_titles``, ``metadata``,
    ``sheet_properties``, ``protected_ranges``, ``data_validations``, ``validation_at``,
    ``dimension_properties``, ``merges``, ``applied_requests``, ``spreadsheet_ids``.

Instrumentation
    ``requests`` (``RequestRecord(method, kind, path)`` per request), ``log`` (``LoggedRequest`` with
    number, query, body, status, fault), ``count(kind=None, method=None)`` (kind: an endpoint kind such
    as "values.update", a family such as "values" or "drive", or "read"/"write"), ``reset_counts()``,
    ``latency`` (seconds added to every answer), ``schedule_faults({n: fault})`` (n-th request, 1-based),
    ``fail_next(kind=None, fault=503, times=1)``, ``clear_faults()``, ``timeout_delay``,
    ``quota_per_minute`` (None = off; else per user and per read/write bucket, rolling 60 s, measured
    with ``clock``), ``errors`` (exceptions raised inside the fake: should stay empty).
    A fault is ``Fault(kind, applied=False, delay=None)`` or a shorthand: ``429``, ``500``, ``503``,
    ``"timeout"``, ``"drop"``, ``("503", True)``. ``applied=True`` commits the request, then fails the
    answer (a write whose response was lost). "timeout" holds the answer ``delay``/``timeout_delay``
    seconds (then 504 if not applied); "drop" closes the connection without an answer.

What is modelled, checked against real recordings (``tests/data/cassettes``): trimming of trailing empty
cells and rows, absent ``values`` for empty ranges, echoed ranges in A1 with sheet names quoted only
when needed, whole-grid echo for bare sheet names and open ranges, ``RAW`` vs ``USER_ENTERED``,
``FORMATTED_VALUE``/``UNFORMATTED_VALUE``/``FORMULA``, ``ROWS``/``COLUMNS``, update counts that skip
nulls, Google's error bodies, atomic batches and append's table detection.

Deliberate simplifications: formulas are evaluated only when they are plain arithmetic (``=3/2``),
any other formula renders as its own text; numbers render with Python ``str`` (no locale formatting)
unless a ``repeatCell`` gave their cell a ``numberFormat`` pattern (date/time tokens ``d dd mm yy yyyy h
hh mm ss``, and ``0``/``0.00``); a cell format applies to the rows and columns the grid had when it was set
(rows added later by appendDimension are unformatted) and does not move with inserted or deleted rows;
conditional formats are range-checked but not stored; data validation rules are
stored, never enforced on API writes; named ranges, grid data and Drive copy/export/permissions are
not implemented.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import datetime as dt
import json
import operator
import random
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import unquote

import requests
from requests.adapters import HTTPAdapter
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

__all__ = [
    "DEFAULT_USER_EMAIL",
    "Fault",
    "Formula",
    "GoogleRedirectAdapter",
    "LoggedRequest",
    "RequestRecord",
    "SheetsFake",
    "Shown",
    "column_index",
    "column_letters",
    "quote_sheet_title",
]

SHEETS_ORIGIN = "https://sheets.googleapis.com"
GOOGLEAPIS_ORIGIN = "https://www.googleapis.com"
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
DEFAULT_USER_EMAIL = "elenco-sync@elenco-test.iam.gserviceaccount.com"
PROJECT_NUMBER = "123456789012"

_ROWS, _COLUMNS = "ROWS", "COLUMNS"
_FORMATTED, _UNFORMATTED, _FORMULA = "FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"
_SERIAL, _FORMATTED_STRING = "SERIAL_NUMBER", "FORMATTED_STRING"
_RAW, _USER_ENTERED = "RAW", "USER_ENTERED"

# Request kinds (used by counting, fault injection and quota).
SHEETS_KINDS = (
    "spreadsheets.create",
    "spreadsheets.get",
    "spreadsheets.batchUpdate",
    "values.get",
    "values.update",
    "values.append",
    "values.clear",
    "values.batchGet",
    "values.batchUpdate",
    "values.batchClear",
)
DRIVE_KINDS = ("drive.files.create", "drive.files.get", "drive.files.list", "drive.files.delete")

_ALLOWED_METHODS = {
    "spreadsheets.create": "POST",
    "spreadsheets.get": "GET",
    "spreadsheets.batchUpdate": "POST",
    "values.get": "GET",
    "values.update": "PUT",
    "values.append": "POST",
    "values.clear": "POST",
    "values.batchGet": "GET",
    "values.batchUpdate": "POST",
    "values.batchClear": "POST",
    "drive.files.create": "POST",
    "drive.files.get": "GET",
    "drive.files.list": "GET",
    "drive.files.delete": "DELETE",
}

# batchUpdate request names that exist in the real API (anything else is "Unknown name").
_GOOGLE_REQUEST_NAMES = frozenset(
    [
        "updateSpreadsheetProperties",
        "updateSheetProperties",
        "updateDimensionProperties",
        "updateNamedRange",
        "repeatCell",
        "addNamedRange",
        "deleteNamedRange",
        "addSheet",
        "deleteSheet",
        "autoFill",
        "cutPaste",
        "copyPaste",
        "mergeCells",
        "unmergeCells",
        "updateBorders",
        "updateCells",
        "addFilterView",
        "appendCells",
        "clearBasicFilter",
        "deleteDimension",
        "deleteEmbeddedObject",
        "deleteFilterView",
        "duplicateFilterView",
        "duplicateSheet",
        "findReplace",
        "insertDimension",
        "insertRange",
        "moveDimension",
        "updateEmbeddedObjectPosition",
        "pasteData",
        "textToColumns",
        "updateFilterView",
        "deleteRange",
        "appendDimension",
        "addConditionalFormatRule",
        "updateConditionalFormatRule",
        "deleteConditionalFormatRule",
        "sortRange",
        "setDataValidation",
        "setBasicFilter",
        "addProtectedRange",
        "updateProtectedRange",
        "deleteProtectedRange",
        "autoResizeDimensions",
        "addChart",
        "updateChartSpec",
        "updateBanding",
        "addBanding",
        "deleteBanding",
        "createDeveloperMetadata",
        "updateDeveloperMetadata",
        "deleteDeveloperMetadata",
        "randomizeRange",
        "addDimensionGroup",
        "deleteDimensionGroup",
        "updateDimensionGroup",
        "trimWhitespace",
        "deleteDuplicates",
        "updateEmbeddedObjectBorder",
        "addSlicer",
        "updateSlicerSpec",
        "addDataSource",
        "updateDataSource",
        "deleteDataSource",
        "refreshDataSource",
        "cancelDataSourceRefresh",
        "addTable",
        "updateTable",
        "deleteTable",
    ]
)


# ---------------------------------------------------------------------------------------------------
# Errors


class ApiError(Exception):
    """An error answered to the client with a Google-shaped JSON body."""

    def __init__(
        self,
        code: int,
        message: str,
        status: str = "INVALID_ARGUMENT",
        details: list[dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details
        self._body = body

    def body(self) -> dict[str, Any]:
        """Return the JSON body of the error response."""
        if self._body is not None:
            return self._body
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class _RequestError(Exception):
    """A failed sub-request of spreadsheets.batchUpdate (wrapped as "Invalid requests[i].name: ...")."""


def _bad_range(text: str) -> ApiError:
    return ApiError(400, f"Unable to parse range: {text}")


def _not_found() -> ApiError:
    return ApiError(404, "Requested entity was not found.", "NOT_FOUND")


def _forbidden() -> ApiError:
    return ApiError(403, "The caller does not have permission", "PERMISSION_DENIED")


def _invalid_value(field_path: str, type_name: str, value: Any) -> ApiError:
    message = f"Invalid value at '{field_path}' ({type_name}), {json.dumps(value, ensure_ascii=False)}"
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": field_path, "description": message}],
        }
    ]
    return ApiError(400, message, details=details)


def _quota_error(bucket: str) -> ApiError:
    metric = "Read requests" if bucket == "read" else "Write requests"
    word = "Read" if bucket == "read" else "Write"
    message = (
        f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' of service "
        f"'sheets.googleapis.com' for consumer 'project_number:{PROJECT_NUMBER}'."
    )
    details: list[dict[str, Any]] = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {
                "service": "sheets.googleapis.com",
                "consumer": f"projects/{PROJECT_NUMBER}",
                "quota_limit": f"{word}RequestsPerMinutePerUser",
                "quota_metric": f"sheets.googleapis.com/{bucket}_requests",
            },
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Request a higher quota limit.",
                    "url": "https://cloud.google.com/docs/quota#requesting_higher_quota",
                }
            ],
        },
    ]
    return ApiError(429, message, "RESOURCE_EXHAUSTED", details)


def _drive_error(code: int, message: str, reason: str) -> ApiError:
    body = {
        "error": {
            "code": code,
            "message": message,
            "errors": [
                {
                    "message": message,
                    "domain": "global",
                    "reason": reason,
                    "location": "fileId",
                    "locationType": "parameter",
                }
            ],
        }
    }
    return ApiError(code, message, body=body)


# ---------------------------------------------------------------------------------------------------
# A1 notation

_REF_PART = re.compile(r"([A-Za-z]{0,3})([0-9]*)")
_PLAIN_TITLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}[0-9]+")
_R1C1_LIKE = re.compile(r"[Rr][0-9]*[Cc][0-9]*")


def column_letters(index: int) -> str:
    """Return the A1 column letters of a 0-based column index (0 -> "A", 26 -> "AA")."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Return the 0-based column index of A1 column letters ("A" -> 0)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def quote_sheet_title(title: str, *, always: bool = False) -> str:
    """Quote a sheet title for A1 notation as Google echoes it: only when needed, apostrophes doubled."""
    plain = (
        _PLAIN_TITLE.fullmatch(title) is not None
        and _CELL_LIKE.fullmatch(title) is None
        and _R1C1_LIKE.fullmatch(title) is None
    )
    if plain and not always:
        return title
    return "'" + title.replace("'", "''") + "'"


def _cell_a1(row: int, col: int) -> str:
    return f"{column_letters(col)}{row + 1}"


def _rect_a1(r1: int, c1: int, r2: int, c2: int) -> str:
    if (r1, c1) == (r2, c2):
        return _cell_a1(r1, c1)
    return f"{_cell_a1(r1, c1)}:{_cell_a1(r2, c2)}"


@dataclass(frozen=True)
class _Ref:
    """A parsed A1 reference: 0-based inclusive bounds; ``None`` ends run to the grid edge."""

    r1: int
    c1: int
    r2: int | None
    c2: int | None
    single: bool = False

    def text(self) -> str:
        """The reference in A1 notation, open ends kept open ("A1:C", "A2:2")."""
        if self.single:
            return _cell_a1(self.r1, self.c1)
        end = (column_letters(self.c2) if self.c2 is not None else "") + (
            str(self.r2 + 1) if self.r2 is not None else ""
        )
        return f"{_cell_a1(self.r1, self.c1)}:{end}"


_WHOLE = _Ref(0, 0, None, None)


def _parse_ref(text: str) -> _Ref | None:
    parts = text.split(":")
    if len(parts) == 1:
        m = _REF_PART.fullmatch(parts[0])
        if m is None or not m.group(1) or not m.group(2) or int(m.group(2)) < 1:
            return None
        row, col = int(m.group(2)) - 1, column_index(m.group(1))
        return _Ref(row, col, row, col, single=True)
    if len(parts) != 2:
        return None
    m1, m2 = _REF_PART.fullmatch(parts[0]), _REF_PART.fullmatch(parts[1])
    if m1 is None or m2 is None:
        return None
    (l1, d1), (l2, d2) = m1.groups(), m2.groups()
    if not (l1 or d1) or not (l2 or d2):
        return None
    if (d1 and int(d1) < 1) or (d2 and int(d2) < 1):
        return None
    if (l1 and not d1 and d2 and not l2) or (d1 and not l1 and l2 and not d2):
        return None  # "A:5" and "5:A" are not ranges
    r1 = int(d1) - 1 if d1 else 0
    c1 = column_index(l1) if l1 else 0
    r2 = int(d2) - 1 if d2 else None
    c2 = column_index(l2) if l2 else None
    if r2 is not None and r2 < r1:
        r1, r2 = r2, r1
    if c2 is not None and c2 < c1:
        c1, c2 = c2, c1
    return _Ref(r1, c1, r2, c2)


class _ParseError(Exception):
    pass


def _split_range(text: str) -> tuple[str | None, _Ref | None]:
    """Split an A1 range into (sheet title or None for "first visible sheet", reference or None)."""
    if text.startswith("'"):
        pieces: list[str] = []
        i = 1
        while True:
            j = text.find("'", i)
            if j < 0:
                raise _ParseError
            if text.startswith("''", j):
                pieces.append(text[i:j] + "'")
                i = j + 2
                continue
            pieces.append(text[i:j])
            rest = text[j + 1 :]
            break
        title = "".join(pieces)
        if not title:
            raise _ParseError
        if rest == "":
            return title, None
        if not rest.startswith("!"):
            raise _ParseError
        ref = _parse_ref(rest[1:])
        if ref is None:
            raise _ParseError
        return title, ref
    if "!" in text:
        title, ref_text = text.rsplit("!", 1)
        ref = _parse_ref(ref_text)
        if ref is None or not title:
            raise _ParseError
        return title, ref
    ref = _parse_ref(text)
    if ref is not None:
        return None, ref
    if not text:
        raise _ParseError
    return text, None


# ---------------------------------------------------------------------------------------------------
# Cell values


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula (text starts with "=")."""

    text: str


@dataclass(frozen=True)
class Shown:
    """A number (or date serial) with its own display text, e.g. "2,000,000.01", "50%", "2020-01-01"."""

    value: int | float
    text: str
    is_date: bool = False


class _Clear:
    """Marker: the written value empties the cell."""


_CLEAR = _Clear()

_NUM_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED_DOT_DECIMAL = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_GROUPED_COMMA_DECIMAL = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_COMMA_DECIMAL = re.compile(r"[+-]?\d+,\d+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DECIMAL_COMMA_LANGUAGES = frozenset(
    [
        "it",
        "fr",
        "de",
        "es",
        "pt",
        "nl",
        "ru",
        "pl",
        "tr",
        "sv",
        "da",
        "fi",
        "nb",
        "cs",
        "el",
        "ro",
        "hu",
        "id",
        "uk",
        "ca",
        "sk",
        "sl",
        "hr",
        "bg",
        "lt",
        "lv",
        "et",
    ]
)
_SERIAL_EPOCH = dt.date(1899, 12, 30)
_NUMBER_FORMAT_TYPES = ("TEXT", "NUMBER", "PERCENT", "CURRENCY", "DATE", "TIME", "DATE_TIME", "SCIENTIFIC")


def _normalize_number(value: float) -> int | float:
    if isinstance(value, int):
        return value if abs(value) < 2**53 else float(value)
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _number_text(value: float) -> str:
    value = _normalize_number(value)
    return str(value) if isinstance(value, int) else repr(value)


def _parse_number(text: str, locale: str) -> int | float | Shown | None:
    core = text.strip()
    percent = core.endswith("%")
    if percent:
        core = core[:-1].strip()
    comma_decimal = locale.split("_")[0].lower() in _DECIMAL_COMMA_LANGUAGES
    custom = percent
    value: float | None = None
    if comma_decimal and _GROUPED_COMMA_DECIMAL.fullmatch(core):
        value, custom = float(core.replace(".", "").replace(",", ".")), True
    elif _NUM_RE.fullmatch(core):
        value = float(core)
        if re.fullmatch(r"[+-]?\d+", core):
            value = int(core)
    elif not comma_decimal and _GROUPED_DOT_DECIMAL.fullmatch(core):
        value, custom = float(core.replace(",", "")), True
    elif comma_decimal and _COMMA_DECIMAL.fullmatch(core):
        value, custom = float(core.replace(",", ".")), True
    if value is None:
        return None
    if percent:
        value = value / 100
    number = _normalize_number(value)
    return Shown(number, text.strip()) if custom else number


def _parse_date(text: str, locale: str) -> Shown | None:
    stripped = text.strip()
    if m := _ISO_DATE.fullmatch(stripped):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _SLASH_DATE.fullmatch(stripped):
        first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        month, day = (first, second) if locale == "en_US" else (second, first)
    else:
        return None
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    return Shown((date - _SERIAL_EPOCH).days, stripped, is_date=True)


def parse_user_entered(value: Any, locale: str = "en_US") -> Any:
    """Parse one written value like the Sheets UI does (``USER_ENTERED``); return the stored cell."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return _normalize_number(value)
    text = str(value)
    if text == "":
        return _CLEAR
    if text.startswith("'"):
        return text[1:] or _CLEAR
    if text.startswith("="):
        return Formula(text)
    if text.strip().upper() in ("TRUE", "FALSE"):
        return text.strip().upper() == "TRUE"
    number = _parse_number(text, locale)
    if number is not None:
        return number
    date = _parse_date(text, locale)
    if date is not None:
        return date
    if len(text) > 1 and text[0] in "+-":
        return Formula("=" + text)  # the UI starts a formula with "+" or "-" as well
    return text


def parse_raw(value: Any) -> Any:
    """Store one written value as-is (``RAW``); return the stored cell."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return _normalize_number(value)
    text = str(value)
    return _CLEAR if text == "" else text


_ARITHMETIC_ONLY = re.compile(r"[0-9.\s+\-*/^()eE]*")
_BINARY_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


class _EvalError(Exception):
    pass


def _eval_node(node: ast.AST) -> float:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        operand = _eval_node(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY_OPS:
        left, right = _eval_node(node.left), _eval_node(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 1000:
            raise _EvalError
        result: float = _BINARY_OPS[type(node.op)](left, right)
        return result
    raise _EvalError


def evaluate_formula(text: str) -> Any:
    """Evaluate a plain-arithmetic formula ("=3/2" -> 1.5); other formulas evaluate to their own text."""
    expression = text[1:]
    if not _ARITHMETIC_ONLY.fullmatch(expression):
        return text
    try:
        tree = ast.parse(expression.replace("^", "**").strip() or "(", mode="eval")
    except SyntaxError:
        return "#ERROR!"
    try:
        return _normalize_number(_eval_node(tree.body))
    except ZeroDivisionError:
        return "#DIV/0!"
    except (_EvalError, OverflowError, TypeError, ValueError):
        return "#ERROR!"


_PATTERN_TOKEN = re.compile(r"yyyy|yy|dd|d|hh|h|mm|m|ss|s|0\.0+|0|[^ydhms0]+", re.IGNORECASE)


def format_number(value: float, pattern: str) -> str:
    """A number shown through a Sheets number-format pattern (the subset the fake models: dates, times, 0)."""
    tokens = [t for t in _PATTERN_TOKEN.findall(pattern)]
    if not any(t[0].lower() in "ydhms" for t in tokens):
        if pattern.startswith("0."):
            return f"{value:.{len(pattern) - 2}f}"
        return str(round(value)) if pattern == "0" else _number_text(value)
    moment = dt.datetime(1899, 12, 30) + dt.timedelta(days=value)
    moment = (moment + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
    out: list[str] = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if low in ("mm", "m"):
            # minutes after an hour or before seconds, otherwise the month (as Sheets reads "mm")
            before = next((t.lower() for t in reversed(tokens[:i]) if t[0].lower() in "ydhms"), "")
            after = next((t.lower() for t in tokens[i + 1 :] if t[0].lower() in "ydhms"), "")
            minutes = before.startswith("h") or after.startswith("s")
            number = moment.minute if minutes else moment.month
            out.append(f"{number:02d}" if low == "mm" else str(number))
        elif low in ("dd", "d"):
            out.append(f"{moment.day:02d}" if low == "dd" else str(moment.day))
        elif low == "yyyy":
            out.append(f"{moment.year:04d}")
        elif low == "yy":
            out.append(f"{moment.year % 100:02d}")
        elif low in ("hh", "h"):
            out.append(f"{moment.hour:02d}" if low == "hh" else str(moment.hour))
        elif low in ("ss", "s"):
            out.append(f"{moment.second:02d}" if low == "ss" else str(moment.second))
        else:
            out.append(token)
    return "".join(out)


def render_cell(cell: Any, render: str = _FORMATTED, date_time: str = _SERIAL) -> Any:
    """Render a stored cell as the API does for the given value/dateTime render options."""
    if isinstance(cell, Formula):
        if render == _FORMULA:
            return cell.text
        cell = evaluate_formula(cell.text)
    if isinstance(cell, bool):
        if render == _FORMATTED:
            return "TRUE" if cell else "FALSE"
        return cell
    if isinstance(cell, int | float):
        return _number_text(cell) if render == _FORMATTED else _normalize_number(cell)
    if isinstance(cell, Shown):
        if render == _FORMATTED or (cell.is_date and date_time == _FORMATTED_STRING):
            return cell.text
        return cell.value
    return cell


def _check_scalar(value: Any, field_path: str) -> None:
    if value is None or isinstance(value, str | bool | int | float):
        return
    kind = "list_value" if isinstance(value, list) else "struct_value"
    raise ApiError(400, f"Invalid {field_path}: {kind}")


def _normalize_values(
    values: Any, major: str, field_path: str
) -> tuple[list[tuple[int, int, Any]], int, int, int]:
    """Validate written values; return (entries as (row, col, value), rows, columns, non-null cells).

    rows/columns span every given entry (nulls included), as ``updatedRange`` does.
    """
    if values is None:
        return [], 0, 0, 0
    if not isinstance(values, list):
        raise _invalid_value(field_path, "type.googleapis.com/google.protobuf.ListValue", values)
    entries: list[tuple[int, int, Any]] = []
    outer = len(values)
    inner = 0
    for i, line in enumerate(values):
        if line is None:
            continue
        if not isinstance(line, list):
            raise _invalid_value(f"{field_path}[{i}]", "type.googleapis.com/google.protobuf.ListValue", line)
        inner = max(inner, len(line))
        for j, value in enumerate(line):
            _check_scalar(value, f"{field_path.rsplit('.', 1)[-1]}[{i}][{j}]")
            if major == _ROWS:
                entries.append((i, j, value))
            else:
                entries.append((j, i, value))
    if inner == 0:
        return [], 0, 0, 0
    n_rows, n_cols = (outer, inner) if major == _ROWS else (inner, outer)
    n_cells = sum(1 for _, _, value in entries if value is not None)
    return entries, n_rows, n_cols, n_cells


# ---------------------------------------------------------------------------------------------------
# State


@dataclass
class _Sheet:
    sheet_id: int
    title: str
    row_count: int = 1000
    col_count: int = 26
    hidden: bool = False
    frozen_rows: int = 0
    frozen_cols: int = 0
    grid_extra: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    protected: list[dict[str, Any]] = field(default_factory=list)
    validations: list[tuple[dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)
    merges: list[dict[str, Any]] = field(default_factory=list)
    dim_props: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    basic_filter: dict[str, Any] | None = None
    # repeatCell formats, in the order applied: (r1, r2, c1, c2, userEnteredFormat fields set), ends exclusive
    formats: list[tuple[int, int, int, int, dict[str, Any]]] = field(default_factory=list)

    def format_at(self, row: int, col: int) -> dict[str, Any]:
        """The userEnteredFormat of a cell: every repeatCell covering it, the later one winning per field."""
        out: dict[str, Any] = {}
        for r1, r2, c1, c2, fmt in self.formats:
            if r1 <= row < r2 and c1 <= col < c2:
                out.update(fmt)
        return {k: v for k, v in out.items() if v is not None}

    def clone(self) -> _Sheet:
        """A copy sharing nothing mutable (cell values are immutable, so the cell dict is copied flat)."""
        cells = self.cells
        self.cells = {}
        try:
            twin = copy.deepcopy(self)
        finally:
            self.cells = cells
        twin.cells = dict(cells)
        return twin

    def grid_ranges(self) -> Iterable[dict[str, Any]]:
        """Every stored GridRange of the sheet (shifted when rows or columns are inserted or deleted)."""
        yield from (p["range"] for p in self.protected)
        yield from (r for r, _ in self.validations)
        yield from self.merges
        if self.basic_filter is not None:
            yield self.basic_filter["range"]


@dataclass
class _Spreadsheet:
    spreadsheet_id: str
    title: str
    locale: str
    time_zone: str
    sheets: list[_Sheet]
    created: str
    modified: str
    applied: list[dict[str, Any]] = field(default_factory=list)

    def clone(self) -> _Spreadsheet:
        """A working copy for an all-or-nothing batch."""
        twin = copy.copy(self)
        twin.sheets = [s.clone() for s in self.sheets]
        twin.applied = list(self.applied)
        return twin

    def find_sheet(self, title: str) -> _Sheet | None:
        """The sheet with this title (case-insensitive, as in Sheets) or None."""
        folded = title.casefold()
        return next((s for s in self.sheets if s.title.casefold() == folded), None)

    def sheet_by_id(self, sheet_id: Any) -> _Sheet:
        """The sheet with this sheetId; a batchUpdate sub-request error otherwise."""
        found = next((s for s in self.sheets if s.sheet_id == sheet_id), None)
        if found is None:
            raise _RequestError(f"No grid with id: {sheet_id}")
        return found


@dataclass(frozen=True)
class _Target:
    """A resolved range: sheet plus concrete 0-based inclusive bounds."""

    sheet: _Sheet
    r1: int
    c1: int
    r2: int
    c2: int
    ref: _Ref
    explicit: bool  # a sheet-qualified or bare reference was given (not just a sheet name)
    text: str

    def a1(self) -> str:
        """The range as Google echoes it: sheet quoted only when needed, concrete bounds."""
        return f"{quote_sheet_title(self.sheet.title)}!{_rect_a1(self.r1, self.c1, self.r2, self.c2)}"


def _now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _grid_range_out(gr: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if gr.get("sheetId"):
        out["sheetId"] = gr["sheetId"]
    for key in ("startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex"):
        if gr.get(key) is not None:
            out[key] = gr[key]
    return out


def _strip_defaults(value: Any) -> Any:
    """Drop proto3 default values (0, false, "", null, empty objects) the API leaves out of its JSON."""
    if isinstance(value, dict):
        stripped = {k: _strip_defaults(v) for k, v in value.items()}
        return {k: v for k, v in stripped.items() if v not in (None, 0, False, "", {}, [])}
    return value


def _quantize_color(color: Any) -> Any:
    """Store colour components as the API does: 8 bits per channel, echoed with 8 significant digits."""
    if not isinstance(color, dict):
        return color
    out = dict(color)
    for key in ("red", "green", "blue"):
        if isinstance(out.get(key), int | float):
            out[key] = float(f"{int(out[key] * 255 + 1e-9) / 255:.8g}")
            if out[key].is_integer():
                out[key] = int(out[key])
    return out


def _overlaps(gr: Mapping[str, Any], r1: int, r2: int, c1: int, c2: int) -> bool:
    return bool(
        gr["startRowIndex"] < r2
        and r1 < gr["endRowIndex"]
        and gr["startColumnIndex"] < c2
        and c1 < gr["endColumnIndex"]
    )


def _dim_keys(dimension: str) -> tuple[str, str]:
    if dimension == _ROWS:
        return "startRowIndex", "endRowIndex"
    return "startColumnIndex", "endColumnIndex"


def _shift_insert(index: int | None, at: int, n: int) -> int | None:
    if index is None:
        return None
    return index + n if index >= at else index


def _shift_insert_end(index: int | None, at: int, n: int) -> int | None:
    if index is None:
        return None
    return index + n if index > at else index


def _shift_delete(index: int | None, start: int, end: int) -> int | None:
    if index is None:
        return None
    if index >= end:
        return index - (end - start)
    return min(index, start)


# ---------------------------------------------------------------------------------------------------
# Field masks


def _parse_mask(mask: str) -> list[str]:
    """Parse a FieldMask such as "a.b,c/d,e(f,g)" into dotted paths."""
    pos = 0

    def parse_list(prefix: str) -> list[str]:
        nonlocal pos
        out: list[str] = []
        while pos < len(mask):
            start = pos
            while pos < len(mask) and mask[pos] not in ",()":
                pos += 1
            name = mask[start:pos].strip().replace("/", ".")
            full = f"{prefix}.{name}" if prefix and name else (name or prefix)
            if pos < len(mask) and mask[pos] == "(":
                pos += 1
                out.extend(parse_list(full))
                pos += 1  # the closing ")"
            elif name:
                out.append(full)
            if pos < len(mask) and mask[pos] == ",":
                pos += 1
                continue
            if pos < len(mask) and mask[pos] == ")":
                return out
        return out

    return parse_list("")


def _apply_mask(obj: Any, paths: list[list[str]]) -> Any:
    if any(not p for p in paths):
        return obj
    if isinstance(obj, list):
        return [_apply_mask(item, paths) for item in obj]
    if not isinstance(obj, dict):
        return obj
    groups: dict[str, list[list[str]]] = {}
    for p in paths:
        groups.setdefault(p[0], []).append(p[1:])
    if "*" in groups:
        return obj
    return {key: _apply_mask(obj[key], subs) for key, subs in groups.items() if key in obj}


# ---------------------------------------------------------------------------------------------------
# Faults, records


_FAULT_KINDS = ("429", "500", "503", "timeout", "drop")


@dataclass(frozen=True)
class Fault:
    """An injected failure: "429", "500", "503", "timeout" or "drop"; ``applied`` = the request commits."""

    kind: str
    applied: bool = False
    delay: float | None = None  # for "timeout": seconds the server holds the answer (default: timeout_delay)

    def __post_init__(self) -> None:
        if self.kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; expected one of {_FAULT_KINDS}")


FaultLike = Fault | int | str | tuple[Any, ...]


def _as_fault(value: FaultLike) -> Fault:
    if isinstance(value, Fault):
        return value
    if isinstance(value, tuple):
        kind = str(value[0])
        applied = bool(value[1]) if len(value) > 1 else False
        delay = float(value[2]) if len(value) > 2 else None
        return Fault(kind, applied, delay)
    return Fault(str(value))


class RequestRecord(NamedTuple):
    """One request received by the fake: method, endpoint kind and raw (percent-encoded) path."""

    method: str
    kind: str
    path: str


@dataclass
class LoggedRequest:
    """Details of one received request (number is 1-based, counted since the last reset)."""

    number: int
    method: str
    kind: str
    path: str
    query: str
    body: bytes
    user: str
    fault: Fault | None = None
    status: int | None = None


@dataclass
class _Pending:
    kind: str | None
    fault: Fault
    remaining: int


@dataclass(frozen=True)
class _Route:
    kind: str
    spreadsheet_id: str | None = None
    range_text: str | None = None
    file_id: str | None = None


def _route(method: str, path: str) -> _Route:
    if path.startswith("/v4/spreadsheets"):
        rest = path[len("/v4/spreadsheets") :]
        if rest in ("", "/"):
            return _Route("spreadsheets.create")
        if not rest.startswith("/"):
            return _Route("unknown")
        rest = rest[1:]
        if "/values" in rest:
            sid_raw, after = rest.split("/values", 1)
            sid = unquote(sid_raw)
            if after in (":batchGet", ":batchUpdate", ":batchClear"):
                return _Route("values." + after[1:], sid)
            if not after.startswith("/") or len(after) < 2:
                return _Route("unknown", sid)
            range_raw = after[1:]
            kind = "values.get" if method == "GET" else "values.update"
            if method == "POST" and range_raw.endswith(":append"):
                kind, range_raw = "values.append", range_raw[: -len(":append")]
            elif method == "POST" and range_raw.endswith(":clear"):
                kind, range_raw = "values.clear", range_raw[: -len(":clear")]
            return _Route(kind, sid, unquote(range_raw))
        if rest.endswith(":batchUpdate"):
            return _Route("spreadsheets.batchUpdate", unquote(rest[: -len(":batchUpdate")]))
        if "/" in rest or ":" in rest:
            return _Route("unsupported", unquote(rest.split("/")[0].split(":")[0]))
        return _Route("spreadsheets.get", unquote(rest))
    if path.startswith("/drive/v3/files"):
        rest = path[len("/drive/v3/files") :].strip("/")
        if not rest:
            return _Route("drive.files.create" if method == "POST" else "drive.files.list")
        if "/" in rest:
            return _Route("unsupported", file_id=unquote(rest.split("/")[0]))
        kind = {"GET": "drive.files.get", "DELETE": "drive.files.delete"}.get(method, "drive.files.get")
        return _Route(kind, file_id=unquote(rest))
    if path.startswith("/upload/drive") or path.startswith("/drive/"):
        return _Route("unsupported")
    return _Route("unknown")


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _enum(value: Any, allowed: Sequence[str], default: str, snake: str, type_name: str) -> str:
    if value is None or value == "":
        return default
    if value not in allowed:
        message = (
            f"Invalid value at '{snake}' (type.googleapis.com/google.apps.sheets.v4.{type_name}), "
            f"{json.dumps(value)}"
        )
        raise ApiError(400, message)
    return str(value)


@dataclass(frozen=True)
class _ReadOptions:
    major: str = _ROWS
    render: str = _FORMATTED
    date_time: str = _SERIAL


def _read_options(major: Any, render: Any, date_time: Any) -> _ReadOptions:
    return _ReadOptions(
        _enum(major, (_ROWS, _COLUMNS), _ROWS, "major_dimension", "Dimension"),
        _enum(
            render,
            (_FORMATTED, _UNFORMATTED, _FORMULA),
            _FORMATTED,
            "value_render_option",
            "ValueRenderOption",
        ),
        _enum(
            date_time,
            (_SERIAL, _FORMATTED_STRING),
            _SERIAL,
            "date_time_render_option",
            "DateTimeRenderOption",
        ),
    )


# ---------------------------------------------------------------------------------------------------
# HTTP plumbing


class GoogleRedirectAdapter(HTTPAdapter):
    """A requests adapter that sends Google API URLs (Sheets and Drive hosts) to the fake instead."""

    def __init__(self, target: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Rewrite the URL to the fake's base URL, then send."""
        url = request.url or ""
        for origin in (SHEETS_ORIGIN, GOOGLEAPIS_ORIGIN):
            if url.startswith(origin):
                request.url = self.target + url[len(origin) :]
                break
        return super().send(request, **kwargs)


class _Handler(WSGIRequestHandler):
    """A quiet request handler that registers its connection so ``stop()`` can close it."""

    def log(self, type: str, message: str, *args: Any) -> None:
        """Do not log requests."""
        return

    def handle(self) -> None:
        """Serve one connection, registered with the fake while it is open."""
        fake = getattr(self.server, "fake", None)
        if fake is not None:
            fake._register_connection(self.connection, threading.current_thread())
        try:
            super().handle()
        finally:
            if fake is not None:
                fake._unregister_connection(self.connection, threading.current_thread())


def _json_response(status: int, payload: Any) -> Response:
    if payload is None:
        return Response(b"", status=status)
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(data, status=status, content_type="application/json; charset=UTF-8")


# ---------------------------------------------------------------------------------------------------
# The fake


class SheetsFake:
    """A stateful fake of the Sheets API v4 (and gspread's Drive calls), served over real HTTP."""

    def __init__(
        self,
        *,
        locale: str = "it_IT",
        time_zone: str = "Europe/Rome",
        user_email: str = DEFAULT_USER_EMAIL,
        default_sheet_title: str = "Sheet1",
        seed: int | None = 0,
    ) -> None:
        self.default_locale = locale
        self.default_time_zone = time_zone
        self.user_email = user_email
        self.default_sheet_title = default_sheet_title
        self.latency: float = 0.0
        self.timeout_delay: float = 5.0
        self.quota_per_minute: int | None = None
        self.clock: Callable[[], float] = time.monotonic
        self.forbidden: set[str] = set()
        self.requests: list[RequestRecord] = []
        self.log: list[LoggedRequest] = []
        self.errors: list[BaseException] = []
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._spreadsheets: dict[str, _Spreadsheet] = {}
        self._number = 0
        self._scheduled: dict[int, Fault] = {}
        self._pending: list[_Pending] = []
        self._quota: dict[tuple[str, str], deque[float]] = {}
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._sessions: list[requests.Session] = []

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> SheetsFake:
        """Start serving on a free port of 127.0.0.1 in a background thread; return self."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_Handler)
        server.fake = self  # type: ignore[attr-defined]
        server.handle_error = self._handle_server_error  # type: ignore[method-assign]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sheets-fake", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the server, close open connections and the sessions made by ``session()``."""
        for session in self._sessions:
            session.close()
        self._sessions.clear()
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        with self._lock:
            connections = list(self._connections.items())
        for conn, _ in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for _, handler_thread in connections:
            handler_thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SheetsFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True while the server is serving."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The TCP port the fake listens on."""
        if self._server is None:
            raise RuntimeError("the fake is not running; call start()")
        return int(self._server.socket.getsockname()[1])

    @property
    def base_url(self) -> str:
        """Base URL of the fake, e.g. http://127.0.0.1:PORT (Sheets under /v4, Drive under /drive/v3)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def sheets_url(self) -> str:
        """The fake's equivalent of https://sheets.googleapis.com/v4/spreadsheets."""
        return self.base_url + "/v4/spreadsheets"

    def session(self) -> requests.Session:
        """Return a requests.Session whose Google API URLs go to the fake (closed by ``stop()``)."""
        session = requests.Session()
        session.trust_env = False
        adapter = GoogleRedirectAdapter(self.base_url)
        session.mount(SHEETS_ORIGIN, adapter)
        session.mount(GOOGLEAPIS_ORIGIN, adapter)
        self._sessions.append(session)
        return session

    def client(self, http_client: Any = None) -> Any:
        """Return a ``gspread.Client(auth=None, session=self.session())`` (optionally another HTTPClient)."""
        import gspread

        if http_client is None:
            return gspread.Client(auth=None, session=self.session())  # type: ignore[arg-type]
        return gspread.Client(auth=None, session=self.session(), http_client=http_client)  # type: ignore[arg-type]

    def _handle_server_error(self, request: Any, client_address: Any) -> None:
        """Record unexpected errors of handler threads; closed connections are normal (drop, timeouts)."""
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, OSError):
            self.errors.append(error)

    def _register_connection(self, conn: socket.socket, thread: threading.Thread) -> None:
        with self._lock:
            self._connections[conn] = thread

    def _unregister_connection(self, conn: socket.socket, thread: threading.Thread) -> None:
        with self._lock:
            self._connections.pop(conn, None)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    # -- instrumentation ----------------------------------------------------------------------------

    def count(self, kind: str | None = None, method: str | None = None) -> int:
        """Number of requests received (optionally of one kind, e.g. "values.update", or "read"/"write")."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if self._matches(kind, r.kind, r.method) and (method is None or r.method == method.upper())
            )

    def reset_counts(self) -> None:
        """Forget received requests, restart request numbering and empty the quota windows."""
        with self._lock:
            self.requests.clear()
            self.log.clear()
            self._number = 0
            self._quota.clear()

    def schedule_faults(self, faults: Mapping[int, FaultLike]) -> None:
        """Inject faults by request number (1-based, counted since the last ``reset_counts()``)."""
        with self._lock:
            for number, fault in faults.items():
                self._scheduled[int(number)] = _as_fault(fault)

    def fail_next(self, kind: str | None = None, fault: FaultLike = 503, *, times: int = 1) -> None:
        """Make the next ``times`` requests of ``kind`` (any if None; "read"/"write" allowed) fail."""
        with self._lock:
            self._pending.append(_Pending(kind, _as_fault(fault), times))

    def clear_faults(self) -> None:
        """Drop all scheduled and pending faults."""
        with self._lock:
            self._scheduled.clear()
            self._pending.clear()

    def forbid(self, spreadsheet_id: str) -> None:
        """Answer 403 PERMISSION_DENIED to every request for this spreadsheet id."""
        with self._lock:
            self.forbidden.add(spreadsheet_id)

    @staticmethod
    def _matches(wanted: str | None, kind: str, method: str) -> bool:
        if wanted is None or wanted == kind:
            return True
        if wanted == "read":
            return method == "GET"
        if wanted == "write":
            return method != "GET"
        return kind.startswith(wanted + ".")

    def _take_fault(self, number: int, kind: str, method: str) -> Fault | None:
        fault = self._scheduled.pop(number, None)
        if fault is not None:
            return fault
        for pending in self._pending:
            if self._matches(pending.kind, kind, method):
                pending.remaining -= 1
                if pending.remaining <= 0:
                    self._pending.remove(pending)
                return pending.fault
        return None

    def _consume_quota(self, kind: str, method: str, user: str) -> str | None:
        if self.quota_per_minute is None or kind not in SHEETS_KINDS:
            return None
        bucket = "read" if method == "GET" else "write"
        window = self._quota.setdefault((user, bucket), deque())
        now = self.clock()
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= self.quota_per_minute:
            return bucket
        window.append(now)
        return None

    # -- test helpers -------------------------------------------------------------------------------

    def _new_id(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        while True:
            sid = "1" + "".join(self._rng.choice(alphabet) for _ in range(43))
            if sid not in self._spreadsheets:
                return sid

    def _new_sheet_id(self, ss: _Spreadsheet) -> int:
        used = {s.sheet_id for s in ss.sheets}
        while True:
            candidate = self._rng.randint(1, 2**31 - 1)
            if candidate not in used:
                return candidate

    def _new_protected_id(self, ss: _Spreadsheet) -> int:
        used = {p["protectedRangeId"] for s in ss.sheets for p in s.protected}
        while True:
            candidate = self._rng.randint(1, 2**31 - 1)
            if candidate not in used:
                return candidate

    def _make_spreadsheet(
        self, title: str, spreadsheet_id: str | None, locale: str | None, time_zone: str | None
    ) -> _Spreadsheet:
        now = _now_rfc3339()
        ss = _Spreadsheet(
            spreadsheet_id=spreadsheet_id or self._new_id(),
            title=title,
            locale=locale or self.default_locale,
            time_zone=time_zone or self.default_time_zone,
            sheets=[],
            created=now,
            modified=now,
        )
        self._spreadsheets[ss.spreadsheet_id] = ss
        return ss

    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        sheets: Mapping[str, Sequence[Sequence[Any]]] | None = None,
        *,
        spreadsheet_id: str | None = None,
        locale: str | None = None,
        time_zone: str | None = None,
        rows: int = 1000,
        cols: int = 26,
    ) -> str:
        """Create a spreadsheet whose sheets hold the given values (stored as-is, like RAW); return its id."""
        with self._lock:
            ss = self._make_spreadsheet(title, spreadsheet_id, locale, time_zone)
            for index, (sheet_title, data) in enumerate((sheets or {self.default_sheet_title: []}).items()):
                width = max((len(r) for r in data), default=0)
                sheet = _Sheet(
                    sheet_id=0 if index == 0 else self._new_sheet_id(ss),
                    title=sheet_title,
                    row_count=max(rows, len(data)),
                    col_count=max(cols, width),
                )
                ss.sheets.append(sheet)
                self._store(sheet, 0, 0, data, parse_raw)
            return ss.spreadsheet_id

    def add_sheet(
        self,
        spreadsheet_id: str,
        title: str,
        values: Sequence[Sequence[Any]] = (),
        *,
        rows: int = 1000,
        cols: int = 26,
        hidden: bool = False,
    ) -> int:
        """Add a sheet (values stored as-is) at the end of a spreadsheet; return its sheetId."""
        with self._lock:
            ss = self._get(spreadsheet_id)
            if ss.find_sheet(title) is not None:
                raise ValueError(f"sheet {title!r} exists")
            width = max((len(r) for r in values), default=0)
            sheet = _Sheet(
                self._new_sheet_id(ss), title, max(rows, len(values)), max(cols, width), hidden=hidden
            )
            ss.sheets.append(sheet)
            self._store(sheet, 0, 0, values, parse_raw)
            return sheet.sheet_id

    def delete_spreadsheet(self, spreadsheet_id: str) -> None:
        """Remove a spreadsheet (later requests get 404)."""
        with self._lock:
            self._spreadsheets.pop(spreadsheet_id, None)

    def spreadsheet_ids(self) -> list[str]:
        """Ids of the existing spreadsheets."""
        with self._lock:
            return list(self._spreadsheets)

    def _get(self, spreadsheet_id: str) -> _Spreadsheet:
        try:
            return self._spreadsheets[spreadsheet_id]
        except KeyError:
            raise KeyError(f"no spreadsheet {spreadsheet_id!r} in the fake") from None

    def _sheet(self, spreadsheet_id: str, sheet_title: str) -> _Sheet:
        sheet = self._get(spreadsheet_id).find_sheet(sheet_title)
        if sheet is None:
            raise KeyError(f"no sheet {sheet_title!r} in spreadsheet {spreadsheet_id!r}")
        return sheet

    def values(self, spreadsheet_id: str, sheet_title: str, *, render: str = _FORMATTED) -> list[list[Any]]:
        """The whole sheet as the API returns it (trimmed; FORMATTED_VALUE strings by default)."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            opts = _ReadOptions(render=render)
            return self._read(sheet, 0, 0, sheet.row_count - 1, sheet.col_count - 1, opts)

    def set_values(
        self,
        spreadsheet_id: str,
        sheet_title: str,
        values: Sequence[Sequence[Any]],
        start: str = "A1",
        *,
        input_option: str = _USER_ENTERED,
    ) -> None:
        """Simulate a person typing values (USER_ENTERED by default) from ``start``; grows the grid."""
        ref = _parse_ref(start)
        if ref is None:
            raise ValueError(f"bad start cell {start!r}")
        with self._lock:
            ss = self._get(spreadsheet_id)
            sheet = self._sheet(spreadsheet_id, sheet_title)
            sheet.row_count = max(sheet.row_count, ref.r1 + len(values))
            sheet.col_count = max(sheet.col_count, ref.c1 + max((len(r) for r in values), default=0))
            if input_option == _RAW:
                self._store(sheet, ref.r1, ref.c1, values, parse_raw)
            else:
                self._store(sheet, ref.r1, ref.c1, values, lambda v: parse_user_entered(v, ss.locale))
            ss.modified = _now_rfc3339()

    def raw_cell(self, spreadsheet_id: str, sheet_title: str, cell: str) -> Any:
        """The stored value of one cell (str, int, float, bool, Formula, Shown) or None when empty."""
        ref = _parse_ref(cell)
        if ref is None:
            raise ValueError(f"bad cell {cell!r}")
        with self._lock:
            return self._sheet(spreadsheet_id, sheet_title).cells.get((ref.r1, ref.c1))

    def sheet_titles(self, spreadsheet_id: str) -> list[str]:
        """Sheet titles in index order."""
        with self._lock:
            return [s.title for s in self._get(spreadsheet_id).sheets]

    def metadata(self, spreadsheet_id: str) -> dict[str, Any]:
        """The spreadsheets.get response for this spreadsheet."""
        with self._lock:
            return self._metadata(self._get(spreadsheet_id))

    def sheet_properties(self, spreadsheet_id: str, sheet_title: str) -> dict[str, Any]:
        """The SheetProperties of one sheet, as in spreadsheets.get."""
        with self._lock:
            ss = self._get(spreadsheet_id)
            return self._sheet_properties(ss, self._sheet(spreadsheet_id, sheet_title))

    def protected_ranges(self, spreadsheet_id: str, sheet_title: str) -> list[dict[str, Any]]:
        """Protected ranges of one sheet, as in spreadsheets.get."""
        with self._lock:
            return [self._protected_out(p) for p in self._sheet(spreadsheet_id, sheet_title).protected]

    def data_validations(
        self, spreadsheet_id: str, sheet_title: str
    ) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """setDataValidation calls applied to a sheet, oldest first, as (GridRange, rule or None)."""
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, sheet_title).validations)

    def validation_at(self, spreadsheet_id: str, sheet_title: str, cell: str) -> dict[str, Any] | None:
        """The data validation rule in force on one cell (None if none)."""
        ref = _parse_ref(cell)
        if ref is None:
            raise ValueError(f"bad cell {cell!r}")
        rule: dict[str, Any] | None = None
        with self._lock:
            for gr, candidate in self._sheet(spreadsheet_id, sheet_title).validations:
                if self._in_grid_range(gr, ref.r1, ref.c1):
                    rule = candidate
            return copy.deepcopy(rule)

    def dimension_properties(
        self, spreadsheet_id: str, sheet_title: str, dimension: str = _ROWS
    ) -> dict[int, dict[str, Any]]:
        """Row or column properties set by updateDimensionProperties (index -> properties)."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            return {i: dict(p) for (d, i), p in sorted(sheet.dim_props.items()) if d == dimension}

    def cell_format(self, spreadsheet_id: str, sheet_title: str, cell: str) -> dict[str, Any]:
        """The userEnteredFormat repeatCell requests gave one A1 cell (numberFormat, wrapStrategy, …)."""
        ref = _parse_ref(cell)
        if ref is None:
            raise ValueError(f"not an A1 cell: {cell!r}")
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, sheet_title).format_at(ref.r1, ref.c1))

    def basic_filter(self, spreadsheet_id: str, sheet_title: str) -> dict[str, Any] | None:
        """The sheet's basic filter as setBasicFilter stored it (None when there is none)."""
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, sheet_title).basic_filter)

    def merges(self, spreadsheet_id: str, sheet_title: str) -> list[dict[str, Any]]:
        """Merged ranges of one sheet (GridRanges)."""
        with self._lock:
            return copy.deepcopy(self._sheet(spreadsheet_id, sheet_title).merges)

    def applied_requests(self, spreadsheet_id: str) -> list[dict[str, Any]]:
        """Every spreadsheets.batchUpdate sub-request applied to a spreadsheet, in order."""
        with self._lock:
            return copy.deepcopy(self._get(spreadsheet_id).applied)

    @staticmethod
    def _in_grid_range(gr: Mapping[str, Any], row: int, col: int) -> bool:
        end_row, end_col = gr.get("endRowIndex"), gr.get("endColumnIndex")
        in_rows = (gr.get("startRowIndex") or 0) <= row and (end_row is None or row < end_row)
        in_cols = (gr.get("startColumnIndex") or 0) <= col and (end_col is None or col < end_col)
        return in_rows and in_cols

    # -- grid primitives ----------------------------------------------------------------------------

    @staticmethod
    def _store(
        sheet: _Sheet, row: int, col: int, values: Sequence[Sequence[Any]], parse: Callable[[Any], Any]
    ) -> None:
        for i, line in enumerate(values):
            for j, value in enumerate(line):
                if value is None:
                    continue
                cell = parse(value)
                if cell is _CLEAR:
                    sheet.cells.pop((row + i, col + j), None)
                else:
                    sheet.cells[(row + i, col + j)] = cell

    @staticmethod
    def _read(sheet: _Sheet, r1: int, c1: int, r2: int, c2: int, opts: _ReadOptions) -> list[list[Any]]:
        lines: dict[int, dict[int, Any]] = {}
        cells = sheet.cells
        if len(cells) <= (r2 - r1 + 1) * (c2 - c1 + 1):
            items: Iterable[tuple[tuple[int, int], Any]] = (
                (k, v) for k, v in cells.items() if r1 <= k[0] <= r2 and c1 <= k[1] <= c2
            )
        else:
            items = (
                ((r, c), cells[(r, c)])
                for r in range(r1, r2 + 1)
                for c in range(c1, c2 + 1)
                if (r, c) in cells
            )
        for (r, c), cell in items:
            rendered = render_cell(cell, opts.render, opts.date_time)
            if (
                opts.render == _FORMATTED
                and sheet.formats
                and isinstance(cell, int | float)
                and not isinstance(cell, bool)
            ):
                pattern = sheet.format_at(r, c).get("numberFormat", {}).get("pattern")
                if pattern:
                    rendered = format_number(cell, pattern)
            if rendered == "":
                continue
            a, b = (r - r1, c - c1) if opts.major == _ROWS else (c - c1, r - r1)
            lines.setdefault(a, {})[b] = rendered
        if not lines:
            return []
        out: list[list[Any]] = []
        for a in range(max(lines) + 1):
            line = lines.get(a)
            if not line:
                out.append([])
                continue
            out.append([line.get(b, "") for b in range(max(line) + 1)])
        return out

    def _value_range(self, t: _Target, opts: _ReadOptions) -> dict[str, Any]:
        out: dict[str, Any] = {"range": t.a1(), "majorDimension": opts.major}
        values = self._read(t.sheet, t.r1, t.c1, t.r2, t.c2, opts)
        if values:
            out["values"] = values
        return out

    def _target(self, ss: _Spreadsheet, text: str | None, *, anchor_may_overflow: bool = False) -> _Target:
        """Resolve an A1 range; with ``anchor_may_overflow`` a single-cell anchor is checked by the write."""
        if text is None:
            raise _bad_range("")
        try:
            title, ref = _split_range(text)
        except _ParseError:
            raise _bad_range(text) from None
        if title is None:
            sheet = next((s for s in ss.sheets if not s.hidden), ss.sheets[0])
        else:
            found = ss.find_sheet(title)
            if found is None:
                raise _bad_range(text)
            sheet = found
        explicit = ref is not None
        ref = ref or _WHOLE
        r2 = sheet.row_count - 1 if ref.r2 is None else ref.r2
        c2 = sheet.col_count - 1 if ref.c2 is None else ref.c2
        outside = ref.r1 >= sheet.row_count or ref.c1 >= sheet.col_count
        if (outside and not (anchor_may_overflow and ref.single)) or (
            not outside and (r2 >= sheet.row_count or c2 >= sheet.col_count)
        ):
            raise self._grid_limits(sheet, ref.text())
        return _Target(sheet, ref.r1, ref.c1, r2, c2, ref, explicit, text)

    @staticmethod
    def _grid_limits(sheet: _Sheet, ref_text: str) -> ApiError:
        return ApiError(
            400,
            f"Range ({quote_sheet_title(sheet.title)}!{ref_text}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}",
        )

    @staticmethod
    def _parser(ss: _Spreadsheet, option: str) -> Callable[[Any], Any]:
        if option == _RAW:
            return parse_raw
        return lambda value: parse_user_entered(value, ss.locale)

    def _write(
        self,
        ss: _Spreadsheet,
        t: _Target,
        values: Any,
        major: str,
        input_option: str,
        field_path: str,
        response_opts: _ReadOptions | None,
    ) -> dict[str, Any]:
        entries, n_rows, n_cols, n_cells = _normalize_values(values, major, field_path)
        out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
        if n_rows == 0:
            return out
        sheet = t.sheet
        end_r, end_c = t.r1 + n_rows - 1, t.c1 + n_cols - 1
        if t.r1 >= sheet.row_count or t.c1 >= sheet.col_count:
            # An anchor outside the grid: Google names the whole area the data would cover.
            raise self._grid_limits(sheet, _rect_a1(t.r1, t.c1, end_r, end_c))
        bounded = t.explicit and not t.ref.single
        last_r = t.r2 if bounded else sheet.row_count - 1
        last_c = t.c2 if bounded else sheet.col_count - 1
        if end_r > last_r:
            raise ApiError(
                400, f"Requested writing within range [{t.text}], but tried writing to row [{last_r + 2}]"
            )
        if end_c > last_c:
            raise ApiError(
                400,
                f"Requested writing within range [{t.text}], but tried writing to column "
                f"[{column_letters(last_c + 1)}]",
            )
        parse = self._parser(ss, input_option)
        for dr, dc, value in entries:
            if value is None:
                continue
            cell = parse(value)
            if cell is _CLEAR:
                sheet.cells.pop((t.r1 + dr, t.c1 + dc), None)
            else:
                sheet.cells[(t.r1 + dr, t.c1 + dc)] = cell
        written = _Target(sheet, t.r1, t.c1, end_r, end_c, t.ref, True, t.text)
        filled = [(dr, dc) for dr, dc, value in entries if value is not None]
        # Google counts only the cells actually written (nulls are skipped) but echoes the whole area.
        out.update(
            updatedRange=written.a1(),
            updatedRows=len({dr for dr, _ in filled}),
            updatedColumns=len({dc for _, dc in filled}),
            updatedCells=n_cells,
        )
        if response_opts is not None:
            out["updatedData"] = self._value_range(written, response_opts)
        ss.modified = _now_rfc3339()
        return out

    @staticmethod
    def _find_table(sheet: _Sheet, r1: int, c1: int, r2: int, c2: int) -> tuple[int, int, int, int] | None:
        """The data table append writes under: the 8-connected block holding the last filled cell."""
        cells = sheet.cells
        inside = [k for k in cells if r1 <= k[0] <= r2 and c1 <= k[1] <= c2]
        if not inside:
            return None
        start = max(inside)
        seen = {start}
        stack = [start]
        top, left, bottom, right = start[0], start[1], start[0], start[1]
        while stack:
            r, c = stack.pop()
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    k = (r + dr, c + dc)
                    if k not in seen and k in cells:
                        seen.add(k)
                        stack.append(k)
                        top, bottom = min(top, k[0]), max(bottom, k[0])
                        left, right = min(left, k[1]), max(right, k[1])
        return top, left, bottom, right

    @staticmethod
    def _insert_dimension(sheet: _Sheet, dimension: str, at: int, n: int) -> None:
        if dimension == _ROWS:
            sheet.cells = {((r + n) if r >= at else r, c): v for (r, c), v in sheet.cells.items()}
            sheet.row_count += n
        else:
            sheet.cells = {(r, (c + n) if c >= at else c): v for (r, c), v in sheet.cells.items()}
            sheet.col_count += n
        start_key, end_key = _dim_keys(dimension)
        for gr in sheet.grid_ranges():
            gr[start_key] = _shift_insert(gr.get(start_key), at, n)
            gr[end_key] = _shift_insert_end(gr.get(end_key), at, n)
            if gr[start_key] is None:
                del gr[start_key]
            if gr[end_key] is None:
                del gr[end_key]
        sheet.dim_props = {
            (d, i + n if d == dimension and i >= at else i): p for (d, i), p in sheet.dim_props.items()
        }

    @staticmethod
    def _delete_dimension(sheet: _Sheet, dimension: str, start: int, end: int) -> None:
        n = end - start
        if dimension == _ROWS:
            sheet.cells = {
                ((r - n) if r >= end else r, c): v
                for (r, c), v in sheet.cells.items()
                if not start <= r < end
            }
            sheet.row_count -= n
            sheet.frozen_rows = min(sheet.frozen_rows, sheet.row_count - 1) if sheet.frozen_rows else 0
        else:
            sheet.cells = {
                (r, (c - n) if c >= end else c): v
                for (r, c), v in sheet.cells.items()
                if not start <= c < end
            }
            sheet.col_count -= n
            sheet.frozen_cols = min(sheet.frozen_cols, sheet.col_count - 1) if sheet.frozen_cols else 0
        start_key, end_key = _dim_keys(dimension)

        def keep(gr: dict[str, Any]) -> bool:
            for key in (start_key, end_key):
                if gr.get(key) is not None:
                    gr[key] = _shift_delete(gr[key], start, end)
            lo, hi = gr.get(start_key), gr.get(end_key)
            return lo is None or hi is None or lo < hi

        sheet.protected = [p for p in sheet.protected if keep(p["range"])]
        sheet.validations = [(gr, rule) for gr, rule in sheet.validations if keep(gr)]
        sheet.merges = [gr for gr in sheet.merges if keep(gr)]
        if sheet.basic_filter is not None and not keep(sheet.basic_filter["range"]):
            sheet.basic_filter = None
        sheet.dim_props = {
            (d, i - n if d == dimension and i >= end else i): p
            for (d, i), p in sheet.dim_props.items()
            if not (d == dimension and start <= i < end)
        }

    # -- JSON shapes --------------------------------------------------------------------------------

    def _sheet_properties(self, ss: _Spreadsheet, sheet: _Sheet) -> dict[str, Any]:
        grid: dict[str, Any] = {"rowCount": sheet.row_count, "columnCount": sheet.col_count}
        if sheet.frozen_rows:
            grid["frozenRowCount"] = sheet.frozen_rows
        if sheet.frozen_cols:
            grid["frozenColumnCount"] = sheet.frozen_cols
        grid.update({k: v for k, v in sheet.grid_extra.items() if v})
        props: dict[str, Any] = {
            "sheetId": sheet.sheet_id,
            "title": sheet.title,
            "index": ss.sheets.index(sheet),
            "sheetType": "GRID",
            "gridProperties": grid,
        }
        if sheet.hidden:
            props["hidden"] = True
        props.update({k: copy.deepcopy(v) for k, v in sheet.extra.items() if v not in (None, False, {})})
        return props

    def _protected_out(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(dict(stored))
        editors = out.get("editors") or {}
        users = [self.user_email, *[u for u in editors.get("users", []) if u != self.user_email]]
        shown: dict[str, Any] = {"users": users}
        if editors.get("groups"):
            shown["groups"] = editors["groups"]
        if editors.get("domainUsersCanEdit"):
            shown["domainUsersCanEdit"] = True
        out["editors"] = shown
        return out

    def _metadata(self, ss: _Spreadsheet) -> dict[str, Any]:
        sheets = []
        for sheet in ss.sheets:
            entry: dict[str, Any] = {"properties": self._sheet_properties(ss, sheet)}
            if sheet.basic_filter is not None:
                entry["basicFilter"] = {
                    **copy.deepcopy(sheet.basic_filter),
                    "range": _grid_range_out(sheet.basic_filter["range"]),
                }
            if sheet.merges:
                entry["merges"] = [_grid_range_out(m) for m in sheet.merges]
            if sheet.protected:
                entry["protectedRanges"] = [self._protected_out(p) for p in sheet.protected]
            sheets.append(entry)
        return {
            "spreadsheetId": ss.spreadsheet_id,
            "properties": {
                "title": ss.title,
                "locale": ss.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": ss.time_zone,
            },
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{ss.spreadsheet_id}/edit",
        }

    # -- WSGI entry point ---------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Handle one WSGI request."""
        request = Request(environ)
        try:
            response = self._handle(request, environ)
        except Exception as exc:  # a bug of the fake: answer 500 and remember it for the tests
            self.errors.append(exc)
            response = _json_response(
                500,
                {"error": {"code": 500, "message": f"fake Sheets API bug: {exc!r}", "status": "INTERNAL"}},
            )
        return response(environ, start_response)

    def _handle(self, request: Request, environ: dict[str, Any]) -> Response:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")
        with contextlib.suppress(UnicodeError):
            raw = raw.encode("latin-1").decode("utf-8")
        path, _, query = raw.partition("?")
        if "://" in path:
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        method = request.method.upper()
        route = _route(method, path)
        body = request.get_data()
        user = request.headers.get("Authorization", "anonymous")
        with self._lock:
            self._number += 1
            entry = LoggedRequest(self._number, method, route.kind, path, query, body, user)
            self.requests.append(RequestRecord(method, route.kind, path))
            self.log.append(entry)
            entry.fault = self._take_fault(entry.number, route.kind, method)
            bucket = None if entry.fault else self._consume_quota(route.kind, method, user)
        self._sleep(self.latency)
        fault = entry.fault
        if bucket is not None:
            return self._error_response(entry, _quota_error(bucket))
        if fault is not None and not fault.applied:
            return self._fault_response(entry, fault, environ, method)
        status, payload = self._dispatch(route, method, request, body)
        if fault is not None:
            if fault.kind == "timeout":
                self._sleep(self.timeout_delay if fault.delay is None else fault.delay)
            else:
                return self._fault_response(entry, fault, environ, method)
        entry.status = status
        return _json_response(status, payload)

    @staticmethod
    def _error_response(entry: LoggedRequest, error: ApiError) -> Response:
        entry.status = error.code
        return _json_response(error.code, error.body())

    def _fault_response(
        self, entry: LoggedRequest, fault: Fault, environ: dict[str, Any], method: str
    ) -> Response:
        if fault.kind == "drop":
            entry.status = 0
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            return Response(b"", status=500)
        if fault.kind == "timeout":
            self._sleep(self.timeout_delay if fault.delay is None else fault.delay)
            return self._error_response(
                entry, ApiError(504, "Deadline expired before operation could complete.", "DEADLINE_EXCEEDED")
            )
        if fault.kind == "429":
            return self._error_response(entry, _quota_error("read" if method == "GET" else "write"))
        if fault.kind == "500":
            return self._error_response(entry, ApiError(500, "Internal error encountered.", "INTERNAL"))
        return self._error_response(
            entry, ApiError(503, "The service is currently unavailable.", "UNAVAILABLE")
        )

    def _dispatch(self, route: _Route, method: str, request: Request, body: bytes) -> tuple[int, Any]:
        try:
            allowed = _ALLOWED_METHODS.get(route.kind)
            if route.kind == "unsupported":
                raise ApiError(
                    501, "This endpoint is not implemented by the fake Sheets API.", "UNIMPLEMENTED"
                )
            if allowed is None or allowed != method:
                raise ApiError(404, "Method not found.", "NOT_FOUND")
            payload = self._json_body(body)
            args = request.args
            with self._lock:
                if route.kind.startswith("drive."):
                    return self._drive(route, payload, args)
                if route.kind == "spreadsheets.create":
                    return 200, self._create_via_sheets(payload)
                assert route.spreadsheet_id is not None
                if route.spreadsheet_id in self.forbidden:
                    raise _forbidden()
                ss = self._spreadsheets.get(route.spreadsheet_id)
                if ss is None:
                    raise _not_found()
                handler = getattr(self, "_ep_" + route.kind.replace(".", "_"))
                return 200, handler(ss, route, payload, args)
        except ApiError as error:
            return error.code, error.body()

    @staticmethod
    def _json_body(body: bytes) -> dict[str, Any]:
        if not body.strip():
            return {}
        try:
            payload = json.loads(body)
        except ValueError:
            raise ApiError(400, "Invalid JSON payload received. Unexpected token.") from None
        if not isinstance(payload, dict):
            raise ApiError(400, "Invalid JSON payload received. Expected an object at the top level.")
        return payload

    # -- Drive --------------------------------------------------------------------------------------

    def _drive(self, route: _Route, payload: dict[str, Any], args: Any) -> tuple[int, Any]:
        if route.kind == "drive.files.create":
            mime = payload.get("mimeType")
            if mime not in (None, SPREADSHEET_MIME):
                raise ApiError(501, "Only spreadsheets can be created in the fake Drive.", "UNIMPLEMENTED")
            ss = self._make_spreadsheet(payload.get("name") or "Untitled spreadsheet", None, None, None)
            ss.sheets.append(_Sheet(0, self.default_sheet_title))
            return 200, {
                "kind": "drive#file",
                "id": ss.spreadsheet_id,
                "name": ss.title,
                "mimeType": SPREADSHEET_MIME,
            }
        if route.kind == "drive.files.list":
            query = args.get("q", "")
            names = re.findall(r"name\s*=\s*(?:\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)')", query)
            wanted = [a or b for a, b in names]
            files = [
                {
                    "id": ss.spreadsheet_id,
                    "name": ss.title,
                    "createdTime": ss.created,
                    "modifiedTime": ss.modified,
                }
                for sid, ss in self._spreadsheets.items()
                if sid not in self.forbidden and all(ss.title == w.replace('\\"', '"') for w in wanted)
            ]
            return 200, {"kind": "drive#fileList", "files": files}
        file_id = route.file_id or ""
        if file_id in self.forbidden:
            raise _drive_error(
                403,
                f"The user does not have sufficient permissions for file {file_id}.",
                "insufficientFilePermissions",
            )
        found = self._spreadsheets.get(file_id)
        if found is None:
            raise _drive_error(404, f"File not found: {file_id}.", "notFound")
        ss = found
        if route.kind == "drive.files.delete":
            del self._spreadsheets[file_id]
            return 204, None
        meta = {
            "kind": "drive#file",
            "id": ss.spreadsheet_id,
            "name": ss.title,
            "mimeType": SPREADSHEET_MIME,
            "createdTime": ss.created,
            "modifiedTime": ss.modified,
        }
        fields = args.get("fields")
        if fields:
            meta = _apply_mask(meta, [p.split(".") for p in _parse_mask(fields)])
        else:
            meta = {k: meta[k] for k in ("kind", "id", "name", "mimeType")}
        return 200, meta

    # -- spreadsheets -------------------------------------------------------------------------------

    def _create_via_sheets(self, payload: dict[str, Any]) -> dict[str, Any]:
        props = payload.get("properties") or {}
        ss = self._make_spreadsheet(
            props.get("title") or "Untitled spreadsheet", None, props.get("locale"), props.get("timeZone")
        )
        sheet_specs = payload.get("sheets") or [{}]
        for index, spec in enumerate(sheet_specs):
            sp = (spec or {}).get("properties") or {}
            grid = sp.get("gridProperties") or {}
            ss.sheets.append(
                _Sheet(
                    sheet_id=sp.get("sheetId", 0 if index == 0 else self._new_sheet_id(ss)),
                    title=sp.get("title")
                    or (self.default_sheet_title if index == 0 else f"Sheet{index + 1}"),
                    row_count=grid.get("rowCount") or 1000,
                    col_count=grid.get("columnCount") or 26,
                    hidden=bool(sp.get("hidden")),
                    frozen_rows=grid.get("frozenRowCount") or 0,
                    frozen_cols=grid.get("frozenColumnCount") or 0,
                )
            )
        return self._metadata(ss)

    def _ep_spreadsheets_get(self, ss: _Spreadsheet, route: _Route, payload: Any, args: Any) -> Any:
        fields = args.get("fields")
        if _truthy(args.get("includeGridData", "false")) or (fields and re.search(r"\bdata\b", fields)):
            raise ApiError(501, "Grid data is not implemented by the fake Sheets API.", "UNIMPLEMENTED")
        meta = self._metadata(ss)
        if fields:
            meta = _apply_mask(meta, [p.split(".") for p in _parse_mask(fields)])
        return meta

    # -- values -------------------------------------------------------------------------------------

    def _ep_values_get(self, ss: _Spreadsheet, route: _Route, payload: Any, args: Any) -> Any:
        opts = _read_options(
            args.get("majorDimension"), args.get("valueRenderOption"), args.get("dateTimeRenderOption")
        )
        return self._value_range(self._target(ss, route.range_text), opts)

    def _ep_values_batchGet(self, ss: _Spreadsheet, route: _Route, payload: Any, args: Any) -> Any:
        opts = _read_options(
            args.get("majorDimension"), args.get("valueRenderOption"), args.get("dateTimeRenderOption")
        )
        targets = [self._target(ss, text) for text in args.getlist("ranges")]
        out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
        if targets:
            out["valueRanges"] = [self._value_range(t, opts) for t in targets]
        return out

    @staticmethod
    def _input_option(value: Any) -> str:
        if value is None or value == "":
            raise ApiError(400, "'valueInputOption' is required but not specified")
        return _enum(value, (_RAW, _USER_ENTERED), _RAW, "value_input_option", "ValueInputOption")

    @staticmethod
    def _response_options(
        include: Any, render: Any, date_time: Any, major: str = _ROWS
    ) -> _ReadOptions | None:
        if not _truthy(include):
            return None
        opts = _read_options(major, render, date_time)
        return opts

    def _ep_values_update(self, ss: _Spreadsheet, route: _Route, payload: Any, args: Any) -> Any:
        option = self._input_option(args.get("valueInputOption"))
        major = _enum(
            payload.get("majorDimension"), (_ROWS, _COLUMNS), _ROWS, "data.major_dimension", "Dimension"
        )
        _normalize_values(payload.get("values"), major, "data.values")  # Google checks the body first
        t = self._target(ss, route.range_text, anchor_may_overflow=True)
        response_opts = self._response_options(
            args.get("includeValuesInResponse"),
            args.get("responseValueRenderOption"),
            args.get("responseDateTimeRenderOption"),
            major,
        )
        return self._write(ss, t, payload.get("values"), major, option, "data.values", response_opts)

    def _ep_values_append(self, ss: _Spreadsheet, route: _Route, payload: Any, args: Any) -> Any:
        option = self._input_option(args.get("valueInputOption"))
        insert = _enum(
            args.get("insertDataOption"),
            ("OVERWRITE", "INSERT_ROWS"),
            "OVERWRITE",
            "insert_data_option",
            "InsertDataOption",
        )
        major = _enum(
            payload.get("majorDimension"), (_ROWS, _COLUMNS), _ROWS, "data.major_dimension", "Dimension"
        )
        _, n_rows, n_cols, _ = _normalize_values(payload.get("values"), major, "data.values")
        t = self._target(ss, route.range_text)
        sheet = t.sheet
        out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
        table = self._find_table(sheet, t.r1, t.c1, t.r2, t.c2)
        if table is not None:
            out["tableRange"] = f"{quote_sheet_title(sheet.title)}!{_rect_a1(*table)}"
            start_r, start_c = table[2] + 1, table[1]
        else:
            start_r, start_c = t.r1, t.c1
        if n_rows == 0:
            out["updates"] = {"spreadsheetId": ss.spreadsheet_id}
            return out
        if insert == "INSERT_ROWS":
            self._insert_dimension(sheet, _ROWS, start_r, n_rows)
        sheet.row_count = max(sheet.row_count, start_r + n_rows)
        sheet.col_count = max(sheet.col_count, start_c + n_cols)
        start = _Target(
            sheet,
            start_r,
            start_c,
            start_r,
            start_c,
            _Ref(start_r, start_c, start_r, start_c, True),
            True,
            "",
        )
        response_opts = self._response_options(
            args.get("includeValuesInResponse"),
            args.get("responseValueRenderOption"),
            args.get("responseDateTimeRenderOption"),
            major,
        )
        out["updates"] = self._write(
            ss, start, payload.get("values"), major, option, "data.values", response_opts
        )
        return out

    def _ep_values_clear(self, ss: _Spreadsheet, route: _Route, payload: Any, args: Any) -> Any:
        t = self._target(ss, route.range_text)
        self._clear(t)
        ss.modified = _now_rfc3339()
        return {"spreadsheetId": ss.spreadsheet_id, "clearedRange": t.a1()}

    @staticmethod
    def _clear(t: _Target) -> None:
        t.sheet.cells = {
            k: v for k, v in t.sheet.cells.items() if not (t.r1 <= k[0] <= t.r2 and t.c1 <= k[1] <= t.c2)
        }

    def _ep_values_batchClear(self, ss: _Spreadsheet, route: _Route, payload: Any, args: Any) -> Any:
        work = ss.clone()
        cleared = []
        for text in payload.get("ranges") or []:
            t = self._target(work, text)
            self._clear(t)
            cleared.append(t.a1())
        work.modified = _now_rfc3339()
        self._spreadsheets[ss.spreadsheet_id] = work
        out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
        if cleared:
            out["clearedRanges"] = cleared
        return out

    def _ep_values_batchUpdate(self, ss: _Spreadsheet, route: _Route, payload: Any, args: Any) -> Any:
        option_value = payload.get("valueInputOption")
        if option_value in (None, "", "INPUT_VALUE_OPTION_UNSPECIFIED"):
            raise ApiError(400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
        option = _enum(option_value, (_RAW, _USER_ENTERED), _RAW, "value_input_option", "ValueInputOption")
        data = payload.get("data") or []
        if not isinstance(data, list):
            raise _invalid_value("data", "type.googleapis.com/google.apps.sheets.v4.ValueRange", data)
        for k, item in enumerate(data):
            if not isinstance(item, dict):
                raise _invalid_value(
                    f"data[{k}]", "type.googleapis.com/google.apps.sheets.v4.ValueRange", item
                )
            major = _enum(
                item.get("majorDimension"),
                (_ROWS, _COLUMNS),
                _ROWS,
                f"data[{k}].major_dimension",
                "Dimension",
            )
            _normalize_values(item.get("values"), major, f"data[{k}].values")
        work = ss.clone()
        responses = []
        rows: set[tuple[int, int]] = set()
        cols: set[tuple[int, int]] = set()
        sheets: set[int] = set()
        total_cells = 0
        for k, item in enumerate(data):
            try:
                t = self._target(work, item.get("range"), anchor_may_overflow=True)
            except ApiError as error:
                raise ApiError(400, f"Invalid data[{k}]: {error.message}") from None
            major = _enum(
                item.get("majorDimension"),
                (_ROWS, _COLUMNS),
                _ROWS,
                f"data[{k}].major_dimension",
                "Dimension",
            )
            response_opts = self._response_options(
                payload.get("includeValuesInResponse"),
                payload.get("responseValueRenderOption"),
                payload.get("responseDateTimeRenderOption"),
                major,
            )
            result = self._write(
                work, t, item.get("values"), major, option, f"data[{k}].values", response_opts
            )
            responses.append(result)
            if result.get("updatedCells"):
                sheet_id = t.sheet.sheet_id
                entries, *_ = _normalize_values(item.get("values"), major, f"data[{k}].values")
                sheets.add(sheet_id)
                rows.update((sheet_id, t.r1 + dr) for dr, _, value in entries if value is not None)
                cols.update((sheet_id, t.c1 + dc) for _, dc, value in entries if value is not None)
                total_cells += result["updatedCells"]
        self._spreadsheets[ss.spreadsheet_id] = work
        out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
        if total_cells or rows:
            out.update(
                totalUpdatedRows=len(rows),
                totalUpdatedColumns=len(cols),
                totalUpdatedCells=total_cells,
                totalUpdatedSheets=len(sheets),
            )
        if responses:
            out["responses"] = responses
        return out

    # -- spreadsheets.batchUpdate -------------------------------------------------------------------

    def _ep_spreadsheets_batchUpdate(self, ss: _Spreadsheet, route: _Route, payload: Any, args: Any) -> Any:
        requests_in = payload.get("requests")
        if not requests_in:
            raise ApiError(400, "Must specify at least one request.")
        if not isinstance(requests_in, list):
            raise _invalid_value("requests", "type.googleapis.com/google.apps.sheets.v4.Request", requests_in)
        work = ss.clone()
        replies = []
        for i, req in enumerate(requests_in):
            if not isinstance(req, dict) or len([k for k, v in req.items() if v is not None]) != 1:
                raise ApiError(400, f"Invalid requests[{i}]: No request set.")
            name, body = next((k, v) for k, v in req.items() if v is not None)
            handler = getattr(self, "_rq_" + name, None)
            if handler is None:
                if name in _GOOGLE_REQUEST_NAMES:
                    raise ApiError(
                        501, f"Request '{name}' is not implemented by the fake Sheets API.", "UNIMPLEMENTED"
                    )
                raise ApiError(
                    400,
                    f"Invalid JSON payload received. Unknown name \"{name}\" at 'requests[{i}]': "
                    "Cannot find field.",
                )
            try:
                replies.append(handler(work, body or {}))
            except _RequestError as error:
                raise ApiError(400, f"Invalid requests[{i}].{name}: {error}") from None
            except ApiError as error:
                raise ApiError(
                    error.code, f"Invalid requests[{i}].{name}: {error.message}", error.status
                ) from None
            work.applied.append(copy.deepcopy(req))
        work.modified = _now_rfc3339()
        self._spreadsheets[ss.spreadsheet_id] = work
        out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id, "replies": replies}
        if _truthy(payload.get("includeSpreadsheetInResponse")):
            out["updatedSpreadsheet"] = self._metadata(work)
        return out

    @staticmethod
    def _check_title(ss: _Spreadsheet, title: Any, exclude: _Sheet | None = None) -> str:
        if not isinstance(title, str) or not title.strip():
            raise _RequestError("Sheet name cannot be empty.")
        other = ss.find_sheet(title)
        if other is not None and other is not exclude:
            raise _RequestError(f'A sheet with the name "{title}" already exists. Please enter another name.')
        return title

    def _grid_bounds(self, ss: _Spreadsheet, gr: Mapping[str, Any]) -> tuple[_Sheet, int, int, int, int]:
        """Validate a GridRange; return (sheet, start row, end row, start col, end col), ends exclusive.

        As live-tested against the API: a range starting at or past the grid's last row or column is
        refused; one starting inside is taken, its end clipped to the grid (the grid is not grown).
        """
        sheet = ss.sheet_by_id(gr.get("sheetId") or 0)
        r1, c1 = gr.get("startRowIndex") or 0, gr.get("startColumnIndex") or 0
        end_r, end_c = gr.get("endRowIndex"), gr.get("endColumnIndex")
        if r1 < 0 or c1 < 0 or (end_r is not None and end_r < r1) or (end_c is not None and end_c < c1):
            raise _RequestError("Invalid grid range: the start index must not be after the end index.")
        if r1 >= sheet.row_count or c1 >= sheet.col_count:
            end = (column_letters(end_c - 1) if end_c else "") + (str(end_r) if end_r else "")
            raise self._grid_limits(sheet, _cell_a1(r1, c1) + (f":{end}" if end else ""))
        r2 = sheet.row_count if end_r is None else min(end_r, sheet.row_count)
        c2 = sheet.col_count if end_c is None else min(end_c, sheet.col_count)
        return sheet, r1, r2, c1, c2

    def _dimension_bounds(
        self, ss: _Spreadsheet, dr: Mapping[str, Any], *, strict_end: bool = False
    ) -> tuple[_Sheet, str, int, int]:
        """Validate a DimensionRange like a GridRange; return (sheet, dimension, start, end)."""
        dimension = dr.get("dimension")
        if dimension not in (_ROWS, _COLUMNS):
            raise _RequestError("dimension must be ROWS or COLUMNS.")
        start_key, end_key = _dim_keys(dimension)
        gr = {"sheetId": dr.get("sheetId"), start_key: dr.get("startIndex"), end_key: dr.get("endIndex")}
        sheet, r1, r2, c1, c2 = self._grid_bounds(ss, gr)
        count = sheet.row_count if dimension == _ROWS else sheet.col_count
        if strict_end and dr.get("endIndex") is not None and dr["endIndex"] > count:
            raise self._grid_limits(sheet, _cell_a1(count, 0) if dimension == _ROWS else _cell_a1(0, count))
        return (sheet, dimension, r1, r2) if dimension == _ROWS else (sheet, dimension, c1, c2)

    def _rq_addSheet(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        props = body.get("properties") or {}
        if props.get("sheetType", "GRID") != "GRID":
            raise _RequestError("Only GRID sheets are supported by the fake.")
        title = props.get("title")
        if title is None:
            n = len(ss.sheets) + 1
            while ss.find_sheet(f"Sheet{n}") is not None:
                n += 1
            title = f"Sheet{n}"
        self._check_title(ss, title)
        sheet_id = props.get("sheetId")
        if sheet_id is None:
            sheet_id = self._new_sheet_id(ss)
        elif any(s.sheet_id == sheet_id for s in ss.sheets):
            raise _RequestError(f"A sheet with the id {sheet_id} already exists.")
        grid = props.get("gridProperties") or {}
        sheet = _Sheet(
            sheet_id=sheet_id,
            title=title,
            row_count=grid.get("rowCount") or 1000,
            col_count=grid.get("columnCount") or 26,
            hidden=bool(props.get("hidden")),
            frozen_rows=grid.get("frozenRowCount") or 0,
            frozen_cols=grid.get("frozenColumnCount") or 0,
        )
        for key in ("hideGridlines", "rowGroupControlAfter", "columnGroupControlAfter"):
            if key in grid:
                sheet.grid_extra[key] = grid[key]
        for key in ("tabColor", "tabColorStyle"):
            if key in props:
                self._set_tab_color(sheet, key, props[key])
        if props.get("rightToLeft"):
            sheet.extra["rightToLeft"] = True
        index = props.get("index")
        index = len(ss.sheets) if index is None else max(0, min(int(index), len(ss.sheets)))
        ss.sheets.insert(index, sheet)
        if all(s.hidden for s in ss.sheets):
            raise _RequestError("You can't hide all the sheets in a document.")
        return {"addSheet": {"properties": self._sheet_properties(ss, sheet)}}

    def _rq_duplicateSheet(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        source = ss.sheet_by_id(body.get("sourceSheetId") or 0)
        title = body.get("newSheetName") or f"Copy of {source.title}"
        self._check_title(ss, title)
        twin = source.clone()
        twin.title = title
        twin.sheet_id = body.get("newSheetId") or self._new_sheet_id(ss)
        for protected in twin.protected:
            protected["protectedRangeId"] = self._new_protected_id(ss)
            if twin.sheet_id:
                protected["range"]["sheetId"] = twin.sheet_id
        index = body.get("insertSheetIndex")
        index = len(ss.sheets) if index is None else max(0, min(int(index), len(ss.sheets)))
        ss.sheets.insert(index, twin)
        return {"duplicateSheet": {"properties": self._sheet_properties(ss, twin)}}

    def _rq_deleteSheet(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        sheet = ss.sheet_by_id(body.get("sheetId") or 0)
        if len(ss.sheets) == 1:
            raise _RequestError("You can't remove all the sheets in a document.")
        ss.sheets.remove(sheet)
        if all(s.hidden for s in ss.sheets):
            raise _RequestError("You can't remove all the visible sheets in a document.")
        return {}

    def _rq_updateSheetProperties(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        props = body.get("properties") or {}
        fields = body.get("fields")
        if not fields:
            raise _RequestError("At least one field must be specified in 'fields'.")
        sheet = ss.sheet_by_id(props.get("sheetId") or 0)
        paths = _parse_mask(fields)
        if "*" in paths:
            paths = [k for k in props if k != "sheetId"]
        grid = props.get("gridProperties") or {}
        for path in paths:
            sub_paths = ["gridProperties." + k for k in grid] if path == "gridProperties" else [path]
            for sub in sub_paths:
                self._set_sheet_property(ss, sheet, sub, props, grid)
        if sheet.row_count < 1 or sheet.col_count < 1:
            raise _RequestError("The grid must have at least one row and one column.")
        if sheet.frozen_rows >= sheet.row_count and sheet.frozen_rows:
            raise _RequestError("You can't freeze all visible rows on the sheet.")
        if sheet.frozen_cols >= sheet.col_count and sheet.frozen_cols:
            raise _RequestError("You can't freeze all visible columns on the sheet.")
        if all(s.hidden for s in ss.sheets):
            raise _RequestError("You can't hide all the sheets in a document.")
        sheet.cells = {
            k: v for k, v in sheet.cells.items() if k[0] < sheet.row_count and k[1] < sheet.col_count
        }
        return {}

    def _set_sheet_property(
        self, ss: _Spreadsheet, sheet: _Sheet, path: str, props: Mapping[str, Any], grid: Mapping[str, Any]
    ) -> None:
        if path == "sheetId":
            return
        if path == "title":
            sheet.title = self._check_title(ss, props.get("title"), exclude=sheet)
        elif path == "index":
            self._move_sheet(ss, sheet, int(props.get("index") or 0))
        elif path == "hidden":
            sheet.hidden = bool(props.get("hidden"))
        elif path == "sheetType":
            if props.get("sheetType", "GRID") != "GRID":
                raise _RequestError("Only GRID sheets are supported by the fake.")
        elif path in ("tabColor", "tabColorStyle"):
            self._set_tab_color(sheet, path, props.get(path))
        elif path == "rightToLeft":
            sheet.extra[path] = bool(props.get(path))
        elif path.startswith("gridProperties."):
            key = path.split(".", 1)[1]
            value = grid.get(key)
            if key == "rowCount":
                sheet.row_count = int(value or 0)
            elif key == "columnCount":
                sheet.col_count = int(value or 0)
            elif key == "frozenRowCount":
                sheet.frozen_rows = int(value or 0)
            elif key == "frozenColumnCount":
                sheet.frozen_cols = int(value or 0)
            elif key in ("hideGridlines", "rowGroupControlAfter", "columnGroupControlAfter"):
                sheet.grid_extra[key] = bool(value)
            else:
                raise _RequestError(f"Unknown field: {path}")
        else:
            raise _RequestError(f"Unknown field: {path}")

    @staticmethod
    def _set_tab_color(sheet: _Sheet, key: str, value: Any) -> None:
        """Set tabColor or tabColorStyle; the API keeps the two in step and omits zero components."""
        if isinstance(value, dict):
            value = (
                _quantize_color(value)
                if key == "tabColor"
                else {k: (_quantize_color(v) if k == "rgbColor" else v) for k, v in value.items()}
            )
        value = _strip_defaults(value) or None
        if key == "tabColor":
            color, style = value, ({"rgbColor": value} if value else None)
        else:
            color, style = (value or {}).get("rgbColor"), value
        sheet.extra["tabColor"] = color
        sheet.extra["tabColorStyle"] = style

    @staticmethod
    def _move_sheet(ss: _Spreadsheet, sheet: _Sheet, index: int) -> None:
        """Move a sheet; like the API, ``index`` counts positions before the move."""
        old = ss.sheets.index(sheet)
        index = max(0, min(index, len(ss.sheets)))
        target = index - 1 if index > old else index
        ss.sheets.pop(old)
        ss.sheets.insert(target, sheet)

    def _rq_updateSpreadsheetProperties(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        props = body.get("properties") or {}
        fields = body.get("fields")
        if not fields:
            raise _RequestError("At least one field must be specified in 'fields'.")
        paths = _parse_mask(fields)
        if "*" in paths:
            paths = list(props)
        for path in paths:
            if path == "title":
                ss.title = props.get("title") or ""
            elif path == "locale":
                ss.locale = props.get("locale") or self.default_locale
            elif path == "timeZone":
                ss.time_zone = props.get("timeZone") or self.default_time_zone
            elif path.split(".")[0] in (
                "autoRecalc",
                "defaultFormat",
                "iterativeCalculationSettings",
                "spreadsheetTheme",
            ):
                continue
            else:
                raise _RequestError(f"Unknown field: {path}")
        return {}

    def _rq_appendDimension(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        sheet = ss.sheet_by_id(body.get("sheetId") or 0)
        length = body.get("length") or 0
        if length < 1:
            raise _RequestError("length must be at least 1.")
        if body.get("dimension") == _ROWS:
            sheet.row_count += length
        elif body.get("dimension") == _COLUMNS:
            sheet.col_count += length
        else:
            raise _RequestError("dimension must be ROWS or COLUMNS.")
        return {}

    def _rq_insertDimension(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        dr = body.get("range") or {}
        sheet = ss.sheet_by_id(dr.get("sheetId") or 0)
        dimension = dr.get("dimension")
        if dimension not in (_ROWS, _COLUMNS):
            raise _RequestError("dimension must be ROWS or COLUMNS.")
        start, end = dr.get("startIndex") or 0, dr.get("endIndex")
        count = sheet.row_count if dimension == _ROWS else sheet.col_count
        if end is None or end <= start or start > count:
            raise _RequestError("Invalid dimension range for insertDimension.")
        if body.get("inheritFromBefore") and start == 0:
            raise _RequestError(
                "Cannot inherit properties from before if inserting rows/columns at the beginning."
            )
        self._insert_dimension(sheet, dimension, start, end - start)
        return {}

    def _rq_deleteDimension(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        sheet, dimension, start, end = self._dimension_bounds(ss, body.get("range") or {}, strict_end=True)
        count = sheet.row_count if dimension == _ROWS else sheet.col_count
        if end - start >= count:
            raise _RequestError(f"You can't delete all the {dimension.lower()} on the sheet.")
        if end > start:
            self._delete_dimension(sheet, dimension, start, end)
        return {}

    def _rq_updateDimensionProperties(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        sheet, dimension, start, end = self._dimension_bounds(ss, body.get("range") or {})
        props = body.get("properties") or {}
        fields = body.get("fields")
        if not fields:
            raise _RequestError("At least one field must be specified in 'fields'.")
        paths = _parse_mask(fields)
        if "*" in paths:
            paths = list(props)
        for i in range(start, end):
            current = sheet.dim_props.setdefault((dimension, i), {})
            for path in paths:
                key = path.split(".")[0]
                if props.get(key) is None:
                    current.pop(key, None)
                else:
                    current[key] = copy.deepcopy(props[key])
            if not current:
                del sheet.dim_props[(dimension, i)]
        return {}

    def _rq_autoResizeDimensions(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        self._dimension_bounds(ss, body.get("dimensions") or {})
        return {}

    def _rq_addProtectedRange(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        pr = body.get("protectedRange") or {}
        if pr.get("namedRangeId"):
            raise _RequestError("Named ranges are not supported by the fake.")
        gr = pr.get("range") or {}
        sheet, *_ = self._grid_bounds(ss, gr)
        pid = pr.get("protectedRangeId") or self._new_protected_id(ss)
        editors_in = pr.get("editors") or {}
        users = list(editors_in.get("users") or [])
        groups = list(editors_in.get("groups") or [])
        stored: dict[str, Any] = {"protectedRangeId": pid, "range": _grid_range_out(gr)}
        if gr.get("sheetId"):
            stored["range"]["sheetId"] = gr["sheetId"]
        if pr.get("description"):
            stored["description"] = pr["description"]
        if pr.get("warningOnly"):
            if users or groups:
                raise _RequestError("Cannot set editors on a warning-only protected range.")
            stored["warningOnly"] = True
        stored["requestingUserCanEdit"] = True
        editors: dict[str, Any] = {}
        if users:
            editors["users"] = users
        if groups:
            editors["groups"] = groups
        if editors_in.get("domainUsersCanEdit"):
            editors["domainUsersCanEdit"] = True
        stored["editors"] = editors
        if pr.get("unprotectedRanges"):
            stored["unprotectedRanges"] = [_grid_range_out(u) for u in pr["unprotectedRanges"]]
        sheet.protected.append(stored)
        return {"addProtectedRange": {"protectedRange": copy.deepcopy(stored)}}

    def _find_protected(self, ss: _Spreadsheet, pid: Any) -> tuple[_Sheet, dict[str, Any]]:
        for sheet in ss.sheets:
            for protected in sheet.protected:
                if protected["protectedRangeId"] == pid:
                    return sheet, protected
        raise _RequestError(f"No protected range with id: {pid}")

    def _rq_deleteProtectedRange(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        sheet, protected = self._find_protected(ss, body.get("protectedRangeId"))
        sheet.protected.remove(protected)
        return {}

    def _rq_updateProtectedRange(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        pr = body.get("protectedRange") or {}
        fields = body.get("fields")
        if not fields:
            raise _RequestError("At least one field must be specified in 'fields'.")
        sheet, protected = self._find_protected(ss, pr.get("protectedRangeId"))
        paths = _parse_mask(fields)
        if "*" in paths:
            paths = [k for k in pr if k != "protectedRangeId"]
        for path in paths:
            key = path.split(".")[0]
            if key == "range":
                new_sheet, *_ = self._grid_bounds(ss, pr.get("range") or {})
                protected["range"] = _grid_range_out(pr.get("range") or {})
                if new_sheet is not sheet:
                    sheet.protected.remove(protected)
                    new_sheet.protected.append(protected)
                    sheet = new_sheet
            elif key in ("description", "warningOnly", "editors", "unprotectedRanges"):
                if pr.get(key) in (None, False, "", [], {}):
                    protected.pop(key, None)
                else:
                    protected[key] = copy.deepcopy(pr[key])
            elif key != "requestingUserCanEdit":
                raise _RequestError(f"Unknown field: {path}")
        protected.setdefault("editors", {})
        return {}

    def _rq_setDataValidation(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        gr = body.get("range") or {}
        sheet, r1, r2, c1, c2 = self._grid_bounds(ss, gr)
        rule = body.get("rule")
        if rule is not None and not (rule.get("condition") or {}).get("type"):
            raise _RequestError("A data validation rule needs a condition type.")
        normalized = {"startRowIndex": r1, "endRowIndex": r2, "startColumnIndex": c1, "endColumnIndex": c2}
        sheet.validations.append((normalized, copy.deepcopy(rule)))
        return {}

    def _rq_mergeCells(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        sheet, r1, r2, c1, c2 = self._grid_bounds(ss, body.get("range") or {})
        merge_type = body.get("mergeType") or "MERGE_ALL"
        if merge_type == "MERGE_ALL":
            blocks = [(r1, r2, c1, c2)]
        elif merge_type == "MERGE_ROWS":
            blocks = [(r, r + 1, c1, c2) for r in range(r1, r2)]
        else:
            blocks = [(r1, r2, c, c + 1) for c in range(c1, c2)]
        sheet.merges = [m for m in sheet.merges if not _overlaps(m, r1, r2, c1, c2)]
        for a, b, c, d in blocks:
            if (b - a) * (d - c) > 1:
                sheet.merges.append(
                    {
                        "sheetId": sheet.sheet_id,
                        "startRowIndex": a,
                        "endRowIndex": b,
                        "startColumnIndex": c,
                        "endColumnIndex": d,
                    }
                )
        return {}

    def _rq_unmergeCells(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        sheet, r1, r2, c1, c2 = self._grid_bounds(ss, body.get("range") or {})
        sheet.merges = [m for m in sheet.merges if not _overlaps(m, r1, r2, c1, c2)]
        return {}

    def _accept_range(self, ss: _Spreadsheet, body: dict[str, Any], key: str = "range") -> dict[str, Any]:
        if body.get(key) is not None:
            self._grid_bounds(ss, body[key])
        return {}

    def _rq_repeatCell(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        fields = body.get("fields")
        if not fields:
            raise _RequestError("At least one field must be specified in 'fields'.")
        sheet, r1, r2, c1, c2 = self._grid_bounds(ss, body.get("range") or {})
        given = ((body.get("cell") or {}).get("userEnteredFormat")) or {}
        chosen: dict[str, Any] = {}
        for path in _parse_mask(fields):
            parts = path.split(".")
            if parts[0] != "userEnteredFormat":
                continue  # values, notes, validation: not modelled by repeatCell here
            keys = parts[1:2] or list(given) or ["numberFormat", "wrapStrategy", "textFormat"]
            for key in keys:
                chosen[key] = copy.deepcopy(given.get(key))  # a field in the mask but absent clears it
        number = chosen.get("numberFormat")
        if number is not None and number.get("type") not in _NUMBER_FORMAT_TYPES:
            raise _RequestError(f"Invalid number format type: {number.get('type')}")
        if chosen:
            sheet.formats.append((r1, r2, c1, c2, chosen))
        return {}

    def _rq_updateBorders(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        return self._accept_range(ss, body)

    def _rq_setBasicFilter(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        spec = copy.deepcopy(body.get("filter") or {})
        sheet, r1, r2, c1, c2 = self._grid_bounds(ss, spec.get("range") or {})
        spec["range"] = {
            "sheetId": sheet.sheet_id,
            "startRowIndex": r1,
            "endRowIndex": r2,
            "startColumnIndex": c1,
            "endColumnIndex": c2,
        }
        sheet.basic_filter = spec
        return {}

    def _rq_clearBasicFilter(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        ss.sheet_by_id(body.get("sheetId") or 0).basic_filter = None
        return {}

    def _rq_addConditionalFormatRule(self, ss: _Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        for gr in (body.get("rule") or {}).get("ranges") or []:
            self._grid_bounds(ss, gr)
        return {}
