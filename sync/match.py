"""Response records → organisations: which submissions come from the same body.  Pure.

Rules, strongest first (a false merge is worse than a missed one):

1. `must_link` pairs (staff's "Unisci") are merged; `cannot_link` pairs (staff's "Separa") never end
   in the same cluster, checked before every union against the whole clusters. A `must_link` that
   would break a `cannot_link` is not applied: it comes back in `review` with the evidence
   `EVIDENCE_CONFLICT` so staff see their two decisions disagree.
2. Records sharing a valid tax id are merged ("stesso codice fiscale").
3. Otherwise a pair is merged only when the names are the same or nearly so after the legal-form
   normalisation of `sync.names` (order, articles, forms, abbreviations and one typo per word do
   not matter; numbers and every other word do), *and* a strong contact is shared (phone, or
   street address in the same comune), *and* nothing contradicts it: a different comune,
   incompatible legal forms (ODV/APS, cooperativa/S.r.l., associazione/fondazione) or two
   different tax ids of the same kind (two codici fiscali of non-commercial bodies, or two
   partite IVA). Two narrow extensions: the very same name in the same comune with the same
   email and PEC merges when no phone or address contradicts it; and when phone, address, email
   or PEC and comune all agree, each long word may carry two typos. The id and form checks also
   run on whole clusters before each union, so a chain of merges cannot join two bodies that
   conflict (the pair goes to review instead).
4. Pairs that are plausible but not proven go to `review`, one per pair of clusters: a similar
   name with some shared contact or the same comune, or a contradiction outweighed by a shared
   phone, address or near-identical tax code. Pairs staff separated are not asked again.

Guaranteed properties (tested with hypothesis): every key in exactly one cluster; the result does
not depend on the order of the records, nor on their keys beyond labelling; `cannot_link` pairs
are apart; `must_link` pairs are together unless reported as conflicts; a shared valid tax id
always merges (cannot-links aside); a record sharing no blocking key with the others leaves their
clusters, links and review unchanged. Adding records can in general split a cluster (a new record
may make a key too common to block on, or bring an id that conflicts): no wider monotonicity is
promised.

Candidates come from blocking keys (tax ids, contacts, name fingerprints, typo-tolerant compact
names, pairs of rare name words), so the cost grows with the number of records, not its square.
Every decision depends on record contents only, and ties are broken on contents before keys:
the same records in any order give the same result.

Cost. In a busy comune many records share a pair of rare name words, so the candidate pairs grow
faster than the records; nearly all of them are different bodies with their own tax ids and
nothing in common. Two shortcuts dismiss such pairs early, each proven to dismiss only pairs the
full judgement would dismiss (and tested so): `_Screen` applies the judge's rules on contacts,
contradictions and numbers from cheap signs before a pair is judged, and `_name_ceiling` /
`_may_be_alike` bound how alike two names can be before aligning their words. What each record
shares with others (its name's key, its tax ids, its comune, its address) is worked out once per
call; the cyclic garbage collector is paused while matching, which builds no cycles.
"""

from __future__ import annotations

import gc
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from itertools import combinations, compress, pairwise

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from sync.names import NameKey, default_table, name_key, prenormalise

# Evidence shown to staff in "Possibili duplicati" (Italian on purpose: it is read by people).
EVIDENCE_TAX_ID = "stesso codice fiscale"
EVIDENCE_SAME_NAME = "stesso nome"
EVIDENCE_SIMILAR_NAME = "nome simile {score}%"
EVIDENCE_SHORT_NAME = "nome abbreviato o in sigla"
EVIDENCE_EMAIL = "stessa email"
EVIDENCE_PEC = "stessa PEC"
EVIDENCE_PHONE = "stesso telefono"
EVIDENCE_ADDRESS = "stesso indirizzo"
EVIDENCE_COMUNE = "stesso comune"
EVIDENCE_SIMILAR_TAX_ID = "codice fiscale simile"
EVIDENCE_OTHER_COMUNE = "comune diverso"
EVIDENCE_OTHER_FORM = "forma giuridica diversa"
EVIDENCE_OTHER_TAX_ID = "codici fiscali diversi"
EVIDENCE_OTHER_NUMBER = "numero diverso nel nome"
EVIDENCE_MUST_LINK = "unione richiesta"
EVIDENCE_CONFLICT = "unione richiesta in conflitto con una separazione"


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """One accepted response, reduced to what identifies its organisation."""

    key: int  # caller's index; unique
    name: str  # denomination as typed (raw)
    tax_ids: tuple[str, ...]  # valid normalised ids: 11-digit CF / partita IVA, or 16-char personal CF
    raw_tax_id: str  # as typed, reduced to [0-9A-Z] (may be invalid): weak evidence only
    email: str  # lower-cased ('' if missing/invalid)
    pec: str  # lower-cased
    phone: str  # digits only, without +39/0039
    comune: str  # ISTAT code when resolved, else normalised text ('' if none)
    address: str  # street address, normalised lower ('' if none)
    submitted_at: datetime | None
    legal_form: str = ""  # the form's "Forma giuridica" answer, if any: read like a name suffix


@dataclass(frozen=True, slots=True)
class Link:
    """Why two records are (or may be) the same organisation."""

    a: int  # record keys, a < b
    b: int
    score: float  # name similarity 0-100
    evidence: tuple[str, ...]  # Italian phrases, e.g. ("nome simile 96%", "stesso telefono")


@dataclass(frozen=True)
class MatchResult:
    """Clusters of record keys, the links that merged them, and the pairs staff should look at."""

    clusters: list[list[int]]  # each sorted by key; sorted by first key; every key exactly once
    links: list[Link]  # one per union performed: the evidence for each merge
    review: list[Link]  # uncertain pairs across different clusters, one per cluster pair


# Name classes, weakest to strongest.
_NONE, _WEAK, _PARTIAL, _NEAR, _SAME = range(5)

_WEAK_SCORE = 85.0  # name similarity below which a pair is not worth a reviewer's time
_MAX_BLOCK = 20  # a name key shared by more records is too common to say anything ("amici", "avis")
_MAX_SHARED = 12  # a contact shared by more records is an office's, not one body's (a CSV's email)
_RARE_TOKENS = 5  # rare name words per record used to build word-pair blocking keys
_MIN_COMPACT = 8  # shorter compact names get no one-typo tolerance: "avis" vs "avio" is two bodies
_MIN_FUZZY_WORD = 5  # shorter words must match exactly ("crema" ~ "cerma", but not "avis" ~ "avio")
_MIN_RELAXED_WORD = 6  # two typos only in long words: "crema" and "cremona" are two towns

# RUNTS sections (DM 106/2020 art. 3): a body is enrolled in one, so ODV and APS are two bodies.
_SECTION = {
    "odv": "odv",
    "aps": "aps",
    "ente_filantropico": "ef",
    "rete_associativa": "ra",
    "societa_mutuo_soccorso": "sms",
    "impresa_sociale": "is",
    "cooperativa_sociale": "is",
    "consorzio_cooperative_sociali": "is",
}
# The civil-law body behind the name: an association is never a foundation or a company.
_BODY = {
    "odv": "associazione",
    "aps": "associazione",
    "asd": "associazione",
    "associazione_riconosciuta": "associazione",
    "associazione_non_riconosciuta": "associazione",
    "fondazione": "fondazione",
    "cooperativa_sociale": "cooperativa",
    "consorzio_cooperative_sociali": "cooperativa",
    "ssd": "societa",
    "ente_religioso": "ente_religioso",
}
# Street-type words and number markers: "Via Roma, 5" and "V. Roma n. 5" are one address.
_STREET_WORDS = frozenset((
    "via", "v", "viale", "vle", "vl", "piazza", "p", "pza", "pzza", "zza", "za", "piazzale", "le", "corso",
    "c", "so", "largo", "vicolo", "strada", "localita", "loc", "frazione", "fraz", "n", "nr", "num",
    "numero", "civico", "snc",
))  # fmt: skip
_DIGITS = re.compile(r"\d+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_PROVINCE = re.compile(r"\(\s*[a-z]{2}\s*\)\s*$")


@dataclass(slots=True)
class _Profile:
    """Everything a comparison needs, computed once per record."""

    rec: MatchRecord
    key: NameKey
    sec_tokens: tuple[str, ...]
    pri_tokens: tuple[str, ...]
    sorted_sec: str  # the words, sorted and joined (strings: no work for the garbage collector)
    sorted_pri: str
    sec_text: str
    compacts: tuple[str, str, str]  # primary, secondary, full name without spaces
    numbers: frozenset[str]
    abbreviations: frozenset[str]  # of the legal forms detected: "odv", "aps", "onlus"...
    sections: frozenset[str]
    bodies: frozenset[str]
    cf: frozenset[str]  # codici fiscali of non-commercial bodies (11 digits, 8 or 9 first)
    piva: frozenset[str]  # other 11-digit ids: partite IVA (a company's CF is its partita IVA)
    raw_id: str
    phone: str
    comune: str
    address: str
    address_numbers: tuple[str, ...]
    email: str
    pec: str
    sec_words: tuple[str, ...]  # key.secondary and key.primary split into words
    pri_words: tuple[str, ...]
    parts: _NameParts  # shared by the records with the same name and legal-form answer


@dataclass(slots=True)
class _NameParts:
    """What a profile takes from a typed name and legal-form answer (shared by equal answers)."""

    key: NameKey
    pri_tokens: tuple[str, ...]
    sorted_sec: str
    sorted_pri: str
    sec_text: str
    compacts: tuple[str, str, str]
    numbers: frozenset[str]
    abbreviations: frozenset[str]
    sections: frozenset[str]
    bodies: frozenset[str]
    sec_words: tuple[str, ...]
    pri_words: tuple[str, ...]
    # filled when first compared: consecutive words typed together ("ilsentiero"), and which
    # words of another name are legal-form residue against this one (`_without_form_noise`)
    glued_sec: dict[str, tuple[str, str]] | None = None
    glued_pri: dict[str, tuple[str, str]] | None = None
    residue: dict[str, bool] | None = None
    shape: _Shape | None = None  # see `_may_be_partial`


@dataclass(slots=True)
class _Verdict:
    merge: bool
    review: bool
    rank: tuple[int, int, float]  # (name class, strong contacts, score): higher is surer
    score: float
    evidence: tuple[str, ...]


@dataclass(slots=True)
class _Clusters:
    """Union-find whose unions respect cannot-links and the clusters' identities."""

    parent: list[int]
    size: list[int]
    # by root (what a former root holds is stale): identities that keep clusters apart
    cf: list[frozenset[str]]
    piva: list[frozenset[str]]
    sections: list[frozenset[str]]
    bodies: list[frozenset[str]]
    cannot: dict[int, set[int]] = field(default_factory=dict)  # root -> roots it must stay apart from

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def forbid(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        self.cannot.setdefault(ri, set()).add(rj)
        self.cannot.setdefault(rj, set()).add(ri)

    def forbidden(self, ri: int, rj: int) -> bool:
        return rj in self.cannot.get(ri, ())

    def conflict(self, ri: int, rj: int) -> str:
        """The evidence phrase that keeps two clusters apart, or '' if they are compatible."""
        if _disjoint(self.cf[ri], self.cf[rj]) or _disjoint(self.piva[ri], self.piva[rj]):
            return EVIDENCE_OTHER_TAX_ID
        if _disjoint(self.sections[ri], self.sections[rj]) or _disjoint(self.bodies[ri], self.bodies[rj]):
            return EVIDENCE_OTHER_FORM
        return ""

    def union(self, ri: int, rj: int) -> None:
        if self.size[ri] < self.size[rj] or (self.size[ri] == self.size[rj] and rj < ri):
            ri, rj = rj, ri
        self.parent[rj] = ri
        self.size[ri] += self.size[rj]
        for table in (self.cf, self.piva, self.sections, self.bodies):
            if not table[rj] <= table[ri]:
                table[ri] = table[ri] | table[rj]
        moved = self.cannot.pop(rj, set())
        if moved:
            self.cannot.setdefault(ri, set()).update(moved)
            for other in moved:
                peers = self.cannot[other]
                peers.discard(rj)
                peers.add(ri)


def _disjoint(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a) and bool(b) and not (a & b)


def _place(text: str) -> str:
    """A comune for comparison: an ISTAT code as is, a name folded to letters, without "(CR)"."""
    text = text.strip()
    return text if text.isdigit() else _NON_ALNUM.sub("", _PROVINCE.sub("", prenormalise(text)))


def _address(text: str) -> tuple[str, tuple[str, ...]]:
    words = [w for w in _NON_ALNUM.sub(" ", prenormalise(text)).split() if w not in _STREET_WORDS]
    return "".join(words), tuple(_DIGITS.findall(text))


_EMPTY: frozenset[str] = frozenset()


def _frozen(items: Iterable[str]) -> frozenset[str]:
    return frozenset(items) or _EMPTY  # one shared empty set: most records have no numbers, no ids


def _name_parts(name: str, legal_form: str, forms_memo: dict[tuple[object, ...], _FormParts]) -> _NameParts:
    key = name_key(name)
    pri_words = key.primary.split()
    stop = default_table().stopwords
    pri_tokens = tuple([w for w in pri_words if w not in stop]) or tuple(pri_words)
    # a company form says "società" only without "coop" (see `_form_parts`)
    coop = "company_forms" in key.forms and any(w.startswith("coop") for w in key.full.split())
    memo_key = (key.forms, legal_form, coop)
    form_parts = forms_memo.get(memo_key)
    if form_parts is None:
        form_parts = forms_memo[memo_key] = _form_parts(key.forms, legal_form, coop)
    numbers = [t for t in key.tokens if not t.isalpha()]  # tokens are [a-z0-9]+
    return _NameParts(
        key,
        pri_tokens,
        " ".join(sorted(key.tokens)),
        " ".join(sorted(pri_tokens)),
        " ".join(key.tokens),
        (key.primary.replace(" ", ""), key.secondary.replace(" ", ""), key.full.replace(" ", "")),
        frozenset(numbers) if numbers else _EMPTY,
        *form_parts,
        tuple(key.secondary.split()),
        tuple(pri_words),
    )


_FormParts = tuple[frozenset[str], frozenset[str], frozenset[str]]


def _form_parts(name_forms: tuple[str, ...], legal_form: str, coop_word: bool) -> _FormParts:
    """Abbreviations, RUNTS sections and civil-law bodies of the forms in a name and its answer."""
    forms = set(name_forms)
    if legal_form:
        forms |= set(name_key(legal_form).forms)
    bodies = {_BODY[f] for f in forms if f in _BODY}
    if "company_forms" in forms:
        # "a r.l." also closes cooperative names: a company form says "società" only without "coop"
        coop = "cooperativa" in bodies or coop_word
        bodies.add("cooperativa" if coop else "societa")
    return (
        _frozen(ab for form in forms for ab in _abbreviations().get(form, ())),
        _frozen(_SECTION[f] for f in forms if f in _SECTION),
        _frozen(bodies),
    )


def _tax_parts(tax_ids: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    # Non-commercial bodies without a partita IVA get an 11-digit CF starting with 8 or 9;
    # partite IVA never do. Two different ids of the same kind are two bodies; one of each
    # kind is the usual "typed the partita IVA instead of the codice fiscale".
    ids = [i for i in tax_ids if len(i) == 11 and i.isdigit()]
    return _frozen(i for i in ids if i[0] in "89"), _frozen(i for i in ids if i[0] not in "89")


def _seat(address: str) -> tuple[str, tuple[str, ...]]:
    text, numbers = _address(address)
    return ("" if not numbers else text), numbers  # no street number: a square or a hamlet, not a seat


class _Memo:
    """Per-call memo of what records share: names, tax ids, places, addresses."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, str], _NameParts] = {}
        self.forms: dict[tuple[object, ...], _FormParts] = {}
        self.tax: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = {}
        self.places: dict[str, str] = {}
        self.seats: dict[str, tuple[str, tuple[str, ...]]] = {}


def _signature(rec: MatchRecord) -> str:
    """A record's content, as one string: profiles are ordered by it (then by key), so that every
    decision depends on contents, not on the order or the keys of the records."""
    return "\x1f".join(
        (
            rec.name,
            " ".join(sorted(rec.tax_ids)),
            rec.raw_tax_id,
            rec.email,
            rec.pec,
            rec.phone,
            rec.comune,
            rec.address,
            rec.legal_form,
            rec.submitted_at.isoformat() if rec.submitted_at else "",
        )
    )


def _profile(rec: MatchRecord, memo: _Memo | None = None) -> _Profile:
    """Everything a comparison needs about one record; what records share (a name, tax ids, a
    comune, an address) is read once per `memo`."""
    if memo is None:
        memo = _Memo()
    n = memo.names.get((rec.name, rec.legal_form))
    if n is None:
        n = memo.names[rec.name, rec.legal_form] = _name_parts(rec.name, rec.legal_form, memo.forms)
    tax = memo.tax.get(rec.tax_ids)
    if tax is None:
        tax = memo.tax[rec.tax_ids] = _tax_parts(rec.tax_ids)
    comune = memo.places.get(rec.comune)
    if comune is None:
        comune = memo.places[rec.comune] = _place(rec.comune)
    seat = memo.seats.get(rec.address)
    if seat is None:
        seat = memo.seats[rec.address] = _seat(rec.address)
    # Placeholders ("0000000", "non disponibile", "via Roma snc") would tie unrelated bodies together.
    phone = rec.phone if len(rec.phone) >= 6 and len(set(rec.phone)) > 2 else ""
    raw = rec.raw_tax_id
    raw_id = raw if sum(map(str.isdigit, raw)) >= 7 and len(set(raw)) > 2 else ""
    return _Profile(  # in field order: positional arguments are the cheapest
        rec,
        n.key,
        n.key.tokens,
        n.pri_tokens,
        n.sorted_sec,
        n.sorted_pri,
        n.sec_text,
        n.compacts,
        n.numbers,
        n.abbreviations,
        n.sections,
        n.bodies,
        tax[0],
        tax[1],
        raw_id,
        phone,
        comune,
        seat[0],
        seat[1],
        rec.email if "@" in rec.email else "",
        rec.pec if "@" in rec.pec else "",
        n.sec_words,
        n.pri_words,
        n,
    )


def _word_match(x: str, y: str, relaxed: bool) -> bool:
    """Two words that differ only by a typo, or an abbreviation and its word ("s" ~ "san").

    `relaxed` allows two typos in long words: two submissions may each carry their own typo.
    """
    shortest = min(len(x), len(y))
    if shortest > 4 and abs(len(x) - len(y)) > 1 + relaxed:
        return False  # more edits than any test below allows, and too long for an abbreviation
    if not (x.isalpha() and y.isalpha()):
        return False  # numbers are identity: "41" is never "42" (words are [a-z0-9]+)
    if shortest >= (_MIN_FUZZY_WORD - relaxed) and OSA.distance(x, y, score_cutoff=1) <= 1:
        return True
    if relaxed and shortest >= _MIN_RELAXED_WORD and OSA.distance(x, y, score_cutoff=2) <= 2:
        return True
    short, long_ = (x, y) if len(x) < len(y) else (y, x)
    return len(short) <= 4 and len(long_) >= len(short) + 2 and long_.startswith(short)


def _align(a: tuple[str, ...], b: tuple[str, ...], relaxed: bool = False) -> int:
    """Name class from word alignment: exact words, then typos/abbreviations, then an acronym."""
    rb = list(b)
    ra: list[str] = []
    for w in a:
        if w in rb:
            rb.remove(w)
        else:
            ra.append(w)
    matched = len(a) - len(ra)
    fuzzy = 0
    if ra and rb:
        pairs = sorted((x, y) for x in set(ra) for y in set(rb) if _word_match(x, y, relaxed))
        for x, y in pairs:
            if x in ra and y in rb:
                ra.remove(x)
                rb.remove(y)
                fuzzy += 1
    if ra and rb and (len(ra) == 1 or len(rb) == 1):
        # "cav" ~ "centro aiuto vita": an acronym standing for all the words left on the other side
        (acro,), rest = (ra, [w for w in b if w in rb]) if len(ra) == 1 else (rb, [w for w in a if w in ra])
        if len(acro) >= 3 and acro.isalpha() and acro == "".join(w[0] for w in rest):
            return _NEAR if matched + fuzzy else _PARTIAL
    if not matched and not fuzzy:
        return _NONE
    if not ra and not rb:
        budget = len(a) if relaxed else 1 if max(len(a), len(b)) <= 3 else 2
        return _NEAR if fuzzy <= budget else _WEAK
    if (not ra or not rb) and len(ra) + len(rb) <= 2 and matched:
        return _PARTIAL  # one name is the other plus a word or two: "Auser" / "Auser Crema"
    return _NONE


def _unglue(
    words: tuple[str, ...],
    other: Sequence[str],
    stopwords: frozenset[str],
    glued: dict[str, tuple[str, str]] | None = None,
) -> tuple[str, ...]:
    """Split a word that is two consecutive words of the other name typed without the space
    ("pessanocon" against "pessano con", "ilsentiero" against "il sentiero"). `glued`: those
    of `other` (`_glued`), when known."""
    if glued is None:
        glued = _glued(other)
    if not any(w in glued and w not in other for w in words):
        return words  # also when `other` has fewer than two words, or has them all
    out: list[str] = []
    for w in words:
        if w not in other and w in glued:
            out.extend(part for part in glued[w] if part not in stopwords)
        else:
            out.append(w)
    return tuple(out)


def _glued(words: Sequence[str]) -> dict[str, tuple[str, str]]:
    return {a + b: (a, b) for a, b in pairwise(words)}


def _without_form_noise(words: tuple[str, ...], others: tuple[str, ...], other: _Profile) -> tuple[str, ...]:
    """Drop words that are legal-form residue when the other name spells a legal form: a typo of
    its abbreviation ("nDV" against "ODV") or a form word left alone ("Società" + "S.C.S.")."""
    if not other.key.forms and not other.abbreviations:
        return words
    residue = other.parts.residue
    if residue is None:
        residue = other.parts.residue = {}
    kept: list[str] = []
    for w in words:
        if w in others:
            kept.append(w)
            continue
        is_residue = residue.get(w)
        if is_residue is None:
            is_residue = residue[w] = bool(other.key.forms and w in _form_words()) or (
                len(w) <= 5 and any(OSA.distance(w, ab, score_cutoff=1) <= 1 for ab in other.abbreviations)
            )
        if not is_residue:
            kept.append(w)
    return words if len(kept) == len(words) else tuple(kept)


@cache
def _abbreviations() -> dict[str, tuple[str, ...]]:
    """Legal form id -> its abbreviations ("odv" -> ("odv",)), from the packaged table."""
    out: dict[str, tuple[str, ...]] = {}
    for form, short in default_table().abbreviations:
        out[form] = (*out.get(form, ()), short)
    return out


@cache
def _form_words() -> frozenset[str]:
    return frozenset(default_table().form_words)


def _same_name(p: _Profile, q: _Profile) -> bool:
    return (
        p.sorted_sec == q.sorted_sec
        or p.sorted_pri == q.sorted_pri
        or any(x == y for x, y in zip(p.compacts, q.compacts, strict=True))
    )


def _ratio(p: _Profile, q: _Profile) -> float:
    score = max(fuzz.token_sort_ratio(p.sec_text, q.sec_text), fuzz.ratio(p.compacts[0], q.compacts[0]))
    return round(score, 1)


def _name_score(p: _Profile, q: _Profile) -> float:
    """The score of `_name_class`, without the class (for links decided on other grounds)."""
    return 100.0 if _same_name(p, q) else _ratio(p, q)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What bounds a name's class against another without aligning them (`_name_ceiling`)."""

    tokens: frozenset[str]  # comparison words, with and without head nouns
    glued: frozenset[str]  # two consecutive words typed together
    solid: tuple[tuple[str, ...], tuple[str, ...]]  # words never dropped as legal-form residue
    acronyms: tuple[str, ...]  # words that could stand for three or more others, shortest first
    initials: tuple[str, str]  # of the comparison words, with and without head nouns
    most_initials: int


def _shape(p: _Profile) -> _Shape:
    parts = p.parts
    if parts.shape is None:
        glued_sec, glued_pri = _glue(p)
        form_words = _form_words()
        words = (*parts.key.tokens, *parts.pri_tokens)
        initials = ("".join(w[0] for w in parts.key.tokens), "".join(w[0] for w in parts.pri_tokens))
        parts.shape = _Shape(
            frozenset(words),
            frozenset((*glued_sec, *glued_pri)),
            (_solid(parts.key.tokens, form_words), _solid(parts.pri_tokens, form_words)),
            tuple(sorted((w for w in set(words) if len(w) >= 3 and w.isalpha()), key=len)),
            initials,
            max(map(len, initials)),
        )
    return parts.shape


def _solid(words: tuple[str, ...], form_words: frozenset[str]) -> tuple[str, ...]:
    """The words `_without_form_noise` never drops: long, and not form words."""
    return tuple(w for w in words if len(w) > 5 and w not in form_words)


def _subsequence(word: str, letters: str) -> bool:
    it = iter(letters)
    return all(c in it for c in word)


def _acronym(x: _Shape, y: _Shape) -> bool:
    """Whether a word of `x` may spell the initials of some of `y`'s words, in order."""
    for word in x.acronyms:
        if len(word) > y.most_initials:
            return False  # and so are the words after it
        if any(len(word) <= len(letters) and _subsequence(word, letters) for letters in y.initials):
            return True
    return False


def _name_ceiling(p: _Profile, q: _Profile) -> int:
    """A class `_name_class(p, q)` (not relaxed, numbers aside) cannot exceed, without aligning.

    Past the same name and one-typo compact names, the class comes from aligning the words with
    and without head nouns. Unless a word of one name may unglue into two of the other's, or may
    be an acronym of the other's words (`_own_words`), the aligned words are the names' own
    comparison words, less some legal-form residue: never a long word that is not a form word
    (`_solid`). Such a word that is not among the other's words and is not a typo or an
    abbreviation of any of them stays unmatched (`_unmatched`). A near alignment leaves nothing
    unmatched; a partial one matches one side entirely and at least one word exactly."""
    if not _own_words(p, q):
        return _SAME
    a, b = _shape(p), _shape(q)
    ceiling = _WEAK
    for k, (x, y) in enumerate(((p.sec_tokens, q.sec_tokens), (p.pri_tokens, q.pri_tokens))):
        lost_x, lost_y = _unmatched(a.solid[k], y), _unmatched(b.solid[k], x)
        if not lost_x and not lost_y:
            return _NEAR
        if not (lost_x and lost_y) and not set(x).isdisjoint(y):
            ceiling = _PARTIAL
    return ceiling


def _may_be_alike(p: _Profile, q: _Profile) -> bool:
    """False only when `_name_class(p, q)` is none and the relaxed class is less than near.

    As in `_name_ceiling`: with words of both names unmatched, in both alignments, an alignment
    finds nothing; with a word of one name unmatched even allowing two typos, the relaxed one is
    not near. Then only the similarity score may still make the names weakly alike."""
    if not _own_words(p, q):
        return True
    a, b = _shape(p), _shape(q)
    for k, (x, y) in enumerate(((p.sec_tokens, q.sec_tokens), (p.pri_tokens, q.pri_tokens))):
        if not (_unmatched(a.solid[k], y) and _unmatched(b.solid[k], x)):
            return True
        if not (_unmatched(a.solid[k], y, relaxed=True) or _unmatched(b.solid[k], x, relaxed=True)):
            return True
    return _ratio(p, q) >= _WEAK_SCORE


def _own_words(p: _Profile, q: _Profile) -> bool:
    """Whether aligning the two names compares their own comparison words (less some legal-form
    residue) and nothing else decides: not the same name, not one typo apart once compacted, no
    word that may unglue into two of the other name's, no word that may be an acronym of the
    other's (three letters or more spelling the initials of some of its words, in order)."""
    if _same_name(p, q) or _compact_typo(p, q):
        return False
    a, b = _shape(p), _shape(q)
    return not (
        not a.tokens.isdisjoint(b.glued)
        or not b.tokens.isdisjoint(a.glued)
        or _acronym(a, b)
        or _acronym(b, a)
    )


def _unmatched(solid: tuple[str, ...], others: tuple[str, ...], relaxed: bool = False) -> bool:
    """Whether one of the `solid` words (six letters or more) is neither among `others` nor alike
    one of them for `_word_match`: within one edit (two when relaxed), so a length at most one
    (two) apart, or starting with an abbreviation of four letters or fewer."""
    for w in solid:
        if w in others:
            continue
        for o in others:
            if len(o) <= 4:
                if w.startswith(o) and o.isalpha() and w.isalpha():
                    break
            elif abs(len(o) - len(w)) <= 1 + relaxed and _word_match(w, o, relaxed):
                break
        else:
            return True
    return False


def _compact_typo(p: _Profile, q: _Profile) -> bool:
    """One typo anywhere, spaces included: "AssociazioneIl Nodo", "PrimaveranODV"."""
    for x, y in zip(p.compacts, q.compacts, strict=True):
        if (
            min(len(x), len(y)) >= _MIN_COMPACT
            and abs(len(x) - len(y)) <= 1  # more would be more than one edit
            and OSA.distance(x, y, score_cutoff=1) <= 1
        ):
            return True
    return False


def _glue(p: _Profile) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    parts = p.parts
    if parts.glued_sec is None or parts.glued_pri is None:
        parts.glued_sec, parts.glued_pri = _glued(parts.sec_words), _glued(parts.pri_words)
    return parts.glued_sec, parts.glued_pri


def _name_class(p: _Profile, q: _Profile, relaxed: bool = False) -> tuple[int, float]:
    """How alike two names are (class) and a 0-100 similarity score."""
    if _same_name(p, q):
        cls, score = _SAME, 100.0
    else:
        stop = default_table().stopwords
        gp, gq = _glue(p), _glue(q)
        sec_p = _without_form_noise(_unglue(p.sec_tokens, q.sec_words, stop, gq[0]), q.sec_tokens, q)
        sec_q = _without_form_noise(_unglue(q.sec_tokens, p.sec_words, stop, gp[0]), p.sec_tokens, p)
        pri_p = _without_form_noise(_unglue(p.pri_tokens, q.pri_words, stop, gq[1]), q.pri_tokens, q)
        pri_q = _without_form_noise(_unglue(q.pri_tokens, p.pri_words, stop, gp[1]), p.pri_tokens, p)
        cls = max(_align(sec_p, sec_q, relaxed), _align(pri_p, pri_q, relaxed))
        if cls < _NEAR and _compact_typo(p, q):
            cls = _NEAR
        score = _ratio(p, q)
        if cls < _WEAK and score >= _WEAK_SCORE:
            cls = _WEAK
    if p.numbers != q.numbers:
        cls = min(cls, _WEAK)  # "Polisportiva Crema 41" and "... 42" are two clubs
    return cls, score


def _same_address(p: _Profile, q: _Profile) -> bool:
    if not p.address or not q.address or p.address_numbers != q.address_numbers:
        return False
    return p.address == q.address or fuzz.ratio(p.address, q.address) >= 85


def _judge(p: _Profile, q: _Profile) -> _Verdict | None:
    """Merge, review or nothing for one candidate pair (no shared valid tax id)."""
    same_comune = bool(p.comune) and p.comune == q.comune
    other_comune = bool(p.comune and q.comune) and not same_comune
    if other_comune and not (p.comune.isdigit() or q.comune.isdigit()):
        # two spellings of one place ("cremna"), unless either is an ISTAT code
        other_comune = not (
            min(len(p.comune), len(q.comune)) >= 5 and OSA.distance(p.comune, q.comune, score_cutoff=1) <= 1
        )
        same_comune = not other_comune
    elif other_comune and (p.comune.isdigit() != q.comune.isdigit()):
        other_comune = False  # a code and an unresolved name cannot be compared
    phone = bool(p.phone) and p.phone == q.phone
    address = not other_comune and _same_address(p, q)
    email = bool(p.email) and p.email == q.email
    pec = bool(p.pec) and p.pec == q.pec
    raw_near = bool(p.raw_id and q.raw_id) and OSA.distance(p.raw_id, q.raw_id, score_cutoff=2) <= 1
    other_form = _disjoint(p.sections, q.sections) or _disjoint(p.bodies, q.bodies)
    other_id = _disjoint(p.cf, q.cf) or _disjoint(p.piva, q.piva)
    strong = phone or address
    weak = email + pec + raw_near
    contradicted = other_form or other_id or other_comune
    # Nothing shared, or a contradiction with nothing strong to outweigh it: neither a merge nor
    # worth a reviewer's time, whatever the names say (namesakes in other towns are common).
    if not (strong or weak or same_comune) or (contradicted and not (strong or raw_near)):
        return None
    # Only a partial name would count here, or a near one with nothing but the comune in common
    # (see below): a name that cannot be that close is dismissed without aligning it.
    if (contradicted or not (strong or raw_near)) and _name_ceiling(p, q) < (
        _PARTIAL if contradicted or weak else _NEAR
    ):
        return None
    if strong and not (contradicted or raw_near) and not _may_be_alike(p, q):
        return None  # with a phone or an address, the least likeness below would do
    cls, score = _name_class(p, q)
    typos = False
    if cls < _NEAR and strong and not contradicted:
        # Names a typo or two apart in every word (each submission may carry its own; "Nodo" and
        # "oNdo"): the same body when every contact agrees, worth a look when a phone or an
        # address does.
        typos = _name_class(p, q, relaxed=True)[0] >= _NEAR
        if typos and phone and address and (email or pec) and same_comune:
            cls = _NEAR
        elif typos:
            cls = max(cls, _WEAK)
    if cls == _NONE and not raw_near:
        return None

    merge = False
    if cls >= _NEAR and not contradicted:
        if strong:
            merge = True
        else:
            # No phone or address in common, but none contradicting either (both often missing):
            # the very same name in the same comune with two more shared identifiers.
            phone_differs = bool(p.phone and q.phone)
            address_differs = bool(p.address and q.address)
            merge = cls == _SAME and same_comune and weak >= 2 and not phone_differs and not address_differs
    if merge:
        review = False
    elif contradicted:
        # Two ids, two forms or two seats make it two bodies, unless they share a phone, an address
        # or a tax code typed one character apart.
        review = (strong or raw_near) and cls >= _PARTIAL
    elif cls >= _NEAR:
        review = strong or weak > 0 or same_comune
    elif cls == _PARTIAL:
        review = strong or weak > 0
    else:
        review = strong or raw_near
    if not merge and not review:
        return None

    if cls == _SAME:
        name = EVIDENCE_SAME_NAME
    elif cls == _NEAR and score < _WEAK_SCORE and not typos:
        name = EVIDENCE_SHORT_NAME  # "CAV" for "Centro di Aiuto alla Vita": the ratio would mislead
    else:
        name = EVIDENCE_SIMILAR_NAME.format(score=int(score))
    evidence: list[str] = [name]
    for flag, phrase in (
        (raw_near, EVIDENCE_SIMILAR_TAX_ID),
        (phone, EVIDENCE_PHONE),
        (address, EVIDENCE_ADDRESS),
        (email, EVIDENCE_EMAIL),
        (pec, EVIDENCE_PEC),
        (same_comune, EVIDENCE_COMUNE),
        (other_comune, EVIDENCE_OTHER_COMUNE),
        (other_form, EVIDENCE_OTHER_FORM),
        (other_id, EVIDENCE_OTHER_TAX_ID),
        (p.numbers != q.numbers, EVIDENCE_OTHER_NUMBER),
    ):
        if flag:
            evidence.append(phrase)
    return _Verdict(merge, review, (cls, strong + weak, score), score, tuple(evidence))


def _deletions(text: str) -> Iterable[str]:
    """The string and every one-character deletion of it: equal keys mean at most one typo apart."""
    yield text
    for i in range(len(text)):
        yield text[:i] + text[i + 1 :]


def _word_pairs(rare: Sequence[str]) -> list[str]:
    """A name's word keys: the pairs of its rare words ("x|y"), or its one rare word."""
    if len(rare) == 1:
        return [rare[0]]
    return [f"{x}|{y}" for x, y in combinations(sorted(rare), 2)]


def _blocks(values: list[str], owners: list[int], size: int) -> Iterator[list[int]]:
    """The owners of each value given by more than one owner and by at most `size`, in order
    (each owner gives a value once, owners ascending). Counted in C first, so that only the
    values shared get a list."""
    counts = Counter(values)
    if len(counts) == len(values):
        return  # nothing shared
    shared = {value for value, count in counts.items() if 1 < count <= size}
    blocks: dict[str, list[int]] = {}
    for value, i in compress(zip(values, owners, strict=True), map(shared.__contains__, values)):
        members = blocks.get(value)
        if members is None:
            blocks[value] = [i]
        else:
            members.append(i)
    yield from blocks.values()


def _candidates(profiles: Sequence[_Profile]) -> list[tuple[int, int]]:
    """Pairs of profile indices that share a blocking key (and that `_judge` may not dismiss,
    see `_Screen`), in a canonical order. The keys: the same valid email, PEC, phone or raw tax
    code; and, in the same comune, the same name words (sorted, with and without head nouns), a
    pair of rare name words, the same street address, or short names one typo apart. A key shared
    by more records than a block holds says nothing and is left out."""
    n = len(profiles)
    screen = _Screen(profiles)
    pairs: set[int] = set()  # i * n + j for i < j: ints are cheaper to keep than tuples

    taxes = screen.tax_ids

    def add(members: Sequence[int]) -> None:
        if len(members) == 2 and taxes[members[0]] is not None and taxes[members[0]] == taxes[members[1]]:
            return  # one body's records, rule 2's (the commonest block of a contact)
        pairs.update(screen.open_pairs(members))

    # Contacts: across comuni.
    for field_ in ("email", "pec", "phone", "raw_id"):
        values: list[str] = []
        owners: list[int] = []
        for i, p in enumerate(profiles):
            value = getattr(p, field_)
            if value:
                values.append(value)
                owners.append(i)
        for members in _blocks(values, owners, _MAX_SHARED):
            add(members)

    # Name keys carry the comune: a pair with similar names but no contact in common is only
    # worth a look in the same town (with a contact in common, the contact keys find it).
    df = Counter(t for p in profiles for t in set(p.sec_tokens))
    word_keys: dict[tuple[str, ...], list[str]] = {}  # the same words give the same keys
    towns: dict[str, list[int]] = {}
    for i, p in enumerate(profiles):
        towns.setdefault(p.comune, []).append(i)
    for members in towns.values():
        if len(members) < 2:
            continue
        for values in ([profiles[i].sorted_sec for i in members], [profiles[i].sorted_pri for i in members]):
            for block in _blocks(values, members, _MAX_BLOCK):
                add(block)
        words: list[str] = []
        owners = []
        addresses: list[str] = []
        seats: list[int] = []
        short: dict[str, list[int]] = {}
        for i in members:
            p = profiles[i]
            own = word_keys.get(p.sec_tokens)
            if own is None:
                rare = sorted(set(p.sec_tokens), key=lambda t: (df[t], t))[:_RARE_TOKENS]
                own = word_keys[p.sec_tokens] = _word_pairs(rare) if rare else []
            words += own
            owners += [i] * len(own)
            if p.address:
                addresses.append(p.address)
                seats.append(i)
            if len(p.compacts[0]) >= _MIN_COMPACT and len(set(p.sec_tokens)) <= 2:
                short.setdefault(p.compacts[0], []).append(i)
        for block in _blocks(words, owners, _MAX_BLOCK):
            add(block)
        for block in _blocks(addresses, seats, _MAX_SHARED):
            add(block)
        # Short names one typo apart, spaces included (a longer name keeps a pair of its words
        # intact): the one-character deletions of each distinct compact name.
        for block in short.values():
            if 1 < len(block) <= _MAX_BLOCK:
                add(block)
        if len(short) < 2:
            continue
        compacts = list(short)
        deletions: list[str] = []
        compact_of: list[int] = []
        for k, compact in enumerate(compacts):
            own_deletions = set(_deletions(compact))
            deletions += own_deletions
            compact_of += [k] * len(own_deletions)
        for similar in _blocks(deletions, compact_of, _MAX_BLOCK):
            for x, y in combinations(similar, 2):
                left, right = short[compacts[x]], short[compacts[y]]
                if len(left) * len(right) <= _MAX_BLOCK * _MAX_BLOCK:
                    pairs.update(min(i, j) * n + max(i, j) for i in left for j in right)
    return sorted(divmod(c, n) for c in screen.keep(pairs))


class _Screen:
    """Which candidate pairs `_judge` may keep, from cheap checks that follow its rules (it
    dismisses every other one, and pairs sharing a valid tax id are rule 2's, never judged):

    - it needs a contact or the comune in common;
    - a contradiction (two tax ids, two forms) needs a phone, an address or a near tax code to
      outweigh it;
    - names with different numbers are at best weakly alike, which only a phone, an address or a
      near tax code without a contradiction brings to review.

    Two records that both have a codice fiscale, or both a partita IVA, either have two (a
    contradiction) or share one. A phone, an address (in any comune) or a tax code one edit apart
    in common is tested as `_judge` does, after a cheap sign of one (`open_pairs`): the same phone, the
    same street numbers, the same start or end of the tax code. Two codes one edit apart keep the
    characters before the edit, and those after it counted from the end: when the shorter has m
    characters, they share the first (m - 1) // 2 or the last m - 1 - (m - 1) // 2. Raw codes
    have seven characters or more: three and three will do; from eleven (a codice fiscale or a
    partita IVA), five and five."""

    def __init__(self, profiles: Sequence[_Profile]) -> None:
        self.profiles = profiles
        self.ids = [bool(p.cf) + 2 * bool(p.piva) for p in profiles]  # 1: a codice fiscale, 2: a partita IVA
        form_codes: dict[tuple[frozenset[str], frozenset[str]], int] = {}
        self.forms = [form_codes.setdefault((p.sections, p.bodies), len(form_codes)) for p in profiles]
        self.form_sets = list(form_codes)
        self.other_form: dict[tuple[int, int], bool] = {}
        # whether two forms contradict, by code
        self.conflicts = [
            [self._other_form(a, b) for b in range(len(form_codes))] for a in range(len(form_codes))
        ]
        # the cheap signs of a contact in common ("" or () when there is none)
        self.phones = [p.phone for p in profiles]
        self.streets = [p.address_numbers if p.address else () for p in profiles]
        self.long_codes = [
            (len(p.raw_id) >= 11) + bool(p.raw_id) for p in profiles
        ]  # 2: long, 1: short, 0: none
        self.heads = [p.raw_id[: 5 if len(p.raw_id) >= 11 else 3] for p in profiles]
        self.tails = [p.raw_id[-5 if len(p.raw_id) >= 11 else -3 :] for p in profiles]
        # the one valid tax id of a record that has exactly one (a pair sharing it is rule 2's)
        self.tax_ids = [p.rec.tax_ids[0] if len(p.rec.tax_ids) == 1 else None for p in profiles]

    def open_pairs(self, members: Sequence[int]) -> Iterator[int]:
        """The pairs of a block (members ascending) worth `keep`'s time, as codes i * n + j: not
        sharing a record's one tax id (rule 2's), and, when they may be contradicted (two ids of
        a kind, two forms), showing a sign of a contact in common. `keep` drops the others."""
        n, ids, forms, conflicts, taxes = len(self.ids), self.ids, self.forms, self.conflicts, self.tax_ids
        phones, streets, heads, tails, long_codes = (
            self.phones,
            self.streets,
            self.heads,
            self.tails,
            self.long_codes,
        )
        return (
            i * n + j
            for i, j in combinations(members, 2)
            if (
                not (ids[i] & ids[j] or conflicts[forms[i]][forms[j]])
                or (phones[i] and phones[i] == phones[j])
                or (streets[i] and streets[i] == streets[j])
                or (heads[i] and (heads[i] == heads[j] or tails[i] == tails[j]))  # the same length class
                or (long_codes[i] | long_codes[j] == 3 and self.mixed_codes(i, j))
            )
            and (taxes[i] is None or taxes[i] != taxes[j])
        )

    def mixed_codes(self, i: int, j: int) -> bool:
        """The start or end sign for two codes of different length classes (ten and eleven)."""
        a, b = self.profiles[i].raw_id, self.profiles[j].raw_id
        return bool(a and b) and (a[:3] == b[:3] or a[-3:] == b[-3:])

    def _other_form(self, a: int, b: int) -> bool:
        known = self.other_form.get((a, b))
        if known is None:
            (sa, ba), (sb, bb) = self.form_sets[a], self.form_sets[b]
            known = self.other_form[a, b] = _disjoint(sa, sb) or _disjoint(ba, bb)
        return known

    def _near(self, i: int, j: int) -> bool:
        """A phone, an address (in any comune) or a tax code one edit apart in common."""
        p, q = self.profiles[i], self.profiles[j]
        return (
            (bool(p.phone) and p.phone == q.phone)
            or _same_address(p, q)
            or (bool(p.raw_id and q.raw_id) and OSA.distance(p.raw_id, q.raw_id, score_cutoff=2) <= 1)
        )

    def keep(self, pairs: Iterable[int]) -> list[int]:
        profiles, ids, forms = self.profiles, self.ids, self.forms
        phones, streets, heads, tails = self.phones, self.streets, self.heads, self.tails
        n = len(profiles)
        kept: list[int] = []
        long_codes = self.long_codes
        for code in pairs:
            i, j = divmod(code, n)
            sign = (
                (phones[i] and phones[i] == phones[j])
                or (streets[i] and streets[i] == streets[j])
                or (heads[i] and (heads[i] == heads[j] or tails[i] == tails[j]))
                or (long_codes[i] | long_codes[j] == 3 and self.mixed_codes(i, j))
            )
            if ids[i] & ids[j] or (forms[i] != forms[j] and self._other_form(forms[i], forms[j])):
                # a contradiction (or rule 2's): worth a look only with a contact and the same numbers
                if not sign or profiles[i].numbers != profiles[j].numbers or not self._near(i, j):
                    continue
            elif not (sign and self._near(i, j)):
                p, q = profiles[i], profiles[j]
                if p.numbers != q.numbers or not (
                    (p.comune and q.comune) or (p.email and p.email == q.email) or (p.pec and p.pec == q.pec)
                ):
                    continue
            p, q = profiles[i], profiles[j]
            if not (q.rec.tax_ids and any(t in q.rec.tax_ids for t in p.rec.tax_ids)):
                kept.append(code)
        return kept


def _link(profiles: Sequence[_Profile], i: int, j: int, score: float, evidence: tuple[str, ...]) -> Link:
    a, b = sorted((profiles[i].rec.key, profiles[j].rec.key))
    return Link(a, b, score, evidence)


def match(
    records: Sequence[MatchRecord],
    *,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
) -> MatchResult:
    """Cluster response records into organisations, with the evidence and a review queue."""
    # Matching allocates a few hundred thousand small objects that all live until it returns and
    # form no reference cycles: the cyclic collector would walk the whole heap several times over
    # for nothing (a third of the time at 25,000 records). Pause it, as `timeit` does.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _match(records, must_link, cannot_link)
    finally:
        if collecting:
            gc.enable()


def _match(
    records: Sequence[MatchRecord],
    must_link: Iterable[tuple[int, int]],
    cannot_link: Iterable[tuple[int, int]],
) -> MatchResult:
    # In content order (ties on keys, then as given): built in that order, the profiles are laid
    # out in memory as they are read below.
    in_order = sorted((_signature(r), r.key, k) for k, r in enumerate(records))
    memo = _Memo()
    profiles: list[_Profile] = []
    first: dict[str, int] = {}
    by_id: dict[str, list[int]] = {}  # the ids given more than once, with every record giving them
    for i, (_, _, k) in enumerate(in_order):
        rec = records[k]
        profiles.append(_profile(rec, memo))
        for tax_id in rec.tax_ids:
            if tax_id in first:
                by_id.setdefault(tax_id, [first[tax_id]]).append(i)
            else:
                first[tax_id] = i
    keys = [key for _, key, _ in in_order]  # profiles[i].rec.key
    del in_order  # the signatures have done their work
    index = dict(zip(keys, range(len(keys)), strict=True))
    if len(index) != len(profiles):
        raise ValueError("record keys must be unique")
    uf = _Clusters(
        parent=list(range(len(profiles))),
        size=[1] * len(profiles),
        cf=[p.cf for p in profiles],
        piva=[p.piva for p in profiles],
        sections=[p.sections for p in profiles],
        bodies=[p.bodies for p in profiles],
    )

    def known(pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        # Pairs naming an unknown key are the caller's to report (an unknown ID in "Decisioni").
        out = {tuple(sorted((index[a], index[b]))) for a, b in pairs if a in index and b in index and a != b}
        return sorted((x, y) for x, y in out)

    for i, j in known(cannot_link):
        uf.forbid(i, j)
    forbidden_pairs = known(cannot_link)

    links: list[Link] = []
    review: list[tuple[tuple[int, int, float], int, int, Link]] = []  # (rank, i, j, link)
    conflicts: list[tuple[int, int, Link]] = []

    for i, j in known(must_link):
        ri, rj = uf.find(i), uf.find(j)
        if ri == rj:
            continue
        if uf.forbidden(ri, rj):
            conflicts.append((i, j, _link(profiles, i, j, 0.0, (EVIDENCE_CONFLICT,))))
            continue
        uf.union(ri, rj)
        links.append(_link(profiles, i, j, _name_score(profiles[i], profiles[j]), (EVIDENCE_MUST_LINK,)))

    for tax_id in sorted(by_id):
        members = by_id[tax_id]
        for pos, j in enumerate(members[1:], start=1):
            for i in members[:pos]:  # the first earlier member it may join (cannot-links aside)
                ri, rj = uf.find(i), uf.find(j)
                if ri == rj:
                    break
                if not uf.forbidden(ri, rj):
                    uf.union(ri, rj)
                    score = _name_score(profiles[i], profiles[j])
                    links.append(_link(profiles, i, j, score, (EVIDENCE_TAX_ID,)))
                    break

    merges: list[tuple[tuple[int, int, float], int, int, _Verdict]] = []
    for i, j in _candidates(profiles):
        ids = profiles[j].rec.tax_ids
        if ids and any(t in ids for t in profiles[i].rec.tax_ids):
            continue  # already decided by rule 2
        verdict = _judge(profiles[i], profiles[j])
        if verdict is None:
            continue
        if verdict.merge:
            merges.append((verdict.rank, i, j, verdict))
        else:
            review.append((verdict.rank, i, j, _link(profiles, i, j, verdict.score, verdict.evidence)))
    # Surest merges first; ties on content order (indices follow the content signature).
    merges.sort(key=lambda m: (-m[0][0], -m[0][1], -m[0][2], m[1], m[2]))
    for rank, i, j, verdict in merges:
        ri, rj = uf.find(i), uf.find(j)
        if ri == rj or uf.forbidden(ri, rj):
            continue
        reason = uf.conflict(ri, rj)
        if reason:
            evidence = verdict.evidence if reason in verdict.evidence else (*verdict.evidence, reason)
            review.append((rank, i, j, _link(profiles, i, j, verdict.score, evidence)))
            continue
        uf.union(ri, rj)
        links.append(_link(profiles, i, j, verdict.score, verdict.evidence))

    parent = uf.parent
    roots = [i if parent[i] == i else uf.find(i) for i in range(len(profiles))]
    groups: dict[int, list[int]] = defaultdict(list)
    for key, root in zip(keys, roots, strict=True):
        groups[root].append(key)
    clusters = sorted(sorted(g) for g in groups.values())

    # One review line per pair of clusters, the surest; none where staff already said "Separa".
    separated = {(min(roots[i], roots[j]), max(roots[i], roots[j])) for i, j in forbidden_pairs}
    best: dict[tuple[int, int], tuple[tuple[float, ...], Link]] = {}
    for rank, i, j, link in review:
        pair = (min(roots[i], roots[j]), max(roots[i], roots[j]))
        if pair[0] == pair[1] or pair in separated:
            continue
        order = (-rank[0], -rank[1], -rank[2], i, j)
        if pair not in best or order < best[pair][0]:
            best[pair] = (order, link)
    queue = [link for _, link in best.values()]
    queue.extend(link for _, _, link in conflicts)
    queue.sort(key=lambda lk: (lk.a, lk.b, lk.evidence))
    links.sort(key=lambda lk: (lk.a, lk.b))
    return MatchResult(clusters=clusters, links=links, review=queue)
