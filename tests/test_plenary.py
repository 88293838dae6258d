"""Plenary meetings: a `Calendario` row for «Tutte le aree» is one meeting, one roster, one printable sheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from sync.backends.printout import write_printables
from sync.calendar import CalendarEntry, meetings_from_preset, parse_calendar
from sync.config import PLENARY, load_settings
from sync.demo_data import generate, load_vocabulary, to_csv_text
from sync.layouts import roster_title
from sync.printables import render_printables
from sync.staff_menu import upcoming_meetings
from tests.fakes.sheets_api import SheetsFake
from tests.test_staff_habits import Desk, col

PLENARY_TAB = "Presenze plenaria"
NOW = datetime(2019, 9, 5, 10, 0)
Grid = list[list[str]]


def cernusco_rows() -> Grid:
    data = generate(load_settings("cernusco").ambito, 40, vocabulary=load_vocabulary(), seed=5)
    return list(csv.reader(io.StringIO(to_csv_text(data))))


@pytest.fixture(params=["local", "google"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    if request.param == "local":
        yield Desk("local", tmp_path, cernusco_rows(), preset="cernusco")
        return
    with SheetsFake() as fake:
        yield Desk("google", tmp_path, cernusco_rows(), fake, preset="cernusco")
        assert fake.errors == []


def area_ids(desk: Desk) -> set[str]:
    """Every organisation of an area tab: the admitted ones (Cernusco's plenary has no phase)."""
    return {i for a in desk.settings.ambito.areas for i in col(desk.tab(a.tab), "ID") if i}


def test_the_cernusco_preset_holds_one_plenary_and_three_tavoli() -> None:
    ambito = load_settings("cernusco").ambito
    meetings = [(m.area, m.date.isoformat()) for m in ambito.meetings]
    assert meetings == [
        (PLENARY, "2019-09-11"),
        ("autonomie", "2019-10-02"),
        ("benessere", "2019-10-02"),
        ("poverta", "2019-10-02"),
    ]


def test_the_cernusco_demo_has_one_plenary_roster_with_every_eligible_organisation(desk: Desk) -> None:
    desk.sync(NOW)
    calendario = desk.tab("Calendario")
    assert calendario[1][:4] == ["Tutte le aree", "11/09/2019", "17:00", "La Filanda - Cernusco sul Naviglio"]
    roster = desk.tab(PLENARY_TAB)
    assert roster[0] == [
        "ID",
        "Denominazione",
        "Referente",
        "Telefono",
        "Fasi",
        "Stato",
        "Note",
        "11/09/2019 17:00",
    ]
    ids = col(roster, "ID")
    assert len(ids) == len(set(ids))
    expected = area_ids(desk)
    assert len(expected) > 20
    assert set(ids) == expected
    assert set(col(roster, "Stato")) == {"iscritto"}
    # the plenary is no longer one column in each area roster
    for a in desk.settings.ambito.areas:
        assert desk.tab(roster_title(desk.settings.ambito, a.code))[0][7:] == ["02/10/2019 16:00"]


def test_plenary_marks_follow_the_organisation_across_syncs(desk: Desk) -> None:
    desk.sync(NOW)
    roster = desk.tab(PLENARY_TAB)
    width = len(roster[0])
    first, second = roster[1][0], roster[2][0]
    desk.type_rows(PLENARY_TAB, [[*roster[1][:6], "in ritardo", "P"], [*roster[2][:6], "", "A"]], start_row=1)
    desk.sort_tab(PLENARY_TAB, 3)  # staff sort the roster by phone number
    desk.sync(datetime(2019, 9, 12, 9, 0))
    after = desk.tab(PLENARY_TAB)
    marks = {r[0]: [*r[6:8], "", ""][:2] for r in after[1:]}
    assert marks[first] == ["in ritardo", "P"]
    assert marks[second] == ["", "A"]
    assert len(after[0]) == width
    result = desk.sync(datetime(2019, 9, 12, 9, 5))
    assert result.report.cells_written == 0


def test_a_plenary_typed_by_staff_adds_a_column_to_the_plenary_roster_only(desk: Desk) -> None:
    desk.sync(NOW)
    calendario = desk.tab("Calendario")
    desk.type_rows("Calendario", [["PLENARIA", "20/11/2019", "18:00", "", "", ""]], start_row=len(calendario))
    desk.sync(datetime(2019, 9, 12, 9, 0))
    assert desk.tab(PLENARY_TAB)[0][7:] == ["11/09/2019 17:00", "20/11/2019 18:00"]
    for a in desk.settings.ambito.areas:
        assert "20/11/2019 18:00" not in desk.tab(roster_title(desk.settings.ambito, a.code))[0]


@pytest.mark.parametrize(
    "spelling", ["Tutte le aree", "tutte le aree", "TUTTE LE AREE", "Plenaria", "plenària"]
)
def test_plenary_spellings_in_calendario(spelling: str) -> None:
    ambito = load_settings("cernusco").ambito
    grid = [
        ["Area", "Data", "Orario", "Luogo", "Fase", "Note"],
        [spelling, "11/09/2019", "17:00", "", "", ""],
    ]
    meetings, problems = parse_calendar(grid, ambito)
    assert problems == []
    assert meetings == [CalendarEntry(PLENARY, date(2019, 9, 11), "17:00", "", "")]


def test_a_plenary_for_one_phase_expects_only_that_phase() -> None:
    ambito = load_settings("crema").ambito
    data = generate(ambito, 30, vocabulary=load_vocabulary(), seed=2)
    from sync.parse import parse_rows
    from sync.resolve import resolve
    from sync.state import read_state

    rows = list(csv.reader(io.StringIO(to_csv_text(data))))
    orgs = resolve(parse_rows(rows, ambito).responses, [], read_state([]), ambito).organisations
    phase = ambito.phases[0].code
    sheets = render_printables(orgs, ambito, [CalendarEntry(PLENARY, date(2024, 6, 1), "10:00", "", phase)])
    assert len(sheets) == 1
    names = sorted(r[1] for r in sheets[0].rows[1:])
    expected = sorted(o.current.response.name for o in orgs if o.listed and phase in o.phases)
    assert names == expected
    assert 0 < len(expected) < sum(1 for o in orgs if o.listed)
    assert sheets[0].subtitle.endswith(ambito.phases[0].label)


def test_one_printable_sheet_for_the_plenary(tmp_path: Path) -> None:
    ambito = load_settings("cernusco").ambito
    from sync.parse import parse_rows
    from sync.resolve import resolve
    from sync.state import read_state

    orgs = resolve(parse_rows(cernusco_rows(), ambito).responses, [], read_state([]), ambito).organisations
    sheets = render_printables(orgs, ambito, meetings_from_preset(ambito.meetings))
    assert len(sheets) == 4  # the plenary first, then one per tavolo
    assert sheets[0].filename == "Presenze - Plenaria - 2019-09-11.xlsx"
    assert all(s.filename.endswith("2019-10-02.xlsx") for s in sheets[1:])
    plenary = sheets[0]
    assert plenary.title == "Foglio presenze - Plenaria"
    listed = sorted(o.current.response.name for o in orgs if o.listed)
    assert sorted(r[1] for r in plenary.rows[1:]) == listed
    path = write_printables(tmp_path, [plenary])[0]
    ws = openpyxl.load_workbook(path).active
    assert ws["A1"].value == "Foglio presenze - Plenaria"
    assert ws.max_row == 4 + len(listed)
    upcoming = upcoming_meetings(meetings_from_preset(ambito.meetings), orgs, ambito, date(2019, 9, 1))
    assert upcoming[0].text() == (
        f"11/09/2019 17:00, Tutte le aree, La Filanda - Cernusco sul Naviglio ({len(listed)} enti attesi)"
    )
    assert upcoming[0].tab == PLENARY_TAB


def test_elenco_stampa_writes_one_sheet_for_the_plenary(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sync.cli import cli

    folder = tmp_path / "demo"
    runner = CliRunner()
    result = runner.invoke(
        cli, ["demo", "--dir", str(folder), "--preset", "cernusco", "--organisations", "30"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["stampa", "--config", str(folder / "elenco.yaml")])
    assert result.exit_code == 0, result.output
    plenaries = sorted(p.name for p in (folder / "stampe").glob("*Plenaria*"))
    assert plenaries == ["Presenze - Plenaria - 2019-09-11.xlsx"]
    assert len(list((folder / "stampe").glob("*.xlsx"))) == 4
    ws = openpyxl.load_workbook(folder / "stampe" / plenaries[0]).active
    roster = openpyxl.load_workbook(folder / "elenco-interno.xlsx")[PLENARY_TAB]
    signed = sorted(ws.cell(r, 2).value for r in range(5, ws.max_row + 1))
    assert signed == sorted(roster.cell(r, 2).value for r in range(2, roster.max_row + 1))
