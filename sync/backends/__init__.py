"""Storage backends: where the workbooks live (`xlsx` local folder, `gsheets` Google Sheets, `memory`).

May import: the standard library, I/O libraries (openpyxl, gspread, google-auth, requests, filelock) and
`sync.model`, `sync.errors`, `sync.config`, `sync.cells`, `sync.labels`, `sync.backends.base`. Must not import
the core stages (`parse`, `validate`, `resolve`, `decisions`, `manual`, `calendar`, `render`, `printables`,
`diff`), `sync.pipeline`, `sync.cli` or `webhook`: the core hands the backends plain values (`TabSpec`,
`RangeWrite`, `Printable`, grids of text), all defined in `sync.backends.base`
(tests/test_architecture.py checks it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sync.backends.base import Backend
    from sync.config import Settings


def open_backend(settings: Settings) -> Backend:
    """The backend the configuration names (imported lazily: gspread is heavy and optional locally)."""
    from sync.config import XlsxBackend

    if isinstance(settings.backend, XlsxBackend):
        from sync.backends.xlsx import XlsxStore

        return XlsxStore(settings.backend.folder)
    from sync.backends.gsheets import GSheetsStore

    return GSheetsStore.from_settings(settings.backend)


__all__ = ["open_backend"]
