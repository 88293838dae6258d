"""The WSGI entry point: the one place where the deployed web app reads its environment.

    gunicorn -w 2 --threads 4 'webhook.wsgi:application()'     (app.yaml's entrypoint)

`application()` reads `WebhookSettings` from the process environment (`webhook.settings` lists the
variables; on App Engine the secret comes from Secret Manager) and builds the app with `create_app`.
A factory, not a module-level `app`: importing this module reads nothing, and each gunicorn worker builds
its own app (its own SQLite connection and scheduler thread).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from webhook.app import create_app
from webhook.settings import WebhookSettings


def application(environ: Mapping[str, str] | None = None) -> Flask:
    """The web app configured from `environ` (default: the process environment)."""
    return create_app(WebhookSettings.from_env(os.environ if environ is None else environ))
