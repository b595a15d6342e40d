// Live validation and formatting of the number field through GET /api/check-number (debounced).
import { api, debounce } from './common.js';

/**
 * Check the field as the person types. Returns `{ current() }`: the last answer (or null while unknown), so the
 * dialler can refuse a number the server already said it will not call.
 */
export function setupNumberCheck(input, hint) {
  let answer = null;
  let seq = 0;

  const show = (text, state) => {
    hint.textContent = text;
    hint.dataset.state = state;
    input.setAttribute('aria-invalid', state === 'bad' ? 'true' : 'false');
  };

  const check = async () => {
    const typed = input.value.trim();
    const mine = ++seq;
    if (!typed) {
      answer = null;
      show('', 'empty');
      return;
    }
    try {
      const res = await api(`/api/check-number?number=${encodeURIComponent(typed)}`);
      if (mine !== seq) return; // a newer check is on its way
      answer = res;
      if (res.valid && res.allowed) {
        const where = res.country ? ` (${res.country})` : '';
        show(`Will call ${res.formatted || res.e164}${where}`, 'ok');
      } else if (res.valid) {
        show(res.reason || 'Calls to this number are not allowed.', 'bad');
      } else {
        show(res.reason || 'That does not look like a phone number.', 'bad');
      }
    } catch {
      if (mine === seq) {
        answer = null;
        show('', 'unknown');
      }
    }
  };

  const later = debounce(check, 250);
  input.addEventListener('input', () => {
    answer = null;
    later();
  });
  input.addEventListener('blur', () => {
    if (answer?.valid && answer.formatted && input.value.trim() !== answer.formatted) input.value = answer.formatted;
  });
  check();

  return {
    current: () => answer,
    recheck: check,
  };
}
