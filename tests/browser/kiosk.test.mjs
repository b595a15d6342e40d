// The kiosk, end to end: `piphone serve` (sandbox) and `piphone kiosk` running the system Chromium with the real
// phone page and Voice SDK, driven only through the command line (`piphone call/dtmf/hangup/answer/status`), as a
// doorbell script would. Checks what the CLI says, its exit codes, and what the sandbox's phone network saw.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ADMIN_PASSWORD, REPO_ROOT, startServer, waitFor } from './harness.mjs';

const BIN = process.env.PIPHONE_BIN || path.join(REPO_ROOT, 'target', 'debug', 'piphone');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const CALLEE = '+15551230001';
const LISTENER = '+15551230002';

let server;
let env;
let kiosk = null;
let kioskLog = '';

/** A port nobody listens on now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Runs `piphone <args>` with the server's settings: `{code, stdout, stderr}`. */
function cli(...args) {
  return new Promise((resolve) => {
    execFile(BIN, args, { env, timeout: 90_000 }, (error, stdout, stderr) => {
      // stderr's last line is the CLI's own message (log lines, if any, come before it).
      const message = stderr.trim().split('\n').at(-1) ?? '';
      resolve({ code: error ? (error.code ?? 'killed') : 0, stdout: stdout.trim(), stderr: message });
    });
  });
}

async function status() {
  const { code, stdout, stderr } = await cli('status', '--json');
  try {
    return { code, ...JSON.parse(stdout) };
  } catch {
    return { code, connected: false, error: stderr };
  }
}

/** Waits for the kiosk phone to reach `state` (`idle`…); returns the status. */
async function phoneIs(state, timeoutMs = 20_000) {
  let last;
  return waitFor(async () => {
    last = await status();
    return last.connected && last.phone?.state === state ? last : null;
  }, timeoutMs, { what: `the kiosk phone to be ${state} (last status: ${JSON.stringify(last)})` });
}

function startKiosk(extraEnv = {}) {
  kioskLog = '';
  kiosk = spawn(BIN, ['kiosk'], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const onData = (chunk) => {
    kioskLog += chunk.toString();
    if (process.env.PIPHONE_TEST_VERBOSE) process.stderr.write(chunk);
  };
  kiosk.stdout.on('data', onData);
  kiosk.stderr.on('data', onData);
  const exited = new Promise((resolve) => kiosk.on('exit', (code, signal) => resolve({ code, signal })));
  kiosk.exited = exited;
  return kiosk;
}

async function stopKiosk() {
  if (!kiosk) return;
  const proc = kiosk;
  kiosk = null;
  proc.kill('SIGTERM');
  const result = await Promise.race([proc.exited, new Promise((r) => setTimeout(() => r(null), 15_000))]);
  if (!result) proc.kill('SIGKILL');
  return result;
}

async function chromiumPid() {
  const file = path.join(server.dataDir, 'kiosk', 'chromium.pid');
  return Number((await readFile(file, 'utf8')).trim());
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Sandbox legs placed by the kiosk's browser. */
async function kioskLegs() {
  const { calls } = await server.sandbox('GET', '/sandbox/calls');
  return calls.filter((c) => c.from === 'client:kiosk');
}
const eventsOf = (call, kind) => (call?.events ?? []).filter((e) => e.kind === kind);

/** Wraps a test body: on failure, adds the kiosk's and the server's logs to the message. */
async function explained(fn) {
  try {
    await fn();
  } catch (err) {
    err.message += `\n--- piphone kiosk log ---\n${kioskLog.slice(-4000)}\n--- server log ---\n${server.logs().slice(-4000)}`;
    throw err;
  }
}

describe('kiosk driven from the command line', { skip: !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}` }, () => {
  before(async () => {
    const port = await freePort();
    // Calls to the station ring the browsers of online hosts (not the call-in queue), so the kiosk can answer.
    server = await startServer({ env: { PIPHONE_LISTEN: `127.0.0.1:${port}`, PIPHONE_INCOMING_MODE: 'ring' } });
    env = {
      ...process.env,
      PIPHONE_LOG: 'info',
      PIPHONE_LISTEN: `127.0.0.1:${port}`,
      PIPHONE_DATA_DIR: server.dataDir,
      PIPHONE_KIOSK_CHROMIUM: CHROMIUM,
      // Like the harness's browsers: fake devices, and no Chromium sandbox (CI containers may lack user namespaces).
      PIPHONE_KIOSK_CHROMIUM_FLAGS: '--use-fake-device-for-media-stream --no-sandbox',
    };
    for (const key of Object.keys(env)) if (key.startsWith('PIPHONE_TWILIO_')) delete env[key];
  });

  after(async () => {
    await stopKiosk();
    await server?.stop();
  });

  test('without the kiosk, status says so and commands fail with exit code 3', async () => {
    await explained(async () => {
      const s = await cli('status');
      assert.equal(s.code, 3, JSON.stringify(s));
      assert.match(s.stdout, /not connected/);
      const c = await cli('call', CALLEE);
      assert.equal(c.code, 3, JSON.stringify(c));
      assert.match(c.stderr, /not connected/);
    });
  });

  test('`piphone kiosk` starts Chromium and the phone comes up', async () => {
    await explained(async () => {
      startKiosk();
      await phoneIs('idle', 30_000);
      const s = await waitFor(async () => {
        const now = await status();
        return now.phone?.microphones?.length > 0 && now.phone?.speakers?.length > 0 ? now : null;
      }, 10_000, { what: 'the page to list its (fake) audio devices' });
      assert.equal(s.identity, 'kiosk');
      assert.equal(s.phone.text, 'Ready');
      const text = await cli('status');
      assert.equal(text.code, 0);
      assert.match(text.stdout, /^kiosk: connected since .* as kiosk/m);
      assert.match(text.stdout, /^phone: idle — Ready$/m);
      assert.match(server.logs(), /kiosk logged in with a one-time link/);
    });
  });

  test('call, DTMF and hang up from the command line reach the phone network', async () => {
    await explained(async () => {
      const call = await cli('call', CALLEE);
      assert.equal(call.code, 0, JSON.stringify(call));
      assert.match(call.stdout, /^In call with/);
      const s = await status();
      assert.equal(s.phone.state, 'in-call', JSON.stringify(s));
      assert.match((await cli('status')).stdout, /^phone: in-call — In call with/m);

      const leg = await waitFor(async () => {
        const legs = await kioskLegs();
        return eventsOf(legs.at(-1), 'dial').length ? legs.at(-1) : null;
      }, 10_000, { what: 'the sandbox to see the kiosk Dial' });
      assert.equal(eventsOf(leg, 'dial')[0].number, CALLEE);

      const dtmf = await cli('dtmf', '42');
      assert.equal(dtmf.code, 0, JSON.stringify(dtmf));
      assert.equal(dtmf.stdout, 'sent 42');
      await waitFor(async () => {
        const { calls } = await server.sandbox('GET', '/sandbox/calls');
        return calls.flatMap((c) => eventsOf(c, 'digits').map((e) => e.digits)).join('').includes('42');
      }, 10_000, { what: 'a digits event 42 in the sandbox' });

      const hangup = await cli('hangup');
      assert.equal(hangup.code, 0, JSON.stringify(hangup));
      assert.match(hangup.stdout, /^Call ended — you hung up/);
      assert.equal((await status()).phone.state, 'ended');
      await waitFor(async () => (await kioskLegs()).at(-1).status === 'completed', 10_000, {
        what: 'the kiosk leg to complete',
      });
    });
  });

  test('refusals have their own exit codes', async () => {
    await explained(async () => {
      const none = await cli('hangup');
      assert.deepEqual([none.code, none.stderr], [1, 'piphone: not in a call']);
      const noIncoming = await cli('answer');
      assert.deepEqual([noIncoming.code, noIncoming.stderr], [1, 'piphone: no incoming call']);
      const badNumber = await cli('call', '+4420');
      assert.equal(badNumber.code, 2, JSON.stringify(badNumber));
      const badDigits = await cli('dtmf', '12x');
      assert.equal(badDigits.code, 2, JSON.stringify(badDigits));
      const { calls } = await server.sandbox('GET', '/sandbox/calls');
      assert.equal(calls.filter((c) => c.from === 'client:kiosk').length, 1, 'no call was placed for the refusals');
    });
  });

  test('when Chromium is killed the kiosk brings it back within 10 s', async () => {
    await explained(async () => {
      const pid = await chromiumPid();
      assert.ok(alive(pid), `Chromium ${pid} runs`);
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();
      await waitFor(async () => (await status()).connected === false, 5_000, { what: 'status to notice' });
      await phoneIs('idle', 10_000);
      const took = Date.now() - killedAt;
      assert.ok(took <= 10_000, `recovered in ${took} ms`);
      assert.notEqual(await chromiumPid(), pid, 'a new Chromium');
      assert.match(kioskLog, /Chromium was killed by signal 9; starting it again/);
      const call = await cli('call', CALLEE);
      assert.equal(call.code, 0, `the new page takes commands: ${JSON.stringify(call)}`);
      assert.equal((await cli('hangup')).code, 0);
    });
  });

  test('a kiosk user made a host answers a listener with `piphone answer`', async () => {
    await explained(async () => {
      // Promote the kiosk user through the admin API, then let the kiosk restart its page.
      const login = await server.fetch('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `username=admin&password=${encodeURIComponent(ADMIN_PASSWORD)}`,
      });
      const cookie = login.headers['set-cookie'][0].split(';')[0];
      const promoted = await server.fetch('/api/admin/users/kiosk', {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({ role: 'host' }),
      });
      assert.equal(promoted.status, 200, await promoted.text());
      process.kill(await chromiumPid(), 'SIGKILL');
      await waitFor(async () => (await status()).connected === false, 5_000, { what: 'the page to go' });
      await phoneIs('idle', 15_000);

      await server.sandbox('POST', '/sandbox/call-in', { from: LISTENER, count: 1 });
      const ringing = await phoneIs('incoming', 15_000);
      assert.match(ringing.phone.incoming_from, /5551230002/);
      assert.match((await cli('status')).stdout, /^incoming call from: .*5551230002/m);
      const answered = await cli('answer');
      assert.equal(answered.code, 0, JSON.stringify(answered));
      assert.match(answered.stdout, /^In call with/);
      assert.equal((await cli('hangup')).code, 0);
    });
  });

  test('with PIPHONE_KIOSK_AUTO_ANSWER the kiosk answers by itself, on the devices chosen for it; SIGTERM stops Chromium too', async () => {
    await explained(async () => {
      const oldPid = await chromiumPid();
      const stopped = await stopKiosk();
      assert.deepEqual(stopped, { code: 0, signal: null }, 'the kiosk exits cleanly on SIGTERM');
      await waitFor(() => !alive(oldPid), 5_000, { what: 'Chromium to stop with the kiosk' });

      startKiosk({
        PIPHONE_KIOSK_AUTO_ANSWER: 'true',
        PIPHONE_KIOSK_AUDIO_INPUT: 'Fake Audio Input 2',
        PIPHONE_KIOSK_AUDIO_OUTPUT: 'output 1', // part of the name is enough
      });
      const s = await phoneIs('idle', 30_000);
      assert.equal(s.auto_answer, true);
      const devices = await waitFor(async () => {
        const now = await status();
        return now.phone?.microphone === 'Fake Audio Input 2' && now.phone?.speaker === 'Fake Audio Output 1'
          ? now
          : null;
      }, 10_000, { what: 'the kiosk page to use the chosen devices' });
      assert.match((await cli('status')).stdout, /^microphone: Fake Audio Input 2\nspeaker: Fake Audio Output 1$/m);
      assert.ok(devices.connected);
      await server.sandbox('POST', '/sandbox/call-in', { from: LISTENER, count: 1 });
      await phoneIs('in-call', 15_000);
      assert.equal((await cli('hangup')).code, 0);
    });
  });
});
