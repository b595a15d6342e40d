// The phone page: one Twilio.Device, one call at a time, an incoming-call banner.
//
// The SDK's promises never settle while offline, so the page reacts to events (device/call `error`, `accept`,
// `disconnect`…) and never waits on `register()` or `connect()` to show state.
import { api, clock, showModeBanner } from './common.js';
import { adviceFor, isOffline } from './advice.js';
import { createDevice } from './device.js';
import { setupAudioDevices } from './audio-devices.js';
import { setupNumberCheck } from './number-check.js';
import { setupSandboxPanel } from './sandbox-panel.js';

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const ui = {
  form: document.getElementById('dial-form'),
  number: $('number'),
  hint: $('number-hint'),
  call: $('call'),
  hangup: $('hangup'),
  mute: $('mute'),
  keypad: $('keypad'),
  status: $('status'),
  timer: $('timer'),
  advice: $('advice'),
  identity: $('identity'),
  incoming: $('incoming'),
  incomingFrom: $('incoming-from'),
  accept: $('incoming-accept'),
  reject: $('incoming-reject'),
};

let me;
let device;
let audio = { showLevels() {} };
let numberCheck;
let activeCall = null;
let connecting = false; // connect() called, no Call yet (offline it never settles)
let cancelled = false;
let ringingCall = null;
let hungUpLocally = false;
let timerHandle = null;

function setStatus(text, state) {
  ui.status.textContent = text;
  ui.status.dataset.state = state;
  document.body.dataset.callState = state;
}

function showAdvice(text) {
  ui.advice.textContent = text || '';
  ui.advice.hidden = !text;
}

function updateControls() {
  const inCall = Boolean(activeCall) || connecting;
  ui.call.disabled = inCall || !device || !me?.can_dial;
  ui.hangup.disabled = !inCall;
  ui.mute.disabled = !inCall;
  ui.number.readOnly = inCall || !me?.can_dial;
  if (!inCall) {
    ui.mute.setAttribute('aria-pressed', 'false');
    ui.mute.textContent = 'Mute';
  }
}

function startTimer() {
  const started = Date.now();
  ui.timer.textContent = clock(0);
  ui.timer.hidden = false;
  clearInterval(timerHandle);
  timerHandle = setInterval(() => {
    ui.timer.textContent = clock((Date.now() - started) / 1000);
  }, 500);
}

function stopTimer() {
  clearInterval(timerHandle);
  timerHandle = null;
}

/** Attach the UI to a call (outgoing or accepted incoming). */
function wireCall(call, label) {
  activeCall = call;
  hungUpLocally = false;
  updateControls();
  call.on('ringing', () => setStatus(`Ringing ${label}…`, 'ringing'));
  call.on('accept', () => {
    setStatus(`In call with ${label}`, 'in-call');
    showAdvice('');
    startTimer();
  });
  call.on('mute', (muted) => {
    ui.mute.setAttribute('aria-pressed', String(muted));
    ui.mute.textContent = muted ? 'Unmute' : 'Mute';
    if (activeCall === call && call.status() === 'open') {
      setStatus(muted ? `In call with ${label} (muted)` : `In call with ${label}`, 'in-call');
    }
  });
  call.on('volume', (input, output) => audio.showLevels(input, output));
  const ended = (why) => {
    if (activeCall !== call) return;
    activeCall = null;
    stopTimer();
    audio.showLevels(0, 0);
    setStatus(`Call ended — ${why}`, 'ended');
    updateControls();
  };
  call.on('disconnect', () => ended(hungUpLocally ? 'you hung up' : `${label} hung up`));
  call.on('cancel', () => ended('the call was cancelled'));
  call.on('reject', () => ended('rejected'));
  call.on('error', (error) => {
    showAdvice(adviceFor(error));
    ended(`failed (${error.code ?? 'error'})`);
  });
}

async function placeCall() {
  if (activeCall || !device) return;
  const typed = ui.number.value.trim();
  if (!typed) {
    showAdvice('Type a number to call.');
    ui.number.focus();
    return;
  }
  const check = numberCheck.current();
  if (check && !(check.valid && check.allowed)) {
    showAdvice(check.reason || 'That number cannot be called.');
    return;
  }
  showAdvice('');
  const label = check?.formatted || typed;
  setStatus(`Connecting to ${label}…`, 'connecting');
  hungUpLocally = false;
  connecting = true;
  cancelled = false;
  updateControls();
  try {
    const call = await device.connect({ params: { To: typed } });
    connecting = false;
    if (cancelled) {
      call.disconnect();
      return;
    }
    wireCall(call, label);
  } catch (error) {
    connecting = false;
    if (cancelled) return;
    showAdvice(adviceFor(error));
    setStatus('Call failed', 'ended');
    updateControls();
  }
}

function hangUp() {
  if (activeCall) {
    hungUpLocally = true;
    activeCall.disconnect();
  } else if (connecting) {
    // Offline, connect() may never settle: let the person give up now; a late Call is dropped on arrival.
    cancelled = true;
    connecting = false;
    setStatus('Call ended — cancelled before it connected', 'ended');
    updateControls();
  }
}

// The SDK hands each sendDigits() to RTCDTMFSender.insertDTMF, which replaces tones still waiting to play: keys
// pressed faster than a tone lasts (160 ms, then a 70 ms gap) would be lost. Keys wait here and go one per slot.
const DTMF_SLOT_MS = 240;
let keysWaiting = [];
let keyTimer = null;

function sendKey(key) {
  keysWaiting.push(key);
  if (keyTimer === null) sendNextKey();
}

function sendNextKey() {
  const key = keysWaiting.shift();
  if (key === undefined || !activeCall) {
    keysWaiting = [];
    keyTimer = null;
    return;
  }
  activeCall.sendDigits(key);
  keyTimer = setTimeout(sendNextKey, DTMF_SLOT_MS);
}

function pressKey(key) {
  if (activeCall) {
    sendKey(key);
    flashKey(key);
  } else if (!ui.number.readOnly) {
    ui.number.value += key;
    ui.number.dispatchEvent(new Event('input'));
  }
}

function flashKey(key) {
  const button = ui.keypad.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (!button) return;
  // Restart a short CSS animation; its end state is the normal look, so nothing can stay lit.
  button.classList.remove('pressed');
  void button.offsetWidth;
  button.classList.add('pressed');
}

function showIncoming(call) {
  ringingCall = call;
  const from = call.parameters?.From || 'unknown caller';
  ui.incomingFrom.textContent = from.replace(/^client:/, '');
  ui.incoming.hidden = false;
  if (!activeCall) setStatus(`Incoming call from ${ui.incomingFrom.textContent}`, 'incoming');
  const gone = () => {
    if (ringingCall !== call) return;
    ringingCall = null;
    ui.incoming.hidden = true;
  };
  call.on('cancel', () => {
    gone();
    if (!activeCall) setStatus(`Missed call from ${ui.incomingFrom.textContent}`, 'ended');
  });
  call.on('disconnect', gone);
  call.on('reject', gone);
  call.on('accept', gone);
}

function acceptIncoming() {
  const call = ringingCall;
  if (!call) return;
  if (activeCall) hangUp();
  const label = (call.parameters?.From || 'caller').replace(/^client:/, '');
  wireCall(call, label);
  setStatus(`Connecting to ${label}…`, 'connecting');
  call.accept();
}

function rejectIncoming() {
  const call = ringingCall;
  if (!call) return;
  ringingCall = null;
  ui.incoming.hidden = true;
  call.reject();
  if (!activeCall) setStatus('Rejected the incoming call', 'ended');
}

async function startDevice() {
  device = await createDevice(me, showAdvice);
  device.on('registered', () => {
    showAdvice('');
    if (!activeCall) setStatus('Ready', 'idle');
  });
  device.on('unregistered', () => {
    if (!activeCall) setStatus('Not receiving calls', 'idle');
  });
  device.on('incoming', showIncoming);
  device.on('error', (error) => {
    if (isOffline(error) && !activeCall) setStatus('Offline — retrying', 'offline');
  });
  audio = setupAudioDevices(device);
  if (me.can_take_calls) {
    setStatus('Connecting to the phone service…', 'starting');
    device.register().catch(() => {}); // failures arrive as `error` events
  } else {
    setStatus('Ready', 'idle');
  }
  updateControls();
}

function wireUi() {
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    placeCall();
  });
  ui.hangup.addEventListener('click', hangUp);
  ui.mute.addEventListener('click', () => activeCall?.mute(!activeCall.isMuted()));
  ui.keypad.addEventListener('click', (event) => {
    const button = event.target.closest('[data-key]');
    if (button) pressKey(button.dataset.key);
  });
  ui.accept.addEventListener('click', acceptIncoming);
  ui.reject.addEventListener('click', rejectIncoming);
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'Escape') {
      if (activeCall || connecting) hangUp();
      else if (ringingCall) rejectIncoming();
      return;
    }
    const inField = event.target instanceof HTMLInputElement && event.target !== ui.number;
    if (activeCall && !inField && /^[0-9*#]$/.test(event.key)) {
      event.preventDefault();
      pressKey(event.key);
    }
  });
}

async function main() {
  wireUi();
  try {
    me = await api('/api/me');
  } catch (error) {
    setStatus('Could not load your account', 'error');
    showAdvice(adviceFor(error));
    return;
  }
  showModeBanner(Boolean(me.sandbox));
  ui.identity.textContent = me.identity;
  document.getElementById('console-link').hidden = !me.can_screen;
  document.getElementById('admin-link').hidden = me.role !== 'admin';
  if (me.default_number && !ui.number.value) ui.number.value = me.default_number;
  numberCheck = setupNumberCheck(ui.number, ui.hint);
  if (me.sandbox) setupSandboxPanel();
  if (!me.can_dial) ui.number.readOnly = true;
  if (!window.Twilio?.Device) {
    setStatus('Phone unavailable', 'error');
    showAdvice('The phone library did not load. Reload the page.');
    return;
  }
  try {
    await startDevice();
  } catch (error) {
    setStatus('Phone unavailable', 'error');
    showAdvice(`Could not get a phone session: ${error.message}`);
  }
}

main();
