// The Twilio.Device of the pages that hold one (phone, call-in console): made with the shared options (local
// sounds; in sandbox mode the sandbox's gateway, the SDK's `chunderw` testing option: this same host, or the
// sandbox process's host:port from `/api/me`, with analytics off), and its access token kept fresh.
import { api } from './common.js';
import { adviceFor, isTokenProblem } from './advice.js';

const SOUND_NAMES = ['incoming', 'outgoing', 'disconnect', 'dtmfs', 'dtmfh'];
for (let d = 0; d <= 9; d += 1) SOUND_NAMES.push(`dtmf${d}`);

/** Options for `new Twilio.Device(token, options)`; `me` is `/api/me`. */
function deviceOptions(me) {
  const sounds = {};
  for (const name of SOUND_NAMES) sounds[name] = `/static/sounds/${name}.wav`;
  const options = { sounds, closeProtection: true, codecPreferences: ['opus', 'pcmu'], logLevel: 'warn' };
  if (me.sandbox) {
    options.chunderw = me.sandbox_signal_host || location.host;
    options.publishEvents = false;
  }
  return options;
}

async function fetchToken() {
  return (await api('/token')).token;
}

/**
 * Fetches a token and makes the page's Device (`me` is `/api/me`); rejects when no token can be had. The Device
 * renews its token before it expires and after a token error, and shows each error's advice through
 * `showAdvice(text)` ('' clears it). The page adds its own listeners (`registered`, `incoming`, `error`…), which
 * run after these.
 */
export async function createDevice(me, showAdvice) {
  const device = new window.Twilio.Device(await fetchToken(), deviceOptions(me));
  device.on('tokenWillExpire', async () => {
    try {
      device.updateToken(await fetchToken());
    } catch {
      showAdvice('Could not renew the phone session. Reload the page.');
    }
  });
  device.on('error', async (error) => {
    showAdvice(adviceFor(error));
    if (isTokenProblem(error)) {
      try {
        device.updateToken(await fetchToken());
        showAdvice('');
      } catch {
        /* advice already shown */
      }
    }
  });
  return device;
}
