// Many console tabs in one browser. Over HTTP/1.1 a browser keeps at most six connections to a host, and a live
// stream holds one for good: with a stream per tab, the seventh tab would never load and every request from the
// others ("Next caller", a token) would wait behind the streams. The tabs share one stream (shared-events.js);
// this checks that all of them stay live, that the browser can still reach the server, and that another tab
// takes the stream over when the one holding it closes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, login, newContext, startServer, waitFor, withScreenshot } from './harness.mjs';

const TABS = 8;
const HOST = 'host';
const HOST_PASSWORD = 'host-password-for-tests';

let server;
let browser;
let context;
const tabs = [];

const queueSize = async (page) => (await page.getByTestId('queue-size').textContent()).trim();

/** Waits until every open tab shows `size` callers waiting. */
async function allShow(size, what) {
  await waitFor(
    async () => (await Promise.all(tabs.map(queueSize))).every((s) => s === String(size)),
    10_000,
    { what: `${what} (tabs show ${JSON.stringify(await Promise.all(tabs.map(queueSize)))})` },
  );
}

describe('console tabs', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    context = await newContext(browser);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await login(page, server);
    const res = await page.request.post(new URL('/api/admin/users', server.url).href, {
      data: { username: HOST, password: HOST_PASSWORD, role: 'host' },
    });
    assert.equal(res.status(), 201, await res.text());
    await context.clearCookies();
    await login(page, server, HOST, HOST_PASSWORD);
    await page.close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test(`${TABS} console tabs share one live stream and the browser still reaches the server`, async () => {
    for (let i = 0; i < TABS; i++) {
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      // Each tab must load: with a stream per tab, the seventh would wait for a free connection for ever.
      await page.goto(new URL('/console', server.url).href, { timeout: 10_000 });
      tabs.push(page);
    }
    await withScreenshot(
      tabs[0],
      'console tabs',
      async () => {
        await allShow(0, 'every tab live with an empty queue');
        await server.sandbox('POST', '/sandbox/call-in', { from: '+15551230001', count: 2 });
        await allShow(2, 'every tab shows the two callers');

        // The browser can still make requests to the server from any tab.
        const status = await tabs[TABS - 1].evaluate(async () => {
          const aborter = new AbortController();
          setTimeout(() => aborter.abort(), 5_000);
          return (await fetch('/api/me', { signal: aborter.signal })).status;
        });
        assert.equal(status, 200, 'a request from the last tab is answered at once');

        // The tab holding the stream goes; another takes over and everyone stays live.
        await tabs.shift().close();
        await server.sandbox('POST', '/sandbox/call-in', { from: '+15551230003', count: 1 });
        await allShow(3, 'the remaining tabs show the third caller');
      },
      server,
    );
  });
});
