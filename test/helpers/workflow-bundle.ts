import { readFileSync } from 'node:fs';
import { bundleJourneyWorkflows } from '../../src/worker/create-worker';

let bundled: Promise<{ code: string }> | undefined;
/**
 * The workflows and their interceptor as jest's global setup bundled them for the whole run (WORKFLOW_BUNDLE):
 * webpack takes seconds, and every worker and every replay given the sources would bundle them again. Outside jest
 * (`npm run record-histories`), bundled from the sources once per process.
 */
export const journeyWorkflowBundle = () =>
  (bundled ??= process.env.WORKFLOW_BUNDLE
    ? Promise.resolve({ code: readFileSync(process.env.WORKFLOW_BUNDLE, 'utf8') })
    : bundleJourneyWorkflows().then((code) => ({ code })));

/** The file of that bundle, for workers that take a path (worker processes inherit WORKFLOW_BUNDLE by themselves). */
export function testWorkflowBundlePath(): string {
  const file = process.env.WORKFLOW_BUNDLE;
  if (!file) throw new Error('WORKFLOW_BUNDLE is not set: the tests run through jest, whose global setup bundles the workflows');
  return file;
}
