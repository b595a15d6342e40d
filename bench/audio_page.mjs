// Page → sandbox → page: the round trip of a tone from a logged-in piphone page through the sandbox (WebRTC, the
// `webrtc` cargo feature) to a phone that echoes it, and back into the page. Run by bench/audio.py; see
// docs/BENCHMARKS.md ("Audio"). Prints one line `RESULT {json}`.
//
//   PIPHONE_BIN=target/release/piphone node bench/audio_page.mjs [--bursts 100] [--burst-ms 100] [--period-ms 500]
//
// The page's microphone is a WebAudio graph (an init script replaces navigator.mediaDevices.getUserMedia): a
// 1 kHz oscillator through a gain that the page opens for --burst-ms every --period-ms (−12 dBFS). An
// AudioWorklet listens, sample by sample, to that gain's output (what the page says) on its first input and to
// the call's remote stream (`call.getRemoteStream()`, what the page hears) on its second, both on the
// AudioContext's sample clock; an onset is the first sample above a quarter of the burst's peak after half a
// period of quiet. The round trip is the heard onset's sample time minus the latest said onset's before it, so
// it includes Chromium's capture path, encoder, the sandbox and the echo, the jitter buffer (NetEq), decoder and
// the route into WebAudio; not a loudspeaker or a microphone.
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, login, newContext, startServer, waitFor } from '../tests/browser/harness.mjs';

const ECHO = '+15550100100';
const { values } = parseArgs({
  options: {
    bursts: { type: 'string', default: '100' },
    'burst-ms': { type: 'string', default: '100' },
    'period-ms': { type: 'string', default: '500' },
  },
});
const bursts = Number(values.bursts);
const burstMs = Number(values['burst-ms']);
const periodMs = Number(values['period-ms']);

/** Runs in the page before its own scripts: the WebAudio microphone and the onset detector. */
function initScript({ burstMs, periodMs }) {
  const PEAK = 0.25; // −12 dBFS
  const worklet = `
    class Onsets extends AudioWorkletProcessor {
      constructor() {
        super();
        this.need = Math.round(sampleRate * ${periodMs} / 2000);
        this.quiet = [0, 0];
        this.peak = [0, 0];
      }
      process(inputs) {
        for (let ch = 0; ch < 2; ch++) {
          const data = inputs[ch] && inputs[ch][0];
          if (!data) continue;
          for (let i = 0; i < data.length; i++) {
            const a = Math.abs(data[i]);
            if (a > this.peak[ch]) this.peak[ch] = a;
            if (a > ${PEAK / 4}) {
              if (this.quiet[ch] >= this.need) this.port.postMessage({ ch, frame: currentFrame + i });
              this.quiet[ch] = 0;
            } else {
              this.quiet[ch]++;
            }
          }
        }
        if (currentFrame % sampleRate < 128) this.port.postMessage({ peak: this.peak });
        return true;
      }
    }
    registerProcessor('onsets', Onsets);`;
  const bench = { said: [], heard: [], peak: [0, 0], rate: 0, listening: false };
  let graph = null;
  async function setup() {
    const ctx = new AudioContext();
    await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([worklet], { type: 'text/javascript' })));
    const osc = new OscillatorNode(ctx, { frequency: 1000 });
    const gain = new GainNode(ctx, { gain: 0 });
    const dest = ctx.createMediaStreamDestination();
    const onsets = new AudioWorkletNode(ctx, 'onsets', { numberOfInputs: 2, numberOfOutputs: 1 });
    onsets.port.onmessage = ({ data }) => {
      if (data.peak) bench.peak = data.peak;
      else (data.ch === 0 ? bench.said : bench.heard).push(data.frame);
    };
    osc.connect(gain).connect(dest);
    gain.connect(onsets, 0, 0);
    onsets.connect(new GainNode(ctx, { gain: 0 })).connect(ctx.destination);
    const t0 = ctx.currentTime + 0.5;
    for (let n = 0; n < 2000; n++) {
      const at = t0 + (n * periodMs) / 1000;
      gain.gain.setValueAtTime(PEAK, at);
      gain.gain.setValueAtTime(0, at + burstMs / 1000);
    }
    osc.start();
    await ctx.resume();
    bench.rate = ctx.sampleRate;
    return { ctx, dest, onsets };
  }
  const realGetUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    if (!constraints || !constraints.audio) return realGetUserMedia(constraints);
    graph ??= await setup();
    return new MediaStream(graph.dest.stream.getAudioTracks().map((t) => t.clone()));
  };
  /** Listens to what the call brings back (its remote stream) on the detector's second input. */
  bench.listen = (stream) => {
    graph.ctx.createMediaStreamSource(stream).connect(graph.onsets, 0, 1);
    bench.listening = true;
  };
  window.__bench = bench;
}

/** Round trips in ms: each heard onset against the latest said onset before it (within a period). */
function roundTrips({ said, heard, rate }) {
  const out = [];
  for (const h of heard) {
    const s = said.filter((f) => f <= h && h - f < (rate * periodMs) / 1000).at(-1);
    if (s !== undefined) out.push(((h - s) * 1000) / rate);
  }
  return out.sort((a, b) => a - b);
}

const rank = (v, p) => (v.length ? v[Math.min(v.length, Math.max(1, Math.ceil(p * v.length))) - 1] : null);

const server = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
  args: [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'],
  headless: true,
});
try {
  await server.sandbox('POST', '/sandbox/phones', { number: ECHO, behaviour: 'answer', ring_ms: 0, voice: { echo: true } });
  // The init script makes a blob: AudioWorklet module, which the page's CSP (script-src 'self') would refuse.
  const context = await newContext(browser, { bypassCSP: true });
  await context.addInitScript(initScript, { burstMs, periodMs });
  const page = await context.newPage();
  await login(page, server);
  await waitFor(() => page.evaluate(() => typeof window.Twilio?.Device === 'function'), 10_000, { what: 'the Voice SDK' });
  await page.evaluate(async (to) => {
    const { token } = await (await fetch('/token')).json();
    const device = new window.Twilio.Device(token, { chunderw: location.host, publishEvents: false, logLevel: 'warn' });
    const call = await device.connect({ params: { To: to } });
    await new Promise((resolve, reject) => {
      call.on('accept', resolve);
      call.on('error', (e) => reject(new Error(`call error ${e.code}`)));
    });
    window.__bench.call = call;
  }, ECHO);
  // The remote stream appears with the peer connection's first track, possibly after `accept`.
  await waitFor(() => page.evaluate(() => window.__bench.call.getRemoteStream() instanceof MediaStream), 10_000, {
    what: 'the call\'s remote stream',
  });
  await page.evaluate(() => window.__bench.listen(window.__bench.call.getRemoteStream()));
  // Let the first bursts settle (the jitter buffer adapts), then count from here.
  await new Promise((r) => setTimeout(r, 2 * periodMs));
  const startAt = await page.evaluate(() => window.__bench.heard.length);
  await waitFor(() => page.evaluate((n) => window.__bench.heard.length >= n, startAt + bursts), bursts * periodMs + 30_000, {
    intervalMs: 500,
    what: `${bursts} echoed bursts`,
  });
  const seen = await page.evaluate(() => {
    const b = window.__bench;
    b.call.disconnect();
    return { said: b.said, heard: b.heard, rate: b.rate, peak: b.peak };
  });
  const measured = { ...seen, heard: seen.heard.slice(startAt, startAt + bursts) };
  const rtt = roundTrips(measured);
  const result = {
    bursts_heard: measured.heard.length,
    matched: rtt.length,
    sample_rate: seen.rate,
    peak_said: seen.peak[0],
    peak_heard: seen.peak[1],
    rtt_ms: { min: rtt[0] ?? null, p50: rank(rtt, 0.5), p90: rank(rtt, 0.9), p99: rank(rtt, 0.99), max: rtt.at(-1) ?? null },
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await browser.close();
  await server.stop();
}
