// Messages between screeners and hosts: sent with a POST, received in every `/events` snapshot (the server
// keeps the latest few), drawn as text only.
import { api } from './common.js';
import { el } from './console-view.js';

const list = document.getElementById('messages');
const form = document.getElementById('message-form');
const input = document.getElementById('message-text');
let shown = '';

/** Draws the snapshot's messages when they changed (so a reader's scroll position is kept otherwise). */
export function renderMessages(snapshot, me) {
  const messages = snapshot.messages ?? [];
  const key = JSON.stringify(messages);
  if (key === shown) return;
  shown = key;
  list.replaceChildren(
    ...messages.map((m) => {
      const li = el('li', m.from === me?.identity ? 'mine' : null);
      li.dataset.testid = 'message';
      const when = new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      li.append(el('span', 'who', `${m.from} (${m.role}) ${when}`), el('span', 'text', m.text));
      return li;
    }),
  );
  list.lastElementChild?.scrollIntoView({ block: 'nearest' });
}

export function setupMessages(showAdvice) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    try {
      await api('/api/callin/messages', { method: 'POST', body: { text } });
      input.value = '';
    } catch (error) {
      showAdvice(`Could not send the message: ${error.message}`);
    }
  });
}
