// Microphone and speaker pickers with level meters, on top of the SDK's `device.audio` helper.

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

  const refresh = () => {
    fill(mic, audio.availableInputDevices, audio.inputDevice?.deviceId);
    const activeSpeaker = [...(audio.speakerDevices.get?.() ?? [])][0]?.deviceId;
    fill(speaker, audio.availableOutputDevices, activeSpeaker);
    if (!audio.isOutputSelectionSupported) {
      speaker.disabled = true;
      hint.textContent = 'This browser plays calls on its default speaker; change it in your system settings.';
    }
  };

  audio.on('deviceChange', refresh);
  audio.on('inputVolume', (v) => {
    micLevel.value = v;
  });
  mic.addEventListener('change', () => {
    audio.setInputDevice(mic.value).catch((err) => {
      hint.textContent = `Could not switch microphone: ${err.message}`;
    });
  });
  speaker.addEventListener('change', () => {
    Promise.all([audio.speakerDevices.set(speaker.value), audio.ringtoneDevices.set(speaker.value)]).catch((err) => {
      hint.textContent = `Could not switch speaker: ${err.message}`;
    });
  });
  testButton.addEventListener('click', () => {
    audio.speakerDevices.test('/static/sounds/outgoing.wav').catch?.(() => {});
  });
  refresh();

  return {
    /** Feed the meters from a call's `volume` event (both 0..1). */
    showLevels(input, output) {
      micLevel.value = input;
      speakerLevel.value = output;
    },
  };
}
