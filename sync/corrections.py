"""`Correggi` on an organisation's ID: staff correct its current data (name, legal form, seat, contacts,
areas…) until a later response from that organisation changes that field.  Pure.

A correction is bound, the first time a sync sees it, to the organisation's latest response then (the
binding is kept in `_stato` like a `riga N` decision's). It applies while every response of the organisation
submitted after that one gives the same value for the field as that one did: a new response that changes
the field wins, because it is the organisation's own, more recent, word. If that response is no longer
among the responses (edited by the applicant, deleted by staff) nothing shows a later change: the
correction keeps applying.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sync.comuni import ComuniIndex
from sync.config import Ambito
from sync.model import Checked
from sync.parse import reparse_choices
from sync.validate import check

_NUMBER = re.compile(r"^\s*(\d{1,2})\s*$")


@dataclass(frozen=True, slots=True)
class EntityCorrection:
    """One `ID | Correggi | campo=valore` line of `Decisioni`."""

    entity: str
    field: str  # a `Response` attribute (labels.CORRECTABLE_FIELDS)
    value: str
    key: str  # what identifies it across syncs (its binding in `_stato`)
    sheet_row: int


def correction_key(entity: str, field: str, value: str, nth: int) -> str:
    """What identifies an ID's `Correggi` across syncs: its ID, field, value and which repeat it is."""
    raw = "\x1f".join(("ente", entity, field, " ".join(value.split()).casefold(), str(nth)))
    return hashlib.sha1(raw.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def area_text(value: str, ambito: Ambito) -> str:
    """`Aree=` as staff type it: a bare number is the n-th area of the configuration (1 = the first);
    codes, tab names and labels are read by the form's own matcher (`sync.parse.split_choices`)."""
    pieces = []
    for piece in re.split(r"[,;]", value):
        m = _NUMBER.match(piece)
        if m and 1 <= int(m.group(1)) <= len(ambito.areas):
            pieces.append(ambito.areas[int(m.group(1)) - 1].code)
        else:
            pieces.append(piece.strip())
    return ", ".join(p for p in pieces if p)


def correct_current(
    latest: Checked,
    members: Sequence[Checked],
    corrections: Sequence[EntityCorrection],
    bound: Mapping[str, str],
    ambito: Ambito,
    comuni: ComuniIndex,
) -> tuple[Checked, dict[str, str]]:
    """The organisation's current data with staff's corrections that still hold, re-checked; and the
    bindings (correction key -> fingerprint of the response it was written against) to record."""
    by_fp = {m.response.fingerprint: m for m in members}
    order = {m.response.fingerprint: i for i, m in enumerate(members)}
    fields: dict[str, str] = {}
    bindings: dict[str, str] = {}
    for c in corrections:
        fp = bound.get(c.key) or latest.response.fingerprint
        bindings[c.key] = fp
        base = by_fp.get(fp)
        if base is not None:
            before = getattr(base.response, c.field)
            later = members[order[fp] + 1 :]
            if any(getattr(m.response, c.field) != before for m in later):
                continue  # a later response of the organisation changed the field: its own word wins
        fields[c.field] = area_text(c.value, ambito) if c.field == "areas_raw" else c.value
    if not fields:
        return latest, bindings
    response = replace(latest.response, **fields)  # type: ignore[arg-type]
    if {"areas_raw", "phases_raw"} & fields.keys():
        response = reparse_choices(response, ambito)
    checked = check(response, ambito, comuni)
    checked = replace(
        checked, accepted_by_staff=latest.accepted_by_staff, discarded_by_staff=latest.discarded_by_staff
    )
    return checked, bindings
