"""Ordinary spreadsheet habits, tried as staff would, on the local folder and on the Sheets API fake.

Each test runs twice: on a local folder (risposte.csv + elenco-interno.xlsx edited with openpyxl, as a person
saving in Excel would) and on Google Sheets (real gspread over HTTP against `tests/fakes/sheets_api.py`, rows
deleted and inserted with the API calls the Sheets UI makes).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from sync.backends.base import Backend
from sync.backends.gsheets import GSheetsStore
from sync.backends.xlsx import STAFF_FILE, XlsxStore, excel_title
from sync.config import parse_settings
from sync.layouts import staff_specs
from sync.pipeline import SyncResult, run_sync
from tests.conftest import make_row, sample_rows
from tests.fakes.sheets_api import SheetsFake

RESPONSES = "Risposte del modulo 1"
NOW = datetime(2024, 5, 20, 10, 0)
Grid = list[list[str]]


class Desk:
    """One staff workbook and its form responses, on either backend; what a person can do to them."""

    def __init__(
        self, kind: str, tmp_path: Path, rows: Grid, fake: SheetsFake | None = None, preset: str = "crema"
    ) -> None:
        self.kind, self.fake, self.tmp = kind, fake, tmp_path
        if kind == "local":
            self.folder = tmp_path / "ufficio"
            self.folder.mkdir(parents=True)
            self.settings = parse_settings(
                {"preset": preset, "backend": {"kind": "xlsx", "folder": str(self.folder)}}, source="t"
            )
            self.write_responses(rows)
        else:
            assert fake is not None
            self.staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: rows})
            self.public = fake.create_spreadsheet("Elenco pubblico")
            self.settings = parse_settings(
                {
                    "preset": preset,
                    "backend": {
                        "kind": "gsheets",
                        "staff_spreadsheet_id": self.staff,
                        "public_spreadsheet_id": self.public,
                        "endpoint": fake.base_url,
                        "credentials": "none",
                    },
                },
                source="t",
            )
            self.gc = fake.client()

    def backend(self) -> Backend:
        if self.kind == "local":
            return XlsxStore(self.folder)
        assert self.settings.backend.kind == "gsheets"
        return GSheetsStore.from_settings(self.settings.backend, sleep=lambda s: None, lock_dir=self.tmp)

    def sync(self, now: datetime = NOW) -> SyncResult:
        return run_sync(self.backend(), self.settings, now)

    # -- the responses ------------------------------------------------------------------------------------
    def write_responses(self, rows: Grid) -> None:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        (self.folder / "risposte.csv").write_text(out.getvalue(), encoding="utf-8")

    def responses(self) -> Grid:
        if self.kind == "local":
            with (self.folder / "risposte.csv").open(newline="", encoding="utf-8") as f:
                return list(csv.reader(f))
        assert self.fake is not None
        return self.fake.values(self.staff, RESPONSES)

    def append_responses(self, new: Grid) -> None:
        """New form submissions below the last one."""
        rows = self.responses()
        if self.kind == "local":
            self.write_responses([*rows, *new])
        else:
            self.type_rows(RESPONSES, new, start_row=len(rows))

    def delete_response(self, row: int) -> None:
        """Staff delete a sheet row (1-based, header = 1), as the Sheets UI does: the rows below move up."""
        if self.kind == "local":
            rows = self.responses()
            self.write_responses(rows[: row - 1] + rows[row:])
        else:
            self.gc.open_by_key(self.staff).worksheet(RESPONSES).delete_rows(row)

    def insert_response(self, row: int, values: list[str]) -> None:
        """A row inserted at `row` (the rows below move down)."""
        if self.kind == "local":
            rows = self.responses()
            self.write_responses([*rows[: row - 1], values, *rows[row - 1 :]])
        else:
            self.gc.open_by_key(self.staff).worksheet(RESPONSES).insert_row(
                values, row, value_input_option="RAW"
            )

    # -- staff tabs ---------------------------------------------------------------------------------------
    def tab(self, title: str) -> Grid:
        return self.backend().read(staff_specs(self.settings.ambito)).tabs.get(title, [])

    def type_rows(self, title: str, rows: Grid, start_row: int = 1) -> None:
        """A person types (or pastes) these rows into a staff tab from `start_row` (0 = header)."""
        if self.kind == "local":
            path = self.folder / STAFF_FILE
            wb = openpyxl.load_workbook(path)
            ws = wb[excel_title(title)]
            for r, values in enumerate(rows, start=start_row + 1):
                for c, value in enumerate(values, start=1):
                    ws.cell(r, c).value = value or None
            wb.save(path)
        else:
            assert self.fake is not None
            self.fake.set_values(self.staff, title, rows, start=f"A{start_row + 1}", input_option="RAW")

    def sort_tab(self, title: str, column: int) -> None:
        """Sort a tab's data rows (whole rows, staff columns included) by one column, as people do."""
        grid = self.tab(title)
        width = max(len(r) for r in grid)
        body = sorted(([*r, *[""] * (width - len(r))] for r in grid[1:]), key=lambda r: r[column].casefold())
        self.type_rows(title, body, start_row=1)


@pytest.fixture(params=["local", "google"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    if request.param == "local":
        yield Desk("local", tmp_path, sample_rows())
        return
    with SheetsFake() as fake:
        yield Desk("google", tmp_path, sample_rows(), fake)
        assert fake.errors == []


def col(grid: Grid, name: str) -> list[str]:
    i = grid[0].index(name)
    return [(r[i] if i < len(r) else "") for r in grid[1:]]


def by_id(grid: Grid, name: str) -> dict[str, str]:
    return dict(zip(col(grid, "ID"), col(grid, name), strict=True))


def writes_nothing(desk: Desk) -> None:
    result = desk.sync(datetime(2024, 5, 21, 9, 0))
    assert result.report.cells_written == 0, result.changes


# -- habit: deleting or inserting response rows above decisions -----------------------------------------------

DECISIONS_HEADER = ["ID ente o riga", "Decisione", "Valore", "Motivazione", "Operatore", "Data"]


def test_deleting_the_test_row_keeps_every_decision_on_its_response(desk: Desk) -> None:
    # sample rows: 2 Il Volo, 3 Auser, 4 «Prova invio modulo», 5 Il Volo again, 6 Il Girasole (late)
    desk.sync()
    desk.type_rows(
        "Decisioni",
        [
            ["riga 5", "Correggi", "Comune=Crema", "refuso", "UdP", ""],
            ["riga 6", "Scarta", "", "doppione", "UdP", ""],
            ["riga 4", "Accetta", "", "invio di prova voluto", "UdP", ""],
        ],
    )
    desk.sync()
    risposte = desk.tab("Risposte")
    codes = dict(zip(col(risposte, "Riga"), col(risposte, "Codice risposta"), strict=True))
    assert col(risposte, "Esito") == ["accettata", "accettata", "accettata", "accettata", "respinta"]

    desk.delete_response(4)  # the «Prova invio modulo» row: the rows below move up
    desk.sync()
    risposte = desk.tab("Risposte")
    assert col(risposte, "Riga") == ["2", "3", "4", "5"]
    assert col(risposte, "Codice risposta") == [codes["2"], codes["3"], codes["5"], codes["6"]]
    # Il Girasole (now row 5) is still the discarded one; Il Volo's second answer (now row 4) is not
    assert col(risposte, "Esito") == ["accettata", "accettata", "accettata", "respinta"]
    anomalie = desk.tab("Anomalie")
    rows = [r for r in anomalie[1:] if r[0] == "Decisioni"]
    assert [(r[1], r[5], r[11]) for r in rows] == [
        ("2", "Decisione: risposta spostata", "decisione_spostata"),
        ("3", "Decisione: risposta spostata", "decisione_spostata"),
        ("4", "Decisione: risposta sparita", "decisione_orfana"),
    ]
    assert {r[10] for r in rows} == {
        "Correggere la riga 2 di «Decisioni».",
        "Correggere la riga 3 di «Decisioni».",
        "Correggere la riga 4 di «Decisioni».",
    }
    assert rows[2][8] == (
        f"La risposta per cui è stata scritta la decisione ({codes['4']}, allora alla riga 4) non c'è più tra le "
        "risposte del modulo: la decisione non viene applicata a nessun'altra risposta. Se la risposta è stata "
        "cancellata per errore ripristinarla, altrimenti cancellare la decisione."
    )
    writes_nothing(desk)


def test_inserting_a_row_above_a_correction_keeps_it_on_its_response(desk: Desk) -> None:
    desk.sync()
    desk.type_rows("Decisioni", [["riga 3", "Correggi", "Denominazione=AUSER Crema ODV", "", "", ""]])
    desk.sync()
    assert by_id(desk.tab("Elenco"), "Denominazione")["E-0002"] == "AUSER Crema ODV"
    stray = make_row(
        timestamp="10/04/2024 10.00.00", email="x@y.it", name="Coop Nuova", tax_code="04688560194"
    )
    desk.insert_response(2, stray)  # Auser moves from row 3 to row 4; row 3 now holds Il Volo
    desk.sync()
    elenco = desk.tab("Elenco")
    names = by_id(elenco, "Denominazione")
    assert names["E-0002"] == "AUSER Crema ODV"
    assert "AUSER Crema ODV" not in [n for e, n in names.items() if e != "E-0002"]
    assert by_id(elenco, "Righe del modulo")["E-0002"] == "4"


def test_a_decision_by_response_code_survives_any_reordering(desk: Desk) -> None:
    desk.sync()
    risposte = desk.tab("Risposte")
    code = dict(zip(col(risposte, "Denominazione"), col(risposte, "Codice risposta"), strict=True))[
        "Auser Crema ODV"
    ]
    desk.type_rows("Decisioni", [[code, "Scarta", "", "ritirata a voce", "", ""]])
    rows = desk.responses()
    body = rows[1:]
    random.Random(3).shuffle(body)
    if desk.kind == "local":
        desk.write_responses([rows[0], *body])
    else:
        desk.type_rows(RESPONSES, body)
    desk.sync()
    risposte = desk.tab("Risposte")
    outcome = dict(zip(col(risposte, "Codice risposta"), col(risposte, "Esito"), strict=True))
    assert outcome[code] == "respinta"
    assert sorted(outcome.values()) == ["accettata"] * 3 + ["respinta"] * 2  # + the test submission
    assert [r for r in desk.tab("Anomalie")[1:] if r[0] == "Decisioni"] == []


# -- habit: sorting Elenco with notes of one's own --------------------------------------------------------------


def test_sorting_elenco_keeps_staff_notes_beside_their_organisation(desk: Desk) -> None:
    desk.sync()
    elenco = desk.tab("Elenco")
    width = len(elenco[0])
    notes = {"E-0001": "telefonato il 3/5", "E-0002": "manca statuto", "E-0003": "da richiamare"}
    desk.type_rows("Elenco", [[*elenco[0], "Note ufficio"]], start_row=0)
    desk.type_rows("Elenco", [[*r, *[""] * (width - len(r)), notes[r[0]]] for r in elenco[1:]], start_row=1)
    desk.sort_tab("Elenco", elenco[0].index("Email"))  # auser@…, info@girasole…, info@ilvolo…
    before = desk.tab("Elenco")
    order = col(before, "ID")
    assert order == ["E-0002", "E-0003", "E-0001"]
    assert by_id(before, "Note ufficio") == notes
    writes_nothing(desk)  # nothing new: the sorted rows are already right where they are

    # a new organisation and a changed one: updated in place, the new one appended
    extra = make_row(
        timestamp="08/04/2024 09.00.00",
        email="c@koala.it",
        name="Cooperativa Sociale Koala",
        tax_code="01234560199",
        areas="A) Minori e Famiglia",
    )
    changed = make_row(
        timestamp="09/04/2024 09.00.00",
        email="auser@auser.it",
        name="Auser Crema ODV",
        tax_code="93378570191",
        comune="Vaiano Cremasco",
        areas="B) Fragilità (Anziani e Persone con disabilità)",
    )
    desk.append_responses([extra, changed])
    desk.sync()
    after = desk.tab("Elenco")
    assert col(after, "ID") == [*order, "E-0004"]
    assert by_id(after, "Note ufficio") == {**notes, "E-0004": ""}
    assert by_id(after, "Comune sede legale")["E-0002"] == "Vaiano Cremasco"
    writes_nothing(desk)


def test_rows_in_place_finds_rows_by_id_and_leaves_other_rows_to_staff() -> None:
    from sync.diff import rows_in_place

    current = [["ID", "Nome"], ["E-0002", "b"], ["", "una nota"], ["E-0001", "a"], ["E-0002", "copia"]]
    rows: dict[str, list[str | None]] = {e: [e, e.lower()] for e in ("E-0001", "E-0002", "E-0003")}
    assert rows_in_place(current, ["ID", "Nome"], rows, ["E-0001", "E-0002", "E-0003"], 2) == [
        ["ID", "Nome"],
        ["E-0002", "e-0002"],
        [None, None],  # a row without an ID: staff's
        ["E-0001", "e-0001"],
        [None, None],  # a repeated ID: the first row is the organisation's, the copy is staff's
        ["E-0003", "e-0003"],
    ]


def test_a_roster_row_cleared_by_staff_does_not_shift_attendance_below(desk: Desk) -> None:
    koala = make_row(
        timestamp="08/04/2024 09.00.00",
        name="Cooperativa Sociale Koala",
        tax_code="01234560199",
        email="c@k.it",
    )
    desk.append_responses([koala])
    desk.sync()
    title = "Presenze Minori e famiglia"
    roster = desk.tab(title)
    first, second = col(roster, "ID")  # Koala and Il Girasole, by name
    width = len(roster[0])
    desk.type_rows(title, [[*roster[0], "12/06/2024"]], start_row=0)
    desk.type_rows(title, [[""] * width], start_row=1)  # the first row's machine cells cleared by hand
    desk.type_rows(title, [[*roster[2], *[""] * (width - len(roster[2])), "P"]], start_row=2)
    desk.sync()
    after = desk.tab(title)
    # the cleared row stays staff's; the second keeps its place and its attendance; the first comes back below
    assert col(after, "ID") == ["", second, first]
    assert by_id(after, "12/06/2024") == {"": "", second: "P", first: ""}


# -- habit: the responses file opened and saved in Excel -----------------------------------------------------


def _excel_damage(rows: Grid) -> Grid:
    """What Excel in an Italian locale does on save: times without seconds, codes read as numbers."""
    out = [rows[0]]
    for r in rows[1:]:
        r = list(r)
        r[0] = r[0].rsplit(".", 1)[0].replace(".", ":")  # "03/04/2024 11.09.13" -> "03/04/2024 11:09"
        r[3] = r[3].lstrip("0")
        out.append(r)
    return out


def test_an_excel_saved_responses_file_keeps_its_cooperatives(tmp_path: Path) -> None:
    desk = Desk("local", tmp_path, sample_rows())
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(_excel_damage(sample_rows()))
    (desk.folder / "risposte.csv").write_bytes(text.getvalue().encode("cp1252"))
    desk.sync()
    elenco = desk.tab("Elenco")
    assert by_id(elenco, "Codice fiscale")["E-0003"] == "04688560194"
    assert by_id(elenco, "Ultima domanda")["E-0003"] == "03/05/2024 10:00"
    assert "cf_zeri_ripristinati" in by_id(elenco, "Codici")["E-0003"]
    assert "Codice fiscale: zeri ripristinati" in by_id(elenco, "Avvisi")["E-0003"]
    anomalie = [r for r in desk.tab("Anomalie")[1:] if r[11] == "cf_zeri_ripristinati"]
    assert {r[5] for r in anomalie} == {"Codice fiscale: zeri ripristinati"}
    assert [(r[1], r[2], r[6], r[7]) for r in anomalie] == [("6", "E-0003", "avviso", "4688560194")]
    public = (desk.folder / "elenco-pubblico.csv").read_text(encoding="utf-8-sig")
    assert "04688560194" in public and "Il Girasole Coop. Soc." in public


def test_a_tax_code_typed_as_a_number_in_google_sheets_is_restored(tmp_path: Path) -> None:
    with SheetsFake() as fake:
        desk = Desk("google", tmp_path, sample_rows()[:1], fake)
        # pasted without RAW: Google turns 04688560194 into the number 4688560194
        fake.set_values(desk.staff, RESPONSES, sample_rows()[1:], start="A2")
        assert fake.values(desk.staff, RESPONSES)[5][3] == "4688560194"
        desk.sync()
        elenco = desk.tab("Elenco")
        assert by_id(elenco, "Codice fiscale")["E-0003"] == "04688560194"
        assert "cf_zeri_ripristinati" in by_id(elenco, "Codici")["E-0003"]
        assert "Codice fiscale: zeri ripristinati" in by_id(elenco, "Avvisi")["E-0003"]
        assert fake.errors == []


def test_one_spreadsheet_for_staff_and_public_fails_before_any_request(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sync.cli import cli

    with SheetsFake() as fake:
        staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: sample_rows()})
        config = tmp_path / "elenco.yaml"
        config.write_text(
            f"preset: crema\nbackend:\n  kind: gsheets\n  staff_spreadsheet_id: {staff}\n"
            f"  public_spreadsheet_id: {staff}\n  endpoint: {fake.base_url}\n  credentials: none\n",
            encoding="utf-8",
        )
        for command in ("sync", "check", "init"):
            result = CliRunner().invoke(cli, [command, "--config", str(config)])
            assert result.exit_code == 1
            assert "staff_spreadsheet_id e public_spreadsheet_id sono uguali" in result.output
        assert fake.requests == []


# -- habit: a form owned by an account with a US locale -------------------------------------------------------


def _us_rows() -> Grid:
    """The sample responses as an en_US form exports them: month first, 12-hour clock."""
    out = [sample_rows()[0]]
    for r in sample_rows()[1:]:
        day, month, rest = r[0][:2], r[0][3:5], r[0][6:]
        year, clock = rest.split(" ")
        h, m, s = (int(x) for x in clock.split("."))
        half = "PM" if h >= 12 else "AM"
        out.append([f"{int(month)}/{int(day)}/{year} {h % 12 or 12}:{m:02d}:{s:02d} {half}", *r[1:]])
    return out


def test_a_us_locale_export_keeps_dates_and_deadline(tmp_path: Path) -> None:
    us = _us_rows()
    assert us[5][0] == "5/3/2024 10:00:00 AM"  # Il Girasole, after the 02/05/2024 deadline
    for kind in ("local", "google"):
        with SheetsFake() as fake:
            desk = Desk(kind, tmp_path / kind, us, fake)
            desk.sync()
            elenco = desk.tab("Elenco")
            assert by_id(elenco, "Prima domanda") == {
                "E-0001": "03/04/2024 11:09",
                "E-0002": "04/04/2024 10:00",
                "E-0003": "03/05/2024 10:00",
            }
            assert "oltre_scadenza" in by_id(elenco, "Codici")["E-0003"]
            assert "Oltre la scadenza" in by_id(elenco, "Avvisi")["E-0003"]
            anomalie = desk.tab("Anomalie")
            assert [r[11] for r in anomalie[1:]].count("data_non_valida") == 0
            notes = [r for r in anomalie[1:] if r[11] == "date_mese_giorno"]
            assert len(notes) == 1 and notes[0][8].startswith(
                "Le date del file delle risposte sono scritte con il mese prima del giorno"
            )


# -- habit: the form written with the avviso's own wording of the areas ------------------------------------


@pytest.mark.parametrize("preset", ["crema", "cremonese", "cernusco"])
def test_the_avviso_wording_of_every_preset_reaches_the_area_tabs(tmp_path: Path, preset: str) -> None:
    from sync.config import load_settings

    ambito = load_settings(preset).ambito
    everything = ", ".join(a.label for a in ambito.areas)
    rows = [
        sample_rows()[0],
        make_row(areas=everything),
        make_row(
            timestamp="04/04/2024 10.00.00",
            email="auser@auser.it",
            name="Auser Crema ODV",
            tax_code="93378570191",
            areas=f"{ambito.areas[-1].label}, Sport e tempo libero",
        ),
    ]
    for kind in ("local", "google"):
        with SheetsFake() as fake:
            desk = Desk(kind, tmp_path / kind, rows, fake, preset=preset)
            desk.sync()
            for area in ambito.areas:
                expected = ["E-0001", "E-0002"] if area is ambito.areas[-1] else ["E-0001"]
                assert sorted(col(desk.tab(area.tab), "ID")) == expected, area.tab
            risposte = desk.tab("Risposte")
            assert col(risposte, "Esito") == ["accettata", "accettata"]
            problems = [r for r in desk.tab("Anomalie")[1:] if r[11] == "area_non_configurata"]
            assert [(r[1], r[2], r[6], r[7]) for r in problems] == [
                ("3", "E-0002", "avviso", "Sport e tempo libero")
            ]
