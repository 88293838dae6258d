"""Configuration: presets load, a bad file names each key and problem in Italian."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.config import PRESETS, GSheetsBackend, XlsxBackend, load_settings, parse_settings
from sync.errors import ConfigError


@pytest.mark.parametrize("name", PRESETS)
def test_presets_load(name: str) -> None:
    settings = load_settings(name)
    assert settings.ambito.code == name
    assert settings.ambito.comuni and settings.ambito.areas
    assert isinstance(settings.backend, XlsxBackend)


def test_a_config_file_overrides_its_preset_and_resolves_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "elenco.yaml"
    path.write_text(
        "preset: crema\nambito:\n  office:\n    email: udp@comune.crema.cr.it\nbackend:\n  kind: xlsx\n  folder: dati\n",
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.ambito.office.email == "udp@comune.crema.cr.it"
    assert settings.ambito.name == "Ambito territoriale di Crema"
    assert isinstance(settings.backend, XlsxBackend)
    assert settings.backend.folder == tmp_path / "dati"


def test_gsheets_backend() -> None:
    settings = parse_settings(
        {
            "preset": "cernusco",
            "backend": {
                "kind": "gsheets",
                "staff_spreadsheet_id": "1" * 20,
                "public_spreadsheet_id": "2" * 20,
            },
        },
        source="t",
    )
    assert isinstance(settings.backend, GSheetsBackend)
    assert settings.backend.responses_tab == "Risposte del modulo 1"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"preset": "crema", "ambito": {"runts_required": "forse"}},
            "configurazione non valida (t.yaml):\n  - ambito.runts_required: atteso true o false",
        ),
        (
            {
                "preset": "crema",
                "ambito": {"areas": [{"code": "A", "label": "x", "tab": "Un nome troppo lungo per Excel"}]},
            },
            "configurazione non valida (t.yaml):\n  - ambito.areas.0.tab: al massimo 22 caratteri",
        ),
        (
            {"preset": "crema", "ambito": {"deadline": "ieri"}},
            "configurazione non valida (t.yaml):\n  - ambito.deadline: data e ora non valide (es. 2024-05-02T23:59:59)",
        ),
        (
            {"preset": "crema", "backend": {"kind": "ftp"}},
            "configurazione non valida (t.yaml):\n  - backend: valore non ammesso (ammessi: 'xlsx', 'gsheets')",
        ),
        (
            {"preset": "crema", "colore": "blu"},
            "configurazione non valida (t.yaml):\n  - colore: chiave non prevista (controllare l'ortografia)",
        ),
        (
            {"preset": "crema", "ambito": {"meetings": [{"area": "Z", "date": "2024-05-15"}]}},
            "configurazione non valida (t.yaml):\n  - ambito: incontro del 2024-05-15: area 'Z' non tra ['A', 'B', 'C', 'D']",
        ),
        ({"preset": "milano"}, "preset sconosciuto: 'milano'. Disponibili: crema, cremonese, cernusco"),
    ],
)
def test_bad_configuration_names_the_key_and_the_problem(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings(data, source="t.yaml")
    assert str(err.value) == message


def test_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "nessuno.yaml"
    with pytest.raises(ConfigError, match="file di configurazione non trovato"):
        load_settings(missing)
    broken = tmp_path / "rotto.yaml"
    broken.write_text("preset: crema\n  backend: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"rotto.yaml: YAML non leggibile alla riga 2"):
        load_settings(broken)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ConfigError, match="non è testo UTF-8"):
        load_settings(binary)


@pytest.mark.parametrize("public", ["1" * 20, " " + "1" * 20 + " "])
def test_one_spreadsheet_for_staff_and_public_is_a_configuration_error(public: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings(
            {
                "preset": "crema",
                "backend": {
                    "kind": "gsheets",
                    "staff_spreadsheet_id": "1" * 20,
                    "public_spreadsheet_id": public,
                },
            },
            source="t.yaml",
        )
    assert str(err.value) == (
        "configurazione non valida (t.yaml):\n  - backend.gsheets: staff_spreadsheet_id e public_spreadsheet_id "
        "sono uguali: il foglio pubblico deve essere un file Google Sheets separato da quello interno (crearne "
        "uno nuovo e indicarne l'ID)"
    )
