// Sandbox pages only: "Simulate a listener calling" through POST /api/sandbox/call-in.
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
}
