// The call-in console: live queue (Server-Sent Events from /events, one stream per browser), the host's line, the screener's part
// (console-screener.js) and the team's messages (console-messages.js).
//
// "Take calls" connects this browser with params {Queue: <name>}; the server answers with a Dial into the queue
// with hangupOnStar, whose action dials the queue again, so the line stays open from caller to caller.
// "Next caller" sends `*` (Twilio ignores `#` inside a Dial). "Hang up caller" ends the caller's leg through the
// server (REST API); the line then moves on by itself. The SDK's promises never settle offline: react to events.
import { api, showModeBanner } from './common.js';
import { adviceFor } from './advice.js';
import { createDevice } from './device.js';
import { setupSandboxPanel } from './sandbox-panel.js';
import { renderQueue } from './console-view.js';
import { renderScreening, screenActions, setupScreener } from './console-screener.js';
import { renderMessages, setupMessages } from './console-messages.js';
import { listenShared } from './shared-events.js';
import { linesEvent, linesKey, linesSawQueue, setupLines, takeToLine } from './console-lines.js';

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const ui = {
  status: $('status'),
  advice: $('advice'),
  take: $('take-calls'),
  next: $('next-caller'),
  hangup: $('hangup-caller'),
  identity: $('identity'),
};

let me;
let device = null;
let line = null; // the host's Call while taking calls
let lineOpen = false;
let snapshot = {
  queue: '',
  size: 0,
  members: [],
  screened: { size: 0, members: [] },
  screening: [],
  on_air: [],
  recent: [],
  messages: [],
  stale: false,
  age_seconds: null,
};
let receivedAt = performance.now();
let connected = false;
let hybrid = false; // PIPHONE_ONAIR=hybrid: callers go on the studio hybrid's lines, not this browser

function showAdvice(text) {
  ui.advice.textContent = text || '';
  ui.advice.hidden = !text;
}

function myCaller() {
  return snapshot.on_air.find((a) => a.host === me?.identity) || (snapshot.on_air.length === 1 ? snapshot.on_air[0] : null);
}

function lineStatus() {
  if (!device) return ['Phone unavailable', 'error'];
  if (!line) return ['Not taking calls', 'idle'];
  if (!lineOpen) return ['Connecting…', 'connecting'];
  const caller = myCaller();
  const picked = (snapshot.picked ?? []).find((p) => p.host === me?.identity);
  if (picked) return [`Taking ${picked.from || 'the caller you chose'}…`, 'connecting'];
  if (caller) return [`On the air with ${caller.from || 'a caller'}`, 'in-call'];
  if (snapshot.size > 0 || snapshot.screened?.size > 0) return ['Taking the next caller…', 'connecting'];
  return ['Waiting for callers', 'waiting'];
}

/** The focused control inside a list item, so a redraw can give focus back to its replacement. */
function focusKey() {
  const active = document.activeElement;
  const item = active?.closest?.('[data-call-sid]');
  return item && active.dataset.testid ? `[data-call-sid="${item.dataset.callSid}"] [data-testid="${active.dataset.testid}"]` : null;
}

function render() {
  const focused = focusKey();
  const take = hybrid ? takeToLine : takeActions;
  renderQueue(snapshot, receivedAt, connected, {
    waiting: (m) => [...screenActions(m), ...(snapshot.screened_only ? [] : take(m))],
    screened: take,
  });
  renderScreening(snapshot);
  renderMessages(snapshot, me);
  if (focused) document.querySelector(focused)?.focus();
  const [text, state] = lineStatus();
  ui.status.textContent = text;
  ui.status.dataset.state = state;
  ui.take.disabled = !device || !snapshot.queue;
  ui.take.textContent = line ? 'Stop taking calls' : 'Take calls';
  ui.take.setAttribute('aria-pressed', String(Boolean(line)));
  ui.take.classList.toggle('primary', !line);
  ui.next.disabled = !lineOpen;
  ui.hangup.disabled = snapshot.on_air.length === 0;
}

function listen() {
  // One /events stream per browser, shared by its console tabs (shared-events.js explains why).
  listenShared('/events', ['queue', 'lines'], {
    queue: (data) => {
      snapshot = JSON.parse(data);
      receivedAt = performance.now();
      connected = true;
      linesSawQueue(snapshot);
      render();
    },
    lines: linesEvent,
    state: ({ connected: open, closed }) => {
      connected = open;
      render();
      if (closed) showAdvice('Live updates stopped. Reload the page (you may need to log in again).');
    },
  });
}

async function takeCalls() {
  if (line) {
    line.disconnect();
    return;
  }
  showAdvice('');
  ui.take.disabled = true;
  try {
    const call = await device.connect({ params: { Queue: snapshot.queue } });
    line = call;
    lineOpen = false;
    call.on('accept', () => {
      lineOpen = true;
      render();
    });
    const ended = () => {
      if (line !== call) return;
      line = null;
      lineOpen = false;
      render();
    };
    call.on('disconnect', ended);
    call.on('cancel', ended);
    call.on('reject', ended);
    call.on('error', (error) => {
      showAdvice(adviceFor(error));
      ended();
    });
  } catch (error) {
    showAdvice(adviceFor(error));
  }
  render();
}

function nextCaller() {
  if (!line || !lineOpen) return;
  line.sendDigits('*');
  ui.status.textContent = 'Next caller…';
}

/** "Take now" for a waiting caller while this host's line is open: that caller goes on the air next. */
function takeActions(member) {
  if (!me?.can_take_calls || !lineOpen) return [];
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'take';
  button.textContent = 'Take now';
  button.dataset.testid = 'take-caller';
  button.disabled = !member.in_queue || (snapshot.picked ?? []).some((p) => p.host === me.identity);
  button.setAttribute('aria-label', `Put ${member.from || 'this caller'} on the air now`);
  button.addEventListener('click', async () => {
    showAdvice('');
    try {
      await api('/api/callin/take', { method: 'POST', body: { call_sid: member.call_sid } });
      ui.status.textContent = 'Taking that caller…';
    } catch (error) {
      showAdvice(error.status === 404 ? 'That caller is no longer waiting.' : `Could not take that caller: ${error.message}`);
    }
  });
  return [button];
}

async function hangUpCaller() {
  const caller = myCaller();
  try {
    await api('/api/callin/hangup', { method: 'POST', body: caller ? { call_sid: caller.call_sid } : {} });
    showAdvice('');
  } catch (error) {
    showAdvice(error.status === 404 ? 'Nobody is on the air.' : `Could not hang up the caller: ${error.message}`);
  }
}

function wireUi() {
  setupMessages(showAdvice);
  ui.take.addEventListener('click', takeCalls);
  ui.next.addEventListener('click', nextCaller);
  ui.hangup.addEventListener('click', hangUpCaller);
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const t = event.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement) return;
    const key = event.key.toLowerCase();
    if (hybrid && me?.can_take_calls) {
      if (linesKey(key)) event.preventDefault();
    } else if (key === 'n' && !ui.next.disabled) {
      event.preventDefault();
      nextCaller();
    } else if (key === 'h' && !ui.hangup.disabled) {
      event.preventDefault();
      hangUpCaller();
    }
  });
  setInterval(render, 1000); // timers tick between updates
}

async function main() {
  wireUi();
  listen();
  try {
    me = await api('/api/me');
  } catch (error) {
    showAdvice(adviceFor(error));
    return;
  }
  showModeBanner(Boolean(me.sandbox));
  ui.identity.textContent = me.identity;
  hybrid = me.onair === 'hybrid';
  document.getElementById('line-card').hidden = !me.can_take_calls || hybrid;
  if (hybrid && me.can_take_calls) setupLines(showAdvice);
  $('calls-link').hidden = !me.can_read_call_log;
  if (me.sandbox) setupSandboxPanel();
  if (!window.Twilio?.Device) {
    showAdvice('The phone library did not load. Reload the page.');
    render();
    return;
  }
  try {
    device = await createDevice(me, showAdvice);
  } catch (error) {
    showAdvice(`Could not get a phone session: ${error.message}`);
  }
  setupScreener({ me, device, isBusy: () => Boolean(line), changed: render });
  render();
}

main();
