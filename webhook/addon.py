"""The staff menu's endpoints, called by `sheets_templates/apps_script/foglio_staff/Menu.gs`.

    POST /addon/sincronizza  one sync now → its outcome in Italian; 202 when one is already running (with when
                             its result will be in the sheets)
    POST /addon/anteprima    the dry run, by organisation (`sync.preview`): nothing is written
    POST /addon/presenze     the next meetings and their roster tabs (the script links them and their PDF)
    POST /addon/verifica     configuration, spreadsheet, tabs, the form's questions, the last sync

Requests are signed like the form's (`X-Elenco-Timestamp`, `X-Elenco-Signature: sha256=<hex HMAC-SHA256(secret,
timestamp + "." + body)>`, ±300 s) with the same secret; each signature is accepted once (409 after). Body:
`{"richiesta": a unique id, "foglio": the spreadsheet's id}`. Answers: `{"esito", "messaggio", "righe", …}`,
refusals as everywhere else (`{"error", "messaggio"}`: 401, 409, 413, 415, 503 temporary, 500 configuration).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify

from sync.backends import open_backend
from sync.config import GSheetsBackend
from sync.errors import ConfigError, LockedError, TransientError
from sync.layouts import public_specs, staff_specs
from sync.modulo import compare_header
from sync.pipeline import now_local, plan_sync, sync_now
from sync.staff_menu import Check, upcoming_meetings
from webhook import labels
from webhook.context import WebhookState, current, refuse
from webhook.hooks import Refusal, _signed_body
from webhook.logs import LOGGER

log = logging.getLogger(f"{LOGGER}.addon")
bp = Blueprint("addon", __name__, url_prefix="/addon")
DEFAULT_ETA_S = 30.0


def _authorised(st: WebhookState) -> dict[str, Any]:
    """The signed, fresh, never-seen request's JSON body, or a Refusal."""
    body, signature = _signed_body(st)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise Refusal(400, "json_non_valido") from None
    if not isinstance(data, dict) or not isinstance(data.get("richiesta"), str):
        raise Refusal(400, "dati_non_validi", detail=labels.ADDON_BODY)
    if not st.store.claim_signature(signature, st.clock()):
        raise Refusal(409, "firma_ripetuta")
    return data


def _eta(st: WebhookState) -> str:
    """When the running sync's result will be in the sheets, from the last sync's duration."""
    saved = st.store.status()
    report = saved.get("last_report") or {}
    duration = float(report.get("duration_s") or DEFAULT_ETA_S)
    started = float(saved.get("last_sync_started_at") or st.clock())
    left = max(5.0, started + duration * 1.5 + 5 - st.clock())
    at = datetime.fromtimestamp(st.clock() + left).strftime("%H:%M")
    return labels.ADDON_BUSY.format(seconds=round(left), at=at)


def _answer(action: str, work: Callable[[WebhookState, dict[str, Any]], tuple[dict[str, Any], int]]) -> Any:
    """Authorise, refuse while a sync runs where that matters, run `work`, turn run problems into refusals."""
    st = current()
    try:
        data = _authorised(st)
    except Refusal as r:
        log.warning(
            "addon refused",
            extra={
                "fields": {"event": "addon_refused", "action": action, "status": r.status, "code": r.code}
            },
        )
        return refuse(r.status, r.code, **r.params)
    if action in ("sincronizza", "anteprima") and st.scheduler.running:
        # not an error: the running sync will have the result; say when
        return jsonify(esito="in_corso", messaggio=_eta(st), righe=[]), 202
    started = time.perf_counter()
    try:
        answer, status = work(st, data)
    except TransientError as err:
        return refuse(503, "errore_temporaneo", detail=str(err))
    except LockedError as err:
        return refuse(409, "file_aperto", detail=str(err))
    except ConfigError as err:
        log.error(
            "addon failed: configuration",
            extra={"fields": {"event": "addon_failed", "action": action, "detail": str(err)}},
        )
        return refuse(500, "errore_configurazione", detail=str(err))
    log.info(
        "addon",
        extra={
            "fields": {
                "event": "addon",
                "action": action,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
        },
    )
    return jsonify(answer), status


def _sync(st: WebhookState, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    report = st.scheduler.run_now("foglio")
    message = labels.ADDON_SYNCED.format(
        cells=report.cells_written, organisations=report.organisations, seconds=report.duration_s
    )
    if not report.cells_written:
        message = labels.ADDON_SYNCED_NOTHING
    return {"esito": "completata", "messaggio": message, "righe": [], "resoconto": report.model_dump()}, 200


def _preview(st: WebhookState, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    result = sync_now(st.config.settings, trigger="anteprima", dry_run=True)
    preview = result.preview
    lines = preview.lines() if preview is not None else []
    return {
        "esito": "anteprima",
        "messaggio": labels.ADDON_PREVIEW,
        "righe": lines,
        "anteprima": preview.to_json() if preview is not None else {},
    }, 200


def _rosters(st: WebhookState, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    settings = st.config.settings
    snapshot = open_backend(settings).read(staff_specs(settings.ambito))
    now = now_local()
    plan = plan_sync(snapshot, settings, now)
    meetings = upcoming_meetings(plan.calendar, plan.resolution.organisations, settings.ambito, now.date())
    items = [
        {"scheda": m.tab, "testo": m.text(), "data": m.day.isoformat(), "enti": m.organisations}
        for m in meetings
    ]
    message = labels.ADDON_MEETINGS if items else labels.ADDON_NO_MEETINGS
    return {
        "esito": "presenze",
        "messaggio": message,
        "righe": [m.text() for m in meetings],
        "incontri": items,
    }, 200


def _checks(st: WebhookState, data: dict[str, Any]) -> list[Check]:
    settings = st.config.settings
    ambito = settings.ambito
    checks = [Check(True, labels.CHECK_CONFIG.format(ambito=ambito.name, backend=settings.backend.kind))]
    backend = settings.backend
    if isinstance(backend, GSheetsBackend):
        same = data.get("foglio") == backend.staff_spreadsheet_id
        checks.append(
            Check(
                same,
                labels.CHECK_SHEET_OK
                if same
                else labels.CHECK_SHEET_OTHER.format(
                    given=str(data.get("foglio", ""))[:80], configured=backend.staff_spreadsheet_id
                ),
            )
        )
    store = open_backend(settings)
    snapshot = store.read(staff_specs(ambito))
    checks.append(Check(True, labels.CHECK_READ.format(rows=max(0, len(snapshot.responses) - 1))))
    todo = store.ensure("staff", staff_specs(ambito), dry_run=True)
    todo += store.ensure("public", public_specs(ambito), dry_run=True)
    checks += [Check(False, labels.CHECK_TODO.format(line=line)) for line in todo]
    header = [str(c) for c in snapshot.responses[0]] if snapshot.responses else []
    differences = compare_header(header, ambito) if any(header) else []
    checks += [Check(False, d.message) for d in differences]
    if any(header) and not differences:
        checks.append(Check(True, labels.CHECK_FORM_OK))
    saved = st.store.status()
    outcome = saved.get("last_sync_outcome")
    if outcome:
        checks.append(
            Check(
                outcome == "ok",
                labels.CHECK_LAST_SYNC.format(outcome=outcome, detail=saved.get("last_sync_detail") or ""),
            )
        )
    return checks


def _verify(st: WebhookState, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    checks = _checks(st, data)
    problems = sum(1 for c in checks if not c.ok)
    message = labels.ADDON_CHECK_OK if not problems else labels.ADDON_CHECK_PROBLEMS.format(n=problems)
    return {
        "esito": "verifica",
        "messaggio": message,
        "righe": [c.line() for c in checks],
        "problemi": problems,
    }, 200


@bp.post("/sincronizza")
def sincronizza() -> Response:
    """«Sincronizza ora»."""
    return _answer("sincronizza", _sync)  # type: ignore[no-any-return]


@bp.post("/anteprima")
def anteprima() -> Response:
    """«Anteprima delle modifiche»."""
    return _answer("anteprima", _preview)  # type: ignore[no-any-return]


@bp.post("/presenze")
def presenze() -> Response:
    """«Fogli presenze da stampare»."""
    return _answer("presenze", _rosters)  # type: ignore[no-any-return]


@bp.post("/verifica")
def verifica() -> Response:
    """«Verifica configurazione»."""
    return _answer("verifica", _verify)  # type: ignore[no-any-return]
