import { existsSync } from 'node:fs';
import path from 'node:path';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { PROJECT_ROOT } from '../config';

/** Where `npm run build` writes the prebuilt workflow bundle, so a worker starts without webpack. */
export const WORKFLOW_BUNDLE_PATH = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');

/** The journey worker: the interpreter's workflows and the touchpoint activities on one task queue. */
export async function createJourneyWorker(options: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Use the prebuilt bundle when there is one (production); tests bundle the TypeScript sources. */
  usePrebuiltBundle?: boolean;
}): Promise<Worker> {
  const prebuilt = options.usePrebuiltBundle && existsSync(WORKFLOW_BUNDLE_PATH);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...(prebuilt
      ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }
      : { workflowsPath: require.resolve('../../workflows') }),
  });
}
