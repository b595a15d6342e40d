// The kiosk's hands on the phone page. When the page is opened as `/?kiosk` (where `piphone kiosk`'s one-time
// login link lands), it takes commands from the server's stream `/api/kiosk/commands` and carries each out by
// pressing the page's own buttons, as a person would; then it posts the outcome back (`/api/kiosk/results`).
// After every change it posts the phone's state (`/api/kiosk/state`) for `piphone status`.
// On any other page load it does nothing.
import { api } from './common.js';

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const ACTIVE = new Set(['connecting', 'ringing', 'in-call']);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let page = null; // this page's id from the server's `hello`
let autoAnswer = false;
let replaced = false;
let failures = 0;
let queue = Promise.resolve();
const watchers = new Set();

const phoneState = () => document.body.dataset.callState || 'starting';
const statusText = () => $('status').textContent.trim();
const incomingShown = () => !$('incoming').hidden;
const adviceText = () => ($('advice').hidden ? '' : $('advice').textContent.trim());

/** Resolves once `test()` holds (checked at every change of the page), or with `false` after `ms`. */
function until(test, ms) {
  if (test()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const watcher = () => {
      if (!test()) return;
      watchers.delete(watcher);
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      watchers.delete(watcher);
      resolve(false);
    }, ms);
    watchers.add(watcher);
  });
}

const done = (message) => ({ ok: true, message });
const failed = (message) => ({ ok: false, message });
const ended = () => [statusText(), adviceText()].filter(Boolean).join(' — ');

async function call({ number, timeout_ms: timeoutMs = 60_000 }) {
  if (ACTIVE.has(phoneState())) return failed(`busy: ${statusText()}`);
  if (!(await until(() => !$('call').disabled, 10_000))) return failed(`the phone is not ready: ${ended()}`);
  const field = $('number');
  field.value = number;
  field.dispatchEvent(new Event('input'));
  $('call').click();
  if (phoneState() !== 'connecting') return failed(`the call was not placed: ${ended()}`);
  const settled = await until(() => !ACTIVE.has(phoneState()) || phoneState() === 'in-call', timeoutMs - 1_500);
  if (phoneState() === 'in-call') return done(statusText());
  if (!settled) {
    $('hangup').click();
    return failed(`no answer within ${Math.round(timeoutMs / 1000)} s; hung up`);
  }
  return failed(ended());
}

async function hangup({ timeout_ms: timeoutMs = 15_000 }) {
  if (ACTIVE.has(phoneState())) {
    $('hangup').click();
    await until(() => !ACTIVE.has(phoneState()), timeoutMs - 1_500);
    return ACTIVE.has(phoneState()) ? failed(`still ${statusText()}`) : done(statusText());
  }
  if (incomingShown()) {
    $('incoming-reject').click();
    return done('rejected the incoming call');
  }
  return failed('not in a call');
}

async function answer({ timeout_ms: timeoutMs = 60_000 }) {
  if (!incomingShown()) return failed('no incoming call');
  $('incoming-accept').click();
  await until(() => phoneState() === 'in-call' || !ACTIVE.has(phoneState()), timeoutMs - 1_500);
  return phoneState() === 'in-call' ? done(statusText()) : failed(ended());
}

async function dtmf({ digits }) {
  if (phoneState() !== 'in-call') return failed('not in a call');
  for (const digit of digits) {
    const key = document.querySelector(`[data-key="${CSS.escape(digit)}"]`);
    if (!key) return failed(`no key ${digit}`);
    key.click();
    await sleep(150);
  }
  return done(`sent ${digits}`);
}

const ACTIONS = { call, hangup, answer, dtmf };

async function perform(command) {
  let outcome;
  try {
    const action = ACTIONS[command.action];
    outcome = action ? await action(command) : failed(`unknown command ${command.action}`);
  } catch (error) {
    outcome = failed(`the page failed: ${error.message}`);
  }
  // The phone's state goes with the outcome, so `piphone status` right after agrees with it.
  await api('/api/kiosk/results', {
    method: 'POST',
    body: { id: command.id, ...outcome, state: phoneState(), page, phone: snapshot() },
  }).catch(() => {}); // nobody waits any more (timed out): nothing to do
}

function selected(select) {
  const option = select?.selectedOptions?.[0];
  return option ? option.textContent : null;
}

let reportTimer = null;
function reportSoon() {
  clearTimeout(reportTimer);
  reportTimer = setTimeout(report, 100);
}

/** The phone as `piphone status` shows it. */
function snapshot() {
  const mic = document.getElementById('mic');
  const speaker = document.getElementById('speaker');
  return {
    state: phoneState(),
    text: statusText(),
    incoming_from: incomingShown() ? $('incoming-from').textContent : null,
    microphone: selected(mic),
    speaker: selected(speaker),
    microphones: [...(mic?.options ?? [])].map((o) => o.textContent),
    speakers: [...(speaker?.options ?? [])].map((o) => o.textContent),
  };
}

function report() {
  if (page === null) return;
  api('/api/kiosk/state', { method: 'POST', body: { page, ...snapshot() } }).catch(() => {});
}

let answering = false;
function maybeAnswer() {
  if (!autoAnswer || answering || !incomingShown() || ACTIVE.has(phoneState())) return;
  answering = true;
  setTimeout(() => {
    answering = false;
    if (incomingShown() && !ACTIVE.has(phoneState())) $('incoming-accept').click();
  }, 300);
}

function onChange() {
  for (const watcher of [...watchers]) watcher();
  maybeAnswer();
  reportSoon();
}

function listen() {
  const source = new EventSource('/api/kiosk/commands');
  source.addEventListener('hello', (event) => {
    const hello = JSON.parse(event.data);
    page = hello.page;
    autoAnswer = Boolean(hello.auto_answer);
    failures = 0;
    document.body.dataset.kiosk = 'connected';
    report();
    maybeAnswer();
  });
  source.addEventListener('command', (event) => {
    const command = JSON.parse(event.data);
    queue = queue.then(() => perform(command));
  });
  source.addEventListener('replaced', () => {
    replaced = true;
    source.close();
    document.body.dataset.kiosk = 'replaced';
  });
  source.addEventListener('error', () => {
    document.body.dataset.kiosk = 'disconnected';
    // EventSource retries dropped connections itself; a refused one (401, 403) is closed for good.
    if (source.readyState !== EventSource.CLOSED || replaced) return;
    failures += 1;
    setTimeout(reconnect, failures > 3 ? 60_000 : 3_000);
  });
}

async function reconnect() {
  try {
    await api('/api/me'); // a 401 (session over) goes to the login page, where `piphone kiosk` notices
    listen();
  } catch {
    setTimeout(reconnect, 5_000);
  }
}

function start() {
  const observer = new MutationObserver(onChange);
  const watched = ['status', 'incoming', 'advice', 'mic', 'speaker'];
  for (const id of watched) {
    const el = $(id);
    if (el) observer.observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
  }
  // A picker's value changes without a DOM mutation: listen for the person's and the saved choice's changes.
  for (const id of ['mic', 'speaker']) {
    $(id)?.addEventListener('change', onChange);
    $(id)?.addEventListener('device-applied', onChange);
  }
  listen();
}

if (new URLSearchParams(location.search).has('kiosk')) start();
