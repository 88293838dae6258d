"""The public list as typed values, and its open data: CSV, JSON and a Frictionless data package.  Pure.

One `PublicList` (built from the organisations) feeds every public file: the web page and the PDF
(`sync.public_files`) and the open data below. Only allow-listed fields exist here (`public_list_fields`):
nothing about a contact person can reach a public file because there is no field for it.

Open data conventions (documented in the README; scripts rely on them, so never rename or reorder):
- CSV: UTF-8 with BOM, `;` as separator (what Italian Excel expects: a comma-separated file opens in one
  column there), CRLF, header = the snake_case field names, dates ISO 8601 (`2024-04-03`), a cell that a
  spreadsheet would evaluate (`= + - @`) prefixed with `'`.
- JSON: snake_case keys, ISO 8601 dates and date-times with offset, codes as strings; `enti` is a list of
  flat records (`pandas.json_normalize(doc["enti"])`).
- `datapackage.json`: a Tabular Data Package describing the CSV with a Table Schema.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sync import labels
from sync.config import Ambito
from sync.model import Organisation
from sync.text import fold_alnum, name_sort_key

CSV_NAME = "elenco-pubblico.csv"
JSON_NAME = "elenco-pubblico.json"
DATAPACKAGE_NAME = "datapackage.json"
HTML_NAME = "elenco-pubblico.html"
PDF_NAME = "elenco-pubblico.pdf"
CSV_DELIMITER = ";"
AREA_SEPARATOR = " | "
# Form timestamps and `now` are naive Italian local times; the open data says so with an offset.
ROME = ZoneInfo("Europe/Rome")
# OWASP CSV injection: a spreadsheet evaluates a cell starting with one of these.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Field:
    """One column of the open data: its stable name and its Table Schema type."""

    name: str
    type: str = "string"
    format: str = "default"
    pattern: str = ""
    required: bool = False

    @property
    def title(self) -> str:
        """The Italian title people read."""
        return labels.PUBLIC_FIELD_TITLES[self.name]


# The column order of the CSV and the key order of a JSON record: stable (README, "Dati aperti").
FIELDS = (
    Field("id", pattern=r"E-[0-9]{4,}", required=True),
    Field("denominazione", required=True),
    Field("forma_giuridica"),
    Field("codice_fiscale", pattern=r"[0-9]{11}"),
    Field("numero_runts"),
    Field("comune_sede_legale"),
    Field("provincia", pattern=r"[A-Z]{2}"),
    Field("aree_tematiche"),
    Field("data_iscrizione", type="date"),
    Field("stato", required=True),
    Field("tipologia", required=True),  # appended: scripts rely on the order above
)


@dataclass(frozen=True, slots=True)
class PublicEntry:
    """One listed organisation, allow-listed fields only."""

    id: str
    denominazione: str
    forma_giuridica: str
    codice_fiscale: str
    numero_runts: str
    comune_sede_legale: str
    provincia: str
    aree: tuple[str, ...]  # area codes, in the Ambito's order
    data_iscrizione: date | None
    stato: str
    tipologia: str = ""  # Ente del Terzo Settore | Altro ente privato | Ente pubblico (`sync.tipologia`)


@dataclass(frozen=True, slots=True)
class AreaSection:
    """One area of the list: its code, its name and its organisations (name order)."""

    code: str
    name: str
    entries: tuple[PublicEntry, ...]


@dataclass(frozen=True, slots=True)
class PublicList:
    """Everything a public file shows: the Ambito's facts, the update time, the organisations by area."""

    ambito: Ambito
    updated: datetime  # naive Italian time of the last change of the published data
    entries: tuple[PublicEntry, ...]  # name order
    areas: tuple[AreaSection, ...]

    def area_names(self, entry: PublicEntry) -> list[str]:
        """The names of an entry's areas, in the Ambito's order."""
        return [self.ambito.area(c).tab for c in entry.aree]


def public_tax_code(o: Organisation) -> str:
    """Only an organisation's 11-digit code is published; never a person's 16-character one."""
    return o.current.tax_code if o.current.tax_code_kind == "ente" else ""


def build_public_list(orgs: Sequence[Organisation], ambito: Ambito, updated: datetime) -> PublicList:
    """The listed organisations (active only) in name order, and each area's share of them."""
    listed = sorted((o for o in orgs if o.listed), key=lambda o: name_sort_key(o.current.response.name))
    order = {a.code: i for i, a in enumerate(ambito.areas)}
    entries = tuple(
        PublicEntry(
            id=o.id,
            denominazione=o.current.response.name,
            forma_giuridica=o.current.response.legal_form,
            codice_fiscale=public_tax_code(o),
            numero_runts=o.current.response.runts,
            comune_sede_legale=o.current.comune_name or o.current.response.comune,
            provincia=o.current.province,
            aree=tuple(sorted((c for c in o.areas if c in order), key=order.__getitem__)),
            data_iscrizione=o.first_at.date() if o.first_at else None,
            stato=labels.STATUS_LABELS[o.status.value],
            tipologia=labels.TIPOLOGIA_LABELS.get(o.current.tipologia, ""),
        )
        for o in listed
    )
    areas = tuple(
        AreaSection(a.code, a.tab, tuple(e for e in entries if a.code in e.aree)) for a in ambito.areas
    )
    return PublicList(ambito, updated, entries, areas)


def parse_updated(text: str) -> datetime | None:
    """The update time the state keeps (`dd/mm/yyyy HH:MM`), or None when it is not one."""
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y %H:%M")
    except ValueError:
        return None


def iso_updated(plist: PublicList) -> str:
    """The update time as ISO 8601 with the Italian offset (`2024-05-02T10:15:00+02:00`)."""
    return plist.updated.replace(tzinfo=ROME).isoformat(timespec="seconds")


def record(plist: PublicList, entry: PublicEntry) -> dict[str, str | list[str]]:
    """One JSON record: snake_case keys in `FIELDS` order, every value a string (areas: a list)."""
    values: dict[str, str | list[str]] = {}
    for f in FIELDS:
        if f.name == "aree_tematiche":
            values[f.name] = plist.area_names(entry)
        elif f.name == "data_iscrizione":
            values[f.name] = entry.data_iscrizione.isoformat() if entry.data_iscrizione else ""
        else:
            values[f.name] = str(getattr(entry, f.name))
    return values


def neutralise(value: str) -> str:
    """Prefix a cell that a spreadsheet would evaluate with `'` (OWASP CSV injection)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def csv_bytes(plist: PublicList) -> bytes:
    """The public list as CSV (module docstring: BOM, `;`, ISO dates, formulas neutralised)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([f.name for f in FIELDS])
    for entry in plist.entries:
        rec = record(plist, entry)
        writer.writerow(
            [neutralise(AREA_SEPARATOR.join(v) if isinstance(v, list) else v) for v in rec.values()]
        )
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _licence(ambito: Ambito) -> dict[str, str]:
    out = {"name": ambito.licence}
    if ambito.licence in labels.LICENCE_URLS:
        out |= {"path": labels.LICENCE_URLS[ambito.licence], "title": labels.LICENCE_TITLES[ambito.licence]}
    return out


def json_bytes(plist: PublicList) -> bytes:
    """The public list as JSON open data: metadata, counts per area, and one flat record per organisation."""
    a = plist.ambito
    doc = {
        "titolo": labels.PUBLIC_DATASET_TITLE.format(ambito=a.name),
        "ambito": a.name,
        "avviso": a.notice,
        "ente_capofila": a.lead_body,
        "licenza": {
            "nome": a.licence,
            **({"url": labels.LICENCE_URLS[a.licence]} if a.licence in labels.LICENCE_URLS else {}),
        },
        "aggiornato_il": iso_updated(plist),
        "numero_enti": len(plist.entries),
        "aree": [{"codice": s.code, "nome": s.name, "numero_enti": len(s.entries)} for s in plist.areas],
        "enti": [record(plist, e) for e in plist.entries],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def table_schema() -> dict[str, object]:
    """The Table Schema of the CSV: names, Italian titles and descriptions, types, formats, constraints."""
    fields: list[dict[str, object]] = []
    for f in FIELDS:
        spec: dict[str, object] = {
            "name": f.name,
            "title": f.title,
            "description": labels.PUBLIC_FIELD_DESCRIPTIONS[f.name],
            "type": f.type,
            "format": f.format,
        }
        constraints: dict[str, object] = {}
        if f.required:
            constraints["required"] = True
        if f.pattern:
            constraints["pattern"] = f.pattern
        if f.name == "id":
            constraints["unique"] = True
        if constraints:
            spec["constraints"] = constraints
        fields.append(spec)
    return {"fields": fields, "primaryKey": ["id"], "missingValues": [""]}


def datapackage_bytes(plist: PublicList) -> bytes:
    """`datapackage.json`: a Frictionless Tabular Data Package describing the CSV."""
    a = plist.ambito
    title = labels.PUBLIC_DATASET_TITLE.format(ambito=a.name)
    package: dict[str, object] = {
        "profile": "tabular-data-package",
        "name": f"elenco-terzo-settore-{fold_alnum(a.code, joiner='-')}",
        "title": title,
        "description": a.notice,
        "keywords": list(labels.PUBLIC_KEYWORDS),
        "licenses": [_licence(a)],
        "contributors": [{"title": a.lead_body, "role": "publisher"}],
        # `created`: when this version of the data was made, i.e. the last change of the published list
        "created": iso_updated(plist),
        "last_updated": iso_updated(plist),
        **({"homepage": a.office.website} if a.office.website else {}),
        "resources": [
            {
                "name": "elenco-pubblico",
                "path": CSV_NAME,
                "title": title,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "dialect": {
                    "delimiter": CSV_DELIMITER,
                    "quoteChar": '"',
                    "doubleQuote": True,
                    "header": True,
                },
                "licenses": [_licence(a)],
                "schema": table_schema(),
            }
        ],
    }
    return (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def open_data_files(plist: PublicList) -> dict[str, bytes]:
    """The CSV, the JSON and the data package, by file name."""
    return {
        CSV_NAME: csv_bytes(plist),
        JSON_NAME: json_bytes(plist),
        DATAPACKAGE_NAME: datapackage_bytes(plist),
    }
