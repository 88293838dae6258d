"""An organisation's category (`Tipologia`) from its legal form, name and RUNTS number, and admission.  Pure.

Three categories, as the avvisi distinguish them:

    ets        Ente del Terzo Settore (ODV, APS, imprese e cooperative sociali, enti filantropici, … or any
               body that gives a RUNTS number)
    privato    Altro ente privato: associations not enrolled in the RUNTS, sports clubs (ASD/SSD), unions,
               religious bodies (parishes, the Diocese), other private bodies
    pubblico   Ente pubblico: comuni and their unions, aziende speciali/consortili, schools, ASST/ATS

The evidence is read in this order, the first that speaks wins: a public body's legal form; a union's name or
form (never an ETS: D.Lgs. 117/2017 art. 4 c.2); an ETS marker in the name or an ETS-only legal form; a name
that opens with a public body's noun; a RUNTS number; a sports, religious or other private body's name or
form; an association or foundation without a RUNTS number.
A body about which nothing is known is presumed an ETS: the avviso's own RUNTS check still warns about it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from sync import labels
from sync.model import Checked, Problem, Severity
from sync.names import name_key
from sync.text import fold

ETS, PRIVATE, PUBLIC = "ets", "privato", "pubblico"
CATEGORIES = (ETS, PRIVATE, PUBLIC)
ADMISSION_CODE = "ente_non_ets"

# legal-form ids of `sheets_templates/legal_forms.yaml` that only an ETS carries
_ETS_FORMS = frozenset(
    {
        "ets",
        "odv",
        "aps",
        "ente_filantropico",
        "impresa_sociale",
        "cooperativa_sociale",
        "consorzio_cooperative_sociali",
        "rete_associativa",
        "societa_mutuo_soccorso",
        "onlus",  # in the transition to the RUNTS (until 2026): treated as the ETS they are becoming
    }
)


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z0-9])")


_PUBLIC = _words(
    r"comune\s+di",
    r"unione\s+(?:dei\s+|di\s+)?comuni",
    r"unione\s+(?:lombarda\s+)?(?:dei\s+)?comuni",
    r"azienda\s+speciale(?:\s+consortile)?",
    r"azienda\s+consortile",
    r"azienda\s+(?:sociale|territoriale|socio\s*-?\s*sanitaria)",
    r"a\.\s?s\.\s?c\.?",
    r"consorzio\s+(?:dei\s+comuni|intercomunale|servizi\s+sociali)",
    r"istituto\s+comprensivo",
    r"istituto\s+(?:di\s+istruzione|d'istruzione|tecnico|professionale|statale)",
    r"scuola\s+(?:statale|primaria\s+statale|secondaria\s+statale|comunale)",
    r"liceo",
    r"i\.\s?i\.\s?s\.?",
    r"asst",
    r"ats",
    r"asl",
    r"agenzia\s+di\s+tutela\s+della\s+salute",
    r"azienda\s+(?:ospedaliera|sanitaria)",
    r"ufficio\s+di\s+piano",
    r"provincia\s+di",
    r"regione\s+lombardia",
    r"ente\s+pubblico",
    r"amministrazione\s+pubblica",
    r"pubblica\s+amministrazione",
    r"asp",
    r"azienda\s+(?:pubblica\s+)?(?:di\s+)?servizi\s+alla\s+persona",
    r"ipab",
)
# the public bodies' abbreviations, which no private body's name carries: they count anywhere in a name
_PUBLIC_MARK = _words(r"a\.\s?s\.\s?c\.?", r"asst", r"ats", r"asl", r"asp", r"ipab")
_UNION = _words(
    r"sindacat[oi]",
    r"sindacale",
    r"organizzazione\s+sindacale",
    r"cgil",
    r"cisl",
    r"uil",
    r"uilp",
    r"ugl",
    r"camera\s+del\s+lavoro",
    r"spi",
    r"fnp",
    r"pensionati\s+italiani",
)
_OTHER_PRIVATE = _words(
    r"a\.?\s?s\.?\s?d\.?",
    r"s\.?\s?s\.?\s?d\.?",
    r"associazione\s+sportiva(?:\s+dilettantistica)?",
    r"societa\s+sportiva(?:\s+dilettantistica)?",
    r"polisportiva",
    r"parrocchia(?:le)?",
    r"diocesi",
    r"diocesana",
    r"ente\s+religioso",
    r"ente\s+ecclesiastico",
    r"istituto\s+religioso",
    r"congregazione",
    r"oratorio",
    r"altro\s+ente\s+privato",
    r"ente\s+privato",
    r"s\.?r\.?l\.?",
    r"s\.?p\.?a\.?",
    r"s\.?n\.?c\.?",
    r"s\.?a\.?s\.?",
)
_ETS_FORM_TEXT = _words(
    r"terzo\s+settore",
    r"organizzazione\s+di\s+volontariato",
    r"promozione\s+sociale",
    r"impresa\s+sociale",
    r"cooperativa\s+sociale",
    r"ente\s+filantropico",
    r"rete\s+associativa",
    r"mutuo\s+soccorso",
)
_ASSOCIATION = _words(r"associazione", r"fondazione", r"comitato", r"circolo", r"gruppo")
# what people type in the RUNTS question when they are not enrolled
_NO_RUNTS = re.compile(r"^(?:-+|/|\.|0+|n\.?\s?a\.?|no|non\s.*|nessun[ao]?|in\s+corso.*|in\s+attesa.*)$")


def has_runts(runts: str) -> bool:
    """A RUNTS (or regional register) number was given, not «no» or «in corso»."""
    text = fold(runts)
    return bool(text) and not _NO_RUNTS.match(text)


@lru_cache(maxsize=16_384)
def classify(name: str, legal_form: str, runts: str = "") -> str:
    """The category (`ets`, `privato`, `pubblico`) of a body from its name, legal form and RUNTS number."""
    n, f = fold(name), fold(legal_form)
    if _PUBLIC.search(f):
        return PUBLIC
    if _UNION.search(f) or _UNION.search(n):
        return PRIVATE
    if _ETS_FORM_TEXT.search(f) or set(name_key(name).forms) & _ETS_FORMS:
        return ETS
    # a public body is named by what it is («Comune di …», «Istituto Comprensivo …», «ASST …»); the same
    # words inside a name belong to a body around it («Comitato Genitori Istituto Comprensivo …»)
    if _PUBLIC.match(n.lstrip("\"'«“ ")) or _PUBLIC_MARK.search(n):
        return PUBLIC
    if has_runts(runts):
        return ETS
    if _OTHER_PRIVATE.search(f) or _OTHER_PRIVATE.search(n):
        return PRIVATE
    if _ASSOCIATION.search(f):
        return PRIVATE  # an association or foundation that gives no RUNTS number is not (yet) an ETS
    return ETS


def label(category: str) -> str:
    """The category as people read it (`Ente del Terzo Settore`)."""
    return labels.TIPOLOGIA_LABELS.get(category, "")


def admission_problem(checked: Checked, admitted: Sequence[str]) -> Problem | None:
    """A warning for staff when the body's category is not one the avviso admits; None when it is."""
    category = checked.tipologia
    if not category or category in admitted:
        return None
    r = checked.response
    text = labels.MESSAGES[ADMISSION_CODE].format(
        name=r.name.strip() or labels.NO_NAME,
        tipologia=label(category),
        admitted=", ".join(label(c) for c in CATEGORIES if c in admitted),
    )
    return Problem(
        r.row, "legal_form", ADMISSION_CODE, r.legal_form or label(category), Severity.WARNING, text
    )


__all__ = [
    "ADMISSION_CODE",
    "CATEGORIES",
    "ETS",
    "PRIVATE",
    "PUBLIC",
    "admission_problem",
    "classify",
    "label",
]
