"""`elenco convocazioni`: .ics events read back by icalendar, and the invitees' addresses, on both backends."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from icalendar import Calendar

from sync.backends.xlsx import STAFF_FILE, XlsxStore, excel_title
from sync.cli import cli
from sync.config import load_settings
from sync.convocations import parse_time
from sync.layouts import staff_specs
from tests.fakes.sheets_api import SheetsFake
from tests.test_plenary import cernusco_rows
from tests.test_staff_habits import Desk

ROME = ZoneInfo("Europe/Rome")
Grid = list[list[str]]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def events(path: Path, timed: bool = True) -> list:  # type: ignore[type-arg]
    cal = Calendar.from_ical(path.read_bytes())
    # an all-day event is a date, the same everywhere: no time zone to describe
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == (["Europe/Rome"] if timed else [])
    return list(cal.walk("VEVENT"))


def tab(folder: Path, title: str) -> Grid:
    return XlsxStore(folder).read(staff_specs(load_settings("cernusco").ambito)).tabs[title]


def column(grid: Grid, name: str) -> list[str]:
    i = grid[0].index(name)
    return [(r[i] if i < len(r) else "") for r in grid[1:]]


def add_meetings(folder: Path, rows: Grid) -> None:
    """Staff type meetings below the preset's in `Calendario` (local workbook, as in Excel)."""
    path = folder / STAFF_FILE
    wb = openpyxl.load_workbook(path)
    ws = wb[excel_title("Calendario")]
    for values in rows:
        ws.append(values)
    wb.save(path)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("convocazioni") / "demo"
    code, out = run("demo", "--dir", str(folder), "--preset", "cernusco", "--organisations", "40")
    assert code == 0, out
    add_meetings(
        folder,
        [
            ["Autonomie", "20/11/2019", "17:00-18:30", "Sala consiliare", "", ""],
            ["Tutte le aree", "15/01/2020", "", "", "", ""],
            ["Tavolo giovani", "22/01/2020", "17:00", "", "", ""],
        ],
    )
    code, out = run("convocazioni", "--config", str(folder / "elenco.yaml"))
    assert code == 0, out
    (folder / "output.txt").write_text(out, encoding="utf-8")
    return folder


def test_the_plenary_event_reads_back_at_17_rome_time_in_summer(office: Path) -> None:
    [ev] = events(office / "convocazioni" / "2019-09-11 Plenaria.ics")
    start = ev.decoded("DTSTART")
    assert start == datetime(2019, 9, 11, 17, 0, tzinfo=ROME)
    assert start.astimezone(UTC).time() == time(15, 0)  # CEST: UTC+2
    assert ev.decoded("DTEND") == datetime(2019, 9, 11, 19, 0, tzinfo=ROME)
    assert str(ev["LOCATION"]) == "La Filanda - Cernusco sul Naviglio"
    assert str(ev["SUMMARY"]) == "Incontro plenario - Ambito Distretto 4 - Cernusco sul Naviglio"
    assert "Invitati: " in str(ev["DESCRIPTION"])


def test_a_winter_meeting_with_an_end_time_reads_back_at_16_utc(office: Path) -> None:
    [ev] = events(office / "convocazioni" / "2019-11-20 Autonomie.ics")
    start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
    assert start.astimezone(UTC) == datetime(2019, 11, 20, 16, 0, tzinfo=UTC)  # CET: UTC+1
    assert end.astimezone(ROME).time() == time(18, 30)
    assert str(ev["SUMMARY"]) == "Tavolo «Autonomie» - Ambito Distretto 4 - Cernusco sul Naviglio"
    assert str(ev["LOCATION"]) == "Sala consiliare"


def test_a_meeting_without_time_or_place_is_an_all_day_event_with_a_message(office: Path) -> None:
    [ev] = events(office / "convocazioni" / "2020-01-15 Plenaria.ics", timed=False)
    assert ev.decoded("DTSTART") == date(2020, 1, 15)
    assert ev.decoded("DTEND") == date(2020, 1, 16)
    assert "LOCATION" not in ev
    assert "Orario da definire: l'Ufficio di Piano lo comunicherà." in str(ev["DESCRIPTION"])
    out = (office / "output.txt").read_text(encoding="utf-8")
    assert (
        "  Incontro di mercoledì 15/01/2020 (Tutte le aree): orario non indicato in «Calendario», "
        "evento per l'intera giornata."
    ) in out
    assert (
        "  Incontro di mercoledì 15/01/2020 (Tutte le aree): luogo non indicato in «Calendario», "
        "evento senza luogo."
    ) in out


def test_a_calendar_row_that_cannot_be_read_is_reported(office: Path) -> None:
    out = (office / "output.txt").read_text(encoding="utf-8")
    assert (
        "  Riga 8 di «Calendario»: area non riconosciuta; l'incontro non compare nei fogli presenze."
    ) in out.splitlines()
    assert not list((office / "convocazioni").glob("2020-01-22*"))


def test_uids_are_stable_across_runs_and_changes_of_time(office: Path, tmp_path: Path) -> None:
    first = {
        p.name: str(events(p, "2020" not in p.name)[0]["UID"])
        for p in (office / "convocazioni").glob("2*.ics")
    }
    assert len(set(first.values())) == len(first) == 6
    code, out = run("convocazioni", "--config", str(office / "elenco.yaml"), "--out", str(tmp_path / "again"))
    assert code == 0, out
    again = {
        p.name: str(events(p, "2020" not in p.name)[0]["UID"]) for p in (tmp_path / "again").glob("2*.ics")
    }
    assert again == first
    # the same meeting moved to another hour keeps its UID: calendars update the event instead of adding one
    from sync.calendar import CalendarEntry
    from sync.convocations import build_convocations

    ambito = load_settings("cernusco").ambito
    a = build_convocations(
        [], ambito, [CalendarEntry("autonomie", date(2019, 10, 2), "16:00", "", "")], datetime.now()
    )
    b = build_convocations(
        [], ambito, [CalendarEntry("autonomie", date(2019, 10, 2), "18:00", "X", "")], datetime.now()
    )
    uid = [str(Calendar.from_ical(c.ics).walk("VEVENT")[0]["UID"]) for c in (a[0], b[0])]
    assert uid[0] == uid[1] == first["2019-10-02 Autonomie.ics"]


def read_addresses(folder: Path, stem: str) -> tuple[list[str], list[dict[str, str]]]:
    line = (folder / f"{stem} - indirizzi.txt").read_text(encoding="utf-8").strip()
    raw = (folder / f"{stem} - indirizzi.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    return line.split("; "), rows


@pytest.mark.parametrize(
    ("stem", "tabs"),
    [
        ("2019-10-02 Autonomie", ["Autonomie"]),
        ("2019-10-02 Contrasto alla povertà", ["Contrasto alla povertà"]),
        ("2019-09-11 Plenaria", ["Autonomie", "Benessere familiare", "Contrasto alla povertà"]),
        ("Tutti gli incontri - Autonomie", ["Autonomie"]),
    ],
)
def test_addresses_are_those_of_the_area_tabs_organisations(office: Path, stem: str, tabs: list[str]) -> None:
    line, rows = read_addresses(office / "convocazioni", stem)
    ids: set[str] = set()
    wanted: dict[str, str] = {}
    for title in tabs:
        grid = tab(office, title)
        ids |= set(column(grid, "ID"))
        for e in (*column(grid, "Email"), *column(grid, "PEC")):
            if e:
                wanted.setdefault(e.casefold(), e)
    assert {r["id"] for r in rows} == ids
    assert len(rows) == len(ids)
    assert list(rows[0]) == ["denominazione", "id", "email", "pec"]
    assert len(line) == len({a.casefold() for a in line})  # each address once
    assert {a.casefold() for a in line} == set(wanted)
    assert any(r["pec"] for r in rows)


def test_the_output_lists_each_file_set(office: Path) -> None:
    out = (office / "output.txt").read_text(encoding="utf-8").splitlines()
    assert out[0] == (
        f"Convocazioni scritte in {office / 'convocazioni'} (dati personali: non pubblicare questi file):"
    )
    n = len(tab(office, "Autonomie")) - 1
    line, _ = read_addresses(office / "convocazioni", "2019-10-02 Autonomie")
    assert f"  2019-10-02 Autonomie: {n} enti, {len(line)} indirizzi" in out


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("17:00", (time(17, 0), None)),
        ("9.30", (time(9, 30), None)),
        ("09:30-13:00", (time(9, 30), time(13, 0))),
        ("dalle 9.30 alle 13", (time(9, 30), time(13, 0))),
        ("ore 17", (time(17, 0), None)),
        ("", None),
        ("da definire", None),
    ],
)
def test_parse_time(text: str, want: tuple[time, time | None] | None) -> None:
    assert parse_time(text) == want


def test_google_needs_an_out_folder_and_then_writes_the_same_files(tmp_path: Path) -> None:
    with SheetsFake() as fake:
        desk = Desk("google", tmp_path, cernusco_rows(), fake, preset="cernusco")
        desk.sync(datetime(2019, 9, 5, 10, 0))
        backend = desk.settings.backend
        config = tmp_path / "elenco.yaml"
        config.write_text(
            yaml.safe_dump({"preset": "cernusco", "backend": backend.model_dump(mode="json")}),
            encoding="utf-8",
        )
        code, out = run("convocazioni", "--config", str(config))
        assert code == 2
        assert out.strip() == (
            "Errore: Con Google Sheets indicare la cartella in cui scrivere le convocazioni: --out CARTELLA."
        )
        code, out = run("convocazioni", "--config", str(config), "--out", str(tmp_path / "conv"))
        assert code == 0, out
        [ev] = events(tmp_path / "conv" / "2019-09-11 Plenaria.ics")
        assert ev.decoded("DTSTART").astimezone(UTC).hour == 15
        _, rows = read_addresses(tmp_path / "conv", "2019-09-11 Plenaria")
        plenary = desk.tab("Presenze plenaria")
        assert {r["id"] for r in rows} == {r[0] for r in plenary[1:]}
        assert fake.errors == []
