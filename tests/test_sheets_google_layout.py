"""Google Sheets a clerk can use: typed cells, filters, formats and tab order, through gspread and the fake API."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sync.backends.gsheets import GSheetsStore
from sync.config import Settings, parse_settings
from sync.layouts import ELENCO_HEADER, RISPOSTE_HEADER, public_specs
from sync.pipeline import run_sync
from tests.conftest import make_row, sample_rows
from tests.fakes.sheets_api import SheetsFake

RESPONSES = "Risposte del modulo 1"
NOW = datetime(2024, 5, 20, 10, 0)
LATER = datetime(2024, 5, 21, 10, 0)


@pytest.fixture(params=["Sheet1", "Foglio1"])
def fake(request: pytest.FixtureRequest) -> Iterator[SheetsFake]:
    with SheetsFake(default_sheet_title=request.param) as server:
        yield server


def _settings(fake: SheetsFake, staff: str, public: str) -> Settings:
    backend = {
        "kind": "gsheets",
        "staff_spreadsheet_id": staff,
        "public_spreadsheet_id": public,
        "endpoint": fake.base_url,
        "credentials": "none",
    }
    return parse_settings({"preset": "crema", "backend": backend}, source="test")


def _store(settings: Settings, tmp_path: Path) -> GSheetsStore:
    assert settings.backend.kind == "gsheets"
    return GSheetsStore.from_settings(
        settings.backend, sleep=lambda s: None, rng=random.Random(7), lock_dir=tmp_path
    )


@pytest.fixture
def synced(fake: SheetsFake, tmp_path: Path) -> tuple[str, str, Settings]:
    rows = sample_rows()
    rows.append(
        make_row(timestamp="06/04/2024 10.00.00", email="f@f.it", name="=1+1", tax_code="01234560199")
    )
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: rows})
    public = fake.create_spreadsheet("Elenco pubblico")
    settings = _settings(fake, staff, public)
    with _store(settings, tmp_path) as store:
        run_sync(store, settings, NOW)
    return staff, public, settings


def _col(header: tuple[str, ...], name: str) -> str:
    return chr(ord("A") + header.index(name))


def test_the_public_spreadsheet_opens_on_the_list(
    fake: SheetsFake, synced: tuple[str, str, Settings]
) -> None:
    _, public, settings = synced
    titles = [s.title for s in public_specs(settings.ambito)]
    assert fake.sheet_titles(public) == titles
    assert titles[0] == "Elenco" and titles[-1] == "Informazioni"
    assert fake.default_sheet_title not in fake.sheet_titles(public)


def test_dates_are_serial_numbers_shown_the_italian_way(
    fake: SheetsFake, synced: tuple[str, str, Settings]
) -> None:
    staff, public, _ = synced
    first = _col(ELENCO_HEADER, "Prima domanda")
    count = _col(ELENCO_HEADER, "N. domande")
    stored = fake.raw_cell(staff, "Elenco", f"{first}2")
    assert isinstance(stored, float) and 45300 < stored < 45500  # a serial number, written RAW
    shown = fake.values(staff, "Elenco")[1]
    assert shown[ELENCO_HEADER.index("Prima domanda")] == "03/04/2024 11:09"
    assert (
        fake.raw_cell(staff, "Elenco", f"{count}2") == 2 and shown[ELENCO_HEADER.index("N. domande")] == "2"
    )
    assert fake.cell_format(staff, "Elenco", f"{first}2") == {
        "numberFormat": {"type": "DATE_TIME", "pattern": "dd/mm/yyyy hh:mm"}
    }
    assert fake.cell_format(staff, "Elenco", f"{first}1") == {"textFormat": {"bold": True}}  # header: text
    assert fake.cell_format(staff, "Elenco", f"{count}2") == {
        "numberFormat": {"type": "NUMBER", "pattern": "0"}
    }
    # everything from the form stays literal text
    assert isinstance(fake.raw_cell(staff, "Elenco", "C2"), str)
    names = [r[1] for r in fake.values(staff, "Elenco", render="FORMULA")]
    assert "=1+1" in names
    log = fake.values(staff, "Registro sincronizzazioni")[1]
    assert log[0] == "20/05/2024 10:00:00" and isinstance(
        fake.raw_cell(staff, "Registro sincronizzazioni", "C2"), int
    )
    since = fake.values(public, "Elenco")[1][9]
    assert len(since) == 10 and since[2] == "/" and isinstance(fake.raw_cell(public, "Elenco", "J2"), int)
    assert fake.cell_format(public, "Elenco", "J2")["numberFormat"] == {
        "type": "DATE",
        "pattern": "dd/mm/yyyy",
    }


def test_list_tabs_are_frozen_filtered_sized_and_wrapped(
    fake: SheetsFake, synced: tuple[str, str, Settings]
) -> None:
    staff, public, _ = synced
    for sid, title, width in (
        (staff, "Elenco", len(ELENCO_HEADER)),
        (staff, "Risposte", len(RISPOSTE_HEADER)),
        (public, "Elenco", 11),
    ):
        flt = fake.basic_filter(sid, title)
        assert flt is not None, title
        assert flt["range"]["startRowIndex"] == 0 and flt["range"]["endColumnIndex"] == width
        assert fake.sheet_properties(sid, title)["gridProperties"]["frozenRowCount"] == 1
    widths = fake.dimension_properties(staff, "Elenco", "COLUMNS")
    for i, header in enumerate(ELENCO_HEADER):
        assert widths[i]["pixelSize"] >= 7 * (len(header) + 3), header
        assert widths[i]["pixelSize"] <= 7 * 40, header
    details = _col(RISPOSTE_HEADER, "Dettagli")
    assert fake.cell_format(staff, "Risposte", f"{details}2") == {
        "wrapStrategy": "WRAP",
        "verticalAlignment": "TOP",
    }
    assert fake.basic_filter(staff, "_stato") is None


def test_formatting_travels_in_the_structure_batch_update(
    fake: SheetsFake, synced: tuple[str, str, Settings], tmp_path: Path
) -> None:
    staff, public, settings = synced
    assert fake.count("spreadsheets.batchUpdate") == 2  # one per workbook, as before
    staff_kinds = {next(iter(r)) for r in fake.applied_requests(staff)}
    public_kinds = [next(iter(r)) for r in fake.applied_requests(public)]
    assert {"addSheet", "setBasicFilter", "repeatCell", "updateDimensionProperties"} <= staff_kinds
    assert public_kinds[-1] == "deleteSheet"  # the empty default tab, once the lists exist
    fake.reset_counts()
    with _store(settings, tmp_path) as store:
        again = run_sync(store, settings, LATER)
    assert again.report.cells_written == 0 and fake.count() == 1


def _strip_layout(fake: SheetsFake, sid: str) -> None:
    """What a workbook made by the previous version looks like: no filter, no formats, dates as text."""
    with fake._lock:
        for sheet in fake._get(sid).sheets:
            sheet.basic_filter, sheet.formats = None, []


def test_a_workbook_made_before_gets_its_layout_once(
    fake: SheetsFake, synced: tuple[str, str, Settings], tmp_path: Path
) -> None:
    staff, _, settings = synced
    _strip_layout(fake, staff)
    state = fake.values(staff, "_stato")
    row = next(i for i, r in enumerate(state) if r[:2] == ["pubblico", "_struttura_interno"])
    fake.set_values(staff, "_stato", [["versione precedente"]], start=f"C{row + 1}", input_option="RAW")
    with _store(settings, tmp_path) as store:
        run_sync(store, settings, LATER)
        assert fake.basic_filter(staff, "Elenco") is not None
        first = _col(ELENCO_HEADER, "Prima domanda")
        assert fake.cell_format(staff, "Elenco", f"{first}2")["numberFormat"]["type"] == "DATE_TIME"
        assert fake.values(staff, "Elenco")[1][ELENCO_HEADER.index("Prima domanda")] == "03/04/2024 11:09"
        fake.reset_counts()
        idle = run_sync(store, settings, LATER)
    assert idle.report.cells_written == 0 and fake.count() == 1


def test_the_fake_shows_numbers_through_their_pattern(fake: SheetsFake) -> None:
    sid = fake.create_spreadsheet("Formati", {"A": [["x"]]})
    session = fake.session()
    body: dict[str, Any] = {
        "requests": [
            {
                "repeatCell": {
                    "range": {
                        "sheetId": 0,
                        "startRowIndex": 1,
                        "endRowIndex": 3,
                        "startColumnIndex": 0,
                        "endColumnIndex": 1,
                    },
                    "cell": {
                        "userEnteredFormat": {
                            "numberFormat": {"type": "DATE_TIME", "pattern": "dd/mm/yyyy hh:mm"}
                        }
                    },
                    "fields": "userEnteredFormat.numberFormat",
                }
            }
        ]
    }
    reply = session.post(f"{fake.sheets_url}/{sid}:batchUpdate", json=body)
    assert reply.status_code == 200, reply.text
    fake.set_values(sid, "A", [[45385.46458333333], [7], [45385.5]], start="A2", input_option="RAW")
    assert fake.values(sid, "A") == [["x"], ["03/04/2024 11:09"], ["06/01/1900 00:00"], ["45385.5"]]
    assert fake.values(sid, "A", render="UNFORMATTED_VALUE")[1] == [45385.46458333333]


def test_formats_cleared_by_hand_are_set_again_and_change_no_cell(
    fake: SheetsFake, synced: tuple[str, str, Settings], tmp_path: Path
) -> None:
    staff, _, settings = synced
    before = {t: fake.values(staff, t) for t in ("Elenco", "Anomalie", "Calendario")}
    _strip_layout(fake, staff)  # «Formato › Cancella formattazione» on every tab
    assert fake.values(staff, "Calendario")[1][1].isdigit()  # the dates now show as serial numbers
    with _store(settings, tmp_path) as store:
        fake.reset_counts()
        first = run_sync(store, settings, LATER)
        assert first.report.tabs_changed == {}  # the calendar still reads, no cell is rewritten
        # formats come back with the next write (here: none was needed, so at the next change)
        fake.reset_counts()
        idle = run_sync(store, settings, LATER)
    assert idle.report.cells_written == 0 and fake.count() == 1
    assert {t: fake.values(staff, t) for t in ("Anomalie",)} == {"Anomalie": before["Anomalie"]}
