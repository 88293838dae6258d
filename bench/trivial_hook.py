"""The floor for bench_webhook.py: a Flask route that only checks the submission's HMAC and answers.

    gunicorn 'bench.trivial_hook:create_app()'   (ELENCO_WEBHOOK_SECRET in the environment)

Same server, workers, threads and signed requests as elenco's webhook; no parsing, validation, store
or scheduling. Not part of the product.
"""

from __future__ import annotations

import os
import time

from flask import Flask, jsonify, request

from webhook.auth import AuthError, verify_signature


def create_app() -> Flask:
    """The trivial app: `POST /hooks/form` verifies the signature, `GET /healthz` answers."""
    app = Flask(__name__)
    secret = os.environ["ELENCO_WEBHOOK_SECRET"]

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        return jsonify(ok=True)

    @app.post("/hooks/form")
    def form():  # type: ignore[no-untyped-def]
        body = request.get_data()
        try:
            verify_signature(
                secret,
                request.headers.get("X-Elenco-Timestamp"),
                request.headers.get("X-Elenco-Signature"),
                body,
                time.time(),
            )
        except AuthError:
            return jsonify(esito="rifiutata"), 401
        return jsonify(esito="accettata"), 200

    return app
