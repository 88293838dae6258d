"""Every Italian word shown to people (staff, applicants, the public), in one place.

Codes are stable machine identifiers (never renamed); messages are for people.
"""

from __future__ import annotations

# Problem codes --------------------------------------------------------------------------------------------
BLOCKING_CODES = (
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
)
# Set-up problems for staff: shown in `Anomalie`, never in the verdict or the e-mail to the applicant.
STAFF_ONLY_CODES = frozenset({"area_non_configurata"})

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
    "testo_troncato": "Il testo del campo era troppo lungo ed è stato troncato a {limit} caratteri.",
    "cf_ripulito": "Il campo del codice fiscale conteneva altro testo («{value}»): è stato letto come {number}.",
    "cf_forse_copiato": "Il codice fiscale {number} è indicato anche da «{other}», che per nome e contatti "
    "sembra un altro ente: forse è un codice copiato. Verificare quale dei due enti lo possiede.",
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
VERBS = ("Escludi", "Sospendi", "Riammetti", "Ritira", "Unisci", "Separa", "Correggi", "Accetta", "Scarta")
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
EVIDENCE_CONFLICT = "unione richiesta in conflitto con una separazione"
# Command line ---------------------------------------------------------------------------------------------------
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
}
PUBLIC_TITLE = "Elenco degli enti del Terzo Settore"
PUBLIC_DATASET_TITLE = "Elenco degli enti del Terzo Settore - {ambito}"
PUBLIC_KEYWORDS = ("Terzo Settore", "Piano di Zona", "co-programmazione", "enti", "elenco")
LICENCE_URLS = {"CC BY 4.0": "https://creativecommons.org/licenses/by/4.0/"}
LICENCE_PAGES = {"CC BY 4.0": "https://creativecommons.org/licenses/by/4.0/deed.it"}
LICENCE_TITLES = {"CC BY 4.0": "Creative Commons Attribuzione 4.0 Internazionale"}
PUBLISHED_FIELDS_NOTE = (
    "Denominazione, forma giuridica, codice fiscale dell'ente, numero RUNTS, comune della sede legale, aree "
    "tematiche, data di iscrizione. Nessun dato personale dei referenti."
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
    "comune_sede_legale",
    "codice_fiscale",
    "numero_runts",
    "data_iscrizione",
)


def orgs_count(n: int) -> str:
    """«1 ente», «12 enti»."""
    return ORGS_COUNT.get(n, ORGS_COUNT_OTHER.format(n=n))

# Printing (xlsx footers: &P page, &N pages, &D print date — codes LibreOffice and Excel both read).
PRINT_FOOTER_PAGE = "Pagina &P di &N"
PRINT_FOOTER_DATE = "Stampato il &D"

# Google Sheets: the per-minute quota stayed spent after waiting out a whole window (or the sync's time budget).
GSHEETS_QUOTA_GIVE_UP = (
    "Google Sheets ha superato la quota di richieste al minuto (errore 429) e non l'ha ripristinata dopo "
    "{seconds} secondi di attesa: la sincronizzazione riprenderà alla prossima esecuzione. Se succede spesso, "
    "controllare che nessun altro programma usi lo stesso account di servizio."
)
