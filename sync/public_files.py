"""Every public file of the list, as bytes: the web page, the PDF, and the open data (`sync.public_list`).

    PublicList ─► elenco-pubblico.html   Jinja2 template `sheets_templates/pubblico/elenco.html` (autoescape)
               ─► elenco-pubblico.pdf    fpdf2, A4, DejaVu Sans embedded (`sheets_templates/fonts/`)
               ─► elenco-pubblico.csv, elenco-pubblico.json, datapackage.json

Values in, bytes out, the same bytes for the same list (the PDF's dates are the list's update time): no
clock, no network, no writing. The only files read are the package's own template and fonts: so only the edges
(`sync.pipeline` after the plan, `sync.cli`) call it; the pure decision only hands them the `PublicList`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from importlib.resources import as_file, files  # noqa: TID251 - own template, fonts; edges only
from typing import Any

import jinja2
from fpdf import FPDF
from fpdf.enums import TextMode
from fpdf.fonts import TTFFont
from markupsafe import Markup, escape

from sync import labels
from sync.batch import collector_paused
from sync.public_list import (
    HTML_NAME,
    PDF_NAME,
    PublicEntry,
    PublicList,
    iso_updated,
    open_data_files,
    record,
)

_TEMPLATES = files("sheets_templates") / "pubblico"
_FONTS = files("sheets_templates") / "fonts"
_FONT = "DejaVu"
# PDF column widths in mm (A4 portrait less the margins: 180 mm), in `labels.PUBLIC_TABLE_FIELDS` order
_PDF_WIDTHS = (46, 30, 24, 24, 23, 15, 18)


def long_date(value: date) -> str:
    """«3 aprile 2024»."""
    return labels.LONG_DATE.format(day=value.day, month=labels.MONTHS[value.month - 1], year=value.year)


def long_date_time(value: datetime) -> str:
    """«3 aprile 2024, ore 10:15»."""
    return labels.LONG_DATE_TIME.format(
        day=value.day, month=labels.MONTHS[value.month - 1], year=value.year, time=value.strftime("%H:%M")
    )


def _rows_by_id(plist: PublicList) -> dict[str, Markup]:
    """Every entry's table row (`_row_html`), by ID: made once, though an entry shows in each of its areas."""
    return {e.id: _row_html(e.id, _cells(plist, e)) for e in plist.entries}


def _row_html(entity: str, cells: Sequence[dict[str, str]]) -> Markup:
    """One organisation's `<tr>`: its name as the row's header, each other cell labelled with its column for
    the narrow layout, a registration date as a `<time>`. Every value is escaped (it comes from a form).

    Built here rather than in the template: a list of 20,000 organisations has 40,000 such rows, and the
    template engine's per-cell lookups were most of the page's time.
    """
    out = [f'<tr data-id="{escape(entity)}">']
    for i, cell in enumerate(cells):
        text = escape(cell["text"])
        if i == 0:
            out.append(f'<th scope="row">{text}</th>')
        elif cell["iso"]:
            out.append(f'<td data-etichetta="{escape(cell["label"])}"><time datetime="{escape(cell["iso"])}">{text}</time></td>')
        else:
            out.append(f'<td data-etichetta="{escape(cell["label"])}">{text}</td>')
    out.append("</tr>")
    return Markup("".join(out))


def _cells(plist: PublicList, entry: PublicEntry) -> list[dict[str, str]]:
    rec = record(plist, entry)
    out = []
    for name in labels.PUBLIC_TABLE_FIELDS:
        value = rec[name]
        text = ", ".join(value) if isinstance(value, list) else value
        iso = ""
        if name == "data_iscrizione" and entry.data_iscrizione:
            iso, text = text, entry.data_iscrizione.strftime("%d/%m/%Y")
        out.append({"label": labels.PUBLIC_FIELD_TITLES[name], "text": text, "iso": iso})
    return out


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (_TEMPLATES / name).read_text(encoding="utf-8")),
        autoescape=True,  # every value comes from a form: never markup
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _page_context(plist: PublicList) -> dict[str, Any]:
    a = plist.ambito
    rows = _rows_by_id(plist)
    return {
        "title": labels.PUBLIC_TITLE,
        "ambito": a.name,
        "notice": a.notice,
        "lead_body": a.lead_body,
        "deadline_text": long_date(a.deadline.date()),
        "after_deadline": a.after_deadline,
        "updated_iso": iso_updated(plist),
        "updated_text": long_date_time(plist.updated),
        "total_text": labels.orgs_count(len(plist.entries)),
        "columns": [labels.PUBLIC_FIELD_TITLES[n] for n in labels.PUBLIC_TABLE_FIELDS],
        "areas": [
            {
                "id": f"area-{s.code.lower()}",
                "name": s.name,
                "count_text": labels.orgs_count(len(s.entries)),
                "rows": [rows.get(e.id) or _row_html(e.id, _cells(plist, e)) for e in s.entries],
            }
            for s in plist.areas
        ],
        "office": a.office,
        "licence": a.licence,
        "licence_url": labels.LICENCE_PAGES.get(a.licence, ""),
        "published_fields": labels.PUBLISHED_FIELDS_NOTE,
    }


def html_bytes(plist: PublicList) -> bytes:
    """`elenco-pubblico.html`: one self-contained, accessible page, one section per area."""
    page = _environment().get_template("elenco.html").render(**_page_context(plist))
    return page.encode("utf-8")


_PAGES_ALIAS = "{pagine}"


class _ListPDF(FPDF):
    """A4 pages with the list's heading on each page and «Pagina N di M» at the foot."""

    def __init__(self, heading: str, updated: str, *, fast: bool = True) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.heading, self.updated = heading, updated
        # `fast`: measure and place text as fpdf2 does, without its per-call layout work (the same bytes:
        # tests/test_public_files.py compares both ways)
        self.fast = fast
        self._widths: dict[tuple[str, str, float], float] = {}
        self._broken: dict[tuple[str, float, str, float], list[str]] = {}
        self._encoded: dict[tuple[str, str], str] = {}
        self._glyphs: dict[str, dict[int, str | None]] = {}
        self._heading_lines: list[str] | None = None
        # the page total is written last, in the room its alias takes: room for thousands of pages
        self.alias_nb_pages(_PAGES_ALIAS)

    def _plain(self) -> bool:
        """True when the text state is the plain one `fast_width` and `place` reproduce: a TrueType font, no
        shaping, spacing, stretching, underline or other mode (what this module's PDF always uses)."""
        return (
            self.fast
            and self.is_ttf_font
            and not self.text_shaping
            and not self._fallback_font_ids
            and self.char_spacing == 0
            and self.font_stretching == 100
            and not self.underline
            and not self.strikethrough
            and self.text_mode == TextMode.FILL
            and not self._record_text_quad_points
        )

    def width_of(self, text: str) -> float:
        """`get_string_width`, remembered: names repeat the same words (and each call copies font state)."""
        key = (self.font_style, text, self.font_size_pt)
        if key not in self._widths:
            if self._plain() and _PAGES_ALIAS not in text:
                # what `get_string_width` sums over the one fragment of a plain text
                font = self.current_font
                assert isinstance(font, TTFFont)
                self._widths[key] = font.get_text_width(text, self.font_size_pt, None)[1] / self.k
            else:
                self._widths[key] = self.get_string_width(text)
        return self._widths[key]

    def place(self, texts: Sequence[tuple[float, float, str]]) -> None:
        """`text(x, y, text)` for each: the same operators, with the state checked once, without fpdf2's
        per-call checks and per-character encoding (each distinct string is encoded once; the subset's glyph
        numbers are picked in the same order)."""
        font = self.current_font
        if not self._plain() or not isinstance(font, TTFFont) or font.is_symbol or font.color_font:
            for x, y, text in texts:
                self.text(x, y, text)
            return
        if not self.current_font_is_set_on_page:
            self._out(self._set_font_for_page(font, self.font_size_pt))
        head = tail = ""
        if self.fill_color != self.text_color:
            assert self.text_color is not None
            head, tail = f"q {self.text_color.serialize().lower()} ", " Q"
        k, h, fontkey, encoded = self.k, self.h, font.fontkey, self._encoded
        lines = []
        for x, y, text in texts:
            code = encoded.get((fontkey, text))
            if code is None:
                code = encoded[(fontkey, text)] = self._encode(font, text)
            lines.append(f"{head}BT {x * k:.2f} {(h - y) * k:.2f} Td {code} ET{tail}")
        if lines:
            self._out("\n".join(lines))

    def _encode(self, font: TTFFont, text: str) -> str:
        """`font.encode_text(text)` with a table of the characters met so far."""
        table = self._glyphs.setdefault(font.fontkey, {})
        if not table.keys() >= set(map(ord, text)):
            for char in text:
                code = ord(char)
                if code not in table:
                    picked = font.subset.pick(code)
                    table[code] = chr(picked) if picked is not None else None
        return f"({font.escape_text(text.translate(table))}) Tj"

    def lines_of(self, text: str, width: float) -> list[str]:
        """`_lines`, remembered: dates, legal forms and comuni repeat on thousands of rows."""
        key = (self.font_style, self.font_size_pt, text, width)
        if key not in self._broken:
            self._broken[key] = _lines(self, text, width)
        return self._broken[key]

    def header(self) -> None:
        """The Ambito, the avviso's list and the update date, on every page."""
        self.set_font(_FONT, "B", 10)
        if self.fast and self._heading_lines is None:
            lines = self.multi_cell(0, 5, self.heading, dry_run=True, output="LINES")
            self._heading_lines = [str(line) for line in lines] if isinstance(lines, list) else []
        if self.fast and self._heading_lines is not None and len(self._heading_lines) == 1:
            # a heading of one line, measured once: `multi_cell` renders it as `cell` does
            self.cell(0, 5, self._heading_lines[0], new_x="LMARGIN", new_y="NEXT")
        else:
            self.multi_cell(0, 5, self.heading, new_x="LMARGIN", new_y="NEXT")
        self.set_font(_FONT, "", 8)
        self.cell(0, 5, self.updated, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        """Page numbers."""
        self.set_y(-12)
        self.set_font(_FONT, "", 8)
        text = labels.PDF_PAGE.format(page=self.page_no(), pages=_PAGES_ALIAS)
        self.cell(0, 8, text, align="C")


def _pdf_setup(plist: PublicList, *, fast: bool = True) -> _ListPDF:
    a = plist.ambito
    pdf = _ListPDF(
        labels.PDF_HEADING.format(title=labels.PUBLIC_TITLE, ambito=a.name),
        labels.PDF_UPDATED.format(date=long_date_time(plist.updated)),
        fast=fast,
    )
    for style, name in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf")):
        with as_file(_FONTS / name) as path:
            pdf.add_font(_FONT, style, str(path))
    # the same bytes for the same list: the document's dates are the list's update time
    pdf.set_creation_date(plist.updated.replace(tzinfo=None))
    pdf.set_title(f"{labels.PUBLIC_TITLE} - {a.name}")
    pdf.set_author(a.lead_body)
    pdf.set_subject(a.notice)
    pdf.set_lang("it-IT")
    pdf.set_creator("elenco")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(15, 12, 15)
    return pdf


_LINE = 4.2  # mm per line of a table cell
_PAD = 1.2  # mm of padding inside a cell
_BASELINE = 3.0  # mm from the top of a line to its baseline, at 8 pt


def _lines(pdf: _ListPDF, text: str, width: float) -> list[str]:
    """`text` broken into lines that fit `width` at the current font, at spaces.

    fpdf2's own line breaking (`multi_cell`) walks every character in Python: ~3 ms a cell, minutes for a
    large list. Measuring words with `get_string_width` is ~100 times faster; a single word too long for
    the column is left to fpdf2.
    """
    room = width - 2 * _PAD
    if pdf.width_of(text) <= room:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if pdf.width_of(candidate) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
        if pdf.width_of(word) <= room:
            current = word
        else:
            broken = pdf.multi_cell(room, _LINE, word, dry_run=True, output="LINES")
            parts = [str(p) for p in broken] if isinstance(broken, list) else [word]
            lines += parts[:-1]
            current = parts[-1] if parts else ""
    if current:
        lines.append(current)
    return lines or [""]


def _wrap(pdf: _ListPDF, cells: list[str]) -> list[list[str]]:
    return [pdf.lines_of(text, w) for text, w in zip(cells, _PDF_WIDTHS, strict=True)]


def _pdf_row(pdf: _ListPDF, wrapped: list[list[str]], *, heading: bool = False) -> None:
    """One table row of cells already wrapped to their columns."""
    height = max(len(lines) for lines in wrapped) * _LINE + _PAD
    x, y = pdf.l_margin, pdf.get_y()
    if heading:
        pdf.set_fill_color(230, 233, 238)
        pdf.rect(x, y, sum(_PDF_WIDTHS), height, style="F")
    texts = []
    for lines, w in zip(wrapped, _PDF_WIDTHS, strict=True):
        for i, line in enumerate(lines):
            texts.append((x + _PAD, y + _PAD / 2 + i * _LINE + _BASELINE, line))
        x += w
    # `text` places a string without fpdf2's per-cell layout work (10 times faster than `cell`)
    pdf.place(texts)
    pdf.set_draw_color(197, 202, 211)
    pdf.line(pdf.l_margin, y + height, pdf.l_margin + sum(_PDF_WIDTHS), y + height)
    pdf.set_xy(pdf.l_margin, y + height)


def _pdf_area(pdf: _ListPDF, plist: PublicList, index: int, wrapped_of: dict[str, list[list[str]]]) -> None:
    section = plist.areas[index]
    if pdf.get_y() > pdf.h - pdf.b_margin - 30:
        pdf.add_page()  # a heading never ends a page alone
    pdf.start_section(section.name)
    pdf.set_font(_FONT, "B", 12)
    title = labels.PDF_AREA_HEADING.format(area=section.name, count=labels.orgs_count(len(section.entries)))
    pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    if not section.entries:
        pdf.set_font(_FONT, "", 8)
        pdf.multi_cell(0, 5, labels.PDF_NO_ORGS, new_x="LMARGIN", new_y="NEXT")
        return
    heading = [labels.PUBLIC_FIELD_TITLES[n] for n in labels.PUBLIC_TABLE_FIELDS]
    pdf.set_font(_FONT, "B", 8)
    heading_lines = _wrap(pdf, heading)
    _pdf_row(pdf, heading_lines, heading=True)
    pdf.set_font(_FONT, "", 8)
    for entry in section.entries:
        wrapped = wrapped_of.get(entry.id)
        if wrapped is None:  # the same lines in each of the entry's areas (one font for every table row)
            wrapped = wrapped_of[entry.id] = _wrap(pdf, [c["text"] for c in _cells(plist, entry)])
        if pdf.get_y() + max(len(lines) for lines in wrapped) * _LINE + _PAD > pdf.h - pdf.b_margin:
            pdf.add_page()  # the row stays whole, and the column headings repeat on every page of the area
            pdf.set_font(_FONT, "B", 8)
            _pdf_row(pdf, heading_lines, heading=True)
            pdf.set_font(_FONT, "", 8)
        _pdf_row(pdf, wrapped)
    pdf.ln(4)


def pdf_bytes(plist: PublicList, *, fast: bool = True) -> bytes:
    """`elenco-pubblico.pdf`: A4, a section per area, heading and page numbers, fonts embedded (`fast=False`:
    every string measured and placed by fpdf2 itself, the same bytes, about three times slower)."""
    a = plist.ambito
    pdf = _pdf_setup(plist, fast=fast)
    pdf.add_page()
    pdf.set_font(_FONT, "", 9)
    pdf.multi_cell(0, 5, a.notice, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        0,
        5,
        labels.PDF_TOTAL.format(count=labels.orgs_count(len(plist.entries))),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    wrapped_of: dict[str, list[list[str]]] = {}
    for index in range(len(plist.areas)):
        _pdf_area(pdf, plist, index, wrapped_of)
    office = a.office
    contacts = ", ".join(x for x in (office.name, office.email, office.phone, office.website) if x)
    pdf.set_font(_FONT, "", 8)
    pdf.multi_cell(0, 4.5, labels.PDF_CONTACTS.format(contacts=contacts), new_x="LMARGIN", new_y="NEXT")
    url = labels.LICENCE_URLS.get(a.licence, "")
    licence = labels.PDF_LICENCE.format(licence=a.licence, url=url) if url else a.licence
    pdf.multi_cell(0, 4.5, licence, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 4.5, labels.PUBLISHED_FIELDS_NOTE, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@collector_paused()  # a batch (see `sync.batch`): 20,000 organisations, 0.7 s less in full collections
def public_files(plist: PublicList) -> dict[str, bytes]:
    """All five public files by name: HTML, PDF, CSV, JSON, data package."""
    return {HTML_NAME: html_bytes(plist), PDF_NAME: pdf_bytes(plist), **open_data_files(plist)}
