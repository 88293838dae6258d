"""`python -m webhook.deploy requirements > requirements.txt`: the App Engine requirements, from pyproject.

App Engine installs `requirements.txt` with pip and runs the app from the uploaded folder (so `sync`,
`webhook` and `sheets_templates` are importable without installing the project). The file lists the runtime
dependencies of `pyproject.toml`, each pinned to the version installed here — the one the tests ran with —
keeping its environment marker. Transitive dependencies are left to pip. No pip-tools needed.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from webhook import labels

HEADER = labels.REQUIREMENTS_HEADER


def requirement_lines(pyproject: Path) -> list[str]:
    """One `name==version[; marker]` line per runtime dependency of the project."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    lines = []
    for spec in data["project"]["dependencies"]:
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
        if m is None:
            raise ValueError(f"unreadable dependency: {spec!r}")
        name = m.group(1)
        marker = spec.split(";", 1)[1].strip() if ";" in spec else ""
        line = f"{name}=={metadata.version(name)}"
        lines.append(f"{line}; {marker}" if marker else line)
    return lines


def main(argv: list[str]) -> int:
    """Print requirements.txt for the pyproject.toml of the current folder."""
    if argv[1:] != ["requirements"]:
        print(labels.DEPLOY_USAGE, file=sys.stderr)
        return 2
    sys.stdout.write(HEADER + "\n".join(requirement_lines(Path("pyproject.toml"))) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
