import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, createBulkOperationActivities, type ActivityDeps } from '../../activities';
import type { BulkOperationSteps } from '../../contracts/bulk-operations';
import { PROJECT_ROOT } from '../config';
import { FAILURE_CONVERTER_PATH, journeyDataConverter, type PayloadKeyRing } from '../temporal/payload-codec';

/** Where `npm run build` writes the prebuilt workflow bundle, so a worker starts without webpack. */
export const WORKFLOW_BUNDLE_PATH = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');

/** The workflows, and the interceptor every journey worker runs them with (see workflows/stale-activation-guard.ts). */
export const WORKFLOWS_PATH = require.resolve('../../workflows');
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../../workflows/stale-activation-guard')];

/** What a worker (or the replayer) runs the journeys from when it bundles the sources itself. */
export const workflowSources = { workflowsPath: WORKFLOWS_PATH, interceptors: { workflowModules: WORKFLOW_INTERCEPTOR_MODULES } };

/**
 * The workflow bundle of the workflows and their interceptor, as `npm run build` writes it; with the failure
 * converter that encodes failures' messages and stack traces, which runs inside the workflow code.
 *
 * The worker insists on an inline source map (it maps workflow stack traces with it), so the bundle keeps one,
 * but without the sources' text and column mappings: stack traces still name each file and line, and the
 * bundle is 0.8 MB instead of 2.1 MB (the Temporal UI's stack trace view shows locations, not code).
 */
export async function bundleJourneyWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-cheap-module-source-map' }),
  });
  return code;
}

/** Where a worker takes the workflow code from (see createJourneyWorker's options). */
export interface WorkflowCodeSource {
  /** Use the prebuilt bundle when there is one (production); tests bundle the TypeScript sources. */
  usePrebuiltBundle?: boolean;
  /**
   * A prebuilt bundle to run instead (WORKFLOW_BUNDLE), e.g. the one a test run makes once for all its workers; made by
   * bundleJourneyWorkflows, so it carries the failure converter (workflow code encodes its own failures).
   */
  workflowBundlePath?: string;
}

/**
 * The worker options that give it its workflow code: a prebuilt bundle, or the sources bundled now. The bundle is read
 * here, at once, so that Worker.create starts its workflow threads without waiting for the file (main.ts does other
 * work meanwhile).
 */
export function journeyWorkflowCode(source: WorkflowCodeSource) {
  const prebuilt = source.workflowBundlePath ?? (source.usePrebuiltBundle && existsSync(WORKFLOW_BUNDLE_PATH) ? WORKFLOW_BUNDLE_PATH : undefined);
  return prebuilt ? { workflowBundle: { code: readFileSync(prebuilt, 'utf8') } } : workflowSources;
}

/** The journey worker: the interpreter's workflows and the touchpoint activities on one task queue. */
export async function createJourneyWorker(options: WorkflowCodeSource & {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** What the activities work with; still in the making while the worker is created (the worker must not run before). */
  deps: ActivityDeps | Promise<ActivityDeps>;
  /** PAYLOAD_KEYS: what the worker reads and writes in Temporal is encrypted with them. */
  payloadKeys: PayloadKeyRing;
  /** What bulk operations' activities act with (a Temporal client of the worker's own); without it, this worker runs none of their activities. */
  bulkSteps?: BulkOperationSteps;
}): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    dataConverter: journeyDataConverter(options.payloadKeys),
    activities: { ...createActivities(options.deps), ...(options.bulkSteps ? createBulkOperationActivities(options.bulkSteps) : {}) },
    ...journeyWorkflowCode(options),
  });
}
