"""The Google Form an Ambito's configuration describes, and how a live form's columns differ from it.  Pure.

`form_spec` turns the preset into the list of questions `creaModulo()` builds with FormApp (exact titles,
help texts, required flags, choices); `apps_script` fills the shipped template with it; `compare_header`
reads the first row of a response sheet against the same specification and names each difference.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from sync import labels
from sync.config import Ambito, normalise_title

Kind = Literal["testo", "paragrafo", "caselle", "elenco"]
SPEC_PLACEHOLDER = "/* MODULO */ null"
# differences that make every response unusable: `elenco check` fails on them
BLOCKING_DIFFERENCES = frozenset({"domanda_mancante_obbligatoria", "email_non_raccolte"})
# Google adds these columns itself: the timestamp always, the address when the form collects e-mails
SHEET_FIELDS = ("timestamp", "email")
# the form's questions in order; email is not one of them (collected by the form, see `collect_email`)
FORM_FIELDS: tuple[tuple[str, Kind], ...] = (
    ("name", "testo"),
    ("tax_code", "testo"),
    ("legal_form", "elenco"),
    ("runts", "testo"),
    ("comune", "testo"),
    ("address", "testo"),
    ("contact_name", "testo"),
    ("phone", "testo"),
    ("pec", "testo"),
    ("areas", "caselle"),
    ("phases", "caselle"),
    ("experience", "paragrafo"),
    ("consent", "caselle"),
)


@dataclass(frozen=True)
class FormQuestion:
    """One question of the form, as FormApp builds it."""

    field: str
    tipo: Kind
    titolo: str
    aiuto: str
    obbligatoria: bool
    scelte: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormSpec:
    """The whole form: what `creaModulo()` creates."""

    titolo: str
    descrizione: str
    conferma: str
    raccogli_email: bool
    domande: tuple[FormQuestion, ...]


def _required(field: str, ambito: Ambito) -> bool:
    # required exactly where a missing answer blocks the response (DESIGN.md, rule 2)
    if field == "tax_code":
        return ambito.tax_code_required
    return field in ("name", "areas", "consent")


def _choices(field: str, ambito: Ambito) -> tuple[str, ...]:
    if field == "areas":
        return tuple(a.label for a in ambito.areas)
    if field == "phases":
        return tuple(p.label for p in ambito.phases)
    if field == "legal_form":
        return ambito.form.legal_forms
    if field == "consent":
        return (ambito.form.consent_label,) if ambito.form.consent_label else ()
    return ()


def form_spec(ambito: Ambito) -> FormSpec:
    """The form the configuration describes: titles as configured, choices as configured labels."""
    questions: list[FormQuestion] = []
    for field, kind in FORM_FIELDS:
        choices = _choices(field, ambito)
        if kind in ("caselle", "elenco") and not choices:
            if field == "phases":
                continue  # an avviso without phases asks no such question
            kind = "testo"  # no configured options: a free answer rather than an empty list
        help_text = ambito.form.privacy_notice if field == "consent" else getattr(ambito.form.help, field)
        questions.append(
            FormQuestion(
                field=field,
                tipo=kind,
                titolo=getattr(ambito.questions, field)[0],
                aiuto=help_text,
                obbligatoria=_required(field, ambito),
                scelte=choices,
            )
        )
    return FormSpec(
        titolo=f"{ambito.name} - {ambito.notice}",
        descrizione=ambito.form.description,
        conferma=ambito.form.confirmation,
        raccogli_email=True,
        domande=tuple(questions),
    )


def apps_script(spec: FormSpec, template: str, ambito: Ambito) -> str:
    """The Apps Script file: the shipped template with this form's specification in place of its marker."""
    if SPEC_PLACEHOLDER not in template:
        raise ValueError(f"template without {SPEC_PLACEHOLDER!r}")
    data = json.dumps(asdict(spec), ensure_ascii=False, indent=2)
    header = labels.FORM_SCRIPT_HEADER.format(ambito=ambito.name, notice=ambito.notice)
    return header + template.replace(SPEC_PLACEHOLDER, data)


@dataclass(frozen=True)
class FormDifference:
    """One way a form's response sheet differs from the configuration (`code` for scripts, `message` for people)."""

    code: str
    message: str


def compare_header(header: Sequence[str], ambito: Ambito) -> list[FormDifference]:
    """Compare the first row of a response sheet with the configured form; name each difference (Italian)."""
    titles = [str(t) for t in header]
    normal = [normalise_title(t) for t in titles]
    used: set[int] = set()
    out: list[FormDifference] = []

    def find(field: str) -> int | None:
        aliases = {normalise_title(a) for a in getattr(ambito.questions, field)}
        return next((i for i, t in enumerate(normal) if t in aliases and i not in used), None)

    def say(code: str, **params: str) -> None:
        out.append(FormDifference(code, labels.FORM_DIFFERENCES[code].format(**params)))

    for field in SHEET_FIELDS:
        i = find(field)
        if i is not None:
            used.add(i)
        elif field == "email":
            say("email_non_raccolte")
    for q in form_spec(ambito).domande:
        i = find(q.field)
        if i is None:
            say("domanda_mancante_obbligatoria" if q.obbligatoria else "domanda_mancante", title=q.titolo)
            continue
        used.add(i)
        if titles[i].strip() != q.titolo:
            say("titolo_diverso", title=titles[i].strip(), expected=q.titolo)
    for i, title in enumerate(titles):
        if i not in used and title.strip():
            say("domanda_non_configurata", title=title.strip())
    return out
