// Sandbox pages only: "Simulate a listener calling" through POST /api/sandbox/call-in, and what the sandbox's
// Twilio account is configured with (GET /api/sandbox/setup: TwiML Apps, the station number, API key SIDs).
import { api } from './common.js';

export function setupSandboxPanel() {
  const panel = document.getElementById('sandbox-panel');
  const form = document.getElementById('sandbox-form');
  const result = document.getElementById('sandbox-result');
  panel.hidden = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const from = form.elements.from.value.trim();
    const count = Number(form.elements.count.value) || 1;
    result.textContent = 'Calling…';
    try {
      const res = await api('/api/sandbox/call-in', { method: 'POST', body: { from, count } });
      const n = res.calls?.length ?? count;
      result.textContent = `Simulated ${n} call${n === 1 ? '' : 's'} from ${from}.`;
    } catch (err) {
      result.textContent = `Could not simulate a call: ${err.message}`;
    }
  });
  const details = panel.querySelector('.sandbox-setup');
  details.addEventListener('toggle', () => {
    if (details.open) showSetup(document.getElementById('sandbox-setup-list'));
  });
}

/** `POST https://…/voice` (or "not set") for a voice webhook. */
function webhook(url, method) {
  return url ? `${method || 'POST'} ${url}` : 'not set';
}

/** Fills `list` with one term/description pair per TwiML App, number and key. */
async function showSetup(list) {
  const rows = [];
  try {
    const setup = await api('/api/sandbox/setup');
    for (const app of setup.applications ?? []) {
      rows.push([`TwiML App ${app.friendly_name || ''} (${app.sid})`, `Voice URL: ${webhook(app.voice_url, app.voice_method)}`]);
    }
    for (const n of setup.numbers ?? []) {
      const voice = n.voice_application_sid
        ? `TwiML App ${n.voice_application_sid}`
        : `voice webhook: ${webhook(n.voice_url, n.voice_method)}`;
      rows.push([`Station number ${n.phone_number}`, voice]);
    }
    const keys = (setup.keys ?? []).map((k) => (k.friendly_name ? `${k.sid} (${k.friendly_name})` : k.sid));
    rows.push(['API keys', keys.join(', ') || 'none']);
  } catch (err) {
    rows.push(['Not available', err.message]);
  }
  list.replaceChildren(
    ...rows.flatMap(([term, text]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = text;
      return [dt, dd];
    }),
  );
}
