"""Golden tests: every staff and public tab of a small fixture, cell for cell.

Regenerate after an intended change with `ELENCO_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py`, then
read the diff of `tests/data/golden/` as a reviewer would: it is what staff and the public will see.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from sync.backends.memory import MemoryStore, trim
from sync.config import Settings
from sync.pipeline import run_sync
from sync.shortcut import INPUT_KEY
from tests.conftest import HEADER, make_row

GOLDEN = Path(__file__).parent / "data" / "golden" / "small.json"


def _fixture() -> list[list[str]]:
    return [
        HEADER,
        make_row(),
        make_row(
            timestamp="04/04/2024 10.00.00",
            email="auser@auser.it",
            name="Auser Crema ODV",
            tax_code="93378570191",
            legal_form="Organizzazione di volontariato (ODV)",
            runts="150860",
            contact_name="Andrea Bonizzi",
            phone="0373 530551",
            pec="",
            areas="B) Fragilità (Anziani e Persone con disabilità)",
        ),
        make_row(timestamp="05/04/2024 10.00.00", name="Prova invio modulo"),
        make_row(
            timestamp="06/04/2024 10.00.00",
            name="Associazione Il Volo A.P.S.",
            comune="Crema (CR)",
            areas="C) Adulti e povertà (Contrasto alla povertà e marginalità, Politiche per il lavoro, "
            "Politiche abitative)",
        ),
        make_row(
            timestamp="07/04/2024 10.00.00",
            email="mario.rossi@gmail",
            name="Il Sorriso S.C.S.",
            tax_code="12345678901",
            consent="",
        ),
        make_row(
            timestamp="08/04/2024 10.00.00",
            email="info@sorgente.it",
            name='=HYPERLINK("http://x","La Sorgente")',
            tax_code="82985460193",
            comune="Lodi",
            runts="",
            contact_name="Lucia Verdi",
            phone="+39 333 1234567",
            pec="",
            areas="A) Minori e Famiglia, Altro: sport",
            experience="- doposcuola\n@tutti",
        ),
        make_row(
            timestamp="03/05/2024 10.00.00",
            email="info@girasole.it",
            name="Il Girasole Coop. Soc.",
            tax_code="04688560194",
            contact_name="Maria Bianchi",
            phone="0373 111222",
            pec="girasole@pec.it",
            areas="A) Minori e Famiglia",
            phases="Fase di stesura del Piano di Zona 2025-2027, Tavoli tematici di attuazione, "
            "monitoraggio e valutazione (dal gennaio 2025)",
        ),
    ]


def _run(settings: Settings) -> dict[str, dict[str, list[list[str]]]]:
    store = MemoryStore(responses=_fixture())
    run_sync(store, settings, datetime(2024, 5, 20, 10, 0))
    store.staff["Decisioni"] += [
        ["E-0002", "Sospendi", "", "verifica requisiti", "UdP", "20/05/2024"],
        ["riga 6", "Accetta", "", "consenso firmato su carta", "UdP", "20/05/2024"],
        ["riga 6", "Correggi", "Email=info@ilsorriso.it", "", "", ""],
        ["riga 6", "Correggi", "Codice fiscale=01466360193", "", "", ""],
    ]
    store.staff["Presenze Minori e famiglia"][1] += ["", "P"]
    run_sync(store, settings, datetime(2024, 5, 21, 9, 30))
    out: dict[str, dict[str, list[list[str]]]] = {"staff": {}, "public": {}}
    for book, tabs in (("staff", store.staff), ("public", store.public)):
        for title, grid in tabs.items():
            out[book][title] = trim([list(r) for r in grid])
    # the digest of the inputs covers this code's version: not a golden value
    out["staff"]["_stato"] = [r for r in out["staff"]["_stato"] if r[:2] != ["pubblico", INPUT_KEY]]
    return out


def test_every_tab_matches_the_golden_file(crema: Settings) -> None:
    got = _run(crema)
    if os.environ.get("ELENCO_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        pytest.skip("golden file regenerated")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(got["staff"]) == sorted(want["staff"])
    assert sorted(got["public"]) == sorted(want["public"])
    for book in ("staff", "public"):
        for title in want[book]:
            assert got[book][title] == want[book][title], f"{book}: {title}"
