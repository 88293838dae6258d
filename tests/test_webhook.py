"""The webhook through `app.test_client()`: refusals, verdicts, scheduling, cron, Pub/Sub OIDC, secrets, logs."""

from __future__ import annotations

import base64
import datetime as dt
import io
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import google.auth.crypt
import google.auth.jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask
from flask.testing import FlaskClient

from sync.config import Settings
from sync.errors import ConfigError, LockedError, TransientError
from sync.model import Report
from tests.conftest import CONSENT, HEADER, build_app, make_row
from webhook import labels
from webhook.app import state_of
from webhook.auth import CachingRequest, sign
from webhook.logs import JsonFormatter
from webhook.scheduler import SyncScheduler
from webhook.store import InstanceStore

SECRET = "test-webhook-secret-0123456789abcdef-XYZ"
TOKEN = "task-token-0123456789abcdef0123456789abcdef"
NOW = 1_712_135_353.0  # 2024-04-03 09:09:13 UTC = 11:09:13 in Crema, before the avviso's deadline
SUBMITTED = "2024-04-03T09:09:13.000Z"
AUDIENCE = "https://elenco.example.appspot.com/hooks/pubsub"
PUSH_SA = "pubsub-push@elenco-test.iam.gserviceaccount.com"
CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"


# -- fakes ------------------------------------------------------------------------------------------------------


class Clock:
    """A settable wall clock for the signature window."""

    def __init__(self, value: float = NOW) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


class RecordingRunner:
    """A sync runner that records when each run starts and ends, and whether two ever overlapped."""

    def __init__(self, duration_s: float = 0.0, fail: list[BaseException] | None = None) -> None:
        self.duration_s = duration_s
        self.fail = list(fail or [])
        self.runs: list[tuple[float, float, str]] = []
        self.active = 0
        self.overlap = False
        self._lock = threading.Lock()

    def __call__(self, trigger: str) -> Report:
        with self._lock:
            self.active += 1
            self.overlap |= self.active > 1
        start = time.monotonic()
        try:
            if self.fail:
                raise self.fail.pop(0)
            time.sleep(self.duration_s)
            return Report(
                started_at="2024-04-03T11:09:13",
                duration_s=self.duration_s,
                trigger=trigger,
                responses=3,
                accepted=2,
                rejected=1,
                organisations=2,
            )
        finally:
            with self._lock:
                self.active -= 1
                self.runs.append((start, time.monotonic(), trigger))

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.runs)

    def overlapping(self) -> bool:
        spans = sorted((s, e) for s, e, _ in self.runs)
        return self.overlap or any(b[0] < a[1] for a, b in itertools.pairwise(spans))


class FakeResponse:
    """What a google-auth transport returns: `.status`, `.headers`, `.data`."""

    def __init__(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.data = data
        self.headers = headers or {}


class CertsTransport:
    """A `google.auth.transport.Request`-compatible object serving our test certificates (not a mock of the verifier)."""

    def __init__(self, certs: dict[str, str]) -> None:
        self.certs = certs
        self.calls: list[str] = []

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> FakeResponse:
        self.calls.append(url)
        if url != CERTS_URL:
            return FakeResponse(404, b"{}")
        return FakeResponse(200, json.dumps(self.certs).encode(), {"Cache-Control": "public, max-age=21600"})


def _key_and_cert(common_name: str) -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem_key, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def google_keys() -> dict[str, Any]:
    """Google's signing key (served as a certificate) and an impostor's key with the same key id."""
    good_key, good_cert = _key_and_cert("google")
    bad_key, _ = _key_and_cert("impostor")
    return {"key": good_key, "impostor": bad_key, "certs": {"k1": good_cert}}


def make_token(key: bytes, **claims: Any) -> str:
    """A real RS256 JWT, as Pub/Sub push sends in `Authorization: Bearer`."""
    now = int(time.time())
    payload = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "azp": "1234567890",
        "email": PUSH_SA,
        "email_verified": True,
        "sub": "1234567890",
        "iat": now,
        "exp": now + 3600,
    }
    payload.update(claims)
    signer = google.auth.crypt.RSASigner.from_string(key, key_id="k1")
    return google.auth.jwt.encode(signer, payload).decode()


# -- fixtures ---------------------------------------------------------------------------------------------------


def answers(**changes: Any) -> dict[str, Any]:
    """The answers of a valid Crema submission (areas as a checkbox list), with some replaced or removed."""
    out: dict[str, Any] = dict(zip(HEADER[1:], make_row()[1:], strict=True))
    out["Aree di interesse"] = ["A) Minori e Famiglia", "D) Innovazione e giovani"]
    for title, value in changes.items():
        title = title.replace("_", " ")
        if value is None:
            out.pop(title, None)
        else:
            out[title] = value
    return out


def payload(response_id: str = "2_ABaOnud1", submitted_at: str = SUBMITTED, **extra: Any) -> dict[str, Any]:
    """A JSON body as the Apps Script posts it."""
    body: dict[str, Any] = {"response_id": response_id, "submitted_at": submitted_at, "answers": answers()}
    body.update(extra)
    return body


@pytest.fixture
def runner() -> RecordingRunner:
    """A fast recording runner."""
    return RecordingRunner()


@pytest.fixture
def clock() -> Clock:
    """The service's wall clock, fixed at NOW."""
    return Clock()


@pytest.fixture
def certs(google_keys: dict[str, Any]) -> CertsTransport:
    """The certificate endpoint, served by a fake transport."""
    return CertsTransport(google_keys["certs"])


@pytest.fixture
def make_app(
    tmp_path: Path, crema: Settings, runner: RecordingRunner, clock: Clock, certs: CertsTransport
) -> Iterator[Callable[..., Flask]]:
    """Build apps on one instance folder; their schedulers are shut down after the test."""
    made: list[Flask] = []

    def make(**kw: Any) -> Flask:
        options: dict[str, Any] = {
            "secret": SECRET,
            "runner": runner,
            "clock": clock,
            "instance_path": tmp_path / "instance",
            "certs_request": certs,
            "pubsub_audience": AUDIENCE,
            "pubsub_service_account": PUSH_SA,
            "task_token": TOKEN,
            "trust_cron_header": False,
            "debounce_s": 0.05,
            "max_delay_s": 0.5,
            "min_interval_s": 0.0,
            "environ": {},
        }
        options.update(kw)
        app = build_app(kw.pop("settings", crema), **{k: v for k, v in options.items() if k != "settings"})
        made.append(app)
        return app

    yield make
    for app in made:
        assert state_of(app).scheduler.shutdown(timeout=10)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The app with the Crema preset."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Its test client."""
    return app.test_client()


def post_form(
    client: FlaskClient,
    body: Any,
    *,
    timestamp: float | str = NOW,
    secret: str = SECRET,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
    signed_body: bytes | None = None,
) -> Any:
    """POST /hooks/form with a signed body (a dict is serialised once, as the script does)."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    ts = str(int(timestamp)) if not isinstance(timestamp, str) else timestamp
    sent = {"X-Elenco-Timestamp": ts, "X-Elenco-Signature": sign(secret, ts, signed_body or raw)}
    sent.update(headers or {})
    sent = {k: v for k, v in sent.items() if v is not None}
    return client.post("/hooks/form", data=raw, headers=sent, content_type=content_type)


def assert_nothing_changed(app: Flask, runner: RecordingRunner) -> None:
    """A refusal stores nothing and schedules nothing."""
    st = state_of(app)
    assert not st.scheduler.pending
    assert st.scheduler.runs == 0
    assert runner.calls == 0
    assert st.store.entries() == 0
    assert st.store.get("last_submission_at") is None


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll until true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


# -- verdicts ---------------------------------------------------------------------------------------------------


def test_accepted_submission_answers_at_once_and_schedules_a_sync(
    app: Flask, client: FlaskClient, runner: RecordingRunner
) -> None:
    r = post_form(client, payload())
    assert r.status_code == 200
    assert r.json == {
        "esito": "accettata",
        "status": "accepted",
        "response_id": "2_ABaOnud1",
        "problemi": [],
        "email_richiedente": False,
        "destinatario": "info@ilvolo.it",
        "oggetto_email": "",
        "testo_email": "",
        "mittente": "Ufficio di Piano - Ambito territoriale di Crema",
        "rispondi_a": "udpcrema@comune.crema.cr.it",
    }
    assert wait_for(lambda: runner.calls == 1)
    assert runner.runs[0][2] == "modulo"
    assert state_of(app).store.entries() == 2  # its signature and its response id


def test_rejected_submission_lists_problems_in_italian(client: FlaskClient) -> None:
    body = payload(answers=answers(**{"Codice fiscale dell'ente": "123", "Informativa privacy": ""}))
    r = post_form(client, body)
    assert r.status_code == 200
    data = r.json
    assert (data["esito"], data["status"]) == ("respinta", "rejected")
    assert data["problemi"] == [
        {
            "codice": "consenso_mancante",
            "campo": "Informativa privacy",
            "messaggio": "Manca il consenso all'informativa sul trattamento dei dati personali: senza consenso "
            "la domanda non può essere accettata.",
            "gravita": "bloccante",
            "suggerimento": "",
        },
        {
            "codice": "cf_non_valido",
            "campo": "Codice fiscale dell'ente",
            "messaggio": "Il codice fiscale «123» non è valido: lunghezza errata (un ente ha 11 cifre, una persona "
            "16 caratteri).",
            "gravita": "bloccante",
            "suggerimento": "",
        },
    ]
    assert data["email_richiedente"] is True
    assert data["destinatario"] == "info@ilvolo.it"
    assert data["oggetto_email"] == (
        "Ambito territoriale di Crema: la domanda di iscrizione all'elenco non può essere accettata"
    )
    assert data["testo_email"] == (
        "Buongiorno,\n\n"
        "abbiamo ricevuto la risposta al modulo «Avviso di manifestazione di interesse per la costituzione di "
        "un elenco di soggetti del Terzo Settore - Piano di Zona 2025-2027» inviata il 03/04/2024 alle 11:09 "
        "per «Associazione Il Volo APS».\n\n"
        "La domanda non può essere accettata per questi motivi:\n"
        "- Manca il consenso all'informativa sul trattamento dei dati personali: senza consenso la domanda non "
        "può essere accettata.\n"
        "- Il codice fiscale «123» non è valido: lunghezza errata (un ente ha 11 cifre, una persona 16 "
        "caratteri).\n\n"
        "Per correggere, compilate di nuovo il modulo con i dati corretti: vale l'ultima risposta inviata.\n"
        "Per chiarimenti rispondete a questo messaggio: arriva all'Ufficio di Piano.\n\n"
        "Cordiali saluti,\nUfficio di Piano - Ambito territoriale di Crema\nudpcrema@comune.crema.cr.it\n\n"
        "Messaggio inviato automaticamente dal sistema dell'elenco."
    )


def test_accepted_with_a_warning_is_mailed_with_a_suggestion(client: FlaskClient) -> None:
    r = post_form(client, payload(answers=answers(**{"Comune della sede legale": "Cremaa"})))
    data = r.json
    assert data["status"] == "accepted"
    assert [(p["codice"], p["gravita"], p["suggerimento"]) for p in data["problemi"]] == [
        ("comune_sconosciuto", "avviso", "forse intendevi Crema?")
    ]
    assert data["email_richiedente"] is True
    assert data["oggetto_email"] == (
        "Ambito territoriale di Crema: domanda di iscrizione all'elenco ricevuta, con alcune osservazioni"
    )
    assert (
        "La domanda è stata accettata. Vi segnaliamo però:\n- Il comune della sede legale «Cremaa» non è "
        "stato riconosciuto. (forse intendevi Crema?)\n" in data["testo_email"]
    )


def test_checkbox_answers_are_matched_item_by_item(client: FlaskClient) -> None:
    labels_with_commas = [
        "C) Adulti e povertà (Contrasto alla povertà e marginalità, Politiche per il lavoro, "
        "Politiche abitative)",
        "B) Fragilità (Anziani e Persone con disabilità)",
    ]
    r = post_form(client, payload(answers=answers(Aree_di_interesse=labels_with_commas)))
    assert r.json["status"] == "accepted"
    assert r.json["problemi"] == []
    # an option the configuration does not know is the office's set-up problem: not the applicant's
    r = post_form(client, payload("other", answers=answers(Aree_di_interesse=["Z) Sport"])))
    assert r.json["status"] == "accepted"
    assert r.json["problemi"] == []
    assert r.json["email_richiedente"] is False and r.json["testo_email"] == ""


def test_respondent_email_fills_the_email_column(client: FlaskClient) -> None:
    body = payload(answers=answers(Indirizzo_email=None), respondent_email="segreteria@ilvolo.it")
    r = post_form(client, body)
    assert r.json["status"] == "accepted"
    assert r.json["destinatario"] == "segreteria@ilvolo.it"


def test_late_submission_gets_the_deadline_warning(client: FlaskClient) -> None:
    r = post_form(client, payload(submitted_at="2024-05-03T08:00:00Z"))
    assert r.json["status"] == "accepted"
    assert r.json["problemi"][0]["codice"] == "oltre_scadenza"
    assert r.json["problemi"][0]["campo"] == "Informazioni cronologiche"


def test_an_accepted_late_applicant_is_told_the_truth_not_to_resubmit(client: FlaskClient) -> None:
    r = post_form(client, payload(submitted_at="2024-05-03T08:00:00Z"))
    data = r.json
    assert [p["codice"] for p in data["problemi"]] == ["oltre_scadenza"]
    assert data["email_richiedente"] is True
    body = data["testo_email"]
    assert (
        "La domanda è stata accettata. Vi segnaliamo però:\n"
        "- Domanda presentata dopo la scadenza del 02/05/2024 23:59. Le istanze presentate dopo la scadenza "
        "partecipano alla sola fase attuativa, dal gennaio 2025\n\n"
        "La domanda è valida e non va inviata di nuovo: essendo arrivata dopo la scadenza, l'ente partecipa "
        "soltanto alla fase di attuazione.\n"
        "Per chiarimenti rispondete a questo messaggio: arriva all'Ufficio di Piano.\n\n" in body
    )
    assert "compilate di nuovo" not in body


def test_the_verdict_names_the_office_as_sender_and_reply_to(client: FlaskClient) -> None:
    data = post_form(client, payload(answers=answers(**{"Informativa privacy": ""}))).json
    assert (data["mittente"], data["rispondi_a"]) == (
        "Ufficio di Piano - Ambito territoriale di Crema",
        "udpcrema@comune.crema.cr.it",
    )


def test_no_email_to_applicants_when_the_ambito_says_so(
    make_app: Callable[..., Flask], crema: Settings
) -> None:
    quiet = crema.model_copy(update={"ambito": crema.ambito.model_copy(update={"email_applicants": False})})
    client = make_app(settings=quiet).test_client()
    r = post_form(client, payload(answers=answers(Informativa_privacy="")))
    assert r.json["status"] == "rejected"
    assert r.json["email_richiedente"] is False


def test_missing_required_question_is_a_configuration_problem(
    app: Flask, client: FlaskClient, runner: RecordingRunner
) -> None:
    r = post_form(client, payload(answers=answers(**{"Codice fiscale dell'ente": None})))
    assert r.status_code == 422
    assert r.json == {
        "error": "domanda_mancante",
        "messaggio": "Il foglio delle risposte non ha tutte le domande richieste: manca la domanda «Codice "
        "fiscale dell'ente». La colonna più simile è «Denominazione dell'ente». Se la domanda è "
        "stata rinominata, aggiungere il nuovo titolo in `questions` nella configurazione.",
    }
    assert_nothing_changed(app, runner)


def test_consent_as_a_checkbox_list(client: FlaskClient) -> None:
    r = post_form(client, payload(answers=answers(Informativa_privacy=[CONSENT])))
    assert r.json["status"] == "accepted"


# -- refusals ---------------------------------------------------------------------------------------------------


ANSWERS_SHAPE = (
    "Dati della risposta non validi: «answers» deve essere un oggetto «titolo della domanda» → "
    "testo o elenco di testi."
)


def _message(code: str, **params: str) -> str:
    return labels.ERRORS[code].format(**params) if params else labels.ERRORS[code]


@pytest.mark.parametrize(
    ("case", "status", "code", "message"),
    [
        (
            "unsigned",
            401,
            "firma_mancante",
            "Richiesta non firmata: mancano le intestazioni X-Elenco-Timestamp e X-Elenco-Signature.",
        ),
        (
            "no_timestamp",
            401,
            "firma_mancante",
            "Richiesta non firmata: mancano le intestazioni X-Elenco-Timestamp e X-Elenco-Signature.",
        ),
        (
            "wrong_secret",
            401,
            "firma_non_valida",
            "La firma della richiesta non è valida: la chiave ELENCO_WEBHOOK_SECRET dello script e quella del servizio "
            "devono essere uguali.",
        ),
        ("tampered_body", 401, "firma_non_valida", None),
        ("signature_not_hex", 401, "firma_non_valida", None),
        ("signature_sha1", 401, "firma_non_valida", None),
        ("signature_latin1", 401, "firma_non_valida", None),
        ("timestamp_of_other_request", 401, "firma_non_valida", None),
        (
            "stale",
            401,
            "richiesta_scaduta",
            "La richiesta è stata firmata più di 5 minuti fa: non viene accettata. Se l'orologio del server è giusto, "
            "inviare di nuovo.",
        ),
        (
            "future",
            401,
            "richiesta_nel_futuro",
            "La richiesta ha un orario di più di 5 minuti nel futuro: controllare l'orologio del server.",
        ),
        (
            "timestamp_not_number",
            401,
            "orario_non_valido",
            "L'intestazione X-Elenco-Timestamp deve essere un numero intero di secondi (ora Unix).",
        ),
        ("timestamp_milliseconds", 401, "orario_non_valido", None),
        (
            "text_plain",
            415,
            "non_json",
            "La richiesta deve essere in formato JSON (Content-Type: application/json).",
        ),
        ("form_encoded", 415, "non_json", None),
        ("malformed_json", 400, "json_non_valido", "Il corpo della richiesta non è un JSON valido."),
        ("not_utf8", 400, "json_non_valido", None),
        ("json_list", 400, "dati_non_validi", "Dati della risposta non validi: atteso un oggetto JSON."),
        (
            "no_response_id",
            400,
            "dati_non_validi",
            "Dati della risposta non validi: «response_id» deve essere un testo non vuoto (al massimo 200 caratteri).",
        ),
        (
            "numeric_response_id",
            400,
            "dati_non_validi",
            "Dati della risposta non validi: «response_id» deve essere un testo non vuoto (al massimo 200 caratteri).",
        ),
        (
            "bad_submitted_at",
            400,
            "dati_non_validi",
            "Dati della risposta non validi: «submitted_at» deve essere una data e ora ISO 8601 (es. "
            "2024-04-03T09:09:13.000Z).",
        ),
        (
            "no_answers",
            400,
            "dati_non_validi",
            "Dati della risposta non validi: «answers» deve essere un oggetto «titolo della domanda» → testo o elenco "
            "di testi.",
        ),
        ("answers_list", 400, "dati_non_validi", ANSWERS_SHAPE),
        ("answer_number", 400, "dati_non_validi", ANSWERS_SHAPE),
        ("answer_nested", 400, "dati_non_validi", ANSWERS_SHAPE),
        (
            "email_number",
            400,
            "dati_non_validi",
            "Dati della risposta non validi: «respondent_email» deve essere un testo.",
        ),
        ("too_large", 413, "richiesta_troppo_grande", "La richiesta supera la dimensione massima di 256 KB."),
    ],
)
def test_refusals_change_nothing(
    app: Flask,
    client: FlaskClient,
    runner: RecordingRunner,
    case: str,
    status: int,
    code: str,
    message: str | None,
) -> None:
    good = payload()
    raw = json.dumps(good).encode()
    kw: dict[str, Any] = {}
    body: Any = good
    if case == "unsigned":
        kw["headers"] = {"X-Elenco-Timestamp": None, "X-Elenco-Signature": None}
    elif case == "no_timestamp":
        kw["headers"] = {"X-Elenco-Timestamp": None}
    elif case == "wrong_secret":
        kw["secret"] = "another-secret-0123456789abcdef-another"
    elif case == "tampered_body":
        kw["signed_body"] = raw.replace(b"2_ABaOnud1", b"2_ABaOnud2")
    elif case == "signature_not_hex":
        kw["headers"] = {"X-Elenco-Signature": "sha256=" + "zz" * 32}
    elif case == "signature_sha1":
        kw["headers"] = {"X-Elenco-Signature": "sha1=" + "ab" * 20}
    elif case == "signature_latin1":
        kw["headers"] = {"X-Elenco-Signature": "sha256=" + "é" * 64}
    elif case == "timestamp_of_other_request":
        kw["headers"] = {"X-Elenco-Signature": sign(SECRET, str(int(NOW) - 1), raw)}
    elif case == "stale":
        kw["timestamp"] = NOW - 301
    elif case == "future":
        kw["timestamp"] = NOW + 301
    elif case == "timestamp_not_number":
        kw["timestamp"] = "1712135353.5"
    elif case == "timestamp_milliseconds":
        kw["timestamp"] = str(int(NOW * 1000))
    elif case == "text_plain":
        kw["content_type"] = "text/plain"
    elif case == "form_encoded":
        kw["content_type"] = "application/x-www-form-urlencoded"
    elif case == "malformed_json":
        body = raw[:-1]
    elif case == "not_utf8":
        body = b'{"response_id": "\xff"}'
    elif case == "json_list":
        body = [good]
    elif case == "no_response_id":
        body = {k: v for k, v in good.items() if k != "response_id"}
    elif case == "numeric_response_id":
        body = {**good, "response_id": 42}
    elif case == "bad_submitted_at":
        body = {**good, "submitted_at": "03/04/2024 11.09.13"}
    elif case == "no_answers":
        body = {k: v for k, v in good.items() if k != "answers"}
    elif case == "answers_list":
        body = {**good, "answers": [["Denominazione", "x"]]}
    elif case == "answer_number":
        body = {**good, "answers": answers(Telefono_del_referente=374480361)}
    elif case == "answer_nested":
        body = {**good, "answers": answers(Aree_di_interesse=[["A) Minori e Famiglia"]])}
    elif case == "email_number":
        body = {**good, "respondent_email": 1}
    elif case == "too_large":
        body = {**good, "answers": answers(Esperienza_e_competenze_nelle_aree_indicate="x" * (256 * 1024))}
    r = post_form(client, body, **kw)
    assert r.status_code == status
    assert r.json == {"error": code, "messaggio": message or _message(code)}
    assert_nothing_changed(app, runner)


def test_body_over_the_limit_without_content_length_is_refused_on_read(
    app: Flask, client: FlaskClient, runner: RecordingRunner
) -> None:
    raw = json.dumps(
        payload(answers=answers(Esperienza_e_competenze_nelle_aree_indicate="x" * 300_000))
    ).encode()
    ts = str(int(NOW))
    r = client.post(
        "/hooks/form",
        input_stream=io.BytesIO(raw),
        content_type="application/json",
        headers={"X-Elenco-Timestamp": ts, "X-Elenco-Signature": sign(SECRET, ts, raw)},
        environ_overrides={"wsgi.input_terminated": True},
    )  # as gunicorn marks a chunked body
    assert r.status_code == 413
    assert r.json == {"error": "richiesta_troppo_grande", "messaggio": _message("richiesta_troppo_grande")}
    assert_nothing_changed(app, runner)


def test_window_edges_are_accepted(client: FlaskClient) -> None:
    assert post_form(client, payload("a"), timestamp=NOW - 300).status_code == 200
    assert post_form(client, payload("b"), timestamp=NOW + 300).status_code == 200


def test_replayed_signature_is_refused(app: Flask, client: FlaskClient, runner: RecordingRunner) -> None:
    assert post_form(client, payload()).status_code == 200
    assert wait_for(lambda: runner.calls == 1)
    r = post_form(client, payload())  # the very same request: same timestamp, body and signature
    assert r.status_code == 409
    assert r.json == {
        "error": "firma_ripetuta",
        "messaggio": "Questa richiesta è già stata ricevuta (firma già usata): non viene elaborata di nuovo.",
    }
    time.sleep(0.2)
    assert runner.calls == 1 and not state_of(app).scheduler.pending
    assert state_of(app).store.entries() == 2


def test_replayed_response_is_refused_even_signed_again_later(
    app: Flask, client: FlaskClient, clock: Clock, runner: RecordingRunner
) -> None:
    assert post_form(client, payload()).status_code == 200
    assert wait_for(lambda: runner.calls == 1)
    clock.value = NOW + 3 * 24 * 3600  # days later, far outside the signature window
    r = post_form(client, payload(), timestamp=clock.value)
    assert r.status_code == 409
    assert r.json == {
        "error": "risposta_ripetuta",
        "messaggio": "Questa risposta del modulo è già stata ricevuta: non viene elaborata di nuovo.",
    }
    time.sleep(0.2)
    assert runner.calls == 1 and state_of(app).store.entries() == 2


def test_an_edited_response_is_a_new_submission(client: FlaskClient) -> None:
    # Google Forms keeps the response id of an edited answer and moves its time
    assert post_form(client, payload()).status_code == 200
    r = post_form(client, payload(submitted_at="2024-04-03T09:15:00.000Z"), timestamp=NOW + 10)
    assert r.status_code == 200


def test_replay_protection_survives_a_restart(make_app: Callable[..., Flask], clock: Clock) -> None:
    first = make_app()
    assert post_form(first.test_client(), payload()).status_code == 200
    state_of(first).scheduler.shutdown()
    second = make_app()  # same instance folder, a new process in real life
    assert post_form(second.test_client(), payload()).status_code == 409
    clock.value = NOW + 60
    assert (
        post_form(second.test_client(), payload(), timestamp=clock.value).json["error"] == "risposta_ripetuta"
    )


def test_store_is_bounded_and_forgets_expired_entries(tmp_path: Path) -> None:
    store = InstanceStore(tmp_path, max_entries=10, response_ttl_s=3600)
    for i in range(20):
        assert store.claim(f"sig{i}", f"resp{i}", now=1000.0 + i) is None
    store.prune(now=1100.0)
    assert (store.entries("response"), store.entries("signature")) == (10, 20)  # live signatures are kept
    assert store.claim("sig19", "new", now=1101.0) == "signature"
    assert store.claim("new", "resp19", now=1101.0) == "response"
    assert store.claim("new", "resp0", now=1101.0) is None  # the oldest ids were dropped
    store.prune(now=1101.0 + 3600)  # every response id and signature expired
    assert store.entries() == 0
    assert store.claim("sig19", "resp19", now=1000.0 + 3600 + 101) is None


def test_other_routes_answer_json_errors(client: FlaskClient) -> None:
    r = client.get("/hooks/form")
    assert (r.status_code, r.json) == (
        405,
        {"error": "metodo_non_ammesso", "messaggio": _message("metodo_non_ammesso")},
    )
    r = client.get("/nowhere")
    assert (r.status_code, r.json) == (404, {"error": "non_trovato", "messaggio": "Indirizzo non trovato."})


# -- scheduling -------------------------------------------------------------------------------------------------


def test_a_burst_coalesces_into_few_non_overlapping_syncs(make_app: Callable[..., Flask]) -> None:
    slow = RecordingRunner(duration_s=0.05)
    app = make_app(runner=slow, debounce_s=0.05, max_delay_s=0.3)
    st = state_of(app)
    last_request = [0.0]
    original = st.scheduler.request

    def recording_request(trigger: str) -> None:
        last_request[0] = max(last_request[0], time.monotonic())  # taken before the request is recorded
        original(trigger)

    st.scheduler.request = recording_request  # type: ignore[method-assign]
    errors: list[int] = []

    def submit(worker: int) -> None:
        client = app.test_client()
        for i in range(10):
            r = post_form(client, payload(f"burst-{worker}-{i}"))
            if r.status_code != 200:
                errors.append(r.status_code)

    threads = [threading.Thread(target=submit, args=(w,)) for w in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert st.scheduler.wait_idle(10)
    assert 1 <= slow.calls <= 8, slow.calls  # 50 submissions, a handful of syncs
    assert not slow.overlapping()
    assert max(start for start, _, _ in slow.runs) >= last_request[0]


def test_a_submission_during_a_sync_gets_a_sync_that_starts_after_it(tmp_path: Path) -> None:
    slow = RecordingRunner(duration_s=0.3)
    scheduler = SyncScheduler(slow, tmp_path / "sync.lock", debounce_s=0.01, max_delay_s=0.1)
    try:
        scheduler.request("modulo")
        assert wait_for(lambda: scheduler.running)
        during = time.monotonic()
        scheduler.request("modulo")
        assert scheduler.wait_idle(5)
        assert slow.calls == 2
        assert slow.runs[1][0] >= during
        assert not slow.overlapping()
    finally:
        assert scheduler.shutdown(5)


def test_debounce_and_max_delay(tmp_path: Path) -> None:
    fast = RecordingRunner()
    scheduler = SyncScheduler(fast, tmp_path / "sync.lock", debounce_s=0.2, max_delay_s=0.5)
    try:
        scheduler.request("modulo")
        time.sleep(0.1)
        assert fast.calls == 0  # still waiting for quiet
        end = time.monotonic() + 1.3
        while time.monotonic() < end:  # never quiet for 0.2 s: max_delay forces syncs
            scheduler.request("modulo")
            time.sleep(0.05)
        assert 2 <= fast.calls <= 4, fast.calls
        assert scheduler.wait_idle(2)
    finally:
        scheduler.shutdown(5)


def test_syncs_keep_a_minimum_interval_across_processes(tmp_path: Path) -> None:
    fast = RecordingRunner()
    a = SyncScheduler(
        fast, tmp_path / "sync.lock", store=InstanceStore(tmp_path), debounce_s=0.01, min_interval_s=0.4
    )
    b = SyncScheduler(
        fast, tmp_path / "sync.lock", store=InstanceStore(tmp_path), debounce_s=0.01, min_interval_s=0.4
    )
    try:
        a.request("modulo")
        assert wait_for(lambda: fast.calls == 1)
        b.request("modulo")  # another worker, right after: it waits for the interval, then runs
        assert wait_for(lambda: fast.calls == 2)
        starts = [start for start, _, _ in fast.runs]
        assert starts[1] - starts[0] >= 0.35
        assert a.wait_idle(2) and b.wait_idle(2)
    finally:
        a.shutdown(5)
        b.shutdown(5)


def test_two_processes_never_sync_at_once(tmp_path: Path) -> None:
    """Two schedulers (two gunicorn workers) on one lock file: their syncs never overlap."""
    slow = RecordingRunner(duration_s=0.05)
    store = InstanceStore(tmp_path)
    a = SyncScheduler(slow, tmp_path / "sync.lock", store=store, debounce_s=0.01, max_delay_s=0.05)
    b = SyncScheduler(
        slow, tmp_path / "sync.lock", store=InstanceStore(tmp_path), debounce_s=0.01, max_delay_s=0.05
    )
    try:
        for _ in range(20):
            a.request("modulo")
            b.request("modulo")
            time.sleep(0.02)
        assert a.wait_idle(5) and b.wait_idle(5)
        assert slow.calls >= 2
        assert not slow.overlapping()
        assert store.get("syncs_run") == slow.calls
    finally:
        a.shutdown(5)
        b.shutdown(5)


def test_a_request_covered_by_another_process_sync_is_skipped(tmp_path: Path) -> None:
    runner = RecordingRunner()
    store = InstanceStore(tmp_path)
    scheduler = SyncScheduler(runner, tmp_path / "sync.lock", store=store, debounce_s=0.2, max_delay_s=1)
    try:
        scheduler.request("modulo")
        # another worker started a sync after our request, and it succeeded
        store.set(last_sync_started_at=time.time() + 0.1, last_ok_sync_started_at=time.time() + 0.1)
        assert scheduler.wait_idle(5)
        assert runner.calls == 0 and scheduler.skipped == 1
        time.sleep(0.2)
        scheduler.request("modulo")
        store.set(last_sync_started_at=time.time() + 0.1)  # a later sync that failed covers nothing
        assert wait_for(lambda: runner.calls == 1)
        assert scheduler.skipped == 1
    finally:
        scheduler.shutdown(5)


def test_temporary_failures_are_retried_a_few_times(tmp_path: Path) -> None:
    flaky = RecordingRunner(fail=[TransientError("quota"), TransientError("quota")])
    scheduler = SyncScheduler(
        flaky, tmp_path / "sync.lock", debounce_s=0.01, retry_delay_s=0.05, max_retries=3
    )
    try:
        scheduler.request("modulo")
        assert wait_for(lambda: flaky.calls == 3)
        assert scheduler.wait_idle(2)
        assert scheduler.last_error == ""
    finally:
        scheduler.shutdown(5)


def test_configuration_errors_are_not_retried_and_the_scheduler_survives_bugs(tmp_path: Path) -> None:
    broken = RecordingRunner(fail=[ConfigError("manca la scheda"), KeyError("x")])
    scheduler = SyncScheduler(broken, tmp_path / "sync.lock", debounce_s=0.01, retry_delay_s=0.01)
    try:
        scheduler.request("modulo")
        assert wait_for(lambda: broken.calls == 1)
        assert scheduler.wait_idle(2)
        # the failed run's message is recorded just after the run returns: waited for, not raced
        assert wait_for(lambda: scheduler.last_error == "manca la scheda")
        scheduler.request("modulo")
        assert wait_for(lambda: broken.calls == 2)
        scheduler.request("modulo")
        assert wait_for(lambda: broken.calls == 3)
        assert scheduler.wait_idle(2) and scheduler.last_error == ""
    finally:
        scheduler.shutdown(5)


def test_shutdown_stops_cleanly_and_ignores_later_requests(tmp_path: Path) -> None:
    slow = RecordingRunner(duration_s=0.2)
    scheduler = SyncScheduler(slow, tmp_path / "sync.lock", debounce_s=0.01)
    scheduler.request("modulo")
    assert wait_for(lambda: scheduler.running)
    started = time.monotonic()
    assert scheduler.shutdown(timeout=5)  # waits for the running sync
    assert time.monotonic() - started < 1
    scheduler.request("modulo")
    time.sleep(0.1)
    assert slow.calls == 1


# -- /tasks/sync --------------------------------------------------------------------------------------------------


def test_task_sync_refuses_without_credentials(
    app: Flask, client: FlaskClient, runner: RecordingRunner
) -> None:
    expected = {
        "error": "attivita_non_autorizzata",
        "messaggio": "Richiesta non autorizzata: serve l'intestazione X-Appengine-Cron di App Engine o un "
        "token (Authorization: Bearer).",
    }
    for r in (
        client.get("/tasks/sync"),
        client.get("/tasks/sync", headers={"X-Appengine-Cron": "true"}),  # not on App Engine: not trusted
        client.post("/tasks/sync", headers={"Authorization": "Bearer wrong"}),
        client.post("/tasks/sync", headers={"Authorization": f"Basic {TOKEN}"}),
    ):
        assert (r.status_code, r.json) == (401, expected)
    assert runner.calls == 0


def test_task_sync_with_bearer_token_runs_now(client: FlaskClient, runner: RecordingRunner) -> None:
    r = client.post("/tasks/sync", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200
    assert r.json["trigger"] == "richiesta"
    assert (r.json["responses"], r.json["accepted"], r.json["rejected"]) == (3, 2, 1)
    assert runner.calls == 1


def test_cron_header_is_trusted_on_app_engine(
    make_app: Callable[..., Flask], runner: RecordingRunner
) -> None:
    app = make_app(trust_cron_header=None, environ={"GAE_ENV": "standard"})
    r = app.test_client().get("/tasks/sync", headers={"X-Appengine-Cron": "true"})
    assert r.status_code == 200 and r.json["trigger"] == "cron"
    status = app.test_client().get("/status").json
    assert status["syncs_run"] == 1 and status["last_sync_outcome"] == "ok"
    assert status["last_report"]["trigger"] == "cron"


@pytest.mark.parametrize(
    ("error", "status", "code", "message"),
    [
        (
            TransientError("quota superata."),
            503,
            "errore_temporaneo",
            "Sincronizzazione non riuscita per un errore temporaneo: quota superata. Riprovare tra qualche minuto.",
        ),
        (
            LockedError("il file elenco-interno.xlsx è aperto."),
            409,
            "file_aperto",
            "Sincronizzazione non eseguita: il file elenco-interno.xlsx è aperto.",
        ),
        (
            ConfigError("manca la scheda «Risposte del modulo 1»."),
            500,
            "errore_configurazione",
            "Sincronizzazione non riuscita: manca la scheda «Risposte del modulo 1».",
        ),
    ],
)
def test_task_sync_errors(
    make_app: Callable[..., Flask], error: Exception, status: int, code: str, message: str
) -> None:
    app = make_app(runner=RecordingRunner(fail=[error]))
    r = app.test_client().get("/tasks/sync", headers={"Authorization": f"Bearer {TOKEN}"})
    assert (r.status_code, r.json) == (status, {"error": code, "messaggio": message})


def test_task_sync_waits_for_a_running_sync(make_app: Callable[..., Flask]) -> None:
    slow = RecordingRunner(duration_s=0.3)
    app = make_app(runner=slow, debounce_s=0.01)
    client = app.test_client()
    assert post_form(client, payload()).status_code == 200
    assert wait_for(lambda: state_of(app).scheduler.running)
    r = client.get("/tasks/sync", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200
    assert slow.calls == 2 and not slow.overlapping()


# -- /hooks/pubsub --------------------------------------------------------------------------------------------------


ENVELOPE = {
    "message": {
        "attributes": {"eventType": "RESPONSES", "formId": "18Xgmr4X", "watchId": "w-1"},
        "messageId": "767467004397",
        "publishTime": "2024-04-03T09:09:14.285Z",
    },
    "subscription": "projects/elenco-test/subscriptions/forms-push",
}


def test_pubsub_with_a_valid_token_schedules_a_sync(
    client: FlaskClient, runner: RecordingRunner, google_keys: dict[str, Any], certs: CertsTransport
) -> None:
    token = make_token(google_keys["key"])
    r = client.post("/hooks/pubsub", json=ENVELOPE, headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json) == (200, {"esito": "sincronizzazione programmata"})
    assert wait_for(lambda: runner.calls == 1)
    assert runner.runs[0][2] == "pubsub"
    r = client.post("/hooks/pubsub", json=ENVELOPE, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert certs.calls == [CERTS_URL]  # the certificates are cached


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "wrong_audience",
        "wrong_email",
        "email_not_verified",
        "wrong_issuer",
        "bad_signature",
        "garbage",
        "missing",
        "basic_scheme",
    ],
)
def test_pubsub_refuses_bad_tokens(
    client: FlaskClient, runner: RecordingRunner, google_keys: dict[str, Any], case: str
) -> None:
    key = google_keys["key"]
    now = int(time.time())
    token = {
        "expired": lambda: make_token(key, iat=now - 7200, exp=now - 3600),
        "wrong_audience": lambda: make_token(key, aud="https://someone-else.example.com/push"),
        "wrong_email": lambda: make_token(key, email="attacker@elenco-test.iam.gserviceaccount.com"),
        "email_not_verified": lambda: make_token(key, email_verified=False),
        "wrong_issuer": lambda: make_token(key, iss="https://evil.example.com"),
        "bad_signature": lambda: make_token(google_keys["impostor"]),
        "garbage": lambda: "not.a.jwt",
        "missing": lambda: "",
        "basic_scheme": lambda: make_token(key),
    }[case]()
    scheme = "Basic" if case == "basic_scheme" else "Bearer"
    headers = {"Authorization": f"{scheme} {token}"} if token else {}
    r = client.post("/hooks/pubsub", json=ENVELOPE, headers=headers)
    assert (r.status_code, r.json) == (
        401,
        {
            "error": "pubsub_non_autorizzato",
            "messaggio": ("Notifica Pub/Sub non autorizzata: token OIDC mancante o non valido."),
        },
    )
    time.sleep(0.1)
    assert runner.calls == 0 and not state_of(client.application).scheduler.pending


def test_pubsub_not_configured_refuses(make_app: Callable[..., Flask], google_keys: dict[str, Any]) -> None:
    app = make_app(pubsub_audience="", pubsub_service_account="")
    r = app.test_client().post(
        "/hooks/pubsub", json=ENVELOPE, headers={"Authorization": f"Bearer {make_token(google_keys['key'])}"}
    )
    assert r.status_code == 401 and r.json["error"] == "pubsub_non_configurato"


def test_pubsub_malformed_envelope(client: FlaskClient, google_keys: dict[str, Any]) -> None:
    r = client.post(
        "/hooks/pubsub", json=["x"], headers={"Authorization": f"Bearer {make_token(google_keys['key'])}"}
    )
    assert (r.status_code, r.json["error"]) == (400, "pubsub_non_valido")


def test_certificate_cache_honours_max_age_and_ttl() -> None:
    inner = CertsTransport({"k1": "cert"})
    now = [0.0]
    cached = CachingRequest(inner, default_ttl_s=100, clock=lambda: now[0])
    for _ in range(3):
        assert cached(CERTS_URL).status == 200
    assert len(inner.calls) == 1
    now[0] = 101  # Google's max-age is 6 h; ours is capped at the TTL
    cached(CERTS_URL)
    assert len(inner.calls) == 2
    cached("https://example.invalid/other")  # a 404 is not cached
    cached("https://example.invalid/other")
    assert len(inner.calls) == 4


# -- start-up configuration -----------------------------------------------------------------------------------------


def test_missing_secret_stops_the_app_at_start(tmp_path: Path, crema: Settings) -> None:
    with pytest.raises(ConfigError) as err:
        build_app(crema, environ={}, instance_path=tmp_path)
    assert str(err.value) == (
        "Manca la chiave segreta del webhook: impostare la variabile d'ambiente ELENCO_WEBHOOK_SECRET (almeno 32 "
        'caratteri, ad esempio generata con: python -c "import secrets; print(secrets.token_hex(32))").'
    )


def test_short_secret_stops_the_app_at_start(tmp_path: Path, crema: Settings) -> None:
    with pytest.raises(ConfigError) as err:
        build_app(crema, environ={"ELENCO_WEBHOOK_SECRET": "short"}, instance_path=tmp_path)
    assert str(err.value) == (
        "La chiave segreta del webhook (ELENCO_WEBHOOK_SECRET) è troppo corta: servono almeno 32 caratteri ASCII. "
        'Generarne una con: python -c "import secrets; print(secrets.token_hex(32))"'
    )
    assert "short" not in str(err.value)
    with pytest.raises(ConfigError, match="solo caratteri ASCII"):
        build_app(crema, secret="è" * 40, environ={}, instance_path=tmp_path)


def test_missing_configuration_and_short_task_token(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        build_app(environ={"ELENCO_WEBHOOK_SECRET": SECRET}, instance_path=tmp_path)
    assert str(err.value) == (
        "Manca la configurazione: impostare la variabile d'ambiente ELENCO_CONFIG con il percorso del file "
        "elenco.yaml (o il nome di un preset: crema, cremonese, cernusco)."
    )
    with pytest.raises(ConfigError, match="ELENCO_TASK_TOKEN"):
        build_app(
            environ={"ELENCO_WEBHOOK_SECRET": SECRET, "ELENCO_CONFIG": "crema", "ELENCO_TASK_TOKEN": "abc"},
            instance_path=tmp_path,
        )


def test_everything_from_the_environment(tmp_path: Path) -> None:
    app = build_app(
        environ={
            "ELENCO_WEBHOOK_SECRET": SECRET,
            "ELENCO_CONFIG": "cremonese",
            "ELENCO_INSTANCE_DIR": str(tmp_path / "i"),
            "ELENCO_TASK_TOKEN": TOKEN,
            "ELENCO_PUBSUB_AUDIENCE": AUDIENCE,
            "ELENCO_PUBSUB_SERVICE_ACCOUNT": PUSH_SA,
            "ELENCO_DEBOUNCE_S": "0.5",
            "ELENCO_MAX_DELAY_S": "10",
            "ELENCO_MIN_INTERVAL_S": "5",
            "ELENCO_TRUST_CRON_HEADER": "1",
        }
    )
    st = state_of(app)
    assert st.config.settings.ambito.code == "cremonese"
    assert (st.config.task_token, st.config.pubsub_audience, st.config.pubsub_service_account) == (TOKEN, AUDIENCE, PUSH_SA)
    assert (st.scheduler.debounce_s, st.scheduler.max_delay_s, st.scheduler.min_interval_s) == (
        0.5,
        10.0,
        5.0,
    )
    assert st.config.trust_cron_header is True
    assert st.instance_path == tmp_path / "i" and (tmp_path / "i" / "webhook.sqlite3").exists()
    with pytest.raises(ConfigError, match="ELENCO_DEBOUNCE_S deve essere un numero"):
        build_app(
            environ={"ELENCO_WEBHOOK_SECRET": SECRET, "ELENCO_CONFIG": "crema", "ELENCO_DEBOUNCE_S": "due"},
            instance_path=tmp_path,
        )


class FakeSecretManager:
    """An object with `.get(url, timeout)` answering like the Secret Manager REST API."""

    def __init__(self, status: int, value: str = "") -> None:
        self.status_code = status
        self.value = value
        self.urls: list[str] = []

    def get(self, url: str, timeout: float) -> FakeSecretManager:
        self.urls.append(url)
        return self

    def json(self) -> dict[str, Any]:
        return {"name": "x", "payload": {"data": base64.b64encode(self.value.encode()).decode()}}


def test_secret_from_secret_manager(tmp_path: Path, crema: Settings) -> None:
    api = FakeSecretManager(200, SECRET)
    resource = "projects/elenco-test/secrets/elenco-webhook-secret/versions/latest"
    app = build_app(
        crema,
        environ={"ELENCO_WEBHOOK_SECRET_RESOURCE": resource},
        instance_path=tmp_path,
        secret_session=lambda: api,
    )
    assert state_of(app).config.secret == SECRET
    assert api.urls == [f"https://secretmanager.googleapis.com/v1/{resource}:access"]
    with pytest.raises(ConfigError) as err:
        build_app(
            crema,
            environ={"ELENCO_WEBHOOK_SECRET_RESOURCE": resource},
            instance_path=tmp_path,
            secret_session=lambda: FakeSecretManager(403),
        )
    assert str(err.value).startswith(
        f"Impossibile leggere il segreto {resource} da Secret Manager (HTTP 403)"
    )


# -- status and logs ----------------------------------------------------------------------------------------------


PERSONAL = (
    "info@ilvolo.it",
    "Il Volo",
    "91910830198",
    "Tomella",
    "0374 480361",
    "associazioneilvolo@pec.it",
    "Via Dante",
    "segreteria@ilvolo.it",
)


def test_healthz_and_status_hold_no_personal_data(
    app: Flask, client: FlaskClient, runner: RecordingRunner
) -> None:
    assert client.get("/healthz").data == b"ok"
    post_form(client, payload(respondent_email="segreteria@ilvolo.it"))
    assert wait_for(lambda: runner.calls == 1)
    assert state_of(app).scheduler.wait_idle(2)
    r = client.get("/status")
    status = r.json
    assert status["last_submission_at"] == "2024-04-03T11:09:13+02:00"
    assert status["syncs_run"] == 1 and status["last_sync_outcome"] == "ok"
    assert status["last_report"]["accepted"] == 2
    assert status["sync_pending"] is False
    text = r.get_data(as_text=True)
    assert not [p for p in PERSONAL if p in text]


def test_logs_hold_no_secret_and_no_personal_data(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture, google_keys: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG)
    app = make_app(runner=RecordingRunner(fail=[ConfigError("manca la scheda")]))
    client = app.test_client()
    token = make_token(google_keys["key"])
    post_form(client, payload(respondent_email="segreteria@ilvolo.it"))
    post_form(
        client, payload("r2", answers=answers(Informativa_privacy="", Codice_fiscale_dell_ente="91910830198"))
    )
    post_form(client, payload("r3"), secret="wrong-secret-0123456789abcdef0123456789")
    post_form(client, payload("r4", answers=answers(**{"Codice fiscale dell'ente": None})))
    post_form(client, payload())  # replay
    client.post("/hooks/pubsub", json=ENVELOPE, headers={"Authorization": f"Bearer {token}"})
    client.post("/hooks/pubsub", json=ENVELOPE, headers={"Authorization": f"Bearer {token}x"})
    client.get("/tasks/sync", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert state_of(app).scheduler.wait_idle(5)
    records = [r for r in caplog.records if r.name.startswith("elenco")]
    events = {getattr(r, "fields", {}).get("event") for r in records}
    assert {
        "start",
        "form_verdict",
        "form_refused",
        "form_config_error",
        "pubsub",
        "pubsub_refused",
        "task_refused",
        "sync_failed",
    } <= events
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in records] + [caplog.text]
    for line in lines:
        for forbidden in (SECRET, TOKEN, token, *PERSONAL):
            assert forbidden not in line
    verdicts = [
        json.loads(formatter.format(r))
        for r in records
        if getattr(r, "fields", {}).get("event") == "form_verdict"
    ]
    assert verdicts[0]["response_id"] == "2_ABaOnud1" and verdicts[0]["verdict"] == "accepted"
    assert verdicts[1]["codes"] == ["consenso_mancante"]


# -- the request path's shortcuts give the same answers -----------------------------------------------------------


def test_the_app_s_judge_gives_the_verdict_of_judge_to_the_letter(crema: Settings) -> None:
    # `Judge` maps each form header once and keeps the comuni index: every verdict, problem and field title
    # must be the one `judge` (the sync's own parse + check, from scratch) gives
    from sync.demo_data import generate, load_vocabulary
    from webhook.verdict import Judge, Submission, judge

    ambito = crema.ambito
    demo = generate(ambito, 150, vocabulary=load_vocabulary(), seed=5)
    the_judge = Judge(ambito)
    compared = codes = 0
    for i, row in enumerate(demo.rows):
        given = dict(zip(demo.header[1:], row[1:], strict=False))
        for email in ("", f"persona{i}@example.org"):  # with and without the collected-email column
            sub = Submission(f"r{i}", dt.datetime(2024, 4, 3, 11, 9, 13), given, email)
            mine, theirs = the_judge(sub), judge(sub, ambito)
            assert (mine.checked, mine.fields) == (theirs.checked, theirs.fields)
            compared += 1
            codes += len(mine.codes)
    assert compared == 2 * len(demo.rows) > 300 and codes > 50  # the demo's typos and late answers are judged, not only clean rows
    # a form that lacks a required question: the same configuration error, every time (not remembered)
    without_name = {t: v for t, v in answers().items() if t != "Denominazione dell'ente" and isinstance(v, str)}
    lacking = Submission("r", dt.datetime(2024, 4, 3, 11, 9, 13), without_name)
    with pytest.raises(ConfigError) as theirs_err:
        judge(lacking, ambito)
    for _ in range(2):
        with pytest.raises(ConfigError) as mine_err:
            the_judge(lacking)
        assert str(mine_err.value) == str(theirs_err.value)


def test_the_wsgi_entry_point_reads_the_environment(tmp_path: Path) -> None:
    from webhook.wsgi import application

    app = application({"ELENCO_WEBHOOK_SECRET": SECRET, "ELENCO_CONFIG": "crema",
                       "ELENCO_INSTANCE_DIR": str(tmp_path / "i"), "ELENCO_DEBOUNCE_S": "0.5"})
    st = state_of(app)
    assert (st.config.settings.ambito.code, st.config.secret, st.scheduler.debounce_s) == ("crema", SECRET, 0.5)
    assert st.instance_path == tmp_path / "i"
    assert st.judge.ambito is st.config.settings.ambito
    with pytest.raises(ConfigError, match="ELENCO_WEBHOOK_SECRET"):
        application({"ELENCO_CONFIG": "crema", "ELENCO_INSTANCE_DIR": str(tmp_path / "i")})


def test_a_claim_records_both_keys_or_neither(tmp_path: Path) -> None:
    store = InstanceStore(tmp_path, response_ttl_s=3600)
    assert store.claim("s1", "r1", now=1000.0) is None
    # a live response with a new signature: refused, and the new signature is not recorded
    assert store.claim("s2", "r1", now=1001.0) == "response"
    assert store.claim("s2", "r2", now=1002.0) is None
    # a live signature with a new response: refused, the new response not recorded
    assert store.claim("s2", "r3", now=1003.0) == "signature"
    assert store.claim("s3", "r3", now=1004.0) is None
    assert (store.entries("signature"), store.entries("response")) == (3, 3)
    # expired keys are claimed again, both at once
    assert store.claim("s1", "r1", now=1000.0 + 3600 + 1) is None
    assert store.get("last_submission_at") == 1000.0 + 3600 + 1
