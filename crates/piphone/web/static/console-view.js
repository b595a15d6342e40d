// Drawing the call-in queue (a `/events` snapshot) into the console page. Text only through textContent.
import { clock } from './common.js';

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Seconds since the snapshot arrived (times in it were true when it was sent). */
function since(receivedAt) {
  return (performance.now() - receivedAt) / 1000;
}

function renderMembers(snapshot, elapsed) {
  const list = document.getElementById('members');
  const items = snapshot.members.map((m) => {
    const li = el('li');
    li.dataset.testid = 'queue-member';
    li.dataset.callSid = m.call_sid;
    li.dataset.position = String(m.position);
    li.append(
      el('span', 'place', `#${m.position}`),
      el('span', 'from', m.from || 'Unknown number'),
      el('span', 'wait', clock(m.wait_seconds + elapsed)),
    );
    li.setAttribute('aria-label', `Place ${m.position}: ${m.from || 'unknown number'}, waiting ${clock(m.wait_seconds + elapsed)}`);
    return li;
  });
  list.replaceChildren(...items);
  document.getElementById('queue-empty').hidden = items.length > 0;
  const size = $('queue-size');
  size.textContent = String(snapshot.size);
  size.setAttribute('aria-label', `${snapshot.size} waiting`);
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
      const parts = [el('p', 'caller', a.from || 'Unknown number'), el('p', 'air-timer', clock(a.seconds + elapsed))];
      if (a.host) parts.push(el('p', 'host', `with ${a.host}`));
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
  const items = snapshot.recent.slice(0, 5).map((d) =>
    el('li', null, `${d.from || 'Unknown number'} — ${d.result.replace(/-/g, ' ')} after ${clock(d.queue_seconds)}`),
  );
  document.getElementById('recent').replaceChildren(...items);
}

/** Draws `snapshot` (received at `receivedAt`, a performance.now() time). */
export function renderQueue(snapshot, receivedAt, connected) {
  const elapsed = since(receivedAt);
  renderMembers(snapshot, elapsed);
  renderOnAir(snapshot, elapsed);
  renderFreshness(snapshot, elapsed, connected);
  renderRecent(snapshot);
}
