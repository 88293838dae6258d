/**
 * elenco — ponte tra il modulo Google e il servizio elenco.
 *
 * A ogni invio del modulo questo script:
 *   1. raccoglie le risposte (titolo della domanda → risposta; le caselle di controllo come elenco);
 *   2. le firma con la chiave segreta condivisa (HMAC-SHA256) e le invia al servizio (POST /hooks/form);
 *   3. se il servizio segnala problemi e lo chiede (email_richiedente), scrive al richiedente il testo
 *      preparato dal servizio, in italiano.
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

/** Il trigger: e.response è la risposta appena inviata, e.source il modulo. */
function suInvioModulo(e) {
  var dati = costruisciDati(e.response, e.source || FormApp.getActiveForm());
  var verdetto = inviaAlServizio(dati);
  if (verdetto && verdetto.email_richiedente && verdetto.destinatario) {
    MailApp.sendEmail(verdetto.destinatario, verdetto.oggetto_email, verdetto.testo_email);
  }
}

/**
 * Prova il collegamento: invia una risposta vuota di prova (nessuna email, nessun dato personale).
 * Il servizio risponde «respinta» con l'elenco di ciò che manca: significa che URL, chiave e domande
 * del modulo sono a posto. Un errore 422 dice quale domanda richiesta manca nel modulo.
 */
function verificaCollegamento() {
  var modulo = FormApp.getActiveForm();
  var risposte = {};
  domandeDelModulo(modulo).forEach(function (item) {
    risposte[item.getTitle()] = '';
  });
  var dati = {
    response_id: 'verifica-' + new Date().getTime(),
    submitted_at: new Date().toISOString(),
    answers: risposte
  };
  var verdetto = inviaAlServizio(dati);
  console.log(verdetto ? 'Collegamento riuscito: ' + JSON.stringify(verdetto.problemi.map(function (p) {
    return p.codice;
  })) : 'Collegamento non riuscito: vedere i messaggi qui sopra.');
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

/** Invia i dati firmati; riprova sugli errori 5xx e di rete, non sui 4xx. Restituisce il verdetto o null. */
function inviaAlServizio(dati) {
  var proprieta = PropertiesService.getScriptProperties();
  var url = proprieta.getProperty(PROPRIETA_URL);
  var segreto = proprieta.getProperty(PROPRIETA_SEGRETO);
  if (!url || !segreto) {
    console.error('Mancano le proprietà dello script ' + PROPRIETA_URL + ' e/o ' + PROPRIETA_SEGRETO +
      ': vedere la guida (GUIDA.md).');
    return null;
  }
  var corpo = serializza(dati);  // serializzato una volta: si firma e si invia esattamente questo testo
  for (var tentativo = 1; tentativo <= MAX_TENTATIVI; tentativo++) {
    // firmato a ogni tentativo: l'orario firmato deve restare entro 5 minuti da quello del servizio
    var orario = String(Math.floor(new Date().getTime() / 1000));
    var codice = 0;
    var testo = '';
    try {
      var risposta = UrlFetchApp.fetch(url, {
        method: 'post',
        contentType: 'application/json',
        payload: corpo,
        headers: { 'X-Elenco-Timestamp': orario, 'X-Elenco-Signature': firma(segreto, orario, corpo) },
        muteHttpExceptions: true,
        followRedirects: false
      });
      codice = risposta.getResponseCode();
      testo = risposta.getContentText();
    } catch (err) {
      console.warn('Tentativo ' + tentativo + ': il servizio non risponde (' + err + ').');
    }
    if (codice === 200) {
      return JSON.parse(testo);
    }
    if (codice === 409) {
      // già ricevuta (ad esempio un tentativo precedente era arrivato): niente da rifare
      console.log('Risposta già ricevuta dal servizio.');
      return null;
    }
    if (codice >= 400 && codice < 500) {
      // firma, dati o configurazione: riprovare darebbe lo stesso esito
      console.error('Il servizio ha rifiutato la risposta (' + codice + '): ' + testo);
      return null;
    }
    if (codice >= 500) {
      console.warn('Tentativo ' + tentativo + ': errore del servizio (' + codice + ').');
    }
    if (tentativo < MAX_TENTATIVI) {
      Utilities.sleep(ATTESA_INIZIALE_MS * Math.pow(2, tentativo - 1));
    }
  }
  console.error('Servizio non raggiungibile: la risposta sarà letta dalla prossima sincronizzazione periodica.');
  return null;
}
