"""Hard cases for matching, written by hand in the way local networks fill in forms (sync/match.py
through `resolve`, as the product runs it).

Three tables of small sets of responses: the rows that must end as one organisation, those that
must stay apart (and whether staff must see them in `Possibili duplicati`), those that must go to
review. Every name, code and contact is invented; codes carry real check digits.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from stdnum import luhn
from stdnum.it import iva

from sync.config import Settings
from sync.match import (
    EVIDENCE_BORROWED_TAX_ID,
    EVIDENCE_BORROWED_TAX_ID_FORM,
    EVIDENCE_OTHER_BODY,
    EVIDENCE_SHARED_CONTACT,
    EVIDENCE_SIMILAR_TAX_ID,
)
from sync.parse import parse_rows
from sync.resolve import Resolution, resolve
from sync.state import State
from tests.conftest import HEADER, make_row


def code(body: str) -> str:
    """An 11-digit tax code with its real check digit (ten digits given)."""
    return body + luhn.calc_check_digit(body)


def swapped(value: str, i: int, j: int) -> str:
    """The code with characters i and j swapped: still valid when the check digit allows it."""
    chars = list(value)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


# codici fiscali of non-commercial bodies (office 019, Crema) and partite IVA
CF = {n: code(f"9{n:03d}5{n % 10}0019") for n in range(1, 40)}
PIVA = {n: code(f"0{n:03d}7{n % 10}0019") for n in range(1, 40)}
TRANSPOSED = ("98901230197", swapped("98901230197", 2, 3))  # "09" typed "90"
ACROSS = ("98901230197", swapped("98901230197", 1, 3))  # two digits swapped across one
DOUBLED = ("91335500194", "91665500194")  # "33" typed "66"
PERSON = "RCCMNL83S18D969H"  # a president's personal code


def test_the_codes_in_these_tables_are_valid() -> None:
    codes = [*CF.values(), *PIVA.values(), *TRANSPOSED, *ACROSS, *DOUBLED]
    assert all(iva.is_valid(c) for c in codes)
    assert len(set(codes)) == len(codes) - 1  # the base code of TRANSPOSED and ACROSS is the same


@dataclass(frozen=True)
class Case:
    """Responses (fields over a valid Crema row) and the pairs (row indexes) to check."""

    rows: tuple[dict[str, str], ...]

    def run(self, settings: Settings) -> Resolution:
        grid = [HEADER]
        for n, fields in enumerate(self.rows):
            stamp = f"{3 + n:02d}/04/2024 10.00.00"
            grid.append(make_row(**{"timestamp": stamp, "runts": str(40100 + n), **fields}))
        parsed = parse_rows(grid, settings.ambito)
        return resolve(parsed.responses, [], State(), settings.ambito)


def _body(**fields: str) -> dict[str, str]:
    return fields


def entity(result: Resolution, index: int) -> str:
    outcome = result.outcomes[index]
    assert outcome.status == "accepted", [p.message for p in outcome.checked.problems]
    return outcome.entity_id


def reviewed(result: Resolution, a: str, b: str) -> tuple[str, ...] | None:
    """The evidence of the review pair of two organisations, if staff are asked about it."""
    for pair in result.review:
        if {pair.a, pair.b} == {a, b}:
            return pair.evidence
    return None


# --- must merge -----------------------------------------------------------------------------------

MERGE = [
    pytest.param(
        Case((
            _body(name="Fondazione Maria Ausiliatrice ETS", tax_code=CF[1], legal_form="Fondazione", comune="Crema",
                  address="Via Mazzini 12", email="fond.ausiliatrice@gmail.com", pec="ausiliatrice@pec.it",
                  phone="0373 201001", contact_name="Carla Bassi"),
            _body(name="Fondazione Ausiliatrice", tax_code=PIVA[1], legal_form="Fondazione", comune="Offanengo",
                  address="Via Roma 40", email="fond.ausiliatrice@gmail.com", pec="ausiliatrice@pec.it",
                  phone="0373 780999", contact_name="Bassi Carla"),
        )),
        id="CF then partita IVA, a moved seat: the same person with the same email and PEC",
    ),
    pytest.param(
        Case((
            _body(name="Circolo Culturale San Rocco APS", tax_code=CF[2], comune="Crema", address="Via Dante 3",
                  email="circolosanrocco@gmail.com", pec="sanrocco.crema@pec.it", phone="0373 202002",
                  contact_name="Aldo Riva"),
            _body(name="Circolo Culturale S. Rocco A.P.S. E.T.S.", tax_code=PIVA[2], comune="Crema",
                  address="Via Cavour 21", email="segreteria@circolosanrocco.it", pec="sanrocco.crema@pec.it",
                  phone="0373 303003", contact_name="Ugo Pesenti"),
        )),
        id="CF then partita IVA, the operating seat: the body's own PEC",
    ),
    pytest.param(
        Case((
            _body(name="Volontari Ospedale Maggiore ODV", tax_code=TRANSPOSED[0], legal_form="Organizzazione di volontariato (ODV)",
                  comune="Crema", address="Largo Dossena 2", email="avom.crema@gmail.com", phone="0373 204004", pec=""),
            _body(name="Volontari Ospedale Maggiore ODV", tax_code=TRANSPOSED[1], legal_form="Organizzazione di volontariato (ODV)",
                  comune="Crema", address="Largo Dossena 2", email="avom.crema@gmail.com", phone="0373 204004", pec=""),
        )),
        id="two digits transposed, still a valid code, all else equal",
    ),
    pytest.param(
        Case((
            _body(name="Gruppo Sportivo Oratorio Izano ASD", tax_code=ACROSS[0], legal_form="Associazione sportiva dilettantistica (ASD)",
                  comune="Izano", address="Via Chiesa 4", email="gsoizano@gmail.com", phone="0373 244155", pec=""),
            _body(name="Gruppo Sportivo Oratorio Izano A.S.D.", tax_code=ACROSS[1], legal_form="Associazione sportiva dilettantistica (ASD)",
                  comune="Izano", address="Via Chiesa, 4", email="gsoizano@gmail.com", phone="0373 244155", pec=""),
        )),
        id="two digits swapped across one, all else equal",
    ),
    pytest.param(
        Case((
            _body(name="Amici della Casa di Riposo di Soncino ODV", tax_code=DOUBLED[0], comune="Soncino",
                  address="Via IV Novembre 9", email="amicirsasoncino@libero.it", phone="0374 85011", pec=""),
            _body(name="Amici della Casa di Riposo di Soncino ODV", tax_code=DOUBLED[1], comune="Soncino",
                  address="Via IV Novembre 9", email="amicirsasoncino@libero.it", phone="0374 85011", pec=""),
        )),
        id="a doubled digit retyped, all else equal",
    ),
    pytest.param(
        Case((
            _body(name="Unione Italiana Ciechi Sezione di Crema", tax_code=CF[3], comune="Crema",
                  address="Via Civerchi 7", email="uici.crema@gmail.com", pec="uicicrema@pec.it", phone="0373 205005"),
            _body(name="U.I.C. Crema", tax_code=f"C.F. {CF[3]}", comune="Crema", address="Via Civerchi 7",
                  email="presidenza.uic@libero.it", pec="uicicrema@pec.it", phone="333 1234567"),
        )),
        id="same labelled code, dotted initials for the full name",
    ),
    pytest.param(
        Case((
            _body(name="Banda Musicale Santa Cecilia APS", tax_code=CF[4], comune="Pandino", address="Via Umberto I 5",
                  email="bandapandino@gmail.com", phone="0373 970100", pec=""),
            _body(name="Banda Musicale S. Cecilia di Pandino", tax_code=f"CF: {CF[4][:2]} {CF[4][2:5]} {CF[4][5:]}",
                  comune="PANDINO", address="V. Umberto I n. 5", email="bandapandino@gmail.com", phone="0373970100", pec=""),
        )),
        id="same code typed with a label and spaces, comune in capitals, abbreviated address",
    ),
    pytest.param(
        Case((
            _body(name="Comitato Genitori Scuola Primaria di Capergnanica APS", tax_code=PERSON, comune="Capergnanica",
                  address="Via Roma 1", email="genitori.capergnanica@gmail.com", phone="347 0001111", pec=""),
            _body(name="Comitato Genitori Scuola Primaria Capergnanica APS", tax_code=CF[5], comune="Capergnanica",
                  address="Via Roma 1", email="genitori.capergnanica@gmail.com", phone="347 0001111", pec=""),
        )),
        id="a president's personal code, then the body's own",
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", MERGE)
def test_must_merge(crema: Settings, case: Case) -> None:
    result = case.run(crema)
    ids = {entity(result, i) for i in range(len(case.rows))}
    assert len(ids) == 1


# --- must stay apart (and `review`: whether staff must see the pair) -------------------------------

APART = [
    pytest.param(
        Case((
            _body(name="AVIS Comunale Pandino ODV", tax_code=CF[6], comune="Pandino", address="Via Milano 3",
                  email="avis.pandino@gmail.com", phone="0373 970200", pec="", contact_name="Piero Lupo"),
            _body(name="AVIS Comunale Vailate ODV", tax_code=CF[6], comune="Vailate", address="Via Roma 8",
                  email="avisvailate@gmail.com", phone="0363 840300", pec="", contact_name="Anna Moro"),
        )),
        (0, 1), EVIDENCE_BORROWED_TAX_ID,
        id="two local branches both typing the provincial federation's code",
    ),
    pytest.param(
        Case((
            _body(name="ASD Ginnastica Artistica Ripalta", tax_code=CF[7], legal_form="Associazione sportiva dilettantistica (ASD)",
                  comune="Ripalta Cremasca", address="Via Libertà 2", email="segreteria@studiorossetti.it",
                  phone="0373 206006", pec="studiorossetti@pec.it", contact_name="Luca Rossetti"),
            _body(name="Corpo Bandistico di Bagnolo Cremasco APS", tax_code=CF[7], comune="Bagnolo Cremasco",
                  address="Piazza Roma 1", email="segreteria@studiorossetti.it", phone="0373 206006",
                  pec="studiorossetti@pec.it", contact_name="Luca Rossetti"),
        )),
        (0, 1), EVIDENCE_BORROWED_TAX_ID,
        id="an accountant pasting the previous client's code with the office's contacts",
    ),
    pytest.param(
        Case((
            _body(name="Gruppo di Cammino Passo Lento", tax_code=PERSON, legal_form="Altro ente del Terzo settore",
                  comune="Capralba", address="Via Roma 30", email="passolento.capralba@gmail.com", phone="339 7654321", pec="",
                  contact_name="Emanuele Riccardi"),
            _body(name="Amici della Biblioteca di Capralba", tax_code=PERSON, legal_form="Altro ente del Terzo settore",
                  comune="Capralba", address="Via Roma 30", email="amicibiblio.capralba@gmail.com", phone="339 7654321", pec="",
                  contact_name="Emanuele Riccardi"),
        )),
        (0, 1), EVIDENCE_BORROWED_TAX_ID,
        id="two informal groups both giving their leader's personal code",
    ),
    pytest.param(
        Case((
            _body(name="Il Sentiero ODV", tax_code=CF[8], legal_form="Organizzazione di volontariato (ODV)",
                  comune="Sergnano", address="Via Crema 2", email="ilsentiero.odv@gmail.com", phone="0373 207007", pec=""),
            _body(name="Il Sentiero APS", tax_code=CF[8], legal_form="Associazione di promozione sociale (APS)",
                  comune="Sergnano", address="Via Crema 2", email="ilsentiero.aps@gmail.com", phone="0373 207070", pec=""),
        )),
        (0, 1), EVIDENCE_BORROWED_TAX_ID_FORM,
        id="an APS giving its ODV twin's code",
    ),
    pytest.param(
        Case((
            _body(name="Consorzio Arcobaleno Società Cooperativa Sociale", tax_code=PIVA[9],
                  legal_form="Impresa sociale - cooperativa sociale", comune="Crema", address="Via Treviglio 11",
                  email="info@consorzioarcobaleno.it", phone="0373 208000", pec="consorzioarcobaleno@pec.it"),
            _body(name="Arcobaleno Cooperativa Sociale Onlus", tax_code=PIVA[10],
                  legal_form="Impresa sociale - cooperativa sociale", comune="Crema", address="Via Treviglio 11",
                  email="coop@consorzioarcobaleno.it", phone="0373 208000", pec="arcobalenocoop@pec.it"),
        )),
        (0, 1), None,
        id="a consortium and its member cooperative, each with its partita IVA",
    ),
    pytest.param(
        Case((
            _body(name="Consorzio Arcobaleno", tax_code=CF[22],
                  legal_form="Impresa sociale - cooperativa sociale", comune="Crema", address="Via Treviglio 11",
                  email="info@consorzioarcobaleno.it", phone="0373 208000", pec="consorzioarcobaleno@pec.it"),
            _body(name="Arcobaleno Cooperativa Sociale", tax_code=PIVA[10],
                  legal_form="Impresa sociale - cooperativa sociale", comune="Crema", address="Via Treviglio 11",
                  email="coop@consorzioarcobaleno.it", phone="0373 208000", pec="arcobalenocoop@pec.it"),
        )),
        (0, 1), EVIDENCE_OTHER_BODY,
        id="«Consorzio Arcobaleno» and the «Arcobaleno» cooperative: same base name, address and switchboard",
    ),
    pytest.param(
        Case((
            _body(name="Consorzio Arcobaleno Società Cooperativa Sociale", tax_code=PIVA[9],
                  legal_form="Impresa sociale - cooperativa sociale", comune="Crema", address="Via Treviglio 11",
                  email="info@consorzioarcobaleno.it", phone="0373 208000", pec="consorzioarcobaleno@pec.it"),
            _body(name="Arcobaleno Cooperativa Sociale Onlus", tax_code=PIVA[9],
                  legal_form="Impresa sociale - cooperativa sociale", comune="Crema", address="Via Treviglio 11",
                  email="coop@consorzioarcobaleno.it", phone="0373 208000", pec="arcobalenocoop@pec.it"),
        )),
        (0, 1), EVIDENCE_BORROWED_TAX_ID,
        id="a member cooperative typing its consortium's code",
    ),
    pytest.param(
        Case((
            _body(name="Amici di Chiara ODV", tax_code=CF[11], legal_form="Organizzazione di volontariato (ODV)",
                  comune="Castelleone", address="Via Garibaldi 10", email="amicidichiara@gmail.com",
                  phone="0374 350111", pec="", contact_name="Paolo Sala"),
            _body(name="Fondazione Amici di Chiara", tax_code=CF[11], legal_form="Fondazione", comune="Castelleone",
                  address="Via Garibaldi 10", email="fondazione@amicidichiara.it", phone="0374 350111",
                  pec="fondazioneamicidichiara@pec.it", contact_name="Paolo Sala"),
        )),
        (0, 1), EVIDENCE_BORROWED_TAX_ID_FORM,
        id="a foundation giving its founding association's code: same president, seat and phone",
    ),
    pytest.param(
        Case((
            _body(name="Parrocchia San Martino Vescovo", tax_code=CF[12], legal_form="Ente religioso civilmente riconosciuto",
                  comune="Vaiano Cremasco", address="Piazza Chiesa 1", email="segreteria@diocesidicrema.it",
                  phone="0373 256274", pec="diocesicrema@pec.it"),
            _body(name="Parrocchia San Martino Vescovo", tax_code=CF[13], legal_form="Ente religioso civilmente riconosciuto",
                  comune="Trescore Cremasco", address="Piazza Chiesa 1", email="segreteria@diocesidicrema.it",
                  phone="0373 256274", pec="diocesicrema@pec.it"),
            _body(name="Parrocchia Santi Pietro e Paolo", tax_code=CF[14], legal_form="Ente religioso civilmente riconosciuto",
                  comune="Chieve", address="Via Roma 2", email="segreteria@diocesidicrema.it",
                  phone="0373 256274", pec="diocesicrema@pec.it"),
        )),
        (0, 1), None,
        id="same-saint parishes with the diocesan office's contacts",
    ),
    pytest.param(
        Case((
            _body(name="Auser Insieme Offanengo APS", tax_code=CF[15], comune="Offanengo", address="Via Dante 1",
                  email="auser.offanengo@gmail.com", phone="0373 780301", pec="auserprovinciale@pec.it"),
            _body(name="Auser Insieme Romanengo APS", tax_code=CF[16], comune="Romanengo", address="Via Marconi 5",
                  email="auser.romanengo@gmail.com", phone="0373 729302", pec="auserprovinciale@pec.it"),
        )),
        (0, 1), None,
        id="a network's branches in two comuni with the federation's PEC",
    ),
    pytest.param(
        Case((
            _body(name="Il Girotondo ODV", tax_code=CF[23], legal_form="Organizzazione di volontariato (ODV)", comune="Crema",
                  address="", email="girotondo.crema@gmail.com", phone="", pec="girotondo@pec.it"),
            _body(name="Il Girotondo APS", tax_code=PIVA[23], legal_form="Associazione di promozione sociale (APS)", comune="Crema",
                  address="", email="girotondo.crema@gmail.com", phone="", pec="girotondo@pec.it"),
        )),
        (0, 1), None,
        id="ODV and APS twins of the same name with the same email and PEC",
    ),
    pytest.param(
        Case((
            _body(name="Associazione Il Ponte ODV", tax_code=CF[17], comune="Crema", address="Via Stazione 4",
                  email="info@associazioneilponte.it", phone="0373 209001", pec="ilponte@pec.it"),
            _body(name="Fondazione Il Ponte ETS", tax_code=CF[18], legal_form="Fondazione", comune="Crema",
                  address="Via Stazione 4", email="fondazione@associazioneilponte.it", phone="0373 209001",
                  pec="fondazioneilponte@pec.it"),
        )),
        (0, 1), None,
        id="an association and its foundation at the same seat, each with its code",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("case", "pair", "review"), APART)
def test_must_stay_apart(crema: Settings, case: Case, pair: tuple[int, int], review: str | None) -> None:
    result = case.run(crema)
    a, b = entity(result, pair[0]), entity(result, pair[1])
    assert a != b
    if review is not None:
        evidence = reviewed(result, a, b)
        assert evidence is not None and review in evidence


def test_a_copied_code_is_reported_on_the_row_that_borrowed_it(crema: Settings) -> None:
    """The foundation typed its founder's code, then its own: the warning goes on the borrowing row,
    the foundation's two rows are one organisation, the association another."""
    association = _body(name="Amici di Chiara ODV", tax_code=CF[11], legal_form="Organizzazione di volontariato (ODV)",
                        comune="Castelleone", address="Via Garibaldi 10", email="amicidichiara@gmail.com",
                        phone="0374 350111", pec="", contact_name="Paolo Sala")  # fmt: skip
    foundation = _body(name="Fondazione Amici di Chiara", tax_code=CF[11], legal_form="Fondazione",
                       comune="Castelleone", address="Via Garibaldi 10", email="fondazione@amicidichiara.it",
                       phone="0374 350111", pec="fondazioneamicidichiara@pec.it", contact_name="Paolo Sala")  # fmt: skip
    result = Case((association, foundation, {**foundation, "tax_code": CF[19]})).run(crema)
    assert entity(result, 1) == entity(result, 2) != entity(result, 0)
    warnings = [[(p.code, p.message) for p in o.checked.warnings] for o in result.outcomes]
    assert warnings[0] == [] and warnings[2] == []
    assert warnings[1] == [
        (
            "cf_forse_copiato",
            f"Il codice fiscale {CF[11]} è indicato anche da «Amici di Chiara ODV», che per nome e contatti "
            "sembra un altro ente: forse è un codice copiato. Verificare quale dei due enti lo possiede.",
        )
    ]


# --- must go to review ------------------------------------------------------------------------------

REVIEW = [
    pytest.param(
        Case((
            _body(name="Volontari Ospedale Maggiore ODV", tax_code=TRANSPOSED[0], comune="Crema", address="Largo Dossena 2",
                  email="avom.crema@gmail.com", phone="0373 204004", pec=""),
            _body(name="Volontari Ospedale Maggiore ODV", tax_code=TRANSPOSED[1], comune="Crema", address="Via Macallè 1",
                  email="avom.crema@gmail.com", phone="0373 999999", pec=""),
        )),
        EVIDENCE_SIMILAR_TAX_ID,
        id="two digits transposed with only the email in common: a weak conflict to check",
    ),
    pytest.param(
        Case((
            _body(name="Gruppo Anziani Chieve APS", tax_code=CF[20], comune="Chieve", address="Piazza Comunale 1",
                  email="segreteria@csvcrema.it", phone="0373 211000", pec=""),
            _body(name="Gruppo Anziani Chieve", tax_code=PIVA[20], comune="Chieve", address="Via Dante 9",
                  email="segreteria@csvcrema.it", phone="0373 211000", pec=""),
            _body(name="Amici del Serio ODV", tax_code=CF[21], comune="Montodine", address="Via Roma 3",
                  email="segreteria@csvcrema.it", phone="0373 211000", pec=""),
        )),
        EVIDENCE_SHARED_CONTACT,
        id="the service office's email and phone, also on an unrelated body, count for little",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("case", "phrase"), REVIEW)
def test_must_go_to_review(crema: Settings, case: Case, phrase: str) -> None:
    result = case.run(crema)
    a, b = entity(result, 0), entity(result, 1)
    assert a != b
    evidence = reviewed(result, a, b)
    assert evidence is not None and phrase in evidence
