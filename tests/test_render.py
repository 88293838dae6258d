"""`sync.render`: the rows each tab wants, from organisations resolved the product's way (`sample_rows`).

Staff tabs keep rows where staff left them and never claim a staff cell (`None`); the public tabs hold the
allow-listed fields of listed organisations only, nothing about a contact person; a tab's digest changes
with any cell.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from sync.config import Settings
from sync.parse import parse_rows
from sync.render import (
    content_hash,
    public_tax_code,
    render_elenco,
    render_log_line,
    render_public,
    render_risposte,
    render_roster,
)
from sync.resolve import Resolution, resolve
from sync.state import State
from tests.conftest import HEADER, make_row, sample_rows

PERSONAL_CODE = "RCCMNL83S18D969H"  # a person's valid codice fiscale


@pytest.fixture(scope="module")
def resolved(crema: Settings) -> Resolution:
    return resolve(parse_rows(sample_rows(), crema.ambito).responses, [], State(), crema.ambito)


# -- Elenco -----------------------------------------------------------------------------------------------------


def test_elenco_has_one_row_per_id_in_id_order_and_owns_its_columns_only(
    resolved: Resolution, crema: Settings
) -> None:
    tab = render_elenco(resolved.organisations, crema.ambito)
    header = tab.rows[0]
    assert tab.title == "Elenco" and tab.owned_width == len(header)
    assert header[:3] == ["ID", "Denominazione", "Codice fiscale"]
    assert [r[0] for r in tab.rows[1:]] == ["E-0001", "E-0002", "E-0003"]
    volo = dict(zip(header, tab.rows[1], strict=True))
    # the latest accepted answer is the organisation's data; both of its rows are counted
    assert (volo["Denominazione"], volo["N. domande"]) == ("Associazione Il Volo A.P.S.", "2")
    assert all(isinstance(c, str) for row in tab.rows for c in row)


def test_elenco_keeps_rows_where_staff_sorted_them_and_their_notes_to_the_right(
    resolved: Resolution, crema: Settings
) -> None:
    first = render_elenco(resolved.organisations, crema.ambito).rows
    width = len(first[0])
    current = [
        [*first[0], "Note ufficio"],
        [*first[3], "richiamare"],  # staff sorted E-0003 first and wrote a note beside it
        [*first[1], ""],
        ["", *[""] * (width - 1), "appunto su una riga vuota"],
        [*first[2], ""],
    ]
    tab = render_elenco(resolved.organisations, crema.ambito, [[str(c) for c in r] for r in current])
    assert [r[0] for r in tab.rows[1:]] == ["E-0003", "E-0001", None, "E-0002"]
    assert tab.rows[3] == [None] * width  # staff's row: never written
    assert tab.owned_width == width  # "Note ufficio" (column Y) stays staff's


# -- Risposte ---------------------------------------------------------------------------------------------------


def test_risposte_accounts_for_every_row_with_its_organisation_and_outcome(resolved: Resolution) -> None:
    rows = render_risposte(resolved.outcomes)
    header = rows[0]
    assert header[:6] == ["Riga", "Codice risposta", "Inviata il", "Denominazione", "ID ente", "Esito"]
    got = [(r[0], r[4], r[5], r[6], r[7]) for r in rows[1:]]
    assert got == [
        ("2", "E-0001", "accettata", "", ""),
        ("3", "E-0002", "accettata", "", ""),
        ("4", "", "respinta", "Invio di prova", ""),
        ("5", "E-0001", "accettata", "", ""),
        ("6", "E-0003", "accettata", "", "Oltre la scadenza"),
    ]
    assert rows[1][2] == "03/04/2024 11:09"


# -- rosters ----------------------------------------------------------------------------------------------------


def test_a_roster_never_claims_attendance_or_notes_and_adds_new_meeting_columns(
    resolved: Resolution, crema: Settings
) -> None:
    area = next(a for a in crema.ambito.areas if a.tab == "Minori e famiglia")
    empty = render_roster(resolved.organisations, crema.ambito, area.code, [], [])
    header = empty.rows[0]
    assert header[0] == "ID" and [r[0] for r in empty.rows[1:]] == ["E-0003"]
    fixed = len(header)
    current = [
        [*map(str, header), "15/05/2024 09:30-13:00"],
        ["E-0003", "Il Girasole", "", "", "", "", "", "P"],
    ]
    tab = render_roster(resolved.organisations, crema.ambito, area.code, [], current)
    assert tab.rows[0][fixed:] == ["15/05/2024 09:30-13:00"]  # the meeting column staff have stays
    girasole = tab.rows[1]
    assert girasole[:2] == ["E-0003", "Il Girasole Coop. Soc."]
    assert girasole[fixed - 1 :] == [None, None]  # the note and the attendance mark are staff's


# -- public tabs ------------------------------------------------------------------------------------------------


def test_public_tabs_hold_listed_organisations_without_their_contact_persons(
    resolved: Resolution, crema: Settings
) -> None:
    tabs = render_public(resolved.organisations, crema.ambito)
    assert list(tabs) == ["Elenco", *(a.tab for a in crema.ambito.areas)]
    published = "\n".join("\x1f".join(row) for grid in tabs.values() for row in grid)
    for personal in (
        "Alessandro Tomella",
        "Andrea Bonizzi",
        "Maria Bianchi",
        "info@ilvolo.it",
        "0373 530551",
    ):
        assert personal not in published
    elenco = tabs["Elenco"]
    assert [r[1] for r in elenco[1:]] == [
        "Associazione Il Volo A.P.S.",
        "Auser Crema ODV",
        "Il Girasole Coop. Soc.",
    ]
    assert dict(zip(elenco[0], elenco[1], strict=True))["Codice fiscale"] == "91910830198"
    assert [r[0] for r in tabs["Fragilità"][1:]] == ["E-0002"]
    assert tabs["Innovazione e giovani"] == [tabs["Fragilità"][0]]  # header only: nobody in that area


def test_a_persons_tax_code_is_never_published(crema: Settings) -> None:
    grid = [list(HEADER), make_row(tax_code=PERSONAL_CODE, name="Gruppo Amici del Parco")]
    orgs = resolve(parse_rows(grid, crema.ambito).responses, [], State(), crema.ambito).organisations
    listed = [o for o in orgs if o.listed]
    assert listed and listed[0].current.tax_code == PERSONAL_CODE  # accepted, with its code kept for staff
    for o in listed:
        assert public_tax_code(o) == ""
    published = render_public(orgs, crema.ambito)
    assert all(PERSONAL_CODE not in cell for grid in published.values() for row in grid for cell in row)


# -- the log and the digests ------------------------------------------------------------------------------------


def test_a_log_line_lists_the_figures_in_the_tab_s_order() -> None:
    figures = {"responses": 5, "accepted": 4, "rejected": 1, "organisations": 3, "cells_written": 120}
    assert render_log_line(datetime(2024, 5, 20, 10, 0, 7), "cron", figures, "ok") == [
        "20/05/2024 10:00:07", "cron", "5", "4", "1", "3", "0", "120", "ok",
    ]  # fmt: skip


def test_content_hash_is_stable_and_changes_with_any_cell_or_cell_boundary() -> None:
    grid = [["ID", "Denominazione"], ["E-0001", "Il Volo"]]
    assert content_hash(grid) == content_hash([list(r) for r in grid])
    assert content_hash(grid) != content_hash([["ID", "Denominazione"], ["E-0001", "Il Volo APS"]])
    assert content_hash([["ab", "c"]]) != content_hash([["a", "bc"]])
    assert content_hash([["a"], ["b"]]) != content_hash([["a", "b"]])
    assert len(content_hash([])) == 20
