"""`elenco pubblica --config FILE --out DIR`: the web page and the PDF for the municipal site.

Through `CliRunner`, with the local folder and with the Google backend (gspread over HTTP against the Sheets API
fake in tests/fakes): the files are those a sync publishes, for the list the public spreadsheet holds.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from sync.backends.gsheets import GSheetsStore
from sync.backends.xlsx import XlsxStore
from sync.cli import cli
from sync.config import Settings, load_settings
from sync.pipeline import run_sync
from tests.conftest import sample_rows
from tests.fakes.sheets_api import SheetsFake

NOW = datetime(2024, 5, 20, 10, 30)
RESPONSES = "Risposte del modulo 1"
CONTACTS = (
    "Alessandro Tomella",
    "Andrea Bonizzi",
    "Maria Bianchi",
    "0374 480361",
    "0373 111222",
)  # referenti in sample_rows


def _csv(rows: list[list[str]]) -> str:
    return "\n".join(",".join('"' + v.replace('"', '""') + '"' for v in row) for row in rows) + "\n"


FILES = [
    "datapackage.json",
    "elenco-pubblico.csv",
    "elenco-pubblico.html",
    "elenco-pubblico.json",
    "elenco-pubblico.pdf",
]


def _expected(folder: Path, ambito: str, count: str, updated: str) -> str:
    return (
        f"Elenco pubblico dell'{ambito}: {count}, aggiornato al {updated}.\n"
        f"Scritti in {folder}, da caricare insieme, nella stessa cartella del sito del Comune:\n"
        f"  {folder / 'elenco-pubblico.html'}  (pagina web: da pubblicare o incorporare con un iframe)\n"
        f"  {folder / 'elenco-pubblico.pdf'}  (PDF per la determina e l'albo pretorio)\n"
        f"  {folder / 'elenco-pubblico.csv'}  (dati aperti: la pagina li collega in «Scarica»)\n"
        f"  {folder / 'elenco-pubblico.json'}  (dati aperti)\n"
        f"  {folder / 'datapackage.json'}  (descrizione delle colonne dei dati aperti)\n"
    )


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local folder after one sync: its config and the public files the sync wrote."""
    folder = tmp_path_factory.mktemp("locale")
    (folder / "risposte.csv").write_text(_csv(sample_rows()), encoding="utf-8")
    (folder / "elenco.yaml").write_text(
        f"preset: crema\nbackend:\n  kind: xlsx\n  folder: {folder}\n", encoding="utf-8"
    )
    run_sync(XlsxStore(folder), load_settings(folder / "elenco.yaml"), NOW)
    return folder


def test_local_folder_writes_the_page_and_the_pdf_of_the_last_sync(local: Path, tmp_path: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in local.iterdir()}
    out = tmp_path / "per il sito"
    result = CliRunner().invoke(cli, ["pubblica", "--config", str(local / "elenco.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == _expected(
        out, "Ambito territoriale di Crema", "3 enti", "20 maggio 2024, ore 10:30"
    )
    assert sorted(p.name for p in out.iterdir()) == FILES
    # the same bytes the sync published beside the workbooks
    for name in FILES:
        assert (out / name).read_bytes() == (local / name).read_bytes(), name
    # it only reads: the folder's files are untouched
    assert {p.name: p.stat().st_mtime_ns for p in local.iterdir()} == before


def test_an_output_folder_that_cannot_be_made_is_an_italian_error(local: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "un file"
    blocker.write_text("x", encoding="utf-8")
    out = blocker / "sito"
    result = CliRunner().invoke(cli, ["pubblica", "--config", str(local / "elenco.yaml"), "--out", str(out)])
    assert result.exit_code == 1
    assert result.output == (
        f"Errore: Impossibile scrivere {out / 'elenco-pubblico.html'}: errore del sistema (ENOTDIR). Indicare "
        "con --out una cartella in cui si può scrivere.\n"
    )


def test_the_command_is_listed_in_italian() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    (line,) = [x for x in result.output.splitlines() if x.strip().startswith("pubblica ")]
    assert line.split(None, 1)[1].startswith("Scrive la pagina web e il PDF dell'elenco pubblico")


# -- Google Sheets ------------------------------------------------------------------------------------------


@dataclass
class Google:
    fake: SheetsFake
    staff: str
    public: str
    config: Path
    settings: Settings


def google_config(folder: Path, fake: SheetsFake, staff: str, public: str) -> Path:
    """A Google-mode `elenco.yaml` whose backend is the fake (no credentials)."""
    config = folder / "elenco.yaml"
    config.write_text(
        "preset: crema\nbackend:\n  kind: gsheets\n"
        f"  staff_spreadsheet_id: {staff}\n  public_spreadsheet_id: {public}\n"
        f"  endpoint: {fake.base_url}\n  credentials: none\n",
        encoding="utf-8",
    )
    return config


def google_sync(settings: Settings, lock_dir: Path, now: datetime = NOW) -> None:
    assert settings.backend.kind == "gsheets"
    with GSheetsStore.from_settings(
        settings.backend, sleep=lambda s: None, rng=random.Random(7), lock_dir=lock_dir
    ) as store:
        run_sync(store, settings, now)


@pytest.fixture(scope="module")
def google(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Google]:
    folder = tmp_path_factory.mktemp("google")
    with SheetsFake() as fake:
        staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: sample_rows()})
        public = fake.create_spreadsheet("Elenco pubblico")
        config = google_config(folder, fake, staff, public)
        settings = load_settings(config)
        google_sync(settings, folder)
        yield Google(fake, staff, public, config, settings)


def test_google_writes_the_list_the_public_spreadsheet_holds_in_one_read(
    google: Google, tmp_path: Path
) -> None:
    google.fake.reset_counts()
    out = tmp_path / "sito"
    result = CliRunner().invoke(cli, ["pubblica", "--config", str(google.config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == _expected(
        out, "Ambito territoriale di Crema", "3 enti", "20 maggio 2024, ore 10:30"
    )
    assert google.fake.count() == 1 and google.fake.count("write") == 0  # one batchGet of the staff workbook

    published = google.fake.values(google.public, "Elenco")
    names = [row[1] for row in published[1:]]
    assert names == ["Associazione Il Volo A.P.S.", "Auser Crema ODV", "Il Girasole Coop. Soc."]
    html = (out / "elenco-pubblico.html").read_text(encoding="utf-8")
    pdf = "\n".join(page.extract_text() for page in PdfReader(out / "elenco-pubblico.pdf").pages)
    for name in names:
        assert name in html and name in pdf
    assert "Aggiornato al 20 maggio 2024, ore 10:30" in pdf
    for personal in CONTACTS:
        assert personal not in html and personal not in pdf
    # every file the page links to by a relative address is in the folder to upload
    relative = [h for h in re.findall(r'href="([^"#]+)"', html) if ":" not in h]
    assert sorted(relative) == sorted(set(FILES) - {"elenco-pubblico.html"})
    assert all((out / h).is_file() for h in relative)


def test_google_and_the_local_folder_publish_the_same_files(
    google: Google, local: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    for name, config in (("google", google.config), ("locale", local / "elenco.yaml")):
        result = runner.invoke(cli, ["pubblica", "--config", str(config), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    for name in FILES:
        assert (tmp_path / "google" / name).read_bytes() == (tmp_path / "locale" / name).read_bytes(), name


def test_google_a_spreadsheet_that_does_not_exist(google: Google, tmp_path: Path) -> None:
    config = google_config(tmp_path, google.fake, "1NonEsisteQuestoFoglio", google.public)
    result = CliRunner().invoke(cli, ["pubblica", "--config", str(config), "--out", str(tmp_path / "sito")])
    assert result.exit_code == 1
    assert result.output == (
        "Errore: Il foglio 1NonEsisteQuestoFoglio non esiste: controllare l'ID nella configurazione (la parte "
        "dell'indirizzo tra /d/ e /edit).\n"
    )
    assert not (tmp_path / "sito").exists()
