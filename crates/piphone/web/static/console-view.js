// Drawing the call-in (a `/events` snapshot) into the console page: the call-in queue, who is being screened,
// the screened queue with the screeners' notes, the air, departures. Text only through textContent: names,
// notes and numbers come from callers and never become markup.
import { clock } from './common.js';

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** Seconds since the snapshot arrived (times in it were true when it was sent). */
function since(receivedAt) {
  return (performance.now() - receivedAt) / 1000;
}

/** "Returning caller" and "Banned" badges from a caller card's history. */
export function badges(card) {
  const out = [];
  const history = card?.history;
  if (history?.banned) {
    const b = el('span', 'badge banned', history.ban_reason ? `Banned: ${history.ban_reason}` : 'Banned');
    b.dataset.testid = 'banned-badge';
    out.push(b);
  }
  if (history && history.calls > 0) {
    const times = history.calls === 1 ? 'once' : `${history.calls} times`;
    const aired = history.times_on_air ? `, on air ${history.times_on_air}×` : '';
    const b = el('span', 'badge returning', `Returning caller (called ${times}${aired})`);
    b.dataset.testid = 'returning-badge';
    if (history.last_call_at) b.title = `Last call ${new Date(history.last_call_at * 1000).toLocaleString()}`;
    out.push(b);
  }
  if (card?.notes?.priority === 'high') {
    const b = el('span', 'badge high', 'High priority');
    b.dataset.testid = 'priority-badge';
    out.push(b);
  }
  return out;
}

/** Who the caller is, as the screener wrote it: "Name, Location — Topic" (or the history's name). */
export function describe(card) {
  const n = card?.notes;
  const name = n?.name || card?.history?.name || '';
  const head = [name, n?.location].filter(Boolean).join(', ');
  return [head, n?.topic].filter(Boolean).join(' — ');
}

/** The screener's notes as a block: name, location, topic, notes, who screened. */
export function notesBlock(card, testid) {
  const box = el('div', 'notes');
  box.dataset.testid = testid;
  const n = card?.notes;
  if (!n) return box;
  const name = el('p', 'notes-name', [n.name, n.location].filter(Boolean).join(', '));
  name.dataset.testid = `${testid}-name`;
  const topic = el('p', 'notes-topic', n.topic);
  topic.dataset.testid = `${testid}-topic`;
  const text = el('p', 'notes-text', n.notes);
  text.dataset.testid = `${testid}-text`;
  box.append(name, topic, text);
  if (card.screener) box.append(el('p', 'notes-by', `Screened by ${card.screener}`));
  return box;
}

function memberItem(m, elapsed, testid, actions) {
  const li = el('li');
  li.dataset.testid = testid;
  li.dataset.callSid = m.call_sid;
  li.dataset.position = String(m.position);
  const who = el('span', 'from', m.from || 'Unknown number');
  const about = describe(m.caller);
  const detail = el('span', 'about', about);
  detail.dataset.testid = `${testid}-about`;
  const tags = el('span', 'badges');
  tags.append(...badges(m.caller));
  li.append(el('span', 'place', `#${m.position}`), who, el('span', 'wait', clock(m.wait_seconds + elapsed)), detail, tags);
  for (const action of actions(m)) li.append(action);
  li.setAttribute('aria-label', `Place ${m.position}: ${m.from || 'unknown number'}${about ? `, ${about}` : ''}, waiting ${clock(m.wait_seconds + elapsed)}`);
  return li;
}

function renderMembers(snapshot, elapsed, actions) {
  const items = snapshot.members.map((m) => memberItem(m, elapsed, 'queue-member', actions.waiting));
  document.getElementById('members').replaceChildren(...items);
  document.getElementById('queue-empty').hidden = items.length > 0;
  const size = $('queue-size');
  size.textContent = String(snapshot.size);
  size.setAttribute('aria-label', `${snapshot.size} waiting`);
}

function renderScreened(snapshot, elapsed, actions) {
  const line = snapshot.screened ?? { size: 0, members: [] };
  const items = line.members.map((m) => {
    const li = memberItem(m, elapsed, 'screened-member', actions.screened);
    if (m.caller?.notes?.notes) li.append(el('p', 'notes-text', m.caller.notes.notes));
    return li;
  });
  document.getElementById('screened-members').replaceChildren(...items);
  document.getElementById('screened-empty').hidden = items.length > 0;
  $('screened-size').textContent = String(line.size);
  const now = (snapshot.screening ?? []).map((s) => {
    const li = el('li', 'screening-item', `${s.from || 'Unknown number'} with ${s.screener} (${clock(s.seconds + elapsed)})`);
    li.dataset.testid = 'screening-item';
    li.dataset.callSid = s.call_sid;
    return li;
  });
  const picked = (snapshot.picked ?? []).map((p) => {
    const li = el('li', 'screening-item', `${p.from || 'Unknown number'} — going on the air with ${p.host}`);
    li.dataset.testid = 'picked-item';
    li.dataset.callSid = p.call_sid;
    return li;
  });
  document.getElementById('screening-now').replaceChildren(...now, ...picked);
}

function renderOnAir(snapshot, elapsed) {
  const box = $('on-air');
  if (!snapshot.on_air.length) {
    box.dataset.state = 'empty';
    delete box.dataset.callSid;
    box.replaceChildren(el('p', 'nobody', 'Nobody on the air.'));
    return;
  }
  box.dataset.state = 'live';
  box.dataset.callSid = snapshot.on_air[0].call_sid;
  box.replaceChildren(
    ...snapshot.on_air.flatMap((a) => {
      const tags = el('p', 'badges');
      tags.append(...badges(a.caller));
      const parts = [el('p', 'caller', a.from || 'Unknown number'), tags, el('p', 'air-timer', clock(a.seconds + elapsed))];
      if (a.host) parts.push(el('p', 'host', `with ${a.host}`));
      parts.push(notesBlock(a.caller, 'air-notes'));
      return parts;
    }),
  );
}

function renderFreshness(snapshot, elapsed, connected) {
  const line = $('freshness');
  const age = snapshot.age_seconds == null ? null : Math.floor(snapshot.age_seconds + elapsed);
  line.dataset.stale = String(Boolean(snapshot.stale));
  if (!connected) {
    line.textContent = 'Live updates interrupted — reconnecting…';
  } else if (snapshot.stale) {
    line.textContent =
      age == null ? 'Twilio cannot be reached (stale).' : `Twilio cannot be reached — last confirmed ${clock(age)} ago (stale).`;
  } else if (age == null) {
    line.textContent = 'Waiting for Twilio…';
  } else {
    line.textContent = `Confirmed by Twilio ${clock(age)} ago.`;
  }
}

function renderRecent(snapshot) {
  const items = snapshot.recent.slice(0, 5).map((d) => {
    const li = el('li', null, `${d.from || 'Unknown number'} — ${d.result.replace(/-/g, ' ')} after ${clock(d.queue_seconds)}`);
    li.dataset.testid = 'departure';
    li.dataset.result = d.result;
    return li;
  });
  document.getElementById('recent').replaceChildren(...items);
}

/**
 * Draws `snapshot` (received at `receivedAt`, a performance.now() time). `actions.waiting(member)` and
 * `actions.screened(member)` return the buttons to show with each caller.
 */
export function renderQueue(snapshot, receivedAt, connected, actions = { waiting: () => [], screened: () => [] }) {
  const elapsed = since(receivedAt);
  renderMembers(snapshot, elapsed, actions);
  renderScreened(snapshot, elapsed, actions);
  renderOnAir(snapshot, elapsed);
  renderFreshness(snapshot, elapsed, connected);
  renderRecent(snapshot);
}
