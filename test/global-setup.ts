import { ensureTemporalCli, ensureTestServer } from '../src/temporal/binaries';

/** Installs (first run only) the Temporal CLI and the time-skipping server, and tells the tests where they are. */
export default function globalSetup(): void {
  process.env.TEMPORAL_CLI = ensureTemporalCli(process.env);
  process.env.TEMPORAL_TEST_SERVER = ensureTestServer(process.env);
}
