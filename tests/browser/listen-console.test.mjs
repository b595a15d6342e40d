// The call-in console, listened to (issue 13): a host's and a screener's browsers each say their own tone (their
// fake microphones), simulated callers say theirs. The host hears caller 1, then caller 2 after Next (`*`, sent
// in-band by the page); each caller hears the host; a screener and the caller they screen hear each other.
// Needs a piphone whose sandbox carries WebRTC media for calls to browsers too. Real time (speed 1).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loginAsNewUser, newContext, startServer, waitFor, withScreenshot } from './harness.mjs';
import { heardBy, pageHears, tapCalls, toneBrowser, untilTone } from './listen.mjs';

const PASSWORD = 'password-for-tests-1';
const HOST_HZ = 1000;
const SCREENER_HZ = 1300;
/** Callers 1, 2 and 3. */
const CALLER_HZ = [500, 800, 620];
const FROM = ['+15551230001', '+15551230002', '+15551230003'];

let server;
const browsers = [];
const pages = {};

const eventsOf = (call, kind) => (call?.events ?? []).filter((e) => e.kind === kind);
const sandboxCalls = async () => (await server.sandbox('GET', '/sandbox/calls')).calls;

/** The console of a new user `name` (`role`) in a browser whose microphone says `hz`. */
async function openConsole(name, role, hz) {
  const browser = await toneBrowser(hz);
  browsers.push(browser);
  const context = await newContext(browser);
  await tapCalls(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await loginAsNewUser(page, server, name, PASSWORD, role);
  await page.goto(new URL('/console', server.url).href);
  return page;
}

/** Caller `n` (0-based) rings in, saying their tone; resolves to their CallSid once they wait in the queue. */
async function callIn(n) {
  const {
    calls: [{ call_sid: sid }],
  } = await server.sandbox('POST', '/sandbox/call-in', { from: FROM[n], voice: { tone_hz: CALLER_HZ[n] } });
  await waitFor(async () => eventsOf(await server.sandbox('GET', `/sandbox/calls/${sid}`), 'enqueued').length, 15_000, {
    what: `caller ${n + 1} in the queue`,
  });
  return sid;
}

const hostLeg = async () => (await sandboxCalls()).filter((c) => c.from === 'client:dj').at(-1);

describe('the call-in console, listened to', () => {
  before(async () => {
    server = await startServer({ env: { PIPHONE_SANDBOX_SPEED: '1' } });
    pages.host = await openConsole('dj', 'host', HOST_HZ);
    pages.screener = await openConsole('sam', 'screener', SCREENER_HZ);
  });

  after(async () => {
    for (const browser of browsers) await browser.close();
    await server?.stop();
  });

  test('the host hears caller 1, then caller 2 after Next; each caller hears the host', async () => {
    const { host } = pages;
    await withScreenshot(host, 'listen-next', async () => {
      await waitFor(() => host.getByTestId('take-calls').isEnabled(), 10_000, { what: 'Take calls enabled' });
      const c1 = await callIn(0);
      const c2 = await callIn(1);

      await host.getByTestId('take-calls').click();
      await waitFor(async () => (await hostLeg())?.bridged_with === c1, 15_000, { what: 'the host bridged with caller 1' });
      const hears1 = await untilTone(() => pageHears(host), CALLER_HZ[0], 'the host (caller 1 on the air)');
      const heard1 = await untilTone(() => heardBy(server, c1), HOST_HZ, 'caller 1');

      await host.getByTestId('next-caller').click();
      await waitFor(async () => (await hostLeg())?.bridged_with === c2, 15_000, { what: 'the host bridged with caller 2' });
      const hears2 = await untilTone(() => pageHears(host), CALLER_HZ[1], 'the host after Next');
      const heard2 = await untilTone(() => heardBy(server, c2), HOST_HZ, 'caller 2');
      const star = eventsOf(await hostLeg(), 'digits').map((e) => e.digits);
      console.log(
        `host hears caller 1 ${JSON.stringify(hears1)}, caller 2 ${JSON.stringify(hears2)}; ` +
          `callers hear the host ${JSON.stringify(heard1)}, ${JSON.stringify(heard2)}; host leg digits ${JSON.stringify(star)}`,
      );
      assert.ok(star.includes('*'), `Next reached the sandbox as the key *: ${JSON.stringify(star)}`);
    }, server);
  });

  test('a screener and the caller they screen hear each other', async () => {
    const { screener } = pages;
    await withScreenshot(screener, 'listen-screening', async () => {
      const c3 = await callIn(2);
      await screener
        .locator(`[data-testid="queue-member"][data-call-sid="${c3}"] [data-testid="screen-caller"]`)
        .click();
      await waitFor(
        async () => (await sandboxCalls()).find((c) => c.to === 'client:sam' && c.parent_call_sid === c3)?.bridged_with === c3,
        15_000,
        { what: "caller 3 bridged with the screener's browser" },
      );
      const hears = await untilTone(() => pageHears(screener), CALLER_HZ[2], 'the screener');
      const heard = await untilTone(() => heardBy(server, c3), SCREENER_HZ, 'caller 3 (screened)');
      console.log(`screener hears ${JSON.stringify(hears)}; caller 3 hears ${JSON.stringify(heard)}`);
    }, server);
  });
});
