// The studio hybrid's lines view (PIPHONE_ONAIR=hybrid): each line's state, caller, screener's notes, time on the
// line and level meter, with Air / Hold / Drop / Lock buttons and keys (1–8 select a line, A air, H hold, D drop,
// N next). The picture comes from the server's `lines` events (one source of truth, meters computed there once);
// buttons POST /api/lines/… and the next event shows the result. Text only through textContent.
import { api, clock } from './common.js';
import { describe, el } from './console-view.js';

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const LABELS = { empty: 'Empty', connecting: 'Connecting…', hold: 'On hold', on_air: 'On the air', locked: 'Locked on air' };
/** The meter's range, dBFS: below the floor it shows empty. */
const FLOOR = -60;

let picture = { lines: [], returned: [] };
let receivedAt = performance.now();
let selected = 1;
let cards = new Map(); // call_sid -> caller card (notes), from the queue snapshot
let advise = () => {};

function showError(error) {
  advise(error.message || String(error));
}

async function post(path, body) {
  advise('');
  try {
    const answer = await api(path, { method: 'POST', body });
    if (answer.lines) update({ ...picture, lines: answer.lines });
    return answer;
  } catch (error) {
    showError(error);
    return null;
  }
}

function press(n, action) {
  return post(`/api/lines/${n}`, { action });
}

function next() {
  return post('/api/lines/next', {});
}

/** Puts a waiting or screened caller on the selected line (or the first empty one), on hold. */
export function takeToLine(member) {
  const free = picture.lines.find((l) => l.line === selected && l.state === 'empty') ?? picture.lines.find((l) => l.state === 'empty');
  const button = el('button', 'take-line', free ? `To line ${free.line}` : 'Lines busy');
  button.type = 'button';
  button.dataset.testid = 'take-to-line';
  button.disabled = !free || !member.in_queue;
  button.addEventListener('click', () => post(`/api/lines/${free.line}/take`, { call_sid: member.call_sid }));
  return [button];
}

function button(text, testid, enabled, onClick, key) {
  const b = el('button', testid, text);
  b.type = 'button';
  b.dataset.testid = testid;
  b.disabled = !enabled;
  if (key) b.setAttribute('aria-keyshortcuts', key);
  b.addEventListener('click', onClick);
  return b;
}

function renderLine(line) {
  const item = el('li', `line-row ${line.state}`);
  item.dataset.testid = `line-${line.line}`;
  item.dataset.state = line.state;
  item.setAttribute('aria-selected', String(line.line === selected));
  item.addEventListener('click', (event) => {
    if (event.target instanceof HTMLButtonElement) return;
    selected = line.line;
    render();
  });
  const head = el('p', 'line-head');
  head.append(el('span', 'line-number', line.line), el('span', 'line-state', LABELS[line.state] ?? line.state));
  head.lastChild.dataset.testid = 'line-state';
  item.append(head);
  if (line.call_sid) {
    const who = el('p', 'line-caller', line.from || 'Unknown number');
    who.dataset.testid = 'line-from';
    const notes = el('p', 'line-notes', describe(cards.get(line.call_sid)));
    notes.dataset.testid = 'line-notes';
    const timer = el('p', 'line-timer');
    timer.dataset.testid = 'line-timer';
    const meter = el('meter', 'line-meter');
    Object.assign(meter, { min: FLOOR, max: 0, low: -30, high: -9, optimum: -18 });
    meter.dataset.testid = 'line-meter';
    item.append(who, notes, timer, meter);
  }
  const has = Boolean(line.call_sid);
  const locked = line.state === 'locked';
  const n = line.line;
  const row = el('div', 'row wrap');
  row.append(
    button('Air', 'line-air', has && line.state !== 'on_air' && !locked, () => press(n, 'air'), 'A'),
    button('Hold', 'line-hold', has && !locked && line.state !== 'hold', () => press(n, 'hold'), 'H'),
    button('Drop', 'line-drop', has && !locked, () => press(n, 'drop'), 'D'),
    locked
      ? button('Unlock', 'line-unlock', true, () => press(n, 'unlock'))
      : button('Lock', 'line-lock', line.state === 'on_air', () => press(n, 'lock')),
  );
  item.append(row);
  return item;
}

/** What a redraw of the rows depends on; levels and timers are updated in place (a row redrawn five times a
 * second would swallow clicks on its buttons). */
function shape() {
  return JSON.stringify([selected, picture.lines.map((l) => [l.state, l.call_sid, l.from, describe(cards.get(l.call_sid))])]);
}

let drawn = '';

function refresh(line) {
  const item = $(`line-${line.line}`);
  const meter = item?.querySelector('meter');
  if (meter) {
    const level = line.level_dbfs ?? -120;
    meter.value = Math.max(FLOOR, level);
    meter.dataset.level = level.toFixed(1);
    meter.setAttribute('aria-label', `Line ${line.line} level ${Math.round(level)} dBFS`);
  }
  const timer = item?.querySelector('[data-testid="line-timer"]');
  if (timer) timer.textContent = clock((line.seconds ?? 0) + (performance.now() - receivedAt) / 1000);
}

function render() {
  const list = $('lines-list');
  if (!list) return;
  if (drawn !== shape()) {
    drawn = shape();
    list.replaceChildren(...picture.lines.map(renderLine));
  }
  picture.lines.forEach(refresh);
  const returned = $('lines-returned');
  returned.replaceChildren(
    ...picture.returned.map((r) => {
      const item = el('li', 'returned', `${r.from || r.call_sid} is back in the screened queue: ${r.line ? `line ${r.line}` : 'their line'} lost its connection`);
      item.dataset.testid = 'line-returned';
      return item;
    }),
  );
  returned.hidden = picture.returned.length === 0;
}

function update(next) {
  picture = { lines: next.lines ?? [], returned: next.returned ?? [] };
  receivedAt = performance.now();
  render();
}

/** The queue snapshot changed: the notes of callers on lines come from it. */
export function linesSawQueue(snapshot) {
  cards = new Map();
  for (const c of [...(snapshot.on_air ?? []), ...(snapshot.screened?.members ?? []), ...(snapshot.members ?? [])]) {
    if (c.caller) cards.set(c.call_sid, c.caller);
  }
  if (snapshot.lines) update(snapshot);
}

/** A `lines` event. */
export function linesEvent(data) {
  update(JSON.parse(data));
}

/** Keys: 1–8 select a line, A air, H hold, D drop, N next. Returns whether the key was for the lines. */
export function linesKey(key) {
  const line = picture.lines.find((l) => l.line === selected);
  if (/^[1-8]$/.test(key) && Number(key) <= picture.lines.length) {
    selected = Number(key);
    render();
  } else if (key === 'n') {
    next();
  } else if (key === 'a' && line?.call_sid) {
    press(selected, 'air');
  } else if (key === 'h' && line?.call_sid) {
    press(selected, 'hold');
  } else if (key === 'd' && line?.call_sid) {
    press(selected, 'drop');
  } else {
    return false;
  }
  return true;
}

/** Shows the lines card; `showAdvice` reports refusals (a busy or locked line, Twilio's call limit). */
export function setupLines(showAdvice) {
  advise = showAdvice;
  $('lines').hidden = false;
  $('lines-next').addEventListener('click', next);
  setInterval(render, 1000); // timers tick between updates
}
