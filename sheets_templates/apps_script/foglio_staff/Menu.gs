/**
 * elenco — il menu «elenco» nel foglio dello staff.
 *
 * Uno script legato al foglio dello staff (il foglio collegato al modulo): all'apertura aggiunge il menu
 *   elenco → Sincronizza ora · Anteprima delle modifiche · Fogli presenze da stampare · Verifica configurazione
 * Ogni voce chiama il servizio elenco con una richiesta firmata come quelle del modulo (HMAC-SHA256 su
 * orario + "." + corpo, con la stessa chiave segreta) e mostra l'esito in italiano: anche quando il servizio è
 * fermo, irraggiungibile o già occupato da una sincronizzazione (che non è un errore: si dice quando il
 * risultato sarà nei fogli).
 *
 * Impostazione (una volta sola, vedi sheets_templates/GUIDA.md):
 *   Estensioni → Apps Script → incollare questo file e appsscript.json di questa cartella;
 *   Impostazioni progetto → Proprietà script:
 *       ELENCO_URL             l'indirizzo del servizio, es. https://PROGETTO.ew.r.appspot.com
 *       ELENCO_WEBHOOK_SECRET  la stessa chiave segreta del servizio e dello script del modulo
 *   riaprire il foglio: compare il menu «elenco».
 */

var PROPRIETA_URL_SERVIZIO = 'ELENCO_URL';
var PROPRIETA_CHIAVE = 'ELENCO_WEBHOOK_SECRET';
var TITOLO = 'elenco';

/** All'apertura del foglio: il menu «elenco». */
function onOpen() {
  SpreadsheetApp.getUi()
    .createMenu('elenco')
    .addItem('Sincronizza ora', 'sincronizzaOra')
    .addItem('Anteprima delle modifiche', 'anteprimaModifiche')
    .addItem('Fogli presenze da stampare', 'fogliPresenze')
    .addSeparator()
    .addItem('Verifica configurazione', 'verificaConfigurazione')
    .addToUi();
}

/** «Sincronizza ora»: una sincronizzazione subito; se ne è già in corso una, quando ci sarà il risultato. */
function sincronizzaOra() {
  var esito = chiediAlServizio('sincronizza');
  mostraAvviso('Sincronizzazione', esito.messaggio, esito.righe);
  return esito;
}

/** «Anteprima delle modifiche»: cosa cambierebbe, per scheda e per ente; non scrive nulla. */
function anteprimaModifiche() {
  var esito = chiediAlServizio('anteprima');
  if (!esito.ok) {
    mostraAvviso('Anteprima delle modifiche', esito.messaggio, []);
    return esito;
  }
  mostraFinestra('Anteprima delle modifiche', '<p>' + html(esito.messaggio) + '</p>' + elencoHtml(esito.righe));
  return esito;
}

/** «Fogli presenze da stampare»: per i prossimi incontri, la scheda delle presenze e il PDF da stampare. */
function fogliPresenze() {
  var esito = chiediAlServizio('presenze');
  if (!esito.ok) {
    mostraAvviso('Fogli presenze', esito.messaggio, []);
    return esito;
  }
  var foglio = SpreadsheetApp.getActiveSpreadsheet();
  var voci = (esito.dati.incontri || []).map(function (inc) {
    var scheda = foglio.getSheetByName(inc.scheda);
    var testo = html(inc.testo);
    if (!scheda) {
      return '<li>' + testo + ' — manca la scheda «' + html(inc.scheda) + '»: usare «Sincronizza ora».</li>';
    }
    var gid = scheda.getSheetId();
    var apri = foglio.getUrl() + '#gid=' + gid;
    // esportazione PDF di Google Fogli: A4 orizzontale, adattato alla larghezza, intestazione ripetuta
    var pdf = 'https://docs.google.com/spreadsheets/d/' + foglio.getId() + '/export?format=pdf&gid=' + gid +
      '&size=A4&portrait=false&fitw=true&gridlines=true&fzr=true';
    return '<li>' + testo + ' — <a href="' + html(apri) + '" target="_blank">apri la scheda</a> · ' +
      '<a href="' + html(pdf) + '" target="_blank">PDF da stampare</a></li>';
  });
  mostraFinestra('Fogli presenze da stampare', '<p>' + html(esito.messaggio) + '</p>' +
    (voci.length ? '<ul>' + voci.join('') + '</ul>' : ''));
  return esito;
}

/** «Verifica configurazione»: servizio raggiungibile, chiave giusta, foglio, schede e domande del modulo. */
function verificaConfigurazione() {
  var esito = chiediAlServizio('verifica');
  mostraAvviso('Verifica configurazione', esito.messaggio, esito.righe);
  return esito;
}

// ---------------------------------------------------------------------------------------------------------

/** Testo sicuro dentro l'HTML di una finestra. */
function html(testo) {
  return String(testo === undefined || testo === null ? '' : testo)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function elencoHtml(righe) {
  if (!righe || !righe.length) {
    return '';
  }
  return '<pre style="white-space: pre-wrap; font-family: inherit">' + righe.map(html).join('\n') + '</pre>';
}

function mostraAvviso(titolo, messaggio, righe) {
  var ui = SpreadsheetApp.getUi();
  var testo = messaggio + (righe && righe.length ? '\n\n' + righe.join('\n') : '');
  ui.alert(titolo, testo, ui.ButtonSet.OK);
}

function mostraFinestra(titolo, corpo) {
  var pagina = HtmlService.createHtmlOutput('<div style="font-family: sans-serif; font-size: 13px">' + corpo +
    '</div>').setWidth(640).setHeight(480);
  SpreadsheetApp.getUi().showModalDialog(pagina, titolo);
}

/** JSON in soli caratteri ASCII: i byte firmati e quelli inviati sono gli stessi (come nello script del modulo). */
function serializza(dati) {
  return JSON.stringify(dati).replace(/[\u007f-\uffff]/g, function (c) {
    return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4);
  });
}

/** sha256=<hex HMAC-SHA256(chiave, orario + "." + corpo)>; Apps Script restituisce byte con segno. */
function firma(chiave, orario, corpo) {
  var mac = Utilities.computeHmacSha256Signature(orario + '.' + corpo, chiave, Utilities.Charset.UTF_8);
  return 'sha256=' + mac.map(function (b) {
    return ('0' + (b & 0xff).toString(16)).slice(-2);
  }).join('');
}

function inizio(testo) {
  var t = String(testo || '').replace(/\s+/g, ' ').trim();
  return t.length > 120 ? t.slice(0, 120) + '…' : t;
}

/**
 * Chiama POST <ELENCO_URL>/addon/<azione> con una richiesta firmata e restituisce
 * {ok, messaggio, righe, dati}: `messaggio` è sempre una frase italiana da mostrare.
 */
function chiediAlServizio(azione) {
  var proprieta = PropertiesService.getScriptProperties();
  var base = String(proprieta.getProperty(PROPRIETA_URL_SERVIZIO) || '').replace(/\/+$/, '');
  var chiave = proprieta.getProperty(PROPRIETA_CHIAVE);
  if (!base || !chiave) {
    return esitoNegativo('Mancano le proprietà dello script ' + PROPRIETA_URL_SERVIZIO + ' e/o ' + PROPRIETA_CHIAVE +
      ' (Estensioni → Apps Script → Impostazioni progetto → Proprietà script): vedere la guida.');
  }
  var url = base + '/addon/' + azione;
  var corpo = serializza({
    richiesta: Utilities.getUuid(),  // ogni richiesta è diversa: il servizio rifiuta quelle ripetute
    foglio: SpreadsheetApp.getActiveSpreadsheet().getId(),
    azione: azione
  });
  var orario = String(Math.floor(new Date().getTime() / 1000));
  var risposta;
  try {
    risposta = UrlFetchApp.fetch(url, {
      method: 'post',
      contentType: 'application/json',
      payload: corpo,
      headers: { 'X-Elenco-Timestamp': orario, 'X-Elenco-Signature': firma(chiave, orario, corpo) },
      muteHttpExceptions: true,
      followRedirects: false
    });
  } catch (err) {
    return esitoNegativo('Il servizio elenco non risponde (' + err + '). Riprovare tra qualche minuto: intanto ' +
      'la sincronizzazione automatica continua e nessuna risposta del modulo va persa.');
  }
  var codice = risposta.getResponseCode();
  var testo = risposta.getContentText();
  if (codice >= 300 && codice < 400) {
    var verso = (risposta.getHeaders() || {}).Location || '';
    return esitoNegativo('L\'indirizzo ' + base + ' è sbagliato: il server lo reindirizza' + (verso ? ' a ' + verso : '') +
      '. Correggere la proprietà ' + PROPRIETA_URL_SERVIZIO + ' (di solito comincia con https://).');
  }
  var dati = null;
  try {
    dati = JSON.parse(testo);
  } catch (err) {
    dati = null;
  }
  if (!dati || typeof dati !== 'object') {
    if (codice >= 500) {
      return esitoNegativo('Il servizio elenco è in difficoltà (errore ' + codice + '): riprovare tra qualche minuto.');
    }
    return esitoNegativo('All\'indirizzo ' + base + ' non risponde il servizio elenco (errore ' + codice +
      ', «' + inizio(testo) + '»): controllare la proprietà ' + PROPRIETA_URL_SERVIZIO + '.');
  }
  if (codice === 401) {
    return esitoNegativo('Il servizio ha rifiutato la richiesta: ' + dati.messaggio + ' (la chiave ' + PROPRIETA_CHIAVE +
      ' deve essere la stessa del servizio e dello script del modulo).');
  }
  if (codice === 404) {
    return esitoNegativo('Il servizio all\'indirizzo ' + base + ' non conosce il menu «elenco»: aggiornare il ' +
      'servizio o correggere la proprietà ' + PROPRIETA_URL_SERVIZIO + '.');
  }
  var ok = codice === 200 || codice === 202;
  return { ok: ok, messaggio: dati.messaggio || ('Risposta del servizio: ' + codice), righe: dati.righe || [],
    dati: dati, codice: codice };
}

function esitoNegativo(messaggio) {
  console.error(messaggio);
  return { ok: false, messaggio: messaggio, righe: [], dati: null, codice: 0 };
}
