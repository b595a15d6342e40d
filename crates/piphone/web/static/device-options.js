// Twilio.Device options shared by the pages that hold a Device (phone, call-in console): local sounds, and in
// sandbox mode the sandbox's gateway (the SDK's `chunderw` testing option: this same host, or the sandbox process's
// host:port from `/api/me`) with analytics off.

const SOUND_NAMES = ['incoming', 'outgoing', 'disconnect', 'dtmfs', 'dtmfh'];
for (let d = 0; d <= 9; d += 1) SOUND_NAMES.push(`dtmf${d}`);

/** Options for `new Twilio.Device(token, options)`; `me` is `/api/me`. */
export function deviceOptions(me) {
  const sounds = {};
  for (const name of SOUND_NAMES) sounds[name] = `/static/sounds/${name}.wav`;
  const options = { sounds, closeProtection: true, codecPreferences: ['opus', 'pcmu'], logLevel: 'warn' };
  if (me.sandbox) {
    options.chunderw = me.sandbox_signal_host || location.host;
    options.publishEvents = false;
  }
  return options;
}
