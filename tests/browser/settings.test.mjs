// Audio device preferences: /settings lists the devices the browser sees and keeps the user's choice on the
// server; the phone page applies it, and saves a change made in its own pickers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, login, newContext, startServer, waitFor, withScreenshot } from './harness.mjs';

let server;
let browser;
let context;
let page;
const problems = [];

const byTestId = (id) => page.getByTestId(id);
const selectedLabel = (id) => byTestId(id).evaluate((s) => s.selectedOptions[0]?.textContent ?? '');
const savedPrefs = () => page.evaluate(async () => (await fetch('/api/me/audio')).json());

describe('audio settings', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    context = await newContext(browser);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await login(page, server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('/settings lists the devices and saves a choice', async () => {
    await withScreenshot(page, 'settings', async () => {
      await page.goto(new URL('/settings', server.url).href);
      await waitFor(async () => (await byTestId('inputs').locator('li').count()) >= 2, 10_000, {
        what: 'the fake microphones to be listed',
      });
      const inputs = await byTestId('inputs').locator('li').allTextContents();
      assert.ok(inputs.includes('Fake Audio Input 2'), `microphones: ${inputs}`);
      const outputs = await byTestId('outputs').locator('li').allTextContents();
      assert.ok(outputs.includes('Fake Audio Output 1'), `speakers: ${outputs}`);
      await byTestId('settings-mic').selectOption({ label: 'Fake Audio Input 2' });
      await byTestId('settings-speaker').selectOption({ label: 'Fake Audio Output 1' });
      await byTestId('settings-save').click();
      await waitFor(async () => /^Saved/.test(await byTestId('settings-result').textContent()), 5_000, {
        what: 'the choice to be saved',
      });
      const prefs = await savedPrefs();
      assert.equal(prefs.input.label, 'Fake Audio Input 2');
      assert.equal(prefs.output.label, 'Fake Audio Output 1');

      await page.reload();
      await waitFor(async () => (await selectedLabel('settings-mic')) === 'Fake Audio Input 2', 5_000, {
        what: 'the saved microphone to be selected again',
      });
    }, server);
  });

  test('the phone page uses the saved devices and saves a change made there', async () => {
    await withScreenshot(page, 'phone-audio-prefs', async () => {
      await page.goto(server.url);
      await page.getByText('Microphone and speaker').click();
      await waitFor(async () => (await selectedLabel('mic')) === 'Fake Audio Input 2', 10_000, {
        what: `the phone's microphone picker to show the saved device (shows "${await selectedLabel('mic')}")`,
      });
      await waitFor(async () => (await selectedLabel('speaker')) === 'Fake Audio Output 1', 10_000, {
        what: 'the speaker picker to show the saved device',
      });
      await byTestId('mic').selectOption({ label: 'Fake Audio Input 1' });
      await waitFor(async () => (await savedPrefs()).input?.label === 'Fake Audio Input 1', 5_000, {
        what: 'the change in the phone page to be saved',
      });
      assert.equal((await savedPrefs()).output.label, 'Fake Audio Output 1', 'the speaker choice is kept');
    }, server);
  });

  test('no Content-Security-Policy problems or page errors', () => {
    assert.deepEqual(problems, []);
  });
});
