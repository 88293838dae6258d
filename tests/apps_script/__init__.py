"""Running the Apps Script files under Node.js against stubs of the Apps Script services."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPTS = ROOT / "sheets_templates" / "apps_script"
BRIDGE = SCRIPTS / "Codice.gs"
STAFF_MENU = SCRIPTS / "foglio_staff" / "Menu.gs"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(
    NODE is None, reason="Node.js (node) is not installed: Apps Script cannot run"
)


def run_apps_script(scripts: list[Path], timeout: float = 120, **scenario: Any) -> dict[str, Any]:
    """Load `scripts` into one Apps Script scope, run the scenario's steps (see run.js), return what happened."""
    assert NODE is not None, "node is needed"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.json"
        path.write_text(json.dumps({"scripts": [str(s) for s in scripts], **scenario}), encoding="utf-8")
        done = subprocess.run(
            [NODE, str(HERE / "run.js"), str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out
