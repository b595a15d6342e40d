// Shared helpers for piphone's browser tests (node --test, ES modules).
//
// startServer()  spawns the real `piphone serve` binary on 127.0.0.1:0 with a fresh data directory (sandbox mode);
//                its restart() stops and starts it again on the same data directory and port.
// launchBrowser() starts the system Chromium through playwright-core; newContext() trusts the self-signed cert
// and grants the (fake) microphone. login(), loginAsNewUser(), waitFor() and withScreenshot() keep tests short and
// readable.

import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
export const ADMIN_PASSWORD = 'correct-horse-battery-staple';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // The sandbox's WebRTC media (crates/sandbox/src/webrtc, opt-in cargo feature `webrtc`) offers a host candidate
  // on loopback, which Chromium otherwise filters out. Harmless without it.
  '--allow-loopback-in-peer-connection',
];

const LISTEN_RE = /listening on (https?:\/\/127\.0\.0\.1:\d+)/;

/** Poll `fn` until it returns a truthy value (which is returned) or `timeoutMs` passes. */
export async function waitFor(fn, timeoutMs = 10_000, { intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Spawns `piphone serve` with `childEnv`; resolves once it logs its URL. */
async function spawnServe(bin, childEnv, timeoutMs) {
  const child = spawn(bin, ['serve'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { child, log: '', exited: null };
  const onData = (chunk) => {
    proc.log += chunk.toString();
    if (process.env.PIPHONE_TEST_VERBOSE) process.stderr.write(chunk);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', (code, signal) => {
    proc.exited = { code, signal };
  });
  try {
    proc.url = await waitFor(
      () => {
        if (proc.exited) throw new Error(`piphone exited early (${JSON.stringify(proc.exited)}):\n${proc.log}`);
        return LISTEN_RE.exec(proc.log)?.[1];
      },
      timeoutMs,
      { what: 'the "listening on" log line' },
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n--- piphone log ---\n${proc.log}`);
  }
  return proc;
}

/** Stops a spawned server (SIGTERM, then SIGKILL after 5 s). */
async function stopServe(proc) {
  if (proc.exited) return;
  proc.child.kill('SIGTERM');
  await waitFor(() => proc.exited, 5_000, { what: 'piphone to exit' }).catch(() => proc.child.kill('SIGKILL'));
}

/**
 * Start `piphone serve` in sandbox mode. Returns
 * `{url, dataDir, logs(), credentials, sandbox(method, path, body), fetch(path, init), restart(), stop()}`.
 * `restart()` stops the server and starts it again on the same data directory and port (sessions, the call
 * log and the sandbox's credentials survive; live simulated calls do not).
 */
export async function startServer({ env = {}, timeoutMs = 30_000 } = {}) {
  const bin = process.env.PIPHONE_BIN || path.join(REPO_ROOT, 'target', 'debug', 'piphone');
  if (!existsSync(bin)) {
    throw new Error(`piphone binary not found at ${bin}: run \`cargo build -p piphone\` or set PIPHONE_BIN`);
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'piphone-test-'));
  const childEnv = {
    ...process.env,
    PIPHONE_LOG: process.env.PIPHONE_LOG || 'info',
    PIPHONE_LISTEN: '127.0.0.1:0',
    PIPHONE_DATA_DIR: dataDir,
    PIPHONE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    PIPHONE_SANDBOX_SPEED: '10',
    ...env,
  };
  // Never let a developer's real Twilio settings leak into a test run.
  for (const key of Object.keys(childEnv)) {
    if (key.startsWith('PIPHONE_TWILIO_') && !(key in env)) delete childEnv[key];
  }
  let proc = await spawnServe(bin, childEnv, timeoutMs);
  let earlierLogs = '';

  const credentials = await waitFor(
    async () => JSON.parse(await readFile(path.join(dataDir, 'sandbox.json'), 'utf8')),
    5_000,
    { what: 'sandbox.json' },
  ).catch(() => null);

  const server = {
    url: proc.url,
    dataDir,
    credentials,
    logs: () => earlierLogs + proc.log,
    /** fetch against the server; accepts the self-signed certificate. */
    fetch: (p, init = {}) => insecureFetch(new URL(p, server.url), init),
    /** Call the sandbox control API with HTTP Basic account_sid:auth_token; returns parsed JSON (or text). */
    async sandbox(method, p, body) {
      if (!credentials) throw new Error('no sandbox.json in the data dir: is the server in sandbox mode?');
      const auth = Buffer.from(`${credentials.account_sid}:${credentials.auth_token}`).toString('base64');
      const headers = { authorization: `Basic ${auth}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await server.fetch(p, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`sandbox ${method} ${p} -> ${res.status}: ${text}`);
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    },
    async restart() {
      await stopServe(proc);
      earlierLogs += `${proc.log}\n--- restart ---\n`;
      const port = new URL(server.url).port;
      proc = await spawnServe(bin, { ...childEnv, PIPHONE_LISTEN: `127.0.0.1:${port}` }, timeoutMs);
      server.url = proc.url;
    },
    async stop() {
      await stopServe(proc);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * A small fetch() stand-in over node:https that trusts the server's self-signed certificate and never follows
 * redirects. Resolves to `{status, ok, headers, text(), json()}`.
 */
function insecureFetch(url, { method = 'GET', headers = {}, body } = {}) {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method, headers, rejectUnauthorized: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({
          status: res.statusCode,
          ok: res.statusCode >= 200 && res.statusCode < 300,
          headers: res.headers,
          text: async () => buf.toString('utf8'),
          json: async () => JSON.parse(buf.toString('utf8')),
        });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Launch the system Chromium (headless) through playwright-core. */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
}

/** A fresh browser context trusting the self-signed certificate, with the (fake) microphone allowed. */
export async function newContext(browser, options = {}) {
  return browser.newContext({
    ignoreHTTPSErrors: true,
    permissions: ['microphone'],
    viewport: { width: 1100, height: 800 },
    ...options,
  });
}

/** Log in through the real login form; resolves once the phone page is shown. */
export async function login(page, server, user = 'admin', pass = ADMIN_PASSWORD) {
  await page.goto(new URL('/login', server.url).href);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(pass);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 10_000 }),
    page.getByRole('button', { name: /sign in|log in/i }).click(),
  ]);
}

/** Logs in as the admin, adds the user `name` (`role`) through the admin page's API, then logs in as them. */
export async function loginAsNewUser(page, server, name, password, role) {
  await login(page, server);
  const res = await page.request.post(new URL('/api/admin/users', server.url).href, {
    data: { username: name, password, role },
  });
  if (res.status() !== 201) throw new Error(`adding the user ${name}: ${res.status()} ${await res.text()}`);
  await page.context().clearCookies();
  await login(page, server, name, password);
}

/** Save a full-page screenshot to test-results/<name>.png (or a given sub-path). Returns the file path. */
export async function screenshot(page, name) {
  const file = path.join(RESULTS_DIR, name.endsWith('.png') ? name : `${name}.png`);
  await mkdir(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Run `fn`; on failure save test-results/failures/<name>.png plus the server log, then rethrow.
 * Use around each test body: `await withScreenshot(page, 'outgoing call', async () => {...}, server)`.
 */
export async function withScreenshot(page, name, fn, server) {
  try {
    return await fn();
  } catch (err) {
    const safe = name.replace(/[^a-z0-9-]+/gi, '_');
    try {
      const file = await screenshot(page, path.join('failures', safe));
      err.message += `\n(screenshot: ${file})`;
    } catch {
      /* the page may be gone */
    }
    if (server) {
      const logFile = path.join(RESULTS_DIR, 'failures', `${safe}.server.log`);
      await mkdir(path.dirname(logFile), { recursive: true });
      await writeFile(logFile, server.logs()).catch(() => {});
      err.message += `\n(server log: ${logFile})`;
    }
    throw err;
  }
}
