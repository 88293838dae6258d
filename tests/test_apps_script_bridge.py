"""The form bridge never fails silently: set-up check, mail quota, non-JSON answers, redirects, the sender.

`Codice.gs` runs under Node.js against the Apps Script stubs (`tests/apps_script/stubs.js`); the end-to-end
cases talk to a real `elenco serve` (waitress) on 127.0.0.1 over HTTP.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.apps_script import BRIDGE, needs_node, run_apps_script
from tests.apps_script.service import SECRET, LiveService
from tests.conftest import CONSENT, HEADER

pytestmark = needs_node

QUESTIONS = [t for t in HEADER if t not in ("Informazioni cronologiche", "Indirizzo email")]
QUOTA_MESSAGE = (
    "Email al richiedente non inviata: la quota giornaliera di email dell'account che ha installato lo script è "
    "esaurita (circa 100 destinatari al giorno per un account gratuito, 1.500 con Google Workspace). Lo staff "
    "vede l'esito in «Risposte» e in «Anomalie» e può scrivere all'ente; la quota si rinnova dopo 24 ore."
)


def _items(collect_email_question: bool = False) -> list[list[str]]:
    titles = (["Indirizzo email"] if collect_email_question else []) + QUESTIONS
    return [["Sezione 1: l'ente", "SECTION_HEADER"]] + [
        [t, "CHECKBOX" if t in ("Aree di interesse", "Intendo partecipare a") else "TEXT"] for t in titles
    ]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    folder = tmp_path_factory.mktemp("bridge")
    config = folder / "elenco.yaml"
    config.write_text("preset: crema\nbackend:\n  kind: xlsx\n  folder: .\n", encoding="utf-8")
    with LiveService(config) as live:
        yield live


def _properties(url: str) -> dict[str, str]:
    return {"ELENCO_WEBHOOK_URL": url, "ELENCO_WEBHOOK_SECRET": SECRET}


def test_the_set_up_check_passes_on_a_form_that_collects_emails(service: LiveService) -> None:
    done = run_apps_script(
        [BRIDGE],
        steps=[["verificaCollegamento"]],
        properties=_properties(f"{service.url}/hooks/form"),
        items=_items(),
        collect_email=True,
    )
    assert done["thrown"] == []
    assert done["result"] is True
    sent = json.loads(done["fetches"][0]["params"]["payload"])
    assert sent["respondent_email"] == "verifica.collegamento@example.org"
    assert done["console"][-1].startswith(
        "Collegamento riuscito: il servizio ha risposto e ha respinto, come previsto, la risposta vuota di prova ("
    )
    assert "consenso_mancante" in done["console"][-1]


def test_the_set_up_check_names_the_missing_question(service: LiveService) -> None:
    # a form that neither collects e-mails nor asks for one: the service cannot write to applicants
    done = run_apps_script(
        [BRIDGE],
        steps=[["verificaCollegamento"]],
        properties=_properties(f"{service.url}/hooks/form"),
        items=_items(),
        collect_email=False,
    )
    assert done["thrown"] == [] and done["result"] is False
    assert len(done["fetches"]) == 1 and done["sleeps"] == []
    assert done["console"][0].startswith("Il servizio ha rifiutato la risposta (422): ")
    assert "Indirizzo email" in done["console"][0]


def _submission(**extra: Any) -> dict[str, Any]:
    answers = {
        "Denominazione dell'ente": "Associazione Il Volo APS",
        "Codice fiscale dell'ente": "123",
        "Forma giuridica": "Associazione di promozione sociale (APS)",
        "Comune della sede legale": "Crema",
        "Aree di interesse": ["A) Minori e Famiglia"],
        "Informativa privacy": CONSENT,
    }
    return {
        "id": "2_ABaOnud1",
        "timestamp": "2024-04-03T09:09:13.000Z",
        "email": "info@ilvolo.it",
        "answers": [[t, v] for t, v in answers.items()],
        **extra,
    }


def test_mail_goes_as_the_office_with_its_reply_to(service: LiveService) -> None:
    done = run_apps_script(
        [BRIDGE],
        call="suInvioModulo",
        response=_submission(),
        properties=_properties(f"{service.url}/hooks/form"),
        items=_items(),
        collect_email=True,
    )
    assert done["thrown"] == []
    assert len(done["mails"]) == 1
    mail = done["mails"][0]
    assert mail["to"] == "info@ilvolo.it"
    assert mail["options"] == {
        "name": "Ufficio di Piano - Ambito territoriale di Crema",
        "replyTo": "udpcrema@comune.crema.cr.it",
    }
    assert "Per chiarimenti rispondete a questo messaggio: arriva all'Ufficio di Piano." in mail["body"]


def _verdict() -> dict[str, Any]:
    return {
        "status": "rejected",
        "email_richiedente": True,
        "destinatario": "info@ilvolo.it",
        "oggetto_email": "Oggetto",
        "testo_email": "Testo",
        "mittente": "Ufficio di Piano",
        "rispondi_a": "",
        "problemi": [],
    }


def test_an_exhausted_mail_quota_is_logged_not_thrown() -> None:
    done = run_apps_script(
        [BRIDGE],
        call="suInvioModulo",
        response=_submission(),
        properties=_properties("https://elenco.example.org/hooks/form"),
        items=_items(),
        network=False,
        fetch_responses=[{"code": 200, "body": json.dumps(_verdict())}],
        mail_quota=0,
    )
    assert done["thrown"] == [] and done["mails"] == []
    assert done["console"] == [QUOTA_MESSAGE]


def test_a_refused_mail_is_logged_not_thrown() -> None:
    verdict = {**_verdict(), "destinatario": "non è un indirizzo"}
    done = run_apps_script(
        [BRIDGE],
        call="suInvioModulo",
        response=_submission(),
        properties=_properties("https://elenco.example.org/hooks/form"),
        items=_items(),
        network=False,
        fetch_responses=[{"code": 200, "body": json.dumps(verdict)}],
    )
    assert done["thrown"] == [] and done["mails"] == []
    assert done["console"] == [
        "Email al richiedente non inviata (Error: Exception: Invalid email: non è un indirizzo): lo staff vede "
        "comunque l'esito in «Risposte» e in «Anomalie»."
    ]


def test_a_200_page_that_is_not_json_is_reported_once_without_retries() -> None:
    done = run_apps_script(
        [BRIDGE],
        call="suInvioModulo",
        response=_submission(),
        properties=_properties("https://proxy.example.org/hooks/form"),
        items=_items(),
        network=False,
        fetch_responses=[{"code": 200, "body": "<html><body>Accedi con il tuo account</body></html>"}],
    )
    assert done["thrown"] == [] and done["mails"] == [] and done["sleeps"] == []
    assert len(done["fetches"]) == 1
    assert done["console"] == [
        "All'indirizzo https://proxy.example.org/hooks/form non risponde il servizio elenco: è arrivata una "
        "pagina che non è JSON («<html><body>Accedi con il tuo account</body></html>»), forse una pagina di "
        "accesso o di un proxy. Controllare la proprietà ELENCO_WEBHOOK_URL. La risposta sarà letta dalla "
        "prossima sincronizzazione."
    ]


class _Redirect(BaseHTTPRequestHandler):
    """What a load balancer answers on plain http: 301 to the https address."""

    def do_POST(self) -> None:
        self.send_response(301)
        self.send_header("Location", f"https://elenco.example.org{self.path}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def redirecting() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_redirect_says_the_url_is_wrong_and_is_not_retried(redirecting: str) -> None:
    url = f"{redirecting}/hooks/form"
    done = run_apps_script(
        [BRIDGE], call="suInvioModulo", response=_submission(), properties=_properties(url), items=_items()
    )
    assert done["thrown"] == [] and done["sleeps"] == [] and done["mails"] == []
    assert len(done["fetches"]) == 1
    assert done["console"] == [
        f"L'indirizzo {url} è sbagliato: il server lo reindirizza a https://elenco.example.org/hooks/form. "
        "Scrivere nella proprietà ELENCO_WEBHOOK_URL l'indirizzo giusto (di solito quello che comincia con "
        "https://). La risposta sarà letta dalla prossima sincronizzazione."
    ]


def test_an_unexpected_error_inside_the_trigger_is_logged_not_thrown(tmp_path: Path) -> None:
    # the form's items cannot be read (a broken source): the trigger must still end cleanly
    script = tmp_path / "Rotto.gs"
    script.write_text(
        "FormApp.getActiveForm = function () { throw new Error('modulo non leggibile'); };", encoding="utf-8"
    )
    done = run_apps_script(
        [BRIDGE, script],
        steps=[["suInvioModulo", {}]],
        properties=_properties("https://elenco.example.org/hooks/form"),
        network=False,
    )
    assert done["thrown"] == [] and done["fetches"] == []
    assert done["console"][0].startswith("Errore imprevisto nello script del modulo (")
