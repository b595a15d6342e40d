// Call screening end to end, with two browser contexts (a screener and a host) on the real console page and
// Voice SDK, against `piphone serve` in sandbox mode. Three listeners ring in; the screener screens caller 2,
// writes notes (hostile ones: they must stay text) and sends them on; the host's Next takes caller 2 before the
// unscreened caller who has waited longer, and sees the notes on the air. A banned number is rejected and
// logged; the call log and /calls.csv list every call with its outcome; history and notes survive a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, loginAsNewUser, newContext, screenshot, startServer, waitFor, withScreenshot } from './harness.mjs';

const PASSWORD = 'password-for-tests-1';
const FIRST = '+15551230001';
const PEST = '+15551230009';
/** The console must show each change within this long. */
const LIVE_MS = 2_000;
/** Hostile notes: each must appear as literal text and add no element to any page. */
const XSS_NAME = '<img src=x onerror="window.__xss=1">Bo';
const XSS_TOPIC = '<script>window.__xss=2</script>bins';
const FORMULA = '=HYPERLINK("http://evil.example","click")';

let server;
let browser;
const pages = {};
const pageErrors = [];

async function sandboxCalls() {
  return (await server.sandbox('GET', '/sandbox/calls')).calls;
}

/** The call-in queue's members, front first, as the sandbox's REST API (Twilio's shape) lists them. */
async function sandboxQueue() {
  const account = `/2010-04-01/Accounts/${server.credentials.account_sid}`;
  const { queues } = await server.sandbox('GET', `${account}/Queues.json`);
  const queue = queues.find((q) => q.friendly_name === 'radio-callin-queue');
  if (!queue) return [];
  const { queue_members: members } = await server.sandbox('GET', `${account}/Queues/${queue.sid}/Members.json`);
  return members.sort((a, b) => a.position - b.position).map((m) => m.call_sid);
}

async function hostLeg() {
  return (await sandboxCalls()).filter((c) => c.from === 'client:dj').at(-1);
}

const eventsOf = (call, kind) => (call?.events ?? []).filter((e) => e.kind === kind);

async function openConsole(name, role) {
  const context = await newContext(browser);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => pageErrors.push(`${name}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/.test(msg.text())) pageErrors.push(msg.text());
  });
  await loginAsNewUser(page, server, name, PASSWORD, role);
  await page.goto(new URL('/console', server.url).href);
  return page;
}

/** The waiting list (or the screened list) as the page shows it. */
async function listed(page, testid) {
  return page.$$eval(`[data-testid="${testid}"]`, (items) =>
    items.map((li) => ({ sid: li.dataset.callSid, text: li.textContent })),
  );
}

/** Asserts that nothing injected ran or was added: the payloads are shown as text. */
async function assertInert(page, where) {
  const found = await page.evaluate(() => ({
    xss: window.__xss ?? null,
    imgs: document.querySelectorAll('main img').length,
    scripts: [...document.querySelectorAll('main script')].length,
  }));
  assert.deepEqual(found, { xss: null, imgs: 0, scripts: 0 }, `${where}: nothing injected`);
}

describe('call screening', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    pages.screener = await openConsole('sam', 'screener');
    pages.host = await openConsole('dj', 'host');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the screener screens caller 2, the host takes them first with their notes; bans, log, restart', async () => {
    const { screener, host } = pages;
    await withScreenshot(
      screener,
      'screening',
      async () => {
        // A screener sees no host line; the host does. Both are connected.
        assert.equal(await screener.getByTestId('take-calls').isVisible(), false, 'screeners have no line');
        await waitFor(() => host.getByTestId('take-calls').isEnabled(), 10_000, { what: 'Take calls enabled' });
        await waitFor(async () => /choose a caller/i.test(await screener.getByTestId('screen-status').textContent()), 10_000, {
          what: "the screener's phone registered",
        });

        // Three listeners ring in.
        const { calls } = await server.sandbox('POST', '/sandbox/call-in', { from: FIRST, count: 3 });
        // Callers 1, 2, 3 in the order Twilio (the sandbox) queued them once their greetings ended.
        const order = await waitFor(async () => {
          const sids = await sandboxQueue();
          return sids.length === 3 ? sids : null;
        }, 10_000, { what: 'three callers in the queue' });
        const [c1, c2, c3] = order.map((sid) => calls.find((c) => c.call_sid === sid));
        await waitFor(
          async () => (await screener.locator('[data-testid="screen-caller"]:enabled').count()) === 3,
          LIVE_MS,
          { what: 'three callers the screener can take' },
        );

        // The host takes calls: caller 1 (nobody is screened yet) goes on the air.
        await host.getByTestId('take-calls').click();
        await waitFor(async () => (await hostLeg())?.bridged_with === c1.call_sid, 15_000, {
          what: 'the host bridged with caller 1',
        });

        // The screener screens caller 2: the caller's call rings the screener's browser, which answers.
        await screener.locator(`[data-testid="queue-member"][data-call-sid="${c2.call_sid}"] [data-testid="screen-caller"]`).click();
        await waitFor(async () => (await screener.getByTestId('screening').getAttribute('data-call-sid')) === c2.call_sid, LIVE_MS, {
          what: 'caller 2 in the screening card',
        });
        await waitFor(
          async () => {
            const leg = (await sandboxCalls()).find((c) => c.to === 'client:sam' && c.parent_call_sid === c2.call_sid);
            return leg?.bridged_with === c2.call_sid;
          },
          15_000,
          { what: "caller 2 bridged with the screener's browser" },
        );
        assert.equal(await screener.getByTestId('screen-from').textContent(), c2.from);
        await screener.getByTestId('notes-name').fill(XSS_NAME);
        await screener.getByTestId('notes-location').fill('Leeds');
        await screener.getByTestId('notes-topic').fill(XSS_TOPIC);
        await screener.getByTestId('notes-notes').fill(FORMULA);
        await screener.getByTestId('notes-priority').selectOption('high');
        await screenshot(screener, 'screening-screener');
        await screener.getByTestId('ready-for-air').click();

        // Caller 2 waits in the screened queue; the host sees them with the notes, as text.
        await waitFor(async () => (await listed(host, 'screened-member')).some((m) => m.sid === c2.call_sid), LIVE_MS, {
          what: 'caller 2 in the host console screened list',
        });
        const card = host.locator(`[data-testid="screened-member"][data-call-sid="${c2.call_sid}"]`);
        assert.match(await card.textContent(), /<img src=x onerror=/, 'the name shown literally');
        assert.match(await card.textContent(), /<script>window.__xss=2<\/script>bins/);
        assert.equal(await card.getByTestId('priority-badge').count(), 1);
        await assertInert(host, 'host console');
        await screener.getByTestId('message-text').fill('Caller 2 is great — take them next');
        await screener.getByTestId('message-send').click();
        await waitFor(async () => /Caller 2 is great/.test(await host.getByTestId('messages').textContent()), LIVE_MS, {
          what: "the screener's message on the host console",
        });

        // Next: caller 2 (screened) before caller 3, who has waited longer unscreened.
        await host.getByTestId('next-caller').click();
        await waitFor(async () => (await hostLeg())?.bridged_with === c2.call_sid, 15_000, {
          what: 'the host bridged with caller 2 first',
        });
        await waitFor(async () => (await host.getByTestId('air-notes-name').textContent()) === `${XSS_NAME}, Leeds`, LIVE_MS, {
          what: "caller 2's notes on the air",
        });
        assert.equal(await host.getByTestId('air-notes-topic').textContent(), XSS_TOPIC);
        assert.equal(await host.getByTestId('air-notes-text').textContent(), FORMULA);
        await assertInert(host, 'on the air');
        await screenshot(host, 'screening-host');
        const screened = (await sandboxCalls()).find((c) => c.call_sid === c2.call_sid);
        assert.ok(eventsOf(screened, 'enqueued').some((e) => e.queue === 'radio-callin-queue-screened'), 'via the screened queue');

        // Next again: caller 3; then the host hangs up on caller 3.
        await host.getByTestId('next-caller').click();
        await waitFor(async () => (await hostLeg())?.bridged_with === c3.call_sid, 15_000, { what: 'caller 3 next' });
        await host.getByTestId('hangup-caller').click();
        await waitFor(async () => (await sandboxCalls()).find((c) => c.call_sid === c3.call_sid).status === 'completed', 15_000, {
          what: 'caller 3 hung up',
        });

        // The host stops taking calls (else the open line would take the next caller straight away).
        await host.getByTestId('take-calls').click();
        await waitFor(async () => /not taking calls/i.test(await host.getByTestId('status').textContent()), 10_000, {
          what: "the host's line closed",
        });

        // A pest rings; the screener bans the number; it rings again and is rejected unanswered, and logged.
        const pest = (await server.sandbox('POST', '/sandbox/call-in', { from: PEST, count: 1 })).calls[0];
        const pestItem = screener.locator(`[data-testid="queue-member"][data-call-sid="${pest.call_sid}"]`);
        await pestItem.locator('[data-testid="screen-caller"]:enabled').click(); // once past the greeting
        await waitFor(async () => (await screener.getByTestId('screening').getAttribute('data-call-sid')) === pest.call_sid, 5_000, {
          what: 'the pest with the screener',
        });
        await screener.getByTestId('ban-reason').fill('abusive');
        await screener.getByTestId('ban-caller').click();
        await waitFor(async () => (await sandboxCalls()).find((c) => c.call_sid === pest.call_sid).status === 'completed', 15_000, {
          what: "the pest's call ended",
        });
        const again = (await server.sandbox('POST', '/sandbox/call-in', { from: PEST, count: 1 })).calls[0];
        await waitFor(
          async () => {
            const c = (await sandboxCalls()).find((x) => x.call_sid === again.call_sid);
            return eventsOf(c, 'reject').length === 1 && eventsOf(c, 'answered').length === 0;
          },
          10_000,
          { what: 'the banned number rejected unanswered' },
        );
        await waitFor(
          async () => host.locator(`[data-testid="departure"][data-result="banned"]`).count().then((n) => n >= 1),
          LIVE_MS,
          { what: 'the rejection shown on the console' },
        );

        // The call log: every call with its outcome, notes as text; the CSV likewise, formulas neutralised.
        const want = {
          [c1.call_sid]: 'aired',
          [c2.call_sid]: 'aired',
          [c3.call_sid]: 'aired',
          [pest.call_sid]: 'banned',
          [again.call_sid]: 'banned',
        };
        await host.goto(new URL('/calls', server.url).href);
        await waitFor(async () => (await host.getByTestId('call-row').count()) === 5, 5_000, { what: 'five calls in the log' });
        const rows = await listedRows(host);
        assert.deepEqual(rows, want, 'every call with the right outcome');
        const row2 = host.locator(`[data-testid="call-row"][data-call-sid="${c2.call_sid}"]`);
        assert.match(await row2.textContent(), /screened by sam/);
        assert.equal(await row2.getByTestId('call-topic').textContent(), ` — ${XSS_TOPIC}`);
        await assertInert(host, 'call log');
        await host.getByTestId('call-search').fill('Leeds');
        await waitFor(async () => (await host.getByTestId('call-row').count()) === 1, 5_000, { what: 'search by location' });

        const csv = await host.request.get(new URL('/calls.csv', server.url).href);
        assert.equal(csv.status(), 200);
        const text = await csv.text();
        for (const [sid, outcome] of Object.entries(want)) {
          assert.match(text, new RegExp(`"${outcome}"[^\\n]*"${sid}"`), `${sid} ${outcome} in the CSV`);
        }
        assert.ok(text.includes(`"'${FORMULA.replaceAll('"', '""')}"`), 'the formula is neutralised');
        assert.ok(text.includes(`"'${FIRST}"`), 'numbers starting with + are neutralised');
        const forbidden = await screener.request.get(new URL('/calls.csv', server.url).href);
        assert.equal(forbidden.status(), 403, 'screeners do not export the log');

        // Restart on the same data: the log, notes and history are still there; caller 2 is flagged as returning
        // while ringing, and the banned number is still rejected.
        await server.restart();
        await host.reload();
        await waitFor(async () => (await host.getByTestId('call-row').count()) === 5, 10_000, { what: 'the log after the restart' });
        assert.deepEqual(await listedRows(host), want);
        await screener.goto(new URL('/console', server.url).href);
        await waitFor(async () => /choose a caller/i.test(await screener.getByTestId('screen-status').textContent()), 15_000, {
          what: "the screener's phone registered again",
        });
        const back = (await server.sandbox('POST', '/sandbox/call-in', { from: c2.from, count: 1 })).calls[0];
        const item = screener.locator(`[data-testid="queue-member"][data-call-sid="${back.call_sid}"]`);
        await waitFor(async () => (await item.getByTestId('returning-badge').count()) === 1, LIVE_MS, {
          what: 'caller 2 flagged as a returning caller',
        });
        assert.match(await item.getByTestId('queue-member-about').textContent(), /<img src=x onerror=/, 'with the name from last time');
        await assertInert(screener, 'screener console');
        await item.getByTestId('screen-caller').click();
        await waitFor(async () => (await screener.getByTestId('history-call').count()) >= 1, 5_000, {
          what: "caller 2's earlier call in the screener's history",
        });
        assert.match(await screener.getByTestId('screen-history').textContent(), /aired/);
        const banned = (await server.sandbox('POST', '/sandbox/call-in', { from: PEST, count: 1 })).calls[0];
        await waitFor(async () => eventsOf((await sandboxCalls()).find((c) => c.call_sid === banned.call_sid), 'reject').length === 1, 10_000, {
          what: 'the ban survives the restart',
        });
        await screener.getByTestId('drop-caller').click();
        await waitFor(async () => (await sandboxCalls()).find((c) => c.call_sid === back.call_sid).status === 'completed', 10_000, {
          what: 'the returning caller dropped',
        });

        assert.deepEqual(pageErrors, [], 'no page errors or CSP violations');
      },
      server,
    );
  });

  test("Take now puts a particular screened caller on the air, not the queue's front", async () => {
    const { screener, host } = pages;
    await withScreenshot(
      host,
      'take now',
      async () => {
        await host.goto(new URL('/console', server.url).href);
        await waitFor(async () => /choose a caller/i.test(await screener.getByTestId('screen-status').textContent()), 10_000, {
          what: 'the screener ready',
        });
        const { calls } = await server.sandbox('POST', '/sandbox/call-in', { from: '+15551230021', count: 3 });
        for (const [i, call] of calls.entries()) await screenAndSend(call, `Caller ${String.fromCharCode(65 + i)}`);
        const order = await listed(host, 'screened-member');
        assert.equal(order.length, 3, 'three screened callers');
        const [front, , last] = order;

        // The line opens on the front of the screened queue; Take now jumps to the last one.
        await waitFor(() => host.getByTestId('take-calls').isEnabled(), 10_000, { what: 'Take calls enabled' });
        await host.getByTestId('take-calls').click();
        await waitFor(async () => (await hostLeg())?.bridged_with === front.sid, 15_000, { what: 'the front first' });
        await host.locator(`[data-testid="screened-member"][data-call-sid="${last.sid}"] [data-testid="take-caller"]:enabled`).click();
        await waitFor(async () => (await hostLeg())?.bridged_with === last.sid, 15_000, {
          what: 'the host bridged with the caller they chose',
        });
        await waitFor(async () => (await host.getByTestId('air-notes-name').textContent()) === 'Caller C', LIVE_MS, {
          what: "the chosen caller's notes on the air",
        });
        const chosen = (await sandboxCalls()).find((c) => c.call_sid === last.sid);
        assert.ok(eventsOf(chosen, 'enqueued').some((e) => /^radio-callin-queue-h\d+$/.test(e.queue)), "via the host's own queue");
        assert.equal((await listed(host, 'screened-member')).length, 1, 'the middle one still waits');
        await waitFor(
          async () => {
            const before = (await sandboxCalls()).find((c) => c.call_sid === front.sid);
            return before.status === 'completed' && eventsOf(before, 'say').some((e) => /goodbye/i.test(e.text));
          },
          15_000,
          { what: 'the caller on the air before hearing the goodbye' },
        );
        await host.getByTestId('take-calls').click();
        assert.deepEqual(pageErrors, [], 'no page errors or CSP violations');
      },
      server,
    );
  });

});

/** The screener screens `call` and sends them on with `name`. */
async function screenAndSend(call, name) {
  const { screener } = pages;
  await screener.locator(`[data-testid="queue-member"][data-call-sid="${call.call_sid}"] [data-testid="screen-caller"]:enabled`).click();
  await waitFor(async () => (await screener.getByTestId('screening').getAttribute('data-call-sid')) === call.call_sid, 5_000, {
    what: `${call.from} with the screener`,
  });
  await screener.getByTestId('notes-name').fill(name);
  await screener.getByTestId('ready-for-air').click();
  await waitFor(async () => (await listed(screener, 'screened-member')).some((m) => m.sid === call.call_sid), LIVE_MS, {
    what: `${call.from} screened`,
  });
}

/** The call log page's rows as {call_sid: outcome}. */
async function listedRows(page) {
  const rows = await page.$$eval('[data-testid="call-row"]', (trs) => trs.map((tr) => [tr.dataset.callSid, tr.dataset.outcome]));
  return Object.fromEntries(rows);
}
