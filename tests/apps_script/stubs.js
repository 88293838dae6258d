'use strict';
/**
 * Stubs of the Apps Script services the elenco scripts use, for running the .gs files under Node.js.
 *
 * Faithful to the documented behaviour where the scripts depend on it:
 *  - Utilities.computeHmacSha256Signature returns a Java byte array: signed numbers -128..127.
 *  - UrlFetchApp.fetch is synchronous; followRedirects defaults to true (3xx followed, a 303/301/302 turns a
 *    POST into a GET); without muteHttpExceptions a code >= 400 throws "Request failed for URL returned code N";
 *    a redirect not followed is returned as it is (code 3xx, its Location header in getHeaders()).
 *    Requests go over real HTTP (a child node process, so the call blocks like Apps Script's) unless the
 *    scenario queues scripted answers in `fetch_responses`.
 *  - MailApp.sendEmail(recipient, subject, body[, options]) and sendEmail(message); past the daily quota it
 *    throws "Service invoked too many times for one day: email."; getRemainingDailyQuota().
 *  - FormApp builders (create, add*Item, setChoiceValues, setRequired, setCollectEmail, setDestination …),
 *    item responses and FormResponse.submit() (which appends a row to the linked spreadsheet as Google does:
 *    timestamp, e-mail when collected, then one column per question, ticked boxes joined by ", ").
 *  - PropertiesService, ScriptApp triggers, SpreadsheetApp (active spreadsheet, getUi menus, alerts, dialogs),
 *    HtmlService outputs, Session.
 * Everything a script does is recorded in `log` for the tests.
 */
const crypto = require('crypto');
const childProcess = require('child_process');

const FETCH_CHILD = `
const http = require('http');
const https = require('https');
let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const r = JSON.parse(input);
  const u = new URL(r.url);
  const lib = u.protocol === 'https:' ? https : http;
  const req = lib.request(u, { method: r.method, headers: r.headers, timeout: r.timeout_ms }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      process.stdout.write(JSON.stringify({ code: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8') }));
    });
  });
  req.on('timeout', () => { req.destroy(new Error('Timeout')); });
  req.on('error', (e) => { process.stdout.write(JSON.stringify({ error: String(e.message || e) })); });
  if (r.payload !== null) { req.write(r.payload); }
  req.end();
});
`;

const FETCH_PARAMS = ['method', 'contentType', 'payload', 'headers', 'muteHttpExceptions', 'followRedirects',
  'validateHttpsCertificates', 'escaping'];
const MAIL_OPTIONS = ['attachments', 'bcc', 'cc', 'htmlBody', 'inlineImages', 'name', 'noReply', 'replyTo'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function javaBytes(buffer) {
  return Array.from(buffer, (b) => (b > 127 ? b - 256 : b));
}

function toBuffer(value, charset) {
  if (Array.isArray(value)) {
    return Buffer.from(value.map((b) => b & 0xff));
  }
  if (charset !== undefined && charset !== 'UTF-8' && charset !== 'US-ASCII') {
    throw new Error('Charset non previsto: ' + charset);
  }
  return Buffer.from(String(value), charset === 'US-ASCII' ? 'latin1' : 'utf8');
}

function enumValue(name) {
  return { toString: () => name, name: () => name };
}

function makeServices(scenario, log) {
  const queue = (scenario.fetch_responses || []).slice();
  const properties = Object.assign({}, scenario.properties || {});
  let mailLeft = scenario.mail_quota === undefined ? 100 : scenario.mail_quota;
  let nextId = 1;
  const newId = (prefix) => prefix + (nextId++);

  const Utilities = {
    Charset: { UTF_8: 'UTF-8', US_ASCII: 'US-ASCII' },
    computeHmacSha256Signature(value, key, charset) {
      const mac = crypto.createHmac('sha256', toBuffer(key, charset)).update(toBuffer(value, charset)).digest();
      return javaBytes(mac);
    },
    base64Encode(data) { return toBuffer(data).toString('base64'); },
    getUuid() { return crypto.randomUUID(); },
    sleep(ms) { log.sleeps.push(ms); },
  };

  function response(r) {
    const headers = Object.assign({}, r.headers || {});
    return {
      getResponseCode: () => r.code,
      getContentText: () => (r.body === undefined ? '' : r.body),
      getHeaders: () => headers,
      getAllHeaders: () => headers,
    };
  }

  function realFetch(url, method, headers, payload) {
    const done = childProcess.spawnSync(process.execPath, ['-e', FETCH_CHILD], {
      input: JSON.stringify({ url, method: method.toUpperCase(), headers, payload, timeout_ms: 60000 }),
      encoding: 'utf8',
      timeout: 70000,
    });
    if (done.status !== 0 || !done.stdout) {
      throw new Error('Exception: Address unavailable: ' + url);
    }
    const r = JSON.parse(done.stdout);
    if (r.error) {
      throw new Error('Exception: Address unavailable: ' + url + ' (' + r.error + ')');
    }
    const flat = {};
    Object.keys(r.headers).forEach((k) => {
      // Apps Script capitalises header names (Content-Type, Location)
      const name = k.replace(/(^|-)([a-z])/g, (m, d, c) => d + c.toUpperCase());
      flat[name] = Array.isArray(r.headers[k]) ? r.headers[k].join(', ') : r.headers[k];
    });
    return { code: r.code, headers: flat, body: r.body };
  }

  const UrlFetchApp = {
    fetch(url, params) {
      const p = params || {};
      Object.keys(p).forEach((k) => {
        if (FETCH_PARAMS.indexOf(k) < 0) { throw new Error('Exception: Invalid argument: ' + k); }
      });
      if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
        throw new Error('Exception: Invalid argument: ' + url);
      }
      let method = (p.method || 'get').toLowerCase();
      const headers = Object.assign({}, p.headers || {});
      let payload = p.payload === undefined ? null : p.payload;
      if (payload !== null && typeof payload !== 'string') {
        throw new Error('the stubs accept string payloads only');
      }
      if (payload !== null) {
        headers['Content-Type'] = p.contentType || 'application/x-www-form-urlencoded';
      }
      const follow = p.followRedirects !== false;
      let current = url;
      for (let hop = 0; ; hop++) {
        log.fetches.push({ url: current, params: p, method });
        let r;
        if (queue.length > 0 || scenario.network === false) {
          r = queue.shift() || { code: 200, body: '{}' };
          if (r.throw) { throw new Error(r.throw); }
        } else {
          r = realFetch(current, method, headers, payload);
        }
        const location = (r.headers || {}).Location;
        if (follow && r.code >= 300 && r.code < 400 && location && hop < 5) {
          current = new URL(location, current).toString();
          if (r.code !== 307 && r.code !== 308) { method = 'get'; payload = null; delete headers['Content-Type']; }
          continue;
        }
        if (!p.muteHttpExceptions && r.code >= 400) {
          throw new Error('Exception: Request failed for ' + current + ' returned code ' + r.code +
            '. Truncated server response: ' + String(r.body || '').slice(0, 100) +
            ' (use muteHttpExceptions option to examine full response)');
        }
        return response(r);
      }
    },
  };

  const scriptProperties = {
    getProperty: (k) => (Object.prototype.hasOwnProperty.call(properties, k) ? properties[k] : null),
    setProperty: (k, v) => { properties[k] = String(v); return scriptProperties; },
    deleteProperty: (k) => { delete properties[k]; return scriptProperties; },
    getProperties: () => Object.assign({}, properties),
    getKeys: () => Object.keys(properties),
  };
  const PropertiesService = { getScriptProperties: () => scriptProperties };

  const MailApp = {
    getRemainingDailyQuota: () => mailLeft,
    sendEmail(...args) {
      let message;
      if (args.length === 1 && typeof args[0] === 'object') {
        message = Object.assign({}, args[0]);
        message.options = {};
      } else {
        const [to, subject, body, options] = args;
        message = { to, subject, body, options: Object.assign({}, options || {}) };
      }
      Object.keys(message.options).forEach((k) => {
        if (MAIL_OPTIONS.indexOf(k) < 0) { throw new Error('Exception: Invalid argument: ' + k); }
      });
      if (mailLeft <= 0) {
        throw new Error('Exception: Service invoked too many times for one day: email.');
      }
      String(message.to).split(',').forEach((a) => {
        if (!EMAIL.test(a.trim())) { throw new Error('Exception: Invalid email: ' + a); }
      });
      mailLeft -= 1;
      log.mails.push(message);
    },
  };

  // Spreadsheets -------------------------------------------------------------------------------------------
  const spreadsheets = {};
  function makeSpreadsheet(id, name, tabs) {
    const sheets = [];
    const ss = {
      getId: () => id,
      getName: () => name,
      getUrl: () => 'https://docs.google.com/spreadsheets/d/' + id + '/edit',
      getSheets: () => sheets.slice(),
      getSheetByName: (title) => sheets.find((s) => s.getName() === title) || null,
      insertSheet: (title) => addSheet(title, []),
      toast: (text, title) => { log.toasts.push({ text, title: title || '' }); },
    };
    function addSheet(title, rows) {
      const data = rows.map((r) => r.slice());
      const sheetId = sheets.length === 0 ? 0 : 1000 + sheets.length;
      const sheet = {
        getName: () => title,
        getSheetId: () => sheetId,
        getLastRow: () => data.length,
        appendRow: (row) => { data.push(row.slice()); return sheet; },
        getDataRange: () => ({ getValues: () => data.map((r) => r.slice()) }),
        rows: data,
      };
      sheets.push(sheet);
      return sheet;
    }
    Object.keys(tabs || {}).forEach((t) => addSheet(t, tabs[t]));
    spreadsheets[id] = ss;
    return ss;
  }
  const active = scenario.spreadsheet
    ? makeSpreadsheet(scenario.spreadsheet.id, scenario.spreadsheet.name || 'Foglio', scenario.spreadsheet.tabs)
    : null;

  const ButtonSet = { OK: enumValue('OK'), OK_CANCEL: enumValue('OK_CANCEL'), YES_NO: enumValue('YES_NO') };
  const Button = { OK: enumValue('OK'), CANCEL: enumValue('CANCEL'), YES: enumValue('YES'), NO: enumValue('NO'),
    CLOSE: enumValue('CLOSE') };
  function makeMenu(caption) {
    const entry = { caption, items: [] };
    const menu = {
      addItem: (label, fn) => { entry.items.push([label, fn]); return menu; },
      addSeparator: () => { entry.items.push(['-', '']); return menu; },
      addToUi: () => { log.menus.push(entry); },
    };
    return menu;
  }
  const ui = {
    ButtonSet,
    Button,
    createMenu: makeMenu,
    createAddonMenu: () => makeMenu('(componente aggiuntivo)'),
    alert(...args) {
      // alert(prompt) | alert(prompt, buttons) | alert(title, prompt, buttons)
      const [title, prompt] = args.length === 3 ? [args[0], args[1]]
        : [typeof args[1] === 'string' ? args[0] : '', typeof args[1] === 'string' ? args[1] : args[0]];
      log.alerts.push({ title, prompt: String(prompt) });
      return Button.OK;
    },
    showModalDialog(output, title) { log.dialogs.push({ title, html: output.getContent() }); },
    showModelessDialog(output, title) { log.dialogs.push({ title, html: output.getContent() }); },
  };
  const SpreadsheetApp = {
    getActiveSpreadsheet: () => active,
    getActive: () => active,
    getUi: () => ui,
    openById: (id) => {
      if (!spreadsheets[id]) { throw new Error('Exception: Unexpected error while getting the method or property openById on object SpreadsheetApp.'); }
      return spreadsheets[id];
    },
    create: (name) => makeSpreadsheet(newId('foglio-'), name, {}),
  };

  function htmlOutput(content) {
    const out = {
      _content: content,
      setWidth: () => out,
      setHeight: () => out,
      setTitle: () => out,
      append: (more) => { out._content += more; return out; },
      getContent: () => out._content,
    };
    return out;
  }
  const HtmlService = { createHtmlOutput: (html) => htmlOutput(html === undefined ? '' : String(html)) };

  // Forms --------------------------------------------------------------------------------------------------
  const ItemType = {};
  ['CHECKBOX', 'CHECKBOX_GRID', 'DATE', 'DATETIME', 'DURATION', 'GRID', 'IMAGE', 'LIST', 'MULTIPLE_CHOICE',
    'PAGE_BREAK', 'PARAGRAPH_TEXT', 'SCALE', 'SECTION_HEADER', 'TEXT', 'TIME', 'VIDEO'].forEach((n) => {
    ItemType[n] = enumValue(n);
  });
  const DestinationType = { SPREADSHEET: enumValue('SPREADSHEET') };
  const CHOICE_TYPES = ['CHECKBOX', 'MULTIPLE_CHOICE', 'LIST'];

  function makeItem(form, type) {
    const state = { title: '', help: '', required: false, choices: [], type, id: nextId++ };
    const item = {
      _state: state,
      getId: () => state.id,
      getType: () => ItemType[type],
      getTitle: () => state.title,
      setTitle: (t) => { state.title = String(t); return item; },
      getHelpText: () => state.help,
      setHelpText: (t) => { state.help = String(t); return item; },
      isRequired: () => state.required,
      setRequired: (r) => {
        if (type === 'SECTION_HEADER' || type === 'PAGE_BREAK') { throw new Error('not a question'); }
        state.required = Boolean(r); return item;
      },
      duplicate: () => { throw new Error('not stubbed'); },
    };
    if (CHOICE_TYPES.indexOf(type) >= 0) {
      item.setChoiceValues = (values) => {
        if (!Array.isArray(values) || values.length === 0) { throw new Error('Exception: Invalid argument: values'); }
        state.choices = values.map(String); return item;
      };
      item.createChoice = (value) => ({ getValue: () => String(value) });
      item.setChoices = (choices) => { state.choices = choices.map((c) => c.getValue()); return item; };
      item.getChoices = () => state.choices.map((v) => ({ getValue: () => v }));
    }
    item.createResponse = (value) => {
      if (type === 'CHECKBOX') {
        if (!Array.isArray(value)) { throw new Error('Exception: Invalid argument: responses'); }
        value.forEach((v) => {
          if (state.choices.indexOf(v) < 0) { throw new Error('Exception: Invalid response submitted to item.'); }
        });
      } else if (type === 'LIST' || type === 'MULTIPLE_CHOICE') {
        if (state.choices.indexOf(value) < 0) { throw new Error('Exception: Invalid response submitted to item.'); }
      } else if (type !== 'TEXT' && type !== 'PARAGRAPH_TEXT') {
        throw new Error('not stubbed: responses to ' + type);
      }
      return { getItem: () => item, getResponse: () => value };
    };
    const cast = () => item;
    item.asTextItem = cast; item.asParagraphTextItem = cast; item.asCheckboxItem = cast;
    item.asListItem = cast; item.asMultipleChoiceItem = cast; item.asSectionHeaderItem = cast;
    form._items.push(item);
    return item;
  }

  const forms = [];
  function makeForm(title) {
    const f = {
      _items: [], _title: String(title), _description: '', _collectEmail: false, _destination: null,
      _responses: [], _confirmation: '', _id: newId('modulo-'),
    };
    const form = f;
    Object.assign(form, {
      getId: () => f._id,
      getTitle: () => f._title,
      setTitle: (t) => { f._title = String(t); return form; },
      getDescription: () => f._description,
      setDescription: (t) => { f._description = String(t); return form; },
      setCollectEmail: (b) => { f._collectEmail = Boolean(b); return form; },
      collectsEmail: () => f._collectEmail,
      setConfirmationMessage: (t) => { f._confirmation = String(t); return form; },
      getConfirmationMessage: () => f._confirmation,
      setAllowResponseEdits: () => form,
      setLimitOneResponsePerUser: () => form,
      setProgressBar: () => form,
      setShowLinkToRespondAgain: () => form,
      setDestination: (type, id) => {
        if (type !== DestinationType.SPREADSHEET) { throw new Error('Exception: Invalid argument: type'); }
        SpreadsheetApp.openById(id);
        f._destination = id;
        return form;
      },
      getDestinationId: () => {
        if (!f._destination) { throw new Error('Exception: The form currently has no response destination.'); }
        return f._destination;
      },
      getPublishedUrl: () => 'https://docs.google.com/forms/d/e/' + f._id + '/viewform',
      getEditUrl: () => 'https://docs.google.com/forms/d/' + f._id + '/edit',
      getItems: () => f._items.slice(),
      addTextItem: () => makeItem(f, 'TEXT'),
      addParagraphTextItem: () => makeItem(f, 'PARAGRAPH_TEXT'),
      addCheckboxItem: () => makeItem(f, 'CHECKBOX'),
      addMultipleChoiceItem: () => makeItem(f, 'MULTIPLE_CHOICE'),
      addListItem: () => makeItem(f, 'LIST'),
      addSectionHeaderItem: () => makeItem(f, 'SECTION_HEADER'),
      addPageBreakItem: () => makeItem(f, 'PAGE_BREAK'),
      createResponse: () => makeResponseBuilder(f),
    });
    forms.push(form);
    return form;
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function sheetTimestamp(d) {
    // an Italian-locale response sheet shows 03/04/2024 11.09.13 (the stubs run in UTC)
    return pad(d.getUTCDate()) + '/' + pad(d.getUTCMonth() + 1) + '/' + d.getUTCFullYear() + ' ' +
      pad(d.getUTCHours()) + '.' + pad(d.getUTCMinutes()) + '.' + pad(d.getUTCSeconds());
  }

  function makeResponseBuilder(f) {
    const given = [];
    let email = '';
    const builder = {
      withItemResponse: (r) => { given.push(r); return builder; },
      _setRespondentEmail: (e) => { email = e; return builder; },  // what the respondent types or signs in with
      submit: () => {
        f._items.forEach((it) => {
          const answered = given.find((r) => r.getItem() === it);
          const v = answered ? answered.getResponse() : null;
          if (it._state.required && (v === null || v === '' || (Array.isArray(v) && v.length === 0))) {
            throw new Error('Exception: a required question has no answer: ' + it.getTitle());
          }
        });
        if (f._collectEmail && !email) { throw new Error('Exception: the form collects e-mail addresses'); }
        const when = new Date();
        const r = {
          getId: () => 'risposta-' + (f._responses.length + 1),
          getTimestamp: () => when,
          getRespondentEmail: () => (f._collectEmail ? email : ''),
          getItemResponses: () => given.slice(),
        };
        f._responses.push(r);
        if (f._destination) {
          const sheet = spreadsheets[f._destination].getSheets()[0] || spreadsheets[f._destination].insertSheet('Risposte del modulo 1');
          const questions = f._items.filter((it) => ['SECTION_HEADER', 'PAGE_BREAK', 'IMAGE', 'VIDEO'].indexOf(it._state.type) < 0);
          if (sheet.getLastRow() === 0) {
            const header = ['Informazioni cronologiche'];
            if (f._collectEmail) { header.push('Indirizzo email'); }
            sheet.appendRow(header.concat(questions.map((q) => q.getTitle())));
          }
          const row = [sheetTimestamp(when)];
          if (f._collectEmail) { row.push(email); }
          questions.forEach((q) => {
            const answered = given.find((x) => x.getItem() === q);
            const v = answered ? answered.getResponse() : '';
            row.push(Array.isArray(v) ? v.join(', ') : v);
          });
          sheet.appendRow(row);
        }
        return r;
      },
    };
    return builder;
  }

  let activeForm = null;
  if (scenario.items) {
    activeForm = makeForm(scenario.form_title || 'Modulo');
    scenario.items.forEach(([title, type]) => { makeItem(activeForm, type).setTitle(title); });
    activeForm.setCollectEmail(Boolean(scenario.collect_email));
  }
  const FormApp = {
    ItemType,
    DestinationType,
    create: (title) => { const f = makeForm(title); log.forms_created.push(f.getId()); return f; },
    getActiveForm: () => activeForm,
    openById: (id) => forms.find((f) => f.getId() === id) || null,
  };

  const existing = (scenario.existing_triggers || []).map((h) => ({ getHandlerFunction: () => h }));
  const ScriptApp = {
    getProjectTriggers: () => existing,
    newTrigger(handler) {
      const chain = {
        forForm: () => chain, forSpreadsheet: () => chain, onFormSubmit: () => chain, onOpen: () => chain,
        create: () => { log.triggers.push(handler); return {}; },
      };
      return chain;
    },
  };
  const Session = {
    getActiveUser: () => ({ getEmail: () => scenario.user_email || '' }),
    getEffectiveUser: () => ({ getEmail: () => scenario.user_email || '' }),
    getScriptTimeZone: () => 'Europe/Rome',
  };

  return {
    services: { Utilities, UrlFetchApp, PropertiesService, MailApp, SpreadsheetApp, HtmlService, FormApp,
      ScriptApp, Session },
    forms,
    spreadsheets,
    properties,
  };
}

module.exports = { makeServices, javaBytes };
