import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, PROJECT_ROOT } from '../../src/config';

/** No Docker engine runs here: the compose file is checked by parsing it and loading its configuration. */
const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });

test('the compose stack has Temporal on PostgreSQL, its UI, a mail relay, the worker and the API', () => {
  expect(Object.keys(compose.services).sort()).toEqual(['api', 'mail', 'postgresql', 'temporal', 'temporal-ui', 'worker']);
  expect(compose.services.temporal.environment.DB).toBe('postgres12');
  expect(compose.services.worker.command).toEqual(['node', 'dist/src/worker/main.js']);
  expect(compose.services.api.command).toEqual(['node', 'dist/src/api/main.js']);
});

test.each(['worker', 'api'])('the %s service configuration is valid engine configuration', (service) => {
  const config = loadConfig(compose.services[service].environment);
  expect(config.temporalAddress).toBe('temporal:7233');
  expect(config.smtpUrl).toBe('smtp://mail:1025');
  if (service === 'api') expect(config.API_HOST).toBe('0.0.0.0');
});
