/**
 * elenco — ponte tra il modulo Google e il servizio elenco.
 *
 * A ogni invio del modulo questo script:
 *   1. raccoglie le risposte (titolo della domanda → risposta; le caselle di controllo come elenco);
 *   2. le firma con la chiave segreta condivisa (HMAC-SHA256) e le invia al servizio (POST /hooks/form);
 *   3. se il servizio segnala problemi e lo chiede (email_richiedente), scrive al richiedente il testo
 *      preparato dal servizio, in italiano, a nome dell'Ufficio di Piano (mittente e «rispondi a» dalla
 *      configurazione del servizio).
 * Non fallisce mai in silenzio e non lascia uscire errori dal trigger: quota delle email esaurita, risposte che
 * non sono JSON, indirizzi reindirizzati (URL sbagliato) e servizio fermo sono scritti nel registro di
 * esecuzione, in italiano.
 *
 * Impostazione (una volta sola, vedi sheets_templates/GUIDA.md):
 *   - Proprietà dello script (Impostazioni progetto → Proprietà script):
 *       ELENCO_WEBHOOK_URL     es. https://PROGETTO.ew.r.appspot.com/hooks/form
 *       ELENCO_WEBHOOK_SECRET  la stessa chiave segreta del servizio (almeno 32 caratteri)
 *   - eseguire una volta la funzione installa() e autorizzare lo script.
 *   - eseguire verificaCollegamento() per provare il collegamento senza inviare il modulo.
 *
 * Le risposte non vanno perse se il servizio non risponde: il foglio delle risposte resta la fonte,
 * e la sincronizzazione periodica del servizio le legge comunque.
 */

var PROPRIETA_URL = 'ELENCO_WEBHOOK_URL';
var PROPRIETA_SEGRETO = 'ELENCO_WEBHOOK_SECRET';
var FUNZIONE_TRIGGER = 'suInvioModulo';
var MAX_TENTATIVI = 4;          // errori 5xx o di rete: si riprova poche volte, poi decide la sincronizzazione periodica
var ATTESA_INIZIALE_MS = 2000;  // 2 s, 4 s, 8 s tra un tentativo e l'altro

/** Crea (una volta sola) il trigger installabile «all'invio del modulo». */
function installa() {
  var modulo = FormApp.getActiveForm();
  var esistenti = ScriptApp.getProjectTriggers().filter(function (t) {
    return t.getHandlerFunction() === FUNZIONE_TRIGGER;
  });
  if (esistenti.length > 0) {
    console.log('Il trigger è già installato: non ne creo un altro.');
    return;
  }
  ScriptApp.newTrigger(FUNZIONE_TRIGGER).forForm(modulo).onFormSubmit().create();
  console.log('Trigger installato: a ogni invio del modulo le risposte vanno al servizio elenco.');
}

/**
 * Il trigger: e.response è la risposta appena inviata, e.source il modulo.
 * Non lascia mai uscire un errore: un trigger che fallisce non avvisa nessuno, mentre qui ogni problema finisce
 * nel registro di esecuzione, in italiano. La risposta resta comunque nel foglio delle risposte.
 */
function suInvioModulo(e) {
  try {
    var dati = costruisciDati(e.response, e.source || FormApp.getActiveForm());
    var verdetto = inviaAlServizio(dati).verdetto;
    if (verdetto && verdetto.email_richiedente && verdetto.destinatario) {
      scriviAlRichiedente(verdetto);
    }
  } catch (err) {
    console.error('Errore imprevisto nello script del modulo (' + err + '): la risposta è nel foglio e sarà ' +
      'letta dalla prossima sincronizzazione.');
  }
}

/**
 * Manda al richiedente il testo preparato dal servizio, a nome dell'Ufficio (mittente e «rispondi a» dalla
 * configurazione del servizio). Con la quota giornaliera di email esaurita non fa nulla di male: lo dice nel
 * registro; il problema resta visibile allo staff in «Anomalie».
 */
function scriviAlRichiedente(verdetto) {
  var opzioni = {};
  if (verdetto.mittente) {
    opzioni.name = verdetto.mittente;
  }
  if (verdetto.rispondi_a) {
    opzioni.replyTo = verdetto.rispondi_a;
  }
  if (MailApp.getRemainingDailyQuota() < 1) {
    console.error(MESSAGGIO_QUOTA_EMAIL);
    return false;
  }
  try {
    MailApp.sendEmail(verdetto.destinatario, verdetto.oggetto_email, verdetto.testo_email, opzioni);
    return true;
  } catch (err) {
    if (/too many times|troppe volte/i.test(String(err))) {
      console.error(MESSAGGIO_QUOTA_EMAIL);
    } else {
      console.error('Email al richiedente non inviata (' + err + '): lo staff vede comunque l\'esito in ' +
        '«Risposte» e in «Anomalie».');
    }
    return false;
  }
}

var MESSAGGIO_QUOTA_EMAIL = 'Email al richiedente non inviata: la quota giornaliera di email dell\'account che ha ' +
  'installato lo script è esaurita (circa 100 destinatari al giorno per un account gratuito, 1.500 con Google ' +
  'Workspace). Lo staff vede l\'esito in «Risposte» e in «Anomalie» e può scrivere all\'ente; la quota si ' +
  'rinnova dopo 24 ore.';

/** Indirizzo di prova usato da verificaCollegamento() quando il modulo raccoglie gli indirizzi email. */
var EMAIL_DI_VERIFICA = 'verifica.collegamento@example.org';

/**
 * Prova il collegamento: invia una risposta vuota di prova (nessun dato personale; se il modulo raccoglie gli
 * indirizzi email, un indirizzo di prova). Il servizio risponde «respinta» con l'elenco di ciò che manca:
 * significa che URL, chiave e domande del modulo sono a posto. Restituisce true se il collegamento funziona.
 */
function verificaCollegamento() {
  var modulo = FormApp.getActiveForm();
  var risposte = {};
  domandeDelModulo(modulo).forEach(function (item) {
    var tipo = String(item.getType());
    risposte[item.getTitle()] = (tipo === 'CHECKBOX' || tipo === 'CHECKBOX_GRID' || tipo === 'GRID') ? [] : '';
  });
  var dati = {
    response_id: 'verifica-' + new Date().getTime(),
    submitted_at: new Date().toISOString(),
    answers: risposte
  };
  if (raccoglieEmail(modulo)) {
    // Google aggiunge la colonna «Indirizzo email» al foglio: il servizio la cerca anche qui
    dati.respondent_email = EMAIL_DI_VERIFICA;
  }
  var esito = inviaAlServizio(dati);
  if (esito.verdetto && esito.verdetto.problemi) {
    console.log('Collegamento riuscito: il servizio ha risposto e ha respinto, come previsto, la risposta ' +
      'vuota di prova (' + esito.verdetto.problemi.map(function (p) { return p.codice; }).join(', ') + ').');
    return true;
  }
  console.error('Collegamento non riuscito: ' + (esito.problema || 'vedere i messaggi qui sopra.'));
  return false;
}

/** Se il modulo raccoglie gli indirizzi email (Impostazioni → Risposte → Raccogli indirizzi email). */
function raccoglieEmail(modulo) {
  try {
    return Boolean(modulo.collectsEmail());
  } catch (err) {
    return false;
  }
}

/** Le domande del modulo (non i titoli di sezione, le immagini, i video, le interruzioni di pagina). */
function domandeDelModulo(modulo) {
  var nonDomande = ['PAGE_BREAK', 'SECTION_HEADER', 'IMAGE', 'VIDEO'];
  return modulo.getItems().filter(function (item) {
    return nonDomande.indexOf(String(item.getType())) < 0;
  });
}

/** Testo di una risposta: le griglie (elenchi di elenchi) diventano testi separati da virgole. */
function testoRisposta(valore) {
  if (valore === null || valore === undefined) {
    return '';
  }
  if (Array.isArray(valore)) {
    return valore.map(function (v) {
      return Array.isArray(v) ? v.join(', ') : String(v);
    });
  }
  return String(valore);
}

/** Il JSON per il servizio: ogni domanda del modulo, anche quelle lasciate vuote. */
function costruisciDati(risposta, modulo) {
  var risposte = {};
  // le domande senza risposta non compaiono in getItemResponses(): il servizio deve vederle vuote,
  // altrimenti scambierebbe una risposta mancante per una domanda tolta dal modulo
  if (modulo) {
    domandeDelModulo(modulo).forEach(function (item) {
      var tipo = String(item.getType());
      risposte[item.getTitle()] = (tipo === 'CHECKBOX' || tipo === 'CHECKBOX_GRID' || tipo === 'GRID') ? [] : '';
    });
  }
  var visti = {};
  risposta.getItemResponses().forEach(function (r) {
    var titolo = r.getItem().getTitle();
    var valore = testoRisposta(r.getResponse());
    // due domande con lo stesso titolo: vale la prima risposta non vuota, come nella sincronizzazione
    if (visti[titolo] && valore.length === 0) {
      return;
    }
    if (!visti[titolo] || risposte[titolo].length === 0) {
      risposte[titolo] = valore;
    }
    visti[titolo] = true;
  });
  var dati = {
    response_id: risposta.getId(),
    submitted_at: risposta.getTimestamp().toISOString(),
    answers: risposte
  };
  var email = '';
  try {
    email = risposta.getRespondentEmail();  // solo se il modulo raccoglie gli indirizzi email
  } catch (err) {
    email = '';
  }
  if (email) {
    dati.respondent_email = email;
  }
  return dati;
}

/**
 * JSON in soli caratteri ASCII (le lettere accentate come \u00e8): i byte firmati e quelli inviati sono
 * così gli stessi qualunque codifica usino UrlFetchApp e Utilities. Il servizio legge lo stesso JSON.
 */
function serializza(dati) {
  return JSON.stringify(dati).replace(/[\u007f-\uffff]/g, function (c) {
    return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4);
  });
}

/** Byte firmati di Apps Script (da -128 a 127) → esadecimale minuscolo. */
function esadecimale(byteFirmati) {
  return byteFirmati.map(function (b) {
    return ('0' + (b & 0xff).toString(16)).slice(-2);
  }).join('');
}

/** Valore dell'intestazione X-Elenco-Signature: sha256=<hex HMAC-SHA256(segreto, orario + "." + corpo)>. */
function firma(segreto, orario, corpo) {
  var mac = Utilities.computeHmacSha256Signature(orario + '.' + corpo, segreto, Utilities.Charset.UTF_8);
  return 'sha256=' + esadecimale(mac);
}

/** Il testo di una risposta, accorciato per il registro (una pagina HTML intera non serve). */
function inizio(testo) {
  var t = String(testo || '').replace(/\s+/g, ' ').trim();
  return t.length > 120 ? t.slice(0, 120) + '…' : t;
}

/**
 * Invia i dati firmati; riprova sugli errori 5xx e di rete, non sui 4xx né sui reindirizzamenti.
 * Restituisce {verdetto: il JSON del servizio o null, problema: il motivo in italiano se non c'è verdetto}.
 */
function inviaAlServizio(dati) {
  var proprieta = PropertiesService.getScriptProperties();
  var url = proprieta.getProperty(PROPRIETA_URL);
  var segreto = proprieta.getProperty(PROPRIETA_SEGRETO);
  if (!url || !segreto) {
    return fallito('Mancano le proprietà dello script ' + PROPRIETA_URL + ' e/o ' + PROPRIETA_SEGRETO +
      ': vedere la guida (GUIDA.md).');
  }
  var corpo = serializza(dati);  // serializzato una volta: si firma e si invia esattamente questo testo
  for (var tentativo = 1; tentativo <= MAX_TENTATIVI; tentativo++) {
    // firmato a ogni tentativo: l'orario firmato deve restare entro 5 minuti da quello del servizio
    var orario = String(Math.floor(new Date().getTime() / 1000));
    var codice = 0;
    var testo = '';
    var intestazioni = {};
    try {
      var risposta = UrlFetchApp.fetch(url, {
        method: 'post',
        contentType: 'application/json',
        payload: corpo,
        headers: { 'X-Elenco-Timestamp': orario, 'X-Elenco-Signature': firma(segreto, orario, corpo) },
        muteHttpExceptions: true,
        // un reindirizzamento trasformerebbe il POST in GET e perderebbe il corpo: va segnalato, non seguito
        followRedirects: false
      });
      codice = risposta.getResponseCode();
      testo = risposta.getContentText();
      intestazioni = risposta.getHeaders() || {};
    } catch (err) {
      console.warn('Tentativo ' + tentativo + ': il servizio non risponde (' + err + ').');
    }
    if (codice === 200) {
      var verdetto = null;
      try {
        verdetto = JSON.parse(testo);
      } catch (err) {
        verdetto = null;
      }
      if (verdetto && typeof verdetto === 'object' && !Array.isArray(verdetto)) {
        return { verdetto: verdetto, problema: '' };
      }
      return fallito('All\'indirizzo ' + url + ' non risponde il servizio elenco: è arrivata una pagina che non ' +
        'è JSON («' + inizio(testo) + '»), forse una pagina di accesso o di un proxy. Controllare la proprietà ' +
        PROPRIETA_URL + '. La risposta sarà letta dalla prossima sincronizzazione.');
    }
    if (codice >= 300 && codice < 400) {
      var verso = intestazioni.Location || intestazioni.location || '';
      return fallito('L\'indirizzo ' + url + ' è sbagliato: il server lo reindirizza' +
        (verso ? ' a ' + verso : '') + '. Scrivere nella proprietà ' + PROPRIETA_URL + ' l\'indirizzo giusto ' +
        '(di solito quello che comincia con https://). La risposta sarà letta dalla prossima sincronizzazione.');
    }
    if (codice === 409) {
      // già ricevuta (ad esempio un tentativo precedente era arrivato): niente da rifare
      console.log('Risposta già ricevuta dal servizio: niente da rifare.');
      return { verdetto: null, problema: 'Risposta già ricevuta dal servizio.' };
    }
    if (codice >= 400 && codice < 500) {
      // firma, dati o configurazione: riprovare darebbe lo stesso esito
      return fallito('Il servizio ha rifiutato la risposta (' + codice + '): ' + messaggioDelServizio(testo));
    }
    if (codice >= 500) {
      console.warn('Tentativo ' + tentativo + ': errore del servizio (' + codice + ').');
    }
    if (tentativo < MAX_TENTATIVI) {
      Utilities.sleep(ATTESA_INIZIALE_MS * Math.pow(2, tentativo - 1));
    }
  }
  return fallito('Servizio non raggiungibile: la risposta sarà letta dalla prossima sincronizzazione periodica.');
}

/** Il messaggio italiano di un rifiuto del servizio ({"error", "messaggio"}), o l'inizio del testo. */
function messaggioDelServizio(testo) {
  try {
    var dati = JSON.parse(testo);
    if (dati && dati.messaggio) {
      return dati.messaggio;
    }
  } catch (err) {
    // non JSON: si mostra l'inizio del testo
  }
  return inizio(testo);
}

function fallito(problema) {
  console.error(problema);
  return { verdetto: null, problema: problema };
}
