"""Printable attendance sheets as .xlsx files: A4 landscape, header repeated on every page."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.page import PageMargins

from sync import labels
from sync.backends.base import Printable

_THIN = Side(style="thin", color="999999")
_WIDTHS = (5, 48, 30, 34)


def write_printables(folder: Path, sheets: Sequence[Printable]) -> list[Path]:
    """Write each sheet atomically into `folder`; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for sheet in sheets:
        wb = Workbook()
        ws = wb.active
        ws.title = labels.PRINTOUT_SHEET
        ws["A1"] = sheet.title
        ws["A1"].font = Font(bold=True, size=14)
        ws["A2"] = sheet.subtitle
        for r, row in enumerate(sheet.rows, start=4):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c)
                cell.value = value
                cell.data_type = "s"  # literal text: a name starting with "=" is never a formula
                cell.border = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
                cell.alignment = Alignment(vertical="center", wrap_text=True)
                if r == 4:
                    cell.font = Font(bold=True)
            ws.row_dimensions[r].height = 28 if r > 4 else 18
        for i, width in enumerate(_WIDTHS, start=1):
            ws.column_dimensions[chr(64 + i)].width = width
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "4:4"
        ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        ws.oddFooter.center.text = labels.PRINT_FOOTER_PAGE
        target = folder / sheet.filename
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".stampa-", suffix=".xlsx")
        try:
            with os.fdopen(fd, "wb") as f:
                wb.save(f)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(target)
    return written
