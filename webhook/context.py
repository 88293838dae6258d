"""What every blueprint shares: the app's `WebhookState`, and the JSON refusal with its Italian message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, jsonify

from webhook import labels
from webhook.scheduler import SyncScheduler
from webhook.settings import WebhookSettings
from webhook.store import InstanceStore
from webhook.verdict import Judge

EXTENSION = "elenco"


@dataclass
class WebhookState:
    """What the routes share; one per app (`app.extensions["elenco"]`)."""

    config: WebhookSettings
    judge: Judge  # the verdict, with the Ambito's indexes built once
    store: InstanceStore
    scheduler: SyncScheduler
    clock: Callable[[], float]
    certs_request: Callable[..., Any]
    instance_path: Path


def state_of(app: Flask) -> WebhookState:
    """The webhook state of an app made by `create_app`."""
    state: WebhookState = app.extensions[EXTENSION]
    return state


def current() -> WebhookState:
    """The webhook state of the app handling this request."""
    return state_of(current_app)


def refuse(status: int, code: str, **params: str) -> tuple[Response, int]:
    """A JSON refusal with its Italian message."""
    message = labels.ERRORS[code].format(**params) if params else labels.ERRORS[code]
    return jsonify(error=code, messaggio=message), status
