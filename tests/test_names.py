"""Legal-form-aware name keys (sync/names.py)."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.names import (
    NameKey,
    _required_literal,
    _strip,
    compile_table,
    default_table,
    fingerprint,
    name_key,
    normalise_name,
    prenormalise,
)

# The reference examples (shared/reference/name_normaliser_examples.csv), copied here so that the
# tests do not need the shared folder: input, primary key, secondary key, forms (* = secondary).
REFERENCE = [
    ("Cooperativa Sociale Il Sorriso Soc. Coop. Soc. a r.l. Onlus", "il sorriso", "il sorriso", "cooperativa_sociale|onlus"),
    ("IL SORRISO - Società Cooperativa Sociale a r.l.", "il sorriso", "il sorriso", "cooperativa_sociale"),
    ("Il Sorriso Coop. Soc. ONLUS", "il sorriso", "il sorriso", "cooperativa_sociale|onlus"),
    ("«Il Sorriso» S.C.S.", "il sorriso", "il sorriso", "cooperativa_sociale"),
    ("Associazione Amici del Cuore O.d.V.", "associazione amici del cuore", "amici del cuore", "associazione_riconosciuta*|odv"),
    ("AMICI DEL CUORE ODV-ETS", "amici del cuore", "amici del cuore", "ets|odv"),
    ("Amici del cuore - organizzazione di volontariato", "amici del cuore", "amici del cuore", "odv"),
    ("Associazione “La Gente del Ma.Go” APS", "associazione la gente del ma go", "la gente del ma go", "aps|associazione_riconosciuta*"),
    ("La Gente del Ma.Go A.P.S. – E.T.S.", "la gente del ma go", "la gente del ma go", "aps|ets"),
    ("Fondazione Somaschi Onlus", "fondazione somaschi", "somaschi", "fondazione*|onlus"),
    ("Consorzio Arcobaleno Società Cooperativa Sociale", "consorzio arcobaleno", "arcobaleno", "consorzio_cooperative_sociali*|cooperativa_sociale"),
    ("Cascina Biblioteca Società Cooperativa Sociale di tipo B a r.l. Impresa Sociale", "cascina biblioteca", "cascina biblioteca", "company_forms|cooperativa_sociale|impresa_sociale"),
    ("A.S.D. Polisportiva Capsula", "polisportiva capsula", "polisportiva capsula", "asd"),
    ("Polisportiva Pandino SSD a r.l.", "polisportiva pandino", "polisportiva pandino", "ssd"),
    ("Società di Mutuo Soccorso di Castelleone", "di castelleone", "di castelleone", "societa_mutuo_soccorso"),
    ("Parrocchia di San Giacomo - Ramo ETS", "parrocchia di san giacomo", "parrocchia di san giacomo", "ets"),
    ("Punto d'Incontro Coop. Soc. Onlus", "punto d incontro", "punto d incontro", "cooperativa_sociale|onlus"),
    ("Punto d’Incontro società cooperativa sociale", "punto d incontro", "punto d incontro", "cooperativa_sociale"),
    ("Impronte Diverse S.r.l. Impresa Sociale", "impronte diverse", "impronte diverse", "company_forms|impresa_sociale"),
    ("Associazione Apsara", "associazione apsara", "apsara", "associazione_riconosciuta*"),
    ("Caritas Cremonese", "caritas cremonese", "caritas cremonese", ""),
]  # fmt: skip


@pytest.mark.parametrize(("name", "primary", "secondary", "forms"), REFERENCE)
def test_reference_examples(name: str, primary: str, secondary: str, forms: str) -> None:
    key = name_key(name)
    assert (key.primary, key.secondary) == (primary, secondary)
    assert key.forms == tuple(sorted(f.rstrip("*") for f in forms.split("|") if f))


@pytest.mark.parametrize(
    ("name", "tokens", "forms"),
    [
        # articles, prepositions and generic heads are not comparison tokens
        ("Associazione Il Volo APS", ("volo",), ("aps", "associazione_riconosciuta")),
        ("Gruppo Volontari di Crema", ("volontari", "crema"), ()),
        ("Robecco d'Oglio", ("robecco", "oglio"), ()),
        # numbers and place names are identity: they stay
        ("Polisportiva Crema 41 ASD", ("polisportiva", "crema", "41"), ("asd",)),
        # a typo in a legal-form word still reads as the form
        ("Il Seme Impresa Snciale S.r.l.", ("seme",), ("company_forms", "impresa_sociale")),
        ("La Bottega Oscietà Cooperativa Sociale", ("bottega",), ("cooperativa_sociale",)),
        ("Asscoiazione L'Aquilone APS", ("aquilone",), ("aps", "associazione_riconosciuta")),
        ("ANFFAS Torre nOlus", ("anffas", "torre"), ("onlus",)),
        # but a real word near a form word stays itself
        ("Gruppo Sportivo Pescarolo ASD", ("sportivo", "pescarolo"), ("asd",)),
        ("Polisportiva Crema", ("polisportiva", "crema"), ()),
        # a word glued to the word that opens a legal form is split off
        ("AssociazioneIl Nodo ODV", ("nodo",), ("associazione_riconosciuta", "odv")),
        ("InsiemeSocietà Cooperativa Sociale", ("insieme",), ("cooperativa_sociale",)),
        # abbreviated heads are read in full, so the spelled-out form is still found
        ("Ass.ne di Promozione Sociale Il Nodo", ("nodo",), ("aps",)),
        ("Gruppo X Ass. Sportiva Dilettantistica", ("x",), ("asd",)),
        ("Fond. San Luigi", ("san", "luigi"), ("fondazione",)),
        # a typo of a long stopword is a stopword
        ("Grupo Volontari Milano", ("volontari", "milano"), ()),
        # a name that is only a legal form keeps its words rather than becoming empty
        ("Cooperativa Sociale", ("sociale",), ("cooperativa_sociale",)),
    ],
)
def test_tokens_and_forms(name: str, tokens: tuple[str, ...], forms: tuple[str, ...]) -> None:
    key = name_key(name)
    assert key.tokens == tokens
    assert key.forms == forms


def test_spellings_of_one_name_share_a_fingerprint() -> None:
    spellings = [
        "Il Girasole Società Cooperativa Sociale",
        "COOPERATIVA SOCIALE IL GIRASOLE",
        "«Girasole» Soc. Coop. Soc. a r.l. Onlus",
        "Girasole (Il) S.C.S.",
    ]
    assert len({fingerprint(name_key(s)) for s in spellings}) == 1


def test_full_keeps_the_forms() -> None:
    assert name_key("«Auser Crema» O.d.V.").full == "auser crema odv"  # dotted initials read as one word


def test_patterns_come_from_the_table_given() -> None:
    """The pure function uses only the table it is given, not the packaged one."""
    doc = {
        "legal_forms": [
            {"id": "club", "strip": True, "patterns": ["(?<![a-z0-9])club(?![a-z0-9])"]},
            {"id": "casa", "strip": "secondary", "patterns": ["(?<![a-z0-9])casa(?![a-z0-9])"]},
        ],
        "secondary_stopwords": ["di"],
    }
    key = normalise_name("Casa di Luca Club APS", compile_table(doc))
    assert key == NameKey(
        "casa di luca aps", "di luca aps", ("casa", "club"), ("luca", "aps"), "casa di luca club aps"
    )


def test_default_table_is_loaded_once() -> None:
    assert default_table() is default_table()
    assert {p.form for p in default_table().primary} >= {"odv", "aps", "cooperativa_sociale", "onlus"}


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("  Società   Cooperativa ", "societa cooperativa"),
        ("L’Aquilone – «APS»", 'l\'aquilone - "aps"'),
        ("CAFÉ ÀÈÌÒÙ", "cafe aeiou"),
    ],
)
def test_prenormalise(typed: str, clean: str) -> None:
    assert prenormalise(typed) == clean


NAME_TEXT = st.text(
    alphabet=st.sampled_from(string.ascii_letters + string.digits + " .'’-«»\"()àèéìòùÀÈ&/"), max_size=60
)


@given(NAME_TEXT)
def test_keys_are_plain_words(name: str) -> None:
    key = name_key(name)
    for text in (key.primary, key.secondary, key.full):
        assert text == " ".join(text.split())
        assert set(text) <= set(string.ascii_lowercase + string.digits + " ")
    assert all(t and set(t) <= set(string.ascii_lowercase + string.digits) for t in key.tokens)
    assert list(key.forms) == sorted(set(key.forms))


@given(NAME_TEXT)
def test_case_quotes_and_spacing_do_not_matter(name: str) -> None:
    key = name_key(name)
    assert name_key(name.upper()) == key or name_key(name.upper()).tokens == key.tokens
    assert name_key(f"  «{name}»  ").tokens == key.tokens
    assert name_key(name.replace(" ", "  ")) == key


# --- the fast reading of legal forms gives what scanning every pattern gives -------------------

FORM_WORDS = [
    "associazione", "ass.", "ass.ne", "di", "promozione", "sociale", "volontariato", "odv", "o.d.v.",
    "a.p.s.", "aps", "soc.", "coop.", "soc", "coop", "cooperativa", "societa", "s.c.s.", "scs", "a r.l.",
    "arl", "s.r.l.", "srl", "ssd", "s.s.d.", "a", "r.l.", "onlus", "o.n.l.u.s.", "ets", "e.t.s.", "ente",
    "del", "terzo", "settore", "tipo", "b", "a+b", "in", "liquidazione", "fondazione", "fond.",
    "consorzio", "impresa", "i.s.", "mutuo", "soccorso", "soms", "il", "sorriso", "crema", "41", "-", ".",
    "sportiva", "dilettantistica", "ramo", "rete", "spa", "snc", "sas", "ecclesiastico", "riconosciuta",
    "non", "ıl", "ſrl", "SRL",
]  # fmt: skip
FORM_TEXT = st.lists(st.sampled_from(FORM_WORDS), max_size=9).map(" ".join)


@given(FORM_TEXT, st.sampled_from(["", " ", "  ", "-"]))
def test_word_start_reading_matches_a_full_scan(text: str, joiner: str) -> None:
    table = default_table()
    text = text.replace(" ", joiner or " ")
    for index, stripper in (
        (table.primary_index, table.primary_stripper),
        (table.secondary_index, table.secondary_stripper),
    ):
        assert _strip(text, index, stripper) == _strip(text, index)


def test_patterns_the_fast_reading_cannot_follow_are_scanned() -> None:
    """An optional first letter, a top-level alternative, a back-reference, verbose spacing."""
    doc = {
        "legal_forms": [
            {"id": "opt", "strip": True, "patterns": ["(?<![a-z0-9])x?yz(?![a-z0-9])"]},
            {"id": "alt", "strip": True, "patterns": ["(?<![a-z0-9])abc|def(?![a-z0-9])"]},
            {"id": "ref", "strip": True, "patterns": ["(?<![a-z0-9])(q)\\1r(?![a-z0-9])"]},
            {"id": "verb", "strip": True, "patterns": ["(?x)(?<![a-z0-9]) k ? lm (?![a-z0-9])"]},
            {"id": "plain", "strip": True, "patterns": ["(?<![a-z0-9])kit(?![a-z0-9])"]},
        ]
    }
    table = compile_table(doc)
    texts = ["yz abc", "xyz", "x yz", "zdef", "qqr", "lm", "klm kit", "adef", "abc def", "kit qqr yz xa"]
    for text in texts:
        assert _strip(text, table.primary_index, table.primary_stripper) == _strip(text, table.primary_index)
    assert normalise_name("Kit Klm Xyz Abc QQR", table).forms == ("alt", "opt", "plain", "ref", "verb")


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        ("(?<![a-z0-9])(?:di\\s+)?tipo\\s+[ab](?![a-z0-9])", "tipo"),
        ("(?<![a-z0-9])s\\.?\\s?r\\.?\\s?l\\.?", "s"),
        ("(?<![a-z0-9])ass\\.ne(?![a-z0-9])", "ass.ne"),
        ("(?<![a-z0-9])Fond\\.", "fond."),
        ("abc|def", ""),
        ("a{2}bc", ""),
    ],
)
def test_required_literal(pattern: str, literal: str) -> None:
    assert _required_literal(re.compile(pattern, re.IGNORECASE)) == literal


def test_names_and_comuni_read_no_file_once_the_edge_has_loaded_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import builtins
    import io
    import pathlib

    from sync import comuni, names
    from sync.config import load_settings
    from sync.reference import load_reference

    ambito = load_settings("crema").ambito  # the edge: settings and the reference data, read here
    assert load_reference() is load_reference()
    names.default_table.cache_clear()
    comuni._national.cache_clear()
    names.name_key.cache_clear()

    def blocked(*args: object, **kwargs: object) -> None:
        raise AssertionError("the core opened a file")

    monkeypatch.setattr(builtins, "open", blocked)
    monkeypatch.setattr(io, "open", blocked)
    monkeypatch.setattr(pathlib.Path, "open", blocked)
    monkeypatch.setattr(pathlib.Path, "read_text", blocked)
    try:
        assert names.name_key("Cooperativa Sociale Il Sorriso Onlus").primary == "il sorriso"
        assert comuni.ComuniIndex(ambito).resolve("Cremona").istat == "019036"
    finally:
        names.clear_caches()
