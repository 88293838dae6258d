"""`GET /healthz` and `GET /status`: liveness, and the last sync's figures (no personal data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify

from webhook.context import current
from webhook.verdict import ROME

bp = Blueprint("health", __name__)


def _iso(wall: Any) -> str | None:
    if not isinstance(wall, int | float) or not wall:
        return None
    return datetime.fromtimestamp(float(wall), ROME).isoformat(timespec="seconds")


@bp.get("/healthz")
def healthz() -> Response:
    """"ok" while the process serves."""
    return Response("ok", mimetype="text/plain")


@bp.get("/status")
def status() -> Response:
    """The last sync's outcome and figures, and the time of the last submission."""
    st = current()
    saved = st.store.status()
    return jsonify(
        ambito=st.config.settings.ambito.code,
        last_submission_at=_iso(saved.get("last_submission_at")),
        last_sync_at=_iso(saved.get("last_sync_at")),
        last_sync_outcome=saved.get("last_sync_outcome"),
        last_sync_detail=saved.get("last_sync_detail", ""),
        last_report=saved.get("last_report"),
        syncs_run=saved.get("syncs_run", 0),
        sync_pending=st.scheduler.pending,
        sync_running=st.scheduler.running,
    )
