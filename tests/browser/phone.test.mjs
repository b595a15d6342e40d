// The phone page, end to end: the real page and the real Voice SDK in headless Chromium, against `piphone serve`
// in sandbox mode. Asserts what a person sees, and what the (sandbox) phone network saw.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN_PASSWORD,
  launchBrowser,
  login,
  newContext,
  screenshot,
  startServer,
  waitFor,
  withScreenshot,
} from './harness.mjs';

const DEFAULT_NUMBER = '+12015550123';
const CALLER_ID = '+15005550006';
const TYPED_NUMBER = '(415) 555-2671';
const TYPED_E164 = '+14155552671';
const LISTENER = '+15551230001';

let server;
let browser;
let context;
let page;
const consoleProblems = [];

const byTestId = (id) => page.getByTestId(id);
const statusText = () => byTestId('status').textContent();

async function expectStatus(pattern, timeoutMs = 15_000) {
  await waitFor(async () => pattern.test(await statusText()), timeoutMs, {
    what: `status to match ${pattern} (is "${await statusText().catch(() => '?')}")`,
  });
}

/** The newest sandbox call leg placed by the browser (From client:<identity>). */
async function browserLeg() {
  const { calls } = await server.sandbox('GET', '/sandbox/calls');
  const mine = calls.filter((c) => c.from === 'client:admin');
  return mine.at(-1);
}

const eventsOf = (call, kind) => (call?.events ?? []).filter((e) => e.kind === kind);

/** Every digit any leg reported hearing, in order of arrival per leg. */
async function allDigits() {
  const { calls } = await server.sandbox('GET', '/sandbox/calls');
  return calls.flatMap((c) => eventsOf(c, 'digits').map((e) => e.digits)).join('');
}

describe('phone page', () => {
  before(async () => {
    server = await startServer({
      // Calls to the station ring browsers (the default, `queue`, is the call-in: tests/browser/callin.test.mjs).
      env: { PIPHONE_DEFAULT_NUMBER: DEFAULT_NUMBER, PIPHONE_CALLER_ID: CALLER_ID, PIPHONE_INCOMING_MODE: 'ring' },
    });
    browser = await launchBrowser();
    context = await newContext(browser);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) consoleProblems.push(msg.text());
    });
    page.on('pageerror', (err) => consoleProblems.push(`page error: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a wrong password is refused in plain words', async () => {
    await withScreenshot(page, 'login-refused', async () => {
      await page.goto(new URL('/login', server.url).href);
      await assertSandboxBanner();
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/login\?error=/);
      assert.equal(await page.getByRole('alert').textContent(), 'Wrong username or password.');
    }, server);
  });

  test('after login the phone is ready with the default number', async () => {
    await withScreenshot(page, 'idle', async () => {
      await login(page, server, 'admin', ADMIN_PASSWORD);
      await assertSandboxBanner();
      await expectStatus(/^Ready$/);
      assert.equal(await byTestId('number').inputValue(), DEFAULT_NUMBER);
      await waitFor(async () => /Will call/.test(await byTestId('number-hint').textContent()), 5_000, {
        what: 'the number to be checked',
      });
      assert.ok(await byTestId('call').isEnabled(), 'Call is enabled');
      assert.ok(await byTestId('hangup').isDisabled(), 'Hang up is disabled while idle');
      assert.ok(await byTestId('mute').isDisabled(), 'Mute is disabled while idle');
      await screenshot(page, 'screenshots/idle');
    }, server);
  });

  test('calls the default number: Say, Dial with caller ID, keypad DTMF, mute, hang up', async () => {
    await withScreenshot(page, 'call-default', async () => {
      await byTestId('call').click();
      await expectStatus(/^In call/);
      assert.ok(await byTestId('timer').isVisible(), 'the call timer shows');
      assert.ok(await byTestId('hangup').isEnabled(), 'Hang up is enabled in a call');

      const leg = await waitFor(async () => {
        const c = await browserLeg();
        return eventsOf(c, 'dial').length ? c : null;
      }, 10_000, { what: 'the sandbox to see a Dial' });
      const says = eventsOf(leg, 'say');
      assert.ok(says.length > 0 && says[0].text, `the caller heard a <Say>: ${JSON.stringify(leg.events)}`);
      const [dial] = eventsOf(leg, 'dial');
      assert.equal(dial.number, DEFAULT_NUMBER, 'dialled the default number in E.164');
      assert.equal(dial.caller_id, CALLER_ID, 'with the configured caller ID');

      for (const key of ['key-1', 'key-2', 'key-hash']) await byTestId(key).click();
      await waitFor(async () => (await allDigits()).includes('12#'), 10_000, { what: 'DTMF 12# in the sandbox' });

      await byTestId('mute').click();
      await waitFor(async () => (await byTestId('mute').getAttribute('aria-pressed')) === 'true', 5_000, {
        what: 'mute to be pressed',
      });
      assert.equal(await byTestId('mute').textContent(), 'Unmute');
      assert.match(await statusText(), /muted/);
      await byTestId('mute').click();
      await waitFor(async () => (await byTestId('mute').textContent()) === 'Mute', 5_000, { what: 'unmute' });
      assert.doesNotMatch(await statusText(), /muted/);

      await waitFor(async () => (await byTestId('timer').textContent()) !== '0:00', 5_000, { what: 'the timer to run' });
      await screenshot(page, 'screenshots/in-call');

      await byTestId('hangup').click();
      await expectStatus(/^Call ended — you hung up/);
      assert.ok(await byTestId('call').isEnabled(), 'Call is enabled again');
      await waitFor(async () => (await browserLeg()).status === 'completed', 10_000, {
        what: 'the sandbox leg to complete',
      });
    }, server);
  });

  test('calls a typed number with Enter, sends keyboard digits, hangs up with Escape', async () => {
    await withScreenshot(page, 'call-typed', async () => {
      const before = (await browserLeg())?.call_sid;
      await byTestId('number').fill(TYPED_NUMBER);
      await waitFor(async () => /Will call/.test(await byTestId('number-hint').textContent()), 5_000, {
        what: 'the typed number to be checked',
      });
      await byTestId('number').press('Enter');
      await expectStatus(/^In call/);
      const leg = await waitFor(async () => {
        const c = await browserLeg();
        return c && c.call_sid !== before && eventsOf(c, 'dial').length ? c : null;
      }, 10_000, { what: 'a new Dial in the sandbox' });
      assert.equal(eventsOf(leg, 'dial')[0].number, TYPED_E164);

      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('7');
      await page.keyboard.press('*');
      await waitFor(async () => (await allDigits()).includes('7*'), 10_000, { what: 'keyboard DTMF 7*' });

      await page.keyboard.press('Escape');
      await expectStatus(/^Call ended/);
    }, server);
  });

  test('an incoming listener call shows the banner and can be accepted', async () => {
    await withScreenshot(page, 'incoming', async () => {
      await server.sandbox('POST', '/sandbox/call-in', { from: LISTENER, count: 1 });
      await waitFor(() => byTestId('incoming').isVisible(), 15_000, { what: 'the incoming-call banner' });
      assert.match(await byTestId('incoming-from').textContent(), /5551230001/);
      await screenshot(page, 'screenshots/incoming');
      await byTestId('incoming-accept').click();
      await expectStatus(/^In call/);
      assert.ok(await byTestId('incoming').isHidden(), 'the banner goes away once accepted');
      await byTestId('hangup').click();
      await expectStatus(/^Call ended/);
    }, server);
  });

  test('the sandbox panel simulates a listener, whose call can be rejected', async () => {
    await withScreenshot(page, 'incoming-reject', async () => {
      assert.ok(await byTestId('sandbox-panel').isVisible(), 'the sandbox panel shows in sandbox mode');
      await byTestId('sandbox-from').fill('+15551239999');
      await byTestId('sandbox-call-in').click();
      await waitFor(async () => /Simulated 1 call from \+15551239999/.test(await byTestId('sandbox-result').textContent()),
        5_000, { what: 'the panel to confirm the simulated call (needs POST /api/sandbox/call-in)' }).catch(async (err) => {
        err.message += `; the panel says: "${await byTestId('sandbox-result').textContent()}"`;
        throw err;
      });
      await waitFor(() => byTestId('incoming').isVisible(), 15_000, { what: 'the incoming-call banner' });
      await byTestId('incoming-reject').click();
      assert.ok(await byTestId('incoming').isHidden(), 'the banner goes away');
      await expectStatus(/Rejected/);
    }, server);
  });

  test('the microphone and speaker pickers list the devices', async () => {
    await withScreenshot(page, 'audio-devices', async () => {
      await page.getByText('Microphone and speaker').click();
      await waitFor(async () => (await byTestId('mic').locator('option').count()) > 0, 5_000, {
        what: 'microphones in the picker',
      });
      assert.ok(await page.getByLabel('Microphone', { exact: true }).isVisible());
      assert.ok(await page.getByLabel('Microphone level').isVisible());
      assert.ok(await page.getByLabel('Speaker level').isVisible());
      await page.getByText('Microphone and speaker').click();
    }, server);
  });

  test('fits a phone-sized screen', async () => {
    const small = await newContext(browser, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const phone = await small.newPage();
    try {
      await withScreenshot(phone, 'phone-size', async () => {
        await login(phone, server);
        await waitFor(async () => /^Ready$/.test(await phone.getByTestId('status').textContent()), 15_000, {
          what: 'Ready on the small screen',
        });
        const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px too wide)`);
        for (const id of ['number', 'call', 'hangup', 'key-1', 'key-hash', 'mute']) {
          const box = await phone.getByTestId(id).boundingBox();
          assert.ok(box && box.width >= 40 && box.height >= 40, `${id} is big enough to tap: ${JSON.stringify(box)}`);
          assert.ok(box.x >= 0 && box.x + box.width <= 375, `${id} is on screen`);
        }
        await screenshot(phone, 'screenshots/phone-size');
      }, server);
    } finally {
      await small.close();
    }
  });

  test('the page breaks no Content-Security-Policy rule and throws no errors', () => {
    assert.deepEqual(consoleProblems, []);
  });
});

async function assertSandboxBanner() {
  const banner = page.getByTestId('sandbox-banner');
  await waitFor(() => banner.isVisible(), 5_000, { what: 'the sandbox banner' });
  assert.equal(await banner.textContent(), 'Sandbox mode — no real calls');
}
