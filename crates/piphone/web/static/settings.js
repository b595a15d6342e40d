// /settings: the microphones and speakers this browser sees, and the user's choice (kept by the server at
// /api/me/audio; the phone page applies it).
import { api, showModeBanner } from './common.js';
import { chosenDevice, matchDevice } from './audio-devices.js';

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const mic = $('settings-mic');
const speaker = $('settings-speaker');
const result = $('settings-result');
let saved = { input: null, output: null };

/** Device names are only shown once the page may use the microphone: ask once, then let it go. */
async function askForLabels() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    for (const track of stream.getTracks()) track.stop();
    return true;
  } catch {
    result.textContent = 'Allow the microphone to see the devices by name.';
    return false;
  }
}

function fill(select, list, devices, savedChoice, kind) {
  select.replaceChildren(new Option('Browser default', ''));
  list.replaceChildren();
  devices.forEach((d, i) => {
    const label = d.label || `${kind} ${i + 1}`;
    select.append(new Option(label, d.deviceId));
    const item = document.createElement('li');
    item.textContent = label;
    list.append(item);
  });
  const match = matchDevice(select, savedChoice);
  if (match) {
    select.value = match.value;
  } else if (savedChoice) {
    // Chosen before, not connected now: keep it selectable so saving does not lose it.
    const gone = new Option(`${savedChoice.label || savedChoice.id} (not connected)`, savedChoice.id);
    gone.dataset.label = savedChoice.label;
    select.append(gone);
    select.value = savedChoice.id;
  }
}

async function render() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const real = (d) => d.deviceId !== 'default' && d.deviceId !== 'communications';
  fill(mic, $('inputs'), devices.filter((d) => d.kind === 'audioinput' && real(d)), saved.input, 'Microphone');
  fill(speaker, $('outputs'), devices.filter((d) => d.kind === 'audiooutput' && real(d)), saved.output, 'Speaker');
}

function choice(select) {
  if (!select.value) return null;
  const picked = chosenDevice(select);
  const option = select.selectedOptions[0];
  return { id: picked.id, label: option.dataset.label ?? picked.label };
}

async function main() {
  const me = await api('/api/me');
  showModeBanner(Boolean(me.sandbox));
  $('identity').textContent = me.identity;
  saved = await api('/api/me/audio');
  await askForLabels();
  await render();
  navigator.mediaDevices.addEventListener('devicechange', render);
  document.getElementById('audio-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      saved = await api('/api/me/audio', { method: 'PUT', body: { input: choice(mic), output: choice(speaker) } });
      result.textContent = 'Saved. The phone uses these devices from its next start.';
    } catch (err) {
      result.textContent = `Could not save: ${err.message}`;
    }
  });
}

main().catch((err) => {
  result.textContent = `Could not load the settings: ${err.message}`;
});
