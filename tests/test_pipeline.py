"""The whole sync on the in-memory backend: outputs, decisions, stable IDs, staff edits never lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from sync.backends.memory import MemoryStore
from sync.config import Settings
from sync.pipeline import run_sync
from tests.conftest import HEADER, make_row, sample_rows

NOW = datetime(2024, 5, 20, 10, 0)


_rows = sample_rows


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore(responses=_rows())


def _sync(store: MemoryStore, settings: Settings, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return run_sync(store, settings, now)


def _set(grid: list[list[str]], r: int, c: int, value: str) -> None:
    """Type a value into a cell, as a person would (rows are stored trimmed)."""
    row = grid[r]
    row.extend([""] * (c + 1 - len(row)))
    row[c] = value


def _col(grid: list[list[str]], header: str) -> list[str]:
    i = grid[0].index(header)
    return [r[i] if i < len(r) else "" for r in grid[1:]]


def test_first_sync_outputs(store: MemoryStore, crema: Settings) -> None:
    result = _sync(store, crema)
    r = result.report
    assert (r.responses, r.accepted, r.rejected, r.organisations) == (5, 4, 1, 3)
    elenco = store.staff["Elenco"]
    assert _col(elenco, "ID") == ["E-0001", "E-0002", "E-0003"]
    assert _col(elenco, "Denominazione") == [
        "Associazione Il Volo A.P.S.",
        "Auser Crema ODV",
        "Il Girasole Coop. Soc.",
    ]
    assert _col(elenco, "Aree")[0] == "Adulti e povertà"  # the latest accepted response wins
    assert _col(elenco, "Prima domanda")[0] == "03/04/2024 11:09"  # the first sets the registration date
    assert _col(elenco, "N. domande") == ["2", "1", "1"]
    assert (
        _col(elenco, "Fasi")[2]
        == "Tavoli tematici di attuazione, monitoraggio e valutazione (dal gennaio 2025)"
    )
    assert _col(elenco, "Stato") == ["Attivo", "Attivo", "Attivo"]
    risposte = store.staff["Risposte"]
    assert _col(risposte, "ID ente") == ["E-0001", "E-0002", "", "E-0001", "E-0003"]
    assert _col(risposte, "Esito") == ["accettata", "accettata", "respinta", "accettata", "accettata"]
    assert _col(risposte, "Motivi")[2] == "Invio di prova"
    assert _col(risposte, "Codici")[2] == "invio_di_prova"
    assert _col(store.staff["Fragilità"], "ID") == ["E-0002"]
    assert _col(store.staff["Adulti e povertà"], "ID") == ["E-0001"]
    assert store.public["Elenco"][0] == [
        "ID",
        "Denominazione",
        "Forma giuridica",
        "Tipologia",
        "Codice fiscale",
        "N. RUNTS",
        "Comune sede legale",
        "Provincia",
        "Aree tematiche",
        "Iscritto dal",
        "Stato",
    ]
    assert [row[1] for row in store.public["Elenco"][1:]] == [
        "Associazione Il Volo A.P.S.",
        "Auser Crema ODV",
        "Il Girasole Coop. Soc.",
    ]
    anomalie = store.staff["Anomalie"]
    assert anomalie[1][:7] == [
        "Risposte del modulo",
        "4",
        "",
        "Prova invio modulo",
        "Denominazione",
        "Invio di prova",
        "bloccante",
    ]
    assert anomalie[1][10:] == ["Nessuna azione: l'invio di prova resta fuori dagli elenchi.", "invio_di_prova"]


def test_second_sync_with_nothing_new_writes_nothing(store: MemoryStore, crema: Settings) -> None:
    first = _sync(store, crema)
    assert first.report.cells_written > 0
    before = len(store.writes)
    again = _sync(store, crema, NOW.replace(hour=11))
    assert again.report.cells_written == 0
    assert len(store.writes) == before
    assert again.changes == {}


def test_ids_are_stable_when_rows_are_deleted_reordered_or_added(store: MemoryStore, crema: Settings) -> None:
    _sync(store, crema)
    ids = {row[1]: row[0] for row in store.staff["Elenco"][1:]}
    # staff delete the test row and the first row is sorted to the end; a new organisation applies
    rows = store.responses
    store.responses[:] = [
        rows[0],
        rows[2],
        rows[4],
        rows[5],
        rows[1],
        make_row(
            timestamp="07/04/2024 09.00.00", email="a@acli.it", name="ACLI Crema APS", tax_code="82985460193"
        ),
    ]
    _sync(store, crema)
    after = {row[1]: row[0] for row in store.staff["Elenco"][1:]}
    for name, entity in ids.items():
        assert after[name] == entity
    assert after["ACLI Crema APS"] == "E-0004"


def test_decisions_are_replayed_and_reported(store: MemoryStore, crema: Settings) -> None:
    _sync(store, crema)
    store.staff["Decisioni"] += [
        ["E-0002", "Sospendi", "", "verifica requisiti", "UdP", "20/05/2024"],
        ["E-0002", "Riammetti", "", "", "", ""],
        ["E-0003", "Escludi", "", "requisiti non posseduti", "UdP", ""],
        ["riga 4", "Accetta", "", "era una domanda vera", "", ""],
        ["riga 4", "Correggi", "Denominazione=Fondazione Benefattori Cremaschi", "", "", ""],
        ["riga 4", "Correggi", "Codice fiscale=82985460193", "", "", ""],
        ["E-0099", "Escludi", "", "", "", ""],
        ["riga 2", "Sposta", "", "", "", ""],
    ]
    _sync(store, crema)
    elenco = store.staff["Elenco"]
    assert _col(elenco, "Stato") == ["Attivo", "Attivo", "Escluso", "Attivo"]
    assert _col(elenco, "Note sullo stato")[2] == "requisiti non posseduti"
    assert _col(elenco, "Denominazione")[3] == "Fondazione Benefattori Cremaschi"
    assert "E-0003" not in [r[0] for r in store.public["Elenco"] if r]
    assert "E-0003" not in _col(store.staff["Minori e famiglia"], "ID")
    problems = [r for r in store.staff["Anomalie"] if r[0] == "Decisioni"]
    assert [p[8] for p in problems] == [
        "Decisione non applicabile: l'ente E-0099 non esiste.",
        "Decisione «Sposta» non riconosciuta. Usare: Escludi, Sospendi, Riammetti, Ritira, Unisci, Separa, "
        "Correggi, Accetta, Scarta.",
    ]
    assert [p[1] for p in problems] == ["8", "9"]


def test_unisci_and_separa(crema: Settings) -> None:
    rows = [
        HEADER,
        make_row(name="Amici del Cuore", tax_code="", email="a@x.it", comune="Crema"),
        make_row(
            timestamp="04/04/2024 10.00.00",
            name="Gruppo Amici del Cuore Crema",
            tax_code="",
            email="b@y.it",
            phone="0373 000000",
            comune="Soncino",
        ),
    ]
    store = MemoryStore(responses=rows)
    settings = crema.model_copy(
        update={"ambito": crema.ambito.model_copy(update={"tax_code_required": False})}
    )
    _sync(store, settings)
    assert _col(store.staff["Elenco"], "Stato") == ["Attivo", "Attivo"]
    store.staff["Decisioni"].append(["E-0002", "Unisci", "E-0001", "stesso ente", "", ""])
    _sync(store, settings)
    assert _col(store.staff["Elenco"], "Stato") == ["Attivo", "Unito a E-0001"]
    assert _col(store.staff["Risposte"], "ID ente") == ["E-0001", "E-0001"]
    store.staff["Decisioni"].append(["E-0001", "Separa", "E-0002", "ci eravamo sbagliati", "", ""])
    _sync(store, settings)
    assert _col(store.staff["Risposte"], "ID ente") == ["E-0001", "E-0002"]
    assert _col(store.staff["Elenco"], "Stato") == ["Attivo", "Attivo"]


def test_ritira_removes_contact_data_from_every_output(store: MemoryStore, crema: Settings) -> None:
    _sync(store, crema)
    store.staff["Decisioni"].append(["E-0002", "Ritira", "", "richiesta dell'ente", "", ""])
    _sync(store, crema)
    personal = ("Andrea Bonizzi", "auser@auser.it", "0373 530551")
    for book in (store.staff, store.public):
        for title, grid in book.items():
            if title == "Decisioni":
                continue
            for row in grid:
                for cell in row:
                    assert not any(p in cell for p in personal), (title, row)


def test_public_outputs_hold_no_personal_data(store: MemoryStore, crema: Settings) -> None:
    _sync(store, crema)
    personal = set()
    for row in store.responses[1:]:
        personal.update(x for x in (row[1], row[8], row[9], row[10]) if x)
    for title, grid in store.public.items():
        for row in grid:
            for cell in row:
                assert not any(p in cell for p in personal), (title, cell)


def test_staff_typing_between_read_and_write_is_not_lost(store: MemoryStore, crema: Settings) -> None:
    _sync(store, crema)
    roster = store.staff["Presenze Minori e famiglia"]
    assert roster[0][7:] == ["15/05/2024 09:30-13:00", "29/05/2024 09:30-13:00", "05/06/2024 09:30-13:00"]
    # a new organisation applies; while the sync runs, staff mark attendance, type a note and a decision
    store.responses.append(
        make_row(
            timestamp="08/04/2024 09.00.00", email="a@acli.it", name="ACLI Crema APS", tax_code="82985460193"
        )
    )

    def type_in() -> None:
        _set(store.staff["Presenze Minori e famiglia"], 1, 7, "P")
        _set(store.staff["Presenze Minori e famiglia"], 1, 6, "arriva in ritardo")
        store.staff["Decisioni"].append(["E-0001", "Sospendi", "", "", "", ""])
        _set(store.staff["Elenco"], 1, 25, "nota a destra")

    store.before_write = type_in
    _sync(store, crema)
    store.before_write = None
    roster = store.staff["Presenze Minori e famiglia"]
    first = roster[1]
    assert first[6:8] == ["arriva in ritardo", "P"]
    assert store.staff["Decisioni"][-1][:2] == ["E-0001", "Sospendi"]
    assert store.staff["Elenco"][1][25] == "nota a destra"
    assert roster[-1][0] == "E-0004"  # the newcomer is appended, nobody moved


def test_a_new_meeting_adds_a_column_and_keeps_attendance(store: MemoryStore, crema: Settings) -> None:
    _sync(store, crema)
    roster = store.staff["Presenze Minori e famiglia"]
    _set(roster, 1, 7, "P")
    store.staff["Calendario"].append(
        ["Minori e famiglia", "12/06/2024", "09:30-13:00", "Sala Ricevimenti", "", ""]
    )
    store.staff["Calendario"].append(["Area che non c'è", "12/06/2024", "", "", "", ""])
    _sync(store, crema)
    roster = store.staff["Presenze Minori e famiglia"]
    assert roster[0][-1] == "12/06/2024 09:30-13:00"
    assert roster[1][7] == "P"
    assert any("«Calendario»" in r[8] for r in store.staff["Anomalie"][1:])


def test_dry_run_writes_nothing(store: MemoryStore, crema: Settings) -> None:
    _sync(store, crema)
    store.responses.append(
        make_row(
            timestamp="08/04/2024 09.00.00", email="a@acli.it", name="ACLI Crema APS", tax_code="82985460193"
        )
    )
    before = len(store.writes)
    result = run_sync(store, crema, NOW, dry_run=True)
    assert len(store.writes) == before
    assert result.changes["Elenco"].added == 1
    assert result.report.cells_written == 0


def test_every_row_is_accounted_for(crema: Settings, row: Callable[..., list[str]]) -> None:
    rows = [
        HEADER,
        *(
            row(timestamp=f"0{d}/04/2024 10.00.00", name=n)
            for d, n in enumerate(['=HYPERLINK("http://x")', "", "@evil", "+39 333", "Normale"], start=1)
        ),
    ]
    store = MemoryStore(responses=rows)
    _sync(store, crema)
    assert [r[0] for r in store.staff["Risposte"][1:]] == ["2", "3", "4", "5", "6"]


def _optional_cf(crema: Settings) -> Settings:
    return crema.model_copy(update={"ambito": crema.ambito.model_copy(update={"tax_code_required": False})})


def test_a_doubtful_pair_goes_to_review_with_its_evidence_and_separa_closes_it(crema: Settings) -> None:
    rows = [
        HEADER,
        make_row(
            name="Associazione Amici del Cuore",
            tax_code="",
            email="a@x.it",
            phone="0373 111",
            address="Via Roma 1",
        ),
        make_row(
            timestamp="04/04/2024 10.00.00",
            name="Amici del Cuore ODV",
            tax_code="",
            email="b@y.it",
            phone="0373 222",
            address="Via Verdi 2",
            pec="",  # the same PEC, a body's own certified address, would make them one body
        ),
    ]
    store = MemoryStore(responses=rows)
    settings = _optional_cf(crema)
    assert _sync(store, settings).report.review_pairs == 1
    assert store.staff["Possibili duplicati"][1] == [
        "E-0001",
        "Associazione Amici del Cuore",
        "Crema",
        "E-0002",
        "Amici del Cuore ODV",
        "Crema",
        "100%",
        "stesso nome; stesso referente; stesso comune",
        "Stesso ente: in «Decisioni» E-0001 | Unisci | E-0002. Enti diversi: E-0001 | Separa | E-0002.",
    ]
    assert _col(store.staff["Elenco"], "ID") == ["E-0001", "E-0002"]  # never merged silently
    store.staff["Decisioni"].append(["E-0002", "Separa", "E-0001", "enti diversi", "", ""])
    assert _sync(store, settings).report.review_pairs == 0
    assert [r for r in store.staff["Possibili duplicati"][1:] if any(r)] == []


def test_scarta_and_separa_on_a_row(store: MemoryStore, crema: Settings) -> None:
    _sync(store, crema)
    store.staff["Decisioni"] += [
        ["riga 3", "Scarta", "", "era una prova", "", ""],
        ["riga 5", "Separa", "", "è la sezione giovani, un altro ente", "", ""],
    ]
    _sync(store, crema)
    risposte = store.staff["Risposte"]
    assert _col(risposte, "Esito")[1] == "respinta"
    assert _col(risposte, "Nota")[1] == "scartata dall'Ufficio di Piano (decisione riga 2)"
    assert _col(risposte, "ID ente") == ["E-0001", "", "", "E-0004", "E-0003"]
    assert _col(store.staff["Elenco"], "Stato") == ["Attivo", "Senza risposte valide", "Attivo", "Attivo"]
    _sync(store, crema)  # replayed: the detached row keeps its new ID
    assert _col(store.staff["Risposte"], "ID ente") == ["E-0001", "", "", "E-0004", "E-0003"]


def test_an_elenco_made_before_a_new_column_keeps_staff_columns_beside_their_organisation(
    store: MemoryStore, crema: Settings
) -> None:
    """Upgrading adds a machine column (`Tipologia`): staff's own columns move right with their header."""
    _sync(store, crema)
    elenco = store.staff["Elenco"]
    t = elenco[0].index("Tipologia")
    # the tab as the earlier version left it, with a column of staff's notes after the machine's
    old = [[*r[:t], *r[t + 1 :]] for r in elenco]
    old[0] += ["Note dell'ufficio", "Telefonato"]
    for r in old[1:]:
        r.extend([""] * (len(old[0]) - 2 - len(r)))
    e2 = next(r for r in old if r[0] == "E-0002")
    e2 += ["richiamare a settembre", "sì"]
    old[1], old[-1] = old[-1], old[1]  # and sorted by hand
    store.staff["Elenco"] = old
    _sync(store, crema, datetime(2024, 5, 21, 9, 0))
    after = store.staff["Elenco"]
    width = after[0].index("Note dell'ufficio")
    assert after[0][width:] == ["Note dell'ufficio", "Telefonato"] and after[0][t] == "Tipologia"
    row = next(r for r in after if r[0] == "E-0002")
    assert row[width:] == ["richiamare a settembre", "sì"]
    assert row[t] == "Ente del Terzo Settore"
    assert [r[0] for r in after[1:]] == [r[0] for r in old[1:]]  # staff's order kept
    # and the next sync leaves it as it is
    assert _sync(store, crema, datetime(2024, 5, 22, 9, 0)).report.cells_written == 0
