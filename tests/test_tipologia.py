"""`Tipologia` from legal form and name, and each Ambito's admission rule (`ente_non_ets`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sync.backends.memory import MemoryStore
from sync.cli import cli
from sync.config import load_settings, parse_settings
from sync.errors import ConfigError
from sync.pipeline import run_sync
from sync.tipologia import classify, has_runts
from tests.conftest import HEADER, make_row

NOW = datetime(2024, 5, 20, 10, 0)


@pytest.mark.parametrize(
    ("name", "legal_form", "runts", "expected"),
    [
        # Enti del Terzo Settore: by form, by a marker in the name, or by a RUNTS number
        ("Auser Crema ODV", "Organizzazione di volontariato (ODV)", "150860", "ets"),
        ("Associazione Il Volo A.P.S.", "", "", "ets"),
        ("Il Sorriso S.C.S.", "", "", "ets"),
        ("Cooperativa Sociale Il Ponte", "Impresa sociale - cooperativa sociale", "", "ets"),
        ("Fondazione Benefattori Cremaschi", "Fondazione", "123456", "ets"),
        ("Bene Comune APS", "", "", "ets"),  # «Comune» in a name is not a comune
        ("Oratorio San Luigi APS", "", "", "ets"),
        ("Polisportiva Ombriano APS", "Associazione sportiva dilettantistica", "", "ets"),
        ("Gruppo Amici", "Altro ente del Terzo settore", "", "ets"),
        ("Circolo Culturale", "", "", "ets"),  # nothing known: presumed ETS (the RUNTS check still warns)
        # altri enti privati: unions, sports clubs, religious bodies, associations without RUNTS
        ("CGIL Camera del Lavoro", "", "", "privato"),
        ("Sindacato pensionati", "Associazione non riconosciuta", "", "privato"),
        ("SPI CGIL Lega di Crema", "Organizzazione sindacale", "123", "privato"),  # a union is never an ETS
        ("CISL Asse del Po", "", "", "privato"),
        ("A.S.D. Pallavolo Crema", "", "", "privato"),
        ("Polisportiva Ombriano", "Associazione sportiva dilettantistica", "", "privato"),
        ("SSD Nuoto Cremona", "", "", "privato"),
        ("Parrocchia San Giacomo Maggiore", "", "", "privato"),
        ("Diocesi di Cremona", "", "", "privato"),
        ("Caritas Diocesana Cremonese", "", "", "privato"),
        ("Associazione Amici del Parco", "Associazione non riconosciuta", "", "privato"),
        ("Associazione Amici del Parco", "Associazione non riconosciuta", "non iscritta", "privato"),
        ("Fondazione Benefattori Cremaschi", "Fondazione", "", "privato"),
        ("Studio Rossi S.r.l.", "Altro ente privato", "", "privato"),
        # enti pubblici
        ("Comune di Crema", "", "", "pubblico"),
        ("Comune di Pioltello", "Altro ente privato", "", "pubblico"),
        ("Unione dei Comuni Lombarda Adda Martesana", "", "", "pubblico"),
        ("Comunità Sociale Cremasca a.s.c.", "", "", "pubblico"),
        ("Azienda Speciale Consortile Insieme per il Sociale", "", "", "pubblico"),
        ("Istituto Comprensivo Crema Uno", "", "", "pubblico"),
        # a public body's name inside another body's: the body around it
        ("Comitato Genitori Istituto Comprensivo di Pandino APS", "Associazione di promozione sociale (APS)", "93174",
         "ets"),
        ("Associazione Amici dell'Istituto Comprensivo di Offanengo", "Associazione non riconosciuta", "", "privato"),
        ("Gruppo Volontari della Casa di Riposo Comunale", "Organizzazione di volontariato (ODV)", "", "ets"),
        ("Liceo Scientifico Leonardo da Vinci", "", "", "pubblico"),
        ("ASST di Crema", "", "", "pubblico"),
        ("ATS Val Padana", "", "", "pubblico"),
        ("Azienda Sociale Cremonese", "Ente pubblico", "", "pubblico"),
    ],
)
def test_tipologia_from_name_form_and_runts(name: str, legal_form: str, runts: str, expected: str) -> None:
    assert classify(name, legal_form, runts) == expected


@pytest.mark.parametrize(
    ("typed", "given"),
    [("111961", True), ("RUNTS 4521", True), ("", False), ("-", False), ("no", False), ("In corso", False)],
)
def test_what_counts_as_a_runts_number(typed: str, given: bool) -> None:
    assert has_runts(typed) is given


def test_presets_admit_what_their_avvisi_list() -> None:
    assert load_settings("crema").ambito.admitted == ("ets",)
    assert load_settings("cremonese").ambito.admitted == ("ets", "privato")
    assert load_settings("cernusco").ambito.admitted == ("ets", "privato", "pubblico")


def test_a_wrong_category_in_the_configuration_is_explained_in_italian() -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings(
            {"preset": "crema", "ambito": {"admitted": ["ets", "sindacati"]}}, source="elenco.yaml"
        )
    assert str(err.value) == (
        "configurazione non valida (elenco.yaml):\n"
        "  - ambito.admitted: tipologia non prevista: 'sindacati'. Ammesse: ets (Ente del Terzo Settore), "
        "privato (altro ente privato), pubblico (ente pubblico)"
    )
    with pytest.raises(ConfigError, match="indicare almeno una tipologia ammessa"):
        parse_settings({"preset": "crema", "ambito": {"admitted": []}}, source="elenco.yaml")


UNION = dict(
    timestamp="05/04/2024 10.00.00",
    email="crema@cgil.lombardia.it",
    name="CGIL Camera del Lavoro",
    tax_code="10000030196",
    legal_form="Organizzazione sindacale",
    runts="",
    pec="",
    contact_name="Paola Riva",
    areas="C) Adulti e povertà (Contrasto alla povertà e marginalità, Politiche per il lavoro, "
    "Politiche abitative)",
)


def _sync(preset: str, *rows: list[str]) -> MemoryStore:
    settings = load_settings(preset)
    store = MemoryStore(responses=[HEADER, *rows])
    run_sync(store, settings, NOW)
    return store


def _col(grid: list[list[str]], name: str) -> list[str]:
    i = grid[0].index(name)
    return [r[i] if i < len(r) else "" for r in grid[1:]]


def _flags(store: MemoryStore) -> list[list[str]]:
    return [r for r in store.staff["Anomalie"][1:] if r[11] == "ente_non_ets"]


def test_a_union_applying_to_crema_is_flagged_for_staff_to_decide() -> None:
    store = _sync("crema", make_row(), make_row(**UNION))
    flags = _flags(store)
    assert len(flags) == 1
    line = flags[0]
    assert line[:4] == ["Risposte del modulo", "3", "E-0002", "CGIL Camera del Lavoro"]
    assert (line[4], line[6], line[7]) == ("Forma giuridica", "avviso", "Organizzazione sindacale")
    assert line[8] == (
        "«CGIL Camera del Lavoro» risulta Altro ente privato, ma l'avviso ammette solo: Ente del Terzo Settore. "
        "La domanda non è stata respinta: l'Ufficio di Piano decide se ammetterla."
    )
    assert line[10] == (
        "Se l'avviso non ammette l'ente: scrivere in «Decisioni»: E-0002 | Escludi. Se lo ammette: riga 3 | Accetta."
    )
    # neither rejected nor accepted silently: listed, with the warning beside it
    elenco = store.staff["Elenco"]
    assert _col(elenco, "Tipologia") == ["Ente del Terzo Settore", "Altro ente privato"]
    assert "ente_non_ets" in _col(elenco, "Codici")[1]
    assert "Ente non ammesso dall'avviso" in _col(elenco, "Avvisi")[1]
    assert _col(store.staff["Risposte"], "Avvisi")[1] == "N. RUNTS mancante; Ente non ammesso dall'avviso"
    assert _col(store.staff["Risposte"], "Codici")[1] == "runts_mancante; ente_non_ets"
    adulti = store.staff["Adulti e povertà"]
    assert _col(adulti, "Tipologia") == ["Altro ente privato"]


def test_staff_decide_on_the_union_with_the_existing_verbs() -> None:
    settings = load_settings("crema")
    store = MemoryStore(responses=[HEADER, make_row(), make_row(**UNION)])
    run_sync(store, settings, NOW)
    store.staff["Decisioni"] = [
        store.staff["Decisioni"][0],
        ["riga 3", "Accetta", "", "ammesso dal tavolo", "UdP", ""],
    ]
    run_sync(store, settings, NOW)
    line = _flags(store)[0]
    assert (line[6], line[10]) == ("superato", "Nessuna azione: risposta accettata dall'Ufficio di Piano.")
    store.staff["Decisioni"] = [
        store.staff["Decisioni"][0],
        ["E-0002", "Escludi", "", "non ammesso", "UdP", ""],
    ]
    run_sync(store, settings, NOW)
    assert "CGIL Camera del Lavoro" not in [r[1] for r in store.public["Elenco"]]


@pytest.mark.parametrize(
    "row",
    [
        dict(UNION),
        dict(UNION, name="Sindacato pensionati SPI", legal_form="", email="spi@cgil.it"),
        dict(UNION, name="A.S.D. Pallavolo Cremona", legal_form="Associazione sportiva dilettantistica"),
    ],
)
def test_the_same_bodies_applying_to_the_cremonese_are_not_flagged(row: dict[str, str]) -> None:
    cremona = dict(row, comune="Cremona", timestamp="05/04/2025 10.00.00")
    store = _sync(
        "cremonese", make_row(comune="Cremona", timestamp="04/04/2025 10.00.00"), make_row(**cremona)
    )
    assert _flags(store) == []
    assert _col(store.staff["Elenco"], "Tipologia")[1] == "Altro ente privato"


def test_a_comune_applying_to_crema_or_the_cremonese_is_flagged_not_to_cernusco() -> None:
    comune = dict(
        UNION, name="Comune di Crema", legal_form="Altro ente privato", email="sociale@comune.crema.cr.it"
    )
    crema = _sync("crema", make_row(**comune))
    assert [f[8] for f in _flags(crema)] == [
        "«Comune di Crema» risulta Ente pubblico, ma l'avviso ammette solo: Ente del Terzo Settore. "
        "La domanda non è stata respinta: l'Ufficio di Piano decide se ammetterla."
    ]
    cremonese = _sync("cremonese", make_row(**dict(comune, name="Comune di Cremona", comune="Cremona")))
    assert "ammette solo: Ente del Terzo Settore, Altro ente privato." in _flags(cremonese)[0][8]
    cernusco = _sync(
        "cernusco",
        make_row(
            **dict(comune, name="Comune di Pioltello", comune="Pioltello", timestamp="05/08/2019 10.00.00")
        ),
    )
    assert _flags(cernusco) == []
    assert _col(cernusco.staff["Elenco"], "Tipologia") == ["Ente pubblico"]


def test_an_ets_applying_to_crema_is_not_flagged_and_its_tipologia_is_public() -> None:
    store = _sync("crema", make_row())
    assert _flags(store) == []
    public = store.public["Elenco"]
    assert dict(zip(public[0], public[1], strict=True))["Tipologia"] == "Ente del Terzo Settore"


def _sheet(path: Path, title: str) -> list[list[str]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    return [["" if v is None else str(v) for v in row] for row in wb[title].values]


def test_the_cernusco_demo_has_pec_applications_and_public_bodies(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["demo", "--dir", str(tmp_path), "--preset", "cernusco", "--organisations", "12"]
    )
    assert result.exit_code == 0, result.output
    assert "Scritte 3 domande arrivate per PEC nella scheda «Domande manuali»." in result.output
    staff = tmp_path / "elenco-interno.xlsx"
    risposte = _sheet(staff, "Risposte")
    where = risposte[0].index("Provenienza")
    manual = [r for r in risposte[1:] if r[where] != "modulo"]
    assert [r[where].split(" (")[1] for r in manual] == [
        "PEC, prot. 2019/18231)",
        "PEC, prot. 2019/18547)",
        "PEC, prot. 2019/18802)",
    ]
    assert all(r[1].startswith("M-") and r[5] == "accettata" for r in manual)
    elenco = _sheet(staff, "Elenco")
    public_bodies = [r[1] for r in elenco[1:] if r[4] == "Ente pubblico"]
    assert public_bodies == [
        "Comune di Pioltello - Settore Servizi Sociali",
        "Istituto Comprensivo Statale di Gorgonzola",
        "ASST Melegnano e della Martesana",
    ]
    assert not [r for r in _sheet(staff, "Anomalie")[1:] if r[11] == "ente_non_ets"]
    published = (tmp_path / "elenco-pubblico.csv").read_text(encoding="utf-8-sig")
    assert "Cooperativa Sociale Il Melograno" in published and "Ente pubblico" in published
    # a second demo never types over the staff's tab
    again = CliRunner().invoke(
        cli, ["demo", "--dir", str(tmp_path), "--preset", "cernusco", "--organisations", "12"]
    )
    assert again.exit_code == 0, again.output
    assert "domande arrivate per PEC" not in again.output
    assert len(_sheet(staff, "Domande manuali")) == 4


def test_the_crema_demo_flags_the_union(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["demo", "--dir", str(tmp_path), "--preset", "crema", "--organisations", "12"]
    )
    assert result.exit_code == 0, result.output
    anomalie = _sheet(tmp_path / "elenco-interno.xlsx", "Anomalie")
    flagged = [r[3] for r in anomalie[1:] if r[11] == "ente_non_ets"]
    assert "CGIL Camera del Lavoro di Crema" in flagged
