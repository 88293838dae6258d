"""Who may call the webhook: HMAC-signed form submissions, Pub/Sub OIDC tokens, cron and bearer tokens.

The signature of a form submission is `sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`,
computed by the Apps Script (`sheets_templates/apps_script/Codice.gs`) over exactly the bytes it sends.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SIGNATURE_PREFIX = "sha256="
WINDOW_S = 300
_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")


class AuthError(Exception):
    """A refused request; `code` is a key of `webhook.labels.ERRORS`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Elenco-Signature header value for a body sent at `timestamp` (unix seconds, as text)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float) -> str:
    """Check the headers of a signed submission; return the normalised signature or raise AuthError."""
    if not timestamp or not signature:
        raise AuthError("firma_mancante")
    timestamp = timestamp.strip()
    if not _TIMESTAMP.fullmatch(timestamp):
        raise AuthError("orario_non_valido")
    age = now - int(timestamp)
    if age > WINDOW_S:
        raise AuthError("richiesta_scaduta")
    if age < -WINDOW_S:
        raise AuthError("richiesta_nel_futuro")
    signature = signature.strip().lower()
    # check the shape first: compare_digest refuses non-ASCII text with a TypeError
    if not _SIGNATURE.fullmatch(signature):
        raise AuthError("firma_non_valida")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature):
        raise AuthError("firma_non_valida")
    return signature


def bearer_token(header: str | None) -> str:
    """The token of an `Authorization: Bearer …` header, or ""."""
    if not header:
        return ""
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def token_matches(expected: str, given: str) -> bool:
    """Constant-time comparison of a configured token with the one presented ("" never matches)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


# Pub/Sub push: OIDC tokens signed by Google --------------------------------------------------------------------


@dataclass
class _Cached:
    expires: float
    response: Any


class CachingRequest:
    """A google-auth transport that caches GET responses (Google's signing certificates) for their max-age.

    Without it, google-auth fetches the certificates for every notification.
    """

    def __init__(self, inner: Callable[..., Any], *, default_ttl_s: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._inner = inner
        self._ttl = default_ttl_s
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        self.fetches = 0

    def __call__(self, url: str, method: str = "GET", body: Any = None,
                 headers: Mapping[str, str] | None = None, timeout: float | None = None, **kwargs: Any) -> Any:
        """Answer a GET from the cache when fresh; otherwise ask the inner transport."""
        if method.upper() != "GET" or body is not None:
            return self._inner(url, method=method, body=body, headers=headers, timeout=timeout, **kwargs)
        with self._lock:
            hit = self._cache.get(url)
            if hit is not None and hit.expires > self._clock():
                return hit.response
        response = self._inner(url, method=method, headers=headers, timeout=timeout or 10, **kwargs)
        self.fetches += 1
        if getattr(response, "status", None) == 200:
            with self._lock:
                self._cache[url] = _Cached(self._clock() + self._max_age(response), response)
        return response

    def _max_age(self, response: Any) -> float:
        headers = getattr(response, "headers", None) or {}
        control = ""
        for key, value in dict(headers).items():
            if str(key).lower() == "cache-control":
                control = str(value)
        m = re.search(r"max-age=(\d+)", control)
        # Google announces about 6 hours; cap it so that a rotated key is picked up within an hour
        return min(float(m.group(1)), self._ttl) if m else self._ttl


def default_certs_request() -> CachingRequest:
    """The production transport for google-auth (requests), with certificate caching."""
    import google.auth.transport.requests

    return CachingRequest(google.auth.transport.requests.Request())


def verify_pubsub_token(token: str, request: Callable[..., Any], audience: str, service_account: str) -> dict[str, Any]:
    """Verify a Pub/Sub push OIDC token (signature, expiry, issuer, audience, email); raise AuthError."""
    from google.auth import exceptions
    from google.oauth2 import id_token

    if not token:
        raise AuthError("pubsub_non_autorizzato")
    try:
        # checks the signature against Google's certificates, `exp`, `iat`, `iss` and `aud`
        claims = dict(id_token.verify_oauth2_token(token, request, audience=audience, clock_skew_in_seconds=10))  # type: ignore[no-untyped-call]
    except (ValueError, exceptions.GoogleAuthError):
        raise AuthError("pubsub_non_autorizzato") from None
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise AuthError("pubsub_non_autorizzato")
    # any Google account can mint a token for our audience: only our push service account may call
    if claims.get("email") != service_account or claims.get("email_verified") is not True:
        raise AuthError("pubsub_non_autorizzato")
    return claims
