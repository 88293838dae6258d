"""Hostile and broken form sheets: no crash, every row in `Risposte`, no formula, nothing personal published.

Hypothesis builds form sheets with mutated headers (duplicated, blank, renamed, missing, extra, shuffled,
spelled differently) and rows of any length whose cells hold arbitrary Unicode, control characters, RTL text,
emoji, 50,000-character cells, formulas and CSV-injection payloads, numbers that look like dates. Each sheet
is synced: a missing required column is a ConfigError naming the question in Italian (never another
exception); otherwise every non-blank row has one line in `Risposte`, the public tabs hold none of the
contact persons' names, emails and phones (marked in the generated cells) nor a person's tax code, and a
second sync writes nothing. Through the local backend too: every cell of both workbooks is a text cell and
no cell of the public CSV starts with = + - @ tab or CR.

CI: 200 sheets on the MemoryStore, 25 through xlsx, every payload in every field. `pytest -m slow` and
`bench/reliability.py`: 10,000 and 500.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from sync.backends.memory import MemoryStore
from sync.backends.xlsx import XlsxStore
from sync.config import Settings
from sync.errors import ConfigError
from sync.pipeline import run_sync
from tests.conftest import HEADER, make_row
from tests.reliability_helpers import (
    FORM_FIELDS,
    LONG_CELLS,
    PAYLOADS,
    REQUIRED,
    T1,
    FormSheet,
    check_on_memory,
    check_on_xlsx,
    form_sheets,
    write_responses_csv,
)

CI_MEMORY, SLOW_MEMORY = 80, 10_000
CI_XLSX, SLOW_XLSX = 12, 500
SLOW_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,  # the same examples on every run
        database=None,
        suppress_health_check=[*SLOW_HEALTH, HealthCheck.function_scoped_fixture],
    )


@_settings(CI_MEMORY)
@given(form_sheets())
def test_hostile_form_sheets_on_memory(sheet: FormSheet) -> None:
    assert check_on_memory(sheet) == []


@pytest.mark.slow
@_settings(SLOW_MEMORY)
@given(form_sheets())
def test_hostile_form_sheets_on_memory_long(sheet: FormSheet) -> None:
    assert check_on_memory(sheet) == []


_xlsx_runs = [0]


def _xlsx(sheet: FormSheet, root: Path) -> None:
    _xlsx_runs[0] += 1
    folder = root / f"sheet-{_xlsx_runs[0]}"
    folder.mkdir()
    assert check_on_xlsx(sheet, folder) == []


@_settings(CI_XLSX)
@given(sheet=form_sheets())
def test_hostile_form_sheets_through_xlsx(sheet: FormSheet, tmp_path: Path) -> None:
    _xlsx(sheet, tmp_path)


@pytest.mark.slow
@_settings(SLOW_XLSX)
@given(sheet=form_sheets())
def test_hostile_form_sheets_through_xlsx_long(sheet: FormSheet, tmp_path: Path) -> None:
    _xlsx(sheet, tmp_path)


@pytest.mark.parametrize("payload", [*PAYLOADS, *(c[:1] + f"…{len(c)}" for c in LONG_CELLS)], ids=repr)
def test_every_payload_in_every_field(payload: str) -> None:
    if "…" in payload:  # a long cell, named by its first character and length
        payload = next(c for c in LONG_CELLS if c[:1] + f"…{len(c)}" == payload)
    rows = []
    for i in range(len(FORM_FIELDS)):
        row = make_row(timestamp=f"{1 + i:02d}/04/2024 10.00.00", name=f"Ente numero {i}")
        row[i] = payload
        rows.append(row)
    sheet = FormSheet([list(HEADER), *rows], (), ())
    assert check_on_memory(sheet) == []


@pytest.mark.parametrize("field", sorted(REQUIRED))
def test_a_missing_required_column_is_a_config_error_in_italian(field: str, crema: Settings) -> None:
    i = FORM_FIELDS.index(field)
    grid = [[c for j, c in enumerate(row) if j != i] for row in [HEADER, make_row()]]
    with pytest.raises(ConfigError) as err:
        run_sync(MemoryStore(responses=grid), crema, T1)
    wanted = crema.ambito.questions.model_dump()[field][0]
    assert str(err.value).startswith(
        f"Il foglio delle risposte non ha tutte le domande richieste: manca la domanda «{wanted}»."
    )


# -- regressions found by these suites ------------------------------------------------------------------------

LISTED = "Attività:\n2019,2020,2021,2022,2023,2024,doposcuola,mensa,trasporti,ludoteca,centro estivo,sportello,corsi,tutoraggio,altro"


@pytest.mark.parametrize("timestamp_column", [0, 5], ids=["as-exported", "columns-moved"])
def test_regression_an_answer_with_a_line_of_commas_is_not_a_broken_csv(
    tmp_path: Path, timestamp_column: int
) -> None:
    # a Forms export is valid CSV; one applicant listing things with commas must not stop every sync
    rows = [list(HEADER), make_row(experience=LISTED), make_row(timestamp="04/04/2024 10.00.00")]
    for row in rows:
        row.insert(timestamp_column, row.pop(0))
    assert check_on_xlsx(FormSheet(rows, (), ()), tmp_path) == []


def test_regression_a_forms_export_with_an_unclosed_quote_is_still_refused(
    tmp_path: Path, crema: Settings
) -> None:
    a, b, c = (make_row(timestamp=f"0{d}/04/2024 10.00.00") for d in (3, 4, 5))
    lines = [
        ",".join(f'"{h}"' if "," in h else h for h in HEADER),
        ",".join([a[0], '"x', *a[2:]]),  # a quote opened and never closed ...
        ",".join(v.replace(",", ";") for v in b),  # ... swallows this whole response ...
        ",".join([c[0], 'y"', *(v.replace(",", ";") for v in c[2:])]),  # ... up to a stray quote
    ]
    (tmp_path / "risposte.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="sembra contenere altre risposte"):
        run_sync(XlsxStore(tmp_path), crema, T1)


def test_regression_a_lone_surrogate_in_a_cell_is_not_a_crash(crema: Settings) -> None:
    # JSON (the Sheets API, the webhook) can carry "\ud800"; it cannot be encoded, so it must not reach a hash
    row = make_row(name="Il Volo \ud800 APS", email="info@ilvolo.it\udfff", contact_name="\udc00")
    store = MemoryStore(responses=[list(HEADER), row])
    report = run_sync(store, crema, T1).report
    assert (report.responses, report.accepted) == (1, 1)
    assert check_on_memory(FormSheet([list(HEADER), row], (), ())) == []


def test_regression_a_lone_carriage_return_does_not_make_every_sync_rewrite(
    tmp_path: Path, crema: Settings
) -> None:
    # xlsx stores a CR as a line feed: the value wanted must be the one read back, or rule 8 breaks
    rows = [list(HEADER), make_row(name="Il Volo\rAPS", comune="Crema\r", address="Via Dante 68\r\rCrema")]
    write_responses_csv(tmp_path, rows[0], rows[1:])
    run_sync(XlsxStore(tmp_path), crema, T1)
    again = XlsxStore(tmp_path)
    assert run_sync(again, crema, T1).report.cells_written == 0
    assert again.files_written == 0


def test_regression_a_unit_separator_in_a_column_title_does_not_make_every_sync_rewrite(
    tmp_path: Path, crema: Settings
) -> None:
    # \x1f survives cleaning (it joins the webhook's checkbox answers) but an xlsx cell cannot hold it
    rows = [[*HEADER, "Nota\x1finterna"], [*make_row(), "sì"]]
    write_responses_csv(tmp_path, rows[0], rows[1:])
    run_sync(XlsxStore(tmp_path), crema, T1)
    again = XlsxStore(tmp_path)
    assert run_sync(again, crema, T1).report.cells_written == 0
    assert again.files_written == 0
