// Microphone and speaker pickers with level meters, on top of the SDK's `device.audio` helper. The choice is the
// user's, kept by the server (`/api/me/audio`): applied when the devices are known, saved when it is changed here
// or on /settings. A saved device is found by its id, else by its label (ids differ between browsers).
import { api } from './common.js';

/** The option in `select` for a saved `{id, label}`, or null. */
export function matchDevice(select, saved) {
  if (!saved) return null;
  const options = [...select.options];
  const label = (saved.label || '').toLowerCase();
  return (
    (saved.id && options.find((o) => o.value === saved.id)) ||
    (label && options.find((o) => o.textContent.toLowerCase() === label)) ||
    (label && options.find((o) => o.textContent.toLowerCase().includes(label))) ||
    null
  );
}

/** The `{id, label}` chosen in `select`, or null. */
export function chosenDevice(select) {
  const option = select.selectedOptions?.[0];
  return option ? { id: option.value, label: option.textContent } : null;
}

/** Wire the pickers in the "Microphone and speaker" panel to `device.audio`. */
export function setupAudioDevices(device) {
  const audio = device.audio;
  const mic = document.getElementById('mic');
  const speaker = document.getElementById('speaker');
  const micLevel = document.getElementById('mic-level');
  const speakerLevel = document.getElementById('speaker-level');
  const hint = document.getElementById('audio-hint');
  const testButton = document.getElementById('speaker-test');
  if (!audio) return { showLevels() {} };
  let saved = null; // the server's copy of the user's choice, once loaded

  const fill = (select, devices, selectedId) => {
    const previous = select.value;
    select.replaceChildren();
    let n = 0;
    for (const [id, info] of devices) {
      n += 1;
      const option = document.createElement('option');
      option.value = id;
      option.textContent = info.label || `${select === mic ? 'Microphone' : 'Speaker'} ${n}`;
      select.append(option);
    }
    const want = selectedId || previous;
    if (want && [...select.options].some((o) => o.value === want)) select.value = want;
    select.disabled = n === 0;
  };

  const useMic = (id) =>
    audio.setInputDevice(id).catch((err) => {
      hint.textContent = `Could not switch microphone: ${err.message}`;
    });
  const useSpeaker = (id) =>
    Promise.all([audio.speakerDevices.set(id), audio.ringtoneDevices.set(id)]).catch((err) => {
      hint.textContent = `Could not switch speaker: ${err.message}`;
    });
  const activeSpeaker = () => [...(audio.speakerDevices.get?.() ?? [])][0]?.deviceId;

  /** Switch to the saved devices that are present and not in use yet. */
  const applySaved = () => {
    const input = matchDevice(mic, saved?.input);
    if (input && input.value !== audio.inputDevice?.deviceId) {
      mic.value = input.value;
      useMic(input.value);
      mic.dispatchEvent(new Event('device-applied'));
    }
    const output = audio.isOutputSelectionSupported ? matchDevice(speaker, saved?.output) : null;
    if (output && output.value !== activeSpeaker()) {
      speaker.value = output.value;
      useSpeaker(output.value);
      speaker.dispatchEvent(new Event('device-applied'));
    }
  };

  const save = () => {
    const choice = {
      input: chosenDevice(mic),
      output: audio.isOutputSelectionSupported ? chosenDevice(speaker) : saved?.output ?? null,
    };
    api('/api/me/audio', { method: 'PUT', body: choice })
      .then((stored) => {
        saved = stored;
      })
      .catch((err) => {
        hint.textContent = `Could not save your choice: ${err.message}`;
      });
  };

  const refresh = () => {
    fill(mic, audio.availableInputDevices, audio.inputDevice?.deviceId);
    fill(speaker, audio.availableOutputDevices, activeSpeaker());
    if (!audio.isOutputSelectionSupported) {
      speaker.disabled = true;
      hint.textContent = 'This browser plays calls on its default speaker; change it in your system settings.';
    }
    applySaved();
  };

  audio.on('deviceChange', refresh);
  audio.on('inputVolume', (v) => {
    micLevel.value = v;
  });
  mic.addEventListener('change', () => {
    useMic(mic.value);
    save();
  });
  speaker.addEventListener('change', () => {
    useSpeaker(speaker.value);
    save();
  });
  testButton.addEventListener('click', () => {
    audio.speakerDevices.test('/static/sounds/outgoing.wav').catch?.(() => {});
  });
  refresh();
  api('/api/me/audio')
    .then((stored) => {
      saved = stored;
      applySaved();
    })
    .catch(() => {});

  return {
    /** Feed the meters from a call's `volume` event (both 0..1). */
    showLevels(input, output) {
      micLevel.value = input;
      speakerLevel.value = output;
    },
  };
}
