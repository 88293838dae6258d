"""Typed columns: the canonical text the core renders ⇄ the typed value a spreadsheet stores.  Pure.

The core renders every cell as text (`03/04/2024 11:09`, `17`) and the diff compares text. A column whose
kind is not `text` is stored typed by the backends — a real date with an Italian number format, a number —
and read back into exactly the same canonical text, so an idle sync still finds nothing to write. A cell of
a typed column whose text does not read as that kind (a timestamp the form left unreadable) stays literal
text. Only machine-made values live in typed columns: whatever a person typed into the form is text.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal

ColumnKind = Literal["text", "int", "date", "datetime", "timestamp"]

# The canonical text of each kind (what `render` writes) and the number format a spreadsheet shows it with.
TEXT_FORMATS: dict[str, str] = {
    "date": "%d/%m/%Y",
    "datetime": "%d/%m/%Y %H:%M",
    "timestamp": "%d/%m/%Y %H:%M:%S",
}
# Excel/LibreOffice codes (openpyxl `number_format`) and Google `numberFormat` (type, pattern).
XLSX_FORMATS: dict[str, str] = {
    "int": "0",
    "date": "DD/MM/YYYY",
    "datetime": "DD/MM/YYYY HH:MM",
    "timestamp": "DD/MM/YYYY HH:MM:SS",
}
GOOGLE_FORMATS: dict[str, tuple[str, str]] = {
    "int": ("NUMBER", "0"),
    "date": ("DATE", "dd/mm/yyyy"),
    "datetime": ("DATE_TIME", "dd/mm/yyyy hh:mm"),
    "timestamp": ("DATE_TIME", "dd/mm/yyyy hh:mm:ss"),
}
_INT = re.compile(r"-?[1-9]\d{0,14}|0")
# Day 0 of spreadsheet serial numbers (Lotus 1900 leap-year bug included, as Excel and Google count).
SERIAL_EPOCH = datetime(1899, 12, 30)


def typed_value(kind: ColumnKind | str, text: str) -> int | datetime | None:
    """The value to store for `text` in a column of `kind`; None = store the text as it is."""
    if kind == "int":
        # "007" would lose its zeros as a number: only a canonical integer is typed.
        return int(text) if _INT.fullmatch(text) else None
    pattern = TEXT_FORMATS.get(kind)
    if pattern is None or not text:
        return None
    try:
        value = datetime.strptime(text, pattern)
    except ValueError:
        return None
    # strptime accepts "3/4/2024" for "%d/%m/%Y": type only what reads back as the same text.
    return value if value.strftime(pattern) == text else None


def canonical_text(kind: ColumnKind | str, value: object) -> str | None:
    """The canonical text of a stored typed value in a column of `kind`; None = not a value of that kind."""
    if kind == "int":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return None
    pattern = TEXT_FORMATS.get(kind)
    if pattern is None:
        return None
    if isinstance(value, datetime):
        return _formatted(round_to_second(value), kind, pattern)
    if isinstance(value, date):
        return _formatted(value, kind, pattern)
    return None


def _formatted(value: date, kind: str, pattern: str) -> str:
    """`value.strftime(pattern)`, without strftime for the usual years (a large tab holds thousands of dates)."""
    if value.year < 1000:
        return value.strftime(pattern)  # strftime does not pad the year: keep its text
    day = f"{value.day:02d}/{value.month:02d}/{value.year}"
    if kind == "date":
        return day
    if not isinstance(value, datetime):
        return value.strftime(pattern)  # a date in a date-time column: midnight
    if kind == "datetime":
        return f"{day} {value.hour:02d}:{value.minute:02d}"
    return f"{day} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"


def round_to_second(value: datetime) -> datetime:
    """A stored date-time is a float of days: round off the binary noise (11:08:59.9999 → 11:09:00)."""
    return (value + timedelta(microseconds=500_000)).replace(microsecond=0)


def serial_number(value: int | datetime) -> int | float:
    """A typed value as a spreadsheet serial number (days since 30/12/1899; integers stay integers)."""
    if isinstance(value, int):
        return value
    delta = value - SERIAL_EPOCH
    days = delta.days + delta.seconds / 86400
    return delta.days if delta.seconds == 0 else round(days, 10)


def kind_of(kinds: tuple[str, ...], column: int) -> str:
    """The kind of a 0-based column (`text` beyond the declared ones)."""
    return kinds[column] if column < len(kinds) else "text"
