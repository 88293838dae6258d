"""`Correggi` on an ID: staff correct an organisation's current data until it answers again."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

import pytest

from sync.config import load_settings
from sync.corrections import area_text
from sync.parse import area_options, split_choices
from tests.conftest import make_row, sample_rows
from tests.fakes.sheets_api import SheetsFake
from tests.test_staff_habits import Desk, by_id, col

HEAD = ["ID ente o riga", "Decisione", "Valore", "Motivazione", "Operatore", "Data"]


def _public(desk: Desk) -> dict[str, str]:
    """ID -> name in the public list (the Google spreadsheet, or the local open-data CSV)."""
    if desk.kind == "local":
        text = (desk.folder / "elenco-pubblico.csv").read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
        return {r["id"]: r["denominazione"] for r in rows}
    assert desk.fake is not None
    grid = desk.fake.values(desk.public, "Elenco")
    return {r[0]: r[1] for r in grid[1:] if r}


@pytest.fixture(params=["local", "google"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "local":
        yield Desk("local", tmp, sample_rows())
        return
    with SheetsFake() as fake:
        yield Desk("google", tmp, sample_rows(), fake)
        assert fake.errors == []


def test_areas_by_code_number_tab_or_label() -> None:
    ambito = load_settings("crema").ambito
    opts = area_options(ambito)
    for typed in (
        "A, C",
        "1, 3",
        "Minori e famiglia; Adulti e povertà",
        "a, 3",
        ambito.areas[0].label + ", C",
    ):
        assert split_choices(area_text(typed, ambito), opts) == (("A", "C"), ()), typed
    assert split_choices(area_text("9", ambito), opts) == ((), ("9",))


def test_correggi_on_an_id_until_the_organisation_answers_again(desk: Desk) -> None:
    desk.sync()
    desk.type_rows(
        "Decisioni",
        [
            HEAD,
            ["E-0002", "Correggi", "Denominazione=AUSER Crema APS", "refuso", "UdP", ""],
            ["E-0002", "Correggi", "Aree=A, 3", "", "", ""],
            ["E-0002", "Correggi", "Colore=blu", "", "", ""],
            ["E-0042", "Correggi", "Email=x@y.it", "", "", ""],
        ],
        start_row=0,
    )
    desk.sync(datetime(2024, 5, 21, 9, 0))
    elenco = desk.tab("Elenco")
    assert by_id(elenco, "Denominazione")["E-0002"] == "AUSER Crema APS"
    assert by_id(elenco, "Aree")["E-0002"] == "Minori e famiglia, Adulti e povertà"
    assert "E-0002" in col(desk.tab("Minori e famiglia"), "ID")
    assert "E-0002" not in col(desk.tab("Fragilità"), "ID")
    assert _public(desk)["E-0002"] == "AUSER Crema APS"
    problems = [r for r in desk.tab("Anomalie")[1:] if r[0] == "Decisioni"]
    assert [(r[1], r[8]) for r in problems] == [
        (
            "4",
            "Decisione non applicabile: «Colore» non è un campo che si può correggere; campi: Aree, Aree di "
            "interesse, Cf, Codice fiscale, Comune, Consenso, Denominazione, Denominazione dell'ente, Email, "
            "Fasi, Forma giuridica, Indirizzo, Indirizzo email, Informativa privacy, Numero runts, Partita iva, "
            "Pec, Referente, Runts, Telefono.",
        ),
        ("5", "Decisione non applicabile: l'ente E-0042 non esiste."),
    ]
    # nothing new: nothing written
    assert desk.sync(datetime(2024, 5, 21, 10, 0)).report.cells_written == 0
    # Auser answers again with another name, the same areas: its new name wins, the areas stay corrected
    desk.append_responses(
        [
            make_row(
                timestamp="10/05/2024 10.00.00",
                email="auser@auser.it",
                name="Auser Crema ODV ETS",
                tax_code="93378570191",
                contact_name="Andrea Bonizzi",
                phone="0373 530551",
                pec="",
                areas="B) Fragilità (Anziani e Persone con disabilità)",
            )
        ]
    )
    desk.sync(datetime(2024, 5, 22, 9, 0))
    elenco = desk.tab("Elenco")
    assert by_id(elenco, "Denominazione")["E-0002"] == "Auser Crema ODV ETS"
    assert by_id(elenco, "Aree")["E-0002"] == "Minori e famiglia, Adulti e povertà"
    assert _public(desk)["E-0002"] == "Auser Crema ODV ETS"


def test_correggi_aree_on_a_row_takes_numbers_too(desk: Desk) -> None:
    desk.sync()
    desk.type_rows(
        "Decisioni", [HEAD, ["riga 3", "Correggi", "Aree=1, Innovazione e giovani", "", "", ""]], start_row=0
    )
    desk.sync(datetime(2024, 5, 21, 9, 0))
    assert by_id(desk.tab("Elenco"), "Aree")["E-0002"] == "Minori e famiglia, Innovazione e giovani"
    assert [r for r in desk.tab("Anomalie")[1:] if r[0] == "Decisioni"] == []


def test_correggi_on_a_merged_id_is_reported(desk: Desk) -> None:
    desk.sync()
    desk.type_rows(
        "Decisioni",
        [
            HEAD,
            ["E-0001", "Unisci", "E-0003", "", "", ""],
            ["E-0003", "Correggi", "Telefono=0373 000000", "", "", ""],
        ],
        start_row=0,
    )
    desk.sync(datetime(2024, 5, 21, 9, 0))
    problems = [r for r in desk.tab("Anomalie")[1:] if r[0] == "Decisioni"]
    assert [(r[1], r[8]) for r in problems] == [
        (
            "3",
            "Decisione non applicabile: l'ente E-0003 è stato unito a E-0001: la correzione non si applica. "
            "Scriverla per E-0001.",
        )
    ]
