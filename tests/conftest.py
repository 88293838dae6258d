"""Shared fixtures: presets, development sets, a form header."""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from sync.config import Ambito, Settings, load_settings

DATA = Path(__file__).parent / "data"
DEV = DATA / "dev"
HEADER = [
    "Informazioni cronologiche",
    "Indirizzo email",
    "Denominazione dell'ente",
    "Codice fiscale dell'ente",
    "Forma giuridica",
    "Numero di iscrizione al RUNTS o al registro regionale",
    "Comune della sede legale",
    "Indirizzo della sede legale",
    "Nome e cognome del referente",
    "Telefono del referente",
    "PEC dell'ente",
    "Aree di interesse",
    "Intendo partecipare a",
    "Esperienza e competenze nelle aree indicate",
    "Informativa privacy",
]
# The longest test files (minutes of CPU between them), collected first: with `make test`'s -n logical each file
# goes whole to one worker, in collection order, and the short files fill in behind them.
RUN_FIRST = (
    "test_reliability_concurrency.py",
    "test_reliability_faults.py",
    "test_reliability_input.py",
    "test_gsheets_budget.py",
    "test_public_page_browser.py",
    "test_backend_gsheets.py",
    "test_sheets_xlsx_layout.py",
    "test_staff_habits.py",
)
CONSENT = (
    "Dichiaro di aver letto l'informativa sul trattamento dei dati personali ai sensi dell'art. 13 "
    "del Regolamento UE 2016/679"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the files of RUN_FIRST first, in that order; every other test keeps its place (a stable sort)."""
    rank = {name: i for i, name in enumerate(RUN_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(RUN_FIRST)))


@pytest.fixture(scope="session")
def crema() -> Settings:
    """The Crema preset (tax code and RUNTS required)."""
    return load_settings("crema")


@pytest.fixture(scope="session")
def cremonese() -> Settings:
    """The Cremonese preset (tax code optional)."""
    return load_settings("cremonese")


def dev_rows(name: str) -> list[list[str]]:
    """A development set as a grid, header first."""
    with (DEV / f"{name}-risposte.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def dev_truth(name: str) -> dict[int, dict[str, str]]:
    """Its ground truth by sheet row."""
    with (DEV / f"{name}-risposte.truth.csv").open(newline="", encoding="utf-8") as f:
        return {int(r["row"]): r for r in csv.DictReader(f)}


def make_row(**fields: str) -> list[str]:
    """A valid Crema response row, with some fields replaced (by question-title order)."""
    base = {
        "timestamp": "03/04/2024 11.09.13",
        "email": "info@ilvolo.it",
        "name": "Associazione Il Volo APS",
        "tax_code": "91910830198",
        "legal_form": "Associazione di promozione sociale (APS)",
        "runts": "111961",
        "comune": "Crema",
        "address": "Via Dante 68",
        "contact_name": "Alessandro Tomella",
        "phone": "0374 480361",
        "pec": "associazioneilvolo@pec.it",
        "areas": "A) Minori e Famiglia, D) Innovazione e giovani",
        "phases": "Fase di stesura del Piano di Zona 2025-2027",
        "experience": "Doposcuola.",
        "consent": CONSENT,
    }
    base.update(fields)
    return list(base.values())


def sample_rows() -> list[list[str]]:
    """Five Crema responses: three organisations (one applying twice), a test submission, a late answer."""
    return [
        HEADER,
        make_row(),  # row 2: E-0001 Il Volo
        make_row(
            timestamp="04/04/2024 10.00.00",
            email="auser@auser.it",
            name="Auser Crema ODV",
            tax_code="93378570191",
            contact_name="Andrea Bonizzi",
            phone="0373 530551",
            pec="",
            areas="B) Fragilità (Anziani e Persone con disabilità)",
        ),  # row 3: E-0002
        make_row(timestamp="05/04/2024 10.00.00", name="Prova invio modulo"),  # row 4: rejected
        make_row(
            timestamp="06/04/2024 10.00.00",
            name="Associazione Il Volo A.P.S.",
            areas="C) Adulti e povertà (Contrasto alla povertà e marginalità, Politiche per il lavoro, "
            "Politiche abitative)",
        ),  # row 5: E-0001 again, new areas
        make_row(
            timestamp="03/05/2024 10.00.00",
            email="info@girasole.it",
            name="Il Girasole Coop. Soc.",
            tax_code="04688560194",
            contact_name="Maria Bianchi",
            phone="0373 111222",
            pec="girasole@pec.it",
            areas="A) Minori e Famiglia",
            phases="Fase di stesura del Piano di Zona 2025-2027, Tavoli tematici di attuazione, "
            "monitoraggio e valutazione (dal gennaio 2025)",
        ),  # row 6: late → E-0003
    ]


@pytest.fixture
def row() -> Callable[..., list[str]]:
    """Build response rows."""
    return make_row


def ambito_of(settings: Settings) -> Ambito:
    """Shorthand."""
    return settings.ambito


def build_app(
    settings: Settings | None = None,
    *,
    environ: Mapping[str, str],
    secret: str | None = None,
    instance_path: Path | None = None,
    secret_session: Any = None,
    runner: Any = None,
    clock: Any = None,
    certs_request: Any = None,
    **overrides: Any,
) -> Flask:
    """`create_app` with its `WebhookSettings` read from `environ`, then the given fields overridden."""
    from dataclasses import replace

    from webhook.app import create_app
    from webhook.settings import WebhookSettings

    config = WebhookSettings.from_env(
        environ, settings=settings, secret=secret, instance_path=instance_path, secret_session=secret_session
    )
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    return create_app(config, runner=runner, clock=clock, certs_request=certs_request)
