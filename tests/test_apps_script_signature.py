"""The Apps Script bridge and the service agree: same JSON bytes, same signature, a payload the service accepts.

The script (`sheets_templates/apps_script/Codice.gs`) runs under Node.js with small shims of the Apps Script
services it uses (Utilities, UrlFetchApp, PropertiesService, MailApp, FormApp, ScriptApp); the shim of
`Utilities.computeHmacSha256Signature` returns signed bytes (-128..127) as Apps Script does.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sync.config import Settings
from tests.conftest import HEADER, build_app, make_row
from webhook.app import state_of
from webhook.auth import sign

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "sheets_templates" / "apps_script" / "Codice.gs"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(
    NODE is None, reason="Node.js (node) is not installed: the Apps Script cannot run"
)

# The fixed example. Its signature was computed independently at authoring time with OpenSSL:
#   printf '%s' '1712135353.<BODY>' > msg.txt
#   openssl dgst -sha256 -hmac 'test-secret-for-the-signature-example-0123456789' msg.txt
#   HMAC-SHA2-256(msg.txt)= 64d87797cf4d4f8e4e67ea1fac536cb6a46f2b870631063fbf540e65ca3e2968
EXAMPLE_SECRET = "test-secret-for-the-signature-example-0123456789"
EXAMPLE_TIMESTAMP = "1712135353"
EXAMPLE_OBJECT = {
    "response_id": "2_ABaOnuc0",
    "submitted_at": "2024-04-03T09:09:13.000Z",
    "answers": {
        "Denominazione": "Società Cooperativa Sociale Il Volo",
        "Aree di interesse": ["A) Minori e Famiglia", "D) Innovazione e giovani"],
    },
}
EXAMPLE_BODY = (
    '{"response_id":"2_ABaOnuc0","submitted_at":"2024-04-03T09:09:13.000Z","answers":{"Denominazione":'
    '"Societ\\u00e0 Cooperativa Sociale Il Volo","Aree di interesse":["A) Minori e Famiglia",'
    '"D) Innovazione e giovani"]}}'
)
EXAMPLE_SIGNATURE = "sha256=64d87797cf4d4f8e4e67ea1fac536cb6a46f2b870631063fbf540e65ca3e2968"

NOW_MS = 1_712_135_400_000  # the script's clock: 2024-04-03 09:10:00 UTC
URL = "https://elenco-test.ew.r.appspot.com/hooks/form"
SECRET = "test-webhook-secret-0123456789abcdef-XYZ"

HARNESS = r"""
const fs = require('fs');
const vm = require('vm');
const crypto = require('crypto');
const [scriptPath, scenarioPath] = process.argv.slice(2);
const scenario = JSON.parse(fs.readFileSync(scenarioPath, 'utf8'));
const log = { fetches: [], mails: [], sleeps: [], console: [], triggers: [] };
const queue = (scenario.fetch_responses || []).slice();

const Utilities = {
  Charset: { UTF_8: 'UTF-8', US_ASCII: 'US-ASCII' },
  computeHmacSha256Signature(value, key, charset) {
    if (charset !== undefined && charset !== 'UTF-8') { throw new Error('unexpected charset ' + charset); }
    const mac = crypto.createHmac('sha256', Buffer.from(key, 'utf8')).update(Buffer.from(value, 'utf8')).digest();
    return Array.from(mac, (b) => (b > 127 ? b - 256 : b));  // Java bytes, as Apps Script returns them
  },
  sleep(ms) { log.sleeps.push(ms); },
};
const UrlFetchApp = {
  fetch(url, params) {
    log.fetches.push({ url, params });
    const r = queue.shift() || { code: 200, body: '{}' };
    if (r.throw) { throw new Error(r.throw); }
    return { getResponseCode: () => r.code, getContentText: () => r.body };
  },
};
const PropertiesService = {
  getScriptProperties: () => ({ getProperty: (k) => (scenario.properties || {})[k] || null }),
};
const MailApp = { sendEmail(to, subject, body) { log.mails.push({ to, subject, body }); } };
const item = (title, type) => ({ getTitle: () => title, getType: () => ({ toString: () => type }) });
const form = { getItems: () => (scenario.items || []).map(([t, ty]) => item(t, ty)) };
const FormApp = { getActiveForm: () => form };
const existing = (scenario.existing_triggers || []).map((h) => ({ getHandlerFunction: () => h }));
const ScriptApp = {
  getProjectTriggers: () => existing,
  newTrigger(handler) {
    const chain = { forForm: () => chain, onFormSubmit: () => chain,
                    create: () => { log.triggers.push(handler); return {}; } };
    return chain;
  },
};
class FixedDate extends Date {
  constructor(...args) { if (args.length) { super(...args); } else { super(scenario.now_ms); } }
  static now() { return scenario.now_ms; }
}
const say = (m) => log.console.push(String(m));
const sandbox = { Utilities, UrlFetchApp, PropertiesService, MailApp, FormApp, ScriptApp, Date: FixedDate,
                  console: { log: say, warn: say, error: say } };
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(scriptPath, 'utf8'), sandbox, { filename: 'Codice.gs' });

let result = null;
if (scenario.call === 'suInvioModulo') {
  const r = scenario.response;
  const response = {
    getId: () => r.id,
    getTimestamp: () => new FixedDate(r.timestamp),
    getRespondentEmail: () => r.email || '',
    getItemResponses: () => r.answers.map(([t, v]) => ({ getItem: () => item(t, 'TEXT'), getResponse: () => v })),
  };
  sandbox.suInvioModulo({ response, source: form });
} else {
  result = sandbox[scenario.call](...(scenario.args || []));
}
process.stdout.write(JSON.stringify({ result, ...log }));
"""


@pytest.fixture
def run_script(tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """Run one function of Codice.gs under Node.js with the Apps Script shims; return what it did."""
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS, encoding="utf-8")

    def run(call: str, *args: Any, **scenario: Any) -> dict[str, Any]:
        path = tmp_path / "scenario.json"
        path.write_text(
            json.dumps({"call": call, "args": list(args), "now_ms": NOW_MS, **scenario}), encoding="utf-8"
        )
        assert NODE is not None
        done = subprocess.run(
            [NODE, str(harness), str(SCRIPT), str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        out: dict[str, Any] = json.loads(done.stdout)
        return out

    return run


def test_the_fixed_example_matches_an_independent_computation() -> None:
    assert json.dumps(EXAMPLE_OBJECT, separators=(",", ":")) == EXAMPLE_BODY  # ASCII escapes, like the script
    assert sign(EXAMPLE_SECRET, EXAMPLE_TIMESTAMP, EXAMPLE_BODY.encode("ascii")) == EXAMPLE_SIGNATURE


@needs_node
def test_the_script_serialises_and_signs_like_the_service(run_script: Callable[..., dict[str, Any]]) -> None:
    body = run_script("serializza", EXAMPLE_OBJECT)["result"]
    assert body == EXAMPLE_BODY
    assert body.isascii()
    signature = run_script("firma", EXAMPLE_SECRET, EXAMPLE_TIMESTAMP, body)["result"]
    assert signature == EXAMPLE_SIGNATURE == sign(EXAMPLE_SECRET, EXAMPLE_TIMESTAMP, body.encode())


@needs_node
def test_signed_bytes_become_lowercase_hex(run_script: Callable[..., dict[str, Any]]) -> None:
    assert run_script("esadecimale", [-128, -1, 0, 15, 127, -86])["result"] == "80ff000f7faa"


def _form_scenario(fetch_responses: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    row = dict(zip(HEADER[1:], make_row()[1:], strict=True))
    row["Aree di interesse"] = [
        "A) Minori e Famiglia",
        "C) Adulti e povertà (Contrasto alla povertà e "
        "marginalità, Politiche per il lavoro, Politiche abitative)",
    ]
    unanswered = {"Numero di iscrizione al RUNTS o al registro regionale", "PEC dell'ente"}
    items = [["Sezione 1: l'ente", "SECTION_HEADER"]]
    items += [[t, "CHECKBOX" if t == "Aree di interesse" else "TEXT"] for t in row]
    return {
        "properties": {"ELENCO_WEBHOOK_URL": URL, "ELENCO_WEBHOOK_SECRET": SECRET},
        "items": items,
        "response": {
            "id": "2_ABaOnud1",
            "timestamp": "2024-04-03T09:09:13.000Z",
            "answers": [[t, v] for t, v in row.items() if t not in unanswered],
        },
        "fetch_responses": fetch_responses if fetch_responses is not None else [],
        **extra,
    }


@needs_node
def test_the_trigger_posts_what_the_service_accepts(
    run_script: Callable[..., dict[str, Any]], tmp_path: Path, crema: Settings
) -> None:
    verdict = {
        "status": "rejected",
        "email_richiedente": True,
        "destinatario": "info@ilvolo.it",
        "oggetto_email": "Oggetto",
        "testo_email": "Testo",
        "problemi": [],
    }
    done = run_script("suInvioModulo", **_form_scenario([{"code": 200, "body": json.dumps(verdict)}]))
    assert len(done["fetches"]) == 1
    fetch = done["fetches"][0]
    params = fetch["params"]
    assert fetch["url"] == URL
    assert (params["method"], params["contentType"], params["muteHttpExceptions"]) == (
        "post",
        "application/json",
        True,
    )
    assert params["payload"].isascii()
    sent = json.loads(params["payload"])
    assert sent["response_id"] == "2_ABaOnud1" and sent["submitted_at"] == "2024-04-03T09:09:13.000Z"
    assert "Sezione 1: l'ente" not in sent["answers"]
    assert sent["answers"]["PEC dell'ente"] == ""  # unanswered questions are sent empty, not left out
    assert sent["answers"]["Aree di interesse"][1].startswith("C) Adulti e povertà")
    assert params["headers"]["X-Elenco-Timestamp"] == str(NOW_MS // 1000)
    assert done["mails"] == [{"to": "info@ilvolo.it", "subject": "Oggetto", "body": "Testo"}]

    # the very request the script made, replayed against the service
    app = build_app(
        crema,
        secret=SECRET,
        runner=lambda trigger: pytest.fail("no sync in this test"),
        clock=lambda: NOW_MS / 1000 + 2,
        instance_path=tmp_path / "instance",
        environ={},
    )
    try:
        r = app.test_client().post(
            "/hooks/form",
            data=params["payload"].encode(),
            headers=params["headers"],
            content_type=params["contentType"],
        )
        assert r.status_code == 200, r.json
        assert r.json["status"] == "accepted"  # the checkbox labels with commas were matched item by item
        assert [(p["codice"], p["gravita"]) for p in r.json["problemi"]] == [("runts_mancante", "avviso")]
    finally:
        state_of(app).scheduler.shutdown(5)


@needs_node
def test_accepted_verdict_without_problems_sends_no_mail(run_script: Callable[..., dict[str, Any]]) -> None:
    verdict = {
        "status": "accepted",
        "email_richiedente": False,
        "destinatario": "info@ilvolo.it",
        "oggetto_email": "",
        "testo_email": "",
        "problemi": [],
    }
    done = run_script("suInvioModulo", **_form_scenario([{"code": 200, "body": json.dumps(verdict)}]))
    assert len(done["fetches"]) == 1 and done["mails"] == []


@pytest.mark.parametrize(
    ("responses", "fetches", "sleeps"),
    [
        ([{"code": 503, "body": ""}, {"throw": "Timeout"}, {"code": 200, "body": "{}"}], 3, [2000, 4000]),
        ([{"code": 500, "body": ""}] * 4, 4, [2000, 4000, 8000]),
        ([{"code": 401, "body": "{}"}], 1, []),
        ([{"code": 400, "body": "{}"}], 1, []),
        ([{"code": 409, "body": "{}"}], 1, []),
        ([{"code": 422, "body": "{}"}], 1, []),
    ],
)
@needs_node
def test_retries_only_server_errors_and_timeouts(
    run_script: Callable[..., dict[str, Any]],
    responses: list[dict[str, Any]],
    fetches: int,
    sleeps: list[int],
) -> None:
    done = run_script("suInvioModulo", **_form_scenario(responses))
    assert len(done["fetches"]) == fetches
    assert done["sleeps"] == sleeps
    assert done["mails"] == []


@needs_node
def test_missing_script_properties_send_nothing(run_script: Callable[..., dict[str, Any]]) -> None:
    done = run_script("suInvioModulo", **_form_scenario(properties={}))
    assert done["fetches"] == []
    assert any("ELENCO_WEBHOOK_URL" in line for line in done["console"])


@needs_node
def test_installa_creates_the_trigger_once(run_script: Callable[..., dict[str, Any]]) -> None:
    assert run_script("installa")["triggers"] == ["suInvioModulo"]
    assert run_script("installa", existing_triggers=["suInvioModulo"])["triggers"] == []


DEPLOY_FILES = [
    "app.yaml",
    "cron.yaml",
    "sheets_templates/apps_script/Codice.gs",
    "sheets_templates/apps_script/appsscript.json",
]


@pytest.mark.parametrize("name", DEPLOY_FILES)
def test_no_secret_in_deployment_files(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "PRIVATE KEY" not in text
    assert not re.search(r"\b[0-9a-fA-F]{32,}\b", text)  # a generated hex token
    for line in text.splitlines():
        m = re.match(r"\s*(ELENCO_WEBHOOK_SECRET|ELENCO_TASK_TOKEN)\s*:\s*(\S+)", line)
        assert m is None, f"{name}: a secret value in the file: {line.strip()[:40]}"


def test_requirements_txt_is_generated_from_pyproject() -> None:
    from webhook.deploy import requirement_lines

    def names(lines: list[str]) -> list[str]:
        return [re.split(r"[=;<> ]", line, maxsplit=1)[0].lower() for line in lines]

    listed = [
        line
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert names(listed) == names(requirement_lines(ROOT / "pyproject.toml")), (
        "requirements.txt is stale: python -m webhook.deploy requirements > requirements.txt"
    )
    assert "gunicorn" in names(listed)
