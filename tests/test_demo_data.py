"""The synthetic form responses: shape, determinism, shares asked for, and agreement with the validator."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from datetime import datetime
from functools import partial

import pytest
from rapidfuzz import fuzz, process

from sync.comuni import index_for
from sync.config import FIELDS, Ambito, load_settings
from sync.demo_data import DemoSet, load_vocabulary, summary, to_csv_text, truth_csv_text
from sync.demo_data import generate as generate_with
from sync.model import Severity
from sync.parse import parse_rows, parse_timestamp
from sync.validate import check, check_tax_code

PRESETS = ("crema", "cremonese", "cernusco")
COLUMN = {f: i for i, f in enumerate(FIELDS)}
VOCABULARY = load_vocabulary()
FIRST_NAMES, SURNAMES = VOCABULARY.first_names, VOCABULARY.surnames
MAIL_PROVIDERS, PEC_DOMAINS = VOCABULARY.mail_providers, VOCABULARY.pec_domains
generate = partial(generate_with, vocabulary=VOCABULARY)


TIMESTAMP = re.compile(r"\d{2}/\d{2}/\d{4} \d{2}\.\d{2}\.\d{2}")


@pytest.fixture(scope="module")
def ambiti() -> dict[str, Ambito]:
    return {p: load_settings(p).ambito for p in PRESETS}


@pytest.fixture(scope="module")
def sets(ambiti: dict[str, Ambito]) -> dict[str, DemoSet]:
    return {p: generate(ambiti[p], 400, seed=7) for p in PRESETS}


@pytest.fixture(scope="module")
def large(ambiti: dict[str, Ambito]) -> DemoSet:
    return generate(ambiti["crema"], 3000, seed=11)


def codes(text: str) -> list[str]:
    return sorted(filter(None, text.split(";")))


# Determinism -----------------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_set(ambiti: dict[str, Ambito]) -> None:
    a = generate(ambiti["crema"], 150, seed=3)
    b = generate(ambiti["crema"], 150, seed=3)
    assert a == b
    assert to_csv_text(a) == to_csv_text(b)


def test_different_seeds_give_different_sets(ambiti: dict[str, Ambito]) -> None:
    a = generate(ambiti["crema"], 150, seed=3)
    b = generate(ambiti["crema"], 150, seed=4)
    assert a.rows != b.rows
    assert {r[COLUMN["name"]] for r in a.rows} != {r[COLUMN["name"]] for r in b.rows}


# Shape -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", PRESETS)
def test_header_is_the_forms_question_titles(
    preset: str, ambiti: dict[str, Ambito], sets: dict[str, DemoSet]
) -> None:
    ambito = ambiti[preset]
    assert sets[preset].header == [getattr(ambito.questions, f)[0] for f in FIELDS]
    assert len(sets[preset].header) == 15


@pytest.mark.parametrize("preset", PRESETS)
def test_rows_are_form_export_rows_sorted_by_time(preset: str, sets: dict[str, DemoSet]) -> None:
    demo = sets[preset]
    assert len(demo.rows) == len(demo.truth) > 400
    times: list[datetime] = []
    for row in demo.rows:
        assert len(row) == 15
        assert all(isinstance(cell, str) for cell in row)
        assert TIMESTAMP.fullmatch(row[COLUMN["timestamp"]])
        when = parse_timestamp(row[COLUMN["timestamp"]])
        assert when is not None
        times.append(when)
    assert times == sorted(times)
    assert [t["row"] for t in demo.truth] == [str(n) for n in range(2, len(demo.rows) + 2)]
    for t in demo.truth:
        assert set(t) == {"row", "entity", "expected", "reasons", "warnings"}
        assert re.fullmatch(r"E\d{5}", t["entity"])
        assert t["expected"] == ("rejected" if t["reasons"] else "accepted")


def test_checkbox_answers_are_labels_joined_with_comma_space(
    ambiti: dict[str, Ambito], sets: dict[str, DemoSet]
) -> None:
    ambito = ambiti["crema"]
    labels = [a.label for a in ambito.areas]
    assert any("," in label for label in labels)  # the case that makes splitting hard
    seen_comma_label = False
    for row in sets["crema"].rows:
        cell = row[COLUMN["areas"]]
        if not cell:
            continue
        rest = cell
        for label in labels:
            rest = rest.replace(label, "")
        assert set(rest) <= {",", " "}, cell
        seen_comma_label = seen_comma_label or "C) Adulti" in cell
    assert seen_comma_label


def test_csv_text_is_a_google_forms_export(sets: dict[str, DemoSet]) -> None:
    demo = sets["crema"]
    text = to_csv_text(demo)
    assert text.startswith('"Informazioni cronologiche","Indirizzo email",')
    assert text.endswith("\r\n")
    lines = text.split("\r\n")
    assert all(line.startswith('"') and line.endswith('"') for line in lines[:50] if line)
    assert list(csv.reader(io.StringIO(text, newline=""))) == [demo.header, *demo.rows]


def test_truth_csv_text_has_the_development_header(sets: dict[str, DemoSet]) -> None:
    demo = sets["cernusco"]
    rows = list(csv.DictReader(io.StringIO(truth_csv_text(demo))))
    assert rows == demo.truth


def test_no_organisations_gives_an_empty_set(ambiti: dict[str, Ambito]) -> None:
    demo = generate(ambiti["crema"], 0)
    assert demo.rows == [] and demo.truth == [] and len(demo.header) == 15


@pytest.mark.parametrize(
    ("late", "problems", "repeats"), [(1.5, 0.1, 0.3), (0.1, -0.1, 0.3), (0.1, 0.1, 2.0)]
)
def test_shares_outside_zero_one_are_refused(
    ambiti: dict[str, Ambito], late: float, problems: float, repeats: float
) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        generate(ambiti["crema"], 10, late_share=late, problem_share=problems, repeat_share=repeats)


# The truth follows the product's rules ------------------------------------------------------------------


@pytest.mark.parametrize("preset", PRESETS)
def test_parsing_and_validating_gives_the_truth(
    preset: str, ambiti: dict[str, Ambito], sets: dict[str, DemoSet]
) -> None:
    ambito, demo = ambiti[preset], sets[preset]
    parsed = parse_rows([demo.header, *demo.rows], ambito)
    assert [r.row for r in parsed.responses] == [int(t["row"]) for t in demo.truth]
    comuni = index_for(ambito)
    wrong = []
    for response, truth in zip(parsed.responses, demo.truth, strict=True):
        checked = check(response, ambito, comuni)
        got = (
            "accepted" if checked.accepted else "rejected",
            sorted(p.code for p in checked.problems if p.severity is Severity.BLOCKING),
            sorted(p.code for p in checked.problems if p.severity is Severity.WARNING),
        )
        want = (truth["expected"], codes(truth["reasons"]), codes(truth["warnings"]))
        if got != want:
            wrong.append((truth["row"], response.name, response.tax_code, response.comune, got, want))
    assert wrong == []


# regression: a final two-letter word ("Po", "L.do") is part of the name, not a province
@pytest.mark.parametrize(
    ("preset", "typed"), [("cremonese", "San Daniele Po (CR)"), ("cernusco", "Bellinzago L.do (MI)")]
)
def test_comune_ending_in_a_two_letter_word_with_province_is_in_the_ambito(
    preset: str, typed: str, ambiti: dict[str, Ambito]
) -> None:
    assert index_for(ambiti[preset]).resolve(typed).in_ambito


def test_same_valid_tax_code_always_means_the_same_organisation(large: DemoSet) -> None:
    owner: dict[str, str] = {}
    codes_of: dict[str, set[str]] = defaultdict(set)
    for row, truth in zip(large.rows, large.truth, strict=True):
        code, _, error = check_tax_code(row[COLUMN["tax_code"]])
        if row[COLUMN["tax_code"]].strip() and not error:
            assert owner.setdefault(code, truth["entity"]) == truth["entity"]
            codes_of[truth["entity"]].add(code)
    # a partita IVA typed instead of the codice fiscale: two valid codes for one organisation
    assert sum(1 for c in codes_of.values() if len(c) > 1) >= 10


# Realism ---------------------------------------------------------------------------------------------------


def test_shares_are_as_asked(large: DemoSet) -> None:
    figures = summary(large)
    rows = figures["rows"]
    assert figures["organisations"] == 3000
    assert figures["repeating_organisations"] == 900  # repeat_share 0.3 of the organisations
    assert 1.3 < rows / 3000 < 1.42  # 2 or 3 answers each: about 27,000 rows for 20,000 organisations
    assert figures["warning:oltre_scadenza"] == round(0.15 * rows)
    # crema requires a tax code: every injected problem blocks, and only they do
    assert figures["rejected"] == round(0.06 * rows)
    per_row = Counter(len(codes(t["reasons"])) for t in large.truth)
    assert per_row[2] > 0  # a few rows have two problems
    for code in (
        "consenso_mancante",
        "denominazione_mancante",
        "nessuna_area",
        "email_non_valida",
        "invio_di_prova",
        "cf_mancante",
        "cf_non_valido",
    ):
        assert figures[f"reason:{code}"] >= 10, code
    for code in ("comune_fuori_ambito", "comune_sconosciuto", "runts_mancante", "oltre_scadenza"):
        assert figures[f"warning:{code}"] >= 10, code
    assert 0.02 < figures["warning:comune_fuori_ambito"] / rows < 0.09


def test_shares_can_be_turned_off(ambiti: dict[str, Ambito]) -> None:
    demo = generate(ambiti["crema"], 200, late_share=0, problem_share=0, repeat_share=0)
    assert len(demo.rows) == 200
    assert all(t["expected"] == "accepted" for t in demo.truth)
    assert not any("oltre_scadenza" in t["warnings"] for t in demo.truth)


def test_optional_tax_code_problems_are_warnings(sets: dict[str, DemoSet]) -> None:
    figures = summary(sets["cremonese"])
    assert not any(k in figures for k in ("reason:cf_mancante", "reason:cf_non_valido"))
    assert figures["warning:cf_mancante"] > 0
    assert "warning:runts_mancante" not in figures  # cremonese does not require RUNTS


def test_late_answers_come_after_the_deadline_with_the_after_deadline_phase_only(
    ambiti: dict[str, Ambito], sets: dict[str, DemoSet]
) -> None:
    ambito = ambiti["crema"]
    late_label = ", ".join(p.label for p in ambito.phases if p.after_deadline)
    on_time_phases: Counter[str] = Counter()
    for row, truth in zip(sets["crema"].rows, sets["crema"].truth, strict=True):
        when = parse_timestamp(row[COLUMN["timestamp"]])
        assert when is not None
        if "oltre_scadenza" in truth["warnings"]:
            assert when > ambito.deadline
            assert row[COLUMN["phases"]] == late_label
        else:
            assert ambito.opens <= when <= ambito.deadline
            on_time_phases[row[COLUMN["phases"]]] += 1
    assert len(on_time_phases) > 1


def test_repeated_applications_are_spelt_differently(large: DemoSet) -> None:
    by_entity: dict[str, list[list[str]]] = defaultdict(list)
    for row, truth in zip(large.rows, large.truth, strict=True):
        by_entity[truth["entity"]].append(row)
    repeated = [rows for rows in by_entity.values() if len(rows) > 1]
    assert len(repeated) == 900
    names_differ = sum(1 for rows in repeated if len({r[COLUMN["name"]] for r in rows}) > 1)
    codes_differ = sum(1 for rows in repeated if len({r[COLUMN["tax_code"]] for r in rows}) > 1)
    areas_differ = sum(1 for rows in repeated if len({r[COLUMN["areas"]] for r in rows}) > 1)
    contact_differ = sum(1 for rows in repeated if len({r[COLUMN["contact_name"]] for r in rows}) > 1)
    assert names_differ > 0.3 * len(repeated)
    assert codes_differ > 0.15 * len(repeated)
    assert areas_differ > 0.25 * len(repeated)
    assert contact_differ > 0.05 * len(repeated)
    names = " ".join(r[COLUMN["name"]] for r in large.rows)
    for variant in ("«", "\u201c", '"', "O.d.V.", "Organizzazione di Volontariato", "S.C.S.", "A.S.D.", "  "):
        assert variant in names, variant
    typed_codes = [r[COLUMN["tax_code"]] for r in large.rows]
    assert any(c.startswith("IT") for c in typed_codes)
    assert any(re.fullmatch(r"\d{3} \d{4} \d{4}", c) for c in typed_codes)
    comuni = [r[COLUMN["comune"]] for r in large.rows]
    assert any(c.endswith("(CR)") for c in comuni) and any(c.isupper() for c in comuni)


def test_there_are_distinct_but_similar_organisations(sets: dict[str, DemoSet]) -> None:
    first_name: dict[str, str] = {}
    for row, truth in zip(sets["crema"].rows, sets["crema"].truth, strict=True):
        if row[COLUMN["name"]].strip():
            first_name.setdefault(truth["entity"], row[COLUMN["name"]].strip().casefold())
    entities = list(first_name)
    names = [first_name[e] for e in entities]
    close_pairs = [
        (i, j)
        for i, name in enumerate(names)
        for _, _, j in process.extract(name, names, scorer=fuzz.ratio, score_cutoff=85, limit=None)
        if j > i
    ]
    assert len(close_pairs) >= 5
    chains = Counter(
        n.split()[0] for n in names if n.split()[0] in {"auser", "avis", "aido", "anteas", "acli"}
    )
    assert any(count > 1 for count in chains.values())  # the same network in two comuni


def test_free_text_that_looks_like_a_formula(sets: dict[str, DemoSet]) -> None:
    cells = [
        r[COLUMN[f]]
        for r in sets["crema"].rows + sets["cremonese"].rows
        for f in ("experience", "address", "phone")
    ]
    starts = Counter(c[0] for c in cells if c and c[0] in "=+-@")
    assert starts["="] > 0 and starts["+"] > 0 and starts["-"] > 0


@pytest.mark.parametrize("preset", PRESETS)
def test_contact_data_is_synthetic(preset: str, ambiti: dict[str, Ambito], sets: dict[str, DemoSet]) -> None:
    ambito = ambiti[preset]
    test_domains = {e.rsplit("@", 1)[1] for e in ambito.test_emails}
    for row, truth in zip(sets[preset].rows, sets[preset].truth, strict=True):
        first, _, last = row[COLUMN["contact_name"]].partition(" ")
        assert first in FIRST_NAMES and last in SURNAMES
        email = row[COLUMN["email"]]
        if "email_non_valida" not in truth["reasons"]:
            assert email.rsplit("@", 1)[1].casefold() in {*MAIL_PROVIDERS, *test_domains}, email
        pec = row[COLUMN["pec"]]
        if pec and "pec_non_valida" not in truth["warnings"]:
            assert pec.rsplit("@", 1)[1] in PEC_DOMAINS
