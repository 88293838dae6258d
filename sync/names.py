"""Italian legal-form-aware normalisation of organisation names.  Pure.

The legal-form patterns live in `sheets_templates/legal_forms.yaml` (data, with its sources, read by
the edges through `sync.reference`: this module opens no file); they are compiled once into a `PatternTable`, which the pure functions take as an argument. `name_key`
is the convenience entry point that uses the packaged table.

Names are many and mostly distinct, so the table also holds what makes reading one cheap: the
patterns that can only match where a word starts with their first letter are tried together, there
only (`_stripper`, same result as scanning each pattern over the text); a word's reading as a
legal-form word and as a stopword is worked out once per word.

    >>> name_key("Cooperativa Sociale Il Sorriso Soc. Coop. Soc. a r.l. Onlus").primary
    'il sorriso'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from sync.reference import load_reference
from sync.text import fold

# Typographic punctuation folded to ASCII before anything else (step 1 of the YAML header).
# Quotes and brackets are dropped but their text is kept: «Il Sorriso» APS -> il sorriso aps.
# The apostrophe goes too, so "d'incontro" becomes two tokens like in the reference examples.
_QUOTES_AND_BRACKETS = re.compile(r"[\"'()\[\]{}<>]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"[a-z]+")
_ALNUM_RUN = re.compile(r"[a-z0-9]+")
# Dotted initials ("A.N.S.P.I.", "C.R.I"), read as one word once the legal forms are stripped (some
# forms are recognised only dotted: "S.M.S.").
_INITIALS = re.compile(r"(?<![a-z0-9])(?:[a-z]\.){2,}[a-z]?(?![a-z0-9])")


@dataclass(frozen=True, slots=True)
class FormPattern:
    """One compiled legal-form pattern."""

    form: str
    regex: re.Pattern[str]
    initial: str = ""  # the letter every match starts a word with, when the pattern fixes one
    # the pattern is its guard, then that letter (not optional), then the rest, with no top-level
    # alternative: in lower-case ASCII text it can match only where a word starts with the letter
    at_word_start: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        readable = not self.regex.flags & re.VERBOSE  # spaces and "#" mean something else there
        object.__setattr__(self, "at_word_start", readable and _opens_with(self.regex.pattern, self.initial))


_GUARD = "(?<![a-z0-9])"


def _initial(pattern: str) -> str:
    """The first letter of a guarded pattern that opens with a literal letter ("" if it does not)."""
    rest = pattern.removeprefix(_GUARD)
    return rest[0] if rest != pattern and rest[:1].isalpha() else ""


def _class_end(pattern: str, i: int) -> int:
    """The index after the character class opening at `i` (-1 if it does not close)."""
    j = i + 1
    if pattern[j : j + 1] == "^":
        j += 1
    if pattern[j : j + 1] == "]":
        j += 1  # a "]" right after "[" or "[^" is a literal
    while j < len(pattern):
        if pattern[j] == "\\":
            j += 2
        elif pattern[j] == "]":
            return j + 1
        else:
            j += 1
    return -1


def _group_end(pattern: str, i: int) -> int:
    """The index after the group opening at `i` (-1 if it does not close)."""
    depth, j = 0, i
    while j < len(pattern):
        c = pattern[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            j = _class_end(pattern, j)
            if j < 0:
                return -1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return -1


def _top_level(pattern: str) -> list[str] | None:
    """The pattern's top-level atoms, in order: a plain character (escaped punctuation unescaped),
    or one of "G" (a group), "C" (a class), "E" (an escape such as \\s), "Q" (a quantifier),
    "." (any other metacharacter). None when the pattern has a top-level alternative or anything
    this reading does not follow (a brace, an escape with an argument)."""
    atoms: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1 : i + 2]
            if nxt.isascii() and nxt and not nxt.isalnum():
                atoms.append(nxt)
            elif nxt and nxt in "sSdDwWbBAZ":
                atoms.append("\\" + nxt)
            else:
                return None
            i += 2
        elif c in "[(":
            end = (_class_end if c == "[" else _group_end)(pattern, i)
            if end < 0:
                return None
            atoms.append("\\" + ("C" if c == "[" else "G"))
            i = end
        elif c in "?*+":
            atoms.append("\\Q")
            i += 1
        elif c in "|){":
            return None
        elif c in ".^$":
            atoms.append("\\.")
            i += 1
        else:
            atoms.append(c)
            i += 1
    return atoms


def _opens_with(pattern: str, initial: str) -> bool:
    """Whether every match of `pattern` starts with the guard and then the ASCII letter `initial`."""
    rest = pattern.removeprefix(_GUARD)
    if rest == pattern or len(initial) != 1 or not ("a" <= initial <= "z"):
        return False
    atoms = _top_level(rest)
    # the letter first, not made optional or repeated by a quantifier
    return atoms is not None and atoms[:1] == [initial] and atoms[1:2] != ["\\Q"]


def _required_literal(regex: re.Pattern[str]) -> str:
    """The longest run of plain characters that every match of `regex` contains, as it appears in
    lower-case text ("" when there is none or the pattern is not read here): "tipo" for
    `(?:di\\s+)?tipo\\s+[ab]`."""
    if regex.flags & re.VERBOSE:
        return ""
    atoms = _top_level(regex.pattern)
    if atoms is None:
        return ""
    runs: list[str] = []
    run: list[str] = []
    for atom in atoms:
        if len(atom) == 1:
            run.append(atom)
            continue
        if atom == "\\Q" and run:
            run.pop()  # the character before a quantifier may be missing or repeated
        runs.append("".join(run))
        run = []
    runs.append("".join(run))
    literal = max(runs, key=len)
    if regex.flags & re.IGNORECASE:
        return literal.lower() if literal.isascii() else ""
    return literal


PatternIndex = dict[str, tuple[tuple[int, FormPattern], ...]]
# Per letter: one regex trying all that letter's word-start patterns at a position, each in a
# capturing lookahead (so each reports the match it would give alone), with where each one's
# capture is (group number, order, form). Per letter ("" for any): the other patterns, each with
# a literal its matches contain (`_required_literal`).
PatternProbes = dict[str, tuple[re.Pattern[str], tuple[tuple[int, int, str], ...]]]
PatternScans = dict[str, tuple[tuple[int, FormPattern, str], ...]]


@dataclass(frozen=True, slots=True)
class Stripper:
    """How `_strip` reads lower-case ASCII text with an index (built by `_stripper`)."""

    probes: PatternProbes
    scans: PatternScans
    # where a word starts with a letter that has a probe (None: no probes)
    starts: re.Pattern[str] | None = None


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


def _by_initial(patterns: tuple[FormPattern, ...]) -> PatternIndex:
    """Patterns grouped by the letter their matches start with ("" for any), keeping their order."""
    groups: dict[str, list[tuple[int, FormPattern]]] = {}
    for order, fp in enumerate(patterns):
        groups.setdefault(fp.initial, []).append((order, fp))
    return {k: tuple(v) for k, v in groups.items()}


def _stripper(index: PatternIndex) -> Stripper:
    """Per letter, the word-start patterns joined into one probe (unless they cannot be joined
    safely: different flags, back-references), and the other patterns with their literals."""
    probes: PatternProbes = {}
    scans: PatternScans = {}
    for initial, group in index.items():
        members = [(order, fp) for order, fp in group if fp.at_word_start]
        flags = {fp.regex.flags for _, fp in members}
        probe: re.Pattern[str] | None = None
        slots: list[tuple[int, int, str]] = []
        # numbered references would shift in the joined regex: those letters keep one scan each
        if (
            members
            and len(flags) == 1
            and not any(_BACKREFERENCE.search(fp.regex.pattern) for _, fp in members)
        ):
            parts: list[str] = []
            number = 1
            for order, fp in members:
                # the guard holds where a word starts: the probe runs only there
                parts.append(f"(?:(?=({fp.regex.pattern.removeprefix(_GUARD)}))|)")
                slots.append((number, order, fp.form))
                number += 1 + fp.regex.groups
            try:
                probe = re.compile("".join(parts), flags.pop())
            except re.error:
                probe = None
            if probe is not None and probe.groups != number - 1:
                probe = None
        if probe is not None:
            probes[initial] = (probe, tuple(slots))
        rest = [(order, fp) for order, fp in group if probe is None or not fp.at_word_start]
        if rest:
            scans[initial] = tuple((order, fp, _required_literal(fp.regex)) for order, fp in rest)
    starts = re.compile(f"{_GUARD}[{''.join(sorted(probes))}]") if probes else None
    return Stripper(probes, scans, starts)


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
    expansion_gate: str = field(default="", compare=False)  # a character every abbreviation contains
    primary_stripper: Stripper = field(default=Stripper({}, {}), compare=False)
    secondary_stripper: Stripper = field(default=Stripper({}, {}), compare=False)
    # Memoised per word (names reuse few words): the word as `_fix_table_words` reads it, and
    # whether it is a comparison stopword. Emptied by `clear_caches` for the packaged table.
    word_fixes: dict[str, str] = field(default_factory=dict, compare=False)
    stopword_memo: dict[str, bool] = field(default_factory=dict, compare=False)
    body_words: frozenset[str] = frozenset()  # words naming a kind of body: "consorzio", "circolo"

    def __post_init__(self) -> None:
        # derived here so that every table, however built, has them
        object.__setattr__(self, "primary_index", _by_initial(self.primary))
        object.__setattr__(self, "secondary_index", _by_initial(self.secondary))
        object.__setattr__(self, "primary_stripper", _stripper(self.primary_index))
        object.__setattr__(self, "secondary_stripper", _stripper(self.secondary_index))
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
            # a text without a character that every abbreviation has cannot hold one ("." for all)
            common = set.intersection(*(set(short) for short, _ in self.expansions))
            gate = "." if "." in common else min(common, default="")
            object.__setattr__(self, "expansion_gate", gate)


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
        body_words=frozenset(str(w) for w in doc.get("body_words", ())),
    )


@cache
def default_table() -> PatternTable:
    """The packaged pattern table (`sheets_templates/legal_forms.yaml`), compiled once per process from
    the reference data the edges load (`sync.reference.load_reference`)."""
    return compile_table(load_reference().legal_forms)


def prenormalise(text: str) -> str:
    """NFKC, ASCII quotes and dashes, no accents, casefolded, single spaces (the YAML's steps 1-3):
    `sync.text.fold`, the one folding of the program."""
    return fold(text)


def _fix_word(
    word: str, known: frozenset[str], form_words: tuple[str, ...], glue_words: tuple[str, ...]
) -> str:
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


def _fix_table_words(text: str, table: PatternTable) -> str:
    """Read a word one typo away from a legal-form word as that word ("socetà" -> "societa"), and split a
    word glued to one that opens a legal form ("associazioneil" -> "associazione il", but "polisportiva"
    stays whole); each word is read once per process."""
    if not table.form_words:
        return text
    memo = table.word_fixes
    known: frozenset[str] | None = None
    changed = False
    for word in _WORD.findall(text):
        fixed = memo.get(word)
        if fixed is None:
            if known is None:
                known = frozenset(table.form_words)
            fixed = memo[word] = _fix_word(word, known, table.form_words, table.glue_words)
        if fixed != word:
            changed = True
    if not changed:
        return text
    return _WORD.sub(lambda m: memo[m.group(0)], text)


def _strip(text: str, index: PatternIndex, stripper: Stripper | None = None) -> tuple[str, set[str]]:
    """Remove the matches of the indexed patterns, longest match first, without overlaps; return
    the forms found."""
    spans: list[tuple[int, int, int, str]] = []
    if stripper is not None and text.isascii() and (text.islower() or text.lower() == text):
        # In lower-case ASCII text a pattern that opens with its guard and a fixed letter matches
        # only at the words starting with that letter: the letter's probe tries all such patterns
        # at once there, and each keeps the matches `finditer` would give it (left to right,
        # resuming after each match) instead of being tried at every character. The other
        # patterns are scanned when the text has a literal they need.
        probes, scans = stripper.probes, stripper.scans
        resume: dict[int, int] = {}
        # the letters words start with, when a letter has patterns to scan (not so by default)
        initials = {w[0] for w in _NON_ALNUM.split(text) if w} if len(scans) > ("" in scans) else set()
        for word in stripper.starts.finditer(text) if stripper.starts is not None else ():
            start = word.start()
            probe = probes[text[start]]
            found = probe[0].match(text, start)
            if found is None or found.lastindex is None:
                continue  # no pattern matches at this word
            regs = found.regs
            for number, order, form in probe[1]:
                a, b = regs[number]
                if a >= 0 and a >= resume.get(order, 0):
                    spans.append((a, b, order, form))
                    resume[order] = b
        for initial in (*(initials & scans.keys()), ""):
            for order, fp, literal in scans.get(initial, ()):
                if literal in text:
                    spans.extend(
                        (m.start(), m.end(), order, fp.form)
                        for m in fp.regex.finditer(text)
                        if m.end() > m.start()
                    )
    else:
        # A guarded pattern can only match where a word starts with its first letter: try only
        # those (a few of the ~45 patterns, for a typical name); the result is the same.
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
    """The words ([a-z0-9] runs), single-spaced: what replacing the rest by spaces and trimming gives."""
    return " ".join(_ALNUM_RUN.findall(text))


def _is_stopword(word: str, table: PatternTable) -> bool:
    """A stopword, or a typo of a long one ("grupo", "comitto")."""
    known = table.stopword_memo.get(word)
    if known is None:
        known = table.stopword_memo[word] = _reads_as_stopword(word, table)
    return known


def _reads_as_stopword(word: str, table: PatternTable) -> bool:
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


def _initials(text: str) -> str:
    """Dotted initials joined into one word: "circolo a.n.s.p.i. san luigi" -> "circolo anspi san luigi"."""
    if "." not in text:
        return text
    joined = _INITIALS.sub(lambda m: m.group(0).replace(".", ""), text)
    return text if joined == text else joined


def normalise_name(name: str, table: PatternTable) -> NameKey:
    """Reduce a typed name to its comparison key with the given pattern table."""
    text = _QUOTES_AND_BRACKETS.sub(" ", prenormalise(name))
    if table.expansion_regex is not None and table.expansion_gate in text:
        text = table.expansion_regex.sub(lambda m: table.expansion_map[m.group(0)] + " ", text)
    text = _fix_table_words(text, table)
    full = _collapse(_initials(text))
    stripped, forms = _strip(text, table.primary_index, table.primary_stripper)
    loose, secondary_forms = _strip(stripped, table.secondary_index, table.secondary_stripper)
    stripped, loose = _initials(stripped), _initials(loose)
    # A name that is only a legal form keeps its words. (Nothing stripped: nothing to collapse again.)
    primary = (full if stripped is text else _collapse(stripped)) or full
    secondary = primary if loose is stripped else _collapse(loose) or primary
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
    table = default_table()
    table.word_fixes.clear()
    table.stopword_memo.clear()
