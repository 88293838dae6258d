"""`GET|POST /tasks/sync`: App Engine cron (X-Appengine-Cron) or a bearer token → one sync now, its report."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request

from sync.errors import ConfigError, LockedError, TransientError
from webhook.auth import bearer_token, token_matches
from webhook.context import current, refuse
from webhook.logs import LOGGER

CRON_HEADER = "X-Appengine-Cron"

log = logging.getLogger(f"{LOGGER}.webhook")
bp = Blueprint("tasks", __name__)


@bp.route("/tasks/sync", methods=["GET", "POST"])
def task_sync() -> tuple[Response, int]:
    """Run one sync in this request (it covers every pending one) and answer its report."""
    st = current()
    if st.config.trust_cron_header and request.headers.get(CRON_HEADER) == "true":
        trigger = "cron"
    elif token_matches(st.config.task_token, bearer_token(request.headers.get("Authorization"))):
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
