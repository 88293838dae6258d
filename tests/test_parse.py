"""Form sheet parsing: titles, aliases, missing questions, timestamps, checkboxes, hostile cells."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sync.config import Settings
from sync.errors import ConfigError
from sync.parse import LIST_SEPARATOR, MAX_CELL, clean_text, parse_rows, parse_timestamp, split_choices
from tests.conftest import HEADER, make_row


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("03/04/2024 11.09.13", datetime(2024, 4, 3, 11, 9, 13)),
        ("3/4/2024 9.05.00", datetime(2024, 4, 3, 9, 5)),
        ("03/04/2024 11:09:13", datetime(2024, 4, 3, 11, 9, 13)),
        ("03/04/2024", datetime(2024, 4, 3)),
        ("2024-04-03T11:09:13", datetime(2024, 4, 3, 11, 9, 13)),
        (datetime(2024, 4, 3, 11, 9, 13), datetime(2024, 4, 3, 11, 9, 13)),
        (45385.5, datetime(2024, 4, 3, 12, 0)),
        ("31/02/2024 10.00.00", None),
        ("ieri", None),
        ("", None),
    ],
)
def test_timestamps(value: object, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected


def test_checkbox_labels_with_commas_split_against_the_options(crema: Settings) -> None:
    options = [(a.code, a.label) for a in crema.ambito.areas]
    cell = (
        "A) Minori e Famiglia, C) Adulti e povertà (Contrasto alla povertà e marginalità, Politiche per il "
        "lavoro, Politiche abitative), D) Innovazione e giovani"
    )
    assert split_choices(cell, options) == (("A", "C", "D"), ())
    assert split_choices("D) Innovazione e giovani, Altro: sport", options) == (("D",), ("Altro: sport",))
    assert split_choices(
        f"a) minori e famiglia{LIST_SEPARATOR}B) Fragilità (Anziani e Persone con disabilità)", options
    ) == (("A", "B"), ())


def test_titles_are_matched_after_normalisation(crema: Settings, row: Callable[..., list[str]]) -> None:
    header = [h.upper().replace("'", "\u2019") + " :" for h in HEADER]
    parsed = parse_rows([header, row()], crema.ambito)
    assert parsed.responses[0].name == "Associazione Il Volo APS"
    assert parsed.columns.unknown == ()


def test_aliases_and_extra_columns(crema: Settings, row: Callable[..., list[str]]) -> None:
    header = ["Timestamp", "Email Address", *HEADER[2:], "Note interne"]
    parsed = parse_rows([header, [*row(), "x"]], crema.ambito)
    assert parsed.responses[0].email == "info@ilvolo.it"
    assert parsed.columns.unknown == ("Note interne",)


def test_a_renamed_required_question_names_it_and_the_closest_header(crema: Settings) -> None:
    header = [h if h != "Codice fiscale dell'ente" else "Cod. fiscale ente" for h in HEADER]
    with pytest.raises(ConfigError) as err:
        parse_rows([header], crema.ambito)
    assert str(err.value) == (
        "Il foglio delle risposte non ha tutte le domande richieste: manca la domanda «Codice fiscale dell'ente». "
        "La colonna più simile è «Cod. fiscale ente». Se la domanda è stata rinominata, aggiungere il nuovo "
        "titolo in `questions` nella configurazione."
    )


def test_empty_sheet(crema: Settings) -> None:
    with pytest.raises(ConfigError, match="Il foglio delle risposte è vuoto"):
        parse_rows([], crema.ambito)


def test_header_only_and_blank_rows(crema: Settings) -> None:
    assert parse_rows([HEADER], crema.ambito).responses == []
    assert parse_rows([HEADER, ["", " "], []], crema.ambito).responses == []


def test_duplicate_headers_take_the_first_non_empty_answer(
    crema: Settings, row: Callable[..., list[str]]
) -> None:
    header = [*HEADER, "Codice fiscale dell'ente"]
    values = row(tax_code="")
    parsed = parse_rows([header, [*values, "91910830198"]], crema.ambito)
    assert parsed.responses[0].tax_code == "91910830198"
    assert parsed.columns.duplicates == ("Codice fiscale dell'ente",)


def test_blank_header_columns_are_ignored(crema: Settings, row: Callable[..., list[str]]) -> None:
    parsed = parse_rows([[*HEADER, ""], [*row(), "stray"]], crema.ambito)
    assert len(parsed.responses) == 1
    assert parsed.columns.unknown == ()


def test_identifiers_stay_text(crema: Settings, row: Callable[..., list[str]]) -> None:
    parsed = parse_rows([HEADER, row(tax_code="00743110157", phone="0373 530551")], crema.ambito)
    assert parsed.responses[0].tax_code == "00743110157"
    assert parsed.responses[0].phone == "0373 530551"


def test_short_rows_and_huge_or_hostile_cells(crema: Settings, row: Callable[..., list[str]]) -> None:
    long = "x" * 50_000
    parsed = parse_rows(
        [HEADER, row()[:5], row(experience=long, name="Ente\x00\x07 \u202eRTL\u202c 🎉")], crema.ambito
    )
    short, hostile = parsed.responses
    assert short.comune == "" and short.areas == ()
    assert len(hostile.experience) == MAX_CELL
    assert parsed.truncated == {3: ["experience"]}
    assert "\x00" not in hostile.name and "🎉" in hostile.name


def test_fingerprints_ignore_position_and_tell_identical_twins_apart(
    crema: Settings, row: Callable[..., list[str]]
) -> None:
    a = parse_rows([HEADER, row(), row()], crema.ambito).responses
    b = parse_rows([HEADER, ["x"] * 0, row()], crema.ambito).responses
    assert a[0].fingerprint != a[1].fingerprint
    assert a[0].fingerprint == b[0].fingerprint


def test_clean_text() -> None:
    assert clean_text("  a\u00a0 b\t\x0bc ") == "a b c"
    assert clean_text(None) == ""
    assert clean_text(7) == "7"


@pytest.mark.parametrize(
    ("cells", "us"),
    [
        (["4/20/2024 2:41:12 PM", "4/3/2024 9:00:00 AM"], True),
        (["4/20/2024 14:41:12", "4/3/2024 09:00:00"], True),
        (["4/3/2024 9:00:00 AM"], True),
        (["03/04/2024 11.09.13", "05/04/2024 10.00.00"], False),  # ambiguous: read the Italian way
        (["20/04/2024 14.41.12", "4/20/2024 14:41:12"], False),  # day first somewhere: Italian
        (["2024-04-20T14:41:12", ""], False),
    ],
)
def test_month_first_files_are_recognised(cells: list[object], us: bool) -> None:
    from sync.parse import month_first

    assert month_first(cells) is us


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4/20/2024 2:41:12 PM", datetime(2024, 4, 20, 14, 41, 12)),
        ("4/3/2024 12:05:00 AM", datetime(2024, 4, 3, 0, 5)),
        ("4/3/2024 12:05:00 PM", datetime(2024, 4, 3, 12, 5)),
        ("4/3/2024 9:05 a.m.", datetime(2024, 4, 3, 9, 5)),
        ("4/3/2024 13:05:00 PM", None),
        ("4/31/2024 10:00:00", None),
    ],
)
def test_month_first_timestamps(value: str, expected: datetime | None) -> None:
    assert parse_timestamp(value, us=True) == expected


def test_a_us_locale_export_is_read_month_first_with_one_warning(crema: Settings) -> None:
    rows = [HEADER, make_row(timestamp="4/20/2024 2:41:12 PM"), make_row(timestamp="4/3/2024 9:05:00 AM")]
    parsed = parse_rows(rows, crema.ambito)
    assert parsed.month_first
    assert [r.submitted_at for r in parsed.responses] == [
        datetime(2024, 4, 20, 14, 41, 12),
        datetime(2024, 4, 3, 9, 5),
    ]


# The areas exactly as each avviso's form labels them (reference/ambiti.yaml, `aree`).
AVVISO_AREAS = {
    "crema": [
        "A) Minori e Famiglia",
        "B) Fragilità (Anziani e Persone con disabilità)",
        "C) Adulti e povertà (Contrasto alla povertà e marginalità, Politiche per il lavoro, Politiche abitative)",
        "D) Innovazione e giovani",
    ],
    "cremonese": [
        "1) Contrasto alla povertà e all'emarginazione sociale e promozione dell'inclusione attiva",
        "2) Politiche abitative",
        "3) Interventi connessi alle politiche per il lavoro",
        "4) Non autosufficienti e famiglie - anziani",
        "5) Non autosufficienti e famiglie - persone con disabilità",
        "6) Minori, famiglie e giovani",
    ],
    "cernusco": [
        "Area Promozione del benessere familiare",
        "Area Contrasto alla povertà",
        "Area Promozione delle autonomie",
    ],
}


@pytest.mark.parametrize("preset", sorted(AVVISO_AREAS))
def test_presets_carry_the_avviso_wording_and_every_answer_splits_by_it(preset: str) -> None:
    from sync.config import load_settings
    from sync.parse import area_options

    ambito = load_settings(preset).ambito
    assert [a.label for a in ambito.areas] == AVVISO_AREAS[preset]
    options = area_options(ambito)
    codes = tuple(a.code for a in ambito.areas)
    labels = AVVISO_AREAS[preset]
    # every combination a form export writes: labels joined by ", " (commas inside labels included)
    assert split_choices(", ".join(labels), options) == (codes, ())
    assert split_choices(LIST_SEPARATOR.join(reversed(labels)), options) == (codes, ())
    for area in ambito.areas:
        assert split_choices(area.tab, options) == ((area.code,), ())
        assert split_choices(area.label.upper(), options) == ((area.code,), ())


@pytest.mark.parametrize(
    ("preset", "cell", "codes", "unknown"),
    [
        ("cremonese", "6) Minori, famiglie e giovani, 2) Politiche abitative", ("2", "6"), ()),
        ("cremonese", "Minori, famiglie e giovani", ("6",), ()),  # the label without its number
        ("cremonese", "1), 3)", ("1", "3"), ()),  # numbers only
        ("cremonese", "2) Politiche abitativ", ("2",), ()),  # cut short by an export
        ("cremonese", "Politiche abitatve, Sport, tempo libero", ("2",), ("Sport, tempo libero",)),
        ("crema", "A, D", ("A", "D"), ()),  # codes
        ("crema", "Fragilità, Innovazione e giovani", ("B", "D"), ()),  # tab names
        ("crema", "D) Innovazione e giovan", ("D",), ()),
        (
            "cernusco",
            "Area Promozione del benessere familiare: famiglie, minori e giovani, Area Contrasto alla povertà",
            ("benessere", "poverta"),
            (),
        ),  # the avviso's description after the label, commas and all
        ("cernusco", "Promozione delle autonomie", ("autonomie",), ()),
        ("cernusco", "Area Cultura, sport e tempo libero", (), ("Area Cultura, sport e tempo libero",)),
    ],
)
def test_options_are_recognised_as_people_write_them(
    preset: str, cell: str, codes: tuple[str, ...], unknown: tuple[str, ...]
) -> None:
    from sync.config import load_settings
    from sync.parse import area_options

    assert split_choices(cell, area_options(load_settings(preset).ambito)) == (codes, unknown)


def test_an_area_answer_the_configuration_does_not_know_is_a_set_up_problem(crema: Settings) -> None:
    from sync.model import Severity
    from sync.validate import check

    response = parse_rows([HEADER, make_row(areas="Area Sport e tempo libero")], crema.ambito).responses[0]
    checked = check(response, crema.ambito)
    assert checked.accepted
    assert [(p.code, p.severity, p.message) for p in checked.problems] == [
        (
            "area_non_configurata",
            Severity.WARNING,
            "La risposta «Area Sport e tempo libero» alla domanda sulle aree non corrisponde a nessuna area della "
            "configurazione: probabilmente il modulo usa una dicitura diversa. Aggiungerla in `wording` dell'area "
            "giusta nella configurazione, oppure «Correggi» con Valore «Aree=…». La domanda non è stata respinta.",
        )
    ]
    wider = crema.ambito.model_copy(
        update={
            "areas": tuple(
                a.model_copy(update={"wording": ("Area Sport e tempo libero",)}) if a.code == "D" else a
                for a in crema.ambito.areas
            )
        }
    )
    assert parse_rows([HEADER, make_row(areas="Area Sport e tempo libero")], wider).responses[0].areas == (
        "D",
    )


# -- the plan a header and an Ambito make is kept, and follows both -----------------------------------------------


def test_a_header_seen_again_reuses_its_plan_and_a_changed_header_gets_its_own(
    crema: Settings, row: Callable[..., list[str]]
) -> None:
    first = parse_rows([HEADER, row()], crema.ambito)
    assert parse_rows([list(HEADER), row()], crema.ambito).columns is first.columns  # an equal header: kept
    # the same answers under a header whose name and tax-code columns swapped places: read by the new header
    swapped = list(HEADER)
    swapped[2], swapped[3] = swapped[3], swapped[2]
    again = parse_rows([swapped, row()], crema.ambito).responses[0]
    assert (again.name, again.tax_code) == ("91910830198", "Associazione Il Volo APS")
    # a column added: reported, and the original header still reads as before
    extra = parse_rows([[*HEADER, "Note interne"], [*row(), "x"]], crema.ambito)
    assert extra.columns.unknown == ("Note interne",)
    assert parse_rows([HEADER, row()], crema.ambito).columns.unknown == ()


def test_changed_settings_are_a_new_plan(crema: Settings, row: Callable[..., list[str]]) -> None:
    ambito = crema.ambito
    cell = "Sport e tempo libero, A) Minori e Famiglia"
    before = parse_rows([HEADER, row(areas=cell)], ambito).responses[0]
    assert (before.areas, before.unknown_areas) == (("A",), ("Sport e tempo libero",))
    # an area's wording added: the same header and row now name it
    areas = (ambito.areas[0], ambito.areas[1].model_copy(update={"wording": ("Sport e tempo libero",)}),
             *ambito.areas[2:])
    worded = ambito.model_copy(update={"areas": areas})
    after = parse_rows([HEADER, row(areas=cell)], worded).responses[0]
    assert (after.areas, after.unknown_areas) == (("A", ambito.areas[1].code), ())
    # a question renamed in the settings: the old title is no longer the name's column
    renamed = ambito.model_copy(update={"questions": ambito.questions.model_copy(update={"name": ("Nome ente",)})})
    with pytest.raises(ConfigError, match="manca la domanda «Nome ente»"):
        parse_rows([HEADER, row()], renamed)
    # and the first settings still read as they did
    assert parse_rows([HEADER, row(areas=cell)], ambito).responses[0].unknown_areas == ("Sport e tempo libero",)


def test_a_failed_header_is_refused_every_time(crema: Settings) -> None:
    header = [h for h in HEADER if h != "Codice fiscale dell'ente"]
    for _ in range(2):
        with pytest.raises(ConfigError, match="manca la domanda «Codice fiscale dell'ente»"):
            parse_rows([header], crema.ambito)


@pytest.mark.parametrize(
    "cells",
    [
        [1, 1.0, True],
        [None, "", " "],
        # the same instant, written in two time zones: equal datetimes, other titles
        [datetime(2024, 4, 3, 12, tzinfo=UTC), datetime(2024, 4, 3, 13, tzinfo=timezone(timedelta(hours=1)))],
    ],
)
def test_headers_of_equal_values_but_other_titles_keep_their_own_titles(
    crema: Settings, row: Callable[..., list[str]], cells: list[object]
) -> None:
    # 1 == 1.0 == True as keys of a dict: each header must still report its own titles
    for cell in cells:
        parsed = parse_rows([[*HEADER, cell], [*row(), "x"]], crema.ambito)
        title = clean_text(cell)
        assert parsed.columns.unknown == ((str(cell),) if title else ())


def test_the_kept_plans_are_bounded(crema: Settings, row: Callable[..., list[str]]) -> None:
    from sync import parse

    for i in range(parse.MAX_PLANS + 5):
        parse_rows([[*HEADER, f"Colonna {i}"], row()], crema.ambito)
        assert len(parse._PLANS) <= parse.MAX_PLANS
    assert parse_rows([[*HEADER, "Colonna 0"], row()], crema.ambito).columns.unknown == ("Colonna 0",)
