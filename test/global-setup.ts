import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded';
import { ensureTemporalCli, ensureTestServer } from '../src/temporal/binaries';
import { bundleJourneyWorkflows } from '../src/worker/create-worker';
import { freePort } from './helpers/eventually';

declare global {
  var testPostgres: EmbeddedDatabase | undefined;
}

/**
 * Installs (first run only) the Temporal CLI and the time-skipping server, starts one real PostgreSQL for
 * the whole run (each test makes its own database in it: see helpers/database.ts), bundles the workflows once
 * from the sources (webpack takes seconds, and the run starts workers, worker processes and rehearsals by the
 * dozen: each runs this bundle, WORKFLOW_BUNDLE, as a production worker runs `npm run build`'s), and tells the
 * tests where they all are.
 */
export default async function globalSetup(): Promise<void> {
  process.env.TEMPORAL_CLI = ensureTemporalCli(process.env);
  process.env.TEMPORAL_TEST_SERVER = ensureTestServer(process.env);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'journeys-test-postgres-'));
  chmodSync(dir, 0o755); // PostgreSQL may run as the postgres user (see src/db/embedded.ts)
  const [postgres, bundle] = await Promise.all([
    startEmbeddedPostgres({ dir: path.join(dir, 'data'), port: await freePort(), password: 'test-postgres-password', maxConnections: 300 }),
    bundleJourneyWorkflows(),
  ]);
  globalThis.testPostgres = postgres;
  process.env.TEST_POSTGRES_URL = postgres.adminUrl;
  process.env.WORKFLOW_BUNDLE = path.join(dir, 'workflow-bundle.js');
  writeFileSync(process.env.WORKFLOW_BUNDLE, bundle);
}
