"""Response records → organisations: which submissions come from the same body.  Pure.

Rules, strongest first (a false merge is worse than a missed one):

1. `must_link` pairs (staff's "Unisci") are merged; `cannot_link` pairs (staff's "Separa") never end
   in the same cluster, checked before every union against the whole clusters. A `must_link` that
   would break a `cannot_link` is not applied: it comes back in `review` with the evidence
   `EVIDENCE_CONFLICT` so staff see their two decisions disagree.
2. Records sharing a valid tax id are merged ("stesso codice fiscale"), unless two of them cannot be
   one body (other legal forms, names whose cores disagree, a body word such as "consorzio" on one
   side only): then the id is contested, the pair goes to review ("forse un codice copiato"), the
   id no longer identifies its givers, and the rows whose body turns out to have its own id are
   reported (`MatchResult.borrowed`). Two ids of one kind a slip apart (transposed digits) are a
   weak conflict that the same name with two of the body's own contacts outweighs.
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
merges or is reported as contested with its pair in review (cannot-links aside); a record sharing
no blocking key with the others leaves their clusters, links and review unchanged. Adding records can in general split a cluster (a new record
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
call.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from itertools import combinations, compress, pairwise

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

# Evidence shown to staff in "Possibili duplicati": Italian phrases, kept in `sync.labels`.
from sync.labels import (
    EVIDENCE_ADDRESS,
    EVIDENCE_BORROWED_TAX_ID,
    EVIDENCE_BORROWED_TAX_ID_FORM,
    EVIDENCE_COMUNE,
    EVIDENCE_CONFLICT,
    EVIDENCE_CONTACT,
    EVIDENCE_EMAIL,
    EVIDENCE_KEPT,
    EVIDENCE_MUST_LINK,
    EVIDENCE_OTHER_BODY,
    EVIDENCE_OTHER_COMUNE,
    EVIDENCE_OTHER_FORM,
    EVIDENCE_OTHER_NUMBER,
    EVIDENCE_OTHER_TAX_ID,
    EVIDENCE_PEC,
    EVIDENCE_PHONE,
    EVIDENCE_SAME_NAME,
    EVIDENCE_SHARED_CONTACT,
    EVIDENCE_SHORT_NAME,
    EVIDENCE_SIMILAR_NAME,
    EVIDENCE_SIMILAR_TAX_ID,
    EVIDENCE_TAX_ID,
)
from sync.names import NameKey, default_table, name_key
from sync.text import fold

__all__ = [
    "EVIDENCE_ADDRESS",
    "EVIDENCE_BORROWED_TAX_ID",
    "EVIDENCE_BORROWED_TAX_ID_FORM",
    "EVIDENCE_COMUNE",
    "EVIDENCE_CONFLICT",
    "EVIDENCE_CONTACT",
    "EVIDENCE_EMAIL",
    "EVIDENCE_KEPT",
    "EVIDENCE_MUST_LINK",
    "EVIDENCE_OTHER_BODY",
    "EVIDENCE_OTHER_COMUNE",
    "EVIDENCE_OTHER_FORM",
    "EVIDENCE_OTHER_NUMBER",
    "EVIDENCE_OTHER_TAX_ID",
    "EVIDENCE_PEC",
    "EVIDENCE_PHONE",
    "EVIDENCE_SAME_NAME",
    "EVIDENCE_SHARED_CONTACT",
    "EVIDENCE_SHORT_NAME",
    "EVIDENCE_SIMILAR_NAME",
    "EVIDENCE_SIMILAR_TAX_ID",
    "EVIDENCE_TAX_ID",
    "Borrowed",
    "Link",
    "MatchRecord",
    "MatchResult",
    "match",
]


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
    contact: str = ""  # the contact person as typed ("Nome e cognome del referente"), if any


@dataclass(frozen=True, slots=True)
class Link:
    """Why two records are (or may be) the same organisation."""

    a: int  # record keys, a < b
    b: int
    score: float  # name similarity 0-100
    evidence: tuple[str, ...]  # Italian phrases, e.g. ("nome simile 96%", "stesso telefono")


@dataclass(frozen=True, slots=True)
class Borrowed:
    """A record whose valid tax id is also given by a record of another body: perhaps copied."""

    key: int  # the record
    tax_id: str
    other: int  # a record of another body giving the same id


@dataclass(frozen=True)
class MatchResult:
    """Clusters of record keys, the links that merged them, and the pairs staff should look at."""

    clusters: list[list[int]]  # each sorted by key; sorted by first key; every key exactly once
    links: list[Link]  # one per union performed: the evidence for each merge
    review: list[Link]  # uncertain pairs across different clusters, one per cluster pair
    borrowed: list[Borrowed] = field(default_factory=list)  # by key: ids that look copied


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
    contact: str  # the contact person's words, folded and sorted ("" if fewer than two)
    domain: str  # of the email
    tax_ids: tuple[str, ...]  # the valid ids that identify the record (a contested one left out)
    contested: str = ""  # a valid id also given by another body (`_contested`): evidence only


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
    marks: frozenset[str]  # body words in the name ("consorzio", "circolo"): see `_name_class`
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
    near_ids: bool = False  # a merge over two ids of one kind a slip apart


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

    def conflict(self, ri: int, rj: int, near: bool = False) -> str:
        """The evidence phrase that keeps two clusters apart, or '' if they are compatible. `near`:
        two ids of one kind a slip apart do not (the judge found the rest outweighs them)."""
        for table in (self.cf, self.piva):
            if _disjoint(table[ri], table[rj]) and not (near and _near_ids(table[ri], table[rj])):
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
    return text if text.isdigit() else _NON_ALNUM.sub("", _PROVINCE.sub("", fold(text)))


def _address(text: str) -> tuple[str, tuple[str, ...]]:
    words = [w for w in _NON_ALNUM.sub(" ", fold(text)).split() if w not in _STREET_WORDS]
    return "".join(words), tuple(_DIGITS.findall(text))


_EMPTY: frozenset[str] = frozenset()


def _frozen(items: Iterable[str]) -> frozenset[str]:
    return frozenset(items) or _EMPTY  # one shared empty set: most records have no numbers, no ids


def _name_parts(
    name: str,
    legal_form: str,
    forms_memo: dict[tuple[object, ...], _FormParts],
    words_memo: dict[str, str] | None = None,
) -> _NameParts:
    key = name_key(name)
    # one string per distinct word, and one per distinct text, for the whole call (`words_memo`): the names
    # of 25,000 records repeat few words, and most keys' primary, secondary and full texts are equal
    words = {} if words_memo is None else words_memo
    tokens = key.tokens  # its strings live in `name_key`'s cache anyway: the others share them
    for w in tokens:
        words.setdefault(w, w)
    sec_words = tuple([words.setdefault(w, w) for w in key.secondary.split()])
    pri_words = sec_words if key.primary == key.secondary else [words.setdefault(w, w) for w in key.primary.split()]
    stop = default_table().stopwords
    pri_tokens = tuple([w for w in pri_words if w not in stop]) or tuple(pri_words)
    # a company form says "società" only without "coop" (see `_form_parts`)
    coop = "company_forms" in key.forms and any(w.startswith("coop") for w in key.full.split())
    memo_key = (key.forms, legal_form, coop)
    form_parts = forms_memo.get(memo_key)
    if form_parts is None:
        form_parts = forms_memo[memo_key] = _form_parts(key.forms, legal_form, coop)
    numbers = [t for t in tokens if not t.isalpha()]  # tokens are [a-z0-9]+
    sorted_sec = " ".join(sorted(tokens))
    sorted_pri = " ".join(sorted(pri_tokens))
    sec_text = " ".join(tokens)
    primary = key.primary.replace(" ", "")
    secondary = primary if key.secondary == key.primary else key.secondary.replace(" ", "")
    full = primary if key.full == key.primary else key.full.replace(" ", "")
    return _NameParts(
        key,
        pri_tokens,
        sorted_sec,
        sorted_sec if sorted_pri == sorted_sec else sorted_pri,
        sorted_sec if sec_text == sorted_sec else sec_text,
        (primary, secondary, full),
        frozenset(numbers) if numbers else _EMPTY,
        *form_parts,
        sec_words,
        pri_words if isinstance(pri_words, tuple) else tuple(pri_words),
        _marks(key.full),
    )


def _marks(full: str) -> frozenset[str]:
    """The body words of a name, plurals folded: "Consorzi Riuniti" and "Consorzio X" share one."""
    body = default_table().body_words
    found = [("consorzio" if w == "consorzi" else w) for w in full.split() if w in body]
    return frozenset(found) if found else _EMPTY


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
    """Per-call memo of what records share: names, tax ids, places, addresses, contact persons."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, str], _NameParts] = {}
        self.forms: dict[tuple[object, ...], _FormParts] = {}
        self.tax: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = {}
        self.places: dict[str, str] = {}
        self.seats: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.contacts: dict[str, str] = {}
        self.words: dict[str, str] = {}  # one string per distinct name word


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
            rec.contact,
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
        n = memo.names[rec.name, rec.legal_form] = _name_parts(
            rec.name, rec.legal_form, memo.forms, memo.words
        )
    tax = memo.tax.get(rec.tax_ids)
    if tax is None:
        tax = memo.tax[rec.tax_ids] = _tax_parts(rec.tax_ids)
    comune = memo.places.get(rec.comune)
    if comune is None:
        comune = memo.places[rec.comune] = _place(rec.comune)
    seat = memo.seats.get(rec.address)
    if seat is None:
        seat = memo.seats[rec.address] = _seat(rec.address)
    contact = memo.contacts.get(rec.contact)
    if contact is None:
        contact = memo.contacts[rec.contact] = _contact(rec.contact)
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
        contact,
        rec.email.rpartition("@")[2] if "@" in rec.email else "",
        rec.tax_ids,
    )


def _contact(text: str) -> str:
    """A contact person's name for comparison: words folded and sorted ("Rossi Maria" = "Maria Rossi")."""
    words = _NON_ALNUM.sub(" ", fold(text)).split() if text else []
    return " ".join(sorted(words)) if len(words) >= 2 else ""


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
    if p.numbers != q.numbers or _other_body(p, q):
        # "Polisportiva Crema 41" and "... 42" are two clubs; "Consorzio Arcobaleno" and the
        # "Arcobaleno" cooperative it groups, a foundation and its association, are two bodies
        cls = min(cls, _WEAK)
    return cls, score


def _other_body(p: _Profile, q: _Profile) -> bool:
    """Whether one name has a body word ("consorzio", "circolo") that the other lacks, even
    mistyped ("Grppo"): a consortium and its member, a foundation and its association."""
    a, b = p.parts.marks, q.parts.marks
    if a == b:
        return False
    for mine, other in ((a - b, q), (b - a, p)):
        words = other.key.full.split()
        for mark in mine:
            if not any(len(w) >= 4 and OSA.distance(mark, w, score_cutoff=1) <= 1 for w in words):
                return True
    return False


def _alike(p: _Profile, q: _Profile) -> bool:
    """Whether two names may be one body's (the same core, give or take a typo in every word)."""
    if _same_name(p, q) and p.numbers == q.numbers and not _other_body(p, q):
        return True
    return _name_class(p, q)[0] >= _PARTIAL or _name_class(p, q, relaxed=True)[0] >= _NEAR


def _near_code(a: str, b: str) -> bool:
    """Two codes of the same length one slip apart: one edit or two adjacent characters swapped,
    two characters swapped across one ("92315" / "91325"), or a doubled digit retyped ("22" / "55")."""
    if a == b or len(a) != len(b):
        return a == b or OSA.distance(a, b, score_cutoff=1) <= 1
    if OSA.distance(a, b, score_cutoff=1) <= 1:
        return True
    diff = [k for k in range(len(a)) if a[k] != b[k]]
    if len(diff) != 2:
        return False
    i, j = diff
    if j == i + 2:
        return a[i] == b[j] and a[j] == b[i]
    return j == i + 1 and a[i] == a[j] and b[i] == b[j]


def _near_ids(x: frozenset[str], y: frozenset[str]) -> bool:
    """Two different ids of one kind that are one slip apart: a typo that still passes the check digit."""
    return len(x) == 1 and len(y) == 1 and _near_code(next(iter(x)), next(iter(y)))


def _same_address(p: _Profile, q: _Profile) -> bool:
    if not p.address or not q.address or p.address_numbers != q.address_numbers:
        return False
    return p.address == q.address or fuzz.ratio(p.address, q.address) >= 85


# Public mail providers: an address there says who typed the form, not which body it is for (unless
# the same contact person is named too); a body's own domain says which body it is.
_PUBLIC_MAIL = frozenset((
    "gmail.com", "googlemail.com", "libero.it", "alice.it", "virgilio.it", "tiscali.it", "tin.it",
    "hotmail.it", "hotmail.com", "outlook.it", "outlook.com", "live.it", "live.com", "yahoo.it",
    "yahoo.com", "icloud.com", "me.com", "fastwebnet.it", "email.it", "inwind.it", "iol.it", "aruba.it",
    "teletu.it", "tim.it", "vodafone.it", "katamail.com", "msn.com", "protonmail.com", "proton.me",
))  # fmt: skip

_EMAIL, _PEC, _PHONE, _SEAT = range(4)


class _Shared:
    """Which contacts are shared by bodies with different names (an office's, an accountant's, a
    federation's PEC, one person's phone on two bodies), learned from the records themselves: a
    contact given by two names that cannot be one body's is weak evidence for every pair."""

    def __init__(self, profiles: Sequence[_Profile]) -> None:
        self.profiles = profiles
        self.memo: dict[tuple[int, str], bool] = {}
        self.index: dict[tuple[int, str], tuple[int, ...]] = {}
        seats = [_seat_key(p) for p in profiles]
        for kind, values in (
            (_EMAIL, [p.email for p in profiles]),
            (_PEC, [p.pec for p in profiles]),
            (_PHONE, [p.phone for p in profiles]),
            (_SEAT, seats),
        ):
            # only a contact given by two records or more can be shared: the others get no list to keep
            # (one flat list of strings per kind: no container per record for the garbage collector)
            counts = Counter(values)
            givers: dict[str, list[int]] = {}
            for i, value in enumerate(values):
                if value and counts[value] > 1:
                    givers.setdefault(value, []).append(i)
            for value, members in givers.items():
                self.index[kind, value] = tuple(members)  # tuples of ints: the garbage collector stops tracking them

    def shared(self, kind: int, value: str) -> bool:
        known = self.memo.get((kind, value))
        if known is None:
            known = self.memo[kind, value] = self._learn(self.index.get((kind, value), ()))
        return known

    def _learn(self, members: Sequence[int]) -> bool:
        if len(members) > _MAX_SHARED:
            return True
        names: dict[int, _Profile] = {}  # one profile per distinct name (and legal-form answer)
        for i in members:
            names.setdefault(id(self.profiles[i].parts), self.profiles[i])
        return any(not _kin(x, y) for x, y in combinations(names.values(), 2))


def _kin(p: _Profile, q: _Profile) -> bool:
    """Names that may be one body's for learning which contacts are shared: alike, or close by the
    similarity score (a mistyped short word: "Uidlm" / "ULDM"), with the same numbers and body words."""
    if _alike(p, q):
        return True
    return p.numbers == q.numbers and not _other_body(p, q) and _ratio(p, q) >= _WEAK_SCORE


def _seat_key(p: _Profile) -> str:
    return f"{p.comune}|{p.address}" if p.address else ""


@dataclass(slots=True)
class _Facts:
    """What two records have in common or in conflict, before their names are compared."""

    same_comune: bool
    other_comune: bool
    phone: bool
    address: bool
    email: bool
    pec: bool
    contact: bool
    raw_near: bool
    other_form: bool
    other_id: bool
    near_ids: bool  # the two ids of one kind are one slip apart (`_near_ids`)


def _facts(p: _Profile, q: _Profile) -> _Facts:
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
    other_cf, other_piva = _disjoint(p.cf, q.cf), _disjoint(p.piva, q.piva)
    return _Facts(
        same_comune,
        other_comune,
        bool(p.phone) and p.phone == q.phone,
        not other_comune and _same_address(p, q),
        bool(p.email) and p.email == q.email,
        bool(p.pec) and p.pec == q.pec,
        bool(p.contact) and p.contact == q.contact,
        bool(p.raw_id and q.raw_id) and _near_code(p.raw_id, q.raw_id),
        _disjoint(p.sections, q.sections) or _disjoint(p.bodies, q.bodies),
        other_cf or other_piva,
        (other_cf or other_piva)
        and not (other_cf and not _near_ids(p.cf, q.cf))
        and not (other_piva and not _near_ids(p.piva, q.piva)),
    )


def _specific(p: _Profile, q: _Profile, f: _Facts, shared: _Shared) -> tuple[int, bool]:
    """How many contacts in common are the body's own (not shared with other bodies), and whether
    any in common is shared. An email counts when its domain is the body's own, or with the same
    contact person."""
    own = weakened = 0
    for flag, kind, value in (
        (f.phone, _PHONE, p.phone),
        (f.address, _SEAT, _seat_key(p)),
        (f.pec, _PEC, p.pec),
    ):
        if flag:
            if shared.shared(kind, value):
                weakened = 1
            else:
                own += 1
    if f.email:
        if shared.shared(_EMAIL, p.email):
            weakened = 1
        elif p.domain not in _PUBLIC_MAIL or f.contact:
            own += 1
    return own, bool(weakened)


def _judge(p: _Profile, q: _Profile, shared: _Shared | None = None) -> _Verdict | None:
    """Merge, review or nothing for one candidate pair (no shared valid tax id)."""
    f = _facts(p, q)
    strong = f.phone or f.address
    weak = f.email + f.pec + f.raw_near
    contradicted = f.other_form or f.other_id or f.other_comune
    # a moved seat: another comune, with the same contact person and email or PEC
    moved = f.other_comune and not (f.other_form or f.other_id) and f.contact and (f.email or f.pec)
    # Nothing shared, or a contradiction with nothing strong to outweigh it: neither a merge nor
    # worth a reviewer's time, whatever the names say (namesakes in other towns are common).
    if not (strong or weak or f.same_comune) or (contradicted and not (strong or f.raw_near or moved)):
        return None
    # Only a partial name would count here, or a near one with nothing but the comune in common
    # (see below): a name that cannot be that close is dismissed without aligning it.
    if (contradicted or not (strong or f.raw_near)) and _name_ceiling(p, q) < (
        _PARTIAL if contradicted or weak else _NEAR
    ):
        return None
    if strong and not (contradicted or f.raw_near) and not _may_be_alike(p, q):
        return None  # with a phone or an address, the least likeness below would do
    cls, score = _name_class(p, q)
    typos = False
    if cls < _NEAR and strong and not contradicted:
        # Names a typo or two apart in every word (each submission may carry its own; "Nodo" and
        # "oNdo"): the same body when every contact agrees, worth a look when a phone or an
        # address does.
        typos = _name_class(p, q, relaxed=True)[0] >= _NEAR
        if typos and f.phone and f.address and (f.email or f.pec) and f.same_comune:
            cls = _NEAR
        elif typos:
            cls = max(cls, _WEAK)
    if cls == _NONE and not f.raw_near:
        return None
    own, weakened = _specific(p, q, f, shared or _Shared(()))
    merge = _merges(p, q, f, cls, own, weak)
    if not merge and not _reviews(f, cls, strong, weak, contradicted, moved):
        return None
    evidence = _evidence(p, q, f, cls, score, typos, weakened)
    return _Verdict(merge, not merge, (cls, strong + weak, score), score, evidence, merge and f.other_id)


def _merges(p: _Profile, q: _Profile, f: _Facts, cls: int, own: int, weak: int) -> bool:
    """Whether the evidence proves one body: the name, the contacts that are the body's own, and
    nothing against it that they do not outweigh."""
    if f.other_form or (f.other_id and not f.near_ids):
        return False
    if f.other_id:
        # two ids of one kind a slip apart (both pass the check digit): a weak conflict that the
        # same name with a phone or an address and one more contact of the body's own outweighs
        return cls >= _NEAR and not f.other_comune and (f.phone or f.address) and own >= 2
    if f.other_comune:
        # a moved seat, or the operating seat given for the legal one: the same person with the
        # body's own email or PEC, and one more contact of its own
        return cls >= _PARTIAL and f.contact and (f.email or f.pec) and own >= 2
    if cls >= _NEAR:
        phone_differs = bool(p.phone and q.phone) and not f.phone
        address_differs = bool(p.address and q.address) and not f.address
        if own >= 2 or (own and (f.phone or f.address or f.pec)):
            return True
        if own and not (phone_differs or address_differs):
            return True  # the body's own email domain, and no phone or address against it
        # No contact of the body's own in common, but none contradicting either (both often
        # missing): the very same name in the same comune with two more shared identifiers.
        return cls == _SAME and f.same_comune and weak >= 2 and not phone_differs and not address_differs
    # one name is the other plus a word ("Fondazione Tirelli" / "Fondazione Luigi Tirelli")
    return cls == _PARTIAL and f.same_comune and own >= 2


def _reviews(f: _Facts, cls: int, strong: bool, weak: int, contradicted: bool, moved: bool) -> bool:
    """Whether a pair that is not merged is worth a reviewer's time."""
    if contradicted:
        # Two ids, two forms or two seats make it two bodies, unless they share a phone, an address,
        # a tax code typed one slip apart, or (another seat) the contact person and email or PEC.
        return (strong or f.raw_near or moved) and cls >= _PARTIAL
    if cls >= _NEAR:
        return strong or weak > 0 or f.same_comune
    if cls == _PARTIAL:
        return strong or weak > 0
    return strong or f.raw_near


def _evidence(
    p: _Profile, q: _Profile, f: _Facts, cls: int, score: float, typos: bool, weakened: bool
) -> tuple[str, ...]:
    if cls == _SAME:
        name = EVIDENCE_SAME_NAME
    elif cls == _NEAR and score < _WEAK_SCORE and not typos:
        name = EVIDENCE_SHORT_NAME  # "CAV" for "Centro di Aiuto alla Vita": the ratio would mislead
    else:
        name = EVIDENCE_SIMILAR_NAME.format(score=int(score))
    evidence: list[str] = [name]
    for flag, phrase in (
        (f.raw_near, EVIDENCE_SIMILAR_TAX_ID),
        (f.phone, EVIDENCE_PHONE),
        (f.address, EVIDENCE_ADDRESS),
        (f.email, EVIDENCE_EMAIL),
        (f.pec, EVIDENCE_PEC),
        (f.contact, EVIDENCE_CONTACT),
        (f.same_comune, EVIDENCE_COMUNE),
        (weakened, EVIDENCE_SHARED_CONTACT),
        (f.other_comune, EVIDENCE_OTHER_COMUNE),
        (f.other_form, EVIDENCE_OTHER_FORM),
        (_other_body(p, q), EVIDENCE_OTHER_BODY),
        (f.other_id, EVIDENCE_OTHER_TAX_ID),
        (p.numbers != q.numbers, EVIDENCE_OTHER_NUMBER),
    ):
        if flag:
            evidence.append(phrase)
    return tuple(evidence)


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


def _candidates(profiles: Sequence[_Profile], df: Counter[str] | None = None) -> list[tuple[int, int]]:
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

    for block in _contact_blocks(profiles):
        add(block)
    # Name keys carry the comune: a pair with similar names but no contact in common is only
    # worth a look in the same town (with a contact in common, the contact keys find it).
    if df is None:
        df = _word_counts(profiles)
    word_keys: dict[tuple[str, ...], tuple[str, ...]] = {}  # the same words give the same keys
    towns: dict[str, list[int]] = {}
    for i, p in enumerate(profiles):
        towns.setdefault(p.comune, []).append(i)
    for members in towns.values():
        if len(members) < 2:
            continue
        for block in _town_blocks(profiles, members, df, word_keys):
            add(block)
        short = _short_names(profiles, members)
        for block in short.values():
            if 1 < len(block) <= _MAX_BLOCK:
                add(block)
        pairs.update(_one_typo_apart(short, n))
    return sorted(divmod(c, n) for c in screen.keep(pairs))


def _contact_blocks(profiles: Sequence[_Profile]) -> Iterator[Sequence[int]]:
    """Records sharing an email, a PEC, a phone or a raw tax code, across comuni."""
    for field_ in ("email", "pec", "phone", "raw_id"):
        values: list[str] = []
        owners: list[int] = []
        for i, p in enumerate(profiles):
            value = getattr(p, field_)
            if value:
                values.append(value)
                owners.append(i)
        yield from _blocks(values, owners, _MAX_SHARED)


def _town_blocks(
    profiles: Sequence[_Profile],
    members: list[int],
    df: Counter[str],
    word_keys: dict[tuple[str, ...], tuple[str, ...]],
) -> Iterator[Sequence[int]]:
    """Within one comune: the same sorted name words (with and without head nouns), a pair of rare
    name words, the same street address."""
    for values in ([profiles[i].sorted_sec for i in members], [profiles[i].sorted_pri for i in members]):
        yield from _blocks(values, members, _MAX_BLOCK)
    words: list[str] = []
    owners: list[int] = []
    addresses: list[str] = []
    seats: list[int] = []
    for i in members:
        p = profiles[i]
        own = word_keys.get(p.sec_tokens)
        if own is None:
            rare = sorted(set(p.sec_tokens), key=lambda t: (df[t], t))[:_RARE_TOKENS]
            # a tuple of strings: the garbage collector stops tracking it (one per distinct name)
            own = word_keys[p.sec_tokens] = tuple(_word_pairs(rare)) if rare else ()
        words += own
        owners += [i] * len(own)
        if p.address:
            addresses.append(p.address)
            seats.append(i)
    yield from _blocks(words, owners, _MAX_BLOCK)
    yield from _blocks(addresses, seats, _MAX_SHARED)


def _short_names(profiles: Sequence[_Profile], members: list[int]) -> dict[str, list[int]]:
    """The records of one comune with a short name (one or two words), by compact name."""
    short: dict[str, list[int]] = {}
    for i in members:
        p = profiles[i]
        if len(p.compacts[0]) >= _MIN_COMPACT and len(set(p.sec_tokens)) <= 2:
            short.setdefault(p.compacts[0], []).append(i)
    return short


def _one_typo_apart(short: dict[str, list[int]], n: int) -> Iterator[int]:
    """Pairs (as `i * n + j`) of short names one typo apart, spaces included (a longer name keeps a
    pair of its words intact): found through the one-character deletions of each compact name."""
    if len(short) < 2:
        return
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
                yield from (min(i, j) * n + max(i, j) for i in left for j in right)


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
        self.tax_ids = [p.tax_ids[0] if len(p.tax_ids) == 1 else None for p in profiles]
        # two long codes a slip apart across the middle ("92315..." / "91325...") keep both ends
        self.ends = [p.raw_id[:4] + p.raw_id[-4:] if len(p.raw_id) >= 11 else "" for p in profiles]

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
        ends = self.ends
        return (
            i * n + j
            for i, j in combinations(members, 2)
            if (
                not (ids[i] & ids[j] or conflicts[forms[i]][forms[j]])
                or (phones[i] and phones[i] == phones[j])
                or (streets[i] and streets[i] == streets[j])
                or (heads[i] and (heads[i] == heads[j] or tails[i] == tails[j]))  # the same length class
                or (ends[i] and ends[i] == ends[j])
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
            or (bool(p.raw_id and q.raw_id) and _near_code(p.raw_id, q.raw_id))
        )

    def keep(self, pairs: Iterable[int]) -> list[int]:
        profiles, ids, forms = self.profiles, self.ids, self.forms
        phones, streets, heads, tails = self.phones, self.streets, self.heads, self.tails
        n = len(profiles)
        kept: list[int] = []
        long_codes, ends = self.long_codes, self.ends
        for code in pairs:
            i, j = divmod(code, n)
            sign = (
                (phones[i] and phones[i] == phones[j])
                or (streets[i] and streets[i] == streets[j])
                or (heads[i] and (heads[i] == heads[j] or tails[i] == tails[j]))
                or (ends[i] and ends[i] == ends[j])
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
            if not (q.tax_ids and any(t in q.tax_ids for t in p.tax_ids)):
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
    kept_link: Iterable[tuple[int, int]] = (),
) -> MatchResult:
    """Cluster response records into organisations, with the evidence and a review queue.

    `kept_link`: pairs an earlier sync had in one organisation, kept together like `must_link` (staff's
    separations still win), with their own evidence."""
    profiles, keys, by_id = _profiles(records)
    index = dict(zip(keys, range(len(keys)), strict=True))
    if len(index) != len(profiles):
        raise ValueError("record keys must be unique")
    shared = _Shared(profiles)
    df = _word_counts(profiles)
    groups = _code_groups(profiles, by_id, df)
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

    forbidden_pairs = known(cannot_link)
    for i, j in forbidden_pairs:
        uf.forbid(i, j)
    links: list[Link] = []
    review: list[tuple[tuple[int, int, float], int, int, Link]] = []  # (rank, i, j, link)
    conflicts: list[tuple[int, int, Link]] = []
    for (i, j), why in [
        *((p, EVIDENCE_MUST_LINK) for p in known(must_link)),
        *((p, EVIDENCE_KEPT) for p in known(kept_link)),
    ]:
        ri, rj = uf.find(i), uf.find(j)
        if ri == rj:
            continue
        if uf.forbidden(ri, rj):
            if why == EVIDENCE_MUST_LINK:
                conflicts.append((i, j, _link(profiles, i, j, 0.0, (EVIDENCE_CONFLICT,))))
            continue
        uf.union(ri, rj)
        links.append(_link(profiles, i, j, _name_score(profiles[i], profiles[j]), (why,)))
    _same_code(profiles, groups, uf, links, review)
    _judged(profiles, shared, df, uf, links, review)

    parent = uf.parent
    roots = [i if parent[i] == i else uf.find(i) for i in range(len(profiles))]
    members: dict[int, list[int]] = defaultdict(list)
    for i, root in enumerate(roots):
        members[root].append(i)
    clusters = sorted(sorted(keys[i] for i in g) for g in members.values())
    queue = _queue(review, roots, forbidden_pairs)
    queue.extend(link for _, _, link in conflicts)
    queue.sort(key=lambda lk: (lk.a, lk.b, lk.evidence))
    links.sort(key=lambda lk: (lk.a, lk.b))
    borrowed = _borrowed(profiles, groups, roots, members)
    return MatchResult(clusters=clusters, links=links, review=queue, borrowed=borrowed)


def _word_counts(profiles: Sequence[_Profile]) -> Counter[str]:
    """In how many records each name word appears."""
    return Counter(t for p in profiles for t in set(p.sec_tokens))


def _profiles(records: Sequence[MatchRecord]) -> tuple[list[_Profile], list[int], dict[str, list[int]]]:
    """The profiles in content order (ties on keys, then as given), their keys, and the valid ids
    given more than once with every profile giving them."""
    in_order = sorted((_signature(r), r.key, k) for k, r in enumerate(records))
    memo = _Memo()
    profiles: list[_Profile] = []
    first: dict[str, int] = {}
    by_id: dict[str, list[int]] = {}
    for i, (_, _, k) in enumerate(in_order):
        rec = records[k]
        profiles.append(_profile(rec, memo))
        for tax_id in rec.tax_ids:
            if tax_id in first:
                by_id.setdefault(tax_id, [first[tax_id]]).append(i)
            else:
                first[tax_id] = i
    return profiles, [key for _, key, _ in in_order], by_id


# the valid id, and its givers split into groups that may be one body each (one group: no doubt)
_CodeGroup = tuple[str, list[list[int]]]


def _code_groups(profiles: list[_Profile], by_id: dict[str, list[int]], df: Counter[str]) -> list[_CodeGroup]:
    """Rule 2, weighed: the givers of each shared valid id, split where two of them cannot be one
    body (other legal forms, or names whose cores disagree). A split id is contested: it stops
    identifying its givers (neither a key nor a conflict), and stays as evidence."""
    groups: list[_CodeGroup] = []
    for tax_id in sorted(by_id):
        givers = by_id[tax_id]
        # the name words only this id's givers use
        words = Counter(t for i in givers for t in set(profiles[i].sec_tokens))
        own = frozenset(t for t, n in words.items() if df[t] == n)
        parts: list[list[int]] = []
        for i in givers:
            joined = [part for part in parts if any(_one_body(profiles[i], profiles[j], own) for j in part)]
            merged = [i]
            for part in joined:
                merged = sorted(merged + part)
                parts.remove(part)
            parts.append(merged)
        parts.sort()
        groups.append((tax_id, parts))
        if len(parts) > 1:
            for i in givers:
                p = profiles[i]
                p.tax_ids = tuple(t for t in p.tax_ids if t != tax_id)
                p.cf, p.piva = p.cf - {tax_id} or _EMPTY, p.piva - {tax_id} or _EMPTY
                p.contested = tax_id
    return groups


def _one_body(p: _Profile, q: _Profile, own: frozenset[str]) -> bool:
    """Whether two records giving the same valid id may be one body: nothing against it in their
    legal forms, and names with the same core; or, in the same comune with a contact in common,
    names that share a word only this id's givers use, or where one spells the other's initials
    ("C.R.I." for "Croce Rossa Italiana", "AIPD" for "Associazione Italiana Persone Down"), or
    that share a word with the same PEC and two more contacts ("Asilo Infantile Cesare Battisti"
    renamed "Scuola dell'Infanzia C. Battisti")."""
    if _disjoint(p.sections, q.sections) or _disjoint(p.bodies, q.bodies):
        return False
    if _alike(p, q):
        return True
    if p.numbers != q.numbers or _other_body(p, q):
        return False
    f = _facts(p, q)
    if not f.same_comune or not (f.phone or f.address or f.email or f.pec or f.contact):
        return False
    if own.intersection(p.sec_tokens, q.sec_tokens):
        return True
    a, b = _shape(p), _shape(q)
    if _acronym(a, b) or _acronym(b, a):
        return True
    # any word in common, with the body's certified mail and two more contacts: one body renamed
    in_common = f.phone + f.address + f.email + f.pec + f.contact
    return f.pec and in_common >= 3 and not set(p.sec_tokens).isdisjoint(q.sec_tokens)


def _same_code(
    profiles: list[_Profile],
    groups: list[_CodeGroup],
    uf: _Clusters,
    links: list[Link],
    review: list[tuple[tuple[int, int, float], int, int, Link]],
) -> None:
    """Merge the givers of one valid id that may be one body; put the others in review, saying why."""
    for _, parts in groups:
        for members in parts:
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
        for x, y in combinations(parts, 2):
            i, j = x[0], y[0]
            p, q = profiles[i], profiles[j]
            cls, score = _name_class(p, q)
            other_form = _disjoint(p.sections, q.sections) or _disjoint(p.bodies, q.bodies)
            phrase = EVIDENCE_BORROWED_TAX_ID_FORM if other_form else EVIDENCE_BORROWED_TAX_ID
            name = EVIDENCE_SAME_NAME if cls == _SAME else EVIDENCE_SIMILAR_NAME.format(score=int(score))
            # ranked above any judged pair: the same valid id is the strongest evidence there is
            link = _link(profiles, i, j, score, (phrase, name))
            review.append(((_SAME + 1, 0, score), i, j, link))


def _judged(
    profiles: list[_Profile],
    shared: _Shared,
    df: Counter[str],
    uf: _Clusters,
    links: list[Link],
    review: list[tuple[tuple[int, int, float], int, int, Link]],
) -> None:
    """Rules 3 and 4: judge the candidate pairs, then merge the surest first."""
    merges: list[tuple[tuple[int, int, float], int, int, _Verdict]] = []
    for i, j in _candidates(profiles, df):
        p, q = profiles[i], profiles[j]
        if q.tax_ids and any(t in q.tax_ids for t in p.tax_ids):
            continue  # already decided by rule 2
        if p.contested and p.contested == q.contested:
            continue  # decided with the id's other givers (`_same_code`)
        verdict = _judge(p, q, shared)
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
        reason = uf.conflict(ri, rj, verdict.near_ids)
        if reason:
            evidence = verdict.evidence if reason in verdict.evidence else (*verdict.evidence, reason)
            review.append((rank, i, j, _link(profiles, i, j, verdict.score, evidence)))
            continue
        uf.union(ri, rj)
        links.append(_link(profiles, i, j, verdict.score, verdict.evidence))


def _queue(
    review: list[tuple[tuple[int, int, float], int, int, Link]],
    roots: list[int],
    forbidden_pairs: list[tuple[int, int]],
) -> list[Link]:
    """One review line per pair of clusters, the surest; none where staff already said "Separa"."""
    separated = {(min(roots[i], roots[j]), max(roots[i], roots[j])) for i, j in forbidden_pairs}
    best: dict[tuple[int, int], tuple[tuple[float, ...], Link]] = {}
    for rank, i, j, link in review:
        pair = (min(roots[i], roots[j]), max(roots[i], roots[j]))
        if pair[0] == pair[1] or pair in separated:
            continue
        order = (-rank[0], -rank[1], -rank[2], i, j)
        if pair not in best or order < best[pair][0]:
            best[pair] = (order, link)
    return [link for _, link in best.values()]


def _kind(tax_id: str) -> str:
    """A codice fiscale of a non-commercial body, a partita IVA, or a person's code."""
    return "persona" if len(tax_id) == 16 else "cf" if tax_id[:1] in "89" else "piva"


def _borrowed(
    profiles: list[_Profile], groups: list[_CodeGroup], roots: list[int], members: dict[int, list[int]]
) -> list[Borrowed]:
    """The givers of each contested id whose body turned out to have an id of that kind of its own
    (the id looks copied from the other body); when none has, every giver (staff will tell)."""
    out: list[Borrowed] = []
    for tax_id, parts in groups:
        if len(parts) < 2:
            continue
        kind = _kind(tax_id)
        owned = [
            any(_kind(t) == kind for k in members[roots[part[0]]] for t in profiles[k].tax_ids)
            for part in parts
        ]
        for n, part in enumerate(parts):
            if any(owned) and not owned[n]:
                continue
            other = parts[1 if n == 0 else 0][0]
            out.extend(Borrowed(profiles[i].rec.key, tax_id, profiles[other].rec.key) for i in part)
    out.sort(key=lambda b: (b.key, b.tax_id))
    return out
