"""`Domande manuali`: the staff-owned tab of applications that never touched the form.  Pure.

Cernusco's avviso asks for Allegato 1 by PEC; every Ambito receives some on paper. Staff type each one as a
row with the form's questions plus `Canale` (PEC, carta, e-mail) and `Protocollo`. The machine only creates
the tab with its header; its rows are read like form responses (validated, matched, given IDs) and never
written. Inside the core a manual row is numbered from `MANUAL_BASE`, and its fingerprint starts with
`MANUAL_PREFIX`: its response code is `M-…`, and `manuale N` cites it in `Decisioni`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

from sync import labels
from sync.config import Ambito, normalise_title
from sync.errors import ConfigError
from sync.model import MANUAL_BASE, MANUAL_PREFIX, Grid, Response, is_manual, sheet_row
from sync.parse import clean_text, parse_rows
from sync.text import fold

MANUAL_TAB = labels.MANUAL_TAB


def row_label(row: int) -> str:
    """A core row as people cite it: `17` for the form, `manuale 3` for `Domande manuali`."""
    return labels.MANUAL_ROW.format(row=sheet_row(row)) if is_manual(row) else str(row)


def origin(row: int) -> str:
    """The tab a core row comes from."""
    return labels.MANUAL_ORIGIN if is_manual(row) else labels.FORM_ORIGIN


def provenance(response: Response) -> str:
    """`modulo`, or `Domande manuali riga 3 (PEC, prot. 1234)`."""
    if not response.manual:
        return labels.PROVENANCE_FORM
    channel = canonical_channel(response.channel) or response.channel or "?"
    template = labels.PROVENANCE_MANUAL_PROTOCOL if response.protocol else labels.PROVENANCE_MANUAL
    return template.format(row=sheet_row(response.row), channel=channel, protocol=response.protocol)


def canonical_channel(text: str) -> str:
    """`PEC`, `carta` or `e-mail` for the ways people write them; "" for anything else."""
    return labels.CHANNEL_SPELLINGS.get(fold(text), "")


def parse_manual(grid: Grid, ambito: Ambito) -> list[Response]:
    """The applications typed in `Domande manuali` (header first), as responses numbered from MANUAL_BASE."""
    if len(grid) < 2:
        return []
    header = [clean_text(h) for h in grid[0]]
    titles = [normalise_title(h) for h in header]
    stamp = normalise_title(labels.MANUAL_TIMESTAMP)
    # the date of receipt stands in the timestamp's place
    mapped = [ambito.questions.timestamp[0] if t == stamp else h for h, t in zip(header, titles, strict=True)]
    try:
        parsed = parse_rows([mapped, *grid[1:]], ambito, first_row=MANUAL_BASE + 2)
    except ConfigError as err:
        told = str(err).replace(labels.SHEET_SUBJECT, labels.MANUAL_SUBJECT)
        raise ConfigError(labels.say("scheda_manuale", tab=MANUAL_TAB, error=told)) from None
    channel_col = _column(titles, labels.MANUAL_CHANNEL)
    protocol_col = _column(titles, labels.MANUAL_PROTOCOL)
    out: list[Response] = []
    for r in parsed.responses:
        raw = grid[sheet_row(r.row) - 1]
        channel = _cell(raw, channel_col)
        protocol = _cell(raw, protocol_col)
        digest, _, nth = r.fingerprint.partition("-")
        own = hashlib.sha1(f"{digest}\x1f{protocol}".encode(), usedforsecurity=False).hexdigest()[:15]
        fp = MANUAL_PREFIX + own + (f"-{nth}" if nth else "")
        out.append(replace(r, channel=channel, protocol=protocol, fingerprint=fp))
    return out


def _column(titles: Sequence[str], title: str) -> int:
    wanted = normalise_title(title)
    return titles.index(wanted) if wanted in titles else -1


def _cell(raw: Sequence[object], col: int) -> str:
    return clean_text(raw[col]) if 0 <= col < len(raw) else ""


__all__ = [
    "MANUAL_TAB",
    "canonical_channel",
    "origin",
    "parse_manual",
    "provenance",
    "row_label",
]
