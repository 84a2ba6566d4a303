import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTestServer } from '../temporal/binaries';
import { registerJourneySearchAttributes } from '../temporal/search-attributes';

/** The time-skipping test server with the journey search attributes registered: where journeys are rehearsed. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: ensureTestServer(process.env, (line) => console.error(line)) } },
  });
  await registerJourneySearchAttributes(env.connection, 'default');
  return env;
}
