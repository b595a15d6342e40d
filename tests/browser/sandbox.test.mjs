// The sandbox against the unmodified @twilio/voice-sdk 2.18.5 in headless Chromium: `piphone serve` in sandbox
// mode, the app's own page (which loads the vendored SDK), and a Twilio.Device driven directly with page.evaluate.
// What the (sandbox) phone network saw is read back through the control API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { launchBrowser, login, newContext, startServer, waitFor, withScreenshot } from './harness.mjs';

const NUMBER = '+14155552671';
const LISTENER = '+15551239001';

let server;
let browser;
let context;
let page;

const eventsOf = (call, kind) => (call?.events ?? []).filter((e) => e.kind === kind);

async function calls() {
  return (await server.sandbox('GET', '/sandbox/calls')).calls;
}

/** The newest sandbox leg matching `pred`, once it exists. */
async function leg(pred, what) {
  return waitFor(async () => (await calls()).filter(pred).at(-1), 10_000, { what });
}

/** Waits until the page recorded SDK event `name` (optionally with a predicate on its detail). */
async function sdkEvent(name, pred = () => true, timeoutMs = 10_000) {
  return waitFor(
    () => page.evaluate(([n]) => window.__sb.events.filter((e) => e.name === n), [name]).then((evs) => evs.find(pred)),
    timeoutMs,
    { what: `SDK event "${name}"` },
  );
}

/** A token signed with the sandbox API key: `claims` override the defaults (HS256, as Twilio's libraries write). */
function signToken(claims) {
  const c = server.credentials;
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'HS256', cty: 'twilio-fpa;v=1', typ: 'JWT' };
  const payload = {
    jti: `${c.api_key_sid}-${now}`,
    iss: c.api_key_sid,
    sub: c.account_sid,
    nbf: now,
    exp: now + 3600,
    grants: { identity: 'admin', voice: { incoming: { allow: true }, outgoing: { application_sid: c.app_sid } } },
    ...claims,
  };
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', c.api_key_secret).update(input).digest('base64url')}`;
}

/** A fresh Twilio.Device in the page (token from /token unless given), its events recorded in window.__sb. */
async function newDevice(token = null) {
  await page.evaluate(async (given) => {
    if (window.__sb?.device) window.__sb.device.destroy();
    const events = [];
    const push = (name, detail = null) => events.push({ name, detail, at: Date.now() });
    const token = given ?? (await (await fetch('/token')).json()).token;
    const sounds = {};
    for (const n of ['incoming', 'outgoing', 'disconnect', 'dtmfs', 'dtmfh', ...[...Array(10).keys()].map((d) => `dtmf${d}`)]) {
      sounds[n] = `/static/sounds/${n}.wav`;
    }
    const device = new window.Twilio.Device(token, { chunderw: location.host, publishEvents: false, sounds, logLevel: 'warn' });
    window.__sb = { events, device, call: null };
    device.on('registered', () => push('registered'));
    device.on('unregistered', () => push('unregistered'));
    device.on('error', (e) => push('error', { code: e.code, name: e.name }));
    device.on('incoming', (call) => {
      window.__sb.call = call;
      push('incoming', { ...call.parameters });
      call.on('accept', () => push('accept', { sid: call.parameters.CallSid }));
      call.on('disconnect', () => push('disconnect'));
      call.on('cancel', () => push('cancel'));
    });
  }, token);
}

async function register() {
  await page.evaluate(() => {
    window.__sb.device.register().catch(() => {});
  });
  await sdkEvent('registered');
}

/** Places a call from the page's Device; resolves once the SDK fired `accept`. Returns the real CallSid. */
async function placeCall(to) {
  await page.evaluate(async (number) => {
    const { events } = window.__sb;
    const push = (name, detail = null) => events.push({ name, detail, at: Date.now() });
    const call = await window.__sb.device.connect({ params: { To: number } });
    window.__sb.call = call;
    call.on('ringing', () => push('ringing'));
    call.on('accept', () => push('accept', { sid: call.parameters.CallSid }));
    call.on('disconnect', () => push('disconnect'));
    call.on('error', (e) => push('call-error', { code: e.code }));
  }, to);
  const accepted = await sdkEvent('accept', () => true, 15_000);
  return accepted.detail.sid;
}

describe('sandbox with the real Voice SDK', () => {
  before(async () => {
    // Calls to the station ring browsers (`ring`; the default `queue` is the call-in, see callin.test.mjs).
    server = await startServer({ env: { PIPHONE_SANDBOX_SPEED: '10', PIPHONE_INCOMING_MODE: 'ring' } });
    assert.ok(server.credentials, 'sandbox.json in the data dir');
    browser = await launchBrowser();
    context = await newContext(browser);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await login(page, server);
    await waitFor(() => page.evaluate(() => typeof window.Twilio?.Device === 'function'), 10_000, {
      what: 'the page to load the vendored Voice SDK',
    });
    await newDevice();
    await register();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('registers through the sandbox gateway', async () => {
    await withScreenshot(page, 'sandbox-register', async () => {
      assert.equal(await page.evaluate(() => window.__sb.device.state), 'registered');
      assert.equal(await page.evaluate(() => window.__sb.device.identity), 'admin');
    }, server);
  });

  test('an outgoing call reaches accept; the sandbox heard the Say, the dialled number and the digits; the browser hangs up', async () => {
    await withScreenshot(page, 'sandbox-outgoing', async () => {
      const sid = await placeCall(NUMBER);
      assert.match(sid, /^CA[0-9a-f]{32}$/, 'the SDK learnt the real CallSid');
      // The app says "Calling …" (which answers the call, so `accept` fires) and then dials the number.
      const call = await leg((c) => c.call_sid === sid && c.bridged_with, 'the browser leg bridged to the number');
      assert.equal(call.from, 'client:admin');
      const seen = JSON.stringify(call);
      assert.match(eventsOf(call, 'say')[0]?.text ?? '', /Calling/, seen);
      assert.equal(eventsOf(call, 'dial')[0]?.number, NUMBER, seen);
      assert.equal((await leg((c) => c.call_sid === call.bridged_with, 'the dialled leg')).to, NUMBER, seen);

      await page.evaluate(() => window.__sb.call.sendDigits('1#'));
      // With real media the SDK sends RFC 4733 telephone-events (one `digits` event per key); without, one
      // signaling `dtmf` frame ('1#' at once).
      const digitsOf = (c) => eventsOf(c, 'digits').map((e) => e.digits).join('');
      await waitFor(async () => (await calls()).some((c) => c.call_sid === sid && digitsOf(c) === '1#'), 10_000, {
        what: 'digits 1# on the browser leg',
      });

      await page.evaluate(() => window.__sb.call.disconnect());
      await sdkEvent('disconnect');
      const ended = await leg((c) => c.call_sid === sid && c.status === 'completed', 'the leg to complete');
      assert.equal(eventsOf(ended, 'hangup')[0]?.by, 'client');
    }, server);
  });

  test('the far side hangs up and the browser sees disconnect', async () => {
    await withScreenshot(page, 'sandbox-far-hangup', async () => {
      await page.evaluate(() => {
        window.__sb.events.length = 0;
      });
      const sid = await placeCall(NUMBER);
      const call = await leg((c) => c.call_sid === sid && c.bridged_with, 'a bridged browser leg');
      await server.sandbox('POST', `/sandbox/calls/${call.bridged_with}/hangup`);
      await sdkEvent('disconnect');
      await leg((c) => c.call_sid === sid && c.status === 'completed', 'the browser leg to complete');
    }, server);
  });

  test('a listener calling in rings the registered browser, which accepts', async () => {
    await withScreenshot(page, 'sandbox-incoming', async () => {
      await page.evaluate(() => {
        window.__sb.events.length = 0;
      });
      const { calls: placed } = await server.sandbox('POST', '/sandbox/call-in', { from: LISTENER, count: 1 });
      const caller = placed[0].call_sid;
      const incoming = await sdkEvent('incoming');
      assert.equal(incoming.detail.From, LISTENER);
      assert.equal(incoming.detail.To, 'client:admin');
      await page.evaluate(() => window.__sb.call.accept());
      const accepted = await sdkEvent('accept');
      const bridged = await leg((c) => c.call_sid === caller && c.bridged_with === accepted.detail.sid, 'the caller bridged to the browser');
      assert.equal(bridged.status, 'in-progress');

      await server.sandbox('POST', `/sandbox/calls/${caller}/hangup`);
      await sdkEvent('disconnect');
    }, server);
  });

  test("the sandbox panel shows the account's setup: TwiML App, station number, key SIDs, no secrets", async () => {
    await withScreenshot(page, 'sandbox-setup', async () => {
      const setup = page.getByTestId('sandbox-setup');
      await setup.locator('summary').click();
      const c = server.credentials;
      const text = await waitFor(async () => {
        const t = await setup.innerText();
        return t.includes('Station number') ? t : null;
      }, 10_000, { what: 'the setup list' });
      const base = server.url.replace(/\/$/, '');
      assert.ok(text.includes(`TwiML App piphone sandbox (${c.app_sid})`), text);
      assert.ok(text.includes(`Voice URL: POST ${base}/voice`), text);
      assert.ok(text.includes(`Station number ${c.station_number}`), text);
      assert.ok(text.includes(`voice webhook: POST ${base}/voice/incoming`), text);
      assert.ok(text.includes(c.api_key_sid), text);
      assert.ok(!text.includes(c.api_key_secret) && !text.includes(c.auth_token), 'no secret shown');
    }, server);
  });

  const badTokens = [
    ['an expired token', () => signToken({ nbf: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }), 20104, 'AccessTokenExpired'],
    ['a forged token', () => signToken({}).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), 20101, 'AccessTokenInvalid'],
    ['a token signed with another key', () => {
      const t = signToken({});
      const [h, p] = t.split('.');
      return `${h}.${p}.${createHmac('sha256', 'not-the-secret').update(`${h}.${p}`).digest('base64url')}`;
    }, 20101, 'AccessTokenInvalid'],
  ];
  for (const [what, make, code, name] of badTokens) {
    test(`${what} gives the SDK's ${name} (${code})`, async () => {
      await withScreenshot(page, `sandbox-token-${what.replace(/ /g, '-')}`, async () => {
        await newDevice(make());
        await page.evaluate(() => {
          window.__sb.device.register().catch(() => {});
        });
        const err = await sdkEvent('error', (e) => e.detail.code === code);
        assert.equal(err.detail.name, name, `case ${what}`);
      }, server);
    });
  }
});
