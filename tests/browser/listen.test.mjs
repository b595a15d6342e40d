// Tests that listen: real audio through the sandbox (issue 13). The page's fake microphone says a tone (a WAV the
// test writes), the sandbox's simulated parties say their own tones, and both ends are measured: the sandbox's
// meters (`audio` of `GET /sandbox/calls/{sid}`) and a Web Audio analyser on the page's call (listen.mjs).
// Needs the sandbox's WebRTC media (piphone-sandbox's `webrtc` feature, on by default). Real time (speed 1).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { login, newContext, startServer, waitFor, withScreenshot } from './harness.mjs';
import { HZ_TOLERANCE, SILENCE_DBFS, heardBy, pageHears, tapCalls, toneBrowser, untilSilence, untilTone } from './listen.mjs';

/** The page's microphone. */
const PAGE_HZ = 1000;
/** The dialled number's far end. */
const FAR_HZ = 700;
const FAR = '+15551234567';

/** Hangs up the page's call; resolves once the page says it ended. */
async function hangUp(page) {
  await page.getByTestId('hangup').click();
  await waitFor(async () => /^Call ended/.test(await page.getByTestId('status').textContent()), 10_000, {
    what: 'the call to end',
  });
}

const eventsOf = (call, kind) => (call?.events ?? []).filter((e) => e.kind === kind);

describe('an outgoing call carries sound both ways', () => {
  let server;
  let browser;
  let page;

  before(async () => {
    // Calls to the station ring the page (the incoming call below).
    server = await startServer({
      env: { PIPHONE_SANDBOX_SPEED: '1', PIPHONE_DEFAULT_NUMBER: FAR, PIPHONE_INCOMING_MODE: 'ring' },
    });
    browser = await toneBrowser(PAGE_HZ);
    const context = await newContext(browser);
    await tapCalls(context);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the far end hears the page, the page hears the far end; mute silences the page, unmute brings it back', async () => {
    await withScreenshot(page, 'listen-outgoing', async () => {
      await server.sandbox('POST', '/sandbox/phones', { number: FAR, voice: { tone_hz: FAR_HZ } });
      await login(page, server);
      await waitFor(async () => (await page.getByTestId('status').textContent()) === 'Ready', 15_000, { what: 'Ready' });
      await page.getByTestId('call').click();

      const far = await waitFor(async () => {
        const { calls } = await server.sandbox('GET', '/sandbox/calls');
        const leg = calls.find((c) => c.to === FAR && c.parent_call_sid);
        return leg && eventsOf(leg, 'bridged').length ? leg : null;
      }, 15_000, { what: 'the dialled number to answer and be bridged' });

      const farHears = () => heardBy(server, far.call_sid);
      const onFar = await untilTone(farHears, PAGE_HZ, 'the far end');
      const onPage = await untilTone(() => pageHears(page), FAR_HZ, 'the page');
      console.log(`far end hears ${JSON.stringify(onFar)}; page hears ${JSON.stringify(onPage)}`);

      await page.getByTestId('mute').click();
      const muted = await untilSilence(farHears, 'the far end while the page is muted');
      console.log(`muted: far end hears ${JSON.stringify(muted)}`);
      // The far end still reaches the page while it is muted.
      await untilTone(() => pageHears(page), FAR_HZ, 'the muted page');

      await page.getByTestId('mute').click();
      const unmuted = await untilTone(farHears, PAGE_HZ, 'the far end after unmute');
      console.log(`unmuted: far end hears ${JSON.stringify(unmuted)}`);

      await hangUp(page);
    }, server);
  });

  test('an incoming call: the page hears the caller, the caller hears the page', async () => {
    await withScreenshot(page, 'listen-incoming', async () => {
      const CALLER_HZ = 850;
      const {
        calls: [{ call_sid: caller }],
      } = await server.sandbox('POST', '/sandbox/call-in', { from: '+15551230001', voice: { tone_hz: CALLER_HZ } });
      await waitFor(() => page.getByTestId('incoming').isVisible(), 15_000, { what: 'the incoming-call banner' });
      await page.getByTestId('incoming-accept').click();
      const onPage = await untilTone(() => pageHears(page), CALLER_HZ, 'the page');
      const onCaller = await untilTone(() => heardBy(server, caller), PAGE_HZ, 'the caller');
      console.log(`incoming: page hears ${JSON.stringify(onPage)}; caller hears ${JSON.stringify(onCaller)}`);
      await hangUp(page);
    }, server);
  });

  test("the sandbox panel picks voices: the far end's is what the page hears, a simulated caller's is what it says", async () => {
    await withScreenshot(page, 'listen-panel', async () => {
      const PICKED_HZ = 1500;
      const byTestId = (id) => page.getByTestId(id);
      assert.equal(await byTestId('sandbox-far-number').inputValue(), FAR, 'the far-end form starts with the number to dial');
      await byTestId('sandbox-far-voice').selectOption('tone');
      await byTestId('sandbox-far-voice-value').fill(String(PICKED_HZ));
      await byTestId('sandbox-far-set').click();
      await waitFor(async () => (await byTestId('sandbox-far-result').textContent()) === `${FAR} answers saying a ${PICKED_HZ} Hz tone.`,
        5_000, { what: 'the panel to confirm the far end\'s voice' }).catch(async (err) => {
        err.message += `; the panel says: "${await byTestId('sandbox-far-result').textContent()}"`;
        throw err;
      });
      await byTestId('call').click();
      const onPage = await untilTone(() => pageHears(page), PICKED_HZ, 'the page', 15_000);
      console.log(`far end picked in the panel: the page hears ${JSON.stringify(onPage)}`);
      await hangUp(page);

      // A simulated caller with speech, then one with a tone: what each says, as the sandbox measures it.
      const CALLER_HZ = 620;
      for (const [kind, value, from] of [['speech', 'Hello, I have a question about the show', '+15551230100'], ['tone', String(CALLER_HZ), '+15551230200']]) {
        await byTestId('sandbox-voice').selectOption(kind);
        await byTestId('sandbox-voice-value').fill(value);
        await byTestId('sandbox-from').fill(from);
        await byTestId('sandbox-count').fill('1');
        await byTestId('sandbox-call-in').click();
        await waitFor(async () => (await byTestId('sandbox-result').textContent()).startsWith(`Simulated 1 call from ${from}, saying`),
          5_000, { what: `the panel to confirm the ${kind} caller` });
      }
      const { calls } = await server.sandbox('GET', '/sandbox/calls');
      const said = async (from) => (await server.sandbox('GET', `/sandbox/calls/${calls.find((c) => c.from === from).call_sid}`)).audio.sent;
      const speech = await waitFor(async () => {
        const sent = await said('+15551230100');
        return sent.level_dbfs > SILENCE_DBFS ? sent : null;
      }, 5_000, { what: 'the speaking caller to say something' });
      const tone = await untilTone(() => said('+15551230200'), CALLER_HZ, 'the tone caller (what it says)');
      console.log(`panel callers say: speech ${JSON.stringify(speech)}, tone ${JSON.stringify(tone)}`);
    }, server);
  });

  test('the panel refuses a tone outside the telephone band', async () => {
    const res = await page.request.post(new URL('/api/sandbox/phones', server.url).href, {
      data: { number: FAR, voice: { tone_hz: 20 } },
    });
    assert.equal(res.status(), 400, await res.text());
    assert.match(await res.text(), /tone_hz must be within 50\.\.=3900/);
  });
});

describe('a waiting caller hears the greeting and the hold music', () => {
  let server;

  before(async () => {
    server = await startServer({ env: { PIPHONE_SANDBOX_SPEED: '1' } });
  });

  after(async () => {
    await server?.stop();
  });

  test('above silence while greeted and while queued (no browser)', async () => {
    const CALLER_HZ = 500;
    const {
      calls: [{ call_sid: sid }],
    } = await server.sandbox('POST', '/sandbox/call-in', { from: '+15551230001', voice: { tone_hz: CALLER_HZ } });
    const view = () => server.sandbox('GET', `/sandbox/calls/${sid}`);

    // The greeting (<Say>) first: what the caller hears is loud, and is not their own voice.
    const greeting = await waitFor(async () => {
      const call = await view();
      return eventsOf(call, 'say').length && call.audio.heard.level_dbfs > SILENCE_DBFS ? call.audio.heard : null;
    }, 10_000, { what: 'the caller to hear the greeting' });

    // Then the queue's hold music (<Play> of piphone's hold sound), sampled for two seconds while queued.
    await waitFor(async () => {
      const call = await view();
      return eventsOf(call, 'enqueued').length && eventsOf(call, 'play').length;
    }, 15_000, { what: 'the caller to be queued with hold music playing' });
    const levels = [];
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const call = await view();
      assert.equal(call.status, 'in-progress', 'still waiting');
      levels.push(call.audio.heard.level_dbfs);
    }
    console.log(`greeting ${JSON.stringify(greeting)}; hold music levels ${levels.join(', ')} dBFS`);
    assert.ok(
      !(Math.abs(greeting.dominant_hz - CALLER_HZ) <= HZ_TOLERANCE),
      `the greeting is not the caller's own tone (${CALLER_HZ} Hz): ${JSON.stringify(greeting)}`,
    );
    assert.ok(
      levels.every((l) => l > SILENCE_DBFS),
      `the hold music is heard all along (above ${SILENCE_DBFS} dBFS): ${levels.join(', ')}`,
    );
  });
});
