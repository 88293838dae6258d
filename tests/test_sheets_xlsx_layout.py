"""Workbooks a clerk can use: typed cells, frozen filtered headers, fitted widths, print set-up (real xlsx files).

The LibreOffice round trip runs the real `soffice --headless`: in CI (CI=true) a missing soffice is a
failure, locally a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sync import labels
from sync.backends.xlsx import XlsxStore
from sync.config import Settings
from sync.demo_data import generate, load_vocabulary, to_csv_text
from sync.layouts import (
    ELENCO_HEADER,
    PUBLIC_HEADER,
    REGISTRO_HEADER,
    RISPOSTE_HEADER,
    public_specs,
    staff_specs,
)
from sync.pipeline import run_sync

NOW = datetime(2024, 5, 20, 9, 30)
LIST_TABS_STAFF = ("Elenco", "Anomalie", "Possibili duplicati", "Risposte", "Registro sincronizzazioni")


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory, crema: Settings) -> Path:
    """A demo folder after one full sync (60 organisations, realistic noise, a formula-like answer)."""
    folder = tmp_path_factory.mktemp("layout")
    demo = generate(crema.ambito, 60, vocabulary=load_vocabulary(), seed=3)
    # A formula typed into the form stays literal text.
    name = next(i for i, h in enumerate(demo.header) if h.startswith("Denominazione"))
    demo.rows[0][name] = "=1+1"
    (folder / "risposte.csv").write_text(to_csv_text(demo), encoding="utf-8")
    run_sync(XlsxStore(folder), crema, NOW)
    return folder


def _book(folder: Path, name: str = "elenco-interno.xlsx") -> Any:
    return openpyxl.load_workbook(folder / name)


def _column(ws: Any, header: str) -> list[Any]:
    titles = [c.value for c in ws[1]]
    col = titles.index(header) + 1
    return [ws.cell(row=r, column=col) for r in range(2, ws.max_row + 1)]


def test_dates_and_counts_are_typed_and_form_answers_stay_text(synced: Path) -> None:
    ws = _book(synced)["Elenco"]
    first = [c for c in _column(ws, "Prima domanda") if c.value is not None]
    assert first and all(isinstance(c.value, datetime) for c in first)
    assert {c.number_format for c in first} == {"DD/MM/YYYY HH:MM"}
    counts = [c for c in _column(ws, "N. domande") if c.value is not None]
    assert counts and all(type(c.value) is int and c.number_format == "0" for c in counts)
    tax = [c for c in _column(ws, "Codice fiscale") if c.value]
    assert all(isinstance(c.value, str) and c.data_type == "s" and c.number_format == "@" for c in tax)
    assert any(c.value.startswith("0") for c in _column(ws, "Codice ISTAT") if c.value)
    names = [c for c in _column(ws, "Denominazione") if c.value == "=1+1"]
    assert names and names[0].data_type == "s" and names[0].quotePrefix

    risposte = _book(synced)["Risposte"]
    rows = [c.value for c in _column(risposte, "Riga")]
    assert rows[:3] == [2, 3, 4]
    sent = [c for c in _column(risposte, "Inviata il") if c.value is not None]
    assert all(isinstance(c.value, datetime) and c.number_format == "DD/MM/YYYY HH:MM" for c in sent)
    log = _book(synced)["Registro sincronizzazioni"]
    when = log.cell(row=2, column=1)
    assert when.value == NOW and when.number_format == "DD/MM/YYYY HH:MM:SS"
    assert [type(log.cell(row=2, column=c).value) for c in range(3, 9)] == [int] * 6

    area = _book(synced)["Minori e famiglia"]
    since = [c for c in _column(area, "Iscritto dal") if c.value is not None]
    assert since and all(isinstance(c.value, datetime) and c.number_format == "DD/MM/YYYY" for c in since)
    public = _book(synced, "elenco-pubblico.xlsx")["Elenco"]
    assert all(isinstance(c.value, datetime) for c in _column(public, "Iscritto dal"))
    calendar = _book(synced)["Calendario"]
    assert isinstance(calendar.cell(row=2, column=2).value, datetime)


@pytest.mark.parametrize("workbook", ["elenco-interno.xlsx", "elenco-pubblico.xlsx"])
def test_every_list_tab_is_frozen_filtered_fitted_and_printable(
    synced: Path, workbook: str, crema: Settings
) -> None:
    wb = _book(synced, workbook)
    specs = {s.title: s for s in (staff_specs if "interno" in workbook else public_specs)(crema.ambito)}
    listed = [t for t, s in specs.items() if s.listing and not s.hidden]
    assert len(listed) >= 3
    for title in listed:
        ws = wb[title]
        spec = specs[title]
        width = max(len(spec.header), sum(1 for c in ws[1] if c.value))
        last = openpyxl.utils.get_column_letter(width)
        assert ws.freeze_panes == openpyxl.utils.get_column_letter(spec.frozen_cols + 1) + "2", title
        rows = max((c.row for row in ws.iter_rows() for c in row if c.value is not None), default=1)
        assert ws.auto_filter.ref == f"A1:{last}{rows}", title
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9, title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, title
        assert ws.print_title_rows == "$1:$1", title
        assert ws.oddFooter.center.text == labels.PRINT_FOOTER_PAGE == "Pagina &P di &N"
        assert ws.oddFooter.right.text == labels.PRINT_FOOTER_DATE == "Stampato il &D"
        for i, header in enumerate(spec.header):
            got = ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width
            assert len(header) + 3 <= got <= 40 or len(header) + 3 > 40, (title, header, got)


def test_filters_span_the_data_and_long_columns_wrap(synced: Path) -> None:
    ws = _book(synced)["Risposte"]
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(RISPOSTE_HEADER))}{ws.max_row}"
    assert ws.max_row > 60
    details = [c for c in _column(ws, "Dettagli") if c.value]
    assert details and all(c.alignment.wrap_text for c in details)
    assert (
        ws.column_dimensions[openpyxl.utils.get_column_letter(RISPOSTE_HEADER.index("Dettagli") + 1)].width
        == 40
    )
    elenco = _book(synced)["Elenco"]
    assert elenco.print_area == f"'Elenco'!$A$1:$I${elenco.max_row}"
    assert ELENCO_HEADER[8] == "Indirizzo sede legale"


def test_headers_of_typed_tabs_match_render(synced: Path) -> None:
    log = _book(synced)["Registro sincronizzazioni"]
    assert tuple(c.value for c in log[1]) == REGISTRO_HEADER
    assert tuple(c.value for c in _book(synced, "elenco-pubblico.xlsx")["Elenco"][1]) == PUBLIC_HEADER


def test_a_second_sync_writes_nothing(synced: Path, crema: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "again"
    shutil.copytree(synced, folder)
    report = run_sync(XlsxStore(folder), crema, datetime(2024, 5, 21, 9, 0)).report
    assert report.cells_written == 0 and report.tabs_changed == {}


def test_text_cells_of_an_older_version_are_typed_at_the_next_write(
    synced: Path, crema: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "old"
    shutil.copytree(synced, folder)
    path = folder / "elenco-interno.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Elenco"]
    cell = _column(ws, "Prima domanda")[0]
    shown = cell.value.strftime("%d/%m/%Y %H:%M")
    cell.value, cell.number_format = shown, "@"  # what the previous version wrote
    wb.save(path)
    run_sync(XlsxStore(folder), crema, datetime(2024, 5, 21, 9, 0))  # idle: nothing to write, nothing saved
    assert isinstance(_column(openpyxl.load_workbook(path)["Elenco"], "Prima domanda")[0].value, str)
    with (folder / "risposte.csv").open("a", encoding="utf-8") as f:
        f.write((synced / "risposte.csv").read_text(encoding="utf-8").splitlines()[3] + "\n")
    run_sync(XlsxStore(folder), crema, datetime(2024, 5, 21, 9, 5))
    again = _column(openpyxl.load_workbook(path)["Elenco"], "Prima domanda")[0]
    assert isinstance(again.value, datetime) and again.value.strftime("%d/%m/%Y %H:%M") == shown


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice (soffice) is not installed: .ci/run must install libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def libreoffice_resave(paths: list[Path], work: Path) -> None:
    """Open and save each of `paths` with real LibreOffice headless (as a person opening and saving it would),
    all in one start of soffice."""
    out = work / "out"
    out.mkdir(exist_ok=True)
    profile = work / "profile"
    subprocess.run(
        [
            _soffice(),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            *(str(path) for path in paths),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    for path in paths:
        shutil.move(out / path.name, path)


@pytest.fixture(scope="module")
def libreoffice_saved(synced: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synced folder with both workbooks opened and saved once by LibreOffice (shared by the tests below,
    each of which works on its own copy)."""
    work = tmp_path_factory.mktemp("libreoffice")
    folder = work / "saved"
    shutil.copytree(synced, folder)
    libreoffice_resave([folder / "elenco-interno.xlsx", folder / "elenco-pubblico.xlsx"], work)
    return folder


def test_a_libreoffice_open_and_save_changes_nothing(
    synced: Path, libreoffice_saved: Path, crema: Settings, tmp_path: Path
) -> None:
    before = openpyxl.load_workbook(synced / "elenco-interno.xlsx")["Elenco"]
    typed_before = _column(before, "Prima domanda")[0].value
    folder = tmp_path / "lo"
    shutil.copytree(libreoffice_saved, folder)
    after = openpyxl.load_workbook(folder / "elenco-interno.xlsx")
    assert _column(after["Elenco"], "Prima domanda")[0].value == typed_before
    # (a headless conversion has no view, so it does not keep frozen panes; the filter is data and stays)
    assert after["Elenco"].auto_filter.ref
    report = run_sync(XlsxStore(folder), crema, datetime(2024, 5, 21, 9, 0)).report
    assert report.tabs_changed == {} and report.cells_written == 0


def test_the_typed_cell_checker_accepts_typed_columns_and_catches_anything_else(
    synced: Path, tmp_path: Path
) -> None:
    from tests.reliability_helpers import typed_cell_problems

    folder = tmp_path / "check"
    shutil.copytree(synced, folder)
    assert typed_cell_problems(folder) == []
    path = folder / "elenco-interno.xlsx"
    wb = openpyxl.load_workbook(path)
    wb["Elenco"]["B2"] = 42  # a form answer stored as a number
    wb["Elenco"]["O1"] = NOW  # a header stored as a date
    wb["Risposte"]["A3"] = "=1+1"  # a formula, even in a typed column
    wb.save(path)
    assert typed_cell_problems(folder) == [
        "elenco-interno.xlsx Elenco!O1 is a 'd' cell",
        "elenco-interno.xlsx Elenco!B2 is a 'n' cell",
        "elenco-interno.xlsx Risposte!A3 is a 'f' cell",
    ]


def _looks(path: Path) -> dict[str, Any]:
    """What a person sees of every sheet: cells (value, type, format, bold, wrap, alignment), widths, filter."""
    wb = openpyxl.load_workbook(path)
    seen: dict[str, Any] = {}
    for ws in wb.worksheets:
        cells = {
            c.coordinate: (
                c.value,
                c.data_type,
                c.number_format,
                bool(c.font.b),
                bool(c.alignment.wrap_text),
                c.alignment.vertical or "bottom",  # LibreOffice spells out the default
                bool(c.quotePrefix),
            )
            for row in ws.iter_rows()
            for c in row
            if c.value is not None
        }
        widths = {k: d.width for k, d in ws.column_dimensions.items()}
        heights = {r: ws.row_dimensions[r].height for r in range(1, ws.max_row + 1)}
        seen[ws.title] = (cells, widths, heights, ws.auto_filter.ref, ws.print_area, ws.sheet_state)
    return seen


def test_a_write_to_a_libreoffice_saved_workbook_looks_as_openpyxl_would_make_it(
    synced: Path, libreoffice_saved: Path, crema: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast write path (only the written sheets re-serialised) against the openpyxl one, on a file
    LibreOffice saved (shared strings, its own styles), with a new response shifting the rows."""
    base = tmp_path / "base"
    shutil.copytree(libreoffice_saved, base)
    lines = (synced / "risposte.csv").read_text(encoding="utf-8").splitlines()
    with (base / "risposte.csv").open("a", encoding="utf-8") as f:
        f.write(lines[3].replace(lines[3].split(",")[0], '"2024/05/20 10:00:00"', 1) + "\n")
    spliced, plain = tmp_path / "spliced", tmp_path / "plain"
    shutil.copytree(base, spliced)
    shutil.copytree(base, plain)
    with monkeypatch.context() as m:
        m.setattr(XlsxStore, "_spliced", lambda *args: None)
        want = run_sync(XlsxStore(plain), crema, datetime(2024, 5, 21, 9, 0)).report
    got = run_sync(XlsxStore(spliced), crema, datetime(2024, 5, 21, 9, 0)).report
    assert got.cells_written == want.cells_written > 0
    for name in ("elenco-interno.xlsx", "elenco-pubblico.xlsx"):
        assert _looks(spliced / name) == _looks(plain / name), name
        # the fast path ran: LibreOffice's shared strings are kept as they were (openpyxl rewrites them)
        with zipfile.ZipFile(base / name) as before, zipfile.ZipFile(spliced / name) as after:
            assert after.read("xl/sharedStrings.xml") == before.read("xl/sharedStrings.xml")
    assert run_sync(XlsxStore(spliced), crema, datetime(2024, 5, 21, 10, 0)).report.cells_written == 0
