"""The canonical text of typed cells (`sync.cells`): what a date or a count read back from a sheet shows."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from sync.cells import TEXT_FORMATS, canonical_text, round_to_second


def test_dates_read_back_as_the_office_writes_them() -> None:
    stored = datetime(2024, 4, 3, 11, 8, 59, 999_600)  # a float of days: 11:09:00 less binary noise
    assert canonical_text("date", stored) == "03/04/2024"
    assert canonical_text("datetime", stored) == "03/04/2024 11:09"
    assert canonical_text("timestamp", stored) == "03/04/2024 11:09:00"
    assert canonical_text("date", date(2024, 12, 31)) == "31/12/2024"
    assert canonical_text("timestamp", date(2024, 12, 31)) == "31/12/2024 00:00:00"
    assert canonical_text("date", datetime(999, 1, 2)) == "02/01/999"  # as strftime: the year unpadded
    assert canonical_text("int", 3.0) == "3"
    assert canonical_text("int", True) is None
    assert canonical_text("text", datetime(2024, 1, 1)) is None
    assert canonical_text("date", "03/04/2024") is None


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9998, 12, 31)), st.sampled_from(sorted(TEXT_FORMATS)))
def test_the_fast_formatting_is_strftime(value: datetime, kind: str) -> None:
    pattern = TEXT_FORMATS[kind]
    assert canonical_text(kind, value) == round_to_second(value).strftime(pattern)
    assert canonical_text(kind, value.date()) == value.date().strftime(pattern)
