import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, PROJECT_ROOT, requirePayloadKeys, requireSecret } from '../../src/config';

/** No Docker engine runs here: the compose file is checked by parsing it and loading its configuration. */
const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });

test('the compose stack has Temporal on PostgreSQL, its UI, a mail relay, the worker and the API', () => {
  expect(Object.keys(compose.services).sort()).toEqual(['api', 'mail', 'postgresql', 'temporal', 'temporal-ui', 'worker']);
  expect(compose.services.temporal.environment.DB).toBe('postgres12');
  expect(compose.services.worker.command).toEqual(['node', 'dist/src/worker/main.js']);
  expect(compose.services.api.command).toEqual(['node', 'dist/src/api/main.js']);
});

/** Compose's variable interpolation: `${VAR:-default}` and `${VAR:?message}` (which fails when VAR is unset). */
function interpolate(environment: Record<string, string>, variables: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [
      name,
      String(value).replace(/\$\{(\w+)(?::-([^}]*)|:\?([^}]*))?\}/g, (_, variable: string, fallback?: string, required?: string) => {
        const given = variables[variable] ?? fallback;
        if (given === undefined) throw new Error(`${name}: ${required ?? `${variable} is not set`}`);
        return given;
      }),
    ]),
  );
}

const payloadKeys = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
const operatorVariables = { UNSUBSCRIBE_SECRET: 'a'.repeat(64), WEBHOOK_SECRET: 'b'.repeat(64), JOURNEYS_DB_PASSWORD: 'c'.repeat(32), PAYLOAD_KEYS: payloadKeys };

test.each(['worker', 'api'])('the %s service configuration is valid engine configuration', (service) => {
  const config = loadConfig(interpolate(compose.services[service].environment, operatorVariables));
  expect(config.temporalAddress).toBe('temporal:7233');
  expect(config.smtpUrl).toBe('smtp://mail:1025');
  expect(config.publicUrl).toBe('http://localhost:3000');
  expect(requireSecret(config, 'UNSUBSCRIBE_SECRET')).toBe('a'.repeat(64));
  expect(requireSecret(config, 'WEBHOOK_SECRET')).toBe('b'.repeat(64));
  expect(requirePayloadKeys(config).map((key) => key.id)).toEqual(['k1']);
  // The engine's own database and user in the stack's PostgreSQL, made by the script the postgres image runs.
  expect(config.DATABASE_URL).toBe(`postgres://journeys:${'c'.repeat(32)}@postgresql:5432/journeys`);
  expect(compose.services[service].depends_on.postgresql).toEqual({ condition: 'service_healthy' });
  if (service === 'api') expect(config.API_HOST).toBe('0.0.0.0');
  // Optional: unset, the inbound webhook routes answer 503 and only UNSUBSCRIBE_SECRET's links work.
  expect(config.INBOUND_WEBHOOK_SECRETS).toBeUndefined();
  expect(config.UNSUBSCRIBE_PREVIOUS_SECRETS).toBeUndefined();
  // Each worker replica serves its metrics on the compose network, not on the host (replicas would share one port).
  if (service === 'worker') expect([config.WORKER_METRICS_HOST, config.WORKER_METRICS_PORT, compose.services.worker.expose, compose.services.worker.ports]).toEqual(['0.0.0.0', 9464, ['9464'], undefined]);
  if (service === 'api') expect([config.WORKER_METRICS_HOST, config.WORKER_METRICS_PORT]).toEqual(['127.0.0.1', undefined]);
});

test('the API takes inbound webhook secrets and previous unsubscribe secrets from the operator; the workers need neither', () => {
  const config = loadConfig(interpolate(compose.services.api.environment, { ...operatorVariables, INBOUND_WEBHOOK_SECRETS: 'd'.repeat(32), UNSUBSCRIBE_PREVIOUS_SECRETS: 'e'.repeat(32) }));
  expect(config.INBOUND_WEBHOOK_SECRETS).toEqual(['d'.repeat(32)]);
  expect(config.UNSUBSCRIBE_PREVIOUS_SECRETS).toEqual(['e'.repeat(32)]);
  expect(compose.services.worker.environment.INBOUND_WEBHOOK_SECRETS).toBeUndefined();
});

test('the compose stack refuses to start without the secrets, and the engine keeps no data in volumes of its own', () => {
  expect(() => interpolate(compose.services.worker.environment, { JOURNEYS_DB_PASSWORD: 'c'.repeat(32) })).toThrow(/set UNSUBSCRIBE_SECRET/);
  const { PAYLOAD_KEYS: _keys, ...withoutPayloadKeys } = operatorVariables;
  expect(() => interpolate(compose.services.api.environment, withoutPayloadKeys)).toThrow(/set PAYLOAD_KEYS/);
  expect(() => interpolate(compose.services.worker.environment, {})).toThrow(/set JOURNEYS_DB_PASSWORD/);
  expect(() => interpolate(compose.services.postgresql.environment, {})).toThrow(/set JOURNEYS_DB_PASSWORD/);
  // Replicas on other machines share only Temporal and the database.
  expect(compose.services.worker.volumes).toBeUndefined();
  expect(compose.services.api.volumes).toBeUndefined();
  const init = compose.services.postgresql.volumes.find((v: string) => v.includes('docker-entrypoint-initdb.d'));
  const script = readFileSync(path.join(PROJECT_ROOT, init.split(':')[0]), 'utf8');
  expect(script).toMatch(/CREATE USER journeys/);
  expect(script).toMatch(/CREATE DATABASE journeys OWNER journeys/);
});

test('the image build copies every folder the build compiles', () => {
  const dockerfile = readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
  const build = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  const copied = [...dockerfile.matchAll(/^COPY (\S+) \.\/\1$/gm)].map((m) => m[1]);
  expect(build.include.filter((folder) => !copied.includes(folder))).toEqual([]);
});
