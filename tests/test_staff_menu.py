"""The staff menu («elenco» in the staff spreadsheet) end to end.

`Menu.gs` runs under Node.js against the Apps Script stubs and calls a real `elenco serve` (waitress) on
127.0.0.1, whose gsheets backend talks over HTTP to the Sheets API fake holding the staff and public workbooks.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sync.config import load_settings
from sync.layouts import roster_title
from tests.apps_script import STAFF_MENU, needs_node, run_apps_script
from tests.apps_script.service import SECRET, LiveService
from tests.conftest import build_app, sample_rows
from tests.fakes.sheets_api import SheetsFake
from webhook.app import state_of
from webhook.auth import sign

RESPONSES = "Risposte del modulo 1"
MENU = [
    ["Sincronizza ora", "sincronizzaOra"],
    ["Anteprima delle modifiche", "anteprimaModifiche"],
    ["Fogli presenze da stampare", "fogliPresenze"],
    ["-", ""],
    ["Verifica configurazione", "verificaConfigurazione"],
]


@dataclass
class World:
    fake: SheetsFake
    staff: str
    public: str
    service: LiveService

    def menu(
        self, *steps: list[Any], spreadsheet_id: str | None = None, tabs: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        return run_apps_script(
            [STAFF_MENU],
            steps=list(steps),
            properties={"ELENCO_URL": self.service.url, "ELENCO_WEBHOOK_SECRET": SECRET},
            spreadsheet={
                "id": spreadsheet_id or self.staff,
                "name": "Modulo (risposte)",
                "tabs": {t: [] for t in ["Decisioni", *tabs]},
            },
        )

    def public_names(self) -> list[str]:
        return [r[1] for r in self.fake.values(self.public, "Elenco")[1:]]


def _status(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/status", timeout=5) as r:
        data: dict[str, Any] = json.loads(r.read())
        return data


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("staff-menu")
    with SheetsFake() as fake:
        staff = fake.create_spreadsheet("Modulo (risposte)", {RESPONSES: sample_rows()})
        public = fake.create_spreadsheet("Elenco pubblico")
        config = folder / "elenco.yaml"
        config.write_text(
            "preset: crema\nsync_interval_s: 3600\nbackend:\n  kind: gsheets\n"
            f"  staff_spreadsheet_id: {staff}\n  public_spreadsheet_id: {public}\n"
            f"  endpoint: {fake.base_url}\n  credentials: none\n",
            encoding="utf-8",
        )
        with LiveService(config, env={"ELENCO_INSTANCE_DIR": str(folder / "instance")}) as service:
            deadline = time.monotonic() + 60
            while _status(service.url).get("syncs_run", 0) < 1 and time.monotonic() < deadline:
                time.sleep(0.2)  # the sync `elenco serve` runs at start
            assert _status(service.url)["last_sync_outcome"] == "ok", service.output()
            yield World(fake, staff, public, service)


@needs_node
def test_on_open_adds_the_elenco_menu(world: World) -> None:
    done = world.menu(["onOpen"])
    assert done["menus"] == [{"caption": "elenco", "items": MENU}]


@needs_node
def test_a_decision_previewed_then_synced_from_the_menu_changes_the_public_list(world: World) -> None:
    assert "Auser Crema ODV" in world.public_names()
    # staff type a decision in «Decisioni» (as a person would: USER_ENTERED)
    world.fake.set_values(
        world.staff, "Decisioni", [["E-0002", "Escludi", "", "fuori ambito", "Ufficio di Piano"]], "A2"
    )
    world.fake.reset_counts()
    preview = world.menu(["anteprimaModifiche"])
    assert preview["thrown"] == [] and preview["alerts"] == []
    assert world.fake.count("write") == 0  # «Anteprima» writes nothing
    assert "Auser Crema ODV" in world.public_names()
    (dialog,) = preview["dialogs"]
    assert dialog["title"] == "Anteprima delle modifiche"
    html = dialog["html"]
    assert "Ecco cosa cambierebbe con una sincronizzazione adesso (nulla è stato scritto):" in html
    assert "  Elenco: 0 da aggiungere, 1 da modificare, 0 da togliere" in html
    assert "riga 2 di «Decisioni»: E-0002 Escludi (motivazione: fuori ambito)" in html
    assert "Escono dall'elenco pubblico: E-0002 Auser Crema ODV" in html

    synced = world.menu(["sincronizzaOra"])
    assert synced["thrown"] == []
    (alert,) = synced["alerts"]
    assert alert["title"] == "Sincronizzazione"
    assert alert["prompt"].startswith("Sincronizzazione completata in ")
    assert "Auser Crema ODV" not in world.public_names()
    assert world.fake.count("write") > 0

    again = world.menu(["sincronizzaOra"])
    assert (
        again["alerts"][0]["prompt"]
        == "Sincronizzazione completata: i fogli erano già aggiornati, nulla da scrivere."
    )


@needs_node
def test_rosters_for_the_next_meetings_link_their_tab_and_pdf(world: World) -> None:
    ambito = load_settings("crema").ambito
    world.fake.set_values(
        world.staff, "Calendario", [["A", "15/05/2030", "09:30-13:00", "Sala Alessandrini", "", ""]], "A14"
    )
    done = world.menu(["fogliPresenze"], tabs=[roster_title(ambito, "A")])
    assert done["thrown"] == []
    (dialog,) = done["dialogs"]
    html = dialog["html"]
    assert "I prossimi incontri e i loro fogli presenze:" in html
    assert "15/05/2030 09:30-13:00, Minori e famiglia, Sala Alessandrini (" in html
    assert f"https://docs.google.com/spreadsheets/d/{world.staff}/edit#gid=" in html
    assert f"https://docs.google.com/spreadsheets/d/{world.staff}/export?format=pdf&amp;gid=" in html


@needs_node
def test_the_configuration_check_names_a_script_in_the_wrong_spreadsheet(world: World) -> None:
    good = world.menu(["verificaConfigurazione"])
    prompt = good["alerts"][0]["prompt"]
    assert "✔ Configurazione valida: Ambito territoriale di Crema (fogli: gsheets)." in prompt
    assert "✔ Lo script è nel foglio dello staff configurato nel servizio." in prompt
    bad = world.menu(["verificaConfigurazione"], spreadsheet_id="un-altro-foglio")
    prompt = bad["alerts"][0]["prompt"]
    assert prompt.startswith("Il servizio risponde e la chiave è giusta, ma ci sono ")
    assert (
        f"✘ Lo script è nel foglio un-altro-foglio, ma il servizio lavora sul foglio {world.staff}: installare lo "
        "script nel foglio giusto o correggere staff_spreadsheet_id in elenco.yaml."
    ) in prompt


@needs_node
def test_a_service_that_is_down_is_reported_in_italian(world: World) -> None:
    done = run_apps_script(
        [STAFF_MENU],
        steps=[["sincronizzaOra"]],
        properties={"ELENCO_URL": "http://127.0.0.1:9", "ELENCO_WEBHOOK_SECRET": SECRET},
        spreadsheet={"id": world.staff, "tabs": {}},
    )
    assert done["thrown"] == []
    assert done["alerts"][0]["prompt"].startswith("Il servizio elenco non risponde (")
    assert done["alerts"][0]["prompt"].endswith(
        "Riprovare tra qualche minuto: intanto la sincronizzazione automatica continua e nessuna risposta del "
        "modulo va persa."
    )


@needs_node
def test_a_wrong_key_is_reported_in_italian(world: World) -> None:
    done = run_apps_script(
        [STAFF_MENU],
        steps=[["verificaConfigurazione"]],
        properties={"ELENCO_URL": world.service.url, "ELENCO_WEBHOOK_SECRET": "x" * 40},
        spreadsheet={"id": world.staff, "tabs": {}},
    )
    assert done["alerts"][0]["prompt"] == (
        "Il servizio ha rifiutato la richiesta: La firma della richiesta non è valida: la chiave "
        "ELENCO_WEBHOOK_SECRET dello script e quella del servizio devono essere uguali. (la chiave "
        "ELENCO_WEBHOOK_SECRET deve essere la stessa del servizio e dello script del modulo)."
    )


# In process: a sync already running, replays ---------------------------------------------------------------


def _post(client: Any, path: str, body: bytes, when: int) -> Any:
    ts = str(when)
    headers = {"X-Elenco-Timestamp": ts, "X-Elenco-Signature": sign(SECRET, ts, body)}
    return client.post(path, data=body, headers=headers, content_type="application/json")


def test_a_running_sync_is_not_an_error_the_answer_says_when(tmp_path: Path) -> None:
    release = threading.Event()
    started = threading.Event()

    def runner(trigger: str) -> Any:
        started.set()
        release.wait(10)
        from sync.model import Report

        return Report(started_at="2024-05-20T10:00:00", duration_s=1.0)

    app = build_app(
        load_settings("crema"),
        environ={},
        secret=SECRET,
        runner=runner,
        instance_path=tmp_path / "instance",
        debounce_s=0.0,
    )
    try:
        state_of(app).scheduler.request("modulo")
        assert started.wait(5)
        body = json.dumps({"richiesta": "r-1", "foglio": "x"}).encode()
        r = _post(app.test_client(), "/addon/sincronizza", body, int(time.time()))
        assert r.status_code == 202
        assert r.json["esito"] == "in_corso"
        assert r.json["messaggio"].startswith(
            "Una sincronizzazione è già in corso: non è un errore e non serve ripeterla. Il risultato sarà nei "
            "fogli entro circa "
        )
    finally:
        release.set()
        state_of(app).scheduler.shutdown(5)


def test_a_replayed_or_unsigned_menu_request_changes_nothing(tmp_path: Path) -> None:
    calls: list[str] = []

    def runner(trigger: str) -> Any:
        from sync.model import Report

        calls.append(trigger)
        return Report(started_at="2024-05-20T10:00:00", duration_s=0.1)

    app = build_app(
        load_settings("crema"), environ={}, secret=SECRET, runner=runner, instance_path=tmp_path / "instance"
    )
    try:
        client = app.test_client()
        body = json.dumps({"richiesta": "r-2", "foglio": "x"}).encode()
        now = int(time.time())
        assert _post(client, "/addon/sincronizza", body, now).status_code == 200
        replay = _post(client, "/addon/sincronizza", body, now)
        assert (replay.status_code, replay.json["error"]) == (409, "firma_ripetuta")
        stale = _post(client, "/addon/sincronizza", b'{"richiesta": "r-3"}', now - 600)
        assert (stale.status_code, stale.json["error"]) == (401, "richiesta_scaduta")
        unsigned = client.post("/addon/sincronizza", data=body, content_type="application/json")
        assert unsigned.status_code == 401
        assert calls == ["foglio"]
    finally:
        state_of(app).scheduler.shutdown(5)
