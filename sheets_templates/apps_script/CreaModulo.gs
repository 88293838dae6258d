/**
 * elenco — costruisce il modulo Google dell'avviso dalla configurazione dell'Ambito.
 *
 * Questo file è il modello: «elenco modulo --config elenco.yaml --out CARTELLA» lo copia in CARTELLA/CreaModulo.gs
 * con al posto di MODULO le domande della configurazione (titoli esatti, testi di aiuto, obbligatorietà, aree,
 * fasi e forme giuridiche come scelte). Così i titoli e le opzioni del modulo non possono divergere da quelli
 * che il servizio si aspetta.
 *
 * Uso (vedi sheets_templates/GUIDA.md): https://script.google.com → Nuovo progetto → incollare il file creato →
 * eseguire creaModulo() (oppure creaModulo('ID_DEL_FOGLIO') per collegare un foglio esistente). Nel registro
 * compaiono l'indirizzo del modulo da modificare, quello da pubblicare e il foglio delle risposte.
 */

var MODULO = /* MODULO */ null;

/** Crea il modulo; `idFoglio` (facoltativo) è il foglio delle risposte, altrimenti ne crea uno nuovo. */
function creaModulo(idFoglio) {
  var modulo = FormApp.create(MODULO.titolo);
  modulo.setDescription(MODULO.descrizione);
  // gli indirizzi email sono raccolti da Google: il servizio scrive al richiedente a quell'indirizzo
  modulo.setCollectEmail(MODULO.raccogli_email);
  if (MODULO.conferma) {
    modulo.setConfirmationMessage(MODULO.conferma);
  }
  MODULO.domande.forEach(function (d) {
    aggiungiDomanda(modulo, d);
  });
  var foglio = idFoglio ? SpreadsheetApp.openById(idFoglio) : SpreadsheetApp.create(MODULO.titolo + ' (risposte)');
  modulo.setDestination(FormApp.DestinationType.SPREADSHEET, foglio.getId());
  console.log('Modulo creato: ' + MODULO.domande.length + ' domande.');
  console.log('Da modificare: ' + modulo.getEditUrl());
  console.log('Da pubblicare: ' + modulo.getPublishedUrl());
  console.log('Foglio delle risposte (il foglio dello staff): ' + foglio.getUrl());
  return { modulo: modulo.getId(), foglio: foglio.getId() };
}

/** Una domanda: testo breve, paragrafo, caselle di controllo o elenco a discesa. */
function aggiungiDomanda(modulo, d) {
  var item;
  if (d.tipo === 'testo') {
    item = modulo.addTextItem();
  } else if (d.tipo === 'paragrafo') {
    item = modulo.addParagraphTextItem();
  } else if (d.tipo === 'caselle') {
    item = modulo.addCheckboxItem();
    item.setChoiceValues(d.scelte);
  } else if (d.tipo === 'elenco') {
    item = modulo.addListItem();
    item.setChoiceValues(d.scelte);
  } else {
    throw new Error('Tipo di domanda sconosciuto: ' + d.tipo);
  }
  item.setTitle(d.titolo);
  if (d.aiuto) {
    item.setHelpText(d.aiuto);
  }
  item.setRequired(d.obbligatoria);
  return item;
}
