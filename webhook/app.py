"""The Flask app: routes only translate HTTP ↔ the core (`webhook.verdict`) and the sync (`run_sync`).

    POST /hooks/form     signed submission from the Apps Script → verdict at once (200), a sync scheduled
    POST /hooks/pubsub   Forms API watch notification via Pub/Sub push (OIDC) → a sync scheduled
    GET|POST /tasks/sync App Engine cron (X-Appengine-Cron) or bearer token → one sync now, its report
    GET /healthz         "ok"
    GET /status          the last sync's figures and the time of the last submission (no personal data)
    POST /addon/…        the staff menu in the staff spreadsheet (signed like /hooks/form): sincronizza,
                         anteprima, presenze, verifica (`webhook.addon`)

Every refusal answers `{"error": code, "messaggio": Italian text}` and changes nothing: nothing is stored,
nothing is scheduled. Status codes: 400 malformed body, 401 unsigned / bad / stale / future signature or
token, 409 replayed signature or response (and a sync refused because a file is open in LibreOffice),
413 body over 256 KB, 415 not JSON, 422 the form lacks a question the configuration requires (a
configuration problem, not the applicant's), 503 a temporary failure of the sync (App Engine cron retries
503), 500 any other configuration error of the sync (logged, with the Italian message in the body).

Routes live in blueprints, one module per job: `webhook.health` (/healthz, /status), `webhook.hooks`
(/hooks/form, /hooks/pubsub), `webhook.tasks` (/tasks/sync), `webhook.addon` (/addon/…). Adding routes = a module with a `bp` and one
line in `BLUEPRINTS`. Configuration: one `WebhookSettings` (`webhook.settings`), which `create_app` takes;
the environment is read at the edge only: `webhook.wsgi` (gunicorn, App Engine: `webhook.wsgi:application()`)
and `webhook.serve` (`elenco serve`).

May import: flask, werkzeug, the standard library, every `sync` module and `webhook` module. Nothing in
`sync/` imports from here.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import HTTPException

from webhook import addon, health, hooks, public, tasks
from webhook.auth import CachingRequest, default_certs_request
from webhook.context import EXTENSION, WebhookState, refuse, state_of
from webhook.hooks import MAX_BODY
from webhook.logs import LOGGER, configure_logging
from webhook.scheduler import SyncRunner, SyncScheduler, production_runner
from webhook.settings import WebhookSettings
from webhook.store import InstanceStore
from webhook.verdict import Judge

BLUEPRINTS: tuple[Blueprint, ...] = (health.bp, hooks.bp, tasks.bp, public.bp, addon.bp)

log = logging.getLogger(f"{LOGGER}.webhook")


def create_app(
    config: WebhookSettings,
    *,
    runner: SyncRunner | None = None,
    clock: Callable[[], float] | None = None,
    certs_request: Callable[..., Any] | None = None,
) -> Flask:
    """Build the webhook app from its settings (read from the environment by `webhook.wsgi` or `webhook.serve`).

    `runner`, `clock` and `certs_request` replace the real sync, wall clock and Google transport (tests).
    """
    configure_logging()
    app = Flask(__name__, instance_relative_config=False)
    # one byte over the limit: a chunked body (no Content-Length) is then read up to MAX_BODY + 1 bytes and
    # refused with 413 by the route, instead of being cut at MAX_BODY and failing its signature (401)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY + 1
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    folder = config.instance_path if config.instance_path is not None else Path(app.instance_path)
    store = InstanceStore(folder)
    scheduler = SyncScheduler(
        runner or production_runner(config.settings),
        folder / "sync.lock",
        store=store,
        debounce_s=config.debounce_s,
        max_delay_s=config.max_delay_s,
        min_interval_s=config.min_interval_s,
    )
    app.extensions[EXTENSION] = WebhookState(
        config=config,
        judge=Judge(config.settings.ambito),
        store=store,
        scheduler=scheduler,
        clock=clock or time.time,
        certs_request=CachingRequest(certs_request) if certs_request else default_certs_request(),
        instance_path=folder,
    )
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    log.info("webhook ready", extra={"fields": {
        "event": "start", "ambito": config.settings.ambito.code, "backend": config.settings.backend.kind,
        "trust_cron_header": config.trust_cron_header, "pubsub": bool(config.pubsub_audience),
        "task_token": bool(config.task_token)}})
    return app


def _http_error(err: HTTPException) -> tuple[Response, int]:
    status = err.code or 500
    code = {404: "non_trovato", 405: "metodo_non_ammesso", 413: "richiesta_troppo_grande"}.get(
        status, "errore_http")
    return refuse(status, code)


def _unexpected(err: Exception) -> tuple[Response, int]:
    # type and frames only: the exception's message may quote the submitted answers
    log.error("unexpected error", extra={"fields": {
        "event": "error", "path": request.path, "error": type(err).__name__,
        "frames": traceback.format_tb(err.__traceback__)}})
    return refuse(500, "errore_interno")


__all__ = ["BLUEPRINTS", "WebhookSettings", "WebhookState", "create_app", "refuse", "state_of"]
