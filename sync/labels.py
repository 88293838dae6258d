"""Every Italian word the `sync` library shows to people (staff, applicants, the public), in one place.

Codes are stable machine identifiers (never renamed); messages are for people. Sections, by what they word:
problem codes and their messages (`MESSAGES`, `CODE_LABELS`, «Cosa fare»), words read in answers, staff
decisions (`Verb`), the tabs (notes, cells, `Istruzioni`, `Statistiche`), the public list and its files, the
configuration, the command line; then `STAFF`, the sentences for staff registered by code and filled by `say`.
The web app's words for applicants and the add-on are in `webhook.labels`; tab titles and column headers are
layout words and live in `sync.layouts`. Nothing here imports the rest of `sync`: every module may import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

# Problem codes --------------------------------------------------------------------------------------------
BLOCKING_CODES = (
    "recapito_mancante",
    "consenso_mancante",
    "denominazione_mancante",
    "nessuna_area",
    "email_non_valida",
    "invio_di_prova",
    "cf_mancante",
    "cf_non_valido",
)
WARNING_CODES = (
    "comune_fuori_ambito",
    "comune_sconosciuto",
    "runts_mancante",
    "oltre_scadenza",
    "cf_mancante",
    "cf_non_valido",
    "cf_persona_fisica",
    "area_sconosciuta",
    "fase_sconosciuta",
    "pec_non_valida",
    "data_non_valida",
    "testo_troncato",
    "cf_ripulito",
    "cf_forse_copiato",
    "cf_zeri_ripristinati",
    "area_non_configurata",
    "ente_non_ets",
    "canale_non_valido",
)
# Set-up problems for staff: shown in `Anomalie`, never in the verdict or the e-mail to the applicant.
# (`ente_non_ets` is staff's to decide: the applicant hears of it from the Ufficio di Piano, not from a script.)
STAFF_ONLY_CODES = frozenset({"area_non_configurata", "ente_non_ets"})

MESSAGES: dict[str, str] = {
    "consenso_mancante": "Manca il consenso all'informativa sul trattamento dei dati personali: "
    "senza consenso la domanda non può essere accettata.",
    "consenso_negato": "Il consenso all'informativa sul trattamento dei dati personali è stato negato: "
    "senza consenso la domanda non può essere accettata.",
    "denominazione_mancante": "Manca la denominazione dell'ente.",
    "nessuna_area": "Non è stata scelta nessuna area di interesse: sceglierne almeno una.",
    "email_mancante": "Manca l'indirizzo email di contatto.",
    "email_non_valida": "L'indirizzo email «{value}» non è valido: {detail}",
    "invio_di_prova": "La risposta sembra un invio di prova («{value}»): non viene inserita nell'elenco.",
    "cf_mancante": "Manca il codice fiscale dell'ente.",
    "cf_non_valido": "Il codice fiscale «{value}» non è valido: {detail}",
    "cf_zeri_ripristinati": "Il codice fiscale aveva perso gli zeri iniziali («{value}»): succede quando il file "
    "delle risposte viene aperto e salvato con Excel o LibreOffice, che lo leggono come un numero. È stato "
    "ripristinato in {restored}, che risulta valido.",
    "cf_persona_fisica": "Il codice fiscale «{value}» è di una persona fisica, non di un ente: "
    "non verrà pubblicato.",
    "comune_fuori_ambito": "Il comune della sede legale ({value}) non fa parte dell'{ambito}.",
    "comune_sconosciuto": "Il comune della sede legale «{value}» non è stato riconosciuto.",
    "comune_mancante": "Manca il comune della sede legale.",
    "runts_mancante": "Manca il numero di iscrizione al RUNTS o al registro regionale, richiesto dall'avviso.",
    "runts_senza_numero": "Al posto del numero di iscrizione al RUNTS o al registro regionale è scritto "
    "«{value}»: l'avviso chiede il numero, da comunicare appena disponibile.",
    "oltre_scadenza": "Domanda presentata dopo la scadenza del {deadline}. {after_deadline}",
    "area_sconosciuta": "Area non riconosciuta: «{value}».",
    "area_non_configurata": "La risposta «{value}» alla domanda sulle aree non corrisponde a nessuna area della "
    "configurazione: probabilmente il modulo usa una dicitura diversa. Aggiungerla in `wording` dell'area "
    "giusta nella configurazione, oppure «Correggi» con Valore «Aree=…». La domanda non è stata respinta.",
    "fase_sconosciuta": "Fase non riconosciuta: «{value}».",
    "pec_non_valida": "L'indirizzo PEC «{value}» non è valido.",
    "data_non_valida": "Data e ora di invio non leggibili: «{value}».",
    "date_mese_giorno": "Le date del file delle risposte sono scritte con il mese prima del giorno (come nel "
    "modulo di un account con lingua inglese, es. 4/20/2024 2:41:12 PM): sono state lette così. Per evitarlo, "
    "impostare il foglio del modulo su Italia (File › Impostazioni › Impostazioni internazionali).",
    "testo_troncato": "Un campo era più lungo di {limit} caratteri ed è stato troncato negli elenchi "
    "(il modulo originale resta intatto).",
    # the columns of the responses sheet
    "colonna_sconosciuta": "La colonna «{value}» del modulo non è usata da elenco: se è una domanda nuova, "
    "aggiungerla in `questions` nella configurazione.",
    "colonna_ripetuta": "La colonna «{value}» è ripetuta: si usa la prima risposta non vuota.",
    "cf_ripulito": "Il campo del codice fiscale conteneva altro testo («{value}»): è stato letto come {number}.",
    "cf_forse_copiato": "Il codice fiscale {number} è indicato anche da «{other}», che per nome e contatti "
    "sembra un altro ente: forse è un codice copiato. Verificare quale dei due enti lo possiede.",
    "ente_non_ets": "«{name}» risulta {tipologia}, ma l'avviso ammette solo: {admitted}. La domanda non è "
    "stata respinta: l'Ufficio di Piano decide se ammetterla.",
    "recapito_mancante": "Domanda senza email né PEC: indicare almeno uno dei due recapiti per poter "
    "contattare l'ente.",
    "canale_non_valido": "Canale «{value}» non riconosciuto: indicare PEC, carta oppure e-mail.",
    "canale_mancante": "Manca il canale da cui è arrivata la domanda: indicare PEC, carta oppure e-mail.",
    # decisions
    "decisione_sconosciuta": "Decisione «{value}» non riconosciuta. Usare: {verbs}.",
    "decisione_non_applicabile": "Decisione non applicabile: {detail}",
    "decisione_senza_destinatario": "Decisione senza ID ente o riga: indicare ad esempio E-0042 o «riga 17».",
    "decisione_spostata": "La risposta per cui è stata scritta la decisione ({response}) ora è alla riga {now}, non "
    "più alla riga {row}: la decisione continua ad applicarsi a quella risposta. Per chiarezza scrivere "
    "«riga {now}» oppure «{response}» nella prima colonna.",
    "decisione_orfana": "La risposta per cui è stata scritta la decisione ({response}, allora alla riga {row}) non c'è "
    "più tra le risposte del modulo: la decisione non viene applicata a nessun'altra risposta. Se la risposta "
    "è stata cancellata per errore ripristinarla, altrimenti cancellare la decisione.",
}
DECISION_ROW_UNKNOWN = "la riga {row} non esiste tra le risposte del modulo."
DECISION_MANUAL_ROW_UNKNOWN = "la riga {row} non esiste tra le domande della scheda «Domande manuali»."
DECISION_CODE_UNKNOWN = (
    "la risposta {code} non è tra le risposte del modulo (i codici sono nella scheda «Risposte»)."
)
DECISION_TARGET_UNKNOWN = (
    "«{target}» non è né un ID ente (es. E-0042) né una riga (es. riga 17) né un codice di risposta "
    "(es. R-3F9A0C12D4)."
)

SUGGESTION_COMUNE = "forse intendevi {name}?"

# Words read in answers (not shown) ---------------------------------------------------------------------
# Labels typed before a tax code ("C.F. 91621450195", "P.IVA 0364…", "Cod. fiscale: …"), folded to
# lower-case letters: dropped before validation.
TAX_CODE_LABELS = (
    "codice fiscale",
    "cod fiscale",
    "cod fisc",
    "partita iva",
    "part iva",
    "p iva",
    "piva",
    "p i",
    "c f",
    "cf",
    "n",
    "nr",
    "numero",
)
# The configuration's default test submissions (`Ambito.test_words`, `test_emails`): a name or address equal to one
TEST_WORDS = ("prova", "test", "prova invio modulo", "test test", "prova prova")
TEST_EMAILS = ("test@test.it", "test@test.com", "prova@prova.it", "example@example.com")
# Test submissions: a marker word, with a word about the form or an instruction to ignore it
# ("Prova compilazione", "Modulo di prova", "Test modulo (ignorare)"), or a number ("prova 2").
# A marker alone inside a name is not enough: "Banco di Prova", "Compagnia Teatrale Prova Generale".
TEST_MARKERS = ("prova", "prove", "test", "collaudo", "tentativo", "esempio", "fittizio", "fittizia")
TEST_CONTEXT = (
    "modulo", "form", "compilazione", "compilare", "invio", "inviare", "notifica", "notifiche",
    "verifica", "sistema", "funzionamento", "ignorare", "ignora", "considerare", "cancellare",
    "eliminare", "cestinare", "ufficio", "tecnico", "tecnica",
)  # fmt: skip
TEST_INSTRUCTIONS = (
    "non considerare",
    "da ignorare",
    "ignorare",
    "da cancellare",
    "da eliminare",
    "non valida",
)

CF_DETAILS = {
    "length": "lunghezza errata (un ente ha 11 cifre, una persona 16 caratteri).",
    "checksum": "il carattere di controllo non corrisponde (probabile errore di battitura).",
    "format": "contiene caratteri non ammessi.",
    "component": "contiene una parte non valida (es. il codice dell'ufficio).",
}

# Staff decisions --------------------------------------------------------------------------------------------
class Verb(StrEnum):
    """The verbs staff type in `Decisioni` (the values are the words they type, the order the dropdown's)."""

    EXCLUDE = "Escludi"
    SUSPEND = "Sospendi"
    READMIT = "Riammetti"
    WITHDRAW = "Ritira"
    MERGE = "Unisci"
    SEPARATE = "Separa"
    CORRECT = "Correggi"
    ACCEPT = "Accetta"
    DISCARD = "Scarta"


VERBS = tuple(v.value for v in Verb)
DECISION_HEADERS = ("ID ente o riga", "Decisione", "Valore", "Motivazione", "Operatore", "Data")

# The Italian field names staff may use in `Correggi` (Valore = campo=valore), normalised to lower case.
CORRECTABLE_FIELDS = {
    "denominazione": "name",
    "denominazione dell'ente": "name",
    "codice fiscale": "tax_code",
    "cf": "tax_code",
    "partita iva": "tax_code",
    "email": "email",
    "indirizzo email": "email",
    "forma giuridica": "legal_form",
    "runts": "runts",
    "numero runts": "runts",
    "comune": "comune",
    "indirizzo": "address",
    "referente": "contact_name",
    "telefono": "phone",
    "pec": "pec",
    "aree": "areas_raw",
    "aree di interesse": "areas_raw",
    "fasi": "phases_raw",
    "consenso": "consent",
    "informativa privacy": "consent",
}

# Categories of body (`sync.tipologia`): code -> what staff and the public read
TIPOLOGIA_LABELS = {
    "ets": "Ente del Terzo Settore",
    "privato": "Altro ente privato",
    "pubblico": "Ente pubblico",
}
TIPOLOGIA_HEADER = "Tipologia"
NO_NAME = "(senza nome)"  # a response that gives no name, in a message about it
# The staff-owned tab of applications received by PEC, on paper or by e-mail (`sync.manual`)
MANUAL_TAB = "Domande manuali"
MANUAL_TIMESTAMP = "Data di ricezione"
MANUAL_CHANNEL = "Canale"
MANUAL_PROTOCOL = "Protocollo"
MANUAL_CHANNELS = ("PEC", "carta", "e-mail")
# how people write each channel (folded) -> the channel
CHANNEL_SPELLINGS = {
    "pec": "PEC",
    "posta elettronica certificata": "PEC",
    "carta": "carta",
    "cartaceo": "carta",
    "cartacea": "carta",
    "su carta": "carta",
    "a mano": "carta",
    "posta": "carta",
    "raccomandata": "carta",
    "e-mail": "e-mail",
    "email": "e-mail",
    "mail": "e-mail",
    "posta elettronica": "e-mail",
}
DEMO_MANUAL_TYPED = "Scritte {n} domande arrivate per PEC nella scheda «{tab}»."
MANUAL_ORIGIN = "Domande manuali"
FORM_ORIGIN = "Risposte del modulo"
LOG_COMPLETED = "completata"  # the outcome of a sync in `Registro sincronizzazioni`
PUBLIC_TAB_CHANGE = "pubblico: {title}"  # a public tab among the tabs a sync changes (report, preview)
MANUAL_ROW = "manuale {row}"
MANUAL_NOTE = (
    "Domande arrivate per PEC, su carta o per email: una per riga, con le stesse domande del modulo. elenco non "
    "scrive mai in questa scheda. In «Decisioni» citarle con «manuale N» o con il codice M-… di «Risposte»."
)
PROVENANCE_HEADER = "Provenienza"
PROVENANCE_FORM = "modulo"
PROVENANCE_MANUAL = "Domande manuali riga {row} ({channel})"
PROVENANCE_MANUAL_PROTOCOL = "Domande manuali riga {row} ({channel}, prot. {protocol})"

STATUS_LABELS = {
    "attivo": "Attivo",
    "sospeso": "Sospeso",
    "escluso": "Escluso",
    "ritirato": "Ritirato",
    "unito": "Unito",
    "senza risposte valide": "Senza risposte valide",
}

OUTCOME_LABELS = {"accepted": "accettata", "rejected": "respinta"}

# The fields of a response as staff and applicants call them.
FIELD_LABELS = {
    "timestamp": "Data di invio",
    "email": "Email",
    "name": "Denominazione",
    "tax_code": "Codice fiscale",
    "legal_form": "Forma giuridica",
    "runts": "N. RUNTS",
    "comune": "Comune",
    "address": "Indirizzo",
    "contact_name": "Referente",
    "phone": "Telefono",
    "pec": "PEC",
    "areas": "Aree",
    "phases": "Fasi",
    "experience": "Esperienza",
    "channel": "Canale",
    "consent": "Consenso privacy",
}

# The form built from the configuration (`elenco modulo`) and how a live form differs from it (`elenco check`)
FORM_SCRIPT_HEADER = (
    "// Creato da «elenco modulo» per: {ambito} — {notice}.\n"
    "// Non modificare i titoli delle domande qui: cambiarli nella configurazione e rigenerare il file.\n"
)
FORM_DIFFERENCES = {
    "email_non_raccolte": "Il modulo non raccoglie gli indirizzi email (manca la colonna «Indirizzo email»): "
    "attivare Impostazioni → Risposte → Raccogli indirizzi email.",
    "domanda_mancante_obbligatoria": "Manca la domanda obbligatoria «{title}»: senza, nessuna risposta può "
    "essere accettata. Aggiungerla al modulo con questo titolo o rigenerare il modulo con «elenco modulo».",
    "domanda_mancante": "Manca la domanda «{title}» prevista dalla configurazione.",
    "titolo_diverso": "La domanda «{title}» è riconosciuta, ma nella configurazione si chiama «{expected}»: "
    "conviene usare lo stesso titolo.",
    "domanda_non_configurata": "La domanda «{title}» del modulo non è nella configurazione: le sue risposte "
    "non sono usate. Se serve, aggiungerne il titolo in `questions`.",
}

# Evidence in "Possibili duplicati" and on merged organisations (sync/match.py) ------------------------
EVIDENCE_TAX_ID = "stesso codice fiscale"
EVIDENCE_BORROWED_TAX_ID = "stesso codice fiscale ma nomi e contatti diversi: forse un codice copiato"
EVIDENCE_BORROWED_TAX_ID_FORM = "stesso codice fiscale ma forma giuridica diversa: forse un codice copiato"
EVIDENCE_SAME_NAME = "stesso nome"
EVIDENCE_SIMILAR_NAME = "nome simile {score}%"
EVIDENCE_SHORT_NAME = "nome abbreviato o in sigla"
EVIDENCE_EMAIL = "stessa email"
EVIDENCE_PEC = "stessa PEC"
EVIDENCE_PHONE = "stesso telefono"
EVIDENCE_ADDRESS = "stesso indirizzo"
EVIDENCE_CONTACT = "stesso referente"
EVIDENCE_COMUNE = "stesso comune"
EVIDENCE_SIMILAR_TAX_ID = "codice fiscale simile"
EVIDENCE_SHARED_CONTACT = "contatti usati anche da altri enti"
EVIDENCE_OTHER_COMUNE = "comune diverso"
EVIDENCE_OTHER_FORM = "forma giuridica diversa"
EVIDENCE_OTHER_BODY = "tipo di ente diverso nel nome (consorzio, fondazione, circolo, gruppo…)"
EVIDENCE_OTHER_TAX_ID = "codici fiscali diversi"
EVIDENCE_OTHER_NUMBER = "numero diverso nel nome"
EVIDENCE_MUST_LINK = "unione richiesta"
EVIDENCE_KEPT = "già lo stesso ente nelle sincronizzazioni precedenti"
EVIDENCE_CONFLICT = "unione richiesta in conflitto con una separazione"
# Command line ---------------------------------------------------------------------------------------------------
# The commands' help, as `elenco --help` and `elenco COMMAND --help` show it
CLI_COMMANDS = {
    "cli": "elenco: l'elenco degli enti del Terzo Settore per il Piano di Zona, dal modulo Google ai fogli.",
    "sync": "Legge le risposte del modulo e aggiorna l'elenco interno, quello pubblico e i fogli presenze.",
    "init": "Crea o ripara le schede dei due fogli (intestazioni, protezioni, menu delle decisioni).",
    "check": "Controlla configurazione e struttura dei fogli, senza scrivere nulla.",
    "stampa": "Crea un foglio presenze da stampare (A4 orizzontale, con firma) per ogni "
    "incontro di ogni area e per le plenarie.",
    "pubblica": "Scrive la pagina web e il PDF dell'elenco pubblico (con i dati aperti), da "
    "caricare sul sito del Comune.",
    "modulo": "Scrive l'Apps Script la cui funzione creaModulo() crea il modulo Google dalla configurazione.",
    "resolve": "Senza stato: da un export CSV del modulo a una riga per risposta (ente, esito, motivi).",
    "demo": "Crea risposte di prova realistiche e fa una sincronizzazione completa in una cartella locale.",
    "convocazioni": "Per ogni incontro di «Calendario»: l'evento .ics e gli indirizzi degli enti "
    "attesi (Ccn e CSV).",
    "statistiche": "Rapporto di monitoraggio per il Piano di Zona: una pagina HTML con tabelle e "
    "grafici, senza dati personali.",
}
# Command line (`sync.cli`): the options' help, as `elenco … --help` shows it
CLI_HELP = {
    "config": "File di configurazione (elenco.yaml) o preset: crema, cremonese, cernusco.",
    "dry_run": "Mostra cosa cambierebbe in ogni scheda, senza scrivere nulla.",
    "report": "Scrive il resoconto della sincronizzazione in un file JSON.",
    "stampa_out": "Cartella dei fogli da stampare (predefinita: «stampe» accanto ai file locali).",
    "pubblica_out": "Cartella in cui scrivere la pagina web, il PDF e i dati aperti dell'elenco pubblico.",
    "modulo_out": "Cartella in cui scrivere CreaModulo.gs.",
    "resolve_out": "File CSV di uscita: row,entity_id,status,reasons,warnings",
    "demo_dir": "Cartella in cui creare la prova.",
    "convocazioni_out": "Cartella delle convocazioni (predefinita: «convocazioni» accanto ai file locali; "
    "obbligatoria con Google Sheets).",
    "statistiche_out": "Cartella del rapporto (predefinita: «statistiche» accanto ai file locali; obbligatoria "
    "con Google Sheets).",
}
PRINT_FOLDER = "stampe"  # beside the local files, when `elenco stampa` is not given --out

DEMO_REFUSED = (
    "La cartella {folder} contiene già il file {name}, che non è stato creato da «elenco demo»: la prova "
    "sostituirebbe risposte ed elenchi veri con enti inventati. Indicare con --dir una cartella nuova o vuota. "
    "Nessun file è stato scritto."
)

# The dry run («Anteprima delle modifiche», `elenco sync --dry-run`), told by organisation
PREVIEW_ROW = "riga {row}"
PREVIEW_NOTHING = "Nessuna modifica: i fogli sono già aggiornati."
PREVIEW_TAB = "  {tab}: {added} da aggiungere, {changed} da modificare, {removed} da togliere"
PREVIEW_ADDED = "da aggiungere"
PREVIEW_CHANGED = "da modificare"
PREVIEW_REMOVED = "da togliere"
PREVIEW_DECISIONS = "Decisioni che hanno effetto:"
PREVIEW_DECISION = "riga {row} di «Decisioni»: {what} (motivazione: {reason})"
PREVIEW_ENTERING = "Entrano nell'elenco pubblico: {names}"
PREVIEW_LEAVING = "Escono dall'elenco pubblico: {names}"
PREVIEW_PUBLIC_SAME = "L'elenco pubblico non cambia."

# The staff menu in the staff spreadsheet («elenco»)
MEETING_LINE = "{day} {time}, {area}{where} ({n} enti attesi)"
CHECK_OK = "✔"
CHECK_PROBLEM = "✘"

# Public list: the web page, the PDF and the open data (elenco-pubblico.*) -------------------------------------
# Column names of the CSV and keys of the JSON are stable machine names (snake_case, see README): these are
# the titles people read, in the HTML, the PDF and the Table Schema.
PUBLIC_FIELD_TITLES = {
    "id": "ID",
    "denominazione": "Denominazione",
    "forma_giuridica": "Forma giuridica",
    "codice_fiscale": "Codice fiscale",
    "numero_runts": "N. RUNTS",
    "comune_sede_legale": "Comune sede legale",
    "provincia": "Provincia",
    "aree_tematiche": "Aree tematiche",
    "data_iscrizione": "Iscritto dal",
    "stato": "Stato",
    "tipologia": "Tipologia",
}
PUBLIC_FIELD_DESCRIPTIONS = {
    "id": "Codice dell'ente nell'elenco: non cambia e non viene mai riassegnato.",
    "denominazione": "Denominazione dell'ente, come dichiarata nella domanda.",
    "forma_giuridica": "Forma giuridica o qualifica dichiarata (ODV, APS, cooperativa sociale…).",
    "codice_fiscale": "Codice fiscale dell'ente (11 cifre); vuoto se non è quello di un ente.",
    "numero_runts": "Numero di iscrizione al RUNTS o al registro regionale, come dichiarato.",
    "comune_sede_legale": "Comune della sede legale.",
    "provincia": "Sigla della provincia della sede legale.",
    "aree_tematiche": "Aree tematiche dell'ente, separate da « | ».",
    "data_iscrizione": "Data della prima domanda accettata (AAAA-MM-GG).",
    "stato": "Stato dell'ente nell'elenco.",
    "tipologia": "Tipologia dell'ente, dalla forma giuridica e dalla denominazione: Ente del Terzo Settore, "
    "Altro ente privato oppure Ente pubblico.",
}
PUBLIC_TITLE = "Elenco degli enti del Terzo Settore"
PUBLIC_DATASET_TITLE = "Elenco degli enti del Terzo Settore - {ambito}"
PUBLIC_KEYWORDS = ("Terzo Settore", "Piano di Zona", "co-programmazione", "enti", "elenco")
LICENCE_URLS = {"CC BY 4.0": "https://creativecommons.org/licenses/by/4.0/"}
LICENCE_PAGES = {"CC BY 4.0": "https://creativecommons.org/licenses/by/4.0/deed.it"}
LICENCE_TITLES = {"CC BY 4.0": "Creative Commons Attribuzione 4.0 Internazionale"}
PUBLISHED_FIELDS_NOTE = (
    "Denominazione, forma giuridica, tipologia, codice fiscale dell'ente, numero RUNTS, comune della sede "
    "legale, aree tematiche, data di iscrizione. Nessun dato personale dei referenti."
)
MONTHS = (
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
)
LONG_DATE = "{day} {month} {year}"
LONG_DATE_TIME = "{day} {month} {year}, ore {time}"
ORGS_COUNT = {1: "1 ente"}
ORGS_COUNT_OTHER = "{n} enti"
PDF_HEADING = "{title} - {ambito}"
PDF_UPDATED = "Aggiornato al {date}"
PDF_PAGE = "Pagina {page} di {pages}"
PDF_AREA_HEADING = "{area} ({count})"
PDF_TOTAL = "Enti nell'elenco: {count}."
PDF_NO_ORGS = "Nessun ente iscritto in quest'area."
PDF_CONTACTS = "Contatti: {contacts}"
PDF_LICENCE = "Licenza: {licence} ({url})"
# Columns of the HTML tables and the PDF, in this order (a subset of the open data: one table per area).
PUBLIC_TABLE_FIELDS = (
    "denominazione",
    "forma_giuridica",
    "tipologia",
    "comune_sede_legale",
    "codice_fiscale",
    "numero_runts",
    "data_iscrizione",
)


def orgs_count(n: int) -> str:
    """«1 ente», «12 enti»."""
    return ORGS_COUNT.get(n, ORGS_COUNT_OTHER.format(n=n))


# `elenco pubblica --config FILE --out DIR`: the web page, the PDF and the open data the page links to, for upload
PUBLISH_SUMMARY = "Elenco pubblico dell'{ambito}: {count}, aggiornato al {date}."
PUBLISH_WRITTEN = "Scritti in {folder}, da caricare insieme, nella stessa cartella del sito del Comune:"
PUBLISH_FILES = {
    "elenco-pubblico.html": "  {path}  (pagina web: da pubblicare o incorporare con un iframe)",
    "elenco-pubblico.pdf": "  {path}  (PDF per la determina e l'albo pretorio)",
    "elenco-pubblico.csv": "  {path}  (dati aperti: la pagina li collega in «Scarica»)",
    "elenco-pubblico.json": "  {path}  (dati aperti)",
    "datapackage.json": "  {path}  (descrizione delle colonne dei dati aperti)",
}
PUBLISH_CANNOT_WRITE = (
    "Impossibile scrivere {path}: {reason}. Indicare con --out una cartella in cui si può scrivere."
)
PUBLISH_NO_PERMISSION = "permesso negato"
PUBLISH_OS_ERROR = "errore del sistema ({code})"

# Printing (xlsx footers: &P page, &N pages, &D print date — codes LibreOffice and Excel both read).
PRINT_FOOTER_PAGE = "Pagina &P di &N"
PRINT_FOOTER_DATE = "Stampato il &D"

# Plenary meetings: a `Calendario` row for every area at once («Tutte le aree»)
PLENARY_AREA = "Tutte le aree"
PLENARY_NAME = "Plenaria"
# how staff may write the area of a plenary in `Calendario` (compared without accents and case)
PLENARY_SPELLINGS = ("Tutte le aree", "Plenaria", "Tutte", "Incontro plenario")

# `elenco convocazioni --config FILE [--out DIR]`: an .ics event and the invitees' addresses per meeting
WEEKDAYS = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")


def meeting_day(day: date) -> str:
    """«mercoledì 11/09/2019»."""
    return f"{WEEKDAYS[day.weekday()]} {day.strftime('%d/%m/%Y')}"


CONVOCATION_PLENARY = "Incontro plenario"
CONVOCATION_TAVOLO = "Tavolo «{area}»"
CONVOCATION_CALENDAR = "incontri del Piano di Zona"
CONVOCATION_DESCRIPTION = "{what} dell'{ambito} per il Piano di Zona ({notice})."
CONVOCATION_PHASE = "Fase: {phase}."
CONVOCATION_INVITED = "Invitati: {n} dell'elenco."
CONVOCATION_NO_TIME_TEXT = "Orario da definire: l'Ufficio di Piano lo comunicherà."
CONVOCATION_CONTACT = "Informazioni: {office}, {contact}."
CONVOCATION_AREA_FILE = "Tutti gli incontri - {area}"
CONVOCATION_ADDRESSES = " - indirizzi"  # `<data> <area> - indirizzi.txt|csv`
CONVOCATION_FOLDER = "convocazioni"  # beside the local files, when --out is not given
CONVOCATION_NO_TIME = (
    "Incontro di {day} ({area}): orario non indicato in «Calendario», evento per l'intera giornata."
)
CONVOCATION_NO_PLACE = "Incontro di {day} ({area}): luogo non indicato in «Calendario», evento senza luogo."
CONVOCATION_NONE = "Nessun incontro in «Calendario»: nessuna convocazione da preparare."
CONVOCATION_OUT_REQUIRED = (
    "Con Google Sheets indicare la cartella in cui scrivere le convocazioni: --out CARTELLA."
)
CONVOCATION_WRITTEN = "Convocazioni scritte in {folder} (dati personali: non pubblicare questi file):"
CONVOCATION_LINE = "  {stem}: {n}, {addresses} indirizzi"
CONVOCATION_NO_ADDRESS = "  attenzione: {n} senza e-mail né PEC in «{stem}»"

# `Statistiche` (machine-owned tab) and `elenco statistiche --config FILE [--out DIR]` (HTML report)
STATS_TAB = "Statistiche"
STATS_HEADER = ("Tabella", "Voce", "Dettaglio", "Numero", "Su", "Quota %")
# attendance marks read as «present» in the roster columns (compared without case); anything else is absent
PRESENT_MARKS = ("p", "presente", "x", "sì", "si", "1", "✓", "✔")
STATS_PER_AREA = "Enti per area"
STATS_PER_AREA_CATEGORY = "Enti per area e tipologia"
STATS_PER_COMUNE = "Enti per comune"
STATS_PER_FORM = "Enti per forma giuridica"
STATS_PER_WEEK = "Domande per settimana"
STATS_TIMELINESS = "Domande rispetto alla scadenza"
STATS_PER_MEETING = "Presenze per incontro"
STATS_PER_ORG = "Presenze per ente"
STATS_TOTAL = "Enti nell'elenco"
STATS_ON_TIME = "entro la scadenza"
STATS_LATE = "dopo la scadenza"
STATS_WEEK = "settimana dal {day}"
STATS_NO_FORM = "(non indicata)"
STATS_NO_COMUNE = "(non indicato)"
STATS_NOTE = (
    "Scheda aggiornata da elenco a ogni sincronizzazione: conteggi dagli elenchi per area, dalle risposte "
    "accettate e dalle presenze segnate nei fogli «Presenze …» (P, presente, x, sì = presente)."
)
REPORT_TITLE = "Monitoraggio della partecipazione"
REPORT_INTRO = (
    "{ambito} - {notice}. Dati al {day}: {orgs} nell'elenco, {meetings} in «Calendario». "
    "Solo conteggi: nessun dato personale dei referenti."
)
REPORT_NO_DATA = "Nessun dato."
REPORT_CHART_ALT = "Grafico «{title}»: {values}."
REPORT_COLUMNS = ("Voce", "Dettaglio", "Numero", "Su", "Quota %")
REPORT_FOLDER = "statistiche"
REPORT_FILE = "monitoraggio.html"
REPORT_WRITTEN = "Rapporto di monitoraggio scritto in {path}."
REPORT_OUT_REQUIRED = "Con Google Sheets indicare la cartella in cui scrivere il rapporto: --out CARTELLA."


def whole_number(n: int) -> str:
    """An integer as Italians write it: «5.000»."""
    return f"{n:,}".replace(",", ".")


def meetings_count(n: int) -> str:
    """«1 incontro», «4 incontri»."""
    return "1 incontro" if n == 1 else f"{n} incontri"

# Short labels of the problem codes, for the `Avvisi`/`Motivi` cells staff read (the codes stay in the
# technical `Codici` column, in `elenco resolve` and in the JSON report, for scripts).
CODE_LABELS: dict[str, str] = {
    "consenso_mancante": "Consenso mancante",
    "consenso_negato": "Consenso negato",
    "denominazione_mancante": "Denominazione mancante",
    "nessuna_area": "Nessuna area scelta",
    "email_mancante": "Email mancante",
    "email_non_valida": "Email non valida",
    "invio_di_prova": "Invio di prova",
    "cf_mancante": "Codice fiscale mancante",
    "cf_non_valido": "Codice fiscale non valido",
    "cf_zeri_ripristinati": "Codice fiscale: zeri ripristinati",
    "cf_persona_fisica": "Codice fiscale di una persona",
    "cf_ripulito": "Codice fiscale ripulito",
    "cf_forse_copiato": "Codice fiscale forse copiato",
    "comune_fuori_ambito": "Comune fuori Ambito",
    "comune_sconosciuto": "Comune non riconosciuto",
    "comune_mancante": "Comune mancante",
    "runts_mancante": "N. RUNTS mancante",
    "runts_senza_numero": "N. RUNTS non indicato",
    "oltre_scadenza": "Oltre la scadenza",
    "area_sconosciuta": "Area non riconosciuta",
    "area_non_configurata": "Area non configurata",
    "fase_sconosciuta": "Fase non riconosciuta",
    "pec_non_valida": "PEC non valida",
    "data_non_valida": "Data di invio illeggibile",
    "date_mese_giorno": "Date con il mese prima",
    "testo_troncato": "Testo troncato",
    "colonna_sconosciuta": "Colonna non usata",
    "colonna_ripetuta": "Colonna ripetuta",
    "calendario_non_valido": "Incontro non valido",
    "decisione_sconosciuta": "Decisione non riconosciuta",
    "decisione_non_applicabile": "Decisione non applicabile",
    "decisione_senza_destinatario": "Decisione senza ID o riga",
    "decisione_spostata": "Decisione: risposta spostata",
    "decisione_orfana": "Decisione: risposta sparita",
    "ente_non_ets": "Ente non ammesso dall'avviso",
    "recapito_mancante": "Né email né PEC",
    "canale_non_valido": "Canale non riconosciuto",
    "canale_mancante": "Canale mancante",
}


def code_label(code: str) -> str:
    """The short Italian label of a problem code (the code itself if it has none)."""
    return CODE_LABELS.get(code, code)


def code_labels(codes: Iterable[str]) -> str:
    """Labels of codes as one cell: «Oltre la scadenza; Comune non riconosciuto»."""
    return "; ".join(code_label(c) for c in codes)


# «Cosa fare» in `Anomalie`: what to type, with the real row ({target}) or ID ({id}) of the problem.
WHAT_TO_DO = {
    "consenso_mancante": "Se il consenso è stato dato per iscritto: scrivere in «Decisioni»: {target} | Accetta.",
    "denominazione_mancante": "Chiedere all'ente di inviare di nuovo il modulo, oppure scrivere in «Decisioni»: "
    "{target} | Correggi | Denominazione=…",
    "nessuna_area": "Chiedere all'ente le aree, poi scrivere in «Decisioni»: {target} | Correggi | Aree=… "
    "(codici, numeri, nomi delle schede o etichette delle aree).",
    "email_non_valida": "Scrivere in «Decisioni»: {target} | Correggi | Email=…, oppure chiedere un nuovo invio.",
    "invio_di_prova": "Nessuna azione: l'invio di prova resta fuori dagli elenchi.",
    "cf_mancante": "Chiedere il codice fiscale, poi scrivere in «Decisioni»: {target} | Correggi | "
    "Codice fiscale=…",
    "cf_non_valido": "Verificare il codice fiscale, poi scrivere in «Decisioni»: {target} | Correggi | "
    "Codice fiscale=…",
    "comune_fuori_ambito": "Verificare che l'ente operi nell'Ambito; se no, scrivere in «Decisioni»: "
    "{id} | Escludi.",
    "comune_sconosciuto": "Scrivere in «Decisioni»: {target} | Correggi | Comune=…",
    "runts_mancante": "Chiedere il numero di iscrizione al RUNTS (o al registro regionale).",
    "oltre_scadenza": "Nessuna azione: partecipa solo alle fasi aperte dopo la scadenza.",
    "cf_zeri_ripristinati": "Nessuna azione: il codice è stato ripristinato. Per evitarlo, non aprire e salvare "
    "il file delle risposte con Excel o LibreOffice.",
    "ente_non_ets": "Se l'avviso non ammette l'ente: scrivere in «Decisioni»: {id} | Escludi. Se lo ammette: "
    "{target} | Accetta.",
    "recapito_mancante": "Indicare nella scheda «Domande manuali» l'email o la PEC dell'ente.",
    "canale_non_valido": "Scrivere nella colonna «Canale» di «Domande manuali»: PEC, carta oppure e-mail.",
    "area_non_configurata": "Aggiungere la dicitura in `wording` dell'area giusta nella configurazione, oppure "
    "scrivere in «Decisioni»: {target} | Correggi | Aree=…",
}
# How «Cosa fare» cites a row of the form (a row of `Domande manuali` is cited as «manuale N»).
WHAT_TO_DO_ROW = "riga {row}"
WHAT_TO_DO_ACCEPTED = "Nessuna azione: risposta accettata dall'Ufficio di Piano."
WHAT_TO_DO_DISCARDED = "Nessuna azione: risposta scartata dall'Ufficio di Piano."
WHAT_TO_DO_OTHER = "Correggere la riga {row} di «{tab}»."

# The `Istruzioni` tab of the staff workbook (machine-owned, rewritten if edited) -------------------------------
INSTRUCTIONS_HEADER = ("Scheda o decisione", "Chi la scrive", "Che cos'è e cosa si può fare", "Esempio")
INSTRUCTIONS_MACHINE = "elenco, a ogni sincronizzazione"
INSTRUCTIONS_STAFF = "l'Ufficio di Piano"
INSTRUCTIONS_MIXED = "elenco (enti) e l'Ufficio di Piano (presenze, note)"
INSTRUCTIONS_FORM = "Google Moduli (le risposte degli enti)"
# tab -> (who writes it, what it is and what staff may do there); {areas} = the area tabs of the Ambito
INSTRUCTIONS_TABS: tuple[tuple[str, str, str], ...] = (
    (
        "Istruzioni",
        INSTRUCTIONS_MACHINE,
        "Questa pagina: che cos'è ogni scheda e come scrivere le decisioni. Non si modifica: viene riscritta "
        "a ogni sincronizzazione.",
    ),
    (
        "Elenco",
        INSTRUCTIONS_MACHINE,
        "Un ente per riga, con il suo ID (E-0001…), i dati dell'ultima domanda, gli avvisi e lo stato. Si può "
        "ordinare e filtrare; si possono aggiungere colonne a destra (restano vostre). Le correzioni dei dati "
        "si scrivono in «Decisioni» (es. E-0002 | Correggi | Denominazione=…). La colonna «Codici» serve ai "
        "programmi.",
    ),
    (
        "{areas}",
        INSTRUCTIONS_MACHINE,
        "Una scheda per area: gli enti iscritti all'area, in ordine alfabetico, con i contatti. Solo lettura.",
    ),
    (
        "Anomalie",
        INSTRUCTIONS_MACHINE,
        "I problemi da verificare, i bloccanti per primi: per ognuno la riga del modulo, il problema e, in "
        "«Cosa fare», la decisione da scrivere con la riga o l'ID giusti. Solo lettura: si risolve in "
        "«Decisioni» o chiedendo un nuovo invio all'ente.",
    ),
    (
        "Possibili duplicati",
        INSTRUCTIONS_MACHINE,
        "Coppie di enti che potrebbero essere lo stesso, con gli indizi. Si decide in «Decisioni» con Unisci "
        "o Separa; la coppia poi sparisce.",
    ),
    (
        "Risposte",
        INSTRUCTIONS_MACHINE,
        "Ogni risposta del modulo: riga, codice risposta, ente, esito (accettata o respinta) e motivi. Il "
        "codice risposta (R-…) si può usare in «Decisioni» al posto di «riga N». Solo lettura.",
    ),
    (
        "Presenze …",
        INSTRUCTIONS_MIXED,
        "Una scheda per area con una colonna per incontro: segnare le presenze (es. P o A) e le note. elenco "
        "aggiunge enti e incontri, ma non cambia mai le presenze e le note scritte. «Presenze plenaria» è "
        "quella degli incontri per tutte le aree («Tutte le aree» in «Calendario»), con tutti gli enti ammessi.",
    ),
    (
        "Statistiche",
        INSTRUCTIONS_MACHINE,
        "Il monitoraggio per il Piano di Zona: enti per area e tipologia, per comune e per forma giuridica; "
        "domande per settimana, entro e dopo la scadenza; presenze per incontro e per ente, dai fogli "
        "«Presenze …». Solo lettura; il rapporto con i grafici si ottiene con «elenco statistiche».",
    ),
    (
        "Registro sincronizzazioni",
        INSTRUCTIONS_MACHINE,
        "Una riga per sincronizzazione che ha scritto qualcosa: quando, quante risposte ed enti, esito.",
    ),
    (
        "Decisioni",
        INSTRUCTIONS_STAFF,
        "Le decisioni dell'Ufficio di Piano, una per riga (ID ente o riga, decisione, valore, motivazione, "
        "operatore, data): vengono riapplicate a ogni sincronizzazione nell'ordine, l'ultima vince. Per "
        "annullarne una, cancellare la riga. Esempi qui sotto.",
    ),
    (
        "Domande manuali",
        INSTRUCTIONS_STAFF,
        "Le domande arrivate per PEC, su carta o per email, una per riga, con le colonne del modulo più "
        "«Data di ricezione», «Canale» (PEC, carta, e-mail) e «Protocollo». Sono controllate come le risposte "
        "del modulo; in «Decisioni» si citano con «manuale N» o con il codice M-….",
    ),
    (
        "Calendario",
        INSTRUCTIONS_STAFF,
        "Gli incontri, uno per riga (area, data gg/mm/aaaa, orario, luogo, fase): ogni incontro diventa una "
        "colonna nella scheda presenze della sua area; con «Tutte le aree» è un incontro plenario. Con «elenco "
        "convocazioni» si ottengono l'invito per il calendario (.ics) e gli indirizzi degli enti da invitare.",
    ),
    (
        "Risposte del modulo",
        INSTRUCTIONS_FORM,
        "Le risposte come arrivano dal modulo. Non modificarle: le correzioni vanno in «Decisioni».",
    ),
)
INSTRUCTIONS_VERB = "Decisione «{verb}»"
INSTRUCTIONS_EXAMPLE = "ID ente o riga: {target} · Decisione: {verb}{value}{reason}"
INSTRUCTIONS_EXAMPLE_VALUE = " · Valore: {value}"
INSTRUCTIONS_EXAMPLE_REASON = " · Motivazione: {reason}"
# One worked example per decision verb: (ID or row, value, reason) and what it does.
VERB_EXAMPLES: dict[str, tuple[tuple[str, str, str], str]] = {
    "Escludi": (
        ("E-0002", "", "requisiti non posseduti"),
        "Toglie l'ente dall'elenco pubblico e dalle schede delle aree; resta in «Elenco» con lo stato Escluso.",
    ),
    "Sospendi": (
        ("E-0002", "", "documentazione in verifica"),
        "Come Escludi, ma temporaneo: lo stato è Sospeso finché non si scrive Riammetti.",
    ),
    "Riammetti": (
        ("E-0002", "", "documentazione completata"),
        "Riporta nell'elenco un ente escluso, sospeso o ritirato.",
    ),
    "Ritira": (
        ("E-0002", "", "richiesta dell'ente del 10/05/2024"),
        "L'ente ha chiesto di uscire: esce dagli elenchi e i suoi contatti non vengono più mostrati.",
    ),
    "Unisci": (
        ("E-0002", "E-0005", "stesso ente, due domande"),
        "I due ID sono lo stesso ente: le risposte di E-0005 passano a E-0002.",
    ),
    "Separa": (
        ("E-0002", "E-0005", "enti diversi"),
        "I due ID sono enti diversi: non vengono più proposti come possibili duplicati. Su una riga "
        "(es. riga 14) stacca quella risposta dal suo ente.",
    ),
    "Correggi": (
        ("E-0002", "Denominazione=Associazione Il Volo APS", "refuso nel nome"),
        "Corregge un dato dell'ente (Denominazione, Forma giuridica, Comune, Indirizzo, Referente, Email, PEC, "
        "Telefono, Aree, Fasi…) finché una nuova domanda dell'ente non cambia quel campo. Su una riga "
        "(es. riga 14 | Correggi | Aree=A, C) corregge solo quella risposta. Le aree si possono scrivere con "
        "il codice, il numero, il nome della scheda o l'etichetta.",
    ),
    "Accetta": (
        ("riga 14", "", "consenso consegnato per iscritto"),
        "Accetta la risposta di quella riga nonostante un problema bloccante.",
    ),
    "Scarta": (
        ("riga 14", "", "domanda inviata due volte per errore"),
        "Non considera la risposta di quella riga.",
    ),
}

# `Correggi`: what is wrong with its Valore
DECISION_CORRECTION_FORMAT = (
    "per «Correggi» il valore deve essere campo=valore (es. Denominazione=Nuovo nome); campi: {fields}."
)
DECISION_FIELD_UNKNOWN = "«{field}» non è un campo che si può correggere; campi: {fields}."
DECISION_CORRECTION_MERGED = (
    "l'ente {entity} è stato unito a {into}: la correzione non si applica. Scriverla per {into}."
)
DECISION_CORRECTION_EMPTY = "l'ente {entity} non ha risposte accettate: la correzione non si applica."


# --- sync.validate and sync.resolve -------------------------------------------------------------------
# why an email address is not valid (email-validator explains in English: the applicant reads this)
EMAIL_DETAILS = {
    "at_sign": "manca la chiocciola (@).",
    "characters": "contiene caratteri non ammessi (ad esempio spazi).",
    "domain": "il dominio dopo la @ è incompleto o scritto male (es. gmail.com).",
    "form": "l'indirizzo non è nella forma nome@dominio.it.",
}
# the note on a row staff accepted or discarded in «Decisioni»
ROW_VERDICT_NOTES = {
    "Accetta": "accettata dall'Ufficio di Piano (decisione riga {ref})",
    "Scarta": "scartata dall'Ufficio di Piano (decisione riga {ref})",
}

# The tabs' cells that are words, not sentences (`sync.render`) ------------------------------------------------
ALL_PHASES = "tutte"  # `Fasi` of an organisation in every phase
# `Gravità` in `Anomalie`
GRAVITY = {
    "blocking": "bloccante",
    "warning": "avviso",
    "accepted": "superato",
    "discarded": "scartata",
    "other": "da correggere",
}
# `Stato` in a roster (`Presenze …`)
ROSTER_STATES = {
    "member": "iscritto",
    "left_area": "non più iscritto all'area",
    "not_expected": "non più atteso",
}
# `Calendario`: which cell of a row was not recognised
CALENDAR_FIELDS = {"area": "area", "data": "data", "fase": "fase"}

# The public workbook's `Informazioni` tab (the public reads it) -----------------------------------------------
INFORMATION_ITEMS = {
    "notice": "Avviso",
    "ambito": "Ambito",
    "lead_body": "Ente capofila",
    "deadline": "Scadenza dell'avviso",
    "after_deadline": "Dopo la scadenza",
    "updated": "Ultimo aggiornamento",
    "count": "Enti nell'elenco",
    "area_count": "Enti - {area}",
    "licence": "Licenza",
    "contacts": "Contatti",
    "published": "Dati pubblicati",
}
INFORMATION_PUBLISHED_FIELDS = (
    "Denominazione, forma giuridica, codice fiscale dell'ente, numero RUNTS, comune della sede legale, aree "
    "tematiche, data di iscrizione. Nessun dato personale dei referenti."
)


# The configuration (`sync.config`): defaults read on the form, and what is wrong in `elenco.yaml` ------------
# The form's question title of each field, then the aliases accepted for it (compared folded).
QUESTION_TITLES: dict[str, tuple[str, ...]] = {
    "timestamp": ("Informazioni cronologiche", "Timestamp", "Data/ora"),
    "email": ("Indirizzo email", "Email Address", "Email", "E-mail"),
    "name": ("Denominazione dell'ente", "Denominazione", "Nome dell'ente", "Ragione sociale"),
    "tax_code": ("Codice fiscale dell'ente", "Codice fiscale", "Codice fiscale / Partita IVA", "C.F."),
    "legal_form": ("Forma giuridica", "Natura giuridica"),
    "runts": (
        "Numero di iscrizione al RUNTS o al registro regionale",
        "Numero di iscrizione al RUNTS",
        "Iscrizione RUNTS",
    ),
    "comune": ("Comune della sede legale", "Comune sede legale", "Comune"),
    "address": ("Indirizzo della sede legale", "Indirizzo sede legale", "Indirizzo"),
    "contact_name": ("Nome e cognome del referente", "Referente"),
    "phone": ("Telefono del referente", "Telefono"),
    "pec": ("PEC dell'ente", "PEC"),
    "areas": ("Aree di interesse", "Aree tematiche", "Aree"),
    "phases": ("Intendo partecipare a", "Fasi"),
    "experience": ("Esperienza e competenze nelle aree indicate", "Esperienza"),
    "consent": ("Informativa privacy", "Consenso", "Privacy"),
}
# How the applicant's verdict names each field when the form's own title is not known (`webhook.verdict`).
QUESTION_LABELS = {
    "timestamp": "Informazioni cronologiche",
    "email": "Indirizzo email",
    "name": "Denominazione dell'ente",
    "tax_code": "Codice fiscale dell'ente",
    "legal_form": "Forma giuridica",
    "runts": "Numero di iscrizione al RUNTS",
    "comune": "Comune della sede legale",
    "address": "Indirizzo della sede legale",
    "contact_name": "Nome e cognome del referente",
    "phone": "Telefono del referente",
    "pec": "PEC dell'ente",
    "areas": "Aree di interesse",
    "phases": "Intendo partecipare a",
    "experience": "Esperienza e competenze",
    "consent": "Informativa privacy",
}
OFFICE_NAME = "Ufficio di Piano"
RESPONSES_TAB = "Risposte del modulo 1"
SHEET_SUBJECT = "Il foglio delle risposte"  # how the form's sheet is named in the problems `sync.parse` raises
MANUAL_SUBJECT = "la scheda"  # … and `Domande manuali` in the same problems  # the tab Google Forms links its responses to
CONFIG_ROOT = "(radice)"  # where a problem of the whole file is
# pydantic's error types, as whoever writes `elenco.yaml` reads them
CONFIG_ERRORS = {
    "missing": "chiave obbligatoria mancante",
    "extra_forbidden": "chiave non prevista (controllare l'ortografia)",
    "string_too_long": "al massimo {max_length} caratteri",
    "string_too_short": "almeno {min_length} caratteri",
    "string_pattern_mismatch": "formato non valido (atteso: {pattern})",
    "string_type": "atteso un testo",
    "bool_parsing": "atteso true o false",
    "bool_type": "atteso true o false",
    "int_parsing": "atteso un numero intero",
    "int_type": "atteso un numero intero",
    "float_parsing": "atteso un numero",
    "greater_than_equal": "deve essere almeno {ge}",
    "datetime_parsing": "data e ora non valide (es. 2024-05-02T23:59:59)",
    "datetime_from_date_parsing": "data e ora non valide (es. 2024-05-02T23:59:59)",
    "date_parsing": "data non valida (es. 2024-05-15)",
    "date_from_datetime_parsing": "data non valida (es. 2024-05-15)",
    "literal_error": "valore non ammesso (ammessi: {expected})",
    "union_tag_invalid": "valore non ammesso (ammessi: {expected_tags})",
    "union_tag_not_found": "manca la chiave «{discriminator}»",
    "list_type": "attesa una lista",
    "tuple_type": "attesa una lista",
    "dict_type": "attesa una mappa chiave: valore",
    "model_type": "attesa una mappa chiave: valore",
}


# Sentences for staff, registered by code and filled by `say` ---------------------------------------------------
# One entry per sentence; `{placeholders}` are filled by `say` alone (tests/test_words_in_labels.py checks
# that every `say("code", …)` in the code names a registered code with exactly its placeholders).
STAFF: dict[str, str] = {
    # notes on the tabs' headers (`sync.layouts`)
    "nota_scheda_macchina": "Scheda aggiornata da elenco a ogni sincronizzazione: le modifiche vanno fatte in "
    "«Decisioni».",
    "nota_elenco": "Scheda aggiornata da elenco a ogni sincronizzazione: le modifiche vanno fatte in "
    "«Decisioni». Si possono aggiungere colonne a destra: restano vostre.",
    "nota_risposte": "Scheda aggiornata da elenco a ogni sincronizzazione: le modifiche vanno fatte in "
    "«Decisioni». Il codice risposta identifica la risposta anche se le righe si spostano: si può usare in "
    "«Decisioni» al posto di «riga N». Le domande della scheda «Domande manuali» hanno codici M-… e si citano "
    "anche con «manuale N».",
    "nota_presenze": "Segnare le presenze nelle colonne degli incontri (es. «P» o «A»): non vengono mai "
    "sovrascritte. Nuovi incontri: aggiungerli in «Calendario».",
    "nota_presenze_plenaria": "Incontri plenari (in «Calendario» l'area «Tutte le aree»): un ente per riga, tutti "
    "gli enti ammessi. Segnare le presenze nelle colonne degli incontri (es. «P» o «A»): non vengono mai "
    "sovrascritte.",
    "nota_decisioni": "Una decisione per riga; vengono riapplicate a ogni sincronizzazione, nell'ordine.",
    "nota_calendario": "Un incontro per riga: nei fogli presenze compare una colonna per ogni incontro.",
    "nota_memoria": "Memoria di elenco: non modificare.",
    # cells of the staff tabs (`sync.render`)
    "unito_a": "Unito a {into}",
    "come_decidere": "Stesso ente: in «Decisioni» {a} | Unisci | {b}. Enti diversi: {a} | Separa | {b}.",
    # `Decisioni` (`sync.decisions`): why a decision does not apply
    "decisione_ente_inesistente": "l'ente {entity} non esiste.",
    "decisione_solo_riga": "«{verb}» si applica a una riga delle risposte (es. «riga 17»), non a un ente.",
    "decisione_solo_ente": "«{verb}» si applica a un ente (es. E-0042), non a una riga.",
    "decisione_due_enti": "per «{verb}» indicare due enti: l'ID nella prima colonna e l'altro ID in «Valore».",
    "decisione_stesso_id": "{verb}: i due ID sono uguali ({entity}).",
    # `elenco.yaml` (`sync.config`): what is wrong, for whoever writes the configuration
    "config_non_valida": "configurazione non valida ({source}):",
    "config_non_mappa": "configurazione non valida ({source}): attesa una mappa chiave: valore",
    "config_ambito_non_mappa": "configurazione non valida ({source}): 'ambito' deve essere una mappa",
    "config_preset": "preset sconosciuto: {name}. Disponibili: {presets}",
    "config_file_mancante": "file di configurazione non trovato: {path}. Indica un file YAML o un preset ({presets})",
    "config_yaml": "{path}: YAML non leggibile{where}: {problem}",
    "config_yaml_riga": " alla riga {line}",
    "config_non_utf8": "{path}: il file non è testo UTF-8",
    "config_scheda_caratteri": "il nome della scheda non può contenere [ ] * ? / \\ :",
    "config_scheda_inizio": "il nome della scheda non può iniziare con «_» o «Presenze»",
    "config_tipologia": "tipologia non prevista: {wrong}. Ammesse: ets (Ente del Terzo Settore), privato (altro "
    "ente privato), pubblico (ente pubblico)",
    "config_nessuna_tipologia": "indicare almeno una tipologia ammessa (ets, privato, pubblico)",
    "config_nessuna_area": "serve almeno un'area (areas)",
    "config_aree_ripetute": "codici area ripetuti: {codes}",
    "config_schede_ripetute": "due aree hanno lo stesso nome di scheda (tab)",
    "config_area_plenaria": "il codice area {code} è riservato agli incontri plenari",
    "config_incontro_area": "incontro del {day}: area {area} non tra {codes}",
    "config_incontro_fase": "incontro del {day}: fase {phase} non tra {phases}",
    "config_scadenza": "la scadenza (deadline) precede l'apertura (opens)",
    "config_stesso_foglio": "staff_spreadsheet_id e public_spreadsheet_id sono uguali: il foglio pubblico deve "
    "essere un file Google Sheets separato da quello interno (crearne uno nuovo e indicarne l'ID)",
    # the form's responses (`sync.parse`): each begins with SHEET_SUBJECT, told as MANUAL_SUBJECT for `Domande manuali`
    "risposte_vuote": "Il foglio delle risposte è vuoto: manca anche la riga di intestazione delle domande.",
    "domande_mancanti": "Il foglio delle risposte non ha tutte le domande richieste: {missing} Se la domanda è "
    "stata rinominata, aggiungere il nuovo titolo in `questions` nella configurazione.",
    "domanda_mancante": "manca la domanda «{title}».{hint}",
    "domanda_simile": " La colonna più simile è «{title}».",
    # `Domande manuali` (`sync.manual`): the form's messages, told of the tab
    "scheda_manuale": "Scheda «{tab}»: {error}",
    # the command line (`sync.cli`)
    "cli_errore_temporaneo": "Errore temporaneo: {error}\nRiprovare tra qualche minuto.",
    "cli_errore": "Errore: {error}",
    "cli_risposte": "Risposte: {responses}  accettate: {accepted}  respinte: {rejected}",
    "cli_enti": "Enti nell'elenco: {organisations}  possibili duplicati da verificare: {review_pairs}",
    "cli_per_area": "Enti per area:",
    "cli_area": "  {area}: {n}",
    "cli_celle": "Celle scritte: {cells_written}  richieste API: {api_requests}  durata: {duration_s} s",
    "cli_file_in": "File in {folder}:",
    "cli_anteprima": "Anteprima (nessuna modifica scritta):",
    "cli_init_niente": "Niente da fare: tutte le schede sono già a posto.",
    "cli_config_valida": "Configurazione valida: {ambito} ({kind}).",
    "cli_risposte_modulo": "Risposte del modulo: {n} ({origin}).",
    "cli_check_vuoto": "Il foglio delle risposte è vuoto: il confronto con il modulo si farà "
    "sulla sua prima riga.",
    "cli_check_diversi": "Il modulo e la configurazione differiscono:",
    "cli_check_uguali": "Le domande del modulo corrispondono alla configurazione.",
    "cli_check_differenza": "  - {message}",
    "cli_check_da_fare": "Da fare con «elenco init»: {line}",
    "cli_check_completo": "Struttura dei fogli completa.",
    "cli_stampa_nessuna": "Nessun incontro in «Calendario»: nessun foglio da stampare.",
    "cli_modulo_scritto": "Scritto {path}: {n} domande per l'{ambito}.",
    "cli_modulo_come": "Incollarlo in un nuovo progetto Apps Script ed eseguire creaModulo() "
    "(vedi GUIDA.md).",
    "cli_resolve": "{n} risposte: {accepted} accettate, {rejected} respinte, {orgs} enti. Scritto {path}.",
    "cli_demo_config": "# Configurazione creata da «elenco demo»: backend locale (file .xlsx "
    "in questa cartella).\npreset: {preset}\nbackend:\n  kind: xlsx\n  folder: .\n",
    "cli_demo_generate": "Generate {n} risposte di prova per l'{ambito} in {path}.",
    "cli_demo_config_path": "Configurazione: {path} (usabile con elenco "
    "init/sync/check/stampa/convocazioni/statistiche/serve --config).",
    # `Calendario` (`sync.calendar`)
    "calendario_non_valido": "Riga {row} di «Calendario»: {what} non riconosciuta; l'incontro non compare nei "
    "fogli presenze.",
    # printable attendance sheets (`sync.printables`)
    "stampa_file": "Presenze - {tab} - {day}.xlsx",
    "stampa_titolo": "Foglio presenze - {tab}",
    "stampa_sottotitolo": "{ambito} - incontro del {meeting}{where}{phase}",
    "stampa_luogo": " - {place}",
    "stampa_fase": " - {phase}",
}


def say(code: str, /, **values: object) -> str:
    """The staff sentence registered as `code`, its `{placeholders}` filled from `values`."""
    return STAFF[code].format(**values)

# Local workbooks (sync/backends/xlsx.py, sync/backends/printout.py) ------------------------------------
XLSX_MSG_LOCKED = (
    "Il file {name} è aperto in un altro programma (LibreOffice o Excel): chiuderlo e rilanciare la "
    "sincronizzazione. Nessun file è stato modificato."
)
XLSX_MSG_OWNER = (
    " Lo segnala il file nascosto «{owner}» nella cartella {folder}{who}. Se il file non è aperto da nessuno "
    "(per esempio dopo un arresto improvviso del programma), «{owner}» è rimasto per errore: cancellarlo e "
    "rilanciare la sincronizzazione."
)
XLSX_OWNER_BY = ", scritto da {person}"
XLSX_OWNER_PERSON = "{name} (utente {user})"
XLSX_OWNER_HOST = " sul computer «{host}»"
XLSX_OWNER_SINCE = " il {day} alle {hour}"
XLSX_MSG_BUSY = "Un'altra sincronizzazione è in corso sulla cartella {folder}: riprovare tra qualche minuto."
XLSX_MSG_NO_FOLDER = "La cartella {folder} non esiste: crearla o correggere `folder` nella configurazione."
XLSX_MSG_NOT_WRITABLE = "Non è possibile scrivere nella cartella {folder}: controllarne i permessi."
XLSX_MSG_NOT_XLSX = (
    "Il file {name} non è un file Excel (.xlsx) valido: aprirlo con Excel o LibreOffice e salvarlo "
    "come «Cartella di lavoro Excel (.xlsx)»."
)
XLSX_MSG_XLSX_AS_CSV = "Il file {name} è un file Excel, non un CSV: rinominarlo {xlsx}."
XLSX_MSG_XLS_AS_CSV = (
    "Il file {name} è un file Excel 97-2003 (.xls), non un CSV: esportare di nuovo le risposte dal modulo "
    "Google in formato .csv."
)
XLSX_MSG_EMPTY = "Il file {name} è vuoto: esportare di nuovo le risposte dal modulo Google."
XLSX_MSG_NO_RESPONSES = (
    "Mancano le risposte del modulo: mettere nella cartella {folder} il file risposte.csv (o risposte.xlsx) "
    "esportato dal modulo Google, oppure una scheda «{tab}» in elenco-interno.xlsx."
)
XLSX_MSG_BOTH_RESPONSES = (
    "Nella cartella {folder} ci sono sia risposte.csv sia risposte.xlsx: lasciarne uno solo, quello "
    "aggiornato."
)
XLSX_CSV_HINT = (
    "Probabilmente delle virgolette non sono chiuse: esportare di nuovo le risposte dal modulo Google "
    "senza modificare il file a mano."
)
XLSX_MSG_CSV_BROKEN = (
    "Il file {name} non è un CSV valido: errore nella riga che inizia alla riga {line} del file "
    "(virgolette non chiuse o testo subito dopo le virgolette di chiusura). " + XLSX_CSV_HINT
)
XLSX_MSG_CSV_WIDTH = (
    "Il file {name} non è un CSV valido: alcune righe hanno un numero di colonne diverso "
    "dall'intestazione ({width} colonne): {rows}. " + XLSX_CSV_HINT
)
XLSX_MSG_CSV_SWALLOWED = (
    "Il file {name} non è un CSV valido: nella riga che inizia alla riga {line} del file un campo tra "
    "virgolette sembra contenere altre risposte ({count}). " + XLSX_CSV_HINT
)
XLSX_MSG_TAB_NAME = (
    "Il nome della scheda «{title}» non è valido per Excel: non può essere vuoto, contenere [ ] * ? / \\ : "
    "né iniziare o finire con un apostrofo. Correggerlo nella configurazione (`tab` delle aree)."
)
XLSX_MSG_TAB_CLASH = (
    "Le schede «{first}» e «{second}» avrebbero in Excel lo stesso nome «{short}» (al massimo 31 "
    "caratteri): accorciarne il nome nella configurazione (`tab` delle aree)."
)
XLSX_ACTION_FILE = "creato il file {name}"
XLSX_ACTION_TAB = "creata la scheda «{title}»"
XLSX_ACTION_HEADER = "scritta l'intestazione della scheda «{title}»"
XLSX_DROPDOWN_ERROR_TITLE = "Valore non previsto"
XLSX_DROPDOWN_ERROR = "Scegliere un valore dall'elenco."
XLSX_LISTS_TAB = "Elenchi a discesa"
XLSX_TRUE, XLSX_FALSE = "VERO", "FALSO"  # a boolean cell as a person sees it
PRINTOUT_SHEET = "Presenze"
XLSX_CSV_BAD_ROW = "riga {line} del file: {width} colonne"
XLSX_CSV_MORE = "; e altre {n}"
XLSX_ROWS_ONE, XLSX_ROWS_MANY = "1 riga", "{n} righe"
XLSX_RESPONSES_TAB = "Risposte del modulo 1"  # the responses tab Google Forms makes
# Headers of the form's timestamp column (Italian and English Forms exports), as regular expressions.
XLSX_TIMESTAMP_HEADERS = ("cronologic", "timestamp", "marca temporale")
# -- Backends: Google Sheets (sync/backends/gsheets.py) and the in-memory test store (memory.py) --------

GSHEETS_NOT_SHARED = (
    "Il foglio {id} non è condiviso con l'account di servizio {email}: aprirlo in Google Sheets, Condividi, e "
    "aggiungere {email} come editor."
)
GSHEETS_NOT_SHARED_UNKNOWN = (
    "Il foglio {id} non è condiviso con l'account di servizio di elenco: aprirlo in Google Sheets, Condividi, "
    "e aggiungere l'indirizzo dell'account di servizio come editor."
)
GSHEETS_NOT_FOUND = "Il foglio {id} non esiste: controllare l'ID nella configurazione (la parte dell'indirizzo tra /d/ e /edit)."
GSHEETS_API_DISABLED = (
    "L'API Google Sheets non è attiva nel progetto Google Cloud dell'account di servizio: attivarla nella "
    "console Google Cloud (API e servizi › Libreria › Google Sheets API) e riprovare."
)
GSHEETS_UNAUTHORIZED = "Google non accetta le credenziali configurate (errore 401): controllare `credentials` nella configurazione."
GSHEETS_REFRESH = (
    "Google ha rifiutato la chiave dell'account di servizio (forse revocata o scaduta): crearne una nuova nella "
    "console Google Cloud e indicarla in `credentials`."
)
GSHEETS_TRANSIENT = "Google Sheets non risponde ({what}) dopo {attempts}: la sincronizzazione riprenderà alla prossima esecuzione."
GSHEETS_NO_RESPONSES_TAB = (
    "Nel foglio {id} non c'è la scheda delle risposte «{tab}». Schede presenti: {tabs}. Indicare in "
    "`responses_tab` il nome della scheda collegata al modulo."
)
GSHEETS_BUSY = "Un'altra sincronizzazione dello stesso foglio è in corso su questo computer: riprovare tra qualche minuto."
GSHEETS_NO_KEY_FILE = (
    "Il file delle credenziali {path} non esiste: indicare in `credentials` il file JSON della chiave "
    "dell'account di servizio, oppure «adc» su App Engine."
)
GSHEETS_BAD_KEY_FILE = (
    "Il file delle credenziali {path} non è la chiave JSON di un account di servizio Google: scaricarla di nuovo "
    "dalla console Google Cloud (IAM › Account di servizio › Chiavi)."
)
GSHEETS_NO_ADC = (
    "Credenziali predefinite di Google (adc) non trovate: su App Engine sono automatiche; altrove indicare in "
    "`credentials` il file JSON della chiave dell'account di servizio."
)
GSHEETS_ANONYMOUS_NEEDS_ENDPOINT = (
    "`credentials: none` vale solo insieme a `endpoint` (un server di prova o un proxy): per Google Sheets "
    "indicare il file della chiave dell'account di servizio oppure «adc»."
)
GSHEETS_ACTION_TAB = "creata la scheda «{title}»"
GSHEETS_ACTION_HEADER = "scritta l'intestazione della scheda «{title}»"
GSHEETS_ACTION_PROTECT = "protetta la scheda «{title}» (solo avviso)"
GSHEETS_ACTION_PROTECT_COLUMNS = "protette le colonne {columns} della scheda «{title}» (solo avviso)"
GSHEETS_ACTION_HIDE = "nascosta la scheda «{title}»"
GSHEETS_ACTION_LAYOUT = "impostati filtro, formati delle date e larghezze della scheda «{title}»"
GSHEETS_ACTION_MOVE = "spostata la scheda «{title}» in posizione {position}"
GSHEETS_ACTION_DELETE_DEFAULT = "tolta la scheda vuota «{title}»"
GSHEETS_PROTECTION_NOTE = "Scheda aggiornata da elenco a ogni sincronizzazione."
GSHEETS_QUOTA_GIVE_UP = (
    "Google Sheets ha superato la quota di richieste al minuto (errore 429) e non l'ha ripristinata dopo "
    "{seconds} secondi di attesa: la sincronizzazione riprenderà alla prossima esecuzione. Se succede spesso, "
    "controllare che nessun altro programma usi lo stesso account di servizio."
)

# what went wrong with one request to Google (the {what} of GSHEETS_TRANSIENT)
GSHEETS_FAIL_STATUS = "errore {code}"
GSHEETS_FAIL_TIMEOUT = "nessuna risposta entro {wait}"
GSHEETS_FAIL_CONNECTION = "connessione interrotta"
GSHEETS_WAIT_MAX = "il tempo massimo"
GSHEETS_WAIT_SECONDS = "{seconds} secondi"

MEMORY_LOCKED = XLSX_MSG_LOCKED  # the memory store stands in for the local files
MEMORY_BUSY = "Un'altra sincronizzazione è in corso: riprovare tra qualche minuto."
