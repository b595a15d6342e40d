// The Voice SDK bundle committed under crates/piphone/web/static/vendor/ must be the pinned npm package's, byte for
// byte (scripts/update-sdk.sh refreshes it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './harness.mjs';

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

test('the vendored Voice SDK is the pinned npm package, byte for byte', async () => {
  const pkgJson = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const pinned = pkgJson.devDependencies['@twilio/voice-sdk'];
  const sdkDir = path.join(REPO_ROOT, 'node_modules', '@twilio', 'voice-sdk');
  const installed = JSON.parse(await readFile(path.join(sdkDir, 'package.json'), 'utf8')).version;
  assert.equal(installed, pinned, 'node_modules has a different SDK version than package.json pins: run npm ci');

  const fromNpm = await readFile(path.join(sdkDir, 'dist', 'twilio.min.js'));
  const vendorDir = path.join(REPO_ROOT, 'crates', 'piphone', 'web', 'static', 'vendor');
  const committed = await readFile(path.join(vendorDir, 'twilio.min.js'));
  assert.equal(sha256(committed), sha256(fromNpm), 'vendored twilio.min.js differs: run scripts/update-sdk.sh');

  const version = await readFile(path.join(vendorDir, 'VERSION'), 'utf8');
  assert.match(version, new RegExp(`^@twilio/voice-sdk ${pinned.replaceAll('.', '\\.')}$`, 'm'));
  assert.match(version, new RegExp(`sha256 ${sha256(fromNpm)}$`, 'm'));
});
