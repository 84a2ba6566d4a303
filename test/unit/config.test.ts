import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig, PROJECT_ROOT, requireSecret } from '../../src/config';

test('defaults describe the local stack', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({
    temporalAddress: '127.0.0.1:7233',
    TEMPORAL_TASK_QUEUE: 'customer-journeys',
    API_PORT: 3000,
    smtpUrl: 'smtp://127.0.0.1:1025',
  });
  expect(config.TEMPORAL_ADDRESS).toBeUndefined();
});

test('every mistake is reported with the variable that holds it', () => {
  const load = () => loadConfig({ TEMPORAL_ADDRESS: 'temporal', API_PORT: 'eighty', SMTP_URL: 'http://mail' });
  expect(load).toThrow(ConfigError);
  expect(load).toThrow(/TEMPORAL_ADDRESS: must be host:port/);
  expect(load).toThrow(/API_PORT: /);
  expect(load).toThrow(/SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
});

test('named servers replace the local ones', () => {
  const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233', SMTP_URL: 'smtps://relay.internal:465', API_PORT: '' });
  expect(config.temporalAddress).toBe('temporal.internal:7233');
  expect(config.smtpUrl).toBe('smtps://relay.internal:465');
  expect(config.API_PORT).toBe(3000); // empty means unset
});

test('the secrets are checked where they are needed, and PUBLIC_URL must be a web address', () => {
  const load = () => loadConfig({ UNSUBSCRIBE_SECRET: 'short', PUBLIC_URL: 'journeys.example' });
  expect(load).toThrow(/UNSUBSCRIBE_SECRET: must be at least 16 characters/);
  expect(load).toThrow(/PUBLIC_URL: must be an http\(s\) URL/);
  const config = loadConfig({ PUBLIC_URL: 'https://journeys.example/' });
  expect(config.publicUrl).toBe('https://journeys.example');
  expect(() => requireSecret(config, 'WEBHOOK_SECRET')).toThrow(/WEBHOOK_SECRET: is required/);
  expect(loadConfig({ API_PORT: '4000' }).publicUrl).toBe('http://localhost:4000');
});

test('secret lists (inbound webhooks, previous unsubscribe secrets) are comma-separated, each at least 16 characters', () => {
  const config = loadConfig({ INBOUND_WEBHOOK_SECRETS: ' new-inbound-secret-0001 , old-inbound-secret-0002,', UNSUBSCRIBE_PREVIOUS_SECRETS: 'previous-unsubscribe-01' });
  expect(config.INBOUND_WEBHOOK_SECRETS).toEqual(['new-inbound-secret-0001', 'old-inbound-secret-0002']);
  expect(config.UNSUBSCRIBE_PREVIOUS_SECRETS).toEqual(['previous-unsubscribe-01']);
  // Unset (or empty) means none: the inbound routes answer 503, and only UNSUBSCRIBE_SECRET's links work.
  const unset = loadConfig({ INBOUND_WEBHOOK_SECRETS: '' });
  expect([unset.INBOUND_WEBHOOK_SECRETS, unset.UNSUBSCRIBE_PREVIOUS_SECRETS]).toEqual([undefined, undefined]);
  expect(() => loadConfig({ INBOUND_WEBHOOK_SECRETS: 'long-enough-secret-01,short' })).toThrow(/INBOUND_WEBHOOK_SECRETS\.1: each secret must be at least 16 characters/);
  expect(() => loadConfig({ UNSUBSCRIBE_PREVIOUS_SECRETS: ' , ' })).toThrow(/UNSUBSCRIBE_PREVIOUS_SECRETS: must name at least one secret/);
});

test('the Temporal UI link follows TEMPORAL_UI_PORT, or TEMPORAL_UI_URL when set', () => {
  expect(loadConfig({}).temporalUiUrl).toBe('http://localhost:8233');
  expect(loadConfig({ TEMPORAL_UI_PORT: '9233' }).temporalUiUrl).toBe('http://localhost:9233');
  expect(loadConfig({ TEMPORAL_UI_URL: 'https://temporal.example.com/' }).temporalUiUrl).toBe('https://temporal.example.com');
  expect(() => loadConfig({ TEMPORAL_UI_URL: 'temporal.example.com' })).toThrow(/TEMPORAL_UI_URL: must be an http\(s\) URL/);
});

test("the README's variable table lists every variable the configuration accepts", () => {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const tableRows = readme.split('\n').filter((line) => line.startsWith('| `'));
  const listed = new Set(tableRows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1])));
  expect(CONFIG_VARIABLES.filter((name) => !listed.has(name))).toEqual([]);
});

test("the worker's metrics are off unless WORKER_METRICS_PORT is set (0: any free port), on loopback unless WORKER_METRICS_HOST says", () => {
  const unset = loadConfig({});
  expect([unset.WORKER_METRICS_PORT, unset.WORKER_METRICS_HOST]).toEqual([undefined, '127.0.0.1']);
  expect(loadConfig({ WORKER_METRICS_PORT: '9464', WORKER_METRICS_HOST: '0.0.0.0' })).toMatchObject({ WORKER_METRICS_PORT: 9464, WORKER_METRICS_HOST: '0.0.0.0' });
  expect(loadConfig({ WORKER_METRICS_PORT: '0' }).WORKER_METRICS_PORT).toBe(0);
  expect(loadConfig({ WORKER_METRICS_PORT: '' }).WORKER_METRICS_PORT).toBeUndefined();
  expect(() => loadConfig({ WORKER_METRICS_PORT: 'prometheus' })).toThrow(/WORKER_METRICS_PORT: /);
  expect(() => loadConfig({ WORKER_METRICS_PORT: '70000' })).toThrow(/WORKER_METRICS_PORT: /);
});
