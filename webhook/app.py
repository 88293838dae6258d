"""The Flask app: routes only translate HTTP ↔ the core (`webhook.verdict`) and the sync (`run_sync`).

    POST /hooks/form     signed submission from the Apps Script → verdict at once (200), a sync scheduled
    POST /hooks/pubsub   Forms API watch notification via Pub/Sub push (OIDC) → a sync scheduled
    GET|POST /tasks/sync App Engine cron (X-Appengine-Cron) or bearer token → one sync now, its report
    GET /healthz         "ok"
    GET /status          the last sync's figures and the time of the last submission (no personal data)

Every refusal answers `{"error": code, "messaggio": Italian text}` and changes nothing: nothing is stored,
nothing is scheduled. Status codes: 400 malformed body, 401 unsigned / bad / stale / future signature or
token, 409 replayed signature or response (and a sync refused because a file is open in LibreOffice),
413 body over 256 KB, 415 not JSON, 422 the form lacks a question the configuration requires (a
configuration problem, not the applicant's), 503 a temporary failure of the sync (App Engine cron retries
503), 500 any other configuration error of the sync (logged, with the Italian message in the body).

Configuration (environment): ELENCO_CONFIG (path of elenco.yaml, or a preset name), ELENCO_WEBHOOK_SECRET
(or ELENCO_WEBHOOK_SECRET_RESOURCE, see `webhook.secret_source`), ELENCO_INSTANCE_DIR, ELENCO_TASK_TOKEN,
ELENCO_TRUST_CRON_HEADER, ELENCO_PUBSUB_AUDIENCE, ELENCO_PUBSUB_SERVICE_ACCOUNT, ELENCO_DEBOUNCE_S,
ELENCO_MAX_DELAY_S, ELENCO_MIN_INTERVAL_S. On App Engine (GAE_ENV=standard) the X-Appengine-Cron header is trusted: App Engine
removes X-Appengine-* headers from requests that come from outside, so only its cron service can set it.
"""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from sync.config import Settings, load_settings
from sync.errors import ConfigError, LockedError, TransientError
from sync.model import Report
from webhook import labels
from webhook.auth import (
    AuthError,
    CachingRequest,
    bearer_token,
    default_certs_request,
    token_matches,
    verify_pubsub_token,
    verify_signature,
)
from webhook.logs import LOGGER, configure_logging
from webhook.scheduler import SyncRunner, SyncScheduler
from webhook.secret_source import SessionFactory, read_secret
from webhook.store import InstanceStore
from webhook.verdict import ROME, SubmissionError, judge, parse_submission, verdict_json

MAX_BODY = 256 * 1024
EXTENSION = "elenco"
TIMESTAMP_HEADER = "X-Elenco-Timestamp"
SIGNATURE_HEADER = "X-Elenco-Signature"
CRON_HEADER = "X-Appengine-Cron"
_TRUE = {"1", "true", "yes", "si", "sì"}

log = logging.getLogger(f"{LOGGER}.webhook")


@dataclass
class WebhookState:
    """What the routes share; one per app (`app.extensions["elenco"]`)."""

    settings: Settings
    secret: str
    store: InstanceStore
    scheduler: SyncScheduler
    clock: Callable[[], float]
    certs_request: Callable[..., Any]
    pubsub_audience: str
    pubsub_service_account: str
    task_token: str
    trust_cron_header: bool
    instance_path: Path


def production_runner(settings: Settings) -> SyncRunner:
    """The real sync: `run_sync` on the configured backend, at the current Italian time."""

    def run(trigger: str) -> Report:
        from sync.cli import now_local, open_backend
        from sync.pipeline import run_sync

        return run_sync(open_backend(settings), settings, now_local(), trigger=trigger).report

    return run


def state_of(app: Flask) -> WebhookState:
    """The webhook state of an app made by `create_app`."""
    state: WebhookState = app.extensions[EXTENSION]
    return state


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(labels.NUMBER_SETTING.format(name=name, value=raw)) from None


def _check_secret(secret: str) -> str:
    if not secret:
        raise ConfigError(labels.SECRET_MISSING)
    if not all(" " < ch <= "~" for ch in secret):
        raise ConfigError(labels.SECRET_NOT_ASCII)
    if len(secret) < labels.MIN_SECRET_LENGTH:
        raise ConfigError(labels.SECRET_TOO_SHORT)
    return secret


def _instance_dir(explicit: str | Path | None, environ: Mapping[str, str], app: Flask) -> Path:
    if explicit is not None:
        return Path(explicit)
    if environ.get("ELENCO_INSTANCE_DIR"):
        return Path(environ["ELENCO_INSTANCE_DIR"])
    if environ.get("GAE_ENV", "").startswith("standard"):
        return Path("/tmp/elenco")  # the only writable folder on App Engine standard (in memory)
    return Path(app.instance_path)


def create_app(
    settings: Settings | None = None,
    *,
    secret: str | None = None,
    runner: SyncRunner | None = None,
    clock: Callable[[], float] | None = None,
    instance_path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    certs_request: Callable[..., Any] | None = None,
    pubsub_audience: str | None = None,
    pubsub_service_account: str | None = None,
    task_token: str | None = None,
    trust_cron_header: bool | None = None,
    debounce_s: float | None = None,
    max_delay_s: float | None = None,
    min_interval_s: float | None = None,
    secret_session: SessionFactory | None = None,
) -> Flask:
    """Build the webhook app; every argument left out comes from the environment (module docstring)."""
    env = os.environ if environ is None else environ
    configure_logging()
    secret = _check_secret(secret if secret is not None else read_secret(
        "ELENCO_WEBHOOK_SECRET", env, session=secret_session))
    if settings is None:
        config = env.get("ELENCO_CONFIG", "").strip()
        if not config:
            raise ConfigError(labels.CONFIG_MISSING)
        settings = load_settings(config)
    token = task_token if task_token is not None else read_secret("ELENCO_TASK_TOKEN", env, session=secret_session)
    if token and len(token) < labels.MIN_SECRET_LENGTH:
        raise ConfigError(labels.TOKEN_TOO_SHORT)
    if trust_cron_header is None:
        trust_cron_header = (env.get("GAE_ENV", "").startswith("standard")
                             or env.get("ELENCO_TRUST_CRON_HEADER", "").strip().lower() in _TRUE)

    app = Flask(__name__, instance_relative_config=False)
    # one byte over the limit: a chunked body (no Content-Length) is then read up to MAX_BODY + 1 bytes and
    # refused with 413 below, instead of being cut at MAX_BODY and failing its signature (401)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY + 1
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    folder = _instance_dir(instance_path, env, app)
    store = InstanceStore(folder)
    scheduler = SyncScheduler(
        runner or production_runner(settings),
        folder / "sync.lock",
        store=store,
        debounce_s=debounce_s if debounce_s is not None else _number(env, "ELENCO_DEBOUNCE_S", 2.0),
        max_delay_s=max_delay_s if max_delay_s is not None else _number(env, "ELENCO_MAX_DELAY_S", 30.0),
        # at most 6 syncs a minute from submissions (≈ 4 Sheets API requests each): under the 60/min quota
        min_interval_s=(min_interval_s if min_interval_s is not None
                        else _number(env, "ELENCO_MIN_INTERVAL_S", 10.0)),
    )
    app.extensions[EXTENSION] = WebhookState(
        settings=settings,
        secret=secret,
        store=store,
        scheduler=scheduler,
        clock=clock or time.time,
        certs_request=CachingRequest(certs_request) if certs_request else default_certs_request(),
        pubsub_audience=pubsub_audience if pubsub_audience is not None else env.get("ELENCO_PUBSUB_AUDIENCE", ""),
        pubsub_service_account=(pubsub_service_account if pubsub_service_account is not None
                                else env.get("ELENCO_PUBSUB_SERVICE_ACCOUNT", "")),
        task_token=token,
        trust_cron_header=trust_cron_header,
        instance_path=folder,
    )
    _register(app)
    log.info("webhook ready", extra={"fields": {
        "event": "start", "ambito": settings.ambito.code, "backend": settings.backend.kind,
        "trust_cron_header": trust_cron_header, "pubsub": bool(app.extensions[EXTENSION].pubsub_audience),
        "task_token": bool(token)}})
    return app


def refuse(status: int, code: str, **params: str) -> tuple[Response, int]:
    """A JSON refusal with its Italian message."""
    message = labels.ERRORS[code].format(**params) if params else labels.ERRORS[code]
    return jsonify(error=code, messaggio=message), status


def _iso(wall: Any) -> str | None:
    if not isinstance(wall, int | float) or not wall:
        return None
    return datetime.fromtimestamp(float(wall), ROME).isoformat(timespec="seconds")


def _register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> tuple[Response, int]:
        status = err.code or 500
        code = {404: "non_trovato", 405: "metodo_non_ammesso", 413: "richiesta_troppo_grande"}.get(
            status, "errore_http")
        return refuse(status, code)

    @app.errorhandler(Exception)
    def unexpected(err: Exception) -> tuple[Response, int]:
        # type and frames only: the exception's message may quote the submitted answers
        log.error("unexpected error", extra={"fields": {
            "event": "error", "path": request.path, "error": type(err).__name__,
            "frames": traceback.format_tb(err.__traceback__)}})
        return refuse(500, "errore_interno")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok", mimetype="text/plain")

    @app.get("/status")
    def status() -> Response:
        st = state_of(app)
        saved = st.store.status()
        return jsonify(
            ambito=st.settings.ambito.code,
            last_submission_at=_iso(saved.get("last_submission_at")),
            last_sync_at=_iso(saved.get("last_sync_at")),
            last_sync_outcome=saved.get("last_sync_outcome"),
            last_sync_detail=saved.get("last_sync_detail", ""),
            last_report=saved.get("last_report"),
            syncs_run=saved.get("syncs_run", 0),
            sync_pending=st.scheduler.pending,
            sync_running=st.scheduler.running,
        )

    @app.post("/hooks/form")
    def hook_form() -> tuple[Response, int]:
        st = state_of(app)
        started = time.perf_counter()

        def refused(status: int, code: str, response_id: str = "", **params: str) -> tuple[Response, int]:
            log.warning("form refused", extra={"fields": {
                "event": "form_refused", "status": status, "code": code, "response_id": response_id,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)}})
            return refuse(status, code, **params)

        length = request.content_length
        if length is not None and length > MAX_BODY:
            return refused(413, "richiesta_troppo_grande")
        if request.mimetype != "application/json":
            return refused(415, "non_json")
        timestamp = request.headers.get(TIMESTAMP_HEADER)
        signature = request.headers.get(SIGNATURE_HEADER)
        if not timestamp or not signature:
            return refused(401, "firma_mancante")
        # the actual read is bounded too (chunked bodies have no Content-Length): werkzeug raises 413
        body = request.get_data(cache=True)
        if len(body) > MAX_BODY:
            return refused(413, "richiesta_troppo_grande")
        try:
            signature = verify_signature(st.secret, timestamp, signature, body, st.clock())
        except AuthError as err:
            return refused(401, err.code)
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: arrays or objects nested thousands deep
            return refused(400, "json_non_valido")
        try:
            submission = parse_submission(data)
        except SubmissionError as err:
            return refused(400, "dati_non_validi", detail=str(err))
        ambito = st.settings.ambito
        try:
            verdict = judge(submission, ambito)
        except ConfigError as err:
            # the form lacks a question the configuration requires: IT must fix the form or `questions`
            log.error("form lacks a required question", extra={"fields": {
                "event": "form_config_error", "status": 422, "code": "domanda_mancante",
                "response_id": submission.response_id, "detail": str(err)}})
            return refuse(422, "domanda_mancante", detail=str(err))
        # an edited response keeps its id and gets a new time: it is a new submission, not a replay
        response_key = f"{submission.response_id}|{submission.submitted_at.isoformat()}"
        replay = st.store.claim(signature, response_key, st.clock())
        if replay == "signature":
            return refused(409, "firma_ripetuta", submission.response_id)
        if replay == "response":
            return refused(409, "risposta_ripetuta", submission.response_id)
        st.scheduler.request("modulo")
        answer = verdict_json(verdict, submission, ambito)
        log.info("form verdict", extra={"fields": {
            "event": "form_verdict", "status": 200, "response_id": submission.response_id,
            "verdict": verdict.status, "codes": verdict.codes, "email_applicant": answer["email_richiedente"],
            "duration_ms": round((time.perf_counter() - started) * 1000, 2)}})
        return jsonify(answer), 200

    @app.post("/hooks/pubsub")
    def hook_pubsub() -> tuple[Response, int]:
        st = state_of(app)
        if not st.pubsub_audience or not st.pubsub_service_account:
            log.warning("pubsub refused: not configured", extra={"fields": {
                "event": "pubsub_refused", "status": 401, "code": "pubsub_non_configurato"}})
            return refuse(401, "pubsub_non_configurato")
        try:
            verify_pubsub_token(bearer_token(request.headers.get("Authorization")), st.certs_request,
                                st.pubsub_audience, st.pubsub_service_account)
        except AuthError as err:
            log.warning("pubsub refused", extra={"fields": {
                "event": "pubsub_refused", "status": 401, "code": err.code}})
            return refuse(401, err.code)
        envelope = request.get_json(silent=True)
        message = envelope.get("message") if isinstance(envelope, dict) else None
        if not isinstance(message, dict):
            return refuse(400, "pubsub_non_valido")
        attributes = message.get("attributes")
        attributes = attributes if isinstance(attributes, dict) else {}
        # a notification carries no response data: the sync reads the sheet (at-least-once delivery is
        # harmless, the requests coalesce)
        st.scheduler.request("pubsub")
        log.info("pubsub notification", extra={"fields": {
            "event": "pubsub", "status": 200, "message_id": str(message.get("messageId", ""))[:100],
            "event_type": str(attributes.get("eventType", ""))[:40]}})
        return jsonify(esito="sincronizzazione programmata"), 200

    @app.route("/tasks/sync", methods=["GET", "POST"])
    def task_sync() -> tuple[Response, int]:
        st = state_of(app)
        if st.trust_cron_header and request.headers.get(CRON_HEADER) == "true":
            trigger = "cron"
        elif token_matches(st.task_token, bearer_token(request.headers.get("Authorization"))):
            trigger = "richiesta"
        else:
            log.warning("task refused", extra={"fields": {
                "event": "task_refused", "status": 401, "code": "attivita_non_autorizzata"}})
            return refuse(401, "attivita_non_autorizzata")
        try:
            report = st.scheduler.run_now(trigger)
        except TransientError as err:
            return refuse(503, "errore_temporaneo", detail=str(err))
        except LockedError as err:
            return refuse(409, "file_aperto", detail=str(err))
        except ConfigError as err:
            log.error("task sync failed: configuration", extra={"fields": {
                "event": "task_failed", "status": 500, "detail": str(err)}})
            return refuse(500, "errore_configurazione", detail=str(err))
        return jsonify(report.model_dump(mode="json")), 200
