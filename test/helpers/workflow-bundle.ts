import { readFileSync } from 'node:fs';

let bundled: { code: string } | undefined;
/**
 * The workflows and their interceptor as global-setup bundled them for the whole run (WORKFLOW_BUNDLE): webpack
 * takes seconds, and every worker and every replay given the sources would bundle them again.
 */
export const journeyWorkflowBundle = () => Promise.resolve((bundled ??= { code: readFileSync(testWorkflowBundlePath(), 'utf8') }));

/** The file of that bundle, for workers that take a path (worker processes inherit WORKFLOW_BUNDLE by themselves). */
export function testWorkflowBundlePath(): string {
  const file = process.env.WORKFLOW_BUNDLE;
  if (!file) throw new Error('WORKFLOW_BUNDLE is not set: the tests run through jest, whose global setup bundles the workflows');
  return file;
}
