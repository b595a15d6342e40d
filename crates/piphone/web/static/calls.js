// The call log page: search and filter the log; every value goes into the page as text (textContent).
import { api, clock, debounce, showModeBanner } from './common.js';

const form = document.getElementById('call-search');
const rows = document.getElementById('call-rows');
const info = document.getElementById('calls-info');
const message = document.getElementById('calls-message');
const csv = document.getElementById('csv-link');

function el(tag, text, testid) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (testid) node.dataset.testid = testid;
  return node;
}

function when(unix) {
  return unix ? new Date(unix * 1000).toLocaleString() : '';
}

function handledBy(call) {
  const who = [];
  if (call.username) who.push(call.username);
  if (call.screener) who.push(`screened by ${call.screener}`);
  if (call.host) who.push(`on air with ${call.host}`);
  return who.join(', ');
}

function notesCell(call) {
  const td = el('td');
  const n = call.notes;
  if (!n) return td;
  const head = [n.name, n.location].filter(Boolean).join(', ');
  if (head) td.append(el('strong', head, 'call-name'));
  if (n.topic) td.append(el('span', ` — ${n.topic}`, 'call-topic'));
  if (n.notes) td.append(el('p', n.notes, 'call-notes'));
  return td;
}

function row(call) {
  const tr = el('tr');
  tr.dataset.testid = 'call-row';
  tr.dataset.callSid = call.call_sid;
  tr.dataset.outcome = call.outcome;
  const outcome = call.detail && call.detail !== call.outcome ? `${call.outcome} (${call.detail})` : call.outcome;
  const duration = call.duration_seconds == null ? '' : clock(call.duration_seconds);
  tr.append(
    el('td', when(call.started_at)),
    el('td', call.kind),
    el('td', call.number, 'call-number'),
    el('td', outcome, 'call-outcome'),
    el('td', duration),
    el('td', handledBy(call)),
    notesCell(call),
  );
  return tr;
}

async function load() {
  const params = new URLSearchParams();
  const q = form.elements.q.value.trim();
  const kind = form.elements.kind.value;
  if (q) params.set('q', q);
  if (kind) params.set('kind', kind);
  csv.href = `/calls.csv${params.size ? `?${params}` : ''}`;
  try {
    const data = await api(`/api/calls?${params}`);
    rows.replaceChildren(...data.calls.map(row));
    const kept = data.retention_days ? `Calls are kept for ${data.retention_days} days.` : 'Calls are kept for ever.';
    info.textContent = `${data.calls.length} call${data.calls.length === 1 ? '' : 's'}. ${kept}`;
    message.hidden = true;
  } catch (err) {
    message.textContent = `Could not load the call log: ${err.message}`;
    message.hidden = false;
  }
}

async function main() {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  form.elements.q.addEventListener('input', debounce(load, 250));
  form.elements.kind.addEventListener('change', load);
  try {
    const me = await api('/api/me');
    document.getElementById('identity').textContent = me.identity;
    showModeBanner(Boolean(me.sandbox));
  } catch {
    return;
  }
  await load();
}

main();
