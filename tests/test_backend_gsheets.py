"""The Google Sheets backend through real gspread and real HTTP, against the offline fake of the Sheets API.

Nothing of gspread or of the backend is mocked: the store is built from settings (anonymous credentials,
`endpoint` = the fake) or from a session wired to the fake; the clock, sleep and random source of the
rate limiter and the backoff are injected so that no test waits for real.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import gspread
import pytest
from openpyxl import load_workbook

from sync.backends.base import Dropdown, RangeWrite, TabSpec
from sync.backends.gsheets import MSG_TRANSIENT, GSheetsStore, RateLimiter
from sync.backends.xlsx import PUBLIC_FILE, XlsxStore, read_responses_csv
from sync.config import Settings, load_settings, parse_settings
from sync.errors import ConfigError, TransientError
from sync.labels import VERBS
from sync.layouts import public_specs, staff_specs
from sync.pipeline import SyncResult, run_sync
from sync.shortcut import INPUT_KEY
from tests.conftest import DEV, make_row, sample_rows
from tests.fakes.sheets_api import DEFAULT_USER_EMAIL, Fault, SheetsFake

RESPONSES = "Risposte del modulo 1"
NOW = datetime(2024, 5, 20, 10, 0)
LATER = datetime(2024, 5, 21, 10, 0)
LOG = "Registro sincronizzazioni"


# -- fixtures and helpers --------------------------------------------------------------------------------


class FakeClock:
    """A clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> Iterator[SheetsFake]:
    with SheetsFake() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


_rows = sample_rows


def _new_rows() -> list[list[str]]:
    return [
        make_row(
            timestamp="07/04/2024 09.00.00",
            email="a@acli.it",
            name="ACLI Crema APS",
            tax_code="82985460193",
            contact_name="Luca Verdi",
            phone="0373 222333",
            areas="B) Fragilità (Anziani e Persone con disabilità)",
        ),
        make_row(
            timestamp="08/04/2024 09.00.00",
            email="c@coop.it",
            name="Cooperativa Sociale Koala",
            tax_code="01234560199",
            contact_name="Anna Neri",
            phone="0373 444555",
            areas="A) Minori e Famiglia, B) Fragilità (Anziani e Persone con disabilità)",
        ),
    ]


def _settings(
    fake: SheetsFake, staff: str, public: str, ambito: dict[str, Any] | None = None, **backend: Any
) -> Settings:
    data: dict[str, Any] = {
        "preset": "crema",
        "backend": {
            "kind": "gsheets",
            "staff_spreadsheet_id": staff,
            "public_spreadsheet_id": public,
            "endpoint": fake.base_url,
            "credentials": "none",
            **backend,
        },
    }
    if ambito is not None:
        data["ambito"] = ambito
    return parse_settings(data, source="test")


def _workbooks(fake: SheetsFake, rows: list[list[str]] | None = None) -> tuple[str, str]:
    staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: rows if rows is not None else _rows()})
    public = fake.create_spreadsheet("Elenco pubblico")
    return staff, public


def _store(settings: Settings, clock: FakeClock, tmp_path: Path, **options: Any) -> GSheetsStore:
    assert settings.backend.kind == "gsheets"
    return GSheetsStore.from_settings(
        settings.backend, sleep=clock.sleep, clock=clock, rng=random.Random(7), lock_dir=tmp_path, **options
    )


def _append_responses(fake: SheetsFake, staff: str, rows: list[list[str]]) -> None:
    """New form submissions land under the last response (stored as the form does: plain text)."""
    start = len(fake.values(staff, RESPONSES)) + 1
    fake.set_values(staff, RESPONSES, rows, start=f"A{start}", input_option="RAW")


def _book(
    fake: SheetsFake, sid: str, skip: tuple[str, ...] = (RESPONSES, "Sheet1")
) -> dict[str, list[list[str]]]:
    """Every tab as the API returns it (text), minus the given ones."""
    return {t: fake.values(sid, t) for t in fake.sheet_titles(sid) if t not in skip}


def _kinds(fake: SheetsFake) -> list[str]:
    return [r.kind for r in fake.requests]


def _sync(store: GSheetsStore, settings: Settings, now: datetime = NOW) -> SyncResult:
    return run_sync(store, settings, now)


# -- request counts --------------------------------------------------------------------------------------


def test_request_counts_first_nochange_incremental(
    fake: SheetsFake, clock: FakeClock, tmp_path: Path
) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    with _store(settings, clock, tmp_path) as store:
        first = _sync(store, settings)
        assert first.report.api_requests == store.requests == fake.count() == 7
        assert _kinds(fake) == [
            "values.batchGet",  # 400 naming `_stato`: most likely a first sync
            "values.batchGet",  # the responses tab alone
            "spreadsheets.batchUpdate",  # every staff tab, blind; the spreadsheet learnt from the answer
            "spreadsheets.get",  # the public spreadsheet: which tabs (its default one) it has
            "spreadsheets.batchUpdate",  # its tabs
            "values.batchUpdate",  # public write, headers included
            "values.batchUpdate",  # staff write, headers included
        ]
        assert first.report.organisations == 3

        fake.reset_counts()
        again = _sync(store, settings, LATER)
        assert again.report.cells_written == 0
        assert _kinds(fake) == ["values.batchGet"]  # a sync with nothing new: exactly one request

        _append_responses(fake, staff, _new_rows())
        fake.reset_counts()
        before = store.requests
        third = _sync(store, settings, LATER)
        assert third.report.organisations == 5
        assert _kinds(fake) == ["values.batchGet", "values.batchUpdate", "values.batchUpdate"]
        assert store.requests - before == 3

    # A new process knows no grid sizes of the public spreadsheet, and needs none: the write fits (issue 13).
    _append_responses(
        fake,
        staff,
        [
            make_row(
                timestamp="09/04/2024 09.00.00",
                email="x@y.it",
                name="Fondazione Benefattori Cremaschi",
                tax_code="07654320196",
            )
        ],
    )
    fake.reset_counts()
    with _store(settings, clock, tmp_path) as cold:
        _sync(cold, settings, LATER)
        assert _kinds(fake) == ["values.batchGet", "values.batchUpdate", "values.batchUpdate"]
        fake.reset_counts()
        _sync(cold, settings, LATER)
        assert _kinds(fake) == ["values.batchGet"]


def test_read_is_one_formatted_batch_get_of_quoted_whole_sheets(
    fake: SheetsFake, clock: FakeClock, tmp_path: Path
) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    with _store(settings, clock, tmp_path) as store:
        _sync(store, settings)
        fake.reset_counts()
        snapshot = store.read(staff_specs(settings.ambito))
    [request] = fake.log
    assert request.kind == "values.batchGet"
    assert "valueRenderOption=FORMATTED_VALUE" in request.query
    specs = staff_specs(settings.ambito)
    assert request.query.count("ranges=") == len(specs) + 1
    assert (
        "ranges=%27Registro+sincronizzazioni%27" in request.query
        or "ranges=%27Registro%20sincronizzazioni%27" in request.query
    )
    assert snapshot.responses == _rows()
    assert snapshot.responses_origin == RESPONSES
    assert set(snapshot.tabs) == {s.title for s in specs}


# -- the same result as the local backend ---------------------------------------------------------------


def _xlsx_book(path: Path, settings: Settings) -> dict[str, list[list[str]]]:
    from sync.cells import canonical_text, kind_of

    kinds = {s.title: s.kinds for s in public_specs(settings.ambito)}

    def shown(v: object, title: str, c: int) -> str:
        # a typed cell (a date) as the canonical text Google shows through its number format
        text = canonical_text(kind_of(kinds.get(title, ()), c), v) if v is not None else ""
        return text if text is not None else str(v)

    wb = load_workbook(path, read_only=True)
    try:
        out = {}
        for ws in wb.worksheets:
            grid = [[shown(v, ws.title, c) for c, v in enumerate(row)] for row in ws.iter_rows(values_only=True)]
            out[ws.title] = _trimmed(grid)
        return out
    finally:
        wb.close()


def _trimmed(grid: list[list[str]]) -> list[list[str]]:
    rows = []
    for row in grid:
        end = len(row)
        while end and row[end - 1] == "":
            end -= 1
        rows.append(row[:end])
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _without_log_times(book: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    """Without the log's times and cell counts (a local file moves the rows of a sorted tab where Google
    rewrites them: the same cells result from fewer written) and the digest of the inputs (it covers the
    backend's own configuration)."""
    out = dict(book)
    if LOG in out:
        out[LOG] = [
            [("" if c in (0, 7) and r > 0 else v) for c, v in enumerate(row)] for r, row in enumerate(out[LOG])
        ]
    if "_stato" in out:
        out["_stato"] = [r for r in out["_stato"] if r[:2] != ["pubblico", INPUT_KEY]]
    return out


def test_sync_equals_the_xlsx_backend_cell_for_cell(
    fake: SheetsFake, clock: FakeClock, tmp_path: Path
) -> None:
    # Tab names with spaces and apostrophes go through the whole pipeline.
    crema = load_settings("crema").ambito
    areas = [a.model_dump() for a in crema.areas]
    areas[0]["tab"] = "Minori d'Ambito"
    areas[2]["tab"] = "L'Isola e povertà"
    ambito = {"areas": areas}
    rows = read_responses_csv(DEV / "crema-risposte.csv")
    new_rows, rows = rows[-20:], rows[:-20]
    decision = [["E-0003", "Escludi", "", "requisiti non posseduti", "UdP", "20/05/2024"]]

    folder = tmp_path / "locale"
    folder.mkdir()
    local_settings = parse_settings(
        {"preset": "crema", "ambito": ambito, "backend": {"kind": "xlsx", "folder": str(folder)}},
        source="test",
    )
    local = XlsxStore(folder)
    (folder / "risposte.csv").write_text(_csv(rows), encoding="utf-8")
    run_sync(local, local_settings, NOW)

    staff, public = _workbooks(fake, rows)
    settings = _settings(fake, staff, public, ambito=ambito)
    with _store(settings, clock, tmp_path) as store:
        _sync(store, settings)
        _compare(fake, staff, public, folder, settings)

        # second round: new responses and a decision typed by staff, in both places
        (folder / "risposte.csv").write_text(_csv(rows + new_rows), encoding="utf-8")
        local.write(
            "staff",
            [RangeWrite("Decisioni", 1, 0, tuple(tuple(r) for r in decision))],
            staff_specs(local_settings.ambito),
        )
        run_sync(local, local_settings, LATER)
        _append_responses(fake, staff, new_rows)
        fake.set_values(staff, "Decisioni", decision, start="A2")
        _sync(store, settings, LATER)
        _compare(fake, staff, public, folder, settings)
    assert fake.errors == []


def _csv(rows: list[list[str]]) -> str:
    import csv
    import io

    width = len(rows[0])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(r + [""] * (width - len(r)) for r in rows)
    return out.getvalue()


def _compare(fake: SheetsFake, staff: str, public: str, folder: Path, settings: Settings) -> None:
    local_staff = XlsxStore(folder).read(staff_specs(settings.ambito)).tabs
    remote_staff = _book(fake, staff)
    assert set(remote_staff) == {s.title for s in staff_specs(settings.ambito)}
    assert set(local_staff) == set(remote_staff)
    assert _without_log_times(remote_staff) == _without_log_times(local_staff)
    local_public = _xlsx_book(folder / PUBLIC_FILE, settings)
    remote_public = _book(fake, public)
    assert set(remote_public) == {s.title for s in public_specs(settings.ambito)} == set(local_public)
    assert remote_public == local_public


# -- values ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["Cassina de' Pecchi", "Zona A B", "L'Isola d'Adda", "A1"])
def test_text_survives_a_round_trip(fake: SheetsFake, clock: FakeClock, tmp_path: Path, title: str) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    spec = TabSpec(title, ("Valore", "Altro"))
    values = (
        ("Valore", "Altro"),
        ("=1+1", "+39 333 1234567"),
        ("007", "01234567890"),
        ("-5", "@x"),
        ("'apostrofo", "26013"),
    )
    with _store(settings, clock, tmp_path) as store:
        assert store.ensure("staff", [spec]) == [
            f"creata la scheda «{title}»",
            f"protetta la scheda «{title}» (solo avviso)",
        ]
        fake.reset_counts()
        assert store.write("staff", [RangeWrite(title, 0, 0, values)], [spec]) == 10
        assert _kinds(fake) == ["values.batchUpdate"]
        body = json.loads(fake.log[0].body)
        assert body["valueInputOption"] == "RAW"
        snapshot = store.read([spec])
    assert snapshot.tabs[title] == [list(r) for r in values]
    assert fake.raw_cell(staff, title, "A2") == "=1+1"  # text, not a formula
    assert fake.raw_cell(staff, title, "A3") == "007"
    assert fake.values(staff, title, render="UNFORMATTED_VALUE")[2] == ["007", "01234567890"]


def test_leading_zeros_of_responses_reach_every_tab(
    fake: SheetsFake, clock: FakeClock, tmp_path: Path
) -> None:
    rows = [
        *_rows(),
        make_row(
            timestamp="07/04/2024 09.00.00",
            email="z@zero.it",
            name="Cooperativa Zero",
            tax_code="01234560199",
            phone="0373 000111",
            runts="007",
        ),
    ]
    staff, public = _workbooks(fake, rows)
    settings = _settings(fake, staff, public)
    with _store(settings, clock, tmp_path) as store:
        _sync(store, settings)
    elenco = fake.values(public, "Elenco")
    zero = next(r for r in elenco if r[1] == "Cooperativa Zero")
    assert zero[4] == "01234560199" and zero[5] == "007"
    roster = fake.values(staff, "Presenze Minori e famiglia")
    assert any("0373 000111" in r for r in roster)


# -- faults ----------------------------------------------------------------------------------------------


def test_a_429_on_the_read_is_retried(fake: SheetsFake, clock: FakeClock, tmp_path: Path) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    with _store(settings, clock, tmp_path) as store:
        _sync(store, settings)
        fake.reset_counts()
        fake.fail_next("values.batchGet", 429)
        result = _sync(store, settings, LATER)
        assert result.report.cells_written == 0
        assert _kinds(fake) == ["values.batchGet", "values.batchGet"]
        assert [r.status for r in fake.log] == [429, 200]
        assert store.requests == result.report.api_requests
    assert len(clock.sleeps) == 1 and 0.5 <= clock.sleeps[0] <= 1.0  # jittered first step of 1 s


def test_503_on_every_try_gives_up_and_writes_nothing(
    fake: SheetsFake, clock: FakeClock, tmp_path: Path
) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    with _store(settings, clock, tmp_path) as store:
        _sync(store, settings)
        _append_responses(fake, staff, _new_rows())
        before = (_book(fake, staff), _book(fake, public))
        fake.reset_counts()
        fake.fail_next(None, 503, times=100)
        with pytest.raises(TransientError) as caught:
            _sync(store, settings, LATER)
    assert str(caught.value) == (
        "Google Sheets non risponde (errore 503) dopo 5 tentativi: la sincronizzazione riprenderà alla "
        "prossima esecuzione."
    )
    assert fake.count() == 5
    assert (_book(fake, staff), _book(fake, public)) == before
    steps = clock.sleeps
    assert len(steps) == 4 and all(s / 2 <= d <= s for d, s in zip(steps, [1, 2, 4, 8], strict=True))


def _scenario(
    fake: SheetsFake,
    clock: FakeClock,
    tmp_path: Path,
    fault: Callable[[SheetsFake], None] | None,
    **backend: Any,
) -> tuple[dict[str, list[list[str]]], dict[str, list[list[str]]]]:
    """Sync, staff type a decision and an attendance, new responses arrive, sync with `fault`, sync again."""
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public, **backend)
    with _store(settings, clock, tmp_path) as store:
        _sync(store, settings)
        fake.set_values(
            staff, "Decisioni", [["E-0002", "Sospendi", "", "verifica", "UdP", "20/05/2024"]], start="A2"
        )
        fake.set_values(staff, "Presenze Fragilità", [["P"]], start="H2")
        _append_responses(fake, staff, _new_rows())
        if fault is not None:
            fault(fake)
            with contextlib.suppress(TransientError):
                _sync(store, settings, LATER)
            assert any(r.fault is not None for r in fake.log), "the fault was never injected"
            fake.clear_faults()
        _sync(store, settings, LATER)
        fake.reset_counts()
        assert _sync(store, settings, LATER).report.cells_written == 0  # converged: nothing left to do
    books = _book(fake, staff), _book(fake, public)
    fake.delete_spreadsheet(staff)
    fake.delete_spreadsheet(public)
    return books


def _staff_write_fails(kind: Any, times: int) -> Callable[[SheetsFake], None]:
    def inject(fake: SheetsFake) -> None:
        fake.reset_counts()
        # request 1 = the read, 2 = the public write, 3… = the staff write and its retries
        fake.schedule_faults({3 + i: kind for i in range(times)})

    return inject


@pytest.mark.parametrize(
    ("name", "fault"),
    [
        ("503 between the public and the staff write", _staff_write_fails(503, 5)),
        (
            "timeout on the staff write, applied",
            _staff_write_fails(Fault("timeout", applied=True, delay=1.0), 1),
        ),
        (
            "dropped connection on the staff write, applied",
            _staff_write_fails(Fault("drop", applied=True), 2),
        ),
        (
            "timeout on the public write, not applied",
            lambda f: f.fail_next("values.batchUpdate", Fault("timeout", delay=1.0)),
        ),
        ("500 on the read, every try", lambda f: f.fail_next(None, 500, times=5)),
    ],
)
def test_after_a_fault_the_next_sync_converges(
    fake: SheetsFake, clock: FakeClock, tmp_path: Path, name: str, fault: Callable[[SheetsFake], None]
) -> None:
    reference = _scenario(fake, clock, tmp_path, None, timeout_s=0.3)
    faulty = _scenario(fake, clock, tmp_path, fault, timeout_s=0.3)
    # The log differs by design (a failed sync leaves no line, a retried one counts its cells): not compared,
    # nor the digest of the inputs that covers it.
    assert _without_log_times({t: g for t, g in faulty[0].items() if t != LOG}) == _without_log_times(
        {t: g for t, g in reference[0].items() if t != LOG}
    )
    assert faulty[1] == reference[1]
    staff_tabs, public_tabs = faulty
    ids = [r[0] for r in staff_tabs["Elenco"][1:]]
    assert ids == ["E-0001", "E-0002", "E-0003", "E-0004", "E-0005"]  # no duplicate, none changed
    assert staff_tabs["Decisioni"][1][:2] == ["E-0002", "Sospendi"]  # staff's edits kept …
    assert staff_tabs["Presenze Fragilità"][1][7] == "P"
    assert "E-0002" not in [r[0] for r in public_tabs["Elenco"]]  # … and applied
    assert fake.errors == []


def test_a_timeout_while_creating_tabs_is_replanned_not_repeated(
    fake: SheetsFake, clock: FakeClock, tmp_path: Path
) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public, timeout_s=0.3)
    specs = staff_specs(settings.ambito)
    fake.fail_next("spreadsheets.batchUpdate", Fault("timeout", applied=True, delay=1.0))
    with _store(settings, clock, tmp_path) as store:
        done = store.ensure("staff", specs)
    assert "creata la scheda «Decisioni»" in done
    # the tabs were created by the first (timed out) attempt; the retry looked again and found them
    assert [r.kind for r in fake.requests] == [
        "spreadsheets.get",
        "spreadsheets.batchUpdate",
        "spreadsheets.get",
        "values.batchUpdate",
    ]
    assert fake.values(staff, "Decisioni") == [list(specs[-3].header)]
    assert fake.errors == []


# -- quota -----------------------------------------------------------------------------------------------


def test_the_61st_request_in_a_minute_waits(fake: SheetsFake, clock: FakeClock, tmp_path: Path) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    fake.quota_per_minute = 60
    fake.clock = clock
    spec = [TabSpec("Decisioni", ("a",))]
    fake.add_sheet(staff, "Decisioni", [["a"]])
    with _store(settings, clock, tmp_path) as store:
        for _ in range(60):
            store.read(spec)
        assert clock.sleeps == []
        clock.now += 15.0
        store.read(spec)
        assert clock.sleeps == [45.0]  # until the first request leaves the 60-second window
    assert fake.count() == 61
    assert all(r.status == 200 for r in fake.log)  # never a 429: the limiter kept under Google's quota


def test_rate_limiter_is_a_sliding_window(clock: FakeClock) -> None:
    limiter = RateLimiter(3, 60.0, clock=clock, sleep=clock.sleep)
    for t in (0.0, 10.0, 20.0):
        clock.now = 1000.0 + t
        limiter.acquire()
    clock.now = 1000.0 + 30.0
    limiter.acquire()  # waits until t=60, when the first leaves the window
    assert clock.sleeps == [30.0]
    limiter.acquire()  # the one at t=10 leaves at t=70
    assert clock.sleeps == [30.0, 10.0]


# -- configuration errors ------------------------------------------------------------------------------


def test_a_sheet_not_shared_with_the_service_account(
    fake: SheetsFake, clock: FakeClock, tmp_path: Path
) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    fake.forbid(staff)
    store = _store(settings, clock, tmp_path, service_account_email=DEFAULT_USER_EMAIL)
    with store, pytest.raises(ConfigError) as caught:
        _sync(store, settings)
    assert str(caught.value) == (
        f"Il foglio {staff} non è condiviso con l'account di servizio {DEFAULT_USER_EMAIL}: aprirlo in Google "
        f"Sheets, Condividi, e aggiungere {DEFAULT_USER_EMAIL} come editor."
    )
    assert fake.count() == 1  # a configuration problem is not retried


def test_a_sheet_not_shared_and_no_known_email(fake: SheetsFake, clock: FakeClock, tmp_path: Path) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    fake.forbid(public)
    with _store(settings, clock, tmp_path) as store, pytest.raises(ConfigError) as caught:
        _sync(store, settings)
    assert str(caught.value) == (
        f"Il foglio {public} non è condiviso con l'account di servizio di elenco: aprirlo in Google Sheets, "
        "Condividi, e aggiungere l'indirizzo dell'account di servizio come editor."
    )


def test_a_sheet_that_does_not_exist(fake: SheetsFake, clock: FakeClock, tmp_path: Path) -> None:
    _, public = _workbooks(fake)
    settings = _settings(fake, "1NonEsisteQuestoFoglio", public)
    with _store(settings, clock, tmp_path) as store, pytest.raises(ConfigError) as caught:
        _sync(store, settings)
    assert str(caught.value) == (
        "Il foglio 1NonEsisteQuestoFoglio non esiste: controllare l'ID nella configurazione (la parte "
        "dell'indirizzo tra /d/ e /edit)."
    )


def test_a_missing_responses_tab_is_named(fake: SheetsFake, clock: FakeClock, tmp_path: Path) -> None:
    staff = fake.create_spreadsheet("Modulo", {"Risposte del modulo 2": _rows(), "Foglio1": []})
    settings = _settings(fake, staff, "1Pubblico000")
    with _store(settings, clock, tmp_path) as store, pytest.raises(ConfigError) as caught:
        _sync(store, settings)
    assert str(caught.value) == (
        f"Nel foglio {staff} non c'è la scheda delle risposte «Risposte del modulo 1». Schede presenti: "
        "«Risposte del modulo 2», «Foglio1». Indicare in `responses_tab` il nome della scheda collegata al modulo."
    )


def test_credentials_settings(tmp_path: Path) -> None:
    base = {
        "kind": "gsheets",
        "staff_spreadsheet_id": "1Staff000000",
        "public_spreadsheet_id": "1Public00000",
    }

    def backend(**extra: Any) -> Any:
        return parse_settings({"preset": "crema", "backend": {**base, **extra}}, source="test").backend

    with pytest.raises(ConfigError, match="vale solo insieme a `endpoint`"):
        GSheetsStore.from_settings(backend(credentials="none"))
    missing = tmp_path / "chiave.json"
    with pytest.raises(ConfigError) as caught:
        GSheetsStore.from_settings(backend(credentials=str(missing)))
    assert str(caught.value).startswith(f"Il file delle credenziali {missing} non esiste")
    missing.write_text('{"type": "authorized_user"}', encoding="utf-8")
    with pytest.raises(ConfigError, match="non è la chiave JSON di un account di servizio"):
        GSheetsStore.from_settings(backend(credentials=str(missing)))


def test_a_service_account_key_names_the_account(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    email = "elenco-sync@ambito-crema.iam.gserviceaccount.com"
    path = tmp_path / "chiave.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "ambito-crema",
                "private_key_id": "abc",
                "private_key": pem,
                "client_email": email,
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        ),
        encoding="utf-8",
    )
    settings = parse_settings(
        {
            "preset": "crema",
            "backend": {
                "kind": "gsheets",
                "staff_spreadsheet_id": "1Staff000000",
                "public_spreadsheet_id": "1Public00000",
                "credentials": str(path),
            },
        },
        source="test",
    )
    assert settings.backend.kind == "gsheets"
    with GSheetsStore.from_settings(settings.backend, lock_dir=tmp_path) as store:
        assert store.service_account_email == email
        assert store.publish({"elenco-pubblico.csv": b"id"}) == []
        assert store.check_writable(["staff", "public"]) is None
        assert store.requests == 0


# -- ensure --------------------------------------------------------------------------------------------


def test_ensure_creates_presents_protects_and_is_idempotent(
    fake: SheetsFake, clock: FakeClock, tmp_path: Path
) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    specs = staff_specs(settings.ambito)
    with _store(settings, clock, tmp_path) as store:
        preview = store.ensure("staff", specs, dry_run=True)
        assert _kinds(fake) == ["spreadsheets.get"]
        fake.reset_counts()
        done = store.ensure("staff", specs)
        assert done == preview
        assert _kinds(fake) == ["spreadsheets.get", "spreadsheets.batchUpdate", "values.batchUpdate"]
        fake.reset_counts()
        assert store.ensure("staff", specs) == []
        assert _kinds(fake) == ["spreadsheets.get"]
    assert done[:2] == ["creata la scheda «Elenco»", "protetta la scheda «Elenco» (solo avviso)"]
    assert "protette le colonne A:F della scheda «Presenze Fragilità» (solo avviso)" in done
    assert "creata la scheda «Decisioni»" in done
    assert "protetta la scheda «Decisioni» (solo avviso)" not in done

    [elenco] = fake.protected_ranges(staff, "Elenco")
    assert elenco["warningOnly"] is True and "startColumnIndex" not in elenco["range"]
    [roster] = fake.protected_ranges(staff, "Presenze Fragilità")
    assert (roster["range"]["startColumnIndex"], roster["range"]["endColumnIndex"]) == (0, 6)
    assert fake.protected_ranges(staff, "Decisioni") == []
    rule = fake.validation_at(staff, "Decisioni", "B2")
    assert rule is not None
    assert rule["condition"]["type"] == "ONE_OF_LIST"
    assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == list(VERBS)
    assert rule["showCustomUi"] is True and rule["strict"] is True
    assert fake.validation_at(staff, "Decisioni", "B1") is None  # not on the header
    props = fake.sheet_properties(staff, "_stato")
    assert props["hidden"] is True
    assert fake.sheet_properties(staff, "Elenco")["gridProperties"]["frozenRowCount"] == 1
    assert fake.sheet_properties(staff, "Elenco")["gridProperties"]["frozenColumnCount"] == 2
    assert fake.dimension_properties(staff, "Elenco", "COLUMNS")[1] == {"pixelSize": 280}
    calendario = fake.values(staff, "Calendario")
    assert calendario[0] == list(specs[-2].header) and len(calendario) == 1 + len(specs[-2].seed)


def test_ensure_repairs_a_removed_protection_and_a_shown_state_tab(
    fake: SheetsFake, clock: FakeClock, tmp_path: Path
) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    specs = staff_specs(settings.ambito)
    with _store(settings, clock, tmp_path) as store:
        store.ensure("staff", specs)
        gc = gspread.Client(auth=None, session=fake.session())  # type: ignore[arg-type]
        sh = gc.open_by_key(staff)
        [protection] = fake.protected_ranges(staff, "Anomalie")
        sh.batch_update(
            {
                "requests": [
                    {"deleteProtectedRange": {"protectedRangeId": protection["protectedRangeId"]}},
                    {
                        "updateSheetProperties": {
                            "properties": {"sheetId": sh.worksheet("_stato").id, "hidden": False},
                            "fields": "hidden",
                        }
                    },
                ]
            }
        )
        assert store.ensure("staff", specs) == [
            "protetta la scheda «Anomalie» (solo avviso)",
            "nascosta la scheda «_stato»",
        ]
        assert store.ensure("staff", specs) == []


def test_a_tab_emptied_by_hand_gets_its_header_back(
    fake: SheetsFake, clock: FakeClock, tmp_path: Path
) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    with _store(settings, clock, tmp_path) as store:
        _sync(store, settings)
        gc = gspread.Client(auth=None, session=fake.session())  # type: ignore[arg-type]
        gc.open_by_key(staff).worksheet("Decisioni").clear()
        result = _sync(store, settings, LATER)
    assert result.created == ["scritta l'intestazione della scheda «Decisioni»"]
    assert fake.values(staff, "Decisioni") == [list(staff_specs(settings.ambito)[-3].header)]


# -- writes ----------------------------------------------------------------------------------------------


def test_a_write_beyond_the_grid_grows_it_first(fake: SheetsFake, clock: FakeClock, tmp_path: Path) -> None:
    staff, public = _workbooks(fake)
    fake.add_sheet(staff, "Piccola", [["a"]], rows=5, cols=2)
    settings = _settings(fake, staff, public)
    spec = TabSpec("Piccola", ("a",))
    rows = tuple((f"r{i}", "x", "y") for i in range(12))
    with _store(settings, clock, tmp_path) as store:
        store.read([spec])  # learns the grid size (5 × 2) from the echoed range, not the sheet id
        fake.reset_counts()
        assert store.write("staff", [RangeWrite("Piccola", 0, 0, rows)], [spec]) == 36
        assert _kinds(fake) == ["spreadsheets.get", "spreadsheets.batchUpdate", "values.batchUpdate"]
        grid = fake.sheet_properties(staff, "Piccola")["gridProperties"]
        assert grid["rowCount"] >= 12 and grid["columnCount"] >= 3
        fake.reset_counts()
        store.write("staff", [RangeWrite("Piccola", 12, 0, (("z",),))], [spec])
        assert _kinds(fake) == ["values.batchUpdate"]  # the new size is known: no metadata fetch
        assert store.write("staff", [], [spec]) == 0
        assert _kinds(fake) == ["values.batchUpdate"]  # nothing to write: no request
    assert fake.values(staff, "Piccola")[:12] == [list(r) for r in rows]


def test_a_tab_deleted_by_hand_between_read_and_write_is_recreated(
    fake: SheetsFake, clock: FakeClock, tmp_path: Path
) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    spec = TabSpec("Anomalie", ("Dove", "Riga"))
    fake.add_sheet(staff, "Anomalie", [["Dove", "Riga"]])
    with _store(settings, clock, tmp_path) as store:
        store.read([spec])
        gc = gspread.Client(auth=None, session=fake.session())  # type: ignore[arg-type]
        sh = gc.open_by_key(staff)
        sh.del_worksheet(sh.worksheet("Anomalie"))
        fake.reset_counts()
        store.write("staff", [RangeWrite("Anomalie", 0, 0, (("Dove", "Riga"), ("Risposte", "4")))], [spec])
    assert _kinds(fake) == [
        "values.batchUpdate",
        "spreadsheets.get",
        "spreadsheets.batchUpdate",
        "values.batchUpdate",
    ]
    assert fake.values(staff, "Anomalie") == [["Dove", "Riga"], ["Risposte", "4"]]


def test_two_syncs_of_one_sheet_never_overlap(fake: SheetsFake, clock: FakeClock, tmp_path: Path) -> None:
    staff, public = _workbooks(fake)
    settings = _settings(fake, staff, public)
    with (
        _store(settings, clock, tmp_path) as first,
        _store(settings, clock, tmp_path, lock_timeout_s=0.05) as other,
    ):
        with first.sync_lock(), pytest.raises(TransientError) as caught:
            _sync(other, settings)
        assert str(caught.value) == (
            "Un'altra sincronizzazione dello stesso foglio è in corso su questo computer: riprovare tra qualche "
            "minuto."
        )
        assert other.requests == 0


def test_transient_message_shape() -> None:
    assert MSG_TRANSIENT.format(what="errore 503", attempts="5 tentativi") == (
        "Google Sheets non risponde (errore 503) dopo 5 tentativi: la sincronizzazione riprenderà alla prossima "
        "esecuzione."
    )


def test_a_store_on_an_injected_session(fake: SheetsFake, tmp_path: Path) -> None:
    """The constructor takes any requests.Session; here the fake's, which rewrites Google's host."""
    staff, public = _workbooks(fake)
    store = GSheetsStore(fake.session(), staff, public, lock_dir=tmp_path)
    spec = TabSpec("Decisioni", ("ID ente o riga", "Decisione"), owner="staff", dropdown=Dropdown(1, VERBS))
    assert store.ensure("staff", [spec]) == ["creata la scheda «Decisioni»"]
    snapshot = store.read([spec])
    assert snapshot.tabs == {"Decisioni": [["ID ente o riga", "Decisione"]]}
    assert snapshot.responses == _rows()
    assert store.requests == fake.count() == 4
