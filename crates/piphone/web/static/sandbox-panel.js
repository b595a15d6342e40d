// Sandbox pages only: "Simulate a listener calling" through POST /api/sandbox/call-in (with a voice a person picks:
// a tone in Hz or words to say), who answers a dialled number (POST /api/sandbox/phones: the far end's voice), and
// what the sandbox's Twilio account is configured with (GET /api/sandbox/setup: TwiML Apps, the station number,
// API key SIDs).
import { api } from './common.js';

export function setupSandboxPanel() {
  const panel = document.getElementById('sandbox-panel');
  const form = document.getElementById('sandbox-form');
  const result = document.getElementById('sandbox-result');
  panel.hidden = false;
  addVoicePicker(form, 'sandbox-voice', { each: true });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const from = form.elements.from.value.trim();
    const count = Number(form.elements.count.value) || 1;
    const voice = pickedVoice(form);
    result.textContent = 'Calling…';
    try {
      const res = await api('/api/sandbox/call-in', { method: 'POST', body: { from, count, voice } });
      const n = res.calls?.length ?? count;
      result.textContent = `Simulated ${n} call${n === 1 ? '' : 's'} from ${from}${voice ? `, ${describe(voice)}` : ''}.`;
    } catch (err) {
      result.textContent = `Could not simulate a call: ${err.message}`;
    }
  });
  const farForm = document.getElementById('sandbox-far-form');
  if (farForm) setupFarEnd(farForm, document.getElementById('sandbox-far-result'));
  const details = panel.querySelector('.sandbox-setup');
  details.addEventListener('toggle', () => {
    if (details.open) showSetup(document.getElementById('sandbox-setup-list'));
  });
}

/** The phone page's "Who answers a number you dial": the far end of a number speaks with the picked voice. */
function setupFarEnd(form, result) {
  addVoicePicker(form, 'sandbox-far-voice', { each: false });
  const dialled = document.getElementById('number');
  if (dialled && !form.elements.number.value) form.elements.number.value = dialled.value;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const voice = pickedVoice(form);
    result.textContent = 'Setting…';
    try {
      const res = await api('/api/sandbox/phones', {
        method: 'POST',
        body: { number: form.elements.number.value.trim(), voice },
      });
      result.textContent = `${res.number} answers ${describe(res.voice)}.`;
    } catch (err) {
      result.textContent = `Could not set the voice: ${err.message}`;
    }
  });
}

/**
 * Adds a voice picker before the submit button of `form`: a `voice` select (`tone`, `speech`, and with `each` a
 * first `""`: each caller their own tone, the sandbox's default) and a `voiceValue` input, a number field in Hz for
 * a tone and a text field for speech (hidden for the default). `id` names the select (`data-testid` too) and,
 * suffixed `-value`, the input.
 */
function addVoicePicker(form, id, { each }) {
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = 'Voice';
  const kind = document.createElement('select');
  kind.id = id;
  kind.name = 'voice';
  kind.dataset.testid = id;
  const choices = [['tone', 'Tone'], ['speech', 'Speech']];
  if (each) choices.unshift(['', 'Each their own tone']);
  for (const [value, text] of choices) kind.append(new Option(text, value));
  const value = document.createElement('input');
  value.id = `${id}-value`;
  value.name = 'voiceValue';
  value.dataset.testid = `${id}-value`;
  value.setAttribute('aria-label', 'Voice: tone in Hz, or words to say');
  form.querySelector('[type="submit"]').before(label, kind, value);

  const show = () => {
    const tone = kind.value === 'tone';
    value.hidden = kind.value === '';
    value.required = !value.hidden;
    value.type = tone ? 'number' : 'text';
    value.min = tone ? '50' : '';
    value.max = tone ? '3900' : '';
    value.placeholder = tone ? 'Hz' : 'Words to say';
    if (tone && !Number(value.value)) value.value = '440';
  };
  kind.addEventListener('change', () => {
    value.value = '';
    show();
  });
  show();
}

/** The voice a form's picker holds: `null` (the sandbox's default), `{tone_hz}` or `{speech}`. */
function pickedVoice(form) {
  const value = form.elements.voiceValue.value.trim();
  switch (form.elements.voice.value) {
    case 'tone':
      return { tone_hz: Number(value) };
    case 'speech':
      return { speech: value };
    default:
      return null;
  }
}

/** "saying a 440 Hz tone" or "saying “Hello”". */
function describe(voice) {
  return voice.tone_hz ? `saying a ${voice.tone_hz} Hz tone` : `saying “${voice.speech}”`;
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
