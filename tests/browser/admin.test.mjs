// The admin page: add a user, change their role, disable them; what a non-admin sees.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, login, newContext, startServer, waitFor, withScreenshot } from './harness.mjs';

let server;
let browser;
let page;

describe('admin page', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await (await newContext(browser)).newPage();
    page.setDefaultTimeout(10_000);
    await login(page, server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the phone links to the admin page for an admin', async () => {
    await withScreenshot(page, 'admin-link', async () => {
      await waitFor(() => page.getByTestId('admin-link').isVisible(), 5_000, { what: 'the Admin link' });
      await page.getByTestId('admin-link').click();
      await page.waitForURL(/\/admin$/);
      await waitFor(() => page.getByTestId('user-admin').isVisible(), 5_000, { what: 'the admin row' });
      assert.match(await page.getByTestId('user-admin').textContent(), /admin \(you\)/);
    }, server);
  });

  test('adds a host, changes the role, disables and enables them', async () => {
    await withScreenshot(page, 'admin-users', async () => {
      await page.getByLabel('Username').fill('dj.sam');
      await page.getByLabel('Password').fill('a-long-password');
      await page.getByLabel('Role', { exact: true }).selectOption('host');
      await page.getByRole('button', { name: 'Add user' }).click();
      const row = page.getByTestId('user-dj.sam');
      await waitFor(() => row.isVisible(), 5_000, { what: 'the new user row' });
      assert.match(await page.getByTestId('admin-message').textContent(), /Added dj\.sam/);
      assert.match(await row.textContent(), /Active/);

      await row.getByLabel('Role of dj.sam').selectOption('screener');
      await waitFor(async () => /now screener/.test(await page.getByTestId('admin-message').textContent()), 5_000, {
        what: 'the role change',
      });
      await page.getByTestId('toggle-dj.sam').click();
      await waitFor(async () => /Disabled/.test(await page.getByTestId('user-dj.sam').textContent()), 5_000, {
        what: 'Disabled',
      });
      await page.getByTestId('toggle-dj.sam').click();
      await waitFor(async () => /Active/.test(await page.getByTestId('user-dj.sam').textContent()), 5_000, {
        what: 'Active again',
      });
    }, server);
  });

  test('a non-admin gets no Admin link and is sent back to the phone', async () => {
    const other = await (await newContext(browser)).newPage();
    try {
      await withScreenshot(other, 'admin-non-admin', async () => {
        await login(other, server, 'dj.sam', 'a-long-password');
        await waitFor(async () => (await other.getByTestId('identity').textContent()) === 'dj.sam', 5_000, {
          what: 'the phone page',
        });
        assert.ok(await other.getByTestId('admin-link').isHidden());
        await other.goto(new URL('/admin', server.url).href);
        assert.equal(new URL(other.url()).pathname, '/');
      }, server);
    } finally {
      await other.context().close();
    }
  });
});
