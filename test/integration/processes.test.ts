import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { TEST_PAYLOAD_KEYS } from '../helpers/payloads';

/** A configuration mistake stops each process at start, naming the variable, before it touches anything. */
const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

test.each([
  ['api', 'src/api/main.ts', { API_PORT: 'eighty' }, /API_PORT: /],
  ['worker', 'src/worker/main.ts', { TEMPORAL_ADDRESS: 'no-port-here' }, /TEMPORAL_ADDRESS: must be host:port/],
  ['worker', 'src/worker/main.ts', { DATABASE_URL: 'mysql://db/journeys' }, /DATABASE_URL: must be a postgres:\/\/ URL/],
  ['worker', 'src/worker/main.ts', { DATABASE_URL: '', UNSUBSCRIBE_SECRET: 'a'.repeat(16), WEBHOOK_SECRET: 'b'.repeat(16), PAYLOAD_KEYS: TEST_PAYLOAD_KEYS }, /DATABASE_URL: is required/],
  ['worker', 'src/worker/main.ts', { PAYLOAD_KEYS: '' }, /PAYLOAD_KEYS: is required/],
  ['api', 'src/api/main.ts', { PAYLOAD_KEYS: '' }, /PAYLOAD_KEYS: is required/],
  ['api', 'src/api/main.ts', { PAYLOAD_KEYS: `k1:${Buffer.alloc(16).toString('base64')}` }, /PAYLOAD_KEYS: key "k1" is 16 bytes; AES-256 needs exactly 32/],
  ['launcher', 'src/dev/start.ts', { SMTP_URL: 'http://mail.example' }, /SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/],
])('the %s refuses a bad configuration with the variable named', (_name, entry, env, message) => {
  const run = spawnSync(tsx, [path.join(PROJECT_ROOT, entry)], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
});
