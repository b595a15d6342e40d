// The studio hybrid's lines view (PIPHONE_ONAIR=hybrid) in the real console page: callers taken onto lines from
// the queue, states (hold, on the air, locked, empty), level meters that move with the callers' audio (the server's
// meters, through the sandbox's Media Streams and `file:` sound devices), and the keys (1–8, A, H, D, N).
// Screenshots go to test-results/lines/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchBrowser, login, newContext, screenshot, startServer, waitFor, withScreenshot } from './harness.mjs';

let server;
let browser;
let page;
let dir;

/** A mono 8 kHz 16-bit WAV of `seconds` of a sine at `hz` (−12 dBFS): the studio input. */
function toneWav(hz, seconds) {
  const n = 8000 * seconds;
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(8225 * Math.sin((2 * Math.PI * hz * i) / 8000)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

const line = (n) => page.getByTestId(`line-${n}`);
const state = async (n) => line(n).getAttribute('data-state');
const level = async (n) => Number(await line(n).getByTestId('line-meter').getAttribute('data-level'));

async function until(n, want) {
  await waitFor(async () => (await state(n)) === want, 15_000, { what: `line ${n} ${want} (is ${await state(n)})` });
}

describe('studio lines view', () => {
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'piphone-lines-'));
    const studio = path.join(dir, 'studio.wav');
    await writeFile(studio, toneWav(1000, 2));
    server = await startServer({
      env: {
        PIPHONE_ONAIR: 'hybrid',
        PIPHONE_HYBRID_LINES: '3',
        PIPHONE_HYBRID_CAPTURE: `file:${studio}`,
        PIPHONE_HYBRID_PLAYBACK: `file:${path.join(dir, 'playback.wav')}`,
        PIPHONE_CALLIN_GREETING: 'Hi.',
      },
    });
    browser = await launchBrowser();
    const context = await newContext(browser);
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await login(page, server);
    await page.goto(new URL('/console', server.url).href);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('callers go onto lines, on the air and on hold, with meters, buttons and keys', async () => {
    await withScreenshot(
      page,
      'lines view',
      async () => {
        assert.equal(await page.getByTestId('lines').isVisible(), true, 'the lines view is shown');
        assert.equal(await page.locator('#line-card').isVisible(), false, "the browser's own line is not");
        for (const n of [1, 2, 3]) assert.equal(await state(n), 'empty');
        await screenshot(page, 'lines/1-empty');

        await server.sandbox('POST', '/sandbox/call-in', { from: '+15551230001', voice: { tone_hz: 500 } });
        await server.sandbox('POST', '/sandbox/call-in', { from: '+15551230002', voice: { tone_hz: 800 } });
        // A waiting caller's "To line" button (enabled once Twilio has them in the queue) puts them on hold on the
        // selected line.
        const toLine = page.getByTestId('queue-members').getByTestId('take-to-line');
        await waitFor(async () => (await toLine.count()) === 2 && (await toLine.first().isEnabled()), 15_000, {
          what: 'two callers to take',
        });
        await toLine.first().click();
        await until(1, 'hold');
        assert.match(await line(1).getByTestId('line-from').textContent(), /\+15551230001/);

        // Keys: 1 selects line 1, A puts it on the air; its meter follows the caller's tone (−12 dBFS).
        await page.keyboard.press('1');
        await page.keyboard.press('a');
        await until(1, 'on_air');
        await waitFor(async () => (await level(1)) > -20, 10_000, { what: 'line 1 meter moves' });

        // The second caller to line 2 (the first empty one), then 2 + A: two callers on the air.
        await waitFor(async () => (await toLine.count()) === 1 && (await toLine.first().isEnabled()), 15_000, {
          what: 'the second caller to take',
        });
        await toLine.first().click();
        await until(2, 'hold');
        await page.keyboard.press('2');
        await page.keyboard.press('a');
        await until(2, 'on_air');
        await waitFor(async () => (await level(2)) > -20, 10_000, { what: 'line 2 meter moves' });
        assert.equal(await line(2).getAttribute('aria-selected'), 'true');
        await screenshot(page, 'lines/2-two-on-air');

        // H puts the selected line on hold; the Lock button locks line 1; N (nobody waiting) leaves it on the air.
        await page.keyboard.press('h');
        await until(2, 'hold');
        await line(1).getByTestId('line-lock').click();
        await until(1, 'locked');
        assert.equal(await line(1).getByTestId('line-drop').isDisabled(), true, 'a locked line cannot be dropped');
        await page.keyboard.press('n');
        await page.waitForTimeout(500);
        assert.equal(await state(1), 'locked', 'Next leaves a locked line on the air');
        assert.equal(await state(2), 'hold', 'Next leaves a line on hold alone');
        await screenshot(page, 'lines/3-locked-and-hold');

        // D drops the selected line (2): its caller hears the goodbye and is gone.
        await page.keyboard.press('d');
        await until(2, 'empty');
        await line(1).getByTestId('line-unlock').click();
        await until(1, 'on_air');
        await line(1).getByTestId('line-drop').click();
        await until(1, 'empty');
        await screenshot(page, 'lines/4-dropped');
      },
      server,
    );
  });
});
