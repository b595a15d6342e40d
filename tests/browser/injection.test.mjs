// Caller-controlled strings stay inert in the pages: a listener whose caller ID is markup, and a dialled "number"
// that is markup, are shown as the literal text, never as HTML, in the live queue view and the admin's refusal list.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { launchBrowser, login, newContext, startServer, waitFor, withScreenshot } from './harness.mjs';

const PAYLOAD = '"><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

let server;
let browser;
let context;
let page;

/** X-Twilio-Signature as Twilio computes it: HMAC-SHA1 over URL + sorted name/value pairs, base64. */
function sign(authToken, url, params) {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, k) => acc + k + params[k], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

describe('hostile caller text', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    context = await newContext(browser);
    page = await context.newPage();
    await login(page, server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a caller ID made of markup is shown as text in the queue view and the JSON', async () => {
    await withScreenshot(page, 'injection-console', async () => {
      await page.goto(new URL('/console', server.url).href);
      await server.sandbox('POST', '/sandbox/call-in', { from: PAYLOAD, count: 1 });
      await waitFor(async () => (await page.getByTestId('queue-member').count()) === 1, 10_000, { what: 'the caller listed' });
      const text = await page.getByTestId('queue-member').first().textContent();
      assert.ok(text.includes(PAYLOAD), `the payload is shown literally: ${text}`);
      assert.equal(await page.locator('[data-testid="queue-member"] img, [data-testid="queue-member"] script').count(), 0);
      assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');

      const res = await server.fetch('/queue-status', { headers: { cookie: await cookieHeader() } });
      assert.match(res.headers['content-type'], /^application\/json/);
      const status = await res.json();
      assert.equal(status.members[0].from, PAYLOAD, 'the JSON carries the exact string, escaped by JSON');
    }, server);
  });

  test('a dialled number made of markup is refused, logged, and listed as text to admins', async () => {
    await withScreenshot(page, 'injection-admin', async () => {
      const url = new URL('/voice', server.url).href;
      const params = {
        AccountSid: server.credentials.account_sid,
        CallSid: 'CA' + '1'.repeat(32),
        From: 'client:admin',
        To: PAYLOAD,
      };
      const body = new URLSearchParams(params).toString();
      const res = await server.fetch('/voice', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': sign(server.credentials.auth_token, url, params),
        },
        body,
      });
      const twiml = await res.text();
      assert.equal(res.status, 200, twiml);
      assert.ok(!twiml.includes('<Dial'), 'no Dial for markup');
      assert.ok(!twiml.includes('<img'), 'the TwiML does not echo the markup');

      await page.goto(new URL('/admin', server.url).href);
      await waitFor(async () => (await page.content()).includes('onerror'), 10_000, { what: 'the refusal listed' });
      assert.equal(await page.locator('main img, main script:not([src])').count(), 0, 'no injected elements');
      assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
    }, server);
  });
});

async function cookieHeader() {
  const cookies = await context.cookies();
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}
