"""`elenco modulo`: the form built by creaModulo() from each preset; `elenco check` names how a form differs.

The generated Apps Script runs under Node.js against the FormApp stubs (tests/apps_script/stubs.js), which
append each submitted response to the linked sheet as Google does; that sheet, exported as CSV, goes through
`elenco resolve` and the parser.
"""

from __future__ import annotations

import csv
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sync.cli import cli
from sync.config import Ambito, load_settings
from sync.modulo import compare_header, form_spec
from sync.parse import parse_rows
from tests.apps_script import needs_node, run_apps_script

PRESETS = ["crema", "cremonese", "cernusco"]
TEXT_ANSWERS = {
    "name": "Associazione Il Volo APS",
    "tax_code": "91910830198",
    "runts": "111961",
    "address": "Via Dante 68",
    "contact_name": "Alessandro Tomella",
    "phone": "0374 480361",
    "pec": "associazioneilvolo@pec.it",
    "experience": "Doposcuola e sostegno alle famiglie.",
}


def _generate(tmp_path: Path, preset: str) -> Path:
    out = tmp_path / "modulo"
    result = CliRunner().invoke(cli, ["modulo", "--config", preset, "--out", str(out)])
    assert result.exit_code == 0, result.output
    spec = form_spec(load_settings(preset).ambito)
    assert result.output.splitlines()[0] == (
        f"Scritto {out / 'CreaModulo.gs'}: {len(spec.domande)} domande per l'{load_settings(preset).ambito.name}."
    )
    return out / "CreaModulo.gs"


def _answers(ambito: Ambito) -> dict[str, Any]:
    """A complete application ticking every area and every phase, keyed by the configured titles."""
    out: dict[str, Any] = {}
    for q in form_spec(ambito).domande:
        if q.field == "comune":
            out[q.titolo] = ambito.comuni[0].nome
        elif q.tipo == "caselle":
            out[q.titolo] = list(q.scelte)
        elif q.tipo == "elenco":
            out[q.titolo] = q.scelte[1]  # Associazione di promozione sociale (APS)
        else:
            out[q.titolo] = TEXT_ANSWERS[q.field]
    return out


@needs_node
@pytest.mark.parametrize("preset", PRESETS)
def test_the_form_built_from_each_preset_yields_answers_resolve_accepts(tmp_path: Path, preset: str) -> None:
    ambito = load_settings(preset).ambito
    script = _generate(tmp_path, preset)
    # submitted one day after the avviso opened (the stubs' clock), ticking every area
    now = ambito.opens.replace(tzinfo=UTC) + timedelta(days=1)
    done = run_apps_script(
        [script],
        now_ms=int(now.timestamp() * 1000),
        steps=[["creaModulo"], {"submit": _answers(ambito), "email": "info@ilvolo.it"}],
    )
    assert done["thrown"] == []
    form = done["forms"][0]
    spec = form_spec(ambito)
    assert form["collect_email"] is True
    assert form["title"] == spec.titolo and form["description"] == spec.descrizione
    assert [(i["type"], i["title"], i["required"], i["choices"]) for i in form["items"]] == [
        (
            {"testo": "TEXT", "paragrafo": "PARAGRAPH_TEXT", "caselle": "CHECKBOX", "elenco": "LIST"}[q.tipo],
            q.titolo,
            q.obbligatoria,
            list(q.scelte),
        )
        for q in spec.domande
    ]
    areas = next(i for i in form["items"] if i["title"] == ambito.questions.areas[0])
    assert areas["choices"] == [a.label for a in ambito.areas] and areas["required"] is True
    consent = next(i for i in form["items"] if i["title"] == ambito.questions.consent[0])
    assert consent["type"] == "CHECKBOX" and consent["required"] is True
    assert consent["help"] == ambito.form.privacy_notice and consent["choices"] == [ambito.form.consent_label]
    legal = next(i for i in form["items"] if i["title"] == ambito.questions.legal_form[0])
    assert legal["type"] == "LIST" and legal["choices"] == list(ambito.form.legal_forms)
    assert any("Foglio delle risposte (il foglio dello staff): " in line for line in done["console"])

    # the linked response sheet, exported as Google does, through `elenco resolve`
    grid = done["spreadsheets"][form["destination"]]["Risposte del modulo 1"]
    assert grid[0][:2] == ["Informazioni cronologiche", "Indirizzo email"]
    export = tmp_path / "risposte.csv"
    with export.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(grid)
    out = tmp_path / "esito.csv"
    result = CliRunner().invoke(cli, ["resolve", str(export), "--config", preset, "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["row"], r["status"], r["reasons"]) for r in rows] == [("2", "accepted", "")]
    assert not {"area_sconosciuta", "area_non_configurata", "fase_sconosciuta"} & set(
        rows[0]["warnings"].split(";")
    )
    parsed = parse_rows(grid, ambito)
    assert not parsed.columns.unknown and not parsed.columns.duplicates
    assert parsed.responses[0].areas == tuple(a.code for a in ambito.areas)
    assert compare_header(grid[0], ambito) == []


@needs_node
def test_creamodulo_links_an_existing_response_sheet(tmp_path: Path) -> None:
    script = _generate(tmp_path, "crema")
    done = run_apps_script(
        [script], spreadsheet={"id": "foglio-staff", "tabs": {}}, steps=[["creaModulo", "foglio-staff"]]
    )
    assert done["thrown"] == []
    assert done["result"] == {"modulo": done["forms"][0]["id"], "foglio": "foglio-staff"}
    assert done["forms"][0]["destination"] == "foglio-staff"


def test_the_script_refuses_a_template_without_its_marker() -> None:
    from sync.modulo import apps_script

    ambito = load_settings("crema").ambito
    with pytest.raises(ValueError, match="template without"):
        apps_script(form_spec(ambito), "var MODULO = null;", ambito)


def _header(ambito: Ambito) -> list[str]:
    return ["Informazioni cronologiche", "Indirizzo email", *(q.titolo for q in form_spec(ambito).domande)]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda h: h, []),
        (
            lambda h: [t for t in h if t != "Aree di interesse"],
            [
                (
                    "domanda_mancante_obbligatoria",
                    "Manca la domanda obbligatoria «Aree di interesse»: senza, nessuna risposta può essere "
                    "accettata. Aggiungerla al modulo con questo titolo o rigenerare il modulo con «elenco modulo».",
                )
            ],
        ),
        (
            lambda h: [t for t in h if t != "PEC dell'ente"],
            [("domanda_mancante", "Manca la domanda «PEC dell'ente» prevista dalla configurazione.")],
        ),
        (
            lambda h: ["Denominazione" if t == "Denominazione dell'ente" else t for t in h],
            [
                (
                    "titolo_diverso",
                    "La domanda «Denominazione» è riconosciuta, ma nella configurazione si chiama «Denominazione "
                    "dell'ente»: conviene usare lo stesso titolo.",
                )
            ],
        ),
        (
            lambda h: [*h, "Come ci avete conosciuto?"],
            [
                (
                    "domanda_non_configurata",
                    "La domanda «Come ci avete conosciuto?» del modulo non è nella configurazione: le sue "
                    "risposte non sono usate. Se serve, aggiungerne il titolo in `questions`.",
                )
            ],
        ),
        (
            lambda h: [t for t in h if t != "Indirizzo email"],
            [
                (
                    "email_non_raccolte",
                    "Il modulo non raccoglie gli indirizzi email (manca la colonna «Indirizzo email»): attivare "
                    "Impostazioni → Risposte → Raccogli indirizzi email.",
                )
            ],
        ),
    ],
)
def test_compare_header_names_each_difference(change: Any, expected: list[tuple[str, str]]) -> None:
    ambito = load_settings("crema").ambito
    got = compare_header(change(_header(ambito)), ambito)
    assert [(d.code, d.message) for d in got] == expected


def test_check_names_the_differences_and_fails_on_a_missing_required_question(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert CliRunner().invoke(cli, ["demo", "--dir", str(folder), "--organisations", "5"]).exit_code == 0
    config = str(folder / "elenco.yaml")
    ok = CliRunner().invoke(cli, ["check", "--config", config])
    assert ok.exit_code == 0, ok.output
    assert "Le domande del modulo corrispondono alla configurazione." in ok.output.splitlines()
    answers = folder / "risposte.csv"
    text = answers.read_text(encoding="utf-8")
    answers.write_text(text.replace('"Aree di interesse"', '"Aree tematiche preferite"', 1), encoding="utf-8")
    bad = CliRunner().invoke(cli, ["check", "--config", config])
    assert bad.exit_code == 1, bad.output
    lines = bad.output.splitlines()
    i = lines.index("Il modulo e la configurazione differiscono:")
    assert lines[i + 1 : i + 3] == [
        "  - Manca la domanda obbligatoria «Aree di interesse»: senza, nessuna risposta può essere accettata. "
        "Aggiungerla al modulo con questo titolo o rigenerare il modulo con «elenco modulo».",
        "  - La domanda «Aree tematiche preferite» del modulo non è nella configurazione: le sue risposte non "
        "sono usate. Se serve, aggiungerne il titolo in `questions`.",
    ]
