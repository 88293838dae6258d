"""`GET /elenco` and the files beside it, served by the real Flask app from a real local sync."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sync.backends.xlsx import XlsxStore
from sync.config import Settings, load_settings
from sync.pipeline import run_sync
from tests.conftest import HEADER, build_app, make_row
from webhook.context import state_of

SECRET = "test-webhook-secret-0123456789abcdef-XYZ"


def _settings(folder: Path) -> Settings:
    (folder / "elenco.yaml").write_text(
        f"preset: crema\nbackend:\n  kind: xlsx\n  folder: {folder}\n", encoding="utf-8"
    )
    return load_settings(folder / "elenco.yaml")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "cartella"
    path.mkdir()
    return path


def _app(folder: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    return build_app(_settings(folder), environ={}, secret=SECRET, instance_path=tmp_path / "istanza",
                     runner=lambda trigger: None)


def test_before_the_first_sync_the_page_is_not_found(folder: Path, tmp_path: Path) -> None:
    app = _app(folder, tmp_path)
    r = app.test_client().get("/elenco")
    assert (r.status_code, r.json) == (404, {
        "error": "elenco_non_pubblicato",
        "messaggio": "L'elenco pubblico non è ancora stato pubblicato: sarà disponibile dopo la prima "
        "sincronizzazione.",
    })
    assert state_of(app).scheduler.shutdown(timeout=10)


@pytest.mark.parametrize(
    ("url", "name", "content_type"),
    [
        ("/elenco", "elenco-pubblico.html", "text/html; charset=utf-8"),
        ("/elenco-pubblico.html", "elenco-pubblico.html", "text/html; charset=utf-8"),
        ("/elenco-pubblico.pdf", "elenco-pubblico.pdf", "application/pdf"),
        ("/elenco-pubblico.csv", "elenco-pubblico.csv", "text/csv; charset=utf-8"),
        ("/elenco-pubblico.json", "elenco-pubblico.json", "application/json"),
        ("/datapackage.json", "datapackage.json", "application/json"),
    ],
)
def test_serves_the_files_of_the_last_sync_with_etag_and_304(
    folder: Path, tmp_path: Path, url: str, name: str, content_type: str
) -> None:
    (folder / "risposte.csv").write_text(
        "\n".join(",".join(f'"{v}"' for v in row) for row in (HEADER, make_row())) + "\n", encoding="utf-8"
    )
    settings = _settings(folder)
    run_sync(XlsxStore(folder), settings, datetime(2024, 5, 20, 10, 30))
    app = _app(folder, tmp_path)
    client = app.test_client()
    r = client.get(url)
    assert r.status_code == 200
    assert r.content_type == content_type
    assert r.data == (folder / name).read_bytes()
    assert r.headers["Cache-Control"] == "public, max-age=300"
    etag = r.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.data) == (304, b"")
    other = client.get(url, headers={"If-None-Match": '"altro"'})
    assert other.status_code == 200
    assert state_of(app).scheduler.shutdown(timeout=10)


def test_only_public_files_are_served(folder: Path, tmp_path: Path) -> None:
    (folder / "elenco-interno.xlsx").write_bytes(b"segreto")
    app = _app(folder, tmp_path)
    client = app.test_client()
    assert client.get("/elenco-interno.xlsx").status_code == 404
    assert client.get("/risposte.csv").status_code == 404
    assert state_of(app).scheduler.shutdown(timeout=10)


# -- Google Sheets: the files rendered from one read of the staff workbook, cached for CACHE_S -------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1_716_200_000.0

    def __call__(self) -> float:
        return self.now


def test_google_mode_serves_the_public_list_from_the_spreadsheet_cached_for_five_minutes(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sync.cli import cli
    from tests.conftest import sample_rows
    from tests.fakes.sheets_api import SheetsFake
    from tests.test_cli_pubblica import google_config, google_sync

    with SheetsFake() as fake:
        staff = fake.create_spreadsheet("Modulo (risposte)", {"Risposte del modulo 1": sample_rows()})
        public = fake.create_spreadsheet("Elenco pubblico")
        config = google_config(tmp_path, fake, staff, public)
        settings = load_settings(config)
        google_sync(settings, tmp_path)
        clock = _Clock()
        app = build_app(settings, environ={}, secret=SECRET, instance_path=tmp_path / "istanza",
                        runner=lambda trigger: None, clock=clock)
        client = app.test_client()

        fake.reset_counts()
        page = client.get("/elenco")
        assert (page.status_code, page.content_type) == (200, "text/html; charset=utf-8")
        assert fake.count() == 1 and fake.count("write") == 0  # one read of the staff workbook
        # the page `elenco pubblica` writes for upload, byte for byte
        assert CliRunner().invoke(cli, ["pubblica", "--config", str(config), "--out", str(tmp_path / "sito")]
                                  ).exit_code == 0
        assert page.data == (tmp_path / "sito" / "elenco-pubblico.html").read_bytes()
        text = page.get_data(as_text=True)
        assert "Auser Crema ODV" in text and "Andrea Bonizzi" not in text
        assert page.headers["Cache-Control"] == "public, max-age=300"
        assert client.get("/elenco", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
        for url, content_type in (
            ("/elenco-pubblico.pdf", "application/pdf"),
            ("/elenco-pubblico.csv", "text/csv; charset=utf-8"),
            ("/elenco-pubblico.json", "application/json"),
            ("/datapackage.json", "application/json"),
        ):
            r = client.get(url)
            assert (r.status_code, r.content_type) == (200, content_type), url
        fake.reset_counts()
        assert client.get("/elenco-pubblico.json").json["numero_enti"] == 3
        assert fake.count() == 0  # within five minutes: no request to Google

        # staff exclude an organisation; the next sync takes it out of the public spreadsheet
        fake.set_values(staff, "Decisioni", [["E-0002", "Escludi", "", "fuori ambito", "UdP"]], start="A2")
        google_sync(settings, tmp_path, datetime(2024, 5, 21, 9, 0))
        assert "Auser Crema ODV" not in [r[1] for r in fake.values(public, "Elenco")]
        fake.reset_counts()
        clock.now += 299
        assert client.get("/elenco").data == page.data and fake.count() == 0
        clock.now += 2  # the cache is five minutes old: the page follows the spreadsheet
        later = client.get("/elenco")
        assert fake.count() == 1
        assert "Auser Crema ODV" not in later.get_data(as_text=True)
        assert later.headers["ETag"] != page.headers["ETag"]
        assert client.get("/elenco", headers={"If-None-Match": page.headers["ETag"]}).status_code == 200
        assert client.get("/elenco-pubblico.json").json["numero_enti"] == 2
        assert state_of(app).scheduler.shutdown(timeout=10)
