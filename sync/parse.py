"""Form rows → `Response` values: headers by normalised title, Italian dates, checkboxes."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from rapidfuzz import fuzz, process

from sync import labels
from sync.config import FIELDS, REQUIRED_FIELDS, Ambito, normalise_title
from sync.errors import ConfigError
from sync.model import Response
from sync.text import fold

# A form cell can hold a whole essay; beyond this the value is cut and a warning raised, so that one
# hostile cell cannot blow up every tab it is copied to (Google's own cell limit is 50,000 characters).
MAX_CELL = 5_000
# Separator used when answers arrive as lists (webhook): never typed by people.
LIST_SEPARATOR = "\x1f"
# \x1f is kept: it is LIST_SEPARATOR, which only the webhook puts between checkbox answers
# lone surrogates too: JSON (Sheets API, webhook) can carry "\ud800", which cannot be encoded, hashed or saved
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1e\x7f\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")
_SHEETS_EPOCH = datetime(1899, 12, 30)
_SERIAL = re.compile(r"\d{5}(?:[.,]\d+)?")  # a spreadsheet's date serial, as text


@dataclass(frozen=True)
class ColumnMap:
    """Which sheet columns hold each field; unknown and duplicate columns are reported."""

    columns: dict[str, tuple[int, ...]]
    unknown: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()
    width: int = 0


@dataclass
class ParsedSheet:
    """The responses of a form sheet, with what was noticed about its columns."""

    responses: list[Response]
    columns: ColumnMap
    truncated: dict[int, list[str]] = field(default_factory=dict)  # row -> fields cut at MAX_CELL
    month_first: bool = False  # the file's dates are month first (US locale): read so, warned once


def clean_text(value: object) -> str:
    """Text of a cell: control characters removed, spaces collapsed, trimmed."""
    text = "" if value is None else str(value)
    if not text:
        return ""
    if text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " ":
        return text  # the common case, without two regular expressions per cell
    # a lone CR is a line break too (and the xlsx format reads it back as one: the same text everywhere)
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _SPACES.sub(" ", text).strip()


def map_columns(header: Sequence[str], ambito: Ambito) -> ColumnMap:
    """Find each field's column by normalised question title; a missing required one is a ConfigError."""
    titles = [normalise_title(str(h or "")) for h in header]
    aliases = {f: [normalise_title(a) for a in getattr(ambito.questions, f)] for f in FIELDS}
    columns: dict[str, list[int]] = {f: [] for f in FIELDS}
    claimed: set[int] = set()
    # exact titles first, then titles that start with an alias ("Aree di interesse (più risposte)")
    for exact in (True, False):
        for f in FIELDS:
            if columns[f] and not exact:
                continue
            for i, title in enumerate(titles):
                if i in claimed or not title:
                    continue
                hit = (
                    title in aliases[f]
                    if exact
                    else any(len(a) >= 5 and title.startswith(a) for a in aliases[f])
                )
                if hit and (exact or not columns[f]):
                    columns[f].append(i)
                    claimed.add(i)
    missing = [f for f in REQUIRED_FIELDS if not columns[f]]
    if missing:
        lines = []
        present = [str(h) for h in header if str(h or "").strip()]
        for f in missing:
            wanted = getattr(ambito.questions, f)[0]
            close = difflib.get_close_matches(wanted, present, n=1, cutoff=0.4)
            hint = labels.say("domanda_simile", title=close[0]) if close else ""
            lines.append(labels.say("domanda_mancante", title=wanted, hint=hint))
        raise ConfigError(labels.say("domande_mancanti", missing=" ".join(lines)))
    unknown = tuple(str(header[i]) for i, t in enumerate(titles) if i not in claimed and t)
    dups = tuple(str(header[c]) for cols in columns.values() for c in cols[1:])
    return ColumnMap(
        columns={f: tuple(c) for f, c in columns.items() if c},
        unknown=unknown,
        duplicates=dups,
        width=len(header),
    )


_SLASHED = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T,]+(\d{1,2})[.:](\d{2})(?:[.:](\d{2}))?(?:\s*([AaPp])\.?\s*[Mm]\.?)?)?"
)


def month_first(cells: Sequence[object]) -> bool:
    """A file written month first (a US-locale form): some second field over 12, or AM/PM; none day first.

    An ambiguous file (every field 12 or less, no AM/PM) is read the Italian way.
    """
    us = False
    for cell in cells:
        m = _SLASHED.fullmatch(clean_text(cell)) if isinstance(cell, str) else None
        if not m:
            continue
        if int(m.group(1)) > 12:
            return False  # day first somewhere: the file is Italian (a bad cell is reported on its own)
        us = us or int(m.group(2)) > 12 or m.group(7) is not None
    return us


def parse_timestamp(value: object, *, us: bool = False) -> datetime | None:
    """Form timestamps: `dd/mm/yyyy hh.mm.ss` (or month first when `us`), ISO text, datetimes, serials."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(float(value))
    text = clean_text(value)
    if not text:
        return None
    m = _SLASHED.fullmatch(text)
    if m:
        d, mo, y, h, mi, s = (int(g) if g else 0 for g in m.groups()[:6])
        if us:
            d, mo = mo, d
        half = (m.group(7) or "").upper()
        if half and not 1 <= h <= 12:
            return None
        if half:  # 12 AM is midnight, 12 PM noon
            h = h % 12 + (12 if half == "P" else 0)
        try:
            return datetime(y, mo, d, h, mi, s)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        pass
    if _SERIAL.fullmatch(text):
        return _serial(float(text.replace(",", ".")))
    return None


def _serial(days: float) -> datetime | None:
    if not 1 <= days <= 2_958_465:  # 31/12/9999
        return None
    return (_SHEETS_EPOCH + timedelta(days=days)).replace(microsecond=0)


# `sync.text.fold`, cached: checkbox cells repeat a lot
_fold = lru_cache(maxsize=65_536)(fold)


Option = tuple[str, ...]  # (code, label, other spellings: the tab name, the avviso's own wording…)
# "1) ", "A) ", "a. ", "Area " at the start of a label: people and forms add or drop them
_NUMBERING = re.compile(r"^(?:area\s+)?(?:[a-z0-9]{1,2}\s*[).:]\s*)?")
_BARE_CODE = re.compile(r"^(?:area\s*)?([a-z0-9_]{1,12})\s*[).:]?$")
_DESCRIBED = re.compile(r"\s*[:(\-\u2013\u2014]")
_FUZZY_CUTOFF = 88  # a close spelling (a typo, a label cut short by an export) still names its option
_MAX_SPAN = 8  # commas one option may hold (its label or a description after it)


@dataclass(frozen=True)
class _Options:
    """Every way an option may be written, folded: exact spellings, codes and numbers."""

    order: tuple[str, ...]
    spellings: dict[str, str]  # folded spelling -> code
    codes: dict[str, str]  # folded code or leading number ("a", "1") -> code


@lru_cache(maxsize=64)
def _options(options: tuple[Option, ...]) -> _Options:
    spellings: dict[str, str] = {}
    codes: dict[str, str] = {}
    for code, *texts in options:
        codes.setdefault(_fold(code), code)
        for text in texts:
            folded = _fold(text)
            if not folded:
                continue
            spellings.setdefault(folded, code)
            core = _NUMBERING.sub("", folded, count=1)
            spellings.setdefault(core or folded, code)
            lead = _BARE_CODE.match(folded[: len(folded) - len(core)].strip()) if core != folded else None
            if lead:
                codes.setdefault(lead.group(1), code)
    return _Options(tuple(o[0] for o in options), spellings, codes)


def _exact_option(text: str, opts: _Options, *, described: bool = True) -> str | None:
    """The option a folded piece names: its spelling, code or number, or (if `described`) a description after it."""
    hit = opts.spellings.get(text) or opts.spellings.get(_NUMBERING.sub("", text, count=1))
    if hit:
        return hit
    bare = _BARE_CODE.match(text)
    if bare and bare.group(1) in opts.codes:
        return opts.codes[bare.group(1)]
    if described:
        for spelling, code in opts.spellings.items():
            if len(spelling) >= 5 and text.startswith(spelling) and _DESCRIBED.match(text, len(spelling)):
                return code
    return None


def _starts_option(piece: str, opts: _Options) -> bool:
    """A piece that is, or begins with, an option of its own: a description never runs over it."""
    return bool(piece) and (
        _exact_option(piece, opts, described=False) is not None
        or any(len(s) >= 5 and piece.startswith(s) for s in opts.spellings)
    )


def _match_at(folded: list[str], i: int, opts: _Options) -> tuple[str, int] | None:
    """The option starting at piece i and where it ends: exact, longest first; else the closest spelling."""
    spans = [
        (j, ", ".join(f for f in folded[i:j] if f)) for j in range(min(len(folded), i + _MAX_SPAN), i, -1)
    ]
    for j, text in spans:
        code = _exact_option(text, opts, described=False) if text else None
        if code:
            return code, j
    for j, text in spans:  # a label followed by a description, which never runs over another option
        code = _exact_option(text, opts) if text else None
        if code and not any(_starts_option(folded[k], opts) for k in range(i + 1, j)):
            return code, j
    best: tuple[float, int, str] | None = None
    for j, text in spans:  # a close spelling: the best-scoring run, so that it never swallows a neighbour
        close = process.extractOne(text, list(opts.spellings), scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        if close and (best is None or close[1] > best[0]):
            best = (close[1], j, opts.spellings[close[0]])
    return (best[2], best[1]) if best else None


def _split_answer(answer: str, opts: _Options, found: set[str], leftovers: list[str]) -> None:
    """One answer's options; a run of pieces that names no option is kept whole, not cut at its commas."""
    pieces = [p.strip() for p in answer.split(",")]
    folded = [_fold(p) for p in pieces]
    unknown: list[str] = []
    i = 0
    while i < len(pieces):
        hit = _match_at(folded, i, opts) if folded[i] else None
        if hit is None:
            if pieces[i]:
                unknown.append(pieces[i])
            i += 1
            continue
        found.add(hit[0])
        if unknown:
            leftovers.append(", ".join(unknown))
            unknown = []
        i = hit[1]
    if unknown:
        leftovers.append(", ".join(unknown))


@lru_cache(maxsize=16_384)
def _split_cached(cell: str, options: tuple[Option, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    opts = _options(options)
    found: set[str] = set()
    leftovers: list[str] = []
    for answer in cell.split(LIST_SEPARATOR):  # the webhook's list items are whole answers
        _split_answer(answer, opts, found, leftovers)
    return tuple(c for c in opts.order if c in found), tuple(leftovers)


def split_choices(cell: str, options: Sequence[Option]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split a checkbox cell by the configured options (code, label, other spellings), never just at commas.

    An option is recognised by its label (with or without its number), another spelling (tab name, the
    avviso's wording), its code or number (`A`, `1)`), a description after it, or a close spelling.
    Returns (codes in option order, unrecognised pieces).
    """
    if not cell.strip():
        return (), ()
    return _split_cached(cell, tuple(options))


def area_options(ambito: Ambito) -> list[Option]:
    """Each area's code, label, tab name and other wordings."""
    return [(a.code, a.label, a.tab, *a.wording) for a in ambito.areas]


def fingerprint(submitted: str, email: str, name: str, tax_code: str) -> str:
    """A short content hash that identifies a response row independently of its position."""
    raw = "\x1f".join((submitted, email.casefold(), name.casefold(), tax_code.upper()))
    return hashlib.sha1(raw.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def _row_values(
    raw: Sequence[object], plan: _Plan, row_no: int, truncated: dict[int, list[str]]
) -> dict[str, str]:
    """One row's answer to each question: cleaned, lists joined, cut at MAX_CELL (noted in `truncated`)."""
    values: dict[str, str] = {}
    width = len(raw)
    for f, cols, lists in plan:
        value = ""
        for c in cols:  # duplicate columns: the first non-empty answer wins
            if c < width:
                cell = raw[c]
                if type(cell) is str and (
                    not cell or (cell.isprintable() and "  " not in cell and cell[0] != " " and cell[-1] != " ")
                ):
                    value = cell  # the common case, clean already: what `clean_text` would return
                elif f == "timestamp" and isinstance(cell, datetime):
                    value = cell.isoformat()
                else:
                    value = clean_text(cell)
                if value:
                    break
        if not lists and LIST_SEPARATOR in value:
            value = value.replace(LIST_SEPARATOR, ", ")
        if len(value) > MAX_CELL:
            value = value[:MAX_CELL]
            truncated.setdefault(row_no, []).append(f)
        values[f] = value
    return values


# each field's columns, and whether its answer is a list (its separator kept for `split_choices`)
_Plan = tuple[tuple[str, tuple[int, ...], bool], ...]
_LIST_FIELDS = frozenset({"areas", "phases", "consent"})
MAX_PLANS = 64  # (header, Ambito) pairs whose plan is kept: a sync reads one header, the webhook one per form


@dataclass(frozen=True)
class _SheetPlan:
    """What a header and an Ambito decide before any row is read: the column map and how to read each field."""

    columns: ColumnMap
    fields: _Plan
    area_opts: tuple[Option, ...]
    phase_opts: tuple[Option, ...]


# (id of the Ambito, header key) -> (that Ambito, its plan). The entry holds the Ambito itself, so its id
# cannot be reused by another object while the entry lives; the Ambito is frozen (pydantic, tuples all the
# way down), so settings that change are a new object, hence a new key.
_PLANS: dict[tuple[int, tuple[object, ...]], tuple[Ambito, _SheetPlan]] = {}


def _clean_header(header: Sequence[object]) -> list[str]:
    # a title never holds a list: LIST_SEPARATOR there is a stray control character like the others
    return [clean_text(h.replace(LIST_SEPARATOR, " ") if isinstance(h, str) else h) for h in header]


def _plan_of(columns: ColumnMap, ambito: Ambito) -> _SheetPlan:
    fields = tuple((f, cols, f in _LIST_FIELDS) for f, cols in columns.columns.items())
    phases = tuple((p.code, p.label) for p in ambito.phases)
    return _SheetPlan(columns, fields, tuple(area_options(ambito)), phases)


def _sheet_plan(header: Sequence[object], ambito: Ambito) -> _SheetPlan:
    """The plan of a header under an Ambito, made once per pair (a missing required question raises each time)."""
    # The map depends only on the cleaned titles. A header of texts is its own key; any other (numbers,
    # dates, None: 1 == 1.0 == True would collide as raw values) is keyed by its cleaned titles, which a
    # header of texts equal to them maps the same way (cleaning cleaned text changes nothing).
    key: tuple[object, ...] = tuple(header)
    cleaned: list[str] | None = None
    if not all(type(h) is str for h in key):
        cleaned = _clean_header(header)
        key = (None, *cleaned)
    hit = _PLANS.get((id(ambito), key))
    if hit is not None and hit[0] is ambito:
        return hit[1]
    plan = _plan_of(map_columns(_clean_header(header) if cleaned is None else cleaned, ambito), ambito)
    if len(_PLANS) >= MAX_PLANS:
        _PLANS.clear()
    _PLANS[(id(ambito), key)] = (ambito, plan)
    return plan


def parse_rows(rows: Sequence[Sequence[object]], ambito: Ambito, *, first_row: int = 2) -> ParsedSheet:
    """Parse the data rows of a form sheet whose first row (already removed) was `rows[0]`'s header.

    What the header and the Ambito decide (the column map, the options of areas and phases) is made once
    per pair and kept (`MAX_PLANS`): the webhook parses every submission of a form against one header.
    """
    if not rows:
        raise ConfigError(labels.say("risposte_vuote"))
    sheet = _sheet_plan(rows[0], ambito)
    cmap, plan, area_opts, phase_opts = sheet.columns, sheet.fields, sheet.area_opts, sheet.phase_opts
    out: list[Response] = []
    truncated: dict[int, list[str]] = {}
    seen: dict[str, int] = {}
    stamps = cmap.columns["timestamp"]
    us = month_first([raw[c] for raw in rows[1:] for c in stamps if c < len(raw)])
    for offset, raw in enumerate(rows[1:]):
        row_no = first_row + offset
        if not any(clean_text(c) for c in raw):
            continue  # a blank line in the sheet is not a response
        values = _row_values(raw, plan, row_no, truncated)
        ts_cell: object = next((raw[c] for c in stamps if c < len(raw) and clean_text(raw[c])), "")
        areas, unknown_areas = split_choices(values.get("areas", ""), area_opts)
        phases, _ = split_choices(values.get("phases", ""), phase_opts)
        submitted_raw = values.get("timestamp", "")
        fp = fingerprint(
            submitted_raw, values.get("email", ""), values.get("name", ""), values.get("tax_code", "")
        )
        seen[fp] = seen.get(fp, 0) + 1
        if seen[fp] > 1:  # the same answer submitted twice in the same second
            fp = f"{fp}-{seen[fp]}"
        out.append(
            Response(
                row=row_no,
                submitted_at=parse_timestamp(ts_cell, us=us),
                submitted_raw=submitted_raw,
                email=values.get("email", ""),
                name=values.get("name", ""),
                tax_code=values.get("tax_code", ""),
                legal_form=values.get("legal_form", ""),
                runts=values.get("runts", ""),
                comune=values.get("comune", ""),
                address=values.get("address", ""),
                contact_name=values.get("contact_name", ""),
                phone=values.get("phone", ""),
                pec=values.get("pec", ""),
                areas_raw=values.get("areas", "").replace(LIST_SEPARATOR, ", "),
                areas=areas,
                unknown_areas=unknown_areas,
                phases_raw=values.get("phases", "").replace(LIST_SEPARATOR, ", "),
                phases=phases,
                experience=values.get("experience", ""),
                consent=values.get("consent", "").replace(LIST_SEPARATOR, ", "),
                fingerprint=fp,
            )
        )
    return ParsedSheet(responses=out, columns=cmap, truncated=truncated, month_first=us)


def reparse_choices(response: Response, ambito: Ambito) -> Response:
    """Recompute areas and phases after a staff correction of their text."""
    from dataclasses import replace

    areas, unknown = split_choices(response.areas_raw, area_options(ambito))
    phases, _ = split_choices(response.phases_raw, [(p.code, p.label) for p in ambito.phases])
    return replace(response, areas=areas, unknown_areas=unknown, phases=phases)
