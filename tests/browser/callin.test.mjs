// The call-in console, end to end: the real console page and Voice SDK in headless Chromium, against
// `piphone serve` in sandbox mode. Simulated listeners ring in; a host takes them on the air one after another.
// Asserts what the host sees on the page and what the (sandbox) phone network did.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, login, newContext, screenshot, startServer, waitFor, withScreenshot } from './harness.mjs';

const QUEUE = 'radio-callin-queue';
const DJ = 'dj';
const DJ_PASSWORD = 'dj-password-for-tests';
const FIRST = '+15551230001';
/** The console must show each change within this long. */
const LIVE_MS = 1_000;

let server;
let browser;
let context;
let page;
const pageErrors = [];

const byTestId = (id) => page.getByTestId(id);

/** What the queue view shows: [{position, text}] per member, and the size. */
async function queueView() {
  const members = await page.$$eval('[data-testid="queue-member"]', (items) =>
    items.map((li) => ({ position: Number(li.dataset.position), sid: li.dataset.callSid, text: li.textContent })),
  );
  const size = (await byTestId('queue-size').textContent()).trim();
  return { members, size };
}

async function sandboxCalls() {
  return (await server.sandbox('GET', '/sandbox/calls')).calls;
}

const eventsOf = (call, kind) => (call?.events ?? []).filter((e) => e.kind === kind);

/** The queue's members in the sandbox's own order, through its REST API (as Twilio would answer). */
async function sandboxQueue() {
  const account = `/2010-04-01/Accounts/${server.credentials.account_sid}`;
  const { queues } = await server.sandbox('GET', `${account}/Queues.json`);
  const queue = queues.find((q) => q.friendly_name === QUEUE);
  if (!queue) return [];
  const { queue_members: members } = await server.sandbox('GET', `${account}/Queues/${queue.sid}/Members.json`);
  return members.sort((a, b) => a.position - b.position).map((m) => m.call_sid);
}

/** The DJ's browser leg in the sandbox. */
async function djLeg() {
  return (await sandboxCalls()).filter((c) => c.from === `client:${DJ}`).at(-1);
}

describe('call-in console', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    context = await newContext(browser);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/.test(msg.text())) pageErrors.push(msg.text());
    });
    // The admin creates a host; the host logs in.
    await login(page, server);
    const res = await page.request.post(new URL('/api/admin/users', server.url).href, {
      data: { username: DJ, password: DJ_PASSWORD, role: 'host' },
    });
    assert.equal(res.status(), 201, await res.text());
    await context.clearCookies();
    await login(page, server, DJ, DJ_PASSWORD);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('three callers queue, the host takes them in turn, Next and hang-ups show at once', async () => {
    await withScreenshot(
      page,
      'callin console',
      async () => {
        // The phone page links hosts to the console.
        await page.goto(new URL('/', server.url).href);
        await byTestId('console-link').click();
        await page.waitForURL((u) => u.pathname === '/console');
        assert.equal(await byTestId('phone-link').getAttribute('href'), '/', 'and the console back to the phone');
        await waitFor(async () => (await byTestId('queue-size').textContent()).trim() === '0', 10_000, {
          what: 'an empty queue on the console',
        });
        await waitFor(() => byTestId('take-calls').isEnabled(), 10_000, { what: 'Take calls enabled' });

        // Three listeners ring in: all three shown with their places and numbers, within a second.
        const { calls } = await server.sandbox('POST', '/sandbox/call-in', { from: FIRST, count: 3 });
        const numberOf = Object.fromEntries(calls.map((c) => [c.call_sid, c.from]));
        await waitFor(
          async () => {
            const { members, size } = await queueView();
            return size === '3' && members.length === 3 && members.every((m) => m.text.includes(numberOf[m.sid]));
          },
          LIVE_MS,
          { what: `three callers with their numbers within ${LIVE_MS} ms (view: ${JSON.stringify(await queueView())})` },
        );
        // In the places the (sandbox) queue has them.
        const sids = await waitFor(async () => {
          const order = await sandboxQueue();
          return order.length === 3 ? order : null;
        }, 5_000, { what: 'three members in the sandbox queue' });
        const NUMBERS = sids.map((sid) => numberOf[sid]);
        await waitFor(
          async () => (await queueView()).members.every((m, i) => m.position === i + 1 && m.sid === sids[i]),
          LIVE_MS,
          { what: `places as in the queue ${JSON.stringify(sids)} (view: ${JSON.stringify(await queueView())})` },
        );

        // The host takes calls: bridged with caller 1, as the sandbox confirms.
        await byTestId('take-calls').click();
        await waitFor(async () => (await djLeg())?.bridged_with === sids[0], 15_000, {
          what: 'the sandbox bridging the host with caller 1',
        });
        await waitFor(async () => (await byTestId('on-air').textContent()).includes(NUMBERS[0]), LIVE_MS, {
          what: 'caller 1 shown on the air',
        });
        await waitFor(async () => (await queueView()).size === '2', LIVE_MS, { what: 'two waiting' });
        await screenshot(page, 'callin-console');

        // Next: caller 1 hears the goodbye and is gone; caller 2 is on the air; one waits.
        await byTestId('next-caller').click();
        await waitFor(async () => (await djLeg())?.bridged_with === sids[1], 15_000, {
          what: 'the sandbox bridging the host with caller 2',
        });
        const first = (await sandboxCalls()).find((c) => c.call_sid === sids[0]);
        await waitFor(
          async () => {
            const c = (await sandboxCalls()).find((x) => x.call_sid === sids[0]);
            return c.status === 'completed' && eventsOf(c, 'say').some((e) => /goodbye/i.test(e.text));
          },
          15_000,
          { what: `caller 1 hearing a goodbye and hanging up (events: ${JSON.stringify(first?.events)})` },
        );
        const digits = eventsOf(await djLeg(), 'digits').map((e) => e.digits).join('');
        assert.match(digits, /\*/, 'Next was sent as *');
        await waitFor(
          async () => {
            const { members, size } = await queueView();
            const air = await byTestId('on-air').textContent();
            return size === '1' && members.length === 1 && members[0].sid === sids[2] && members[0].position === 1
              && air.includes(NUMBERS[1]) && !air.includes(NUMBERS[0]);
          },
          LIVE_MS,
          { what: 'caller 2 on the air and one waiting' },
        );

        // The waiting caller hangs up: gone from the view within a second.
        await server.sandbox('POST', `/sandbox/calls/${sids[2]}/hangup`);
        await waitFor(async () => {
          const { members, size } = await queueView();
          return size === '0' && members.length === 0;
        }, LIVE_MS, { what: 'the caller who hung up leaving the view' });

        // Hang up caller: the host's line ends caller 2's leg through the REST API and stays open.
        await byTestId('hangup-caller').click();
        await waitFor(async () => (await sandboxCalls()).find((c) => c.call_sid === sids[1]).status === 'completed', 15_000, {
          what: 'caller 2 hung up by the host',
        });
        await waitFor(async () => (await byTestId('on-air').getAttribute('data-state')) === 'empty', LIVE_MS, {
          what: 'nobody on the air',
        });
        await waitFor(async () => /waiting for callers/i.test(await byTestId('status').textContent()), 5_000, {
          what: 'the line waiting for callers',
        });
        const leg = await djLeg();
        assert.notEqual(leg.status, 'completed', "the host's line stays open");

        assert.deepEqual(pageErrors, [], 'no page errors or CSP violations');
      },
      server,
    );
  });

  test('a user who is not a host gets a polite page, not the console', async () => {
    await context.clearCookies();
    await login(page, server);
    const res = await page.request.post(new URL('/api/admin/users', server.url).href, {
      data: { username: 'listener', password: 'listener-password-1', role: 'caller' },
    });
    assert.equal(res.status(), 201);
    await context.clearCookies();
    await login(page, server, 'listener', 'listener-password-1');
    const answer = await page.goto(new URL('/console', server.url).href);
    assert.equal(answer.status(), 403);
    assert.match(await page.textContent('body'), /for hosts/);
    assert.equal(await page.getByTestId('take-calls').count(), 0);
    await page.goto(new URL('/', server.url).href);
    await page.getByTestId('identity').filter({ hasText: 'listener' }).waitFor();
    assert.equal(await page.getByTestId('console-link').isVisible(), false, 'no console link for non-hosts');
  });
});
