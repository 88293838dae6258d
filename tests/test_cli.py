"""The command line through click's CliRunner: the contract of DESIGN.md, Italian messages, exit codes."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sync.cli import cli
from tests.conftest import DEV


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def demo(tmp_path: Path, runner: CliRunner) -> Path:
    folder = tmp_path / "prova"
    result = runner.invoke(cli, ["demo", "--dir", str(folder), "--organisations", "60"])
    assert result.exit_code == 0, result.output
    return folder


def test_demo_leaves_a_working_configuration(demo: Path, runner: CliRunner) -> None:
    assert (demo / "elenco.yaml").read_text(encoding="utf-8").splitlines()[1:] == [
        "preset: crema",
        "backend:",
        "  kind: xlsx",
        "  folder: .",
    ]
    for name in (
        "risposte.csv",
        "elenco-interno.xlsx",
        "elenco-pubblico.xlsx",
        "elenco-pubblico.csv",
        "elenco-pubblico.json",
    ):
        assert (demo / name).exists(), name
    config = str(demo / "elenco.yaml")
    check = runner.invoke(cli, ["check", "--config", config])
    assert check.exit_code == 0, check.output
    assert check.output.splitlines()[-1] == "Struttura dei fogli completa."
    init = runner.invoke(cli, ["init", "--config", config])
    assert init.output == "Niente da fare: tutte le schede sono già a posto.\n"
    again = runner.invoke(cli, ["sync", "--config", config, "--report", str(demo / "r.json")])
    assert again.exit_code == 0
    report = json.loads((demo / "r.json").read_text(encoding="utf-8"))
    for key in (
        "started_at",
        "duration_s",
        "responses",
        "accepted",
        "rejected",
        "organisations",
        "per_area",
        "review_pairs",
        "cells_written",
        "api_requests",
        "outcome",
    ):
        assert key in report
    assert report["cells_written"] == 0
    assert report["outcome"] == "ok"


def test_dry_run_previews_in_italian_and_writes_nothing(demo: Path, runner: CliRunner) -> None:
    with (demo / "risposte.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerow(
            [
                "10/04/2024 10.00.00",
                "info@nuovo.it",
                "Associazione Nuova Aurora APS",
                "91910830198",
                "Associazione di promozione sociale (APS)",
                "111961",
                "Crema",
                "Via Roma 1",
                "Anna Neri",
                "0373 111111",
                "",
                "A) Minori e Famiglia",
                "",
                "",
                "Dichiaro di aver letto l'informativa",
            ]
        )
    before = (demo / "elenco-interno.xlsx").read_bytes()
    result = runner.invoke(cli, ["sync", "--config", str(demo / "elenco.yaml"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Anteprima (nessuna modifica scritta):\n")
    assert "  Risposte: 1 righe aggiunte, 0 modificate, 0 tolte" in result.output
    assert (demo / "elenco-interno.xlsx").read_bytes() == before


def test_resolve_contract(tmp_path: Path, runner: CliRunner) -> None:
    out = tmp_path / "esito.csv"
    result = runner.invoke(
        cli, ["resolve", str(DEV / "cernusco-risposte.csv"), "--config", "cernusco", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"119 risposte: 112 accettate, 7 respinte, 79 enti. Scritto {out}.\n"
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["row", "entity_id", "status", "reasons", "warnings"]
    assert [r["row"] for r in rows] == [str(n) for n in range(2, 121)]
    by_row = {r["row"]: r for r in rows}
    assert by_row["90"]["status"] == "rejected" and by_row["90"]["reasons"] == "invio_di_prova"
    assert by_row["90"]["entity_id"] == ""


def test_stampa_writes_a4_landscape_sheets_without_emails(demo: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["stampa", "--config", str(demo / "elenco.yaml")])
    assert result.exit_code == 0, result.output
    files = sorted((demo / "stampe").glob("*.xlsx"))
    assert len(files) == 12  # 4 areas × 3 meetings in the Crema preset
    ws = openpyxl.load_workbook(files[0]).active
    assert ws.page_setup.orientation == "landscape"
    assert [c.value for c in ws[4]] == ["N.", "Ente", "Referente", "Firma"]
    assert not any("@" in str(c.value) for row in ws.iter_rows() for c in row if c.value)


def test_a_bad_configuration_exits_1_with_the_key_named(tmp_path: Path, runner: CliRunner) -> None:
    config = tmp_path / "elenco.yaml"
    config.write_text("preset: crema\nbackend:\n  kind: xlsx\n  cartella: .\n", encoding="utf-8")
    result = runner.invoke(cli, ["sync", "--config", str(config)])
    assert result.exit_code == 1
    assert result.output == (
        f"Errore: configurazione non valida ({config}):\n"
        "  - backend.xlsx.cartella: chiave non prevista (controllare l'ortografia)\n"
    )


def test_a_file_open_in_libreoffice_is_not_overwritten(demo: Path, runner: CliRunner) -> None:
    shutil.copy(DEV / "crema-risposte.csv", demo / "risposte.csv")
    (demo / ".~lock.elenco-interno.xlsx#").write_bytes(b",mrossi,UFFICIO-PC,02.12.2026 08:02,file:///x;")
    before = (demo / "elenco-interno.xlsx").read_bytes()
    result = runner.invoke(cli, ["sync", "--config", str(demo / "elenco.yaml")])
    assert result.exit_code == 1
    lock = ".~lock.elenco-interno.xlsx#"
    assert result.output == (
        "Errore: Il file elenco-interno.xlsx è aperto in un altro programma (LibreOffice o Excel): chiuderlo e "
        f"rilanciare la sincronizzazione. Nessun file è stato modificato. Lo segnala il file nascosto «{lock}» "
        f"nella cartella {demo}, scritto da mrossi sul computer «UFFICIO-PC» il 02/12/2026 alle 08:02. Se il file non è aperto da nessuno (per esempio dopo un arresto "
        f"improvviso del programma), «{lock}» è rimasto per errore: cancellarlo e rilanciare la "
        "sincronizzazione.\n"
    )
    assert (demo / "elenco-interno.xlsx").read_bytes() == before


def test_serve_needs_the_secret(demo: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ELENCO_WEBHOOK_SECRET", raising=False)
    result = runner.invoke(cli, ["serve", "--config", str(demo / "elenco.yaml")])
    assert result.exit_code == 1
    assert result.output.startswith(
        "Errore: Manca la chiave segreta del webhook: impostare la variabile d'ambiente ELENCO_WEBHOOK_SECRET"
    )


def test_missing_responses_file(tmp_path: Path, runner: CliRunner) -> None:
    config = tmp_path / "elenco.yaml"
    config.write_text("preset: crema\n", encoding="utf-8")
    result = runner.invoke(cli, ["sync", "--config", str(config)])
    assert result.exit_code == 1
    assert result.output.startswith("Errore: ")
    assert "risposte.csv" in result.output


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _refused(folder: Path, name: str) -> str:
    return (
        f"Errore: La cartella {folder} contiene già il file {name}, che non è stato creato da «elenco demo»: "
        "la prova sostituirebbe risposte ed elenchi veri con enti inventati. Indicare con --dir una cartella "
        "nuova o vuota. Nessun file è stato scritto.\n"
    )


def test_demo_runs_again_on_its_own_folder(demo: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["demo", "--dir", str(demo), "--organisations", "20"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", ["risposte.csv", "risposte.xlsx", "elenco-interno.xlsx", "elenco.yaml"])
def test_demo_refuses_a_folder_with_files_it_did_not_make(
    tmp_path: Path, runner: CliRunner, name: str
) -> None:
    folder = tmp_path / "ufficio"
    folder.mkdir()
    source = DEV / "crema-risposte.csv"
    (folder / name).write_bytes(source.read_bytes() if name.endswith(".csv") else b"preset: crema\n")
    before = _files(folder)
    result = runner.invoke(cli, ["demo", "--dir", str(folder), "--organisations", "20"])
    assert result.exit_code == 1
    assert result.output == _refused(folder, name)
    assert _files(folder) == before  # nothing written, nothing replaced


def test_demo_refuses_its_folder_once_real_responses_replaced_its_own(demo: Path, runner: CliRunner) -> None:
    shutil.copy(DEV / "crema-risposte.csv", demo / "risposte.csv")
    before = _files(demo)
    result = runner.invoke(cli, ["demo", "--dir", str(demo)])
    assert result.exit_code == 1
    assert result.output == _refused(demo, "risposte.csv")
    assert _files(demo) == before
