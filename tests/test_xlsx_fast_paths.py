"""The local backend's fast paths: a large workbook read on two threads reads what one reads, and rows
moved instead of rewritten are counted as the cells really written."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from sync import plan as sync_plan
from sync.backends import xlsx
from sync.backends.xlsx import XlsxStore
from sync.config import parse_settings
from sync.errors import ConfigError
from sync.layouts import staff_specs
from sync.pipeline import run_sync

DEV = Path(__file__).parent / "data" / "dev"
NOT_XLSX = (
    "Il file elenco-interno.xlsx non è un file Excel (.xlsx) valido: aprirlo con Excel o LibreOffice e "
    "salvarlo come «Cartella di lavoro Excel (.xlsx)»."
)


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dev")
    (folder / "risposte.csv").write_bytes((DEV / "crema-risposte.csv").read_bytes())
    settings = parse_settings({"preset": "crema", "backend": {"kind": "xlsx", "folder": str(folder)}}, source="t")
    run_sync(XlsxStore(folder), settings, datetime(2024, 6, 1, 9))
    return folder


def _kinds() -> dict[str, tuple[str, ...]]:
    ambito = parse_settings({"preset": "crema"}, source="t").ambito
    return {s.title: s.kinds for s in staff_specs(ambito)}


def test_two_threads_read_what_one_reads(synced: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = synced / "elenco-interno.xlsx"
    kinds = _kinds()
    monkeypatch.setattr(xlsx, "PARALLEL_READ_BYTES", 10**12)
    alone = xlsx._read_workbook(path, kinds)
    calls: list[int] = []
    parallel = xlsx._read_in_parallel
    monkeypatch.setattr(xlsx, "PARALLEL_READ_BYTES", 0)
    monkeypatch.setattr(xlsx, "_read_in_parallel", lambda *a: calls.append(1) or parallel(*a))
    together = xlsx._read_workbook(path, kinds)
    assert calls == [1]
    assert together == alone
    assert list(together[0]) == list(alone[0])  # the sheets in the workbook's order
    assert len(together[0]["Elenco"]) > 200 and "_stato" in together[1]  # the hidden state, as hidden


def test_a_damaged_sheet_read_in_parallel_is_a_clear_message(
    synced: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "elenco-interno.xlsx"
    with zipfile.ZipFile(synced / "elenco-interno.xlsx") as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet3.xml":
                data = data[: len(data) // 2]  # cut in the middle of a row
            target.writestr(info, data)
    monkeypatch.setattr(xlsx, "PARALLEL_READ_BYTES", 0)
    with pytest.raises(ConfigError) as raised:
        xlsx._read_workbook(broken, _kinds())
    assert str(raised.value) == NOT_XLSX


def test_the_log_counts_the_cells_a_local_write_really_makes(tmp_path: Path) -> None:
    """A new organisation sorted near the top of the public lists: the whole-tab rewrites the plan asks
    for become rows moved in the file, and the register says the cells really written, as the report."""
    lines = (DEV / "crema-risposte.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "risposte.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = parse_settings({"preset": "crema", "backend": {"kind": "xlsx", "folder": str(tmp_path)}}, source="t")
    run_sync(XlsxStore(tmp_path), settings, datetime(2024, 6, 1, 9))
    new = (
        '"20/04/2024 10.00.00","abaco.aps@example.org","Abaco APS","91000000017","Associazione di promozione sociale (APS)",'
        '"","Crema","Via Roma 1","Anna Bianchi","0373 111111","","B) Fragilità (Anziani e Persone con disabilità)",'
        f'"Fase di stesura del Piano di Zona 2025-2027",""," {lines[1].rsplit(",", 1)[1].strip(chr(34))}"'
    )
    (tmp_path / "risposte.csv").write_text("\n".join([*lines, new]) + "\n", encoding="utf-8")
    planned: list[int] = []
    counted = sync_plan.SyncPlan.counted

    def spy(plan: sync_plan.SyncPlan, public_cells: int) -> sync_plan.SyncPlan:
        planned.append(sync_plan.count_cells(plan.public_writes))
        return counted(plan, public_cells)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(sync_plan.SyncPlan, "counted", spy)
        result = run_sync(XlsxStore(tmp_path), settings, datetime(2024, 6, 1, 10))
    log = xlsx._read_workbook(tmp_path / "elenco-interno.xlsx")[0]["Registro sincronizzazioni"]
    assert log[-1][7] == str(result.report.cells_written)
    assert planned and result.report.cells_written < planned[0] / 5  # the rows below the new one moved
