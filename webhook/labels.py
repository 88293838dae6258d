"""Every Italian sentence the webhook shows to people (the Apps Script log, the applicant, IT).

Error codes are stable machine identifiers (never renamed); messages are for people.
"""

from __future__ import annotations

MIN_SECRET_LENGTH = 32
SECRET_HINT = 'python -c "import secrets; print(secrets.token_hex(32))"'

ERRORS: dict[str, str] = {
    # refusals of POST /hooks/form
    "richiesta_troppo_grande": "La richiesta supera la dimensione massima di 256 KB.",
    "non_json": "La richiesta deve essere in formato JSON (Content-Type: application/json).",
    "firma_mancante": "Richiesta non firmata: mancano le intestazioni X-Elenco-Timestamp e X-Elenco-Signature.",
    "orario_non_valido": "L'intestazione X-Elenco-Timestamp deve essere un numero intero di secondi (ora Unix).",
    "richiesta_scaduta": "La richiesta è stata firmata più di 5 minuti fa: non viene accettata. "
    "Se l'orologio del server è giusto, inviare di nuovo.",
    "richiesta_nel_futuro": "La richiesta ha un orario di più di 5 minuti nel futuro: controllare l'orologio "
    "del server.",
    "firma_non_valida": "La firma della richiesta non è valida: la chiave ELENCO_WEBHOOK_SECRET dello script "
    "e quella del servizio devono essere uguali.",
    "json_non_valido": "Il corpo della richiesta non è un JSON valido.",
    "dati_non_validi": "Dati della risposta non validi: {detail}.",
    "firma_ripetuta": "Questa richiesta è già stata ricevuta (firma già usata): non viene elaborata di nuovo.",
    "risposta_ripetuta": "Questa risposta del modulo è già stata ricevuta: non viene elaborata di nuovo.",
    "domanda_mancante": "{detail}",
    # other routes
    "pubsub_non_autorizzato": "Notifica Pub/Sub non autorizzata: token OIDC mancante o non valido.",
    "pubsub_non_configurato": "Notifica Pub/Sub non autorizzata: il servizio non è configurato per Pub/Sub "
    "(ELENCO_PUBSUB_AUDIENCE, ELENCO_PUBSUB_SERVICE_ACCOUNT).",
    "pubsub_non_valido": "Notifica Pub/Sub non valida: atteso un oggetto JSON con il campo «message».",
    "attivita_non_autorizzata": "Richiesta non autorizzata: serve l'intestazione X-Appengine-Cron di App "
    "Engine o un token (Authorization: Bearer).",
    "errore_temporaneo": "Sincronizzazione non riuscita per un errore temporaneo: {detail} "
    "Riprovare tra qualche minuto.",
    "file_aperto": "Sincronizzazione non eseguita: {detail}",
    "errore_configurazione": "Sincronizzazione non riuscita: {detail}",
    "non_trovato": "Indirizzo non trovato.",
    "elenco_non_pubblicato": "L'elenco pubblico non è ancora stato pubblicato: sarà disponibile dopo la prima "
    "sincronizzazione.",
    "metodo_non_ammesso": "Metodo HTTP non ammesso per questo indirizzo.",
    "errore_http": "Richiesta non valida.",
    "errore_interno": "Errore interno del servizio: l'errore è stato registrato.",
}

DETAILS = {
    "not_object": "atteso un oggetto JSON",
    "response_id": "«response_id» deve essere un testo non vuoto (al massimo 200 caratteri)",
    "submitted_at": "«submitted_at» deve essere una data e ora ISO 8601 (es. 2024-04-03T09:09:13.000Z)",
    "answers": "«answers» deve essere un oggetto «titolo della domanda» → testo o elenco di testi",
    "respondent_email": "«respondent_email» deve essere un testo",
    "too_many": "troppe domande in «answers» (al massimo 500)",
    "not_text": "il testo contiene caratteri non validi (surrogati Unicode isolati)",
}

SECRET_MISSING = (
    "Manca la chiave segreta del webhook: impostare la variabile d'ambiente ELENCO_WEBHOOK_SECRET "
    f"(almeno {MIN_SECRET_LENGTH} caratteri, ad esempio generata con: {SECRET_HINT})."
)
SECRET_TOO_SHORT = (
    f"La chiave segreta del webhook (ELENCO_WEBHOOK_SECRET) è troppo corta: servono almeno {MIN_SECRET_LENGTH} "
    f"caratteri ASCII. Generarne una con: {SECRET_HINT}"
)
SECRET_NOT_ASCII = (
    "La chiave segreta del webhook (ELENCO_WEBHOOK_SECRET) deve contenere solo caratteri ASCII stampabili. "
    f"Generarne una con: {SECRET_HINT}"
)
TOKEN_TOO_SHORT = (
    f"Il token delle attività (ELENCO_TASK_TOKEN) è troppo corto: servono almeno {MIN_SECRET_LENGTH} caratteri. "
    f"Generarne uno con: {SECRET_HINT}"
)
CONFIG_MISSING = (
    "Manca la configurazione: impostare la variabile d'ambiente ELENCO_CONFIG con il percorso del file "
    "elenco.yaml (o il nome di un preset: crema, cremonese, cernusco)."
)
SECRET_MANAGER_FAILED = (
    "Impossibile leggere il segreto {name} da Secret Manager ({detail}): verificare che il service account "
    "dell'applicazione abbia il ruolo «Funzione di accesso ai secret di Secret Manager»."
)
NUMBER_SETTING = "La variabile d'ambiente {name} deve essere un numero di secondi (trovato «{value}»)."

# The verdict ------------------------------------------------------------------------------------------------
OUTCOME = {"accepted": "accettata", "rejected": "respinta"}
SEVERITY = {"blocking": "bloccante", "warning": "avviso"}

EMAIL_SUBJECT = {
    "rejected": "{ambito}: la domanda di iscrizione all'elenco non può essere accettata",
    "accepted": "{ambito}: domanda di iscrizione all'elenco ricevuta, con alcune osservazioni",
}
EMAIL_GREETING = "Buongiorno,"
EMAIL_RECEIVED = "abbiamo ricevuto la risposta al modulo «{notice}» inviata il {when}{name}."
EMAIL_FOR_NAME = " per «{name}»"  # after EMAIL_RECEIVED's date, when the response names the body
EMAIL_WHEN = "%d/%m/%Y alle %H:%M"  # strftime format of the date in EMAIL_RECEIVED
EMAIL_REJECTED = "La domanda non può essere accettata per questi motivi:"
EMAIL_ACCEPTED = "La domanda è stata accettata. Vi segnaliamo però:"
EMAIL_WARNINGS_TOO = "Vi segnaliamo inoltre:"
EMAIL_FIX = "Per correggere, compilate di nuovo il modulo con i dati corretti: vale l'ultima risposta inviata."
EMAIL_LATE = (
    "La domanda è valida e non va inviata di nuovo: essendo arrivata dopo la scadenza, l'ente partecipa "
    "soltanto alla fase di attuazione."
)
EMAIL_CONTACT_REPLY = "Per chiarimenti rispondete a questo messaggio: arriva all'Ufficio di Piano."
EMAIL_CONTACT_OFFICE = "Per chiarimenti scrivete all'Ufficio di Piano."
EMAIL_SIGN_OFF = "Cordiali saluti,"
EMAIL_AUTOMATIC = "Messaggio inviato automaticamente dal sistema dell'elenco."

# the answer to a Pub/Sub push that was accepted
PUBSUB_SCHEDULED = "sincronizzazione programmata"

# `elenco serve` (the console of a laptop)
SERVE_LISTENING = "elenco in ascolto su http://{host}:{port} (modulo: POST /hooks/form, stato: GET /status)"
SERVE_INTERVAL = "Sincronizzazione automatica ogni {seconds} secondi. Premere Ctrl-C per fermare."
SERVE_STOPPING_WAIT = "Arresto in corso: attendo la fine della sincronizzazione in corso…"
SERVE_STOPPING = "Arresto in corso…"
SERVE_STOPPED = "elenco fermato."
SERVE_HELP = "Webhook del modulo e sincronizzazione periodica, per l'uso su un portatile (Ctrl-C per fermare)."
SERVE_HOST_HELP = "Indirizzo su cui ascoltare."
SERVE_PORT_HELP = "Porta."

# the scheduler, when another sync holds the machine's lock too long
SYNC_BUSY = (
    "Un'altra sincronizzazione è in corso da più di {seconds:.0f} secondi su questa macchina: "
    "riprovare più tardi."
)

# The staff menu («elenco» in the staff spreadsheet) ------------------------------------------------------------
ADDON_BODY = "atteso un oggetto JSON con «richiesta» (un identificativo unico) e «foglio»"
ADDON_BUSY = (
    "Una sincronizzazione è già in corso: non è un errore e non serve ripeterla. Il risultato sarà nei fogli "
    "entro circa {seconds} secondi (verso le {at})."
)
ADDON_SYNCED = (
    "Sincronizzazione completata in {seconds} s: {cells} celle aggiornate, {organisations} enti nell'elenco."
)
ADDON_SYNCED_NOTHING = "Sincronizzazione completata: i fogli erano già aggiornati, nulla da scrivere."
ADDON_PREVIEW = "Ecco cosa cambierebbe con una sincronizzazione adesso (nulla è stato scritto):"
ADDON_MEETINGS = "I prossimi incontri e i loro fogli presenze:"
ADDON_NO_MEETINGS = (
    "Nessun incontro in programma da oggi in poi: aggiungere le date nella scheda «Calendario»."
)
ADDON_CHECK_OK = "Tutto a posto: il servizio risponde, la chiave è giusta e i fogli sono completi."
ADDON_CHECK_PROBLEMS = "Il servizio risponde e la chiave è giusta, ma ci sono {n} problemi da sistemare:"
CHECK_CONFIG = "Configurazione valida: {ambito} (fogli: {backend})."
CHECK_SHEET_OK = "Lo script è nel foglio dello staff configurato nel servizio."
CHECK_SHEET_OTHER = (
    "Lo script è nel foglio {given}, ma il servizio lavora sul foglio {configured}: installare lo script nel "
    "foglio giusto o correggere staff_spreadsheet_id in elenco.yaml."
)
CHECK_READ = "Fogli leggibili: {rows} risposte del modulo."
CHECK_TODO = "Da sistemare con «elenco init» (o con una sincronizzazione): {line}"
CHECK_FORM_OK = "Le domande del modulo corrispondono alla configurazione."
CHECK_LAST_SYNC = "Ultima sincronizzazione: {outcome}. {detail}"

# `python -m webhook.deploy`
REQUIREMENTS_HEADER = (
    "# Generato da: python -m webhook.deploy requirements > requirements.txt  (non modificare a mano)\n"
    "# Le dipendenze di pyproject.toml, fissate alle versioni con cui sono passati i test.\n"
)
DEPLOY_USAGE = "uso: python -m webhook.deploy requirements > requirements.txt"
