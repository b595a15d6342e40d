// The phone page's own logic, with the Voice SDK swapped for a scripted stand-in (fixtures/fake-sdk.js): how the
// Device is built, the words for each call state, and the plain advice for SDK errors that are hard to cause for
// real (microphone blocked, token expired, offline). The real SDK is exercised in phone.test.mjs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, login, newContext, startServer, waitFor, withScreenshot } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fakeSdk = await readFile(path.join(here, 'fixtures', 'fake-sdk.js'), 'utf8');

let server;
let browser;
let page;

const status = () => page.getByTestId('status').textContent();
const advice = () => page.getByTestId('advice').textContent();
const inPage = (fn, arg) => page.evaluate(fn, arg);

describe('phone page logic (scripted SDK)', () => {
  before(async () => {
    server = await startServer({ env: { PIPHONE_DEFAULT_NUMBER: '+12015550123' } });
    browser = await launchBrowser();
    const context = await newContext(browser);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.route('**/static/vendor/twilio.min.js', (route) =>
      route.fulfill({ contentType: 'text/javascript', body: fakeSdk }),
    );
    await login(page, server);
    await waitFor(() => inPage(() => window.fakeTwilio?.devices.length === 1), 10_000, { what: 'the Device' });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('sandbox mode points the SDK at this server, with local sounds and no analytics', async () => {
    const options = await inPage(() => window.fakeTwilio.devices[0].options);
    const host = new URL(server.url).host;
    assert.equal(options.chunderw, host);
    assert.equal(options.publishEvents, false);
    for (const name of ['incoming', 'outgoing', 'disconnect', 'dtmf0', 'dtmf9', 'dtmfs', 'dtmfh']) {
      assert.equal(options.sounds[name], `/static/sounds/${name}.wav`, name);
      const res = await server.fetch(options.sounds[name]);
      assert.equal(res.status, 200, `${name} is served`);
    }
  });

  test('call states are shown in words', async () => {
    await withScreenshot(page, 'ui-states', async () => {
      await inPage(() => window.fakeTwilio.devices[0].emit('registered'));
      assert.equal(await status(), 'Ready');
      await page.getByTestId('call').click();
      await waitFor(async () => /^Connecting to/.test(await status()), 5_000, { what: 'Connecting' });
      const call = await waitFor(() => inPage(() => window.fakeTwilio.calls.length), 5_000, { what: 'connect()' });
      assert.equal(call, 1);
      assert.deepEqual(await inPage(() => window.fakeTwilio.calls[0].parameters), { To: '+12015550123' });
      await inPage(() => window.fakeTwilio.calls[0].emit('ringing'));
      assert.match(await status(), /^Ringing/);
      await inPage(() => window.fakeTwilio.calls[0].accept());
      assert.match(await status(), /^In call with/);
      await inPage(() => window.fakeTwilio.calls[0].emit('disconnect'));
      assert.match(await status(), /^Call ended — .* hung up$/);
      assert.ok(await page.getByTestId('call').isEnabled());
    }, server);
  });

  test('a call that cannot connect (offline) can be given up with Hang up', async () => {
    await withScreenshot(page, 'ui-cancel', async () => {
      await inPage(() => {
        window.fakeTwilio.holdConnect = true;
      });
      const before = await inPage(() => window.fakeTwilio.calls.length);
      await page.getByTestId('call').click();
      await waitFor(async () => /^Connecting to/.test(await status()), 5_000, { what: 'Connecting' });
      assert.ok(await page.getByTestId('call').isDisabled(), 'no second call while connecting');
      assert.ok(await page.getByTestId('hangup').isEnabled(), 'Hang up is offered while connecting');
      await page.getByTestId('hangup').click();
      assert.equal(await status(), 'Call ended — cancelled before it connected');
      assert.ok(await page.getByTestId('call').isEnabled());
      // When the network comes back and connect() finally settles, the late call is dropped, not shown.
      await inPage(() => {
        window.fakeTwilio.holdConnect = false;
        window.fakeTwilio.releaseConnect();
      });
      await waitFor(() => inPage((n) => window.fakeTwilio.calls[n].status() === 'closed', before), 5_000, {
        what: 'the late call to be disconnected',
      });
      assert.equal(await status(), 'Call ended — cancelled before it connected');
    }, server);
  });

  const cases = [
    { code: 31401, advice: /not letting piphone use your microphone/ },
    { code: 31208, advice: /not letting piphone use your microphone/ },
    { code: 20101, advice: /refused piphone’s credentials/ },
    { code: 31005, advice: /Cannot reach the phone service/, status: /^Offline/ },
    { code: 31000, advice: /Cannot reach the phone service/, status: /^Offline/ },
    { code: 31009, advice: /Cannot reach the phone service/, status: /^Offline/ },
    { code: 99999, advice: /Mystery \(error 99999\)/ },
  ];
  for (const c of cases) {
    test(`SDK error ${c.code} is explained in plain words`, async () => {
      await inPage((code) => window.fakeTwilio.devices[0].emit('error', { code, message: 'Mystery' }), c.code);
      assert.match(await advice(), c.advice);
      assert.ok(await page.getByTestId('advice').isVisible());
      if (c.status) assert.match(await status(), c.status);
    });
  }

  test('an expired token (20104) is replaced with a fresh one from /token', async () => {
    await inPage(() => {
      window.fakeTwilio.devices[0].token = 'stale';
      window.fakeTwilio.devices[0].emit('error', { code: 20104, message: 'expired' });
    });
    await waitFor(() => inPage(() => window.fakeTwilio.devices[0].token !== 'stale'), 5_000, {
      what: 'updateToken with a new token',
    });
  });

  test('tokenWillExpire renews the token', async () => {
    await inPage(() => {
      window.fakeTwilio.devices[0].token = 'old';
      window.fakeTwilio.devices[0].emit('tokenWillExpire');
    });
    await waitFor(() => inPage(() => window.fakeTwilio.devices[0].token !== 'old'), 5_000, { what: 'a renewal' });
  });

  test('a caller who gives up before the answer is a missed call', async () => {
    await inPage(() => {
      const call = new window.fakeTwilio.Call({ From: '+15551230001', CallSid: 'CA1' });
      window.ringing = call;
      window.fakeTwilio.devices[0].emit('incoming', call);
    });
    assert.ok(await page.getByTestId('incoming').isVisible());
    assert.equal(await page.getByTestId('incoming-from').textContent(), '+15551230001');
    await inPage(() => window.ringing.emit('cancel'));
    assert.ok(await page.getByTestId('incoming').isHidden());
    assert.equal(await status(), 'Missed call from +15551230001');
  });

  test('caller names are shown as text, never as HTML', async () => {
    await inPage(() => {
      const call = new window.fakeTwilio.Call({ From: '<img src=x id=pwned>', CallSid: 'CA2' });
      window.ringing = call;
      window.fakeTwilio.devices[0].emit('incoming', call);
    });
    assert.equal(await page.getByTestId('incoming-from').textContent(), '<img src=x id=pwned>');
    assert.equal(await page.locator('#pwned').count(), 0);
    await page.getByTestId('incoming-reject').click();
  });

  test('a number that is not a phone number is explained and not called', async () => {
    const before = await inPage(() => window.fakeTwilio.calls.length);
    await page.getByTestId('number').fill('12');
    await waitFor(async () => (await page.getByTestId('number').getAttribute('aria-invalid')) === 'true', 5_000, {
      what: 'the number to be marked invalid',
    });
    assert.notEqual(await page.getByTestId('number-hint').textContent(), '');
    await page.getByTestId('call').click();
    assert.equal(await inPage(() => window.fakeTwilio.calls.length), before, 'no call placed');
    assert.ok(await page.getByTestId('advice').isVisible());
  });
});
