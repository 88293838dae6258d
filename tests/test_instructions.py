"""The `Istruzioni` tab: every tab explained, one worked example per decision verb, kept by the machine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import openpyxl
import pytest

from sync import labels
from sync.config import load_settings
from sync.decisions import _VERBS, parse_decisions, plan
from sync.instructions import ISTRUZIONI, example_text, render_instructions
from sync.layouts import staff_specs
from tests.conftest import sample_rows
from tests.fakes.sheets_api import SheetsFake
from tests.test_staff_habits import Desk


def test_every_verb_the_parser_accepts_has_a_worked_example_that_applies() -> None:
    verbs = sorted(set(_VERBS.values()))
    assert sorted(labels.VERB_EXAMPLES) == verbs
    for verb in verbs:
        (target, value, reason), effect = labels.VERB_EXAMPLES[verb]
        assert effect
        grid = [list(labels.DECISION_HEADERS), [target, verb, value, reason, "", ""]]
        p = plan(parse_decisions(grid), rows={14: "f" * 16}, ids={"E-0002", "E-0005"})
        assert p.problems == [], (verb, [x.message for x in p.problems])
    assert example_text("Correggi") == (
        "ID ente o riga: E-0002 · Decisione: Correggi · Valore: Denominazione=Associazione Il Volo APS · "
        "Motivazione: refuso nel nome"
    )
    assert example_text("Accetta") == (
        "ID ente o riga: riga 14 · Decisione: Accetta · Motivazione: consenso consegnato per iscritto"
    )


def test_every_tab_of_the_staff_workbook_is_explained() -> None:
    ambito = load_settings("crema").ambito
    rows = render_instructions(ambito)
    assert rows[0] == list(labels.INSTRUCTIONS_HEADER)
    named = {r[0] for r in rows[1:]}
    areas = ", ".join(a.tab for a in ambito.areas)
    for spec in staff_specs(ambito):
        if spec.hidden:
            continue
        title = spec.title
        if title.startswith("Presenze "):
            title = "Presenze …"
        elif title in {a.tab for a in ambito.areas}:
            title = areas
        assert title in named, spec.title
    assert [r[0] for r in rows[-len(labels.VERBS) :]] == [f"Decisione «{v}»" for v in labels.VERBS]
    assert all(len(r) == 4 and r[2] for r in rows[1:])


@pytest.fixture(params=["local", "google"], scope="module")
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "local":
        yield Desk("local", tmp, sample_rows())
        return
    with SheetsFake() as fake:
        yield Desk("google", tmp, sample_rows(), fake)
        assert fake.errors == []


def test_the_sync_writes_istruzioni_and_repairs_it(desk: Desk) -> None:
    desk.sync()
    wanted = [[c for c in r] for r in render_instructions(desk.settings.ambito)]
    for r in wanted:
        while r and r[-1] == "":
            r.pop()
    assert desk.tab(ISTRUZIONI) == wanted
    assert desk.sync(datetime(2024, 5, 21, 9, 0)).report.cells_written == 0
    desk.type_rows(ISTRUZIONI, [["Scritto a mano", "", "", ""]], start_row=3)
    again = desk.sync(datetime(2024, 5, 21, 10, 0))
    assert desk.tab(ISTRUZIONI) == wanted
    assert list(again.report.tabs_changed) == [ISTRUZIONI]
    assert desk.sync(datetime(2024, 5, 21, 11, 0)).report.cells_written == 0


def test_istruzioni_prints_like_the_other_tabs(desk: Desk) -> None:
    desk.sync()
    if desk.kind != "local":
        assert desk.fake is not None
        sheet = desk.fake.sheet_properties(desk.staff, ISTRUZIONI)
        assert sheet["gridProperties"]["frozenRowCount"] == 1
        return
    ws = openpyxl.load_workbook(desk.folder / "elenco-interno.xlsx")[ISTRUZIONI]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    assert ws.column_dimensions["C"].width == 40 and ws["C2"].alignment.wrap_text


def test_the_readme_table_of_tabs_lists_every_staff_tab() -> None:
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("| scheda | chi la scrive |") :]
    section = section[: section.index("\n\n")]
    firsts = [line.split("|")[1].strip() for line in section.splitlines()[2:]]
    ambito = load_settings("crema").ambito
    for spec in staff_specs(ambito):
        if spec.hidden:
            continue
        if spec.title in {a.tab for a in ambito.areas}:
            assert "una scheda per area" in firsts
        elif spec.title.startswith("Presenze "):
            assert "`Presenze …`" in firsts
        else:
            assert any(f"`{spec.title}`" in cell for cell in firsts), spec.title


def test_rows_with_wrapped_text_are_tall_enough_to_print(tmp_path_factory: pytest.TempPathFactory) -> None:
    from sync.backends.xlsx import LINE_HEIGHT, wrapped_lines

    assert wrapped_lines("x" * 38, 40) == 1 and wrapped_lines("x" * 39, 40) == 2
    assert wrapped_lines("uno\ndue", 40) == 2
    desk = Desk("local", tmp_path_factory.mktemp("heights"), sample_rows())
    desk.sync()
    ws = openpyxl.load_workbook(desk.folder / "elenco-interno.xlsx")[ISTRUZIONI]
    lines = wrapped_lines(str(ws["C3"].value), ws.column_dimensions["C"].width)
    assert lines > 3 and ws.row_dimensions[3].height == LINE_HEIGHT * lines + 2
    elenco = openpyxl.load_workbook(desk.folder / "elenco-interno.xlsx")["Elenco"]
    for row in elenco.iter_rows(min_row=2):
        wrapped = [
            wrapped_lines(str(c.value), elenco.column_dimensions[c.column_letter].width)
            for c in row
            if c.value is not None and c.alignment.wrap_text
        ]
        tallest = max(wrapped, default=1)
        height = elenco.row_dimensions[row[0].row].height
        assert height == (LINE_HEIGHT * tallest + 2 if tallest > 1 else None), row[0].row
