"""Fast writes to an existing workbook: re-serialise only the sheets written, keep every other part as it is.

A sync with a few new responses rewrites most cells of the big tabs (alphabetical insertions shift rows),
but nothing else. Loading the whole workbook with openpyxl and saving it whole costs a minute at 20,000
organisations; this module instead streams the XML of each written sheet once, replacing the written cells
and keeping every other cell's XML as it is (a person's formula, a colour, a shared string), and copies
every other part of the file (the other sheets, comments, shared strings, theme) byte for byte. Styles are
only ever appended to, so every style index in the file stays valid.

What the cells get is exactly what the openpyxl path (`sync.backends.xlsx`) gives them: literal text with
the `@` format, typed dates and counts with their number formats, bold headers, and for a list tab the
dressing (`_dress`: filter over the data, fitted widths, wrapped long columns, row heights, older text cells
of typed columns typed). A file this module does not understand raises `Unsupported`, and the caller falls
back to openpyxl, which is always correct.

Pure: bytes in, bytes out.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from posixpath import join, normpath
from xml.sax.saxutils import escape

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import column_index_from_string, get_column_letter

from sync.backends.base import Grid, RowDelete, RowInsert, TabSpec
from sync.cells import SERIAL_EPOCH, XLSX_FORMATS, kind_of, typed_value
from sync.public_list import FORMULA_PREFIXES

# Column widths (characters) fit the content between the header (plus the filter button) and this cap;
# a longer column wraps instead of growing.
MAX_WIDTH = 40
LINE_HEIGHT = 12.75  # points per line of the default 10-11 pt font
ROW_HEIGHT_MAX = 409  # the tallest row Excel allows
FILTER_BUTTON = 3
# Rows sampled to fit widths: enough to see the long values, cheap on a 20,000-row list.
WIDTH_SAMPLE_ROWS = 2000
_TEXT_FORMAT = "@"
_BUILTIN_FORMATS = {"General": 0, "0": 1, "@": 49}
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CALC_CHAIN = "xl/calcChain.xml"

_S_ATTR = re.compile(r'\ss="(\d+)"')
_DROP_ROW_ATTRS = re.compile(r'\s(?:spans|ht|customHeight)="[^"]*"')
_XF = re.compile(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.S)
_STRING_TYPES = frozenset({"s", "inlineStr", "str"})
# Alignment attributes at their default value say nothing: a wrapped cell saved by LibreOffice lists them all.
_ALIGN_DEFAULTS = {
    "horizontal": "general",
    "vertical": "bottom",
    "textRotation": "0",
    "indent": "0",
    "wrapText": "0",
    "shrinkToFit": "0",
    "justifyLastLine": "0",
    "readingOrder": "0",
    "relativeIndent": "0",
}
_WRAP = {"wrapText": "1", "vertical": "top"}
_TOP = {"vertical": "top"}


class Unsupported(Exception):
    """Something in the file this module does not rewrite: write it with openpyxl instead."""


@dataclass(frozen=True, slots=True)
class SheetEdit:
    """The cells to write into one sheet (0-based row → column → text), and how the sheet is dressed."""

    sheet: str
    spec: TabSpec
    cells: Mapping[int, Mapping[int, str]]  # 0-based rows as they are once `moves` are made
    grid: Grid | None  # the sheet's text once written: given for a list tab to dress, else None
    moves: tuple[RowInsert | RowDelete, ...] = ()  # rows inserted or deleted first, in order


def moved_row(r: int, moves: Sequence[RowInsert | RowDelete]) -> int | None:
    """Where 0-based row `r` is once `moves` are made in order (None: it was deleted)."""
    for move in moves:
        if r < move.at:
            continue
        if isinstance(move, RowInsert):
            r += move.count
        elif r < move.at + move.count:
            return None
        else:
            r -= move.count
    return r


def splice(data: bytes, edits: Sequence[SheetEdit]) -> bytes:
    """The workbook `data` with `edits` applied; raise Unsupported when the file is beyond this module."""
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Unsupported("not a zip") from None
    with source:
        names = set(source.namelist())
        workbook_xml = _text(source, "xl/workbook.xml")
        parts, order = _sheet_parts(source, workbook_xml)
        styles = Styles(_text(source, "xl/styles.xml"))
        out: dict[str, bytes] = {}
        for edit in edits:
            part = parts.get(edit.sheet)
            if part is None or part not in names:
                raise Unsupported(f"no sheet {edit.sheet}")
            if edit.moves:
                _check_movable(source, part, names)
            xml, filter_ref = _edit_sheet(_text(source, part), edit, styles)
            out[part] = xml.encode("utf-8")
            if filter_ref is not None:
                workbook_xml = _defined_names(workbook_xml, order[edit.sheet], filter_ref, edit.spec)
        out["xl/workbook.xml"] = workbook_xml.encode("utf-8")
        out["xl/styles.xml"] = styles.xml().encode("utf-8")
        if _CALC_CHAIN in names:
            # Excel's list of formula cells: a written cell may have held one; Excel rebuilds it (as openpyxl,
            # which never writes it).
            out.update(_without_calc_chain(source))
        return _zip(source, out, drop={_CALC_CHAIN})


# What a sheet may hold that refers to rows below the header, which moving rows would have to follow.
_ROW_BOUND = ("<mergeCell", "<conditionalFormatting", "<dataValidation", "<hyperlink", "<drawing", "<tablePart",
              "<rowBreaks", "<f>", "<f ")


def _check_movable(source: zipfile.ZipFile, part: str, names: set[str]) -> None:
    """Raise Unsupported unless rows of sheet `part` can move by renumbering them: nothing else in the file
    refers to a row below the header (a note on a header cell, as `ensure` makes, is fine)."""
    folder, file = part.rsplit("/", 1)
    rels = f"{folder}/_rels/{file}.rels"
    if rels not in names:
        return
    for target in re.findall(r'Target="([^"]+)"', _text(source, rels)):
        comments = normpath(join(folder, target))
        if "comments" not in target or comments not in names:
            continue
        if any(row != "1" for row in re.findall(r'<comment\b[^>]*?\bref="[A-Z]{1,3}(\d+)"', _text(source, comments))):
            raise Unsupported("a note below the header of a sheet whose rows move")


def _text(source: zipfile.ZipFile, name: str) -> str:
    try:
        return source.read(name).decode("utf-8")
    except (KeyError, UnicodeDecodeError, zipfile.BadZipFile, OSError) as exc:
        raise Unsupported(f"{name}: {exc}") from None


def _parse(xml: str, name: str) -> ET.Element:
    try:
        return ET.fromstring(xml)
    except ET.ParseError:
        raise Unsupported(name) from None


def _sheet_parts(source: zipfile.ZipFile, workbook_xml: str) -> tuple[dict[str, str], dict[str, int]]:
    """Sheet title → its part in the zip, and → its position (the `localSheetId` of its defined names)."""
    rels = _parse(_text(source, "xl/_rels/workbook.xml.rels"), "workbook rels")
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{_PKG_REL_NS}}}Relationship")}
    parts: dict[str, str] = {}
    order: dict[str, int] = {}
    for i, sheet in enumerate(_parse(workbook_xml, "workbook").iter(f"{{{_MAIN_NS}}}sheet")):
        target = targets.get(sheet.get(f"{{{_REL_NS}}}id"), "")
        name = sheet.get("name", "")
        parts[name] = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
        order[name] = i
    return parts, order


def _zip(source: zipfile.ZipFile, replaced: Mapping[str, bytes], drop: set[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            data = replaced.get(info.filename)
            target.writestr(info, data if data is not None else source.read(info), zipfile.ZIP_DEFLATED, 1)
    return buffer.getvalue()


def _without_calc_chain(source: zipfile.ZipFile) -> dict[str, bytes]:
    types = _text(source, "[Content_Types].xml")
    types = re.sub(r'<Override\b[^>]*PartName="/xl/calcChain\.xml"[^>]*/>', "", types)
    rels = _text(source, "xl/_rels/workbook.xml.rels")
    rels = re.sub(r'<Relationship\b[^>]*Target="[^"]*calcChain\.xml"[^>]*/>', "", rels)
    return {"[Content_Types].xml": types.encode("utf-8"), "xl/_rels/workbook.xml.rels": rels.encode("utf-8")}


def _defined_names(workbook_xml: str, index: int, filter_ref: tuple[str, int], spec: TabSpec) -> str:
    """The filter's hidden name and the print area follow the data's last row."""
    letter, last_row = filter_ref
    wanted = {"_xlnm._FilterDatabase": letter}
    if spec.print_columns:
        wanted["_xlnm.Print_Area"] = get_column_letter(spec.print_columns)
    for name, column in wanted.items():
        pattern = re.compile(
            rf'(<definedName\b(?=[^>]*\bname="{re.escape(name)}")(?=[^>]*\blocalSheetId="{index}")[^>]*>)'
            r"([^<]*!)[^<]*(</definedName>)"
        )
        workbook_xml, found = pattern.subn(
            rf"\g<1>\g<2>$A$1:${column}${last_row}\g<3>", workbook_xml, count=1
        )
        if not found and name == "_xlnm.Print_Area":
            raise Unsupported("no print area")
    return workbook_xml


# -- styles -------------------------------------------------------------------------------------------------


class Styles:
    """The workbook's cell formats, appended to (never renumbered) when a cell needs a new one."""

    def __init__(self, xml: str) -> None:
        self._xml = xml
        xfs = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", xml, re.S)
        if xfs is None:
            raise Unsupported("no cellXfs")
        self._xfs = _XF.findall(xfs[1])
        self._index = {x: i for i, x in reversed(list(enumerate(self._xfs)))}
        self._added_xfs = 0
        self._formats = {
            _unescape(code): int(num)
            for num, code in re.findall(r'<numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"', xml)
        }
        self._new_formats: dict[str, int] = {}
        self._bold_font: int | None = None
        self._derived: dict[tuple[int, str | None, bool | None, bool, str | None], int] = {}
        self._parsed: dict[int, ET.Element] = {}

    def element(self, s: int) -> ET.Element:
        xf = self._parsed.get(s)
        if xf is None:
            if s >= len(self._xfs):
                raise Unsupported(f"style {s}")
            xf = self._parsed[s] = _parse(self._xfs[s].replace(f' xmlns="{_MAIN_NS}"', ""), "xf")
        return xf

    def alignment(self, s: int) -> dict[str, str]:
        """The cell format's alignment, default values left out."""
        for child in self.element(s):
            if child.tag.rsplit("}", 1)[-1] == "alignment":
                return _meaningful(child.attrib)
        return {}

    def derive(
        self,
        s: int,
        fmt: str | None = None,
        quote: bool | None = None,
        bold: bool = False,
        align: str | None = None,
    ) -> int:
        """The format `s` with a number format, the hidden apostrophe, bold, an alignment set (or `s` itself)."""
        key = (s, fmt, quote, bold, align)
        got = self._derived.get(key)
        if got is None:
            got = self._derived[key] = self._make(s, fmt, quote, bold, align)
        return got

    def _make(self, s: int, fmt: str | None, quote: bool | None, bold: bool, align: str | None) -> int:
        old = self.element(s)
        xf = ET.Element("xf", dict(old.attrib))
        children = [c for c in old if c.tag.rsplit("}", 1)[-1] != "alignment" or align is None]
        if fmt is not None:
            xf.set("numFmtId", str(self._format_id(fmt)))
            xf.set("applyNumberFormat", "1")
        if quote is not None:
            xf.set("quotePrefix", "1" if quote else "0")
        if bold:
            xf.set("fontId", str(self._bold()))
            xf.set("applyFont", "1")
        if align is not None:
            xf.set("applyAlignment", "1")
            children.insert(0, ET.Element("alignment", _WRAP if align == "wrap" else _TOP))
        for child in children:
            copy = ET.SubElement(xf, child.tag.rsplit("}", 1)[-1], dict(child.attrib))
            copy.extend(list(child))
        if self._same(old, xf, align):
            return s
        text = ET.tostring(xf, encoding="unicode")
        found = self._index.get(text)
        if found is None:
            found = self._index[text] = len(self._xfs)
            self._xfs.append(text)
            self._added_xfs += 1
        return found

    def _same(self, old: ET.Element, new: ET.Element, align: str | None) -> bool:
        """True when `new` changes nothing that shows (the attributes that say «apply» aside)."""
        keys = ("numFmtId", "quotePrefix", "fontId")
        truth = {"1": "1", "true": "1", "0": "0", "false": "0", None: "0"}
        for key in keys:
            a, b = old.get(key), new.get(key)
            if key == "quotePrefix":
                if truth.get(a, a) != truth.get(b, b):
                    return False
            elif (a or "0") != (b or "0"):
                return False
        if align is None:
            return True
        old_align = next((c for c in old if c.tag.rsplit("}", 1)[-1] == "alignment"), None)
        return _meaningful(old_align.attrib if old_align is not None else {}) == (
            _WRAP if align == "wrap" else _TOP
        )

    def _format_id(self, code: str) -> int:
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        found = self._formats.get(code)
        if found is None:
            found = max([163, *self._formats.values()]) + 1
            self._formats[code] = self._new_formats[code] = found
        return found

    def _bold(self) -> int:
        if self._bold_font is None:
            fonts = re.search(r"<fonts\b[^>]*>(.*?)</fonts>", self._xml, re.S)
            if fonts is None:
                raise Unsupported("no fonts")
            listed = re.findall(r"<font\b[^>]*?(?:/>|>.*?</font>)", fonts[1], re.S)
            bold = re.compile(r'<font>\s*<b(?:\s+val="(?:1|true)")?\s*/>\s*</font>')
            self._bold_font = next((i for i, f in enumerate(listed) if bold.fullmatch(f)), None)
            if self._bold_font is not None:
                return self._bold_font
            self._bold_font = len(listed)
            self._xml = (
                self._xml[: fonts.start(1)]
                + fonts[1]
                + '<font><b val="1"/></font>'
                + self._xml[fonts.end(1) :]
            )
            self._xml = re.sub(r'(<fonts\b[^>]*?count=")\d+', rf"\g<1>{len(listed) + 1}", self._xml, count=1)
        return self._bold_font

    def xml(self) -> str:
        """The styles part with the formats added."""
        xml = self._xml
        if self._new_formats:
            added = "".join(
                f'<numFmt numFmtId="{i}" formatCode="{escape(c, {chr(34): "&quot;"})}"/>'
                for c, i in self._new_formats.items()
            )
            count = len(self._formats)
            empty = re.search(r"<numFmts\b[^>]*/>", xml)
            if empty is not None:
                xml = (
                    xml[: empty.start()] + f'<numFmts count="{count}">{added}</numFmts>' + xml[empty.end() :]
                )
            elif "</numFmts>" in xml:
                xml = xml.replace("</numFmts>", added + "</numFmts>", 1)
                xml = re.sub(r"<numFmts\b[^>]*>", f'<numFmts count="{count}">', xml, count=1)
            else:
                start = re.search(r"<styleSheet\b[^>]*>", xml)
                if start is None:
                    raise Unsupported("no styleSheet")
                xml = xml[: start.end()] + f'<numFmts count="{count}">{added}</numFmts>' + xml[start.end() :]
        if self._added_xfs:
            body = "".join(self._xfs)
            xml = re.sub(
                r"<cellXfs\b[^>]*>.*?</cellXfs>",
                lambda _: f'<cellXfs count="{len(self._xfs)}">{body}</cellXfs>',
                xml,
                count=1,
                flags=re.S,
            )
        return xml


def _meaningful(attrib: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for key, value in attrib.items():
        value = {"true": "1", "false": "0"}.get(value, value)
        if _ALIGN_DEFAULTS.get(key) != value:
            out[key] = value
    return out


def _unescape(text: str) -> str:
    return text.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# -- sheets -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dressing:
    """What `_dress` decides for a list tab, from its text once written (see sync.backends.xlsx._dress)."""

    width: int  # columns dressed
    owned: int  # leading columns the sync owns (a mixed tab's notes columns are only measured)
    last_row: int  # 1-based: the last row holding a value (the filter's and print area's end)
    widths: tuple[float, ...]
    wrapped: frozenset[int]  # long columns: wrapped, rows as tall as their text
    heights: Mapping[int, float | None]  # 0-based row → height (None: the default); only with wrapped columns


def dressing(grid: Grid, spec: TabSpec) -> Dressing | None:
    """The dressing of a list tab holding `grid` (None: a tab without a header has none)."""
    header = grid[0] if grid else []
    width = max(len(spec.header), max((i + 1 for i, v in enumerate(header) if v), default=0))
    if width == 0:
        return None
    floor = [len(header[c] if c < len(header) else "") + FILTER_BUTTON for c in range(width)]
    longest = list(floor)
    last_row = next((r + 1 for r in range(len(grid) - 1, 0, -1) if any(grid[r][:width])), 1)
    for r in range(1, min(len(grid), WIDTH_SAMPLE_ROWS)):
        row = grid[r]
        for c in range(min(width, len(row))):
            value = row[c]
            if value:
                size = (max(map(len, value.split("\n"))) if "\n" in value else len(value)) + 1
                if size > longest[c]:
                    longest[c] = size
    widths = tuple(float(min(MAX_WIDTH, max(longest[c], floor[c]))) for c in range(width))
    owned = len(spec.header) if spec.owner == "mixed" else width
    wrapped = frozenset(c for c in range(min(width, owned)) if longest[c] > MAX_WIDTH)
    heights: dict[int, float | None] = {}
    if wrapped:
        # a cell of one line no longer than its column is one line (`wrapped_lines`): most cells, not measured
        short = {c: max(1, int(widths[c]) - 2) for c in wrapped}
        for r in range(1, min(last_row, len(grid))):
            row = grid[r]
            lines = 1
            for c, room in short.items():
                if c < len(row) and (len(row[c]) > room or "\n" in row[c]):
                    lines = max(lines, wrapped_lines(row[c], widths[c]))
            heights[r] = min(ROW_HEIGHT_MAX, LINE_HEIGHT * lines + 2) if lines > 1 else None
        heights.update({r: None for r in range(len(grid), last_row)})
    return Dressing(width, owned, last_row, widths, wrapped, heights)


def wrapped_lines(text: str, width: float) -> int:
    """About how many lines a wrapped cell of `width` characters shows `text` on (words are not cut)."""
    per_line = max(1, int(width) - 2)
    return sum(max(1, -(-len(line) // per_line)) for line in text.split("\n"))


def _edit_sheet(xml: str, edit: SheetEdit, styles: Styles) -> tuple[str, tuple[str, int] | None]:
    """The sheet's XML with the edit applied; the filter's (last column, last row) when it is dressed."""
    start, body, end = _sheet_data(xml)
    dress = dressing(edit.grid, edit.spec) if edit.grid is not None else None
    if dress is not None and ("<autoFilter" not in xml or "<pageSetup" not in xml):
        raise Unsupported("a list tab without its filter or print set-up")
    if edit.moves and (any(tag in xml for tag in _ROW_BOUND) or any(m.at < 1 for m in edit.moves)):
        raise Unsupported("rows move in a sheet with formulas, merged cells, rules or links, or under the header")
    writer = _SheetWriter(edit, styles, dress)
    rows = writer.rows(body)
    xml = f"{xml[:start]}<sheetData>{rows}</sheetData>{xml[end:]}"
    ref = f"A1:{get_column_letter(max(writer.max_col, 1))}{max(writer.max_row, 1)}"
    xml = re.sub(r'(<dimension\b[^>]*?\bref=")[^"]*', rf"\g<1>{ref}", xml, count=1)
    if dress is None:
        return xml, None
    letter = get_column_letter(dress.width)
    xml = re.sub(r'(<autoFilter\b[^>]*?\bref=")[^"]*', rf"\g<1>A1:{letter}{dress.last_row}", xml, count=1)
    return _columns(xml, dress.widths), (letter, dress.last_row)


def _sheet_data(xml: str) -> tuple[int, str, int]:
    """Where `<sheetData>` starts, what it holds, where it ends."""
    start = xml.find("<sheetData")
    if start < 0:
        raise Unsupported("no sheetData")
    head = xml.find(">", start)
    if xml[head - 1] == "/":
        return start, "", head + 1
    close = xml.rfind("</sheetData>")
    if close < head:
        raise Unsupported("no sheetData end")
    return start, xml[head + 1 : close], close + len("</sheetData>")


def _elements(text: str, tag: str) -> Iterator[tuple[str, str, str]]:
    """Each `<tag …>…</tag>` (or `<tag …/>`) of `text` in order: (whole XML, attributes, content).

    `str.find` rather than a regular expression: a sheet's XML is tens of megabytes.
    """
    opening, closing = f"<{tag}", f"</{tag}>"
    size = len(opening)
    pos = 0
    while True:
        start = text.find(opening, pos)
        if start < 0:
            if text[pos:].strip():
                raise Unsupported(f"unexpected XML around <{tag}>")
            return
        if start > pos and text[pos:start].strip():
            raise Unsupported(f"unexpected XML around <{tag}>")
        if text[start + size] not in " />":
            raise Unsupported(f"not a <{tag}>")
        head = text.find(">", start)
        if head < 0:
            raise Unsupported(f"an unclosed <{tag}>")
        if text[head - 1] == "/":
            pos = head + 1
            yield text[start:pos], text[start + size : head - 1], ""
            continue
        end = text.find(closing, head)
        if end < 0:
            raise Unsupported(f"an unclosed <{tag}>")
        pos = end + len(closing)
        yield text[start:pos], text[start + size : head], text[head + 1 : end]


def _attr(attrs: str, name: str) -> str | None:
    """The value of attribute `name` in an opening tag's attributes (` r="A1" s="3"`)."""
    key = f' {name}="'
    i = attrs.find(key)
    if i < 0:
        return None
    i += len(key)
    return attrs[i : attrs.index('"', i)]


def _columns(xml: str, widths: Sequence[float]) -> str:
    """`<cols>` with the dressed columns' widths; every other column (and attribute) as it was."""
    found = re.search(r"<cols>(.*?)</cols>|<cols\s*/>", xml, re.S)
    entries: list[tuple[int, int, dict[str, str]]] = []
    if found is not None and found[1]:
        for col in re.finditer(r"<col\b([^>]*?)/?>", found[1]):
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', col[1]))
            entries.append((int(attrs.pop("min", "0")), int(attrs.pop("max", "0")), attrs))
    dressed = len(widths)
    out: list[tuple[int, int, dict[str, str]]] = []
    for low, high, attrs in entries:
        if high > dressed:
            out.append((max(low, dressed + 1), high, attrs))
    for c, width in enumerate(widths, start=1):
        attrs = next((dict(a) for lo, hi, a in entries if lo <= c <= hi), {})
        attrs["width"] = f"{width:g}"
        attrs["customWidth"] = "1"
        out.append((c, c, attrs))
    out.sort(key=lambda e: e[0])
    body = "".join(
        f'<col min="{lo}" max="{hi}"' + "".join(f' {k}="{v}"' for k, v in a.items()) + "/>"
        for lo, hi, a in out
    )
    cols = f"<cols>{body}</cols>"
    if found is not None:
        return xml[: found.start()] + cols + xml[found.end() :]
    data = xml.index("<sheetData")
    return xml[:data] + cols + xml[data:]


# The usual shape of a stored cell (attributes r, s, t in this order, as Excel, LibreOffice and openpyxl write
# them); a row holding any other shape is read by `_elements`.
_PLAIN_CELL = re.compile(r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="([a-zA-Z]+)")?(?:/>|>[^<]*(?:<(?!/c>)[^<]*)*</c>)')
_ROW_NUMBER = re.compile(r'\sr="\d+"')
_CELL_HEAD = re.compile(r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="([a-zA-Z]+)")?')
_SPANS = re.compile(r'\sspans="[^"]*"')
_DATE = re.compile(r"(\d\d)/(\d\d)/(\d{4})(?: (\d\d):(\d\d)(?::(\d\d))?)?")
_DATE_SHAPES = {"date": (3,), "datetime": (5,), "timestamp": (6,)}


def fast_typed(kind: str, text: str) -> int | datetime | None:
    """`sync.cells.typed_value`, without strptime for the canonical shapes (a sheet holds thousands)."""
    if kind == "int" or not text:
        return typed_value(kind, text)
    m = _DATE.fullmatch(text)
    if m is None:
        return None
    fields = [int(g) for g in m.groups() if g is not None]
    if (len(fields),) != _DATE_SHAPES.get(kind) or fields[2] < 1000:
        return None
    day, month, year, hour, minute, second = [*fields, 0, 0, 0][:6]
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


class _SheetWriter:
    """Streams a sheet's rows: written cells replaced, the dressing applied, every other cell as it was."""

    def __init__(self, edit: SheetEdit, styles: Styles, dress: Dressing | None) -> None:
        self.edit = edit
        self.styles = styles
        self.dress = dress
        self.grid = edit.grid or []
        self.max_row = 0
        self.max_col = 0
        self._letters: dict[int, str] = {}
        self._columns: dict[str, int] = {}
        self._kinds: dict[int, str] = {}
        self._text_style: dict[tuple[int, bool], int] = {}
        # columns the dressing looks at in a row of normal height: wrapped ones, and typed ones it may type
        self._typed_cols: tuple[int, ...] = ()
        self._alignment_ok: dict[int, bool] = {}
        # (cell head, row is tall) → does the dressing keep such a cell as it is, or does it depend on its text
        self._head_kept: dict[tuple[tuple[str, str, str], bool], bool | None] = {}
        # rows whose every cell head the dressing keeps whatever the cell holds (verdict True for each)
        self._rows_kept: set[tuple[tuple[tuple[str, str, str], ...], bool]] = set()
        if dress is not None:
            self._typed_cols = tuple(c for c in range(min(dress.width, dress.owned)) if self._kind(c) != "text")

    def _kind(self, c: int) -> str:
        kind = self._kinds.get(c)
        if kind is None:
            kind = self._kinds[c] = kind_of(self.edit.spec.kinds, c)
        return kind

    def rows(self, body: str) -> str:
        cells = self.edit.cells
        pending = sorted(cells)
        moves = self.edit.moves
        out: list[str] = []
        i = 0
        previous = -1
        for whole, attrs, inner in _elements(body, "row"):
            number = _attr(attrs, "r")
            if number is None or not number.isdigit() or int(number) - 1 <= previous:
                raise Unsupported("rows without numbers, or out of order")
            r = previous = int(number) - 1
            if moves:
                moved = moved_row(r, moves)
                if moved is None:
                    continue  # a deleted row
                if moved != r:
                    r = moved
                    attrs, inner = _renumbered(attrs, inner, r, number)
                    whole = f"<row{attrs}>{inner}</row>" if inner else f"<row{attrs}/>"
            while i < len(pending) and pending[i] < r:
                out.append(self.row(pending[i], f' r="{pending[i] + 1}"', ""))
                i += 1
            if i < len(pending) and pending[i] == r:
                i += 1
            elif self.dress is None or self._settled(r, attrs, inner):
                out.append(whole)
                self._extent(r, inner)
                continue
            out.append(self.row(r, attrs, inner))
        out.extend(self.row(r, f' r="{r + 1}"', "") for r in pending[i:])
        return "".join(out)

    def _settled(self, r: int, attrs: str, inner: str) -> bool:
        """True when the dressing leaves row `r` (not written) as it is: its height, its cells' formats.

        What `row` and `_dress_row` would decide, from the cells' references and formats alone: most rows of
        a list were dressed by the previous write, and rebuilding them all is most of a large write's time.
        """
        dress = self.dress
        assert dress is not None
        if not inner or r == 0:
            return False
        heads = _CELL_HEAD.findall(inner)
        if len(heads) != inner.count("<c "):
            return False  # a cell of another shape: `row` reads it properly
        if r in dress.heights and not self._height_is(attrs, dress.heights[r]):
            return False
        tall = (dress.heights.get(r) or 0) > 0
        shape = (tuple(heads), tall)
        if shape in self._rows_kept:
            return True  # cells of these formats the dressing keeps whatever they hold (most rows of a list)
        row = self.grid[r] if r < len(self.grid) else []
        width = min(dress.width, len(row))
        verdicts = self._head_kept
        if all(verdicts.get((head, tall)) for head in heads):
            self._rows_kept.add(shape)
            return True
        for head in heads:
            kept = verdicts.get((head, tall), False)
            if kept:
                continue
            c = self._column(head[0])
            if c >= width or not row[c]:
                continue
            if kept is False and (head, tall) not in verdicts:
                kept = verdicts[(head, tall)] = self._head_verdict(head, c, tall)
                if kept:
                    continue
            if kept is False or fast_typed(self._kind(c), row[c]) is not None:
                return False
        return True

    def _head_verdict(self, head: tuple[str, str, str], c: int, tall: bool) -> bool | None:
        """Whether the dressing keeps a cell of this head (reference letters, format, type) holding text:
        True, False, or None when that depends on its text (a text cell of a typed column is typed)."""
        dress = self.dress
        assert dress is not None
        _, style, kind = head
        s = int(style) if style else 0
        if c in dress.wrapped:
            if self.styles.derive(s, align="wrap") != s:
                return False
        elif tall and not self._aligned(s) and self.styles.derive(s, align="top") != s:
            return False
        if kind in _STRING_TYPES and c in self._typed_cols:
            return None  # an older version's text cell, typed by `_dress_row` when its text reads as typed
        return True

    @staticmethod
    def _height_is(attrs: str, height: float | None) -> bool:
        """True when a row's attributes give it `height` (None: the default height)."""
        if height is None:  # most rows: neither attribute
            return ' ht="' not in attrs and ' customHeight="' not in attrs
        return _attr(attrs, "ht") == f"{height:g}" and _attr(attrs, "customHeight") == "1"

    def _extent(self, r: int, inner: str) -> None:
        last = inner.rfind("<c ")
        if last >= 0:
            # the last cell's reference, read in place (a slice of each row's cells would copy them)
            at = inner.find(' r="', last, inner.find(">", last))
            ref = inner[at + 4 : inner.index('"', at + 4)] if at >= 0 else ""
            self.max_row = max(self.max_row, r + 1)
            self.max_col = max(self.max_col, self._column(ref.rstrip("0123456789")) + 1)

    def _column(self, letters: str) -> int:
        c = self._columns.get(letters)
        if c is None:
            c = self._columns[letters] = column_index_from_string(letters) - 1
        return c

    def _letter(self, c: int) -> str:
        letter = self._letters.get(c)
        if letter is None:
            letter = self._letters[c] = get_column_letter(c + 1)
        return letter

    def _old_cells(self, inner: str) -> dict[int, tuple[str, int, str | None]]:
        """A row's stored cells: column → (XML, format index, type)."""
        cells: dict[int, tuple[str, int, str | None]] = {}
        pos = 0
        columns = self._columns
        for m in _PLAIN_CELL.finditer(inner):
            if m.start() != pos:
                break
            pos = m.end()
            letters, s, t = m.groups()
            c = columns.get(letters)
            if c is None:
                c = self._column(letters)
            cells[c] = (m[0], int(s) if s else 0, t)
        else:
            if not inner[pos:].strip():
                return cells
        cells = {}
        for whole, attrs, _ in _elements(inner, "c"):
            ref = _attr(attrs, "r")
            if not ref:
                raise Unsupported("a cell without its reference")
            s = _attr(attrs, "s")
            cells[self._column(ref.rstrip("0123456789"))] = (whole, int(s) if s else 0, _attr(attrs, "t"))
        return cells

    def row(self, r: int, attrs: str, inner: str) -> str:
        old = self._old_cells(inner) if inner else {}
        new: dict[int, tuple[str, int, str | None]] = dict(old)
        for c, value in self.edit.cells.get(r, {}).items():
            kept = old.get(c)
            if kept is not None and "<f" in kept[0] and 't="shared"' in kept[0]:
                raise Unsupported("a shared formula under a written cell")
            new[c] = self._written(r, c, value, kept[1] if kept else 0)
        dress = self.dress
        if dress is not None and r > 0:
            self._dress_row(r, new)
        attrs = _SPANS.sub("", attrs.replace("\n", " "))
        if dress is not None and r in dress.heights:
            attrs = _DROP_ROW_ATTRS.sub("", attrs)
            height = dress.heights[r]
            if height is not None:
                attrs += f' ht="{height:g}" customHeight="1"'
        present = [c for c in sorted(new) if new[c][0]]
        if present:
            self.max_row = r + 1
            self.max_col = max(self.max_col, present[-1] + 1)
            return f"<row{attrs}>{''.join([new[c][0] for c in present])}</row>"
        return "" if not _ROW_NUMBER.sub("", attrs).strip() else f"<row{attrs}/>"

    def _written(self, r: int, c: int, value: str, s: int) -> tuple[str, int, str | None]:
        """A written cell as `_set_cell` / `_set_text` (and the header's bold) make it."""
        ref = f"{self._letter(c)}{r + 1}"
        if r > 0:
            kind = self._kind(c)
            typed = fast_typed(kind, value) if kind != "text" else None
            if typed is not None:
                s = self.styles.derive(s, fmt=XLSX_FORMATS[kind], quote=False)
                return f'<c r="{ref}" s="{s}"><v>{_number(typed)}</v></c>', s, None
            if value.isprintable() and value[:1] not in ("", " ") and value[-1] != " ":
                # the common case: printable text, nothing to clean, nothing to preserve
                quote = value.startswith(FORMULA_PREFIXES)
                got = self._text_style.get((s, quote))
                if got is None:
                    got = self._text_style[(s, quote)] = self.styles.derive(s, _TEXT_FORMAT, True if quote else None)
                if "&" in value or "<" in value or ">" in value:
                    value = escape(value)
                return f'<c r="{ref}" s="{got}" t="inlineStr"><is><t>{value}</t></is></c>', got, "inlineStr"
        text = clean_text(value)
        bold = r == 0 and bool(value)
        if text is None:
            s = self.styles.derive(s, bold=True) if bold else s
            return (f'<c r="{ref}" s="{s}"/>' if s else ""), s, None
        s = self.styles.derive(s, _TEXT_FORMAT, True if text.startswith(FORMULA_PREFIXES) else None, bold)
        space = ' xml:space="preserve"' if text[0] in " \t\n" or text[-1] in " \t\n" else ""
        return f'<c r="{ref}" s="{s}" t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>', s, "inlineStr"

    def _dress_row(self, r: int, new: dict[int, tuple[str, int, str | None]]) -> None:
        dress = self.dress
        assert dress is not None
        row = self.grid[r] if r < len(self.grid) else []
        width = min(dress.width, len(row))
        tall = (dress.heights.get(r) or 0) > 0
        written = self.edit.cells.get(r, {})
        for c in self._typed_cols:
            if (
                c < width
                and row[c]
                and c not in written
                and c in new
                and new[c][2] in _STRING_TYPES
                and fast_typed(self._kind(c), row[c]) is not None
            ):  # an older version's text cell: typed now
                new[c] = self._written(r, c, row[c], new[c][1])
        for c in range(width) if tall else dress.wrapped:
            if c >= width or not row[c] or c not in new:
                continue
            xml, s, t = new[c]
            if c in dress.wrapped:
                s2 = self.styles.derive(s, align="wrap")
            elif not self._aligned(s):
                s2 = self.styles.derive(s, align="top")
            else:
                continue
            if s2 != s:
                new[c] = (_with_style(xml, s2), s2, t)

    def _aligned(self, s: int) -> bool:
        """True when cells of format `s` already wrap or sit at the top."""
        got = self._alignment_ok.get(s)
        if got is None:
            got = self._alignment_ok[s] = _wraps(self.styles.alignment(s))
        return got


_CELL_REF = re.compile(r'(<c\b[^>]*?\sr="[A-Z]{1,3})\d+"')
def _renumbered(attrs: str, inner: str, r: int, number: str = "") -> tuple[str, str]:
    """A row's attributes and cells moved to 0-based row `r` (its number and every cell reference); `number`:
    the row's number before, which each of its cells' references ends with."""
    attrs = _ROW_NUMBER.sub(f' r="{r + 1}"', attrs, count=1)
    moved = _plain_renumbered(inner, number, str(r + 1)) if number else None
    return attrs, moved if moved is not None else _CELL_REF.sub(rf'\g<1>{r + 1}"', inner)


def _plain_renumbered(inner: str, old: str, new: str) -> str | None:
    """The cells with references `<c r="AB{old}"…` renumbered to `new` by string slicing, without a regular
    expression's template per cell (a moved list has hundreds of thousands); None: a cell of another shape."""
    parts = inner.split('<c r="')
    if len(parts) - 1 != inner.count("<c "):
        return None
    size = len(old)
    for i in range(1, len(parts)):
        part = parts[i]
        end = part.find('"')
        letters = part[: end - size]
        if end <= size or part[end - size : end] != old or not (letters.isascii() and letters.isalpha()):
            return None
        parts[i] = letters + new + part[end:]
    return '<c r="'.join(parts)


def _wraps(alignment: Mapping[str, str]) -> bool:
    return alignment.get("wrapText") == "1" or alignment.get("vertical") == "top"


def _with_style(xml: str, s: int) -> str:
    head = xml.index(">") if not xml.startswith("<c/") else 2
    tag = xml[:head]
    if _S_ATTR.search(tag):
        tag = _S_ATTR.sub(f' s="{s}"', tag, count=1)
    else:
        tag = tag.rstrip("/") + f' s="{s}"' + ("/" if tag.endswith("/") else "")
    return tag + xml[head:]


def clean_text(value: str) -> str | None:
    """The text `_set_text` stores for `value` (None: a blank cell)."""
    if value == "":
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return text if text.strip() else None


def _number(value: int | datetime) -> str:
    if isinstance(value, datetime):
        days = (value - SERIAL_EPOCH).total_seconds() / 86400
        return str(int(days)) if days.is_integer() else repr(days)
    return str(value)
