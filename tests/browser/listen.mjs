// Helpers for browser tests that listen: a microphone that says a known tone, an ear on the page's calls, and the
// sandbox's own ears (`audio` of `GET /sandbox/calls/{sid}`).
//
// toneBrowser(hz)    Chromium whose fake microphone plays a WAV of a steady tone at `hz` (a file the test writes).
// tapCalls(context)  records every RTCPeerConnection a page of `context` makes, so the page's calls can be heard.
// pageHears(page)    the dominant frequency and level of what the page's newest call receives (Web Audio analyser).
// heardBy(server, sid) / sentBy(…): the sandbox's meter of what a leg's party hears / says over the last second.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, waitFor } from './harness.mjs';

/** Below this RMS level (dBFS) a party hears silence: the tones used here are near −13 dBFS. */
export const SILENCE_DBFS = -50;
/** A measured dominant frequency within this many Hz of a tone counts as that tone. */
export const HZ_TOLERANCE = 25;

/** A mono 16-bit WAV of `seconds` of a sine at `hz`, amplitude 0.3 (about −13 dBFS RMS); whole seconds loop cleanly. */
export function toneWav(hz, { rate = 48_000, seconds = 2 } = {}) {
  const n = rate * seconds;
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) {
    buf.writeInt16LE(Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  }
  return buf;
}

/**
 * Chromium (headless, system binary) whose fake microphone says a steady `hz` tone, looped. Its `close()` also
 * removes the tone file.
 */
export async function toneBrowser(hz) {
  const dir = await mkdtemp(path.join(tmpdir(), 'piphone-tone-'));
  const file = path.join(dir, `tone-${hz}.wav`);
  await writeFile(file, toneWav(hz));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-audio-capture=${file}`, '--autoplay-policy=no-user-gesture-required'],
  });
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    await rm(dir, { recursive: true, force: true });
  };
  return browser;
}

/**
 * Keeps every RTCPeerConnection the pages of `context` create in `window.__peerConnections` (an init script, run
 * before the page's own), so `pageHears` can reach a call's remote audio without a hook in piphone's page code.
 */
export async function tapCalls(context) {
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    window.__peerConnections = [];
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        window.__peerConnections.push(this);
      }
    };
  });
}

/**
 * What the newest open call of `page` receives, over `ms`: `{hz, dbfs}`, the dominant frequency (the loudest FFT
 * bin of the summed power spectrum, 48 kHz / 8192 ≈ 6 Hz bins) and the RMS level. A Web Audio analyser on the
 * peer connection's remote audio track (what the SDK's `call.getRemoteStream()` holds).
 */
export async function pageHears(page, ms = 600) {
  return page.evaluate(async (ms) => {
    const pc = (window.__peerConnections ?? []).filter((p) => p.connectionState !== 'closed').at(-1);
    if (!pc) throw new Error('the page has no open peer connection');
    const track = pc.getReceivers().find((r) => r.track?.kind === 'audio')?.track;
    if (!track) throw new Error('the call receives no audio track');
    const ctx = new AudioContext();
    try {
      await ctx.resume();
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 8192;
      analyser.smoothingTimeConstant = 0;
      ctx.createMediaStreamSource(new MediaStream([track])).connect(analyser);
      const spectrum = new Float32Array(analyser.frequencyBinCount);
      const power = new Float64Array(analyser.frequencyBinCount);
      const wave = new Float32Array(analyser.fftSize);
      let squares = 0;
      let samples = 0;
      // Let the graph fill before the first look.
      await new Promise((r) => setTimeout(r, 200));
      const end = performance.now() + ms;
      while (performance.now() < end) {
        analyser.getFloatFrequencyData(spectrum);
        spectrum.forEach((db, i) => {
          power[i] += 10 ** (db / 10);
        });
        analyser.getFloatTimeDomainData(wave);
        for (const s of wave) squares += s * s;
        samples += wave.length;
        await new Promise((r) => setTimeout(r, 100));
      }
      let best = 1;
      for (let i = 2; i < power.length; i++) if (power[i] > power[best]) best = i;
      const rms = Math.sqrt(squares / Math.max(samples, 1));
      return {
        hz: Math.round((best * ctx.sampleRate) / analyser.fftSize),
        dbfs: Math.round(rms > 0 ? 20 * Math.log10(rms) : -120),
      };
    } finally {
      await ctx.close();
    }
  }, ms);
}

/** `audio.heard` of leg `sid`: `{packets, dominant_hz, level_dbfs}` over the last second, as the sandbox measures. */
export async function heardBy(server, sid) {
  return (await server.sandbox('GET', `/sandbox/calls/${sid}`)).audio.heard;
}

/** `audio.sent` of leg `sid`: what its party says. */
export async function sentBy(server, sid) {
  return (await server.sandbox('GET', `/sandbox/calls/${sid}`)).audio.sent;
}

const isTone = (hz, want) => hz != null && Math.abs(hz - want) <= HZ_TOLERANCE;

/**
 * Waits until `measure()` (resolving to `{hz|dominant_hz, dbfs|level_dbfs}`) reports the `want` Hz tone above
 * silence; returns that measurement. On time-out the message names `who` and the last measurement.
 */
export async function untilTone(measure, want, who, timeoutMs = 10_000) {
  let last;
  try {
    return await waitFor(
      async () => {
        last = normal(await measure());
        return isTone(last.hz, want) && last.dbfs > SILENCE_DBFS ? last : null;
      },
      timeoutMs,
      { intervalMs: 250, what: `${who} to hear ${want} Hz` },
    );
  } catch (err) {
    throw new Error(`${err.message}; last heard ${JSON.stringify(last)}`);
  }
}

/** Waits until `measure()` reports silence (below SILENCE_DBFS); returns that measurement. */
export async function untilSilence(measure, who, timeoutMs = 10_000) {
  let last;
  try {
    return await waitFor(
      async () => {
        last = normal(await measure());
        return last.dbfs < SILENCE_DBFS ? last : null;
      },
      timeoutMs,
      { intervalMs: 250, what: `${who} to hear silence (below ${SILENCE_DBFS} dBFS)` },
    );
  } catch (err) {
    throw new Error(`${err.message}; last heard ${JSON.stringify(last)}`);
  }
}

/** The page's `{hz, dbfs}` and the sandbox's `{dominant_hz, level_dbfs, packets}` as one shape. */
function normal(m) {
  return 'level_dbfs' in m ? { hz: m.dominant_hz, dbfs: m.level_dbfs, packets: m.packets } : m;
}
