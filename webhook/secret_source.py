"""Where the webhook's secrets come from: the environment, or Secret Manager on App Engine.

`ELENCO_WEBHOOK_SECRET` (and `ELENCO_TASK_TOKEN`) are read from the environment. App Engine cannot put a
Secret Manager secret into the environment by itself, and `env_variables` in app.yaml are plain text in the
repository and in the deployed version; so on App Engine set instead `ELENCO_WEBHOOK_SECRET_RESOURCE`
(`projects/P/secrets/S/versions/latest`, a name, not a secret) and the app reads the value at start with
the runtime service account (role `roles/secretmanager.secretAccessor`). The value is never logged.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from sync.errors import ConfigError
from webhook import labels

SECRET_MANAGER = "https://secretmanager.googleapis.com/v1/{name}:access"

# session factory: returns an object with `.get(url, timeout=...)` → a response with status_code and json()
SessionFactory = Callable[[], Any]


def _default_session() -> Any:
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    return AuthorizedSession(credentials)  # type: ignore[no-untyped-call]


def read_secret(name: str, environ: Mapping[str, str], *, session: SessionFactory | None = None) -> str:
    """The value of `name` from the environment, else from the Secret Manager version in `<name>_RESOURCE`."""
    value = environ.get(name, "")
    if value:
        return value
    resource = environ.get(f"{name}_RESOURCE", "").strip()
    if not resource:
        return ""
    try:
        response = (session or _default_session)().get(SECRET_MANAGER.format(name=resource), timeout=10)
        if response.status_code != 200:
            raise ConfigError(labels.SECRET_MANAGER_FAILED.format(name=resource,
                                                                  detail=f"HTTP {response.status_code}"))
        data = response.json()["payload"]["data"]
        return base64.b64decode(data).decode("utf-8").strip()
    except ConfigError:
        raise
    except Exception as err:  # network, credentials, a malformed answer: say which secret, not its value
        raise ConfigError(labels.SECRET_MANAGER_FAILED.format(name=resource, detail=type(err).__name__)) from None
