import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { testDataConverter } from '../helpers/payloads';
import { journeyWorkflowBundle } from '../helpers/workflow-bundle';

/**
 * Journeys recorded under earlier interpreter code (test/fixtures/histories, `npm run record-histories`)
 * must replay under the current code: a change that alters the commands of running journeys fails here
 * until it is put behind patched(). They are plain JSON (recorded before payload encryption, or decrypted when
 * recorded): the replayer decodes with the engine's data converter, which takes plain payloads as they are.
 */
const dir = path.join(__dirname, '..', 'fixtures', 'histories');
const fixtures = readdirSync(dir).filter((name) => name.endsWith('.json')).sort();

test.each(['default', 'tech-touch', 'enterprise'])('there are recorded journeys for the shipped map %s', (mapId) => {
  expect(fixtures).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${mapId}-v1-.*-run1\\.json$`))]));
});

test.each(fixtures)('%s replays under the current workflow code', async (fixture) => {
  const history: unknown = JSON.parse(readFileSync(path.join(dir, fixture), 'utf8'));
  await Worker.runReplayHistory({ workflowBundle: await journeyWorkflowBundle(), dataConverter: testDataConverter }, history, fixture);
});
