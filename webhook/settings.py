"""`WebhookSettings`: everything the web app is configured with, read from the environment once, at the edge.

Environment: ELENCO_CONFIG (path of elenco.yaml, or a preset name), ELENCO_WEBHOOK_SECRET (or
ELENCO_WEBHOOK_SECRET_RESOURCE, see `webhook.secret_source`), ELENCO_INSTANCE_DIR, ELENCO_TASK_TOKEN,
ELENCO_TRUST_CRON_HEADER, ELENCO_PUBSUB_AUDIENCE, ELENCO_PUBSUB_SERVICE_ACCOUNT, ELENCO_DEBOUNCE_S,
ELENCO_MAX_DELAY_S, ELENCO_MIN_INTERVAL_S. On App Engine (GAE_ENV=standard) the X-Appengine-Cron header is
trusted: App Engine removes X-Appengine-* headers from requests that come from outside, so only its cron
service can set it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sync.config import Settings, load_settings
from sync.errors import ConfigError
from webhook import labels
from webhook.secret_source import SessionFactory, read_secret

_TRUE = {"1", "true", "yes", "si", "sì"}


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(labels.NUMBER_SETTING.format(name=name, value=raw)) from None


def check_secret(secret: str) -> str:
    """The webhook secret, or a `ConfigError` saying how to make a good one."""
    if not secret:
        raise ConfigError(labels.SECRET_MISSING)
    if not all(" " < ch <= "~" for ch in secret):
        raise ConfigError(labels.SECRET_NOT_ASCII)
    if len(secret) < labels.MIN_SECRET_LENGTH:
        raise ConfigError(labels.SECRET_TOO_SHORT)
    return secret


def _instance_dir(environ: Mapping[str, str]) -> Path | None:
    if environ.get("ELENCO_INSTANCE_DIR"):
        return Path(environ["ELENCO_INSTANCE_DIR"])
    if environ.get("GAE_ENV", "").startswith("standard"):
        return Path("/tmp/elenco")  # the only writable folder on App Engine standard (in memory)
    return None


@dataclass(frozen=True)
class WebhookSettings:
    """The web app's configuration: the Ambito's settings plus the service's secrets and timings."""

    settings: Settings
    secret: str
    instance_path: Path | None = None  # None: Flask's default instance folder
    task_token: str = ""
    trust_cron_header: bool = False
    pubsub_audience: str = ""
    pubsub_service_account: str = ""
    debounce_s: float = 2.0
    max_delay_s: float = 30.0
    # at most 6 syncs a minute from submissions (≈ 4 Sheets API requests each): under the 60/min quota
    min_interval_s: float = 10.0

    def __post_init__(self) -> None:
        check_secret(self.secret)
        if self.task_token and len(self.task_token) < labels.MIN_SECRET_LENGTH:
            raise ConfigError(labels.TOKEN_TOO_SHORT)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        settings: Settings | None = None,
        secret: str | None = None,
        instance_path: Path | None = None,
        secret_session: SessionFactory | None = None,
    ) -> WebhookSettings:
        """Read the environment (module docstring); explicit arguments win over it."""
        secret = check_secret(
            secret if secret is not None else read_secret("ELENCO_WEBHOOK_SECRET", environ, session=secret_session)
        )
        if settings is None:
            config = environ.get("ELENCO_CONFIG", "").strip()
            if not config:
                raise ConfigError(labels.CONFIG_MISSING)
            settings = load_settings(config)
        return cls(
            settings=settings,
            secret=secret,
            instance_path=instance_path if instance_path is not None else _instance_dir(environ),
            task_token=read_secret("ELENCO_TASK_TOKEN", environ, session=secret_session),
            trust_cron_header=(
                environ.get("GAE_ENV", "").startswith("standard")
                or environ.get("ELENCO_TRUST_CRON_HEADER", "").strip().lower() in _TRUE
            ),
            pubsub_audience=environ.get("ELENCO_PUBSUB_AUDIENCE", ""),
            pubsub_service_account=environ.get("ELENCO_PUBSUB_SERVICE_ACCOUNT", ""),
            debounce_s=_number(environ, "ELENCO_DEBOUNCE_S", 2.0),
            max_delay_s=_number(environ, "ELENCO_MAX_DELAY_S", 30.0),
            min_interval_s=_number(environ, "ELENCO_MIN_INTERVAL_S", 10.0),
        )
