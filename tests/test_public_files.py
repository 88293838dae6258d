"""The public files of a real local sync: open data (frictionless, pandas), the PDF, the HTML, and privacy."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import frictionless
import openpyxl
import pandas as pd
import pypdf
import pytest

from sync.backends.memory import MemoryStore
from sync.backends.xlsx import XlsxStore
from sync.config import Settings
from sync.demo_data import generate, load_vocabulary, to_csv_text
from sync.pipeline import run_sync
from sync.public_files import html_bytes, long_date, long_date_time, pdf_bytes
from sync.public_list import FIELDS, build_public_list, csv_bytes, parse_updated
from tests.conftest import HEADER, make_row

NOW = datetime(2024, 5, 20, 10, 30)
PUBLIC = (
    "elenco-pubblico.html",
    "elenco-pubblico.pdf",
    "elenco-pubblico.csv",
    "elenco-pubblico.json",
    "datapackage.json",
)


@dataclass
class Demo:
    """A local folder after a sync of generated responses, with the personal data those responses hold."""

    folder: Path
    names: set[str]
    phones: set[str]
    emails: set[str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, crema: Settings) -> Demo:
    folder = tmp_path_factory.mktemp("pubblico")
    data = generate(crema.ambito, 120, vocabulary=load_vocabulary(), seed=7)
    (folder / "risposte.csv").write_text(to_csv_text(data), encoding="utf-8")
    run_sync(XlsxStore(folder), crema, NOW)
    q = crema.ambito.questions
    col = {name: data.header.index(getattr(q, name)[0]) for name in ("contact_name", "phone", "email")}
    names = {r[col["contact_name"]].strip() for r in data.rows if len(r[col["contact_name"]].strip()) > 5}
    phones = {r[col["phone"]].strip() for r in data.rows if len(re.sub(r"\D", "", r[col["phone"]])) >= 6}
    emails = {r[col["email"]].strip().casefold() for r in data.rows if "@" in r[col["email"]]}
    return Demo(folder, names, phones, emails)


def public_list_rows(folder: Path) -> list[list[str]]:
    """The public workbook's `Elenco` tab: what staff and the public see in spreadsheets."""
    wb = openpyxl.load_workbook(folder / "elenco-pubblico.xlsx", read_only=True)
    try:
        # dates are real dates (typed cells): compared as the dd/mm/yyyy a person sees
        return [
            [c.strftime("%d/%m/%Y") if isinstance(c, datetime) else "" if c is None else c for c in row]
            for row in wb["Elenco"].iter_rows(values_only=True)
        ]
    finally:
        wb.close()


def test_a_sync_writes_every_public_file_and_an_idle_sync_rewrites_none(demo: Demo, crema: Settings) -> None:
    for name in PUBLIC:
        assert (demo.folder / name).stat().st_size > 0, name
    before = {n: (demo.folder / n).read_bytes() for n in PUBLIC}
    again = XlsxStore(demo.folder)
    run_sync(again, crema, datetime(2024, 5, 21, 8, 0))
    assert again.files_written == 0
    assert {n: (demo.folder / n).read_bytes() for n in PUBLIC} == before


# -- open data ------------------------------------------------------------------------------------------------


def test_frictionless_validates_the_data_package(demo: Demo) -> None:
    report = frictionless.validate(demo.folder / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.stats["tasks"] == 1


@pytest.mark.parametrize(
    ("column", "value", "error"),
    [
        ("data_iscrizione", "20/05/2024", "type-error"),
        ("codice_fiscale", "RSSMRA80A01H501U", "constraint-error"),
        ("id", "X-1", "constraint-error"),
    ],
)
def test_frictionless_finds_a_broken_csv(
    demo: Demo, tmp_path: Path, column: str, value: str, error: str
) -> None:
    # the check above can fail: the same package over a CSV with one wrong cell is invalid
    for name in ("datapackage.json", "elenco-pubblico.csv"):
        (tmp_path / name).write_bytes((demo.folder / name).read_bytes())
    text = (tmp_path / "elenco-pubblico.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    rows[1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    (tmp_path / "elenco-pubblico.csv").write_text(out.getvalue(), encoding="utf-8-sig")
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert not report.valid
    assert [e[0] for e in report.flatten(["type"])] == [error]


def test_data_package_metadata(demo: Demo, crema: Settings) -> None:
    package = json.loads((demo.folder / "datapackage.json").read_text(encoding="utf-8"))
    assert package["title"] == "Elenco degli enti del Terzo Settore - Ambito territoriale di Crema"
    assert package["licenses"] == [
        {
            "name": "CC BY 4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": "Creative Commons Attribuzione 4.0 Internazionale",
        }
    ]
    assert package["contributors"] == [{"title": "Comune di Crema", "role": "publisher"}]
    assert package["created"] == package["last_updated"] == "2024-05-20T10:30:00+02:00"
    resource = package["resources"][0]
    assert (resource["path"], resource["dialect"]["delimiter"], resource["encoding"]) == (
        "elenco-pubblico.csv",
        ";",
        "utf-8-sig",
    )
    fields = resource["schema"]["fields"]
    assert [f["name"] for f in fields] == [
        "id",
        "denominazione",
        "forma_giuridica",
        "codice_fiscale",
        "numero_runts",
        "comune_sede_legale",
        "provincia",
        "aree_tematiche",
        "data_iscrizione",
        "stato",
        "tipologia",
    ]
    assert {f["name"]: f["type"] for f in fields if f["type"] != "string"} == {"data_iscrizione": "date"}
    assert fields[3]["title"] == "Codice fiscale" and fields[3]["constraints"] == {"pattern": "[0-9]{11}"}


def test_csv_for_italian_excel_and_for_pandas(demo: Demo) -> None:
    raw = (demo.folder / "elenco-pubblico.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the accents as UTF-8
    first = raw[3:].split(b"\r\n", 1)[0].decode()
    assert first == ";".join(f.name for f in FIELDS)
    package = json.loads((demo.folder / "datapackage.json").read_text(encoding="utf-8"))
    fields = package["resources"][0]["schema"]["fields"]
    frame = pd.read_csv(
        demo.folder / "elenco-pubblico.csv",
        sep=";",
        encoding="utf-8-sig",
        dtype={f["name"]: "string" for f in fields if f["type"] == "string"},
        parse_dates=[f["name"] for f in fields if f["type"] == "date"],
        date_format="ISO8601",
        keep_default_na=False,
    )
    assert str(frame["data_iscrizione"].dtype).startswith("datetime64")
    # the same organisations, in the same order, as the public workbook; dates in ISO, codes kept as text
    sheet = public_list_rows(demo.folder)
    header = sheet[0]
    assert frame["id"].tolist() == [r[header.index("ID")] for r in sheet[1:]]
    assert frame["codice_fiscale"].tolist() == [r[header.index("Codice fiscale")] for r in sheet[1:]]
    assert any(code.startswith("0") for code in frame["codice_fiscale"])  # leading zeros survive
    italian = [r[header.index("Iscritto dal")] for r in sheet[1:]]
    assert frame["data_iscrizione"].dt.strftime("%d/%m/%Y").tolist() == italian
    assert frame["aree_tematiche"].tolist() == [
        r[header.index("Aree tematiche")].replace(", ", " | ") for r in sheet[1:]
    ]


def test_json_records_for_pandas(demo: Demo, crema: Settings) -> None:
    doc = json.loads((demo.folder / "elenco-pubblico.json").read_text(encoding="utf-8"))
    keys: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            keys.extend(value)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(doc)
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", k) for k in keys), sorted(set(keys))
    assert doc["aggiornato_il"] == "2024-05-20T10:30:00+02:00"
    assert doc["licenza"] == {"nome": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
    assert doc["ente_capofila"] == "Comune di Crema"
    frame = pd.json_normalize(doc["enti"])
    assert frame.columns.tolist() == [f.name for f in FIELDS]
    assert len(frame) == doc["numero_enti"]
    assert all(isinstance(v, str) for v in frame["codice_fiscale"])
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in frame["data_iscrizione"])
    assert [(a["codice"], a["nome"]) for a in doc["aree"]] == [(a.code, a.tab) for a in crema.ambito.areas]
    per_area = {a["nome"]: a["numero_enti"] for a in doc["aree"]}
    assert per_area == {
        name: sum(1 for areas in frame["aree_tematiche"] if name in areas) for name in per_area
    }


def test_csv_neutralises_formulas_and_keeps_them_in_json(crema: Settings) -> None:
    store = MemoryStore(responses=[HEADER, make_row(name='=HYPERLINK("http://x") APS')])
    run_sync(store, crema, NOW)
    files = store.published[-1]
    text = files["elenco-pubblico.csv"].decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://x"") APS"' in text
    assert (
        json.loads(files["elenco-pubblico.json"])["enti"][0]["denominazione"] == '=HYPERLINK("http://x") APS'
    )


# -- PDF --------------------------------------------------------------------------------------------------------


def test_pdf_is_a4_by_area_with_heading_page_numbers_and_embedded_fonts(demo: Demo, crema: Settings) -> None:
    reader = pypdf.PdfReader(demo.folder / "elenco-pubblico.pdf")
    pages = reader.pages
    assert len(pages) >= 4
    texts = [p.extract_text() for p in pages]
    for n, (page, text) in enumerate(zip(pages, texts, strict=True), start=1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        assert "Elenco degli enti del Terzo Settore - Ambito territoriale di Crema" in text
        assert "Aggiornato al 20 maggio 2024, ore 10:30" in text
        assert f"Pagina {n} di {len(pages)}" in text
    assert crema.ambito.notice.split(" - ")[0] in texts[0].replace("\n", " ")
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline == [a.tab for a in crema.ambito.areas]
    whole = "\n".join(texts)
    assert "Fragilità" in whole and "Adulti e povertà" in whole  # accents extracted: a Unicode font map
    fonts = {
        str(font["/BaseFont"]): "/FontFile2" in font["/DescendantFonts"][0]["/FontDescriptor"]
        for page in pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all(fonts.values()), fonts  # every font embedded (TrueType subsets of DejaVu Sans)
    assert all("DejaVuSans" in name for name in fonts)
    sheet = public_list_rows(demo.folder)
    header = sheet[0]
    flat = re.sub(r"\s+", " ", whole)
    for row in sheet[1:]:
        assert row[header.index("Codice fiscale")] in flat or not row[header.index("Codice fiscale")]


# -- HTML -------------------------------------------------------------------------------------------------------


class _Page(HTMLParser):
    """The structure of the page, as a screen reader would meet it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.text: dict[str, list[str]] = {"h2": [], "caption": [], "title": []}
        self.body: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] in self.text:
            self.text[self.stack[-1]].append(data.strip())
        if "script" not in self.stack and "style" not in self.stack:
            self.body.append(data + " ")


def parse_page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_html_is_self_contained_italian_and_by_area(demo: Demo, crema: Settings) -> None:
    html = (demo.folder / "elenco-pubblico.html").read_text(encoding="utf-8")
    page = parse_page(html)
    assert page.tags[0] == ("html", {"lang": "it"})
    assert not [t for t in page.tags if t[0] in ("link", "img", "iframe", "object", "embed")]
    assert not [t for t in page.tags if t[0] == "script" and "src" in t[1]]
    assert "url(" not in html and "@import" not in html
    hrefs = [a["href"] or "" for tag, a in page.tags if tag == "a"]
    assert all(
        h.startswith(("#", "mailto:", "https://creativecommons.org/")) or "/" not in h for h in hrefs
    ), hrefs
    areas = [a.tab for a in crema.ambito.areas]
    assert page.text["h2"] == ["Aree tematiche", *areas, "Informazioni"]
    assert page.text["caption"] == [f"Enti dell'area {a}" for a in areas]
    scopes = [a.get("scope") for tag, a in page.tags if tag == "th"]
    assert set(scopes) == {"col", "row"}
    text = re.sub(r"\s+", " ", "".join(page.body))
    sheet = public_list_rows(demo.folder)
    assert f"{len(sheet) - 1} enti nell'elenco" in text
    assert "Aggiornato al 20 maggio 2024, ore 10:30 ." in text
    assert "Licenza CC BY 4.0 : i dati si possono riutilizzare citando la fonte (Comune di Crema)." in text
    assert "Contatti Ufficio di Piano" in text
    assert "Dati pubblicati Denominazione, forma giuridica, tipologia, codice fiscale dell'ente" in text
    per_area = json.loads((demo.folder / "elenco-pubblico.json").read_text(encoding="utf-8"))["aree"]
    for area in per_area:
        assert f"{area['nome']} ({area['numero_enti']} enti)" in text
    assert html.count('<tr data-id="') == sum(a["numero_enti"] for a in per_area)


def test_html_escapes_what_applicants_typed(crema: Settings) -> None:
    store = MemoryStore(responses=[HEADER, make_row(name='<script>alert("x")</script> & Figli "APS"')])
    run_sync(store, crema, NOW)
    html = store.published[-1]["elenco-pubblico.html"].decode("utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Figli &#34;APS&#34;" in html


def test_an_area_without_organisations_says_so(crema: Settings) -> None:
    store = MemoryStore(responses=[HEADER, make_row()])  # areas A and D only
    run_sync(store, crema, NOW)
    html = store.published[-1]["elenco-pubblico.html"].decode("utf-8")
    page = parse_page(html)
    assert html.count("<table>") == 2
    text = re.sub(r"\s+", " ", "".join(page.body))
    assert "Fragilità 0 enti Nessun ente iscritto in quest'area." in text


def test_italian_dates() -> None:
    assert long_date(datetime(2024, 4, 3).date()) == "3 aprile 2024"
    assert long_date_time(datetime(2024, 12, 1, 9, 5)) == "1 dicembre 2024, ore 09:05"
    assert parse_updated("20/05/2024 10:30") == datetime(2024, 5, 20, 10, 30)
    assert parse_updated("ieri") is None


def test_the_files_are_the_same_bytes_for_the_same_list(crema: Settings) -> None:
    store = MemoryStore(responses=[HEADER, make_row()])
    run_sync(store, crema, NOW)
    from sync.public_files import public_files

    orgs = run_sync(MemoryStore(responses=[HEADER, make_row()]), crema, NOW).resolution
    assert orgs is not None
    plist = build_public_list(orgs.organisations, crema.ambito, NOW)
    assert public_files(plist) == store.published[-1]
    assert html_bytes(plist) == html_bytes(plist) and csv_bytes(plist) == csv_bytes(plist)


# -- privacy ----------------------------------------------------------------------------------------------------


def personal_data_in(folder: Path, demo: Demo) -> list[str]:
    """Every referente name, phone or e-mail of the responses found in a public file (PDF: its text)."""
    published: dict[str, str] = {}
    for name in PUBLIC:
        data = (folder / name).read_bytes()
        if name.endswith(".pdf"):
            published[name] = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
        else:
            published[name] = data.decode("utf-8-sig")
    # a referente may share a name with an organisation named after a person ("Associazione Maria Piloni")
    org_names = " ".join(r[1] for r in public_list_rows(folder)[1:])
    found = []
    for file, text in published.items():
        flat = re.sub(r"\s+", " ", text)
        digits = re.sub(r"\D", "", text)
        found += [f"{file}: name {n!r}" for n in demo.names if n in flat and n not in org_names]
        found += [f"{file}: e-mail {e!r}" for e in demo.emails if e in flat.casefold()]
        found += [f"{file}: phone {p!r}" for p in demo.phones if p in flat or re.sub(r"\D", "", p) in digits]
    return found


def test_no_referente_name_phone_or_email_in_any_public_file(demo: Demo) -> None:
    assert len(demo.names) > 50 and len(demo.phones) > 50 and len(demo.emails) > 50
    assert personal_data_in(demo.folder, demo) == []


def test_the_privacy_check_finds_personal_data(demo: Demo, tmp_path: Path) -> None:
    for name in (*PUBLIC, "elenco-pubblico.xlsx"):
        (tmp_path / name).write_bytes((demo.folder / name).read_bytes())
    name, phone, email = sorted(demo.names)[0], sorted(demo.phones)[0], sorted(demo.emails)[0]
    html = tmp_path / "elenco-pubblico.html"
    html.write_text(
        html.read_text(encoding="utf-8").replace("</main>", f"<p>{name} {email}</p></main>"), encoding="utf-8"
    )
    csv_file = tmp_path / "elenco-pubblico.csv"
    csv_file.write_bytes(csv_file.read_bytes() + f"X;{phone}\r\n".encode())
    assert sorted(personal_data_in(tmp_path, demo)) == sorted(
        [
            f"elenco-pubblico.html: name {name!r}",
            f"elenco-pubblico.html: e-mail {email!r}",
            f"elenco-pubblico.csv: phone {phone!r}",
        ]
    )


@pytest.mark.parametrize("ambito_name", ["", " dei Comuni del Cremasco e della Valle del Serio" * 3])
def test_the_fast_pdf_is_the_same_bytes_as_fpdf2_placing_every_string(crema: Settings, ambito_name: str) -> None:
    # `pdf_bytes` measures and places strings without fpdf2's per-call work: every byte as fpdf2 makes it,
    # over names with parentheses, backslashes, accents, a word longer than its column, the page-total alias,
    # a heading on one line and one broken over several
    data = generate(crema.ambito, 60, vocabulary=load_vocabulary(), seed=3)
    odd = [
        'Associazione (Il Volo) \\ "APS"',
        "Cooperativa Àèìòù ßœ € — «sociale» ONLUS",
        "Fondazione Supercalifragilistichespiralidosoeancorapiùlungadellacolonna ETS",
        "Circolo {pagine} di lettura APS",
    ]
    codes = ("91910830198", "80000130193", "97000690194", "91008450198")
    rows = [make_row(name=name, tax_code=code) for name, code in zip(odd, codes, strict=True)]
    store = MemoryStore(responses=[HEADER, *rows])
    resolution = run_sync(store, crema, NOW).resolution
    demo = run_sync(MemoryStore(responses=[data.header, *data.rows]), crema, NOW).resolution
    assert resolution is not None and demo is not None
    ambito = crema.ambito.model_copy(update={"name": crema.ambito.name + ambito_name})
    plist = build_public_list([*resolution.organisations, *demo.organisations], ambito, NOW)
    assert len(plist.entries) > len(demo.organisations)  # the odd names are listed
    assert pdf_bytes(plist) == pdf_bytes(plist, fast=False)
