"""Webhook abuse: a fuzzer over headers and bodies of `POST /hooks/form`; every bad request is refused.

Hypothesis draws requests of every bad kind - missing, malformed, wrong-secret and wrong-body signatures,
stale, future and malformed timestamps, replays of a signature and of a response, huge bodies (declared
and chunked), truncated bodies (signed before or after the cut), wrong JSON types, deep nesting, dates out
of range, lone surrogates, wrong content types - each with the status and error code it must get
(400/401/409/413/415), and checks that a refused request stores nothing and schedules nothing, that no
request ever gets a 500, and that no log line holds the secret, the task token, a signature or any
personal data of the bodies (names, emails, phones, tax codes).

CI: 150 drawn requests; `pytest -m slow` and `bench/reliability.py`: 3,000.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.model import Report
from tests.conftest import HEADER, build_app, make_row
from webhook.app import MAX_BODY, state_of
from webhook.auth import sign
from webhook.logs import JsonFormatter

SECRET = "reliability-secret-0123456789abcdef-0123456789"
OTHER_SECRET = "another-secret-0123456789abcdef-0123456789abc"
TOKEN = "reliability-task-token-0123456789abcdef012345"
NOW = 1_712_135_353  # 2024-04-03 11:09:13 in Crema
PERSONAL = (
    "Alessandro Tomella",
    "0374 480361",
    "info@ilvolo.it",
    "associazioneilvolo@pec.it",
    "segreteria@ilvolo.it",
    "91910830198",
    "Via Dante 68",
)
CI_EXAMPLES, SLOW_EXAMPLES = 150, 3_000


class Clock:
    """The service's wall clock: moves one second per request, so that each signature is new."""

    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


@dataclass
class Counted:
    """Syncs asked for, and syncs run (by a runner that must never be reached while fuzzing)."""

    requested: int = 0
    ran: list[str] = field(default_factory=list)

    def __call__(self, trigger: str) -> Report:
        self.ran.append(trigger)
        return Report(started_at="2024-04-03T11:09:13", duration_s=0.0, trigger=trigger)


@pytest.fixture(scope="module")
def counted() -> Counted:
    return Counted()


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


def fuzz_app(folder: Path, counted: Counted, clock: Clock) -> Flask:
    """The app under fuzzing: its syncs would wait an hour, so the fuzzer sees them asked for, never run."""
    from sync.config import load_settings

    made = build_app(
        load_settings("crema"),
        secret=SECRET,
        runner=counted,
        clock=clock,
        instance_path=folder,
        task_token=TOKEN,
        trust_cron_header=False,
        debounce_s=3600.0,
        max_delay_s=3600.0,
        min_interval_s=0.0,
        environ={},
    )
    scheduler = state_of(made).scheduler
    original = scheduler.request

    def request(trigger: str) -> None:
        counted.requested += 1
        original(trigger)

    scheduler.request = request  # type: ignore[method-assign]
    return made


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, counted: Counted, clock: Clock) -> Iterator[Flask]:
    made = fuzz_app(tmp_path_factory.mktemp("instance"), counted, clock)
    yield made
    assert state_of(made).scheduler.shutdown(timeout=10)
    assert counted.ran == []


def body_of(response_id: str, submitted_at: str = "2024-04-03T09:09:13.000Z", **extra: Any) -> dict[str, Any]:
    """A valid submission as the Apps Script posts it."""
    answers: dict[str, Any] = dict(zip(HEADER[1:], make_row()[1:], strict=True))
    answers["Aree di interesse"] = ["A) Minori e Famiglia", "D) Innovazione e giovani"]
    out: dict[str, Any] = {
        "response_id": response_id,
        "submitted_at": submitted_at,
        "answers": answers,
        "respondent_email": "segreteria@ilvolo.it",
    }
    out.update(extra)
    return out


@dataclass
class Sent:
    """One request to send and what it must get."""

    raw: bytes
    headers: dict[str, str]
    content_type: str | None
    status: int
    code: str | None  # the `error` of the refusal, None for a 200
    chunked: bool = False

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))  # hypothesis prints failing examples with this: not 256 KB of body

    def __repr__(self) -> str:
        return (
            f"Sent({self.raw[:60]!r}…{len(self.raw)} bytes, {self.headers}, {self.content_type!r}, "
            f"{self.status}, {self.code!r}, chunked={self.chunked})"
        )


def signed(raw: bytes, ts: int, secret: str = SECRET, signed_raw: bytes | None = None) -> dict[str, str]:
    """The two headers of a signed request."""
    return {"X-Elenco-Timestamp": str(ts), "X-Elenco-Signature": sign(secret, str(ts), signed_raw or raw)}


WRONG_TYPES: list[Any] = [
    [],
    42,
    "testo",
    None,
    True,
    {"response_id": 7},
    {"response_id": ""},
    {"response_id": "x" * 201},
    {"response_id": ["a"]},
    {"submitted_at": 1712135353},
    {"submitted_at": "ieri"},
    {"submitted_at": ""},
    {"answers": []},
    {"answers": "tutte"},
    {"answers": {"Denominazione dell'ente": 5}},
    {"answers": {"Aree di interesse": [1, 2]}},
    {"answers": {"Denominazione dell'ente": None}},
    {"answers": {f"Domanda {i}": "x" for i in range(501)}},
    {"respondent_email": 5},
    {"respondent_email": ["a@b.it"]},
    {"submitted_at": "0001-01-01T00:00:00+14:00"},
    {"submitted_at": "9999-12-31T23:59:59-14:00"},
    {"response_id": "r-\ud800"},
    {"respondent_email": "\udfff@ilvolo.it"},
]
BAD_TIMESTAMPS = ["abc", " ", "1.5", "-1", "1e9", "9" * 13, "0x10", "1712135353,1"]
BAD_SIGNATURES = [
    "",
    "sha256=",
    "sha1=" + "0" * 40,
    "sha256=" + "0" * 64,
    "sha256=" + "g" * 64,
    "sha256=" + "0" * 63,
    "sha256=" + "0" * 65,
    "sha256=é" + "0" * 63,
    "Bearer " + TOKEN,
    SECRET,
]
CONTENT_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonp",
    "application/vnd.api+json",
    "text/json",
    "",
]


_SERIAL = itertools.count()


@st.composite
def bad_requests(draw: Any) -> list[Sent]:
    """A short sequence of requests: valid ones only where a replay needs them, then the bad one."""
    # unique across examples (the app is shared), and of a fixed length (draws must not depend on it)
    n = f"{next(_SERIAL):09d}-{draw(st.integers(0, 10**9)):010d}"
    ts = NOW
    raw = json.dumps(body_of(f"fuzz-{n}"), ensure_ascii=False).encode()
    kind = draw(
        st.sampled_from(
            (
                "oversize", "chunked", "content_type", "no_headers", "bad_signature", "other_secret",
                "other_body", "stale", "future", "bad_timestamp", "truncated_signed", "truncated_sent",
                "wrong_types", "deep", "not_json", "replay_signature", "replay_response",
            )
        )
    )  # fmt: skip
    if kind == "oversize":
        big = raw + b" " * (MAX_BODY + 1 - len(raw) + draw(st.integers(0, 50_000)))
        return [Sent(big, signed(big, ts), "application/json", 413, "richiesta_troppo_grande")]
    if kind == "chunked":
        big = raw + b" " * (MAX_BODY + 1 - len(raw) + draw(st.integers(0, 50_000)))
        return [Sent(big, signed(big, ts), "application/json", 413, "richiesta_troppo_grande", chunked=True)]
    if kind == "content_type":
        ctype = draw(st.sampled_from(CONTENT_TYPES))
        return [Sent(raw, signed(raw, ts), ctype or None, 415, "non_json")]
    if kind == "no_headers":
        headers = signed(raw, ts)
        drop = draw(st.sampled_from(("X-Elenco-Timestamp", "X-Elenco-Signature", "both", "empty")))
        if drop == "both":
            headers = {}
        elif drop == "empty":
            headers = {k: "" for k in headers}
        else:
            headers.pop(drop)
        return [Sent(raw, headers, "application/json", 401, "firma_mancante")]
    if kind == "bad_signature":
        headers = {"X-Elenco-Timestamp": str(ts), "X-Elenco-Signature": draw(st.sampled_from(BAD_SIGNATURES))}
        code = "firma_mancante" if not headers["X-Elenco-Signature"] else "firma_non_valida"
        return [Sent(raw, headers, "application/json", 401, code)]
    if kind == "other_secret":
        return [Sent(raw, signed(raw, ts, OTHER_SECRET), "application/json", 401, "firma_non_valida")]
    if kind == "other_body":
        other = json.dumps(body_of(f"fuzz-{n}-x")).encode()
        return [Sent(raw, signed(raw, ts, signed_raw=other), "application/json", 401, "firma_non_valida")]
    if kind in ("stale", "future"):
        delta = draw(st.integers(301, 10**8))
        when = ts - delta if kind == "stale" else ts + delta
        code = "richiesta_scaduta" if kind == "stale" else "richiesta_nel_futuro"
        return [Sent(raw, signed(raw, when), "application/json", 401, code)]
    if kind == "bad_timestamp":
        bad = draw(st.sampled_from(BAD_TIMESTAMPS))
        headers = {"X-Elenco-Timestamp": bad, "X-Elenco-Signature": sign(SECRET, bad.strip() or "0", raw)}
        return [Sent(raw, headers, "application/json", 401, "orario_non_valido")]
    if kind == "truncated_signed":
        cut = raw[: draw(st.integers(0, len(raw) - 1))]
        return [Sent(cut, signed(cut, ts), "application/json", 400, "json_non_valido")]
    if kind == "truncated_sent":
        cut = raw[: draw(st.integers(0, len(raw) - 1))]
        return [Sent(cut, signed(raw, ts), "application/json", 401, "firma_non_valida")]
    if kind == "wrong_types":
        wrong = draw(st.sampled_from(WRONG_TYPES))
        data = {**body_of(f"fuzz-{n}"), **wrong} if isinstance(wrong, dict) else wrong
        bad = json.dumps(data).encode()  # ASCII: a lone surrogate travels as "\ud800", as in JSON
        return [Sent(bad, signed(bad, ts), "application/json", 400, "dati_non_validi")]
    if kind == "deep":
        depth = draw(st.integers(2_000, 100_000))
        bad = (b"[" * depth + b"]" * depth if draw(st.booleans()) else b'{"a":' * depth)[:MAX_BODY]
        return [Sent(bad, signed(bad, ts), "application/json", 400, None)]
    if kind == "not_json":
        bad = draw(st.sampled_from((b"", b"\xff\xfe\x00", b"NaN", b"{'a': 1}", b"<xml/>", b"response_id=x")))
        code = "dati_non_validi" if bad == b"NaN" else "json_non_valido"
        return [Sent(bad, signed(bad, ts), "application/json", 400, code)]
    first = Sent(raw, signed(raw, ts), "application/json", 200, None)
    if kind == "replay_signature":
        return [first, Sent(raw, dict(first.headers), "application/json", 409, "firma_ripetuta")]
    again = signed(raw, ts + draw(st.integers(1, 299)))
    return [first, Sent(raw, again, "application/json", 409, "risposta_ripetuta")]


def send(client: FlaskClient, sent: Sent) -> Any:
    """POST /hooks/form; a chunked body has no Content-Length."""
    headers = dict(sent.headers)
    if sent.content_type is not None:
        headers["Content-Type"] = sent.content_type
    if sent.chunked:
        return client.post(
            "/hooks/form",
            input_stream=io.BytesIO(sent.raw),
            headers={**headers, "Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )
    return client.post("/hooks/form", data=sent.raw, headers=headers)


def leaks(records: list[logging.LogRecord], signatures: list[str]) -> list[str]:
    """Log lines that hold a secret, a token, a signature or personal data."""
    formatter = JsonFormatter()
    out = []
    for record in records:
        line = formatter.format(record) + record.getMessage()
        for secret in (SECRET, OTHER_SECRET, TOKEN, *signatures, *PERSONAL):
            if secret and secret in line:
                out.append(f"{secret[:12]}… in {line[:200]}")
    return out


def check_sequence(
    app: Flask,
    client: FlaskClient,
    clock: Clock,
    counted: Counted,
    requests: list[Sent],
    records: list[logging.LogRecord],
) -> None:
    """Send the requests; each gets its status and code; refusals change nothing; logs hold no secret."""
    st_ = state_of(app).store
    start = len(records)
    for sent in requests:
        clock.now = float(NOW)
        entries, asked, last = st_.entries(), counted.requested, st_.get("last_submission_at")
        r = send(client, sent)
        assert r.status_code == sent.status, (r.status_code, r.get_json(silent=True), sent.status, sent.code)
        body = r.get_json(silent=True) or {}
        if sent.status == 200:
            assert counted.requested == asked + 1
            continue
        if sent.code is not None:
            assert body.get("error") == sent.code, body
        assert "messaggio" in body
        assert (st_.entries(), counted.requested, st_.get("last_submission_at")) == (entries, asked, last)
    signatures = [s.headers.get("X-Elenco-Signature", "") for s in requests]
    assert leaks(records[start:], [s for s in signatures if len(s) > 20]) == []


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="elenco")
    return caplog


@_settings(CI_EXAMPLES)
@given(requests=bad_requests())
def test_fuzzed_requests_are_refused_and_change_nothing(
    app: Flask, clock: Clock, counted: Counted, logs: pytest.LogCaptureFixture, requests: list[Sent]
) -> None:
    check_sequence(app, app.test_client(), clock, counted, requests, logs.records)


@pytest.mark.slow
@_settings(SLOW_EXAMPLES)
@given(requests=bad_requests())
def test_fuzzed_requests_are_refused_and_change_nothing_long(
    app: Flask, clock: Clock, counted: Counted, logs: pytest.LogCaptureFixture, requests: list[Sent]
) -> None:
    check_sequence(app, app.test_client(), clock, counted, requests, logs.records)


# -- regressions found by the fuzzer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000, b'{"a":' * 50_000],
    ids=["deep-array", "deep-object"],
)
def test_regression_deeply_nested_json_is_a_400_not_a_500(
    app: Flask, clock: Clock, counted: Counted, logs: pytest.LogCaptureFixture, raw: bytes
) -> None:
    sent = Sent(raw, signed(raw, NOW), "application/json", 400, "json_non_valido")
    check_sequence(app, app.test_client(), clock, counted, [sent], logs.records)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_regression_a_submission_time_out_of_range_is_a_400_not_a_500(
    app: Flask, clock: Clock, counted: Counted, logs: pytest.LogCaptureFixture, when: str
) -> None:
    raw = json.dumps(body_of("far-" + when[:4], submitted_at=when)).encode()
    sent = Sent(raw, signed(raw, NOW), "application/json", 400, "dati_non_validi")
    check_sequence(app, app.test_client(), clock, counted, [sent], logs.records)


@pytest.mark.parametrize(
    "change",
    [
        {"response_id": "r-\ud800"},
        {"respondent_email": "\udfff@ilvolo.it"},
        {"answers": {**body_of("x")["answers"], "Denominazione dell'ente": "Il Volo \ud800"}},
        {"answers": {**body_of("x")["answers"], "Domanda \udc00": "sì"}},
    ],
    ids=["response-id", "respondent-email", "answer", "question-title"],
)
def test_regression_a_lone_surrogate_in_a_submission_is_a_400_not_a_500(
    app: Flask, clock: Clock, counted: Counted, logs: pytest.LogCaptureFixture, change: dict[str, Any]
) -> None:
    raw = json.dumps({**body_of("surrogate"), **change}).encode()
    sent = Sent(raw, signed(raw, NOW), "application/json", 400, "dati_non_validi")
    check_sequence(app, app.test_client(), clock, counted, [sent], logs.records)


@pytest.mark.parametrize("extra", [1, 10_000])
def test_regression_an_oversized_chunked_body_is_a_413_not_a_401(
    app: Flask, clock: Clock, counted: Counted, logs: pytest.LogCaptureFixture, extra: int
) -> None:
    raw = json.dumps(body_of("chunked-big")).encode()
    big = raw + b" " * (MAX_BODY - len(raw) + extra)
    sent = Sent(big, signed(big, NOW), "application/json", 413, "richiesta_troppo_grande", chunked=True)
    check_sequence(app, app.test_client(), clock, counted, [sent], logs.records)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_of_exactly_the_limit_is_accepted(
    app: Flask, clock: Clock, counted: Counted, logs: pytest.LogCaptureFixture, chunked: bool
) -> None:
    raw = json.dumps(body_of(f"at-the-limit-{chunked}")).encode()
    full = raw + b" " * (MAX_BODY - len(raw))
    sent = Sent(full, signed(full, NOW), "application/json", 200, None, chunked=chunked)
    check_sequence(app, app.test_client(), clock, counted, [sent], logs.records)
