import type { DataConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTestServer } from '../temporal/binaries';
import { registerJourneySearchAttributes } from '../temporal/search-attributes';

/**
 * The time-skipping test server with the journey search attributes registered: where journeys are rehearsed.
 * A rehearsal's server lives in this process and is gone with it, so its client needs no payload keys; the tests
 * give theirs (`dataConverter`), and then their workers must use it too.
 */
export async function createTimeSkippingEnv(options: { dataConverter?: DataConverter } = {}): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: ensureTestServer(process.env, (line) => console.error(line)) } },
    client: { dataConverter: options.dataConverter },
  });
  await registerJourneySearchAttributes(env.connection, 'default');
  return env;
}
