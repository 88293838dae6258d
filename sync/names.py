"""Italian legal-form-aware normalisation of organisation names.  Pure.

The legal-form patterns live in `sheets_templates/legal_forms.yaml` (data, with its sources); they
are compiled once into a `PatternTable`, which the pure functions take as an argument. `name_key`
is the convenience entry point that uses the packaged table.

    >>> name_key("Cooperativa Sociale Il Sorriso Soc. Coop. Soc. a r.l. Onlus").primary
    'il sorriso'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

# Typographic punctuation folded to ASCII before anything else (step 1 of the YAML header).
_QUOTES = str.maketrans({c: "'" for c in "’‘`´′"} | {c: '"' for c in "«»“”„″"} | {c: "-" for c in "–—‒―"})
# Quotes and brackets are dropped but their text is kept: «Il Sorriso» APS -> il sorriso aps.
# The apostrophe goes too, so "d'incontro" becomes two tokens like in the reference examples.
_QUOTES_AND_BRACKETS = re.compile(r"[\"'()\[\]{}<>]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"[a-z]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class FormPattern:
    """One compiled legal-form pattern."""

    form: str
    regex: re.Pattern[str]
    initial: str = ""  # the letter every match starts a word with, when the pattern fixes one


_GUARD = "(?<![a-z0-9])"


def _initial(pattern: str) -> str:
    """The first letter of a guarded pattern that opens with a literal letter ("" if it does not)."""
    rest = pattern.removeprefix(_GUARD)
    return rest[0] if rest != pattern and rest[:1].isalpha() else ""


PatternIndex = dict[str, tuple[tuple[int, FormPattern], ...]]


def _by_initial(patterns: tuple[FormPattern, ...]) -> PatternIndex:
    """Patterns grouped by the letter their matches start with ("" for any), keeping their order."""
    groups: dict[str, list[tuple[int, FormPattern]]] = {}
    for order, fp in enumerate(patterns):
        groups.setdefault(fp.initial, []).append((order, fp))
    return {k: tuple(v) for k, v in groups.items()}


@dataclass(frozen=True, slots=True)
class PatternTable:
    """Compiled legal-form patterns and word lists, built once from the YAML document."""

    primary: tuple[FormPattern, ...]  # `strip: true`: decoration, removed from every key
    secondary: tuple[FormPattern, ...]  # `strip: secondary`: head nouns, removed from the looser key
    stopwords: frozenset[str]
    form_words: tuple[str, ...]
    glue_words: tuple[str, ...]  # words that open a legal form, split off when glued to a name word
    expansions: tuple[tuple[str, str], ...]  # ("ass.ne", "associazione")
    abbreviations: tuple[tuple[str, str], ...]  # (form id, abbreviation): ("societa_mutuo_soccorso", "soms")
    primary_index: PatternIndex = field(default_factory=dict, compare=False)
    secondary_index: PatternIndex = field(default_factory=dict, compare=False)
    long_stopwords: tuple[str, ...] = field(default=(), compare=False)  # those worth a typo check
    expansion_regex: re.Pattern[str] | None = field(default=None, compare=False)  # all of them at once
    expansion_map: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        # derived here so that every table, however built, has them
        object.__setattr__(self, "primary_index", _by_initial(self.primary))
        object.__setattr__(self, "secondary_index", _by_initial(self.secondary))
        object.__setattr__(self, "long_stopwords", tuple(sorted(w for w in self.stopwords if len(w) >= 6)))
        if self.expansions:
            # "ass." may be glued to the next word ("ass.genitori"); "ass.ne" must end a word
            shorts = sorted(
                (
                    re.escape(short) + ("" if short.endswith(".") else "(?![a-z0-9])")
                    for short, _ in self.expansions
                ),
                key=len,
                reverse=True,
            )
            regex = re.compile(rf"(?<![a-z0-9])(?:{'|'.join(shorts)})")
            object.__setattr__(self, "expansion_regex", regex)
            object.__setattr__(self, "expansion_map", dict(self.expansions))


@dataclass(frozen=True, slots=True)
class NameKey:
    """A name reduced for comparison.

    `primary`: legal-status decoration removed; `secondary`: generic head nouns removed too;
    `forms`: the legal-form ids detected (sorted); `tokens`: the words of `secondary` without
    articles and prepositions, in typed order; `full`: the whole normalised name, forms included.
    """

    primary: str
    secondary: str
    forms: tuple[str, ...]
    tokens: tuple[str, ...]
    full: str


def compile_table(doc: Mapping[str, Any]) -> PatternTable:
    """Compile the legal-form document (the parsed YAML) into a pattern table."""
    primary: list[FormPattern] = []
    secondary: list[FormPattern] = []
    abbreviations: set[tuple[str, str]] = set()
    glue_words: set[str] = set()
    for form in doc["legal_forms"]:
        opening = prenormalise(str(form.get("canonical_name", ""))).split()[:1]
        glue_words.update(w for w in opening if len(w) >= 7 and w.isalpha())
        for spelled in (form.get("abbreviation"), *form.get("aliases", ())):
            short = _NON_ALNUM.sub("", prenormalise(str(spelled or "")))
            if len(short) >= 3 and short.isalpha():  # "EF", "IS", "RA" are too ambiguous to use
                abbreviations.add((str(form["id"]), short))
        strip = form.get("strip")
        target = primary if strip is True else secondary if strip == "secondary" else None
        if target is None:
            continue
        for pattern in form.get("patterns", ()):
            regex = re.compile(pattern, re.IGNORECASE)
            target.append(FormPattern(str(form["id"]), regex, _initial(pattern)))
    stopwords = frozenset(
        str(w) for w in (*doc.get("secondary_stopwords", ()), *doc.get("extra_stopwords", ()))
    )
    form_words = tuple(sorted({str(w) for w in doc.get("form_words", ())}))
    expansions = tuple(sorted((str(short), str(full)) for short, full in doc.get("expansions", {}).items()))
    return PatternTable(
        tuple(primary),
        tuple(secondary),
        stopwords,
        form_words,
        tuple(sorted(glue_words, key=lambda w: (-len(w), w))),
        expansions,
        tuple(sorted(abbreviations)),
    )


@cache
def default_table() -> PatternTable:
    """The packaged pattern table (`sheets_templates/legal_forms.yaml`), read once per process."""
    text = files("sheets_templates").joinpath("legal_forms.yaml").read_text(encoding="utf-8")
    return compile_table(yaml.safe_load(text))


def prenormalise(text: str) -> str:
    """NFKC, ASCII quotes and dashes, no accents, casefolded, single spaces (the YAML's steps 1-3)."""
    if not text.isascii():  # most names are plain ASCII: skip the Unicode work for them
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _SPACES.sub(" ", text.casefold()).strip()


def _fix_form_words(text: str, form_words: tuple[str, ...], glue_words: tuple[str, ...]) -> str:
    """Read a word one typo away from a legal-form word as that word ("socetà" -> "societa"),
    and split a word glued to one that opens a legal form ("associazioneil" -> "associazione il",
    but "polisportiva" stays whole)."""
    if not form_words:
        return text
    known = frozenset(form_words)

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if len(word) < 5 or word in known:
            return word
        fixed = _typo_of(word, form_words)
        if fixed is not None:
            return fixed
        for fw in glue_words:
            if len(word) >= len(fw) + 2:
                if word.startswith(fw):
                    return fw + " " + word[len(fw) :]
                if word.endswith(fw):
                    return word[: -len(fw)] + " " + fw
        return word

    return _WORD.sub(fix, text)


def _strip(text: str, index: PatternIndex) -> tuple[str, set[str]]:
    """Remove the matches of the indexed patterns, longest match first, without overlaps; return
    the forms found."""
    spans: list[tuple[int, int, int, str]] = []
    # A guarded pattern can only match where a word starts with its first letter: try only those
    # (a few of the ~45 patterns, for a typical name); the result is the same.
    initials = {w[0] for w in _NON_ALNUM.split(text) if w}
    for initial in [*sorted(initials & index.keys()), ""]:
        for order, fp in index.get(initial, ()):
            for m in fp.regex.finditer(text):
                if m.end() > m.start():
                    spans.append((m.start(), m.end(), order, fp.form))
    # Longest first: "ssd a r.l." must win over the company-law "a r.l." inside it.
    spans.sort(key=lambda s: (s[0] - s[1], s[0], s[2]))
    taken: list[tuple[int, int]] = []
    forms: set[str] = set()
    for start, end, _, form in spans:
        if all(end <= a or start >= b for a, b in taken):
            taken.append((start, end))
            forms.add(form)
    if not taken:
        return text, forms
    out: list[str] = []
    pos = 0
    for start, end in sorted(taken):
        out.append(text[pos:start])
        out.append(" ")  # a space, so the guards still see a word boundary
        pos = end
    out.append(text[pos:])
    return "".join(out), forms


def _collapse(text: str) -> str:
    return _NON_ALNUM.sub(" ", text).strip()


def _is_stopword(word: str, table: PatternTable) -> bool:
    """A stopword, or a typo of a long one ("grupo", "comitto")."""
    if word in table.stopwords:
        return True
    if len(word) < 5 or word.isdigit():
        return False
    return _typo_of(word, table.long_stopwords) is not None


@lru_cache(maxsize=1 << 16)
def _typo_of(word: str, vocabulary: tuple[str, ...]) -> str | None:
    """The vocabulary word one edit away from `word`, if any (cached: names reuse few words)."""
    best = process.extractOne(word, vocabulary, scorer=OSA.distance, score_cutoff=1)
    return str(best[0]) if best is not None else None


def normalise_name(name: str, table: PatternTable) -> NameKey:
    """Reduce a typed name to its comparison key with the given pattern table."""
    text = _QUOTES_AND_BRACKETS.sub(" ", prenormalise(name))
    if table.expansion_regex is not None:
        text = table.expansion_regex.sub(lambda m: table.expansion_map[m.group(0)] + " ", text)
    text = _fix_form_words(text, table.form_words, table.glue_words)
    full = _collapse(text)
    stripped, forms = _strip(text, table.primary_index)
    loose, secondary_forms = _strip(stripped, table.secondary_index)
    primary = _collapse(stripped) or full  # a name that is only a legal form keeps its words
    secondary = _collapse(loose) or primary
    words = secondary.split()
    tokens = tuple(w for w in words if not _is_stopword(w, table)) or tuple(words)
    return NameKey(primary, secondary, tuple(sorted(forms | secondary_forms)), tokens, full)


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> NameKey:
    """The comparison key of a typed name, with the packaged pattern table."""
    return normalise_name(name, default_table())


def fingerprint(key: NameKey) -> str:
    """An order-free blocking key: the distinct comparison tokens, sorted."""
    return " ".join(sorted(set(key.tokens)))


def clear_caches() -> None:
    """Forget memoised keys (benchmarks time cold runs; tests compare fresh tables)."""
    name_key.cache_clear()
    _typo_of.cache_clear()
