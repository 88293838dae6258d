"""`Statistiche` and `elenco statistiche`: counts equal the area tabs, `Risposte` and the rosters' marks."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sync.backends.xlsx import STAFF_FILE, excel_title
from sync.cli import cli
from sync.config import load_settings
from tests.fakes.sheets_api import SheetsFake
from tests.test_plenary import cernusco_rows
from tests.test_staff_habits import Desk, col

NOW = datetime(2019, 10, 3, 10, 0)
STATS = "Statistiche"
PLENARY = "Presenze plenaria"
AREAS = ("Benessere familiare", "Contrasto alla povertà", "Autonomie")
Grid = list[list[str]]


@pytest.fixture(params=["local", "google"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    if request.param == "local":
        yield Desk("local", tmp_path, cernusco_rows(), preset="cernusco")
        return
    with SheetsFake() as fake:
        yield Desk("google", tmp_path, cernusco_rows(), fake, preset="cernusco")
        assert fake.errors == []


def table(grid: Grid, name: str) -> list[list[str]]:
    return [[*r, "", "", "", "", ""][1:6] for r in grid[1:] if r and r[0] == name]


def mark(desk: Desk, title: str, column: str, marks: dict[int, str]) -> None:
    """Staff type attendance marks (row index → mark) in one meeting column of a roster."""
    roster = desk.tab(title)
    c = roster[0].index(column)
    for i, value in marks.items():
        row = [*roster[i], *[""] * (c + 1 - len(roster[i]))]
        row[c] = value
        desk.type_rows(title, [row], start_row=i)


def test_statistiche_counts_equal_the_area_tabs_the_responses_and_the_marks(desk: Desk) -> None:
    desk.sync(NOW)
    mark(desk, PLENARY, "11/09/2019 17:00", {1: "P", 2: "presente", 3: "A", 5: "x", 6: "assente"})
    mark(desk, "Presenze Autonomie", "02/10/2019 16:00", {1: "P", 2: "p"})
    desk.sync(NOW + timedelta(minutes=5))
    stats = desk.tab(STATS)
    assert stats[0] == ["Tabella", "Voce", "Dettaglio", "Numero", "Su", "Quota %"]

    areas = {t: desk.tab(t) for t in AREAS}
    ids = {i for g in areas.values() for i in col(g, "ID")}
    assert [r[:4] for r in table(stats, "Enti per area")] == [
        *([t, "", str(len(areas[t]) - 1), str(len(ids))] for t in AREAS),
        ["Enti nell'elenco", "", str(len(ids)), ""],
    ]
    # per comune and per legal form: each organisation once, whatever its areas
    first: dict[str, list[str]] = {}
    for g in areas.values():
        for r in g[1:]:
            first.setdefault(r[0], r)
    header = areas[AREAS[0]][0]
    for name, column in (
        ("Enti per comune", "Comune sede legale"),
        ("Enti per forma giuridica", "Forma giuridica"),
    ):
        want = Counter(r[header.index(column)] for r in first.values())
        assert {r[0]: int(r[2]) for r in table(stats, name)} == dict(want)
        counts = [int(r[2]) for r in table(stats, name)]
        assert counts == sorted(counts, reverse=True)

    # applications: the accepted rows of `Risposte`, by week from Monday and against the deadline
    deadline = load_settings("cernusco").ambito.deadline
    risposte = desk.tab("Risposte")
    sent = [
        datetime.strptime(t, "%d/%m/%Y %H:%M")
        for t, e in zip(col(risposte, "Inviata il"), col(risposte, "Esito"), strict=True)
        if e == "accettata"
    ]
    weeks: Counter[tuple[str, str]] = Counter()
    for t in sent:
        monday = (t - timedelta(days=t.weekday())).strftime("%d/%m/%Y")
        weeks[(f"settimana dal {monday}", "dopo la scadenza" if t > deadline else "entro la scadenza")] += 1
    assert {(r[0], r[1]): int(r[2]) for r in table(stats, "Domande per settimana")} == dict(weeks)
    late = sum(1 for t in sent if t > deadline)
    assert table(stats, "Domande rispetto alla scadenza") == [
        [
            "entro la scadenza (09/09/2019)",
            "",
            str(len(sent) - late),
            str(len(sent)),
            str(round(100 * (len(sent) - late) / len(sent))),
        ],
        ["dopo la scadenza", "", str(late), str(len(sent)), str(round(100 * late / len(sent)))],
    ]
    assert late > 0

    # attendance: marks P / presente / x count, A / assente do not; expected = the roster's organisations
    plenary = desk.tab(PLENARY)
    autonomie = desk.tab("Presenze Autonomie")
    assert table(stats, "Presenze per incontro") == [
        [
            "11/09/2019 17:00",
            "Tutte le aree",
            "3",
            str(len(plenary) - 1),
            str(round(300 / (len(plenary) - 1))),
        ],
        ["02/10/2019 16:00", "Benessere familiare", "0", str(len(areas["Benessere familiare"]) - 1), "0"],
        [
            "02/10/2019 16:00",
            "Contrasto alla povertà",
            "0",
            str(len(areas["Contrasto alla povertà"]) - 1),
            "0",
        ],
        [
            "02/10/2019 16:00",
            "Autonomie",
            "2",
            str(len(autonomie) - 1),
            str(round(200 / (len(autonomie) - 1))),
        ],
    ]
    # per organisation: held meetings (a column with any mark) it was expected at, and those it attended
    held: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for grid, label in ((plenary, "11/09/2019 17:00"), (autonomie, "02/10/2019 16:00")):
        c = grid[0].index(label)
        for r in grid[1:]:
            held[r[0]][1] += 1
            held[r[0]][0] += (r[c] if c < len(r) else "").casefold() in ("p", "presente", "x")
    got = {r[1]: [int(r[2]), int(r[3])] for r in table(stats, "Presenze per ente")}
    assert got == dict(held)
    assert sum(a for a, _ in got.values()) == 5

    # a sync with nothing new writes nothing
    assert desk.sync(NOW + timedelta(minutes=10)).report.cells_written == 0


def test_statistiche_numbers_are_typed(desk: Desk) -> None:
    desk.sync(NOW)
    if desk.kind == "local":
        ws = openpyxl.load_workbook(desk.folder / STAFF_FILE)[excel_title(STATS)]
        assert ws["D2"].data_type == "n" and isinstance(ws["D2"].value, int)
        assert ws["E2"].data_type == "n" and ws["B2"].data_type == "s"
    else:
        assert desk.fake is not None
        assert isinstance(desk.fake.raw_cell(desk.staff, STATS, "D2"), int | float)
        assert isinstance(desk.fake.raw_cell(desk.staff, STATS, "B2"), str)


def test_importing_the_webhook_and_the_pipeline_does_not_import_pandas() -> None:
    code = "import sys, webhook.app, sync.pipeline; print(sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("statistiche") / "demo"
    runner = CliRunner()
    result = runner.invoke(
        cli, ["demo", "--dir", str(folder), "--preset", "cernusco", "--organisations", "40"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["statistiche", "--config", str(folder / "elenco.yaml")])
    assert result.exit_code == 0, result.output
    path = folder / "statistiche" / "monitoraggio.html"
    assert result.output == f"Rapporto di monitoraggio scritto in {path}.\n"
    return folder, path.read_text(encoding="utf-8")


def test_the_report_is_self_contained_italian_html_with_described_charts(report: tuple[Path, str]) -> None:
    folder, page = report
    assert page.startswith('<!DOCTYPE html>\n<html lang="it">')
    assert "<h1>Monitoraggio della partecipazione</h1>" in page
    assert not re.search(r"<(script|link|iframe)\b", page)
    assert not re.search(r'(src|href)="(?!data:)', page)  # no external resource: images are embedded
    images = re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="([^"]+)">', page)
    assert len(images) == 4
    wb = openpyxl.load_workbook(folder / STAFF_FILE)
    counts = {t: wb[excel_title(t)].max_row - 1 for t in AREAS}
    assert images[0] == "Grafico «Enti per area»: " + "; ".join(f"{t} {counts[t]}" for t in AREAS) + "."


def test_the_report_holds_no_personal_data(report: tuple[Path, str]) -> None:
    folder, page = report
    ws = openpyxl.load_workbook(folder / STAFF_FILE)[excel_title("Elenco")]
    header = [c.value for c in ws[1]]
    personal = {"Referente", "Email", "PEC", "Telefono", "Indirizzo sede legale", "Codice fiscale"}
    values = {
        str(row[header.index(h)]) for row in ws.iter_rows(min_row=2, values_only=True) for h in personal
    } - {"None", ""}
    assert len(values) > 50
    assert [v for v in values if v in page] == []


def test_google_needs_an_out_folder_for_the_report(tmp_path: Path) -> None:
    config = tmp_path / "elenco.yaml"
    config.write_text(
        "preset: cernusco\nbackend:\n  kind: gsheets\n  staff_spreadsheet_id: '1234567890ab'\n"
        "  public_spreadsheet_id: '1234567890cd'\n  credentials: none\n  endpoint: http://127.0.0.1:9\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["statistiche", "--config", str(config)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Errore: Con Google Sheets indicare la cartella in cui scrivere il rapporto: --out CARTELLA."
    )


def test_organisations_per_area_and_category() -> None:
    from sync.parse import parse_rows
    from sync.resolve import resolve
    from sync.state import read_state
    from sync.statistics import render_statistics
    from sync.tipologia import label

    ambito = load_settings("cernusco").ambito
    resolution = resolve(parse_rows(cernusco_rows(), ambito).responses, [], read_state([]), ambito)
    orgs = resolution.organisations
    got = table(render_statistics(orgs, resolution.outcomes, ambito, [], {}), "Enti per area e tipologia")
    want: Counter[tuple[str, str]] = Counter(
        (a.tab, label(o.current.tipologia)) for a in ambito.areas for o in orgs if o.listed and a.code in o.areas
    )
    assert len({k[1] for k in want}) >= 2  # the demo holds more than one category
    assert {(r[0], r[1]): int(r[2]) for r in got} == dict(want)
    per_area = {a.tab: sum(1 for o in orgs if o.listed and a.code in o.areas) for a in ambito.areas}
    assert all(int(r[3]) == per_area[r[0]] for r in got)
    assert [r[0] for r in got] == sorted((r[0] for r in got), key=[a.tab for a in ambito.areas].index)
