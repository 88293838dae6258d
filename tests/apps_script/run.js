'use strict';
/**
 * Run Apps Script files under Node.js against the stubs in stubs.js:  node run.js SCENARIO.json
 *
 * The scenario names the scripts to load (`scripts`, loaded into one global scope as Apps Script does with
 * the files of a project) and the steps to run, in order:
 *   ["function", arg, ...]                          call a global function of the scripts
 *   {"submit": {title: answer}, "email": "...",     fill and submit the last form the scripts created (or
 *    "trigger": "suInvioModulo"}                    the scenario's active form), then call the trigger
 *                                                   with the event {response, source} Apps Script passes
 * Legacy shape: {"call": "f", "args": [...]} and, for "suInvioModulo", a scripted {"response": ...}.
 * A step that throws is recorded (`thrown`) and the run goes on. Prints one JSON object: what happened.
 */
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { makeServices } = require('./stubs');

const scenario = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const log = { fetches: [], mails: [], sleeps: [], console: [], triggers: [], menus: [], alerts: [], dialogs: [],
  toasts: [], forms_created: [] };
const made = makeServices(scenario, log);

const RealDate = Date;
let DateClass = RealDate;
if (scenario.now_ms) {
  DateClass = class FixedDate extends RealDate {
    constructor(...args) { if (args.length) { super(...args); } else { super(scenario.now_ms); } }
    static now() { return scenario.now_ms; }
  };
}
const say = (level) => (...m) => log.console.push(m.map(String).join(' '));
const sandbox = Object.assign({}, made.services, {
  Date: DateClass,
  JSON, Math, Object, Array, String, Number, Boolean, RegExp, Error, encodeURIComponent,
  console: { log: say('log'), info: say('info'), warn: say('warn'), error: say('error') },
  Logger: { log: say('log') },
});
vm.createContext(sandbox);
(scenario.scripts || []).forEach((file) => {
  vm.runInContext(fs.readFileSync(file, 'utf8'), sandbox, { filename: path.basename(file) });
});

function scriptedResponse(r) {
  const item = (title, type) => ({ getTitle: () => title, getType: () => ({ toString: () => type }) });
  return {
    getId: () => r.id,
    getTimestamp: () => new DateClass(r.timestamp),
    getRespondentEmail: () => r.email || '',
    getItemResponses: () => r.answers.map(([t, v]) => ({ getItem: () => item(t, 'TEXT'), getResponse: () => v })),
  };
}

function submit(step) {
  const form = made.forms[made.forms.length - 1];
  const builder = form.createResponse();
  form.getItems().forEach((item) => {
    const title = item.getTitle();
    if (Object.prototype.hasOwnProperty.call(step.submit, title)) {
      builder.withItemResponse(item.createResponse(step.submit[title]));
    }
  });
  if (step.email) { builder._setRespondentEmail(step.email); }
  const response = builder.submit();
  if (step.trigger) { sandbox[step.trigger]({ response, source: form }); }
  return response.getId();
}

const steps = scenario.steps ? scenario.steps.slice() : [];
if (scenario.call) {
  if (scenario.call === 'suInvioModulo' && scenario.response) {
    steps.push({ scripted: scenario.response });
  } else {
    steps.push([scenario.call].concat(scenario.args || []));
  }
}
const results = [];
const thrown = [];
steps.forEach((step, i) => {
  try {
    if (Array.isArray(step)) {
      const fn = sandbox[step[0]];
      if (typeof fn !== 'function') { throw new Error('no function ' + step[0]); }
      results.push(fn(...step.slice(1)));
    } else if (step.scripted) {
      const forms = made.services.FormApp;
      results.push(sandbox.suInvioModulo({ response: scriptedResponse(step.scripted), source: forms.getActiveForm() }));
    } else if (step.submit) {
      results.push(submit(step));
    } else {
      throw new Error('unknown step ' + JSON.stringify(step));
    }
  } catch (err) {
    thrown.push({ step: i, message: String(err && err.message ? err.message : err) });
    results.push(null);
  }
});

function formJson(f) {
  return {
    id: f.getId(),
    title: f.getTitle(),
    description: f.getDescription(),
    collect_email: f.collectsEmail(),
    confirmation: f.getConfirmationMessage(),
    destination: f._destination,
    items: f.getItems().map((it) => ({
      type: String(it.getType()),
      title: it.getTitle(),
      help: it.getHelpText(),
      required: it._state.required,
      choices: it._state.choices,
    })),
  };
}
const sheets = {};
Object.keys(made.spreadsheets).forEach((id) => {
  sheets[id] = {};
  made.spreadsheets[id].getSheets().forEach((s) => { sheets[id][s.getName()] = s.rows; });
});
process.stdout.write(JSON.stringify(Object.assign({
  result: results.length ? (results[results.length - 1] === undefined ? null : results[results.length - 1]) : null,
  results: results.map((r) => (r === undefined ? null : r)),
  thrown,
  forms: made.forms.map(formJson),
  spreadsheets: sheets,
  properties: made.properties,
}, log)));
