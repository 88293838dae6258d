"""The reliability suites' checkers fail on a deliberately broken run (or the suites could pass vacuously).

Each shared checker of `tests/reliability_helpers.py` (and the webhook suite's) gets a run or a workbook
that is right - the checker reports nothing - and the same broken in one way - the checker names that way:
a staff note dropped or moved to another organisation, an ID doubled, skipped or moved to another response,
a cell that differs from the fault-free run, a response row missing from `Risposte`, a contact person's
data published, a formula cell, a CSV cell not neutralised, a file neither old nor new after a kill, a
secret in a log line. Fast: small grids, one memory sync, one local sync.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sync.backends.base import Grid, RangeWrite
from sync.backends.memory import MemoryStore, trim
from sync.backends.xlsx import XlsxStore
from sync.pipeline import run_sync
from sync.shortcut import INPUT_KEY
from tests import reliability_helpers as rh
from tests.conftest import HEADER, make_row
from tests.reliability_helpers import (
    DECISIONI,
    ELENCO,
    PERSONAL_TAX_CODE,
    REGISTRO,
    RISPOSTE,
    STATE_TAB,
    T1,
    FormSheet,
    KillBase,
    LocalState,
    Played,
    StaffEdits,
    Typed,
)

ROSTER = "Presenze Fragilità"
MEETING = "07/05/2024 14:30-18:00"


def _book() -> dict[str, Grid]:
    """A small staff workbook, as a sync leaves it, with what a person typed in it."""
    return {
        ELENCO: [
            ["ID", "Denominazione", "Note ufficio"],
            ["E-0001", "AVIS Capralba ODV", "telefonare per il RUNTS"],
            ["E-0002", "ACLI Gombito APS", ""],
            ["E-0003", "Il Girasole Coop. Soc.", ""],
        ],
        ROSTER: [
            ["ID", "Denominazione", "Note", MEETING],
            ["E-0001", "AVIS Capralba ODV", "nuovo referente da giugno", "P"],
            ["E-0003", "Il Girasole Coop. Soc.", "", ""],
        ],
        DECISIONI: [
            ["ID ente o riga", "Decisione", "Valore", "Motivazione", "Operatore", "Data"],
            ["E-0002", "Sospendi", "", "documentazione incompleta", "Ufficio di Piano", "21/05/2024", ""],
        ],
        RISPOSTE: [
            ["Riga", "Codice risposta", "Inviata il", "Denominazione", "ID ente", "Esito"],
            ["2", "R-1", "03/04/2024 10:00", "AVIS Capralba ODV", "E-0001", "accettata"],
            ["3", "R-2", "04/04/2024 10:00", "ACLI Gombito APS", "E-0002", "accettata"],
            ["4", "R-3", "05/04/2024 10:00", "Il Girasole Coop. Soc.", "E-0003", "accettata"],
        ],
    }


TYPED = StaffEdits(
    decisions=(("E-0002", "Sospendi", "", "documentazione incompleta", "Ufficio di Piano", "21/05/2024"),),
    cells=(
        Typed(ELENCO, "E-0001", "Note ufficio", "telefonare per il RUNTS"),
        Typed(ROSTER, "E-0001", "Note", "nuovo referente da giugno"),
        Typed(ROSTER, "E-0001", MEETING, "P"),
    ),
)


# -- nothing lost: every typed cell is where it was typed ------------------------------------------------------


def test_nothing_lost_passes_when_every_typed_cell_is_there() -> None:
    assert rh.typed_cells_present(_book(), TYPED) == []


def test_nothing_lost_fails_on_a_dropped_note() -> None:
    book = _book()
    book[ROSTER][1][2] = ""
    assert rh.typed_cells_present(book, TYPED) == [f"{ROSTER}: E-0001 / Note = 'nuovo referente da giugno'"]


def test_nothing_lost_fails_on_a_staff_cell_overwritten() -> None:
    book = _book()
    book[ELENCO][1][2] = "AVIS Capralba ODV"  # a sync wrote its own value over the person's note
    assert rh.typed_cells_present(book, TYPED) == [
        f"{ELENCO}: E-0001 / Note ufficio = 'telefonare per il RUNTS'"
    ]


def test_nothing_lost_fails_on_a_note_attached_to_the_wrong_organisation() -> None:
    book = _book()
    book[ROSTER][1][2:4], book[ROSTER][2][2:4] = ["", ""], ["nuovo referente da giugno", "P"]
    assert rh.typed_cells_present(book, TYPED) == [
        f"{ROSTER}: E-0001 / Note = 'nuovo referente da giugno'",
        f"{ROSTER}: E-0001 / {MEETING} = 'P'",
    ]


def test_nothing_lost_fails_on_a_row_doubled_or_a_column_dropped() -> None:
    doubled = _book()
    doubled[ROSTER].append(list(doubled[ROSTER][1]))
    assert rh.typed_cells_present(doubled, TYPED) == [
        f"{ROSTER}: E-0001 / Note = 'nuovo referente da giugno'",
        f"{ROSTER}: E-0001 / {MEETING} = 'P'",
    ]
    no_column = _book()
    no_column[ELENCO] = [row[:2] for row in no_column[ELENCO]]
    assert rh.typed_cells_present(no_column, TYPED) == [f"{ELENCO}: column 'Note ufficio'"]


def test_nothing_lost_fails_on_a_dropped_decision() -> None:
    book = _book()
    del book[DECISIONI][1]
    assert rh.typed_cells_present(book, TYPED) == [f"{DECISIONI}: {TYPED.decisions[0]!r}"]


def test_typing_into_grids_is_what_the_checker_then_finds() -> None:
    book = _book()
    edits = StaffEdits(
        decisions=(("E-0003", "Escludi", "", "requisiti non posseduti", "Ufficio di Piano", ""),),
        cells=(Typed(ROSTER, "E-0003", MEETING, "A"), Typed(ROSTER, "E-0003", "Nuova colonna", "x")),
    )
    assert rh.typed_cells_present(book, edits) != []
    rh.type_into_grids(book, edits)
    assert rh.typed_cells_present(book, edits) == []
    assert book[ROSTER][0][-1] == "Nuova colonna"  # a column staff add, in the first free column


# -- no cell attached to the wrong organisation: IDs -----------------------------------------------------------


def test_ids_pass_on_a_right_book_and_the_same_book_before() -> None:
    assert rh.ids_problems(_book(), before=_book()) == []


def test_ids_fail_on_a_doubled_id() -> None:
    book = _book()
    book[ELENCO][3][0] = "E-0002"
    assert rh.ids_problems(book) == [
        "duplicate IDs in Elenco: ['E-0002']",
        "Elenco IDs are not E-0001… in order without gaps",
    ]


def test_ids_fail_on_a_gap() -> None:
    book = _book()
    del book[ELENCO][2]
    assert rh.ids_problems(book) == ["Elenco IDs are not E-0001… in order without gaps"]


def test_ids_fail_on_two_responses_that_swapped_their_organisations() -> None:
    before, book = _book(), _book()
    book[RISPOSTE][1][4], book[RISPOSTE][2][4] = "E-0002", "E-0001"
    assert rh.ids_problems(book, before=before) == [
        "response row 2: ID E-0001 became 'E-0002'",
        "response row 3: ID E-0002 became 'E-0001'",
    ]


def test_ids_fail_on_a_response_that_lost_its_organisation() -> None:
    before, book = _book(), _book()
    del book[RISPOSTE][3]
    assert rh.ids_problems(book, before=before) == ["response row 4: ID E-0003 became None"]


# -- converged to the fault-free result ------------------------------------------------------------------------


def _with_log(book: dict[str, Grid], when: str, written: str, outcome: str = "ok") -> dict[str, Grid]:
    header = [
        "Data e ora",
        "Avvio",
        "Risposte",
        "Accettate",
        "Respinte",
        "Enti",
        "Duplicati",
        "Celle",
        "Esito",
    ]
    older = ["20/05/2024 10:00:00", "manuale", "2", "2", "0", "2", "0", "400", "ok"]
    state = [["tipo", "chiave", "valore"], ["pubblico", INPUT_KEY, when], ["contatore", "prossimo_id", "4"]]
    return {
        **book,
        REGISTRO: [header, older, [when, "cron", "3", "3", "0", "3", "0", written, outcome]],
        STATE_TAB: state,
    }


def test_converged_ignores_wall_times_cells_written_and_earlier_log_lines() -> None:
    got = rh.comparable(_with_log(_book(), "27/05/2024 10:00:01", "17"))
    fault_free = _with_log(_book(), "27/05/2024 10:00:00", "950")
    del fault_free[REGISTRO][1]  # a failed attempt may or may not have logged its line
    assert rh.diff_books(got, rh.comparable(fault_free)) == []


def test_converged_fails_on_one_cell_that_differs() -> None:
    book = _with_log(_book(), "27/05/2024 10:00:00", "17")
    book[ELENCO][3][1] = "Il Girasole"
    got, want = rh.comparable(book), rh.comparable(_with_log(_book(), "27/05/2024 10:00:00", "17"))
    assert rh.diff_books(got, want) == [
        f"{ELENCO} row 4: got ['E-0003', 'Il Girasole', ''], want ['E-0003', 'Il Girasole Coop. Soc.', '']"
    ]


def test_converged_fails_on_a_missing_tab_a_missing_row_and_another_outcome() -> None:
    book = _with_log(_book(), "27/05/2024 10:00:00", "17", outcome="errore")
    del book[DECISIONI]
    book[RISPOSTE].pop()
    got, want = rh.comparable(book), rh.comparable(_with_log(_book(), "27/05/2024 10:00:00", "17"))
    assert rh.diff_books(got, want) == [
        f"tab {DECISIONI!r} only in expected",
        f"{REGISTRO} row 2: got ['cron', '3', '3', '0', '3', '0', 'errore'], "
        "want ['cron', '3', '3', '0', '3', '0', 'ok']",
        f"{RISPOSTE} row 4: got None, want {_book()[RISPOSTE][3]!r}",
    ]


def _played(book: dict[str, Grid], **kw: Any) -> Played:
    public = {ELENCO: [row[:2] for row in book[ELENCO]]}
    return Played(
        rh.comparable(book), rh.comparable(public), ([("Elenco", 0)], []), {}, idle_requests=1, **kw
    )


def test_fault_and_concurrency_verdicts_pass_on_a_run_equal_to_a_reference() -> None:
    refs = [_played(_book())]
    assert rh.fault_problems(_played(_book()), refs) == []
    assert rh._against(_played(_book()), refs) == []


def test_fault_verdict_fails_on_every_kind_of_broken_run() -> None:
    broken = _book()
    broken[ROSTER][1][3] = ""
    got = _played(
        broken, lost=("a mark",), id_problems=("duplicate IDs in Elenco: ['E-0002']",), fake_errors=2
    )
    got.structure = ([], [])
    got.idle_requests = 3
    assert rh.fault_problems(got, [_played(_book())]) == [
        "workbooks differ from every fault-free run:",
        f"{ROSTER} row 2: got ['E-0001', 'AVIS Capralba ODV', 'nuovo referente da giugno', ''], "
        f"want ['E-0001', 'AVIS Capralba ODV', 'nuovo referente da giugno', 'P']",
        "tabs, protections or dropdowns differ from the fault-free run",
        "a sync with nothing new made 3 requests",
        "lost: a mark",
        "duplicate IDs in Elenco: ['E-0002']",
        "2 errors inside the fake",
    ]


def test_concurrency_verdict_fails_on_a_run_that_matches_no_sequential_run() -> None:
    public_differs = _played(_book())
    public_differs.public[ELENCO][1][1] = "AVIS"
    refs = [_played(_book()), _played(_book())]
    assert rh._against(public_differs, refs) == [
        "workbooks differ from every sequential run:",
        f"{ELENCO} row 2: got ['E-0001', 'AVIS'], want ['E-0001', 'AVIS Capralba ODV']",
    ]


# -- a killed local sync leaves every file old or new ------------------------------------------------------------


def _state(staff: dict[str, Grid], csv: bytes) -> LocalState:
    return LocalState(
        {"elenco-interno.xlsx": b"PK", "elenco-pubblico.csv": csv}, {"elenco-interno.xlsx": staff}
    )


def _base() -> KillBase:
    before = _state(
        {ELENCO: [["ID", "Denominazione"], ["E-0001", "AVIS"]]}, b"ID;Denominazione\r\nE-0001;AVIS\r\n"
    )
    after_book = {ELENCO: [["ID", "Denominazione"], ["E-0001", "AVIS"], ["E-0002", "ACLI"]]}
    after = _state(after_book, b"ID;Denominazione\r\nE-0001;AVIS\r\nE-0002;ACLI\r\n")
    return KillBase("incremental", Path("."), before, after, T1, StaffEdits(), 10, 1.0)


def test_kill_states_pass_on_old_new_and_partly_created_files() -> None:
    base = _base()
    assert rh.file_states(base, base.before)[1] == []
    assert rh.file_states(base, base.after)[0]["elenco-pubblico.csv"] == "after"
    first_sync = _state({ELENCO: [["ID", "Denominazione"]]}, base.after.files["elenco-pubblico.csv"])
    base.before.files.clear()
    assert rh.file_states(base, first_sync) == (
        {
            "elenco-interno.xlsx": "tabs created",
            "elenco-pubblico.xlsx": "absent",
            "elenco-pubblico.csv": "after",
            "elenco-pubblico.json": "absent",
            "elenco-pubblico.html": "absent",
            "elenco-pubblico.pdf": "absent",
            "datapackage.json": "absent",
        },
        [],
    )


def test_kill_states_fail_on_a_half_written_file_and_a_lost_one() -> None:
    base = _base()
    torn = _state({ELENCO: [["ID", "Denominazione"], ["E-0001", "ACLI"]]}, b"ID;Denominazione\r\nE-00")
    assert rh.file_states(base, torn)[1] == [
        "elenco-interno.xlsx is neither the previous version nor the new one",
        "elenco-pubblico.csv is neither the previous version nor the new one",
    ]
    gone = LocalState({}, {})
    assert rh.file_states(base, gone)[1] == [
        "elenco-interno.xlsx disappeared",
        "elenco-pubblico.csv disappeared",
    ]


# -- every row in Risposte, nothing personal published -----------------------------------------------------------


def _sheet() -> FormSheet:
    return FormSheet(
        [list(HEADER), make_row(), ["", " ", "\n"], make_row(name="Altro ente APS")], (), ("Qzref0Qz",)
    )


def _outputs() -> tuple[dict[str, Grid], dict[str, Grid]]:
    staff = {RISPOSTE: [["Riga", "Esito"], ["2", "accettata"], ["4", "accettata"]]}
    return staff, {ELENCO: [["ID", "Denominazione"], ["E-0001", "Il Volo APS"]]}


def test_outputs_pass_on_every_row_and_nothing_personal() -> None:
    assert rh.check_outputs(_sheet(), *_outputs()) == []


def test_outputs_fail_on_a_dropped_a_doubled_and_an_invented_row() -> None:
    staff, public = _outputs()
    staff[RISPOSTE][2] = ["2", "accettata"]
    staff[RISPOSTE].append(["9", "accettata"])
    assert rh.check_outputs(_sheet(), staff, public) == [
        "a response row is listed twice in Risposte",
        "rows missing from Risposte: ['4']",
        "Risposte lists rows that do not exist: ['9']",
    ]


def test_outputs_fail_on_a_contact_person_or_a_personal_tax_code_published() -> None:
    staff, public = _outputs()
    public[ELENCO].append(["E-0002", "Qzref0Qz"])
    public["Fragilità"] = [["Codice fiscale"], [PERSONAL_TAX_CODE]]
    assert rh.check_outputs(_sheet(), staff, public) == [
        "personal data published: 'Qzref0Qz'",
        f"personal data published: {PERSONAL_TAX_CODE!r}",
    ]


@pytest.fixture
def broken_sync(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """`run_sync` as `check_on_memory` calls it, broken afterwards in the ways named in the list."""
    ways: list[str] = []

    def broken(store: MemoryStore, *args: Any, **kwargs: Any) -> Any:
        result = run_sync(store, *args, **kwargs)
        if "drop a response" in ways:
            del store.staff[RISPOSTE][-1]
        if "publish the contact" in ways:
            store.public[ELENCO].append(["E-9999", "Qzreferente0Qz"])
        if "write a number" in ways:
            store.writes.append(("public", RangeWrite(ELENCO, 1, 1, ((5,),))))  # type: ignore[arg-type]
        if "always write" in ways:
            store.writes.append(("staff", RangeWrite(ELENCO, 1, 1, (("x",),))))
        return result

    monkeypatch.setattr("sync.pipeline.run_sync", broken)
    yield ways


def _marked_sheet() -> FormSheet:
    row = make_row(contact_name="Qzreferente0Qz")
    return FormSheet(
        [list(HEADER), row, make_row(name="Altro ente APS", timestamp="04/04/2024 10.00.00")],
        (),
        ("Qzreferente0Qz",),
    )


def test_a_memory_sync_that_is_right_passes(broken_sync: list[str]) -> None:
    assert rh.check_on_memory(_marked_sheet()) == []


@pytest.mark.parametrize(
    ("way", "problem"),
    [
        ("drop a response", "rows missing from Risposte: ['3']"),
        ("publish the contact", "personal data published: 'Qzreferente0Qz'"),
        ("write a number", "a non-text value written to public: Elenco"),
        ("always write", "a second sync with the same input wrote again"),
    ],
)
def test_a_broken_memory_sync_fails(broken_sync: list[str], way: str, problem: str) -> None:
    broken_sync.append(way)
    assert problem in rh.check_on_memory(_marked_sheet())


def test_a_sheet_said_to_miss_a_question_fails_when_the_sync_does_not_refuse_it() -> None:
    sheet = FormSheet([list(HEADER), make_row()], ("consent",), ())
    assert rh.check_on_memory(sheet) == ["no ConfigError although ('consent',) have no column"]


# -- literal text only: xlsx cells and the public CSV ------------------------------------------------------------


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("literal")
    rows = [
        make_row(),
        make_row(name="Altro ente APS", timestamp="04/04/2024 10.00.00", tax_code="93378570191"),
    ]
    rh.write_responses_csv(folder, HEADER, rows)
    run_sync(XlsxStore(folder), rh.crema(), T1)
    return folder


def _tampered(synced: Path, tmp_path: Path) -> Path:
    return rh.copy_folder(synced, tmp_path / "copy")


def test_literal_text_passes_on_a_real_sync(synced: Path) -> None:
    assert rh.typed_cell_problems(synced) == []
    assert rh.public_file_problems(synced, ("Qzreferente0Qz",)) == []


def _set_cell(path: Path, tab: str, cell: str, value: Any) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb[tab][cell] = value
    wb.save(path)
    wb.close()


def test_literal_text_fails_on_a_formula_cell(synced: Path, tmp_path: Path) -> None:
    folder = _tampered(synced, tmp_path)
    _set_cell(folder / "elenco-pubblico.xlsx", ELENCO, "B2", "=1+1")
    assert rh.typed_cell_problems(folder) == [f"elenco-pubblico.xlsx {ELENCO}!B2 is a 'f' cell"]


def test_literal_text_fails_on_a_number_in_a_text_column_or_in_a_header(synced: Path, tmp_path: Path) -> None:
    folder = _tampered(synced, tmp_path)
    _set_cell(folder / "elenco-interno.xlsx", RISPOSTE, "D2", 44927)
    _set_cell(folder / "elenco-interno.xlsx", RISPOSTE, "A1", 1)
    assert rh.typed_cell_problems(folder) == [
        f"elenco-interno.xlsx {RISPOSTE}!A1 is a 'n' cell",
        f"elenco-interno.xlsx {RISPOSTE}!D2 is a 'n' cell",
    ]


def test_public_files_fail_on_a_formula_like_csv_cell_and_a_published_contact(
    synced: Path, tmp_path: Path
) -> None:
    folder = _tampered(synced, tmp_path)
    csv_path = folder / "elenco-pubblico.csv"
    csv_path.write_bytes(csv_path.read_bytes() + b"E-0099;=HYPERLINK(1);@SUM(A1);Qzreferente0Qz\r\n")
    assert rh.public_file_problems(folder, ("Qzreferente0Qz",)) == [
        "CSV cell not neutralised: '=HYPERLINK(1)'",
        "CSV cell not neutralised: '@SUM(A1)'",
        "personal data in the public CSV or JSON: 'Qzreferente0Qz'",
    ]


# -- the webhook suite: a refusal gets its code, logs hold no secret -----------------------------------------------


def test_leaks_finds_a_secret_a_signature_and_personal_data_in_log_lines() -> None:
    from tests import test_reliability_webhook as tw

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("elenco", logging.INFO, __file__, 1, message, None, None)

    clean = record("richiesta rifiutata: firma_non_valida")
    assert tw.leaks([clean], ["sha256=" + "a" * 64]) == []
    found = tw.leaks(
        [record(f"secret {tw.SECRET}"), record("sig sha256=" + "a" * 64), record("from info@ilvolo.it")],
        ["sha256=" + "a" * 64],
    )
    assert [f[:12] for f in found] == [tw.SECRET[:12], "sha256=aaaaa", "info@ilvolo."]


def test_check_sequence_fails_when_a_refusal_is_expected_and_the_request_is_accepted(tmp_path: Path) -> None:
    from tests import test_reliability_webhook as tw
    from webhook.app import state_of

    counted, clock = tw.Counted(), tw.Clock()
    app = tw.fuzz_app(tmp_path, counted, clock)
    try:
        raw = json.dumps(tw.body_of("checker-1")).encode()
        right = tw.Sent(raw, tw.signed(raw, tw.NOW), "application/json", 200, None)
        tw.check_sequence(app, app.test_client(), clock, counted, [right], [])
        raw = json.dumps(tw.body_of("checker-2")).encode()
        mislabelled = tw.Sent(raw, tw.signed(raw, tw.NOW), "application/json", 401, "firma_non_valida")
        with pytest.raises(AssertionError):
            tw.check_sequence(app, app.test_client(), clock, counted, [mislabelled], [])
        wrong_code = tw.Sent(raw + b" ", tw.signed(raw, tw.NOW), "application/json", 401, "firma_mancante")
        with pytest.raises(AssertionError):
            tw.check_sequence(app, app.test_client(), clock, counted, [wrong_code], [])
    finally:
        assert state_of(app).scheduler.shutdown(timeout=10)


# -- a real memory sync: a staff cell overwritten after it is caught ------------------------------------------------


def test_a_real_sync_keeps_typed_cells_and_an_overwritten_one_is_caught() -> None:
    ds = rh.dataset()
    store = MemoryStore(responses=[list(ds.header), *(list(r) for r in ds.initial)])
    run_sync(store, rh.crema(), T1)
    edits = rh.edits_between({t: trim(g) for t, g in store.staff.items()})
    rh.type_into_grids(store.staff, edits)
    run_sync(store, rh.crema(), rh.T2)
    book = {t: trim(g) for t, g in store.staff.items()}
    assert rh.typed_cells_present(book, edits) == [] and rh.ids_problems(book) == []
    broken = copy.deepcopy(book)
    note = edits.cells[1]
    row = next(r for r in broken[note.tab] if r[0] == note.entity)
    row[broken[note.tab][0].index(note.column)] = "scritto dalla sincronizzazione"
    assert rh.typed_cells_present(broken, edits) == [
        f"{note.tab}: {note.entity} / {note.column} = {note.value!r}"
    ]


# -- smaller checkers: rosters compared as sets, temp files left, blank rows --------------------------------------


def test_rosters_as_sets_ignore_row_order_only() -> None:
    book = _book()
    shuffled = copy.deepcopy(book)
    shuffled[ROSTER][1:] = shuffled[ROSTER][1:][::-1]
    assert rh._rosters_as_sets(shuffled) == rh._rosters_as_sets(book)
    changed = copy.deepcopy(shuffled)
    changed[ROSTER][1][2] = "un'altra nota"
    assert rh._rosters_as_sets(changed) != rh._rosters_as_sets(book)
    elenco_shuffled = copy.deepcopy(book)
    elenco_shuffled[ELENCO][1:] = elenco_shuffled[ELENCO][1:][::-1]  # Elenco's order still counts
    assert rh._rosters_as_sets(elenco_shuffled) != rh._rosters_as_sets(book)


def test_leftovers_lists_temp_files_only(tmp_path: Path) -> None:
    for name in ("elenco-interno.xlsx", ".elenco-0123.tmp", "risposte.csv.part", "appunti.txt"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert rh.leftovers(tmp_path) == [".elenco-0123.tmp", "risposte.csv.part"]


def test_a_blank_row_is_only_spaces_controls_and_format_characters() -> None:
    assert rh.is_blank_row(["", " ", "\n\t", "\u200b", "\ufeff"])
    assert not rh.is_blank_row(["", "a"])
    assert not rh.is_blank_row(["-"])


def test_the_state_tab_is_compared_except_the_input_digest() -> None:
    a, b = _with_log(_book(), "27/05/2024 10:00:00", "17"), _with_log(_book(), "27/05/2024 10:00:00", "17")
    b[STATE_TAB][1][2] = "another digest of the inputs"
    assert rh.diff_books(rh.comparable(a), rh.comparable(b)) == []
    b[STATE_TAB][2][2] = "5"  # the ID counter differs: a real difference
    assert rh.diff_books(rh.comparable(a), rh.comparable(b)) == [
        f"{STATE_TAB} row 2: got ['contatore', 'prossimo_id', '4'], want ['contatore', 'prossimo_id', '5']"
    ]
