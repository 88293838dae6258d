"""The local-folder backend against real files in a temporary folder."""

from __future__ import annotations

import os
import re
import tempfile
import threading
import zipfile
from datetime import datetime, time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sync.backends import xlsx
from sync.backends.base import Backend, Dropdown, Grid, RangeWrite, TabSpec
from sync.backends.xlsx import XlsxStore
from sync.errors import ConfigError, LockedError, TransientError

VERBS = ("Escludi", "Sospendi", "Riammetti", "Ritira", "Unisci", "Separa", "Correggi", "Accetta", "Scarta")
DECISIONI = TabSpec(
    title="Decisioni",
    header=("ID ente o riga", "Decisione", "Valore", "Motivazione", "Operatore", "Data"),
    owner="staff",
    widths=(16, 14, 30, 30, 18, 12),
    dropdown=Dropdown(column=1, values=VERBS),
    seed=(("E-0000", "Escludi", "", "esempio: cancellare questa riga", "", ""),),
    note="Una decisione per riga: le decisioni sono applicate in ordine a ogni sincronizzazione.",
)
ELENCO = TabSpec(
    title="Elenco", header=("ID", "Denominazione", "Codice fiscale"), frozen_cols=1, widths=(8, 40)
)
STATO = TabSpec(title="_stato", header=("chiave", "valore"), hidden=True, frozen_rows=0)
SPECS = (ELENCO, DECISIONI, STATO)

FORM_HEADER = "Informazioni cronologiche,Indirizzo email,Denominazione dell'ente,Codice fiscale dell'ente"
LOCKED_STAFF = (
    "Il file elenco-interno.xlsx è aperto in un altro programma (LibreOffice o Excel): chiuderlo e "
    "rilanciare la sincronizzazione. Nessun file è stato modificato."
)
CSV_HINT = (
    "Probabilmente delle virgolette non sono chiuse: esportare di nuovo le risposte dal modulo Google "
    "senza modificare il file a mano."
)
NOT_XLSX = (
    "Il file risposte.xlsx non è un file Excel (.xlsx) valido: aprirlo con Excel o LibreOffice e salvarlo "
    "come «Cartella di lavoro Excel (.xlsx)»."
)


@pytest.fixture
def store(tmp_path: Path) -> XlsxStore:
    (tmp_path / "risposte.csv").write_text(FORM_HEADER + "\n", encoding="utf-8")
    return XlsxStore(tmp_path)


def staff_path(store: XlsxStore) -> Path:
    return store.paths()["staff"]


def load(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def write_csv(folder: Path, data: bytes | str) -> Path:
    path = folder / "risposte.csv"
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def no_temp_files(folder: Path) -> bool:
    return not [p.name for p in folder.iterdir() if p.suffix == ".tmp"]


# -- the interface ------------------------------------------------------------------------------------------


def test_store_implements_the_backend_protocol(store: XlsxStore) -> None:
    backend: Backend = store
    assert backend.name == "xlsx"
    assert backend.requests == 0


def test_paths_name_every_file(tmp_path: Path) -> None:
    paths = XlsxStore(tmp_path).paths()
    assert {k: p.name for k, p in paths.items()} == {
        "responses_csv": "risposte.csv",
        "responses_xlsx": "risposte.xlsx",
        "staff": "elenco-interno.xlsx",
        "public": "elenco-pubblico.xlsx",
        "public_csv": "elenco-pubblico.csv",
        "public_json": "elenco-pubblico.json",
        "lock": ".elenco.lock",
    }


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    store = XlsxStore(tmp_path / "nope")
    message = (
        f"La cartella {tmp_path / 'nope'} non esiste: crearla o correggere `folder` nella configurazione."
    )
    with pytest.raises(ConfigError) as err:
        store.read(SPECS)
    assert str(err.value) == message
    with pytest.raises(ConfigError):
        store.ensure("staff", SPECS)
    assert not (tmp_path / "nope").exists()


# -- ensure -------------------------------------------------------------------------------------------------


def test_ensure_creates_the_workbook_with_each_tab_in_order(store: XlsxStore) -> None:
    done = store.ensure("staff", SPECS)
    assert done == [
        "creato il file elenco-interno.xlsx",
        "creata la scheda «Elenco»",
        "creata la scheda «Decisioni»",
        "creata la scheda «_stato»",
    ]
    wb = load(staff_path(store))
    assert wb.sheetnames == ["Elenco", "Decisioni", "_stato"]  # no default "Sheet"
    assert store.files_written == 1


def test_ensure_presentation(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    wb = load(staff_path(store))
    elenco, decisioni, stato = wb["Elenco"], wb["Decisioni"], wb["_stato"]
    assert [c.value for c in elenco[1]] == list(ELENCO.header)
    assert all(c.font.b for c in elenco[1])
    assert elenco.freeze_panes == "B2"  # one frozen row, one frozen column
    assert decisioni.freeze_panes == "A2"
    assert stato.freeze_panes is None
    assert elenco.column_dimensions["A"].width == 8
    assert elenco.column_dimensions["B"].width == 40
    assert elenco.sheet_state == "visible"
    assert stato.sheet_state == "hidden"
    assert wb.active.title == "Elenco"
    # seed rows, written once, as text
    seed = [c.value for c in decisioni[2]]
    assert seed == ["E-0000", "Escludi", None, "esempio: cancellare questa riga", None, None]
    # the note for staff, on the header's first cell
    assert decisioni["A1"].comment is not None
    assert decisioni["A1"].comment.text == DECISIONI.note


def test_ensure_adds_a_dropdown_on_the_decision_column(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    validations = load(staff_path(store))["Decisioni"].data_validations.dataValidation
    assert len(validations) == 1
    dv = validations[0]
    assert dv.type == "list"
    assert dv.formula1 == '"' + ",".join(VERBS) + '"'
    assert str(dv.sqref) == "B2:B2000"


def test_a_long_dropdown_list_goes_to_a_hidden_tab(store: XlsxStore) -> None:
    values = tuple(f"Area tematica numero {i}, con una virgola" for i in range(20))
    spec = TabSpec(title="Scelte", header=("Area",), dropdown=Dropdown(column=0, values=values))
    store.ensure("staff", [spec])
    wb = load(staff_path(store))
    dv = wb["Scelte"].data_validations.dataValidation[0]
    assert dv.formula1 == "'Elenchi a discesa'!$A$1:$A$20"
    assert wb["Elenchi a discesa"].sheet_state == "hidden"
    assert [r[0].value for r in wb["Elenchi a discesa"].iter_rows()] == list(values)


def test_ensure_is_idempotent_and_leaves_the_file_alone(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    before = staff_path(store).read_bytes()
    mtime = staff_path(store).stat().st_mtime_ns
    assert store.ensure("staff", SPECS) == []
    assert staff_path(store).read_bytes() == before
    assert staff_path(store).stat().st_mtime_ns == mtime
    assert store.files_written == 1


def test_ensure_never_rewrites_an_existing_staff_tab(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    wb = load(staff_path(store))
    ws = wb["Decisioni"]
    ws["A1"] = "ID"  # a person renamed a header
    ws["A2"], ws["B2"] = "E-0042", "Sospendi"
    ws["F9"] = "nota a margine"
    wb.save(staff_path(store))
    changed = TabSpec(title="Decisioni", header=("altro", "header"), seed=(("x", "y"),))
    assert store.ensure("staff", [changed, *SPECS]) == []
    ws = load(staff_path(store))["Decisioni"]
    assert (ws["A1"].value, ws["A2"].value, ws["B2"].value, ws["F9"].value) == (
        "ID",
        "E-0042",
        "Sospendi",
        "nota a margine",
    )


def test_ensure_writes_the_header_of_an_existing_tab_with_an_empty_first_row(store: XlsxStore) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Decisioni"
    wb.active["A3"] = "E-0001"
    wb.save(staff_path(store))
    assert store.ensure("staff", [DECISIONI]) == ["scritta l'intestazione della scheda «Decisioni»"]
    ws = load(staff_path(store))["Decisioni"]
    assert [c.value for c in ws[1]] == list(DECISIONI.header)
    assert ws["A3"].value == "E-0001"


def test_ensure_adds_only_the_missing_tabs_after_the_existing_ones(store: XlsxStore) -> None:
    store.ensure("staff", [DECISIONI])
    assert store.ensure("staff", SPECS) == ["creata la scheda «Elenco»", "creata la scheda «_stato»"]
    assert load(staff_path(store)).sheetnames == ["Decisioni", "Elenco", "_stato"]


def test_ensure_dry_run_says_what_it_would_do_and_writes_nothing(store: XlsxStore) -> None:
    assert store.ensure("public", [ELENCO], dry_run=True) == [
        "creato il file elenco-pubblico.xlsx",
        "creata la scheda «Elenco»",
    ]
    assert not store.paths()["public"].exists()
    assert store.files_written == 0


def test_ensure_public_workbook(store: XlsxStore) -> None:
    store.ensure("public", [ELENCO])
    assert load(store.paths()["public"]).sheetnames == ["Elenco"]
    assert not staff_path(store).exists()


def test_a_workbook_of_hidden_tabs_keeps_one_visible(store: XlsxStore) -> None:
    store.ensure("staff", [STATO])
    assert load(staff_path(store))["_stato"].sheet_state == "visible"  # Excel cannot open it otherwise


@pytest.mark.parametrize("title", ["A/B", "Aree [tutte]", "'citato'", " "])
def test_a_tab_title_excel_refuses_is_a_config_error(store: XlsxStore, title: str) -> None:
    with pytest.raises(ConfigError) as err:
        store.ensure("staff", [TabSpec(title=title, header=("a",))])
    assert str(err.value) == (
        f"Il nome della scheda «{title}» non è valido per Excel: non può essere vuoto, contenere "
        "[ ] * ? / \\ : né iniziare o finire con un apostrofo. Correggerlo nella configurazione (`tab` delle "
        "aree)."
    )
    assert not staff_path(store).exists()


LONG = "Presenze Minori, famiglie e giovani"  # 35 characters: Google Sheets allows it, Excel does not


def test_a_title_too_long_for_excel_is_cut_in_the_file_and_full_in_the_snapshot(store: XlsxStore) -> None:
    spec = TabSpec(title=LONG, header=("ID", "Denominazione"), hidden=True)
    assert store.ensure("staff", [ELENCO, spec]) == [
        "creato il file elenco-interno.xlsx",
        "creata la scheda «Elenco»",
        "creata la scheda «Presenze Minori, famiglie e gi…»",
    ]
    assert store.ensure("staff", [ELENCO, spec]) == []
    assert load(staff_path(store)).sheetnames == ["Elenco", "Presenze Minori, famiglie e gi…"]
    assert len(load(staff_path(store)).sheetnames[1]) == 31
    store.write("staff", [RangeWrite(LONG, 1, 0, (("E-0001", "Ente"),))], [ELENCO, spec])
    snap = store.read([ELENCO, spec])
    assert snap.tabs[LONG] == [["ID", "Denominazione"], ["E-0001", "Ente"]]
    assert snap.hidden == {LONG}


def test_two_long_titles_cut_to_the_same_sheet_are_a_config_error(store: XlsxStore) -> None:
    specs = [TabSpec(title=LONG + " (fase 1)", header=()), TabSpec(title=LONG + " (fase 2)", header=())]
    with pytest.raises(ConfigError) as err:
        store.ensure("staff", specs)
    assert str(err.value) == (
        f"Le schede «{LONG} (fase 1)» e «{LONG} (fase 2)» avrebbero in Excel lo stesso nome "
        "«Presenze Minori, famiglie e gi…» (al massimo 31 caratteri): accorciarne il nome nella "
        "configurazione (`tab` delle aree)."
    )
    with pytest.raises(ConfigError):
        store.write("staff", [RangeWrite(s.title, 0, 0, (("x",),)) for s in specs], [])
    assert not staff_path(store).exists()


# -- write --------------------------------------------------------------------------------------------------


def test_write_round_trip(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    rows = (
        ("E-0001", "Auser Crema ODV", "93378570191"),
        ("E-0002", "Società Cooperativa «Il Sole»", "00123"),
    )
    assert store.write("staff", [RangeWrite("Elenco", 1, 0, rows)], SPECS) == 6
    tabs = store.read(SPECS).tabs
    assert tabs["Elenco"] == [list(ELENCO.header), *map(list, rows)]
    assert tabs["Decisioni"][1] == ["E-0000", "Escludi", "", "esempio: cancellare questa riga"]
    assert tabs["_stato"] == [["chiave", "valore"]]


def test_write_clears_cells_with_empty_strings(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    store.write("staff", [RangeWrite("Elenco", 1, 0, (("a", "b", "c"), ("d", "e", "f")))], SPECS)
    store.write("staff", [RangeWrite("Elenco", 1, 1, (("", ""), ("", "")))], SPECS)
    assert store.read(SPECS).tabs["Elenco"][1:] == [["a"], ["d"]]
    assert load(staff_path(store))["Elenco"]["B2"].value is None


def test_nothing_to_write_does_not_touch_the_file(store: XlsxStore) -> None:
    assert store.write("staff", [], SPECS) == 0
    assert store.write("staff", [RangeWrite("Elenco", 0, 0, ())], SPECS) == 0
    assert not staff_path(store).exists()
    store.ensure("staff", SPECS)
    mtime = staff_path(store).stat().st_mtime_ns
    assert store.write("staff", [], SPECS) == 0
    assert staff_path(store).stat().st_mtime_ns == mtime


def test_write_creates_the_file_and_a_missing_tab_from_its_spec(store: XlsxStore) -> None:
    store.write("staff", [RangeWrite("Elenco", 0, 0, (ELENCO.header, ("E-0001",)))], SPECS)
    wb = load(staff_path(store))
    assert wb.sheetnames == ["Elenco"]
    assert wb["Elenco"].freeze_panes == "B2"
    assert wb["Elenco"]["A1"].font.b


def test_written_cells_are_text_and_headers_bold(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    store.write("staff", [RangeWrite("Elenco", 0, 3, (("Nuova colonna",), ("0042",), ("12",)))], SPECS)
    ws = load(staff_path(store))["Elenco"]
    assert ws["D1"].font.b
    assert (ws["D2"].value, ws["D2"].data_type, ws["D2"].number_format) == ("0042", "s", "@")
    assert (ws["D3"].value, ws["D3"].data_type) == ("12", "s")  # a number-looking value stays text


FORMULA_LIKE = ("=1+1", "+39 333 1234567", "-5", "@x", '=HYPERLINK("http://x","clic")', "=")


def test_formula_like_values_are_stored_as_strings_never_formulas(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    store.write("staff", [RangeWrite("Elenco", 1, 0, tuple((v,) for v in FORMULA_LIKE))], SPECS)
    ws = load(staff_path(store))["Elenco"]
    for i, value in enumerate(FORMULA_LIKE, start=2):
        cell = ws.cell(row=i, column=1)
        assert (cell.value, cell.data_type) == (value, "s")
    assert ws["A2"].quotePrefix  # Excel keeps it text even when re-edited
    with zipfile.ZipFile(staff_path(store)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = "".join(z.read(n).decode("utf-8") for n in sheets)
    assert "<f>" not in xml and "<f " not in xml
    assert "=1+1" in xml
    assert [r[0] for r in store.read(SPECS).tabs["Elenco"][1:]] == list(FORMULA_LIKE)


def test_control_characters_are_dropped_not_a_crash(store: XlsxStore) -> None:
    store.write("staff", [RangeWrite("T", 0, 0, (("a\x01b\x00c", "x\r\ny\rz", "\x02", "tab\tok"),))], [])
    assert store.read([]).tabs["T"] == [["abc", "x\ny\nz", "", "tab\tok"]]


def test_a_50000_character_cell_round_trips(store: XlsxStore) -> None:
    text = "àé" * 12_500 + "x"
    store.write("staff", [RangeWrite("T", 0, 0, ((text,),))], [])
    assert store.read([]).tabs["T"] == [[text[:32_767]]]  # Excel's cell limit


def test_an_edit_saved_between_read_and_write_is_preserved(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    store.read(SPECS)
    # a person types a decision and saves while the sync computes
    wb = load(staff_path(store))
    wb["Decisioni"]["A3"], wb["Decisioni"]["B3"] = "E-0007", "Escludi"
    wb["Elenco"]["E5"] = "appunto"
    wb.save(staff_path(store))
    store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001", "Nome"),))], SPECS)
    tabs = store.read(SPECS).tabs
    assert tabs["Decisioni"][2] == ["E-0007", "Escludi"]
    assert tabs["Elenco"][1] == ["E-0001", "Nome"]
    assert tabs["Elenco"][4] == ["", "", "", "", "appunto"]


def test_a_persons_formula_in_a_staff_tab_survives_a_write(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    wb = load(staff_path(store))
    wb["Decisioni"]["F3"] = "=TODAY()"
    wb.save(staff_path(store))
    store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001",),))], SPECS)
    cell = load(staff_path(store))["Decisioni"]["F3"]
    assert (cell.value, cell.data_type) == ("=TODAY()", "f")


# -- atomicity ----------------------------------------------------------------------------------------------


def test_a_crash_at_rename_leaves_the_previous_file_intact(
    store: XlsxStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.ensure("staff", SPECS)
    before = staff_path(store).read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError("disco pieno")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disco pieno"):
        store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001",),))], SPECS)
    assert staff_path(store).read_bytes() == before
    assert no_temp_files(store.folder)


@pytest.mark.parametrize("saver", ["splice", "openpyxl"])
def test_a_crash_while_saving_leaves_the_previous_file_intact(
    store: XlsxStore, monkeypatch: pytest.MonkeyPatch, saver: str
) -> None:
    store.ensure("staff", SPECS)
    before = staff_path(store).read_bytes()

    def half_save(self: object, target: object) -> None:
        assert hasattr(target, "write")
        target.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt  # the process is stopped mid-save

    if saver == "openpyxl":  # the path of a file the splice does not rewrite
        monkeypatch.setattr(XlsxStore, "_spliced", lambda *args: None)
        monkeypatch.setattr(openpyxl.Workbook, "save", half_save)
    else:
        monkeypatch.setattr(xlsx, "_writer_of", lambda data: lambda f: half_save(None, f))
    with pytest.raises(KeyboardInterrupt):
        store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001",),))], SPECS)
    assert staff_path(store).read_bytes() == before
    assert no_temp_files(store.folder)
    assert store.files_written == 1


def test_a_crash_while_creating_leaves_no_file(store: XlsxStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(src: object, dst: object) -> None:
        raise OSError("interrotto")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.ensure("staff", SPECS)
    assert not staff_path(store).exists()
    assert no_temp_files(store.folder)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_rewritten_file_keeps_its_mode_and_a_new_one_follows_the_umask(store: XlsxStore) -> None:
    old = os.umask(0o022)
    try:
        store.ensure("staff", SPECS)
    finally:
        os.umask(old)
    assert staff_path(store).stat().st_mode & 0o777 == 0o644
    staff_path(store).chmod(0o664)  # a folder shared with colleagues
    store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001",),))], SPECS)
    assert staff_path(store).stat().st_mode & 0o777 == 0o664


# -- files open in another program ---------------------------------------------------------------------------


# What LibreOffice 7 really wrote on opening elenco-interno.xlsx (full name empty, system user, computer,
# time, profile), and an Excel owner file (a length byte, the user name, padding).
LIBREOFFICE_LOCK = b",mrossi,UFFICIO-PC,02.12.2026 08:02,file:///home/mrossi/.config/libreoffice/4;"
EXCEL_OWNER = bytes([11]) + b"Mario Rossi" + b" " * 42 + bytes([11, 0]) + "Mario Rossi".encode("utf-16-le")
OWNER_TIME = datetime(2026, 12, 1, 17, 45).timestamp()


@pytest.mark.parametrize(
    ("owner", "content", "who"),
    [
        (
            ".~lock.elenco-interno.xlsx#",
            LIBREOFFICE_LOCK,
            ", scritto da mrossi sul computer «UFFICIO-PC» il 02/12/2026 alle 08:02",
        ),
        (
            ".~lock.elenco-interno.xlsx#",
            b"Mario Rossi,mrossi,UFFICIO\\,PC,02.12.2026 08:02,file:///x;",
            ", scritto da Mario Rossi (utente mrossi) sul computer «UFFICIO,PC» il 02/12/2026 alle 08:02",
        ),
        (".~lock.elenco-interno.xlsx#", b"", " il 01/12/2026 alle 17:45"),
        ("~$elenco-interno.xlsx", EXCEL_OWNER, ", scritto da Mario Rossi il 01/12/2026 alle 17:45"),
    ],
)
def test_a_file_open_in_libreoffice_or_excel_is_not_written(
    store: XlsxStore, owner: str, content: bytes, who: str
) -> None:
    store.ensure("staff", SPECS)
    before = staff_path(store).read_bytes()
    (store.folder / owner).write_bytes(content)
    os.utime(store.folder / owner, (OWNER_TIME, OWNER_TIME))
    with pytest.raises(LockedError) as err:
        store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001",),))], SPECS)
    assert str(err.value) == LOCKED_STAFF + (
        f" Lo segnala il file nascosto «{owner}» nella cartella {store.folder}{who}. Se il file non è aperto "
        f"da nessuno (per esempio dopo un arresto improvviso del programma), «{owner}» è rimasto per errore: "
        "cancellarlo e rilanciare la sincronizzazione."
    )
    with pytest.raises(LockedError):
        store.ensure("staff", [*SPECS, TabSpec(title="Nuova", header=("a",))])
    with pytest.raises(LockedError):
        store.check_writable(["staff"])
    assert staff_path(store).read_bytes() == before
    assert no_temp_files(store.folder)


def test_a_stale_lock_file_once_deleted_no_longer_blocks(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    lock = store.folder / ".~lock.elenco-interno.xlsx#"
    lock.write_bytes(LIBREOFFICE_LOCK)
    with pytest.raises(LockedError):
        store.check_writable(["staff"])
    lock.unlink()  # what the message tells a person to do when no program holds the file
    store.check_writable(["staff"])
    store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001",),))], SPECS)


def test_check_writable_checks_every_file_up_front(store: XlsxStore) -> None:
    store.check_writable(["staff", "public"])
    (store.folder / ".~lock.elenco-pubblico.csv#").write_text("x", encoding="utf-8")
    store.check_writable(["staff"])
    with pytest.raises(LockedError) as err:
        store.check_writable(["staff", "public"])
    assert str(err.value).startswith("Il file elenco-pubblico.csv è aperto in un altro programma")
    with pytest.raises(LockedError):
        store.publish({"elenco-pubblico.json": b"{}", "elenco-pubblico.csv": b"id"})
    assert not store.paths()["public_json"].exists()  # nothing half-published


def test_a_rename_refused_by_windows_is_a_locked_error(
    store: XlsxStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.ensure("staff", SPECS)

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Accesso negato")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(LockedError) as err:
        store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001",),))], SPECS)
    assert str(err.value) == LOCKED_STAFF
    assert no_temp_files(store.folder)


def test_sync_lock_keeps_two_syncs_apart(store: XlsxStore) -> None:
    other = XlsxStore(store.folder, lock_timeout_s=0.05)  # another sync on the same folder
    with store.sync_lock():
        # the holder can still write (the lock is re-entrant) ...
        store.write("staff", [RangeWrite("Elenco", 0, 0, (("ID",),))], [])
        # ... the other sync waits, then gives up without writing
        with pytest.raises(TransientError) as err:
            other.write("staff", [RangeWrite("Elenco", 0, 0, (("X",),))], [])
        assert str(err.value) == (
            f"Un'altra sincronizzazione è in corso sulla cartella {store.folder}: "
            "riprovare tra qualche minuto."
        )
        with pytest.raises(TransientError), other.sync_lock():
            pass
    with other.sync_lock():
        pass
    assert store.read(SPECS).tabs["Elenco"] == [["ID"]]


def test_sync_lock_makes_another_thread_wait(store: XlsxStore) -> None:
    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        inside.wait()
        with store.sync_lock(timeout_s=5):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with store.sync_lock():
        inside.set()
        thread.join(0.2)
        order.append("first")
    thread.join()
    assert order == ["first", "second"]


# -- reading the responses ----------------------------------------------------------------------------------


def form_xlsx(path: Path, rows: list[list[object]], title: str = "Risposte del modulo 1") -> Any:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return wb


def zip_of(files: dict[str, str]) -> bytes:
    with tempfile.TemporaryFile() as f:
        with zipfile.ZipFile(f, "w") as z:
            for name, text in files.items():
                z.writestr(name, text)
        f.seek(0)
        return f.read()


def broken_sheet_xml() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.xlsx"
        form_xlsx(path, [["Informazioni cronologiche"], ["x"]])
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n).decode("utf-8") for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:-40]
    return zip_of(parts)


def test_csv_identifiers_keep_their_leading_zeros(tmp_path: Path) -> None:
    write_csv(tmp_path, FORM_HEADER + '\n"03/04/2024 11.09.13","a@b.it","Ente","00123456789"\n')
    snap = XlsxStore(tmp_path).read(SPECS)
    assert snap.responses == [
        FORM_HEADER.split(","),
        ["03/04/2024 11.09.13", "a@b.it", "Ente", "00123456789"],
    ]
    assert snap.responses_origin == "risposte.csv"
    assert snap.tabs == {} and snap.hidden == set()  # no staff workbook yet


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param("\ufeffa,b\r\n1,2\r\n".encode(), [["a", "b"], ["1", "2"]], id="utf8-bom-crlf"),
        pytest.param(b"a;b\n1;2,5\n", [["a", "b"], ["1", "2,5"]], id="semicolon"),
        pytest.param(b"a\tb\n1\t2\n", [["a", "b"], ["1", "2"]], id="tab"),
        pytest.param(b'"a;x",b\n1,2\n', [["a;x", "b"], ["1", "2"]], id="quoted-semicolon"),
        pytest.param(
            "Società,Città\nPerché,€\n".encode("cp1252"), [["Società", "Città"], ["Perché", "€"]], id="cp1252"
        ),
        pytest.param("a,b\n1,2\n".encode("utf-16"), [["a", "b"], ["1", "2"]], id="utf16"),
        pytest.param(b"a,b\n", [["a", "b"]], id="header-only"),
        pytest.param(b"a,b\n1,2\n\n\n", [["a", "b"], ["1", "2"]], id="trailing-blank-lines"),
        pytest.param(b"a,b\n\n1,2\n", [["a", "b"], [], ["1", "2"]], id="middle-blank-line"),
        pytest.param(b"a,b,c\n1,,\n", [["a", "b", "c"], ["1"]], id="trailing-empty-cells"),
        pytest.param(b"a,b\n1,2,,\n", [["a", "b"], ["1", "2"]], id="extra-empty-cells"),
        pytest.param(
            b'a,b,c\n1,"riga uno\nriga due, con virgola",3\n',
            [["a", "b", "c"], ["1", "riga uno\nriga due, con virgola", "3"]],
            id="multiline-answer",
        ),
        pytest.param(b"a,b\n1,x\x01y\x00z\n", [["a", "b"], ["1", "x\x01y\x00z"]], id="control-characters"),
    ],
)
def test_csv_variants_read_as_text(tmp_path: Path, data: bytes, expected: list[list[str]]) -> None:
    write_csv(tmp_path, data)
    assert XlsxStore(tmp_path).read([]).responses == expected


def test_csv_with_a_huge_cell(tmp_path: Path) -> None:
    for size in (50_000, 300_000):
        write_csv(tmp_path, 'a,b\n1,"' + "x" * size + '"\n')
        assert len(XlsxStore(tmp_path).read([]).responses[1][1]) == size


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            b"",
            "Il file risposte.csv è vuoto: esportare di nuovo le risposte dal modulo Google.",
            id="empty",
        ),
        pytest.param(
            b"\xef\xbb\xbf \r\n\r\n",
            "Il file risposte.csv è vuoto: esportare di nuovo le risposte dal modulo Google.",
            id="blank",
        ),
        pytest.param(
            b'a,b,c\n1,2,3\n4,"5,6\n7,8,9\n',
            "Il file risposte.csv non è un CSV valido: errore nella riga che inizia alla riga 3 del file "
            "(virgolette non chiuse o testo subito dopo le virgolette di chiusura). " + CSV_HINT,
            id="unclosed-quote-at-end",
        ),
        pytest.param(
            b'a,b,c\n1,"2"x,3\n',
            "Il file risposte.csv non è un CSV valido: errore nella riga che inizia alla riga 2 del file "
            "(virgolette non chiuse o testo subito dopo le virgolette di chiusura). " + CSV_HINT,
            id="text-after-closing-quote",
        ),
        pytest.param(
            b'a,b,c\n1,"x,3\n4,5,6\n7,8",9\n10,11,12\n',
            "Il file risposte.csv non è un CSV valido: nella riga che inizia alla riga 2 del file un campo "
            "tra virgolette sembra contenere altre risposte (1 riga). " + CSV_HINT,
            id="swallowed-rows",
        ),
        pytest.param(
            b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n",
            "Il file risposte.csv non è un CSV valido: alcune righe hanno un numero di colonne diverso "
            "dall'intestazione (3 colonne): riga 3 del file: 2 colonne; riga 4 del file: 4 colonne. "
            + CSV_HINT,
            id="ragged-rows",
        ),
        pytest.param(
            b"PK\x03\x04\x14\x00\x00\x00",
            "Il file risposte.csv è un file Excel, non un CSV: rinominarlo risposte.xlsx.",
            id="xlsx-named-csv",
        ),
        pytest.param(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
            "Il file risposte.csv è un file Excel 97-2003 (.xls), non un CSV: esportare di nuovo le risposte "
            "dal modulo Google in formato .csv.",
            id="xls-named-csv",
        ),
    ],
)
def test_broken_csv_is_a_config_error(tmp_path: Path, data: bytes, message: str) -> None:
    write_csv(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        XlsxStore(tmp_path).read(SPECS)
    assert str(err.value) == message


def test_many_ragged_rows_are_summarised(tmp_path: Path) -> None:
    write_csv(tmp_path, "a,b,c\n" + "1,2\n" * 8)
    with pytest.raises(ConfigError, match=r"riga 6 del file: 2 colonne; e altre 3\. Probabilmente"):
        XlsxStore(tmp_path).read(SPECS)


def test_no_responses_anywhere_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        XlsxStore(tmp_path).read(SPECS)
    assert str(err.value) == (
        f"Mancano le risposte del modulo: mettere nella cartella {tmp_path} il file risposte.csv (o "
        "risposte.xlsx) esportato dal modulo Google, oppure una scheda «Risposte del modulo 1» in "
        "elenco-interno.xlsx."
    )


def test_both_csv_and_xlsx_responses_is_a_config_error(tmp_path: Path) -> None:
    write_csv(tmp_path, "a\n")
    openpyxl.Workbook().save(tmp_path / "risposte.xlsx")
    with pytest.raises(ConfigError) as err:
        XlsxStore(tmp_path).read(SPECS)
    assert str(err.value) == (
        f"Nella cartella {tmp_path} ci sono sia risposte.csv sia risposte.xlsx: lasciarne uno solo, quello "
        "aggiornato."
    )


def test_xlsx_responses_values_to_text(tmp_path: Path) -> None:
    wb = form_xlsx(
        tmp_path / "risposte.xlsx",
        [
            [
                "Informazioni cronologiche",
                "Codice fiscale",
                "Partita IVA",
                "Importo",
                "Piccolo",
                "Data",
                "Consenso",
            ],
            [
                datetime(2024, 4, 3, 11, 9, 13),
                93378570191,
                1234567890.0,
                12.5,
                0.00001,
                datetime(2024, 5, 12),
                True,
            ],
            [datetime(2024, 4, 4, 8, 0), "00123", None, 0.1, -3, datetime(2024, 5, 12, 9, 30), False],
        ],
    )
    wb.active["B4"] = 123
    wb.active["B4"].number_format = "00000"  # a code shown zero-padded
    wb.save(tmp_path / "risposte.xlsx")
    snap = XlsxStore(tmp_path).read([])
    assert snap.responses_origin == "risposte.xlsx"
    assert snap.responses[1:] == [
        ["2024-04-03T11:09:13", "93378570191", "1234567890", "12.5", "0.00001", "12/05/2024", "VERO"],
        ["2024-04-04T08:00:00", "00123", "", "0.1", "-3", "12/05/2024 09.30.00", "FALSO"],
        ["", "00123"],
    ]


def test_xlsx_responses_prefers_the_responses_tab(tmp_path: Path) -> None:
    wb = form_xlsx(tmp_path / "risposte.xlsx", [["altro"]], title="Foglio1")
    ws = wb.create_sheet("Risposte del modulo 1")
    ws.append(["Informazioni cronologiche"])
    wb.save(tmp_path / "risposte.xlsx")
    assert XlsxStore(tmp_path).read([]).responses == [["Informazioni cronologiche"]]
    form_xlsx(tmp_path / "risposte.xlsx", [["primo foglio"]], title="Foglio1")
    assert XlsxStore(tmp_path).read([]).responses == [["primo foglio"]]


def xls_bytes() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(2000)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(xls_bytes, id="renamed-xls"),
        pytest.param(lambda: os.urandom(4096), id="random-bytes"),
        pytest.param(lambda: b"Informazioni cronologiche,Email\n", id="csv-named-xlsx"),
        pytest.param(lambda: zip_of({"hello.txt": "not a workbook"}), id="zip-not-xlsx"),
        pytest.param(lambda: zip_of({"[Content_Types].xml": "<broken"}), id="broken-xml"),
        pytest.param(broken_sheet_xml, id="broken-sheet-xml"),
    ],
)
def test_an_xlsx_that_is_not_an_xlsx_is_a_config_error(tmp_path: Path, content: object) -> None:
    assert callable(content)
    (tmp_path / "risposte.xlsx").write_bytes(content())
    with pytest.raises(ConfigError) as err:
        XlsxStore(tmp_path).read([])
    assert str(err.value) == NOT_XLSX


def test_an_empty_xlsx_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "risposte.xlsx").write_bytes(b"")
    with pytest.raises(ConfigError) as err:
        XlsxStore(tmp_path).read([])
    assert (
        str(err.value) == "Il file risposte.xlsx è vuoto: esportare di nuovo le risposte dal modulo Google."
    )
    openpyxl.Workbook().save(tmp_path / "risposte.xlsx")
    with pytest.raises(ConfigError, match="è vuoto"):
        XlsxStore(tmp_path).read([])


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(lambda: b"not a zip at all", id="not-a-zip"),
        pytest.param(lambda: zip_of({"hello.txt": "not a workbook"}), id="zip-not-xlsx"),
        pytest.param(broken_sheet_xml, id="broken-sheet-xml"),
    ],
)
def test_a_corrupt_staff_workbook_is_a_config_error(store: XlsxStore, content: object) -> None:
    assert callable(content)
    damaged = content()
    staff_path(store).write_bytes(damaged)
    message = (
        "Il file elenco-interno.xlsx non è un file Excel (.xlsx) valido: aprirlo con Excel o LibreOffice e "
        "salvarlo come «Cartella di lavoro Excel (.xlsx)»."
    )
    with pytest.raises(ConfigError) as err:
        store.read(SPECS)
    assert str(err.value) == message
    with pytest.raises(ConfigError):
        store.write("staff", [RangeWrite("Elenco", 0, 0, (("x",),))], SPECS)
    assert staff_path(store).read_bytes() == damaged


def test_responses_from_the_staff_workbook_when_there_is_no_export(tmp_path: Path) -> None:
    wb = form_xlsx(tmp_path / "elenco-interno.xlsx", [["Informazioni cronologiche", "Nome"]])
    wb.active.append([datetime(2024, 4, 3, 11, 9, 13), "Ente"])
    wb.save(tmp_path / "elenco-interno.xlsx")
    snap = XlsxStore(tmp_path).read([])
    assert snap.responses_origin == "Risposte del modulo 1"
    assert snap.responses[1] == ["2024-04-03T11:09:13", "Ente"]
    assert snap.tabs["Risposte del modulo 1"][1] == ["03/04/2024 11.09.13", "Ente"]


# -- reading the staff workbook -----------------------------------------------------------------------------


def test_staff_tabs_are_read_as_text_and_trimmed(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    wb = load(staff_path(store))
    ws = wb["Decisioni"]
    ws["A3"], ws["B3"], ws["F3"] = "E-0042", "Escludi", datetime(2024, 5, 12)
    ws["A5"], ws["B5"], ws["F5"] = "riga 17", "Correggi", datetime(2024, 5, 12, 10, 30)
    ws["C5"] = 91012340193
    ws["H20"] = None  # an empty cell far away: trimmed
    wb["_stato"]["C1"] = time(9, 5)
    wb.create_sheet("Appunti")["B2"] = "tab di un operatore"
    wb.save(staff_path(store))
    snap = store.read(SPECS)
    assert snap.tabs["Decisioni"] == [
        list(DECISIONI.header),
        ["E-0000", "Escludi", "", "esempio: cancellare questa riga"],
        ["E-0042", "Escludi", "", "", "", "12/05/2024"],
        [],
        ["riga 17", "Correggi", "91012340193", "", "", "12/05/2024 10.30.00"],
    ]
    assert snap.tabs["_stato"] == [["chiave", "valore", "09.05.00"]]
    assert snap.tabs["Appunti"] == [[], ["", "tab di un operatore"]]
    assert snap.hidden == {"_stato"}


EXT_DATA_VALIDATION = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:dataValidations count="0"/></ext></extLst></worksheet>'
)


def test_a_file_openpyxl_warns_about_is_read_and_written_quietly(store: XlsxStore) -> None:
    """Excel keeps cross-sheet dropdowns in an extension openpyxl does not support (and warns about)."""
    store.ensure("staff", SPECS)
    path = staff_path(store)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    name = "xl/worksheets/sheet2.xml"
    parts[name] = parts[name].replace(b"</worksheet>", EXT_DATA_VALIDATION.encode())
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    with pytest.warns(UserWarning):
        openpyxl.load_workbook(path)  # what the backend must not let through
    assert store.read(SPECS).tabs["Decisioni"][0] == list(DECISIONI.header)
    store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001",),))], SPECS)
    assert store.read(SPECS).tabs["Elenco"][1] == ["E-0001"]


# -- publish ------------------------------------------------------------------------------------------------

PUBLIC_FILES = {
    "elenco-pubblico.csv": b"\xef\xbb\xbfid;denominazione\r\nE-0001;Auser\r\n",
    "elenco-pubblico.json": '{"enti": [{"denominazione": "Ente è"}]}'.encode(),
    "elenco-pubblico.html": b"<!doctype html>",
    "elenco-pubblico.pdf": b"%PDF-1.4",
    "datapackage.json": b"{}",
}


def test_publish_writes_every_public_file_atomically(store: XlsxStore) -> None:
    written = store.publish(PUBLIC_FILES)
    assert written == [str(store.folder / name) for name in PUBLIC_FILES]
    for name, data in PUBLIC_FILES.items():
        assert (store.folder / name).read_bytes() == data
    assert store.files_written == 5
    assert no_temp_files(store.folder)


def test_publish_twice_writes_nothing_the_second_time(store: XlsxStore) -> None:
    store.publish(PUBLIC_FILES)
    mtime = store.paths()["public_json"].stat().st_mtime_ns
    assert store.publish(PUBLIC_FILES) == []
    assert store.paths()["public_json"].stat().st_mtime_ns == mtime
    changed = {**PUBLIC_FILES, "elenco-pubblico.csv": b"id\r\n"}
    assert store.publish(changed) == [str(store.folder / "elenco-pubblico.csv")]
    assert store.files_written == 6


def test_publish_refuses_a_file_that_is_not_public(store: XlsxStore) -> None:
    with pytest.raises(ValueError, match=r"elenco-interno\.xlsx"):
        store.publish({"elenco-interno.xlsx": b"x"})
    assert not (store.folder / "elenco-interno.xlsx").exists()


@pytest.mark.parametrize("value", ["=1+1", "+39", "-5", "@x", "\tx", "\rx"])
def test_csv_injection_prefixes(value: str) -> None:
    assert xlsx.neutralise(value) == "'" + value
    assert xlsx.neutralise("a" + value) == "a" + value


# -- invariants ---------------------------------------------------------------------------------------------

# What a cell can hold in an xlsx: no XML-illegal control characters, and "\r" reads back as "\n".
CELL_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\x00"),
    max_size=12,
).map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELL_TEXT, min_size=1, max_size=4), min_size=1, max_size=5), st.integers(0, 3))
def test_any_text_written_reads_back_the_same(rows: list[list[str]], top: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = XlsxStore(Path(folder))
        (Path(folder) / "risposte.csv").write_text("a\n", encoding="utf-8")
        store.write("staff", [RangeWrite("T", top, 0, tuple(tuple(r) for r in rows))], [])
        grid = store.read([]).tabs.get("T", [])
    # a cell of only spaces or line breaks is blank, as a person sees it (see xlsx._set_text)
    expected: Grid = [[] for _ in range(top)] + [[v if v.strip() else "" for v in r] for r in rows]
    trimmed = [r[: max((i + 1 for i, v in enumerate(r) if v), default=0)] for r in expected]
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    assert grid == trimmed


def test_the_staff_workbook_reads_the_way_a_person_sees_it(store: XlsxStore) -> None:
    """Values come from the fast reader; a number a person typed in a text column keeps the zeros of its
    «00000» format (read again with the formats), and typed columns read back as canonical text."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Elenco"
    ws.append(["ID", "Denominazione"])
    ws.append(["E-0001", 123])
    ws["B2"].number_format = "00000"
    ws.append(["E-0002", 12.5])
    notes = wb.create_sheet("Note")
    notes.append(["Nota", "Quando"])
    notes.append(["una nota", datetime(2024, 5, 3, 10, 0)])
    hidden = wb.create_sheet("_stato")
    hidden.sheet_state = "hidden"
    hidden.append(["chiave", "valore"])
    wb.save(staff_path(store))
    snap = store.read(SPECS)
    assert list(snap.tabs) == ["Elenco", "Note", "_stato"]
    assert snap.tabs["Elenco"] == [["ID", "Denominazione"], ["E-0001", "00123"], ["E-0002", "12.5"]]
    assert snap.tabs["Note"] == [["Nota", "Quando"], ["una nota", "03/05/2024 10.00.00"]]
    assert snap.hidden == {"_stato"}


# -- the fast write path: only the written sheets are re-serialised -------------------------------------------


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_a_write_keeps_the_other_sheets_byte_for_byte_and_what_openpyxl_would_drop(store: XlsxStore) -> None:
    """Excel's cross-sheet dropdowns live in an extension openpyxl drops on save: a write elsewhere keeps it."""
    store.ensure("staff", SPECS)
    path = staff_path(store)
    parts = _parts(path)
    decisioni = "xl/worksheets/sheet2.xml"
    parts[decisioni] = parts[decisioni].replace(b"</worksheet>", EXT_DATA_VALIDATION.encode())
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001", "Auser"),))], SPECS)
    after = _parts(path)
    assert after[decisioni] == parts[decisioni]
    assert after["xl/worksheets/sheet3.xml"] == parts["xl/worksheets/sheet3.xml"]  # _stato, not written
    assert after["xl/worksheets/sheet1.xml"] != parts["xl/worksheets/sheet1.xml"]
    assert store.read(SPECS).tabs["Elenco"][1] == ["E-0001", "Auser"]


def test_a_persons_colour_on_a_written_cell_stays_and_the_cell_becomes_text(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    path = staff_path(store)
    wb = load(path)
    wb["Elenco"]["B2"].fill = openpyxl.styles.PatternFill("solid", fgColor="FFFF00")
    wb["Elenco"]["B2"].value = "vecchio"
    wb["Elenco"]["D2"] = "appunto"  # beyond the written columns: kept as typed
    wb.save(path)
    store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001", "=nuovo"),))], SPECS)
    ws = load(path)["Elenco"]
    b2 = ws["B2"]
    assert (b2.value, b2.data_type, b2.number_format, b2.quotePrefix) == ("=nuovo", "s", "@", True)
    assert b2.fill.fgColor.rgb == "00FFFF00"
    assert ws["D2"].value == "appunto"
    assert (ws["A1"].value, ws["A1"].font.b) == ("ID", True)


def test_a_written_sheet_keeps_its_filter_widths_and_the_print_area_follows_the_rows(store: XlsxStore) -> None:
    listing = TabSpec(title="Lista", header=("ID", "Note"), print_columns=1)
    store.ensure("staff", [listing])
    long = "parola " * 20
    rows = tuple((f"E-{i:04d}", long if i == 3 else "breve") for i in range(1, 6))
    store.write("staff", [RangeWrite("Lista", 1, 0, rows)], [listing])
    ws = load(staff_path(store))["Lista"]
    assert ws.auto_filter.ref == "A1:B6"
    assert ws.print_area == "'Lista'!$A$1:$A$6"
    assert ws.column_dimensions["B"].width == 40
    assert ws["B4"].alignment.wrap_text and ws.row_dimensions[4].height == 4 * 12.75 + 2  # 140 characters
    assert ws["A4"].alignment.vertical == "top"
    assert ws.page_setup.paperSize == 9 and ws.freeze_panes == "A2"
    store.write("staff", [RangeWrite("Lista", 4, 0, (("", ""), ("", "")))], [listing])
    ws = load(staff_path(store))["Lista"]
    assert ws.auto_filter.ref == "A1:B4" and ws.print_area == "'Lista'!$A$1:$A$4"


def test_a_file_the_splice_does_not_understand_is_written_by_openpyxl(store: XlsxStore) -> None:
    store.ensure("staff", SPECS)
    path = staff_path(store)
    parts = _parts(path)
    # a namespace prefix on every element: valid, but not the shape the splice reads
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(r"<(/?)(\w+)", r"<\1x:\2", sheet).replace(
        "<x:worksheet xmlns=", "<x:worksheet xmlns:x="
    )
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    assert store.write("staff", [RangeWrite("Elenco", 1, 0, (("E-0001",),))], SPECS) == 1
    assert store.read(SPECS).tabs["Elenco"][1] == ["E-0001"]
