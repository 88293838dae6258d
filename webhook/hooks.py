"""`POST /hooks/form` (signed submission → verdict at once) and `POST /hooks/pubsub` (Forms API watch)."""

from __future__ import annotations

import json
import logging
import time

from flask import Blueprint, Response, jsonify, request

from sync.errors import ConfigError
from webhook import labels
from webhook.auth import AuthError, bearer_token, verify_pubsub_token, verify_signature
from webhook.context import WebhookState, current, refuse
from webhook.logs import LOGGER, log_fields
from webhook.verdict import Submission, SubmissionError, Verdict, parse_submission, verdict_json

MAX_BODY = 256 * 1024
TIMESTAMP_HEADER = "X-Elenco-Timestamp"
SIGNATURE_HEADER = "X-Elenco-Signature"

log = logging.getLogger(f"{LOGGER}.webhook")
bp = Blueprint("hooks", __name__)
# the text `jsonify` writes with the app's settings (ensure_ascii and sort_keys off, compact), from one encoder
# made once: `jsonify` builds a new one for every answer
_ANSWER_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class Refusal(Exception):
    """A request refused with an HTTP status and an error code (`labels.ERRORS`)."""

    def __init__(self, status: int, code: str, response_id: str = "", **params: str) -> None:
        super().__init__(code)
        self.status, self.code, self.response_id, self.params = status, code, response_id, params


def _signed_body(st: WebhookState) -> tuple[bytes, str]:
    """The body and its verified signature, or a `Refusal` (size, type, headers, signature)."""
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise Refusal(413, "richiesta_troppo_grande")
    if request.mimetype != "application/json":
        raise Refusal(415, "non_json")
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    signature = request.headers.get(SIGNATURE_HEADER)
    if not timestamp or not signature:
        raise Refusal(401, "firma_mancante")
    # the actual read is bounded too (chunked bodies have no Content-Length): werkzeug raises 413
    body = request.get_data(cache=True)
    if len(body) > MAX_BODY:
        raise Refusal(413, "richiesta_troppo_grande")
    try:
        return body, verify_signature(st.config.secret, timestamp, signature, body, st.clock())
    except AuthError as err:
        raise Refusal(401, err.code) from None


def _submission(body: bytes) -> Submission:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: arrays or objects nested thousands deep
        raise Refusal(400, "json_non_valido") from None
    try:
        return parse_submission(data)
    except SubmissionError as err:
        raise Refusal(400, "dati_non_validi", detail=str(err)) from None


def _claim(st: WebhookState, signature: str, submission: Submission) -> None:
    # an edited response keeps its id and gets a new time: it is a new submission, not a replay
    response_key = f"{submission.response_id}|{submission.submitted_at.isoformat()}"
    replay = st.store.claim(signature, response_key, st.clock())
    if replay == "signature":
        raise Refusal(409, "firma_ripetuta", submission.response_id)
    if replay == "response":
        raise Refusal(409, "risposta_ripetuta", submission.response_id)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


@bp.post("/hooks/form")
def hook_form() -> tuple[Response, int]:
    """A signed submission from the Apps Script: its verdict at once, and a sync scheduled."""
    st = current()
    started = time.perf_counter()
    try:
        body, signature = _signed_body(st)
        submission = _submission(body)
        ambito = st.judge.ambito
        try:
            verdict: Verdict = st.judge(submission)
        except ConfigError as err:
            # the form lacks a question the configuration requires: IT must fix the form or `questions`
            log.error("form lacks a required question", extra={"fields": {
                "event": "form_config_error", "status": 422, "code": "domanda_mancante",
                "response_id": submission.response_id, "detail": str(err)}})
            return refuse(422, "domanda_mancante", detail=str(err))
        _claim(st, signature, submission)
    except Refusal as no:
        log_fields(log, logging.WARNING, "form refused", {
            "event": "form_refused", "status": no.status, "code": no.code, "response_id": no.response_id,
            "duration_ms": _ms_since(started)})
        return refuse(no.status, no.code, **no.params)
    st.scheduler.request("modulo")
    answer = verdict_json(verdict, submission, ambito)
    log_fields(log, logging.INFO, "form verdict", {
        "event": "form_verdict", "status": 200, "response_id": submission.response_id,
        "verdict": verdict.status, "codes": verdict.codes, "email_applicant": answer["email_richiedente"],
        "duration_ms": _ms_since(started)})
    return Response(_ANSWER_JSON.encode(answer) + "\n", mimetype="application/json"), 200


@bp.post("/hooks/pubsub")
def hook_pubsub() -> tuple[Response, int]:
    """A Forms API watch notification pushed by Pub/Sub (OIDC token): a sync scheduled."""
    st = current()
    if not st.config.pubsub_audience or not st.config.pubsub_service_account:
        log.warning("pubsub refused: not configured", extra={"fields": {
            "event": "pubsub_refused", "status": 401, "code": "pubsub_non_configurato"}})
        return refuse(401, "pubsub_non_configurato")
    try:
        verify_pubsub_token(bearer_token(request.headers.get("Authorization")), st.certs_request,
                            st.config.pubsub_audience, st.config.pubsub_service_account)
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
    return jsonify(esito=labels.PUBSUB_SCHEDULED), 200
