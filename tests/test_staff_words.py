"""Words, not codes, for people: labels in `Avvisi`/`Motivi`/`Anomalie`, codes in a technical column;
«Cosa fare» names the real row or ID to type."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sync import labels
from sync.layouts import ANOMALIE_HEADER, ELENCO_HEADER, RISPOSTE_HEADER
from tests.conftest import make_row, sample_rows
from tests.fakes.sheets_api import SheetsFake
from tests.test_staff_habits import Desk, by_id, col


def test_every_registered_code_has_a_short_label() -> None:
    codes = {*labels.BLOCKING_CODES, *labels.WARNING_CODES, *labels.MESSAGES}
    missing = sorted(c for c in codes if c not in labels.CODE_LABELS)
    assert missing == []
    for code, text in labels.CODE_LABELS.items():
        assert text and len(text) <= 40 and "_" not in text, code
        assert labels.code_label(code) == text
    assert len(set(labels.CODE_LABELS.values())) == len(labels.CODE_LABELS)


def test_the_technical_columns_are_the_last() -> None:
    assert ELENCO_HEADER[-1] == "Codici" and RISPOSTE_HEADER[-1] == "Codici"
    assert ANOMALIE_HEADER[-1] == "Codice" and ANOMALIE_HEADER[5] == "Tipo"


def _rows() -> list[list[str]]:
    rows = sample_rows()
    rows.append(  # row 7: consent missing, unknown comune
        make_row(
            timestamp="07/04/2024 10.00.00",
            email="info@arcobaleno.it",
            name="Arcobaleno ODV",
            tax_code="91000010198",
            comune="Cremonopoli",
            consent="",
        )
    )
    return rows


@pytest.fixture(params=["local", "google"], scope="module")
def synced(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "local":
        desk = Desk("local", tmp, _rows())
        desk.result = desk.sync()  # type: ignore[attr-defined]
        yield desk
        return
    with SheetsFake() as fake:
        desk = Desk("google", tmp, _rows(), fake)
        desk.result = desk.sync()  # type: ignore[attr-defined]
        yield desk
        assert fake.errors == []


def test_elenco_shows_labels_and_keeps_codes_at_the_right(synced: Desk) -> None:
    elenco = synced.tab("Elenco")
    assert by_id(elenco, "Avvisi")["E-0003"] == "Oltre la scadenza"
    assert by_id(elenco, "Codici")["E-0003"] == "oltre_scadenza"


def test_risposte_motivi_are_words(synced: Desk) -> None:
    risposte = synced.tab("Risposte")
    assert col(risposte, "Motivi")[2] == "Invio di prova"
    assert col(risposte, "Codici")[2] == "invio_di_prova"
    assert col(risposte, "Motivi")[5] == "Consenso mancante"
    assert col(risposte, "Avvisi")[5] == "Comune non riconosciuto"
    assert col(risposte, "Codici")[5] == "consenso_mancante; comune_sconosciuto"


def test_cosa_fare_names_the_real_row(synced: Desk) -> None:
    anomalie = synced.tab("Anomalie")
    todo = {(r[1], r[11]): (r[5], r[10]) for r in anomalie[1:]}
    assert todo[("7", "consenso_mancante")] == (
        "Consenso mancante",
        "Se il consenso è stato dato per iscritto: scrivere in «Decisioni»: riga 7 | Accetta.",
    )
    assert todo[("7", "comune_sconosciuto")] == (
        "Comune non riconosciuto",
        "Scrivere in «Decisioni»: riga 7 | Correggi | Comune=…",
    )
    assert not any("riga N" in r[10] for r in anomalie[1:])


def test_the_json_report_counts_codes(synced: Desk) -> None:
    codes = synced.result.report.problem_codes  # type: ignore[attr-defined]
    assert codes["consenso_mancante"] == 1 and codes["invio_di_prova"] == 1
    assert codes["oltre_scadenza"] == 1 and codes["comune_sconosciuto"] == 1
    # a no-change sync writes nothing and reports the same codes
    again = synced.sync()
    assert again.report.cells_written == 0
    assert again.report.problem_codes == codes


def test_what_to_do_for_an_organisation_uses_its_id(tmp_path: Path) -> None:
    from sync.render import what_to_do

    assert what_to_do("comune_fuori_ambito", 9, "E-0004") == (
        "Verificare che l'ente operi nell'Ambito; se no, scrivere in «Decisioni»: E-0004 | Escludi."
    )
    assert what_to_do("runts_mancante", 9, "") == labels.WHAT_TO_DO["runts_mancante"]


def test_a_staff_column_where_codici_now_goes_moves_past_it(tmp_path: Path) -> None:
    from sync.render import render_elenco

    desk = Desk("local", tmp_path, sample_rows())
    first = desk.sync()
    assert first.resolution is not None
    elenco = desk.tab("Elenco")
    at = ELENCO_HEADER.index("Codici")
    # a workbook made before `Codici` existed, where staff wrote notes in the column right of the last one
    old = [[*r[:at], *[""] * (at - len(r[:at]))] for r in elenco]
    old[0].append("Telefonate")
    old[1].append("richiamare lunedì")
    wanted = render_elenco(first.resolution.organisations, desk.settings.ambito, old)
    assert wanted.rows[0][at:] == ["Codici", "Telefonate"]
    assert wanted.rows[1][at + 1 :] == ["richiamare lunedì"]


def test_what_to_do_cites_a_manual_row_as_people_type_it() -> None:
    from sync.decisions import target_row
    from sync.model import MANUAL_BASE
    from sync.render import what_to_do

    text = what_to_do("consenso_mancante", MANUAL_BASE + 2, "")
    assert text == "Se il consenso è stato dato per iscritto: scrivere in «Decisioni»: manuale 2 | Accetta."
    assert target_row("manuale 2") == MANUAL_BASE + 2
