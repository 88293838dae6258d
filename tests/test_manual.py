"""`Domande manuali`: applications typed by staff (PEC, paper, e-mail), on the local folder and on Google.

Each test runs on both backends through `Desk` (tests/test_staff_habits.py): the local folder edited with
openpyxl as a person saving in Excel would, and real gspread over HTTP against the Sheets API fake.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from sync import labels
from sync.backends.xlsx import STAFF_FILE
from sync.config import load_settings
from sync.decisions import target_code, target_row
from sync.layouts import manual_header
from sync.manual import canonical_channel, parse_manual
from sync.model import MANUAL_BASE
from sync.pipeline import public_files_now
from tests.conftest import make_row, sample_rows
from tests.fakes.sheets_api import SheetsFake
from tests.test_staff_habits import NOW, Desk, col, writes_nothing

MANUAL = "Domande manuali"


def manual_row(channel: str = "PEC", protocol: str = "2024/0457", **fields: str) -> list[str]:
    """A Cooperative's Allegato 1 received by PEC: no e-mail, a PEC, the date of receipt."""
    base = {
        "timestamp": "15/04/2024",
        "email": "",
        "name": "Cooperativa Sociale Il Ponte",
        "tax_code": "10000000199",
        "legal_form": "Impresa sociale - cooperativa sociale",
        "runts": "204311",
        "comune": "Crema",
        "address": "Via Mercato 12",
        "contact_name": "Giulia Ferrari",
        "phone": "0373 111222",
        "pec": "ilponte@pec.it",
        "areas": "B) Fragilità (Anziani e Persone con disabilità)",
        "phases": "",
        "experience": "Centro diurno.",
        "consent": "Sì (firmato sull'Allegato 1)",
    }
    base.update(fields)
    return [*make_row(**base), channel, protocol]


@pytest.fixture(params=["local", "google"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    if request.param == "local":
        yield Desk("local", tmp_path, sample_rows())
        return
    with SheetsFake() as fake:
        yield Desk("google", tmp_path, sample_rows(), fake)
        assert fake.errors == []


def delete_manual_row(desk: Desk, row: int) -> None:
    """Staff delete a row of `Domande manuali` (the rows below move up)."""
    if desk.kind == "local":
        path = desk.folder / STAFF_FILE
        wb = openpyxl.load_workbook(path)
        wb[MANUAL].delete_rows(row)
        wb.save(path)
    else:
        desk.gc.open_by_key(desk.staff).worksheet(MANUAL).delete_rows(row)


def public_csv(desk: Desk) -> list[dict[str, str]]:
    raw = public_files_now(desk.settings, backend=desk.backend(), now=NOW)["elenco-pubblico.csv"]
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_the_tab_is_created_with_the_form_questions_channel_and_protocol(desk: Desk) -> None:
    desk.sync()
    grid = desk.tab(MANUAL)
    assert grid == [list(manual_header(desk.settings.ambito))]
    assert grid[0][:3] == ["Data di ricezione", "Indirizzo email", "Denominazione dell'ente"]
    assert grid[0][-2:] == ["Canale", "Protocollo"]
    writes_nothing(desk)


def test_a_pec_application_typed_in_domande_manuali_reaches_the_public_list(desk: Desk) -> None:
    desk.sync()
    typed = [manual_row()]
    desk.type_rows(MANUAL, typed, start_row=1)
    result = desk.sync()
    assert result.report.accepted == 5  # four form responses accepted, and the PEC application

    risposte = desk.tab("Risposte")
    last = dict(zip(risposte[0], risposte[-1], strict=False))
    assert last["Riga"] == "2"
    assert last["Codice risposta"].startswith("M-") and len(last["Codice risposta"]) == 12
    assert last["Esito"] == "accettata"
    assert last["Provenienza"] == "Domande manuali riga 2 (PEC, prot. 2024/0457)"
    assert col(risposte, "Provenienza")[:5] == ["modulo"] * 5

    elenco = desk.tab("Elenco")
    row = next(r for r in elenco[1:] if r[1] == "Cooperativa Sociale Il Ponte")
    entry = dict(zip(elenco[0], row, strict=False))
    assert (entry["Email"], entry["PEC"], entry["Righe del modulo"]) == ("", "ilponte@pec.it", "manuale 2")
    assert entry["Tipologia"] == "Ente del Terzo Settore"

    public = {r["denominazione"]: r for r in public_csv(desk)}
    assert public["Cooperativa Sociale Il Ponte"]["comune_sede_legale"] == "Crema"
    assert public["Cooperativa Sociale Il Ponte"]["tipologia"] == "Ente del Terzo Settore"
    # the machine never writes in the staff's tab, and a sync with nothing new writes nothing
    assert desk.tab(MANUAL)[1] == typed[0][: len(desk.tab(MANUAL)[1])]
    writes_nothing(desk)
    assert desk.tab(MANUAL)[1:] == [r[: len(desk.tab(MANUAL)[1])] for r in typed]


def test_a_manual_row_with_neither_email_nor_pec_is_reported(desk: Desk) -> None:
    desk.sync()
    desk.type_rows(MANUAL, [manual_row(channel="carta", protocol="", pec="")], start_row=1)
    desk.sync()
    risposte = desk.tab("Risposte")
    last = dict(zip(risposte[0], risposte[-1], strict=False))
    assert (last["Esito"], last["Motivi"], last["Provenienza"], last["Codici"]) == (
        "respinta",
        "Né email né PEC",
        "Domande manuali riga 2 (carta)",
        "recapito_mancante",
    )
    anomalie = desk.tab("Anomalie")
    line = next(r for r in anomalie[1:] if r[11] == "recapito_mancante")
    assert line[:3] == ["Domande manuali", "2", ""]
    assert line[6] == "bloccante"
    assert line[8] == (
        "Domanda senza email né PEC: indicare almeno uno dei due recapiti per poter contattare l'ente."
    )
    assert line[10] == "Indicare nella scheda «Domande manuali» l'email o la PEC dell'ente."


def test_a_channel_other_than_pec_paper_or_email_is_a_warning(desk: Desk) -> None:
    desk.sync()
    desk.type_rows(MANUAL, [manual_row(channel="fax")], start_row=1)
    desk.sync()
    anomalie = desk.tab("Anomalie")
    line = next(r for r in anomalie[1:] if r[11] == "canale_non_valido")
    assert (line[0], line[1], line[4], line[6], line[7]) == (
        "Domande manuali",
        "2",
        "Canale",
        "avviso",
        "fax",
    )
    assert line[8] == "Canale «fax» non riconosciuto: indicare PEC, carta oppure e-mail."
    assert col(desk.tab("Risposte"), "Esito")[-1] == "accettata"


def test_deleting_and_reordering_manual_rows_keeps_decisions_attached(desk: Desk) -> None:
    desk.sync()
    desk.type_rows(
        MANUAL,
        [
            manual_row(),
            manual_row(
                name="Parrocchia San Giacomo",
                tax_code="10000010198",
                pec="sangiacomo@pec.it",
                protocol="2024/0460",
                legal_form="Ente religioso civilmente riconosciuto",
                runts="",
            ),
            manual_row(
                name="Associazione Amici del Parco APS",
                tax_code="10000020197",
                pec="amiciparco@pec.it",
                protocol="2024/0461",
                channel="e-mail",
            ),
        ],
        start_row=1,
    )
    desk.sync()
    codes = dict(
        zip(
            col(desk.tab("Risposte"), "Denominazione"),
            col(desk.tab("Risposte"), "Codice risposta"),
            strict=True,
        )
    )
    amici = codes["Associazione Amici del Parco APS"]
    # «riga 2» is the form's row 2; «manuale 3» the manual one: never confused
    desk.type_rows(
        "Decisioni",
        [
            ["manuale 3", "Scarta", "", "doppione della PEC", "UdP", ""],
            [amici, "Correggi", "Comune=Offanengo", "refuso", "UdP", ""],
        ],
        start_row=1,
    )
    desk.sync()

    def outcome() -> dict[str, tuple[str, str]]:
        r = desk.tab("Risposte")
        return {
            n: (e, rr)
            for n, e, rr, p in zip(
                col(r, "Denominazione"), col(r, "Esito"), col(r, "Riga"), col(r, "Provenienza"), strict=True
            )
            if p != "modulo"
        }

    assert outcome()["Parrocchia San Giacomo"] == ("respinta", "3")
    assert col(desk.tab("Risposte"), "Esito")[0] == "accettata"  # the form's row 2 is untouched
    comune = {r[1]: r[6] for r in desk.tab("Elenco")[1:]}
    assert comune["Associazione Amici del Parco APS"] == "Offanengo"

    delete_manual_row(desk, 2)  # the PEC application above moves the others up
    desk.sync()
    assert outcome() == {
        "Parrocchia San Giacomo": ("respinta", "2"),
        "Associazione Amici del Parco APS": ("accettata", "3"),
    }
    moved = [r for r in desk.tab("Anomalie")[1:] if r[0] == "Decisioni" and r[11] == "decisione_spostata"]
    assert len(moved) == 1
    assert "ora è alla riga manuale 2, non più alla riga manuale 3" in moved[0][8]

    # staff sort the tab by name: the Amici row goes first, the Parrocchia second... still the discarded one
    grid = desk.tab(MANUAL)
    body = sorted(grid[1:], key=lambda r: r[2], reverse=True)
    desk.type_rows(MANUAL, body, start_row=1)
    desk.sync()
    assert outcome()["Parrocchia San Giacomo"][0] == "respinta"
    assert outcome()["Associazione Amici del Parco APS"][0] == "accettata"
    comune = {r[1]: r[6] for r in desk.tab("Elenco")[1:]}
    assert comune["Associazione Amici del Parco APS"] == "Offanengo"


def test_manual_rows_are_numbered_apart_from_the_form_rows() -> None:
    ambito = load_settings("crema").ambito
    grid = [list(manual_header(ambito)), manual_row(), [""] * 3, manual_row(protocol="2024/0458")]
    rows = parse_manual(grid, ambito)
    assert [r.row for r in rows] == [MANUAL_BASE + 2, MANUAL_BASE + 4]
    assert [r.channel for r in rows] == ["PEC", "PEC"]
    # the protocol is part of the identity: two applications with the same content stay two
    assert len({r.fingerprint for r in rows}) == 2
    assert all(r.code.startswith("M-") for r in rows)
    assert parse_manual([list(manual_header(ambito))], ambito) == []


@pytest.mark.parametrize(
    ("target", "row"),
    [
        ("manuale 3", MANUAL_BASE + 3),
        ("Manuale 3", MANUAL_BASE + 3),
        ("Domande manuali riga 3", MANUAL_BASE + 3),
        ("riga manuale 12", MANUAL_BASE + 12),
        ("riga 3", 3),
        ("3", 3),
    ],
)
def test_decision_targets_for_manual_rows(target: str, row: int) -> None:
    assert target_row(target) == row


def test_manual_response_codes_are_citeable() -> None:
    assert target_code("m-0a1b2c3d4e") == "M-0A1B2C3D4E"
    assert target_code("R-0A1B2C3D4E") == "R-0A1B2C3D4E"


@pytest.mark.parametrize(
    ("typed", "channel"),
    [
        ("PEC", "PEC"),
        ("pec", "PEC"),
        ("Carta", "carta"),
        ("cartaceo", "carta"),
        ("E-mail", "e-mail"),
        ("email", "e-mail"),
        ("fax", ""),
        ("", ""),
    ],
)
def test_channels(typed: str, channel: str) -> None:
    assert canonical_channel(typed) == channel
    assert all(canonical_channel(c) == c for c in labels.MANUAL_CHANNELS)


def test_a_union_applying_to_crema_is_flagged_on_both_backends(desk: Desk) -> None:
    desk.sync()
    union = make_row(
        timestamp="10/04/2024 09.30.00",
        email="crema@cgil.lombardia.it",
        name="CGIL Camera del Lavoro",
        tax_code="10000030196",
        legal_form="Organizzazione sindacale",
        runts="",
        pec="",
    )
    desk.append_responses([union])
    desk.sync()
    flagged = [r for r in desk.tab("Anomalie")[1:] if r[11] == "ente_non_ets"]
    assert [(r[0], r[1], r[3], r[6]) for r in flagged] == [
        ("Risposte del modulo", "7", "CGIL Camera del Lavoro", "avviso")
    ]
    elenco = desk.tab("Elenco")
    tipologia = dict(zip(col(elenco, "Denominazione"), col(elenco, "Tipologia"), strict=True))
    assert tipologia["CGIL Camera del Lavoro"] == "Altro ente privato"
    assert tipologia["Auser Crema ODV"] == "Ente del Terzo Settore"
    writes_nothing(desk)
