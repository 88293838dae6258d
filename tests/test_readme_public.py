"""The README's «L'elenco pubblico sul sito del Comune» keeps up with the code: the open-data column table is the
data package's Table Schema, and the addresses it tells the Comune to use are the ones the web app serves."""

from __future__ import annotations

import re
from pathlib import Path

from sync.public_list import FIELDS, table_schema
from webhook.public import TYPES

README = Path(__file__).resolve().parent.parent / "README.md"
COLUMNS_HEADING = "### Dati aperti: le colonne"
GUIDE_HEADING = "### Come pubblicare l'elenco sul sito del Comune"


def _section(text: str, heading: str) -> str:
    start = text.index(heading + "\n")
    end = text.find("\n#", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def column_table(text: str) -> list[tuple[str, str, str, str]]:
    """The rows of the first table under the columns heading: (name, type, title, meaning)."""
    rows = []
    for line in _section(text, COLUMNS_HEADING).splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        rows.append(tuple(cells))
    header, rule, *body = rows
    assert header == ("colonna", "tipo", "titolo", "significato") and set("".join(rule)) <= {"-", ":"}
    return [(name.strip("`"), kind, title, meaning) for name, kind, title, meaning in body]


def schema_table() -> list[tuple[str, str, str, str]]:
    fields = table_schema()["fields"]
    assert isinstance(fields, list)
    return [(f["name"], f["type"], f["title"], f["description"]) for f in fields]


def test_the_readme_column_table_is_the_data_package_schema() -> None:
    table = column_table(README.read_text(encoding="utf-8"))
    assert table == schema_table()
    assert [name for name, *_ in table] == [f.name for f in FIELDS]  # the CSV's column order


def test_a_drifted_readme_table_is_caught() -> None:
    text = README.read_text(encoding="utf-8")
    renamed = text.replace("| `comune_sede_legale` | string |", "| `comune` | string |", 1)
    retyped = text.replace("| `data_iscrizione` | date |", "| `data_iscrizione` | string |", 1)
    dropped = re.sub(r"\n\| `stato` \|[^\n]*", "", text, count=1)
    for drifted in (renamed, retyped, dropped):
        assert drifted != text
        assert column_table(drifted) != schema_table()


def test_the_guide_names_the_addresses_the_web_app_serves() -> None:
    guide = _section(README.read_text(encoding="utf-8"), GUIDE_HEADING)
    paths = set(re.findall(r"appspot\.com(/[\w.-]+)", guide)) | set(re.findall(r"`(/[\w.-]+)`", guide))
    served = {"/elenco", *(f"/{name}" for name in TYPES if name != "elenco-pubblico.html")}
    assert paths == served
    assert "elenco pubblica --config elenco.yaml --out per-il-sito" in guide
    assert '<iframe src="https://PROGETTO.ew.r.appspot.com/elenco"' in guide and "title=" in guide


def test_the_readme_shows_the_page() -> None:
    text = README.read_text(encoding="utf-8")
    (shot,) = re.findall(r"!\[[^\]]+\]\((docs/[\w.-]+\.png)\)", text)
    data = (README.parent / shot).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 200_000
    width = int.from_bytes(data[16:20], "big")  # IHDR: the first chunk
    assert width == 1280
