// Voice SDK error codes in plain words: what happened and what the person can do about it.
// Codes from @twilio/voice-sdk 2.18.5 lib/twilio/errors/generated.ts and Twilio's error dictionary.

const MIC_BLOCKED =
  'The browser is not letting piphone use your microphone. Allow the microphone for this site ' +
  '(the icon at the left of the address bar), then try again.';
const OFFLINE =
  'Cannot reach the phone service. Check your internet connection; piphone keeps retrying by itself.';

const ADVICE = new Map([
  [31401, MIC_BLOCKED],
  [31208, MIC_BLOCKED],
  [31402, 'No microphone could be opened. Plug one in, or close other apps that are using it, then try again.'],
  [20104, 'Your phone session expired. Reload the page to get a new one.'],
  [20101, 'The phone service refused piphone’s credentials. Ask the admin to check the Twilio API key settings.'],
  [20102, 'The phone service refused piphone’s credentials. Ask the admin to check the Twilio API key settings.'],
  [20103, 'The phone service refused piphone’s credentials. Ask the admin to check the Twilio API key settings.'],
  [20105, 'Your computer’s clock looks wrong, so the phone session is not yet valid. Fix the clock and reload.'],
  [20151, 'Your phone session is too old. Reload the page.'],
  [20157, 'Your phone session is too long-lived for Twilio. Ask the admin to check the token settings.'],
  [31005, OFFLINE],
  [31000, OFFLINE],
  [31009, OFFLINE],
  [31003, 'The call audio could not connect. A firewall or VPN may be blocking it; try another network.'],
  [53000, OFFLINE],
  [53405, 'The call audio could not connect. A firewall or VPN may be blocking it; try another network.'],
  [31002, 'The call was declined.'],
  [31486, 'The line is busy. Try again later.'],
  [31480, 'Nobody answered.'],
  [31404, 'That number does not exist or cannot be reached.'],
  [31603, 'The call was declined.'],
  [13227, 'Calls to that country are not allowed on this account (Twilio geographic permissions).'],
  [21215, 'Calls to that country are not allowed on this account (Twilio geographic permissions).'],
  [31204, 'The phone service refused piphone’s credentials. Reload the page; if it persists, ask the admin.'],
  [31205, 'Your phone session expired. Reload the page to get a new one.'],
]);

/** Plain advice for an SDK error (or anything with a `code`/`message`). */
export function adviceFor(error) {
  const code = Number(error?.code);
  const known = ADVICE.get(code);
  if (known) return known;
  const message = error?.message || 'Something went wrong';
  return code ? `${message} (error ${code}).` : `${message}.`;
}

/** True for errors that mean "not connected right now" (the SDK retries these itself). */
export function isOffline(error) {
  return [31000, 31005, 31009, 53000].includes(Number(error?.code));
}

/** True for errors that mean the token must be replaced. */
export function isTokenProblem(error) {
  return [20104, 31205].includes(Number(error?.code));
}
