"""Synthetic Google Form responses for an Ambito, with their ground truth.

Used by `elenco demo`, the tests and the benchmarks. The rows have the shape of a Google Forms CSV export
from an Italian-locale sheet and the noise of real submissions: organisations applying two or three times
with their name spelled differently, a VAT number typed instead of the tax code, changed areas or contact
person, organisations that look alike but are not the same, blocking problems, warnings, late submissions
and free text that looks like a formula. Every row comes with the outcome the product's rules give it
(`truth`).

The Italian words it draws from (names, streets, sentences of the answers) are data:
`sheets_templates/demo/vocabulary.yaml`, read through the settings edge (`sync.config.packaged_yaml`) by
`load_vocabulary()`, which the edges (the CLI's `demo`, the benchmarks, the tests) call once and whose
`Vocabulary` they pass on. Everything else is pure and deterministic given the seed: no I/O, no clock;
dates derive from the Ambito's `opens`/`deadline`.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict

from sync.config import FIELDS, Ambito, packaged_yaml
from sync.text import fold_alnum

_CODE_KEYS = ("row", "entity", "expected", "reasons", "warnings")


@dataclass(frozen=True)
class DemoSet:
    """A generated form export: header, rows (sorted by submission time) and one truth record per row."""

    header: list[str]
    rows: list[list[str]]
    truth: list[dict[str, str]]


# The vocabulary (data in sheets_templates/demo/vocabulary.yaml) ----------------------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LegalForm(_Data):
    """A legal form as applicants write it."""

    label: str  # the answer to "Forma giuridica"
    suffixes: tuple[str, ...]  # spellings of the form after the name; the first is the usual one
    prefixes: tuple[str, ...]  # spellings written before the name instead (word-order swap)
    runts: float  # share of such bodies with a RUNTS number
    vat: float  # share with a partita IVA beside an 8/9 codice fiscale
    company: bool  # its only tax code is a partita IVA (starts with 0/1)


class NameTemplates(_Data):
    """Generic heads of identities, and the templates their names are built with."""

    association: str
    foundation: str
    chain: tuple[str, str, str]  # {head} {place}
    of_place: str  # {core} {place}
    foundation_places: tuple[str, str]  # {place}
    friends: str  # {name}
    parish: tuple[str, str]  # {saint} {place}
    oratory: str  # {saint} {place}
    network: tuple[str, str]  # {named} / {place}


Place = tuple[str, str, str]  # (comune, province, ISTAT province code)
Extra = tuple[str, str, str, int, str]  # (name, legal form, comune, area number, e-mail user or protocol)


class Vocabulary(_Data):
    """Every Italian word and sentence the generator draws from (see the YAML file's comments)."""

    consent: str
    first_names: tuple[str, ...]
    surnames: tuple[str, ...]
    mail_providers: tuple[str, ...]
    pec_domains: tuple[str, ...]
    legal_forms: dict[str, LegalForm]
    chains: tuple[tuple[str, dict[str, float]], ...]
    place_heads: tuple[tuple[str, dict[str, float]], ...]
    sports: tuple[str, ...]
    causes: tuple[str, ...]
    named: tuple[str, ...]
    compound_heads: tuple[str, ...]
    compound_tails: tuple[str, ...]
    saints: tuple[str, ...]
    territory: dict[str, str]
    articles: tuple[str, ...]
    key_stopwords: frozenset[str]
    nearby: dict[str, tuple[Place, ...]]
    national: tuple[Place, ...]
    phone_prefixes: dict[str, tuple[str, ...]]
    default_phone_prefixes: tuple[str, ...]
    streets: tuple[str, ...]
    experience: tuple[str, ...]
    formula_text: tuple[str, ...]
    formula_address: tuple[str, ...]
    test_name_fallback: str
    names: NameTemplates
    no_tax_code: tuple[str, ...]
    not_a_tax_code: tuple[str, ...]
    runts_prefixes: tuple[str, ...]
    org_email: tuple[str, str]
    bad_emails: tuple[str, ...]
    extra_form: dict[str, tuple[Extra, ...]]
    extra_manual: dict[str, tuple[Extra, ...]]
    manual_channel: str


def parse_vocabulary(data: Mapping[str, Any]) -> Vocabulary:
    """The vocabulary from the YAML file's data (a pydantic ValidationError names a wrong entry)."""
    return Vocabulary.model_validate(data)


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """`sheets_templates/demo/vocabulary.yaml`, read once per process by the settings edge (`sync.config`):
    the edges call this and hand the vocabulary to `generate` / `demo_extras`, which read nothing."""
    return parse_vocabulary(packaged_yaml("demo", "vocabulary.yaml"))


_TYPO_NEIGHBOURS = "qwertyuiopasdfghjklzxcvbnm"
_CF_MONTHS = "ABCDEHLMPRST"
_CF_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)
_BELFIORE = ("D142", "D150", "F205", "A794", "B157", "E648", "C523")

# Problems injected into `problem_share` of the rows, with weights (roughly the development sets' mix).
_PROBLEMS: tuple[tuple[str, float], ...] = (
    ("consent", 0.18),
    ("name", 0.13),
    ("areas", 0.16),
    ("email", 0.16),
    ("test", 0.15),
    ("cf_invalid", 0.14),
    ("cf_missing", 0.08),
)


# Organisations and rows -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Org:
    index: int
    entity: str
    form_key: str
    form: LegalForm
    head: str  # generic head noun written before the identity ("Associazione", "Fondazione"), or ""
    cores: tuple[str, ...]  # spellings of the identity; the first is the usual one
    suffix: str  # the legal-form spelling this organisation usually writes
    bare: bool  # usually written without its article ("Girasole" for "Il Girasole"): some answers add it
    comune: str
    comune_spellings: tuple[str, ...]
    province: str
    in_ambito: bool
    office: str  # the province digits of its tax codes
    tax_codes: tuple[str, ...]  # codice fiscale first, then partita IVA; () = none at all
    personal_code: bool  # an informal group typing its leader's personal codice fiscale
    runts: str
    address: str
    person: str
    email: str
    personal_email: bool
    phone: str
    pec: str
    areas: tuple[int, ...]
    experience: str


@dataclass(slots=True)
class _Row:
    org: _Org
    seq: int
    late: bool = False
    at: int = 0  # seconds after the Ambito opened
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Context:
    ambito: Ambito
    rng: random.Random
    voc: Vocabulary
    comuni: list[tuple[str, tuple[str, ...], str]]  # (name, spellings, ISTAT province code)
    lead: int  # index of the lead comune in `comuni`
    territory: str
    outside: list[Place]
    prefixes: tuple[str, ...]
    used_names: dict[str, int] = field(default_factory=dict)
    used_codes: set[str] = field(default_factory=set)
    areas: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    late_phases: str = ""
    test_words: tuple[str, ...] = ()
    test_emails: tuple[str, ...] = ()


# the product's folding (sync.text), cached: the generator folds the same few thousand names again and again
_fold = lru_cache(maxsize=65_536)(fold_alnum)


def _slug(text: str) -> str:
    return _fold(text).replace(" ", "")


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _luhn_digit(body: str) -> str:
    """The check digit of an 11-digit codice fiscale / partita IVA of a body (Luhn over the first 10)."""
    total = 0
    for i, ch in enumerate(body):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _cf_check_letter(body: str) -> str:
    """The check letter of a personal codice fiscale (over its first 15 characters)."""
    total = 0
    for i, ch in enumerate(body):
        value = int(ch) if ch.isdigit() else ord(ch) - ord("A")
        total += _CF_ODD[value] if i % 2 == 0 else value
    return chr(ord("A") + total % 26)


def _new_code(ctx: _Context, first_digits: str, office: str) -> str:
    """A fresh valid 11-digit code: serial starting with one of `first_digits`, office code, check digit."""
    while True:
        serial = ctx.rng.choice(first_digits) + f"{ctx.rng.randrange(1_000_000):06d}"
        if int(serial) == 0:
            continue
        body = serial + office
        code = body + _luhn_digit(body)
        if code not in ctx.used_codes:
            ctx.used_codes.add(code)
            return code


def _consonants(word: str) -> str:
    return "".join(ch for ch in word if ch not in "AEIOU")


def _personal_code(ctx: _Context, person: str) -> str:
    """A well-formed personal codice fiscale for a synthetic person (surname, name, birth date, place)."""
    first, _, last = person.partition(" ")
    surname = re.sub(r"[^A-Z]", "", _fold(last).upper())
    name = re.sub(r"[^A-Z]", "", _fold(first).upper())
    vowels_s = "".join(ch for ch in surname if ch in "AEIOU")
    vowels_n = "".join(ch for ch in name if ch in "AEIOU")
    part1 = (_consonants(surname) + vowels_s + "XXX")[:3]
    cons_n = _consonants(name)
    part2 = (cons_n[0] + cons_n[2] + cons_n[3]) if len(cons_n) >= 4 else (cons_n + vowels_n + "XXX")[:3]
    rng = ctx.rng
    female = first.endswith("a") and first not in {"Andrea", "Luca"}
    day = rng.randint(1, 28) + (40 if female else 0)  # women's birth day is written plus 40
    while True:
        body = (
            f"{part1}{part2}{rng.randint(40, 99):02d}{rng.choice(_CF_MONTHS)}{day:02d}{rng.choice(_BELFIORE)}"
        )
        code = body + _cf_check_letter(body)
        if code not in ctx.used_codes:
            ctx.used_codes.add(code)
            return code


def _person(rng: random.Random, v: Vocabulary) -> str:
    return f"{rng.choice(v.first_names)} {rng.choice(v.surnames)}"


def _personal_email(rng: random.Random, v: Vocabulary, person: str) -> str:
    first, _, last = person.partition(" ")
    f, sur = _slug(first), _slug(last)
    style = rng.random()
    if style < 0.7:
        local = f"{f}.{sur}"
    elif style < 0.85:
        local = f"{f[0]}{sur}"
    else:
        local = f"{f}{sur}{rng.randint(60, 99)}"
    return f"{local}@{rng.choice(v.mail_providers)}"


def _phone(ctx: _Context, province: str) -> str:
    rng = ctx.rng
    if rng.random() < 0.25:
        return f"3{rng.randint(20, 49)} {rng.randint(1_000_000, 9_999_999)}"
    prefix = rng.choice(ctx.voc.phone_prefixes.get(province, ctx.prefixes))
    digits = 8 if prefix == "02" else 6
    return f"{prefix} {rng.randrange(10 ** (digits - 1), 10**digits)}"


def _context(ambito: Ambito, rng: random.Random, v: Vocabulary) -> _Context:
    comuni = [(c.nome, (c.nome, *c.varianti), c.istat[:3]) for c in ambito.comuni]
    names = [c[0] for c in comuni]
    lead = 0
    m = re.search(r"Comune di ([^(,;:]+?)\s*(?:\(|,|;|:|$)", ambito.lead_body)
    if m and m.group(1).strip() in names:
        lead = names.index(m.group(1).strip())
    else:
        lead = next((i for i, n in enumerate(names) if _fold(n) in _fold(ambito.name)), 0)
    lead_name = names[lead]
    own = {_fold(s) for c in comuni for s in c[1]}
    outside: list[Place] = []
    for c in (*v.nearby.get(ambito.province, ()), *v.national):
        if _fold(c[0]) not in own and c not in outside:
            outside.append(c)
    late = [p.label for p in ambito.phases if p.after_deadline]
    return _Context(
        ambito=ambito,
        rng=rng,
        voc=v,
        comuni=comuni,
        lead=lead,
        territory=v.territory.get(lead_name, lead_name),
        outside=outside,
        prefixes=v.phone_prefixes.get(ambito.province, v.default_phone_prefixes),
        areas=[a.label for a in ambito.areas],
        phases=[p.label for p in ambito.phases],
        late_phases=", ".join(late),
        test_words=tuple(w for w in ambito.test_words if _fold(w)),
        test_emails=ambito.test_emails,
    )


def _office(istat_province: str) -> str:
    # the office digits of a tax code must be 001-100 (or 120, 121, 888, 999)
    return istat_province if "001" <= istat_province <= "100" else "015"


def _pick_comune(ctx: _Context, outside: bool) -> tuple[str, tuple[str, ...], str, str, bool]:
    """(name, spellings, province, ISTAT province code, in the Ambito) of an organisation's seat."""
    rng = ctx.rng
    if outside and ctx.outside:
        name, prov, code = rng.choice(ctx.outside)
        return name, (name,), prov, code, False
    c = ctx.comuni[ctx.lead] if rng.random() < 0.35 else rng.choice(ctx.comuni)
    return c[0], c[1], ctx.ambito.province, c[2], True


def _identity(ctx: _Context, place: str) -> tuple[str, tuple[str, ...], str, str]:
    """(head, cores, legal form key, kind) of a new organisation seated in `place`."""
    rng, v = ctx.rng, ctx.voc
    t = v.names
    r = rng.random()
    if r < 0.22:
        acr, forms = rng.choice(v.chains)
        cores = tuple(template.format(head=acr, place=place) for template in t.chain)
        if rng.random() < 0.25:
            cores = (cores[1], cores[0], cores[2])
        return "", cores, _weighted(rng, forms), "chain"
    if r < 0.35:
        head, forms = rng.choice(v.place_heads)
        return "", (f"{head} {place}",), _weighted(rng, forms), "place"
    if r < 0.46:
        sport = rng.choice(v.sports)
        core = f"{sport} {place}"
        if rng.random() < 0.35:
            core = f"{core} {rng.randint(1, 99)}"
        return "", (core,), "asd", "sport"
    if r < 0.52:
        where = ctx.territory if rng.random() < 0.6 else place
        return (
            t.association,
            (f"{rng.choice(v.causes)} {where}",),
            _weighted(rng, {"odv": 0.4, "aps": 0.3, "ets": 0.15, "nonric": 0.15}),
            "cause",
        )
    if r < 0.66:
        core = _named(rng, v)
        form = _weighted(rng, {"aps": 0.45, "odv": 0.35, "ets": 0.1, "nonric": 0.1})
        return t.association, (core,), form, "named"
    if r < 0.80:
        return "", (_named(rng, v),), "coop", "named"
    if r < 0.85:
        core = rng.choice(
            (
                _named(rng, v),
                rng.choice(v.surnames),
                f"{rng.choice(v.first_names)} {rng.choice(v.surnames)}",
                *(template.format(place=place) for template in t.foundation_places),
            )
        )
        return t.foundation, (core,), "fondazione", "named"
    if r < 0.92:
        return _saint_identity(rng, v, place)
    if r < 0.96:
        person = f"{rng.choice(v.first_names)} {rng.choice(v.surnames)}"
        return (
            t.association,
            (person, t.friends.format(name=person)),
            _weighted(rng, {"odv": 0.6, "aps": 0.4}),
            "memorial",
        )
    if r < 0.985:
        return "", (_named(rng, v),), "impresa", "named"
    network, forum = t.network
    core = rng.choice((network.format(named=rng.choice(v.named)), forum.format(place=place)))
    return "", (core,), "rete", "named"


def _saint_identity(rng: random.Random, v: Vocabulary, place: str) -> tuple[str, tuple[str, ...], str, str]:
    """Friends of a saint, a parish or an oratory."""
    t = v.names
    saint = rng.choice(v.saints)
    pick = rng.random()
    if pick < 0.5:
        form = _weighted(rng, {"nonric": 0.5, "odv": 0.3, "aps": 0.2})
        return "", (t.friends.format(name=saint),), form, "saint"
    if pick < 0.75:
        return "", tuple(p.format(saint=saint, place=place) for p in t.parish), "ets", "saint"
    oratory = t.oratory.format(saint=saint, place=place)
    return "", (oratory,), _weighted(rng, {"aps": 0.6, "nonric": 0.4}), "saint"


def _named(rng: random.Random, v: Vocabulary) -> str:
    if rng.random() < 0.6:
        return rng.choice(v.named)
    return f"{rng.choice(v.compound_heads)} {rng.choice(v.compound_tails)}"


def _identity_key(ctx: _Context, head: str, core: str) -> str:
    return " ".join(w for w in _fold(f"{head} {core}").split() if w not in ctx.voc.key_stopwords)


def _unique(ctx: _Context, head: str, cores: tuple[str, ...], place: str) -> tuple[str, ...]:
    """Make the usual core unique among the organisations generated so far (a place, then a number)."""
    key = _identity_key(ctx, head, cores[0])
    if key not in ctx.used_names:
        ctx.used_names[key] = 1
        return cores
    if _fold(place) not in _fold(cores[0]):
        if ctx.territory in cores[0]:  # "Associazione Parkinson Cremasco" -> "Associazione Parkinson Soncino"
            placed = tuple(c.replace(ctx.territory, place) for c in cores)
        else:
            placed = tuple(ctx.voc.names.of_place.format(core=c, place=place) for c in cores)
        key2 = _identity_key(ctx, head, placed[0])
        if key2 not in ctx.used_names:
            ctx.used_names[key2] = 1
            return placed
        key, cores = key2, placed
    # a number, as sports clubs and sections do ("Polisportiva Crema 41"); an existing one is increased
    base, n = cores[0], ctx.used_names[key] + 1
    m = re.fullmatch(r"(.*) (\d+)", base)
    if m:
        base, n = m.group(1), int(m.group(2)) + 1
    while _identity_key(ctx, head, f"{base} {n}") in ctx.used_names:
        n += 1
    ctx.used_names[key] = n
    numbered = f"{base} {n}"
    ctx.used_names[_identity_key(ctx, head, numbered)] = 1
    return (numbered,)


def _areas(rng: random.Random, count: int) -> tuple[int, ...]:
    k = min(count, rng.choices((1, 2, 3, count), weights=(35, 30, 20, 15))[0])
    return tuple(sorted(rng.sample(range(count), k)))


_Seat = tuple[
    str, tuple[str, ...], str, str, bool
]  # (comune, spellings, province, ISTAT province, in Ambito)


def _new_identity(ctx: _Context, sibling: _Org | None) -> tuple[_Seat, str, tuple[str, ...], str, str]:
    """(seat, head, cores, legal form key, kind) of the next organisation: new, or a look-alike of `sibling`."""
    rng = ctx.rng
    if sibling is None:
        outside = rng.random() < 0.05  # a few applicants have their seat outside the Ambito
        for _ in range(6):  # a fresh identity when the first ideas are taken
            seat = _pick_comune(ctx, outside)
            head, cores, form_key, kind = _identity(ctx, seat[0])
            if _identity_key(ctx, head, cores[0]) not in ctx.used_names:
                break
        return seat, head, cores, form_key, kind
    # a look-alike: the same network in another comune, or the next club number in the same comune
    head, cores, form_key = sibling.head, sibling.cores, sibling.form_key
    number = re.search(r" (\d+)$", cores[0])
    if number:
        seat = (sibling.comune, sibling.comune_spellings, sibling.province, sibling.office, sibling.in_ambito)
        cores = (f"{cores[0][: number.start()]} {int(number.group(1)) + 1}",)
    else:
        outside = rng.random() < 0.05
        for _ in range(6):
            seat = _pick_comune(ctx, outside)
            if seat[0] != sibling.comune:
                break
        cores = tuple(c.replace(sibling.comune, seat[0]) for c in cores)
    return seat, head, cores, form_key, "sibling"


def _tax_codes(
    ctx: _Context, form_key: str, form: LegalForm, kind: str, person: str, office: str
) -> tuple[tuple[str, ...], bool]:
    """An organisation's tax codes (codice fiscale, then partita IVA), and whether it is a person's."""
    rng = ctx.rng
    required = ctx.ambito.tax_code_required
    informal = form_key == "nonric" and kind in {"place", "chain", "saint", "sibling"}
    if form.company:
        return (_new_code(ctx, "01", office),), False
    if informal and not required and rng.random() < 0.35:
        personal = rng.random() < 0.25
        return ((_personal_code(ctx, person),) if personal else ()), personal
    if form_key == "asd" and not required and rng.random() < 0.1:
        return (), False
    if informal and rng.random() < 0.03:
        return (_personal_code(ctx, person),), True
    cf = _new_code(ctx, "89", office)
    return ((cf, _new_code(ctx, "01", office)) if rng.random() < form.vat else (cf,)), False


def _make_org(ctx: _Context, index: int, orgs: list[_Org], sibling: _Org | None) -> _Org:
    rng, v = ctx.rng, ctx.voc
    (comune, spellings, province, istat_prov, in_ambito), head, cores, form_key, kind = _new_identity(
        ctx, sibling
    )
    cores = _unique(ctx, head, cores, comune)
    form = v.legal_forms[form_key]
    suffix = form.suffixes[0] if rng.random() < 0.7 else rng.choice(form.suffixes)
    office = _office(istat_prov)
    # where the avviso asks for RUNTS enrolment, most applicants are enrolled whatever their form
    runts_share = 1 - (1 - form.runts) * 0.3 if ctx.ambito.runts_required else form.runts
    person = _person(rng, v)
    tax_codes, personal = _tax_codes(ctx, form_key, form, kind, person, office)
    shared = [o for o in orgs[-50:] if o.personal_email]
    if shared and rng.random() < 0.02:
        # one person answers for two organisations: same email and phone, different bodies
        other = rng.choice(shared)
        person, email, personal_email, phone = other.person, other.email, True, other.phone
    else:
        personal_email = rng.random() < 0.5
        email = _personal_email(rng, v, person) if personal_email else _org_email(rng, v, head, cores[0])
        phone = _phone(ctx, province)
    slug = _slug(cores[0])
    pec = f"{slug[:24]}@{rng.choice(v.pec_domains)}" if rng.random() < (0.9 if form.company else 0.45) else ""
    experience = "" if rng.random() < 0.15 else rng.choice(v.experience)
    if rng.random() < 0.03:
        experience = rng.choice(v.formula_text).format(lead=ctx.comuni[ctx.lead][0])
    street, number_ = rng.choice(v.streets), rng.randint(1, 120)
    address = f"{street} {number_}"
    if rng.random() < 0.01:
        address = rng.choice(v.formula_address).format(street=street, n=number_)
    return _Org(
        index=index,
        entity=f"E{index + 1:05d}",
        form_key=form_key,
        form=form,
        head=head,
        cores=cores,
        suffix=suffix,
        bare=_drop_article(v, cores[0]) != cores[0] and rng.random() < 0.15,
        comune=comune,
        comune_spellings=spellings,
        province=province,
        in_ambito=in_ambito,
        office=office,
        tax_codes=tax_codes,
        personal_code=personal,
        runts=str(rng.randint(1000, 199_999)) if rng.random() < runts_share else "",
        address=address,
        person=person,
        email=email,
        personal_email=personal_email,
        phone=phone,
        pec=pec,
        areas=_areas(rng, len(ctx.areas)),
        experience=experience,
    )


def _org_email(rng: random.Random, v: Vocabulary, head: str, core: str) -> str:
    slug = _slug(f"{head} {core}" if rng.random() < 0.4 else core)
    style = rng.random()
    info, office = v.org_email
    local = (
        slug[: rng.randint(14, 24)]
        if style < 0.7
        else f"{info}{slug[:18]}"
        if style < 0.85
        else (f"{office}{slug[:14]}")
    )
    return f"{local}@{rng.choice(v.mail_providers)}"


def _make_organisations(ctx: _Context, count: int) -> list[_Org]:
    orgs: list[_Org] = []
    rng = ctx.rng
    while len(orgs) < count:
        sibling = None
        if orgs and rng.random() < 0.06:
            candidates = [o for o in orgs[-30:] if o.head == "" and o.form_key != "coop"]
            if candidates:
                sibling = rng.choice(candidates)
        orgs.append(_make_org(ctx, len(orgs), orgs, sibling))
    return orgs


# Spelling noise --------------------------------------------------------------------------------------------


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    op = rng.randrange(4)
    if op == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif op == 1:
        w = w[:j] + w[j + 1 :]
    elif op == 2:
        w = w[:j] + w[j] + w[j:]
    else:
        letter = rng.choice(_TYPO_NEIGHBOURS)
        w = w[:j] + (letter.upper() if w[j].isupper() else letter) + w[j + 1 :]
    words[i] = w
    return " ".join(words)


def _drop_article(v: Vocabulary, core: str) -> str:
    for article in v.articles:
        if core.startswith(article):
            rest = core[len(article) :]
            return rest[:1].upper() + rest[1:]
    return core


def _name(rng: random.Random, v: Vocabulary, org: _Org, noise: float) -> str:
    """The organisation's name as typed in one response; `noise` scales how much it strays."""

    def chance(p: float) -> bool:
        return rng.random() < p * noise

    core = org.cores[0]
    if len(org.cores) > 1 and chance(0.2):
        core = rng.choice(org.cores[1:])
    head = org.head
    if org.bare != chance(0.1):
        core = _drop_article(v, core)
    association = v.names.association
    if head == association and chance(0.1):
        head = ""
    if chance(0.1):
        core = _typo(rng, core)
    base = f"{head} {core}".strip()
    if chance(0.12):
        opening, closing = rng.choice((("«", "»"), ('"', '"'), ("\u201c", "\u201d")))
        base = (
            f"{head} {opening}{core}{closing}".strip()
            if head and rng.random() < 0.5
            else (f"{opening}{base}{closing}")
        )
    suffix = org.suffix
    if chance(0.25):
        suffix = rng.choice(org.form.suffixes)
    prefix = rng.choice(org.form.prefixes) if org.form.prefixes and chance(0.08) else ""
    if prefix and not (prefix.startswith(association) and association in base):
        text = f"{prefix} {base}"
    else:
        text = f"{base} {suffix}".strip()
    if chance(0.15) and re.search(r"[àèéìòù]", text):
        plain = rng.random() < 0.5
        text = re.sub(r"[àèéìòù]", lambda m: _fold(m.group(0)) + ("" if plain else "'"), text)
    if "'" in text and chance(0.1):
        text = text.replace("'", "\u2019")
    if chance(0.12):
        text = text.upper() if rng.random() < 0.65 else text.lower()
    if chance(0.08):
        text = "  " + text.replace(" ", "  ", 1) + " "
    return text


def _tax_code(rng: random.Random, org: _Org, noise: float) -> str:
    code = org.tax_codes[0]
    if len(org.tax_codes) > 1 and rng.random() < 0.3 * noise:
        code = org.tax_codes[1]  # the partita IVA typed instead of the codice fiscale
    if org.personal_code:
        return code.lower() if rng.random() < 0.1 * noise else code
    r = rng.random() / max(noise, 0.01)
    if r < 0.08:
        return " " + code
    if r < 0.16:
        return "IT" + code
    if r < 0.24:
        return f"{code[:3]} {code[3:7]} {code[7:]}"
    if r < 0.26:
        return f"IT {code}"
    if r < 0.28:
        return f"{code[:2]}.{code[2:5]}.{code[5:8]}.{code[8:]}"
    return code


def _comune(rng: random.Random, ctx: _Context, org: _Org, noise: float) -> str:
    text = org.comune
    if len(org.comune_spellings) > 1 and rng.random() < 0.15 * noise:
        text = rng.choice(org.comune_spellings[1:])
    r = rng.random() / max(noise, 0.01)
    if r < 0.1:
        return text.upper()
    if r < 0.18:
        return text.lower() + " "
    if r < 0.3:
        return f"{text} ({org.province if rng.random() < 0.7 else ctx.ambito.province})"
    return text


def _misspelt_comune(rng: random.Random, name: str) -> str:
    words = name.split(" ")
    letters_only = [k for k, w in enumerate(words) if w.isalpha() and len(w) >= 4]
    if not letters_only:
        return name + "o"
    i = max(letters_only, key=lambda k: len(words[k]))
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    words[i] = w[:j] + w[j] + w[j:]  # a doubled letter ("Sonccino")
    return " ".join(words)


def _phone_variant(rng: random.Random, phone: str, noise: float) -> str:
    r = rng.random() / max(noise, 0.01)
    if r < 0.06:
        return phone.replace(" ", "")
    if r < 0.1:
        return phone.replace(" ", "/", 1)
    if r < 0.14:
        return "+39 " + phone
    return phone


def _address_variant(rng: random.Random, address: str, noise: float) -> str:
    r = rng.random() / max(noise, 0.01)
    m = re.fullmatch(r"(.*\D) (\d+)", address)
    if not m:
        return address
    if r < 0.08:
        return f"{m.group(1)}, {m.group(2)}"
    if r < 0.12:
        return f"{m.group(1).lower()} {m.group(2)}"
    if r < 0.15:
        return f"{m.group(1)} n. {m.group(2)}"
    return address


# Rows ------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Outcome:
    cells: list[str]
    reasons: list[str]
    warnings: list[str]


@dataclass(slots=True)
class _Draft:
    """One response's answers while they are drawn, and what the product's rules will say of them."""

    person: str
    email: str
    phone: str
    name: str = ""
    tax: str = ""
    tax_state: str = "ok"  # ok | missing | invalid | persona
    comune: str = ""
    comune_state: str = "in"  # in | out | unknown
    runts: str = ""
    area_text: str = ""
    phases: str = ""
    experience: str = ""
    pec: str = ""
    pec_bad: bool = False
    consent: str = ""
    name_blank: bool = False
    test: bool = False
    email_bad: bool = False
    consent_blank: bool = False
    no_area: bool = False


def _contact(ctx: _Context, row: _Row, noise: float) -> _Draft:
    """The contact person, email and phone of a response (a repeat may name a new contact person)."""
    rng, org = ctx.rng, row.org
    person, email, phone = org.person, org.email, org.phone
    if row.seq > 0 and rng.random() < 0.15:
        # a new contact person: name and phone change; a personal email follows the person
        person = _person(rng, ctx.voc)
        phone = _phone(ctx, org.province)
        if org.personal_email:
            email = _personal_email(rng, ctx.voc, person)
    if rng.random() < 0.12 * noise:
        email = email.upper()
    return _Draft(person, email, phone)


def _tax_answer(ctx: _Context, org: _Org, noise: float, d: _Draft) -> None:
    if not org.tax_codes:
        d.tax, d.tax_state = "", "missing"
    elif not ctx.ambito.tax_code_required and ctx.rng.random() < 0.04:
        d.tax, d.tax_state = "", "missing"  # left blank where the avviso does not ask for it
    else:
        d.tax = _tax_code(ctx.rng, org, noise)
        d.tax_state = "persona" if org.personal_code else "ok"


def _phases(ctx: _Context, row: _Row) -> str:
    rng = ctx.rng
    if row.late:
        return ctx.late_phases
    if not ctx.phases:
        return ""
    p = rng.random()
    if p < 0.75:
        return ", ".join(ctx.phases)
    if p < 0.95:
        k = rng.randint(1, len(ctx.phases))
        return ", ".join(ctx.phases[i] for i in sorted(rng.sample(range(len(ctx.phases)), k)))
    return ""


def _draft(ctx: _Context, row: _Row, noise: float) -> _Draft:
    """Every answer of a response as the organisation types it this time."""
    rng, org = ctx.rng, row.org
    repeat = row.seq > 0
    d = _contact(ctx, row, noise)
    d.name = _name(rng, ctx.voc, org, noise)
    _tax_answer(ctx, org, noise, d)
    d.comune = _comune(rng, ctx, org, noise)
    d.comune_state = "in" if org.in_ambito else "out"
    if org.in_ambito and rng.random() < 0.007:
        d.comune, d.comune_state = _misspelt_comune(rng, org.comune), "unknown"
    d.runts = org.runts
    if d.runts and rng.random() < 0.02:
        d.runts = ""
    elif d.runts and rng.random() < 0.06:
        d.runts = rng.choice(ctx.voc.runts_prefixes) + d.runts
    areas = org.areas
    if repeat and rng.random() < 0.4:
        areas = _areas(rng, len(ctx.areas))
    d.area_text = ", ".join(ctx.areas[i] for i in areas)
    d.phases = _phases(ctx, row)
    d.experience = org.experience
    if repeat and rng.random() < 0.2:
        d.experience = "" if rng.random() < 0.3 else rng.choice(ctx.voc.experience)
    d.pec = org.pec
    if d.pec and rng.random() < 0.005:
        local, _, domain = d.pec.partition("@")
        d.pec, d.pec_bad = f"{local}@{domain.split('.')[0]}", True  # "nome@pec": no top-level domain
    d.consent = ctx.voc.consent
    return d


def _inject(ctx: _Context, row: _Row, d: _Draft) -> None:
    """The row's injected problems: an answer left blank or typed wrong, a test submission."""
    rng = ctx.rng
    for problem in row.problems:
        if problem == "consent":
            d.consent, d.consent_blank = "", True
        elif problem == "name":
            d.name, d.name_blank = rng.choice(("", "   ", " ")), True
        elif problem == "areas":
            d.area_text, d.no_area = "", True
        elif problem == "email":
            d.email_bad = True
            first, _, last = d.person.partition(" ")
            f, sur = _slug(first), _slug(last)
            d.email = rng.choice(tuple(t.format(first=f, surname=sur) for t in ctx.voc.bad_emails))
        elif problem == "test":
            d.test = True
            word = rng.choice(ctx.test_words) if ctx.test_words else ctx.voc.test_name_fallback
            d.name = rng.choice((word, word.upper(), word.capitalize()))
            if ctx.test_emails and rng.random() < 0.4:
                d.email = rng.choice(ctx.test_emails)
        elif problem == "cf_invalid":
            d.tax_state = "invalid"
            d.tax = _invalid_code(rng, ctx.voc, row.org)
        elif problem == "cf_missing":
            d.tax, d.tax_state = "", "missing"


def _codes(ambito: Ambito, row: _Row, d: _Draft) -> tuple[list[str], list[str]]:
    """The blocking and warning codes, in the order the validator reports them."""
    flags = (
        (d.test, "invio_di_prova"),
        (d.name_blank, "denominazione_mancante"),
        (d.consent_blank, "consenso_mancante"),
        (d.no_area, "nessuna_area"),
        (d.email_bad, "email_non_valida"),
    )
    blocking = [code for flag, code in flags if flag]
    warnings: list[str] = []
    tax_codes = {"missing": "cf_mancante", "invalid": "cf_non_valido"}
    if d.tax_state in tax_codes:
        (blocking if ambito.tax_code_required else warnings).append(tax_codes[d.tax_state])
    warnings += _warnings(ambito, row, d)
    if d.test:
        blocking = ["invio_di_prova"]  # a test is reported as such, not as a list of missing answers
    return blocking, warnings


def _warnings(ambito: Ambito, row: _Row, d: _Draft) -> list[str]:
    warnings: list[str] = []
    if d.tax_state == "persona":
        warnings.append("cf_persona_fisica")
    if d.comune_state == "unknown":
        warnings.append("comune_sconosciuto")
    elif d.comune_state == "out":
        warnings.append("comune_fuori_ambito")
    if ambito.runts_required and not d.runts:
        warnings.append("runts_mancante")
    if d.pec_bad:
        warnings.append("pec_non_valida")
    if row.late:
        warnings.append("oltre_scadenza")
    return warnings


def _render(ctx: _Context, row: _Row) -> _Outcome:
    """One response row's cells and the codes the product's rules give it."""
    rng, org, ambito = ctx.rng, row.org, ctx.ambito
    noise = 0.45 if row.seq == 0 else 1.0
    d = _draft(ctx, row, noise)
    _inject(ctx, row, d)
    values = {
        "timestamp": (ambito.opens + timedelta(seconds=row.at)).strftime("%d/%m/%Y %H.%M.%S"),
        "email": d.email,
        "name": d.name,
        "tax_code": d.tax,
        "legal_form": org.form.label,
        "runts": d.runts,
        "comune": d.comune,
        "address": _address_variant(rng, org.address, noise),
        "contact_name": d.person,
        "phone": _phone_variant(rng, d.phone, noise),
        "pec": d.pec,
        "areas": d.area_text,
        "phases": d.phases,
        "experience": d.experience,
        "consent": d.consent,
    }
    blocking, warnings = _codes(ambito, row, d)
    return _Outcome([values[f] for f in FIELDS], blocking, warnings)


def _invalid_code(rng: random.Random, v: Vocabulary, org: _Org) -> str:
    """A tax code that fails validation: wrong check digit, digits missing, a letter O, or a phrase."""
    if not org.tax_codes:
        return rng.choice(v.no_tax_code)
    code = org.tax_codes[0]
    r = rng.random()
    if r < 0.4:
        if org.personal_code:
            wrong = chr(ord("A") + (ord(code[-1]) - ord("A") + rng.randint(1, 25)) % 26)
        else:
            wrong = str((int(code[-1]) + rng.randint(1, 9)) % 10)
        return code[:-1] + wrong
    if r < 0.65:
        return code[:9] if rng.random() < 0.6 else code[:5] + code[6:]
    if r < 0.8 and "0" in code[1:]:
        i = code.index("0", 1)
        return code[:i] + "O" + code[i + 1 :]
    return rng.choice(v.not_a_tax_code)


def _schedule(ctx: _Context, rows_by_org: list[list[_Row]]) -> None:
    """Submission times: on-time rows inside the window (more near the deadline), late rows after it."""
    rng = ctx.rng
    window = int((ctx.ambito.deadline - ctx.ambito.opens).total_seconds())
    day = 86_400
    for rows in rows_by_org:
        t = -1
        for row in rows:
            if row.late:
                # the first late answer comes days or weeks after the deadline; later ones follow it
                gap = int(min(rng.expovariate(1 / (20 * day)), 150 * day)) if t < window else _gap(rng)
                t = max(t, window) + 1 + gap
            elif t < 0:
                # many answers arrive in the last days before the deadline
                near_deadline = int(window * rng.triangular(0.7, 1.0, 1.0))
                t = rng.randint(0, window) if rng.random() < 0.55 else near_deadline
            else:
                nxt = t + _gap(rng)
                t = nxt if nxt <= window else t + int((window - t) * rng.random())
            row.at = t


def _gap(rng: random.Random) -> int:
    if rng.random() < 0.35:
        return rng.randint(120, 6 * 3600)  # a correction the same day
    return rng.randint(86_400, 25 * 86_400)


def generate(
    ambito: Ambito,
    organisations: int = 300,
    *,
    vocabulary: Vocabulary,
    seed: int = 1,
    late_share: float = 0.15,
    problem_share: float = 0.06,
    repeat_share: float = 0.3,
) -> DemoSet:
    """Generate a realistic set of form responses for the Ambito, with the expected outcome of every row.

    `vocabulary`: the words to draw from, `load_vocabulary()` (read once by the caller).
    """
    if organisations < 0:
        raise ValueError("organisations must be >= 0")
    for label, share in (
        ("late_share", late_share),
        ("problem_share", problem_share),
        ("repeat_share", repeat_share),
    ):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{label} must be between 0 and 1, not {share}")
    rng = random.Random(seed)
    ctx = _context(ambito, rng, vocabulary)
    orgs = _make_organisations(ctx, organisations)
    repeaters = set(rng.sample(range(len(orgs)), round(repeat_share * len(orgs))))
    rows_by_org: list[list[_Row]] = []
    for org in orgs:
        n = (2 if rng.random() < 0.78 else 3) if org.index in repeaters else 1
        rows_by_org.append([_Row(org, seq) for seq in range(n)])
    flat = [row for rows in rows_by_org for row in rows]
    # late rows: exactly late_share of all rows, always an organisation's last ones
    late_count: dict[int, int] = {}
    for i in rng.sample(range(len(flat)), round(late_share * len(flat))):
        late_count[flat[i].org.index] = late_count.get(flat[i].org.index, 0) + 1
    for rows in rows_by_org:
        k = late_count.get(rows[0].org.index, 0)
        for row in rows[len(rows) - k :] if k else ():
            row.late = True
    _schedule(ctx, rows_by_org)
    kinds = [k for k, _ in _PROBLEMS if k != "test" or ctx.test_words]
    weights = [w for k, w in _PROBLEMS if k != "test" or ctx.test_words]
    for i in rng.sample(range(len(flat)), round(problem_share * len(flat))):
        row = flat[i]
        first = rng.choices(kinds, weights=weights)[0]
        row.problems.append(first)
        if first != "test" and rng.random() < 0.1:
            second = rng.choices(kinds, weights=weights)[0]
            if second not in {first, "test"} and {first, second} != {"cf_invalid", "cf_missing"}:
                row.problems.append(second)
    rendered = [(row, _render(ctx, row)) for row in flat]
    rendered.sort(key=lambda item: (item[0].at, item[0].org.index, item[0].seq))
    cells: list[list[str]] = []
    truth: list[dict[str, str]] = []
    for n, (row, out) in enumerate(rendered, start=2):
        cells.append(out.cells)
        truth.append(
            {
                "row": str(n),
                "entity": row.org.entity,
                "expected": "rejected" if out.reasons else "accepted",
                "reasons": ";".join(out.reasons),
                "warnings": ";".join(out.warnings),
            }
        )
    header = [getattr(ambito.questions, f)[0] for f in FIELDS]
    return DemoSet(header=header, rows=cells, truth=truth)


def to_csv_text(demo: DemoSet) -> str:
    """The responses as a Google Forms CSV export: RFC 4180, every field quoted, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(demo.header)
    writer.writerows(demo.rows)
    return buffer.getvalue()


def truth_csv_text(demo: DemoSet) -> str:
    """The ground truth in the development sets' format: `row,entity,expected,reasons,warnings`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_CODE_KEYS)
    writer.writerows([t[k] for k in _CODE_KEYS] for t in demo.truth)
    return buffer.getvalue()


def summary(demo: DemoSet) -> dict[str, int]:
    """Figures of a generated set: rows, organisations, repeats, rejected and late rows, rows per code."""
    per_entity: dict[str, int] = {}
    for t in demo.truth:
        per_entity[t["entity"]] = per_entity.get(t["entity"], 0) + 1
    out = {
        "rows": len(demo.rows),
        "organisations": len(per_entity),
        "repeating_organisations": sum(1 for n in per_entity.values() if n > 1),
        "rejected": sum(1 for t in demo.truth if t["expected"] == "rejected"),
    }
    codes: dict[str, int] = {}
    for t in demo.truth:
        for kind, prefix in (("reasons", "reason"), ("warnings", "warning")):
            for code in filter(None, t[kind].split(";")):
                key = f"{prefix}:{code}"
                codes[key] = codes.get(key, 0) + 1
    out.update(sorted(codes.items()))
    return out


# What each Ambito's demo shows beyond the generated responses (issue 14) -------------------------------------


@dataclass(frozen=True, slots=True)
class DemoExtras:
    """Rows a demo adds for its Ambito: form responses (form header order) and `Domande manuali` rows."""

    form_rows: list[list[str]]
    manual_rows: list[
        list[str]
    ]  # in `sync.manual.manual_header` order: the form's fields, Canale, Protocollo


def demo_extras(ambito: Ambito, *, vocabulary: Vocabulary, seed: int = 1) -> DemoExtras:
    """The Ambito's showcase rows: a union applying to Crema, public bodies and PEC applications in Cernusco."""
    rng = random.Random(seed * 7919 + 14)
    v = vocabulary
    ctx = _context(ambito, rng, v)
    span = max(1, int((ambito.deadline - ambito.opens).total_seconds() * 0.8))
    areas = [a.label for a in ambito.areas]

    def values(name: str, form: str, comune: str, area: int, email: str, pec: str, when: str) -> list[str]:
        person = _person(rng, v)
        by_field = {
            "timestamp": when,
            "email": email,
            "name": name,
            "tax_code": _new_code(ctx, "89", "015" if ambito.province == "MI" else "019"),
            "legal_form": form,
            "runts": "",
            "comune": comune,
            "address": f"{rng.choice(v.streets)} {rng.randrange(1, 80)}",
            "contact_name": person,
            "phone": _phone(ctx, ambito.province),
            "pec": pec,
            "areas": areas[area % len(areas)],
            "phases": "",
            "experience": rng.choice(v.experience),
            "consent": ambito.form.consent_label or v.consent,
        }
        return [by_field[f] for f in FIELDS]

    form_rows = []
    for name, form, comune, area, user in v.extra_form.get(ambito.code, ()):
        at = ambito.opens + timedelta(seconds=rng.randrange(span))
        domain = _slug(name.split(" - ")[0])[:24] + ".it"
        form_rows.append(
            values(name, form, comune, area, f"{user}@{domain}", "", at.strftime("%d/%m/%Y %H.%M.%S"))
        )
    manual_rows = []
    for name, form, comune, area, protocol in v.extra_manual.get(ambito.code, ()):
        at = ambito.opens + timedelta(seconds=rng.randrange(span))
        pec = f"{_slug(name)[:20]}@{rng.choice(v.pec_domains)}"
        manual_rows.append(
            [*values(name, form, comune, area, "", pec, at.strftime("%d/%m/%Y")), v.manual_channel, protocol]
        )
    return DemoExtras(form_rows, manual_rows)


def with_form_rows(demo: DemoSet, rows: list[list[str]]) -> DemoSet:
    """The demo's responses with more rows appended (without truth: the generated rows keep theirs)."""
    return DemoSet(header=demo.header, rows=[*demo.rows, *rows], truth=demo.truth) if rows else demo
