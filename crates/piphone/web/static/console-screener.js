// The screener's part of the console. "Screen" on a waiting caller asks the server to take them: Twilio dequeues
// the caller into TwiML that rings this browser (`<Dial><Client>` with a ScreeningCallSid parameter), and this
// module answers that call by itself. The screener writes notes, then sends the caller on ("Ready for air": the
// server redirects the caller's call into the screened queue, which ends this leg), drops or bans them.
// Everything from the server is shown as text (textContent / input values).
import { api } from './common.js';
import { badges, el } from './console-view.js';

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const ui = {
  card: document.getElementById('screen-card'),
  status: $('screen-status'),
  caller: document.getElementById('screen-caller'),
  from: $('screen-from'),
  badges: $('screen-badges'),
  history: $('screen-history'),
  form: document.getElementById('notes-form'),
  ready: $('ready-for-air'),
  drop: $('drop-caller'),
  ban: $('ban-caller'),
  banReason: $('ban-reason'),
  advice: $('screen-advice'),
};

let me = null;
let registered = false;
let busy = () => false; // the host's own line is open: this browser cannot take a screening call too
let pending = null; // the caller this console asked to screen, until their call rings here
let call = null; // the SDK call with the caller being screened
let current = null; // the caller shown in the form
let onChange = () => {};

function advise(text) {
  ui.advice.textContent = text || '';
  ui.advice.hidden = !text;
}

function notes() {
  const f = ui.form.elements;
  return {
    name: f.name.value,
    location: f.location.value,
    topic: f.topic.value,
    notes: f.notes.value,
    priority: f.priority.value,
  };
}

function fill(card) {
  const f = ui.form.elements;
  const n = card?.notes ?? {};
  f.name.value = n.name || card?.history?.name || '';
  f.location.value = n.location || '';
  f.topic.value = n.topic || '';
  f.notes.value = n.notes || '';
  f.priority.value = n.priority || 'normal';
  ui.banReason.value = '';
}

async function showHistory(number) {
  ui.history.replaceChildren();
  if (!number) return;
  try {
    const data = await api(`/api/callers/${encodeURIComponent(number)}`);
    const earlier = data.calls.filter((c) => c.call_sid !== current).slice(0, 5);
    ui.history.replaceChildren(
      ...earlier.map((c) => {
        const about = [c.notes?.name, c.notes?.topic].filter(Boolean).join(' — ');
        const li = el('li', null, `${new Date(c.started_at * 1000).toLocaleDateString()} · ${c.outcome}${about ? ` · ${about}` : ''}`);
        li.dataset.testid = 'history-call';
        return li;
      }),
    );
  } catch {
    /* the history is a courtesy */
  }
}

async function act(path, body, done) {
  advise('');
  try {
    await api(path, { method: 'POST', body });
    ui.status.textContent = done;
  } catch (error) {
    advise(`${error.message}`);
  }
}

async function screen(callSid) {
  advise('');
  pending = callSid;
  ui.status.textContent = 'Putting the caller through…';
  onChange();
  setTimeout(() => {
    if (pending !== callSid) return; // the call never rang here (the caller hung up, say)
    pending = null;
    onChange();
  }, 30_000);
  try {
    await api('/api/callin/screen', { method: 'POST', body: { call_sid: callSid } });
  } catch (error) {
    pending = null;
    const why = { 404: 'That caller is no longer waiting.', 409: error.message };
    advise(why[error.status] ?? `Could not take that caller: ${error.message}`);
    onChange();
  }
}

/** The "Screen" button for a waiting caller (none while this console is busy or cannot screen). */
export function screenActions(member) {
  if (!me?.can_screen || !ui.card || ui.card.hidden) return [];
  const button = el('button', 'screen', 'Screen');
  button.type = 'button';
  button.dataset.testid = 'screen-caller';
  button.disabled = !member.in_queue || !registered || busy() || Boolean(pending) || Boolean(current);
  if (!member.in_queue) button.title = 'Still hearing the greeting';
  button.setAttribute('aria-label', `Screen ${member.from || 'this caller'}`);
  button.addEventListener('click', () => screen(member.call_sid));
  return [button];
}

/** Shows the caller this user is screening, from the snapshot. */
export function renderScreening(snapshot) {
  if (!me?.can_screen) return;
  const mine = (snapshot.screening ?? []).find((s) => s.screener === me.identity);
  if (mine && mine.call_sid === pending) pending = null; // the server has them with us (the call may still ring)
  if (!mine) {
    if (current) {
      current = null;
      fill(null);
      ui.history.replaceChildren();
    }
    ui.caller.hidden = true;
    ui.card.dataset.callSid = '';
    if (!pending) {
      ui.status.textContent = !registered
        ? 'Connecting to the phone service…'
        : busy()
          ? 'Your line is taking calls: screening is paused.'
          : 'Choose a caller to screen.';
    }
    return;
  }
  if (mine.call_sid !== current) {
    current = mine.call_sid;
    fill(mine.caller);
    showHistory(mine.from);
  }
  ui.card.dataset.callSid = mine.call_sid;
  ui.caller.hidden = false;
  ui.from.textContent = mine.from || 'Unknown number';
  ui.badges.replaceChildren(...badges(mine.caller));
  ui.status.textContent = call ? 'Talking with the caller' : 'Ringing your phone…';
}

function wire() {
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (current) act('/api/callin/notes', { call_sid: current, ...notes() }, 'Notes saved.');
  });
  ui.ready.addEventListener('click', () => {
    if (current) act('/api/callin/ready', { call_sid: current, notes: notes() }, 'Sent to the host.');
  });
  ui.drop.addEventListener('click', () => {
    if (current) act('/api/callin/drop', { call_sid: current }, 'Caller dropped.');
  });
  ui.ban.addEventListener('click', () => {
    if (current) act('/api/callin/ban', { call_sid: current, reason: ui.banReason.value }, 'Number banned.');
  });
}

/**
 * Starts the screener's part: registers `device` so the screening calls can ring it, and answers the one this
 * console asked for. `isBusy()` tells whether the host's line is open; `changed()` redraws the page.
 */
export function setupScreener({ me: user, device, isBusy, changed }) {
  me = user;
  busy = isBusy;
  onChange = changed;
  if (!me.can_screen) return;
  ui.card.hidden = false;
  wire();
  if (!device) return;
  device.on('registered', () => {
    registered = true;
    changed();
  });
  device.on('unregistered', () => {
    registered = false;
    changed();
  });
  device.on('incoming', (incoming) => {
    const sid = incoming.customParameters?.get('ScreeningCallSid');
    if (!sid || (sid !== pending && sid !== current)) return; // not ours: another device of this user may answer
    pending = null;
    call = incoming;
    const ended = () => {
      if (call !== incoming) return;
      call = null;
      changed();
    };
    incoming.on('accept', changed);
    incoming.on('disconnect', ended);
    incoming.on('cancel', ended);
    incoming.on('error', ended);
    incoming.accept();
    changed();
  });
  device.register().catch(() => {}); // failures arrive as `error` events
}
