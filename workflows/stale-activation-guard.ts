/**
 * Refuses an activation that delivers a timer or a signal on a stale clock, before any workflow code
 * runs, so that a journey never records a decision its replay would not make.
 *
 * Why (sdk-core 1.24 defect, root cause of the histories in test/fixtures/nondeterministic-histories):
 * a query that reaches the server while no workflow task is pending is sent straight to a worker (a
 * "legacy query"), with the history as it is when a worker picks it up. When the last worker was
 * killed, the query first waits about ten seconds on that worker's sticky queue; if a timer fires (or
 * a signal arrives) meanwhile, the history ends with TIMER_FIRED (or SIGNALED) and WORKFLOW_TASK_SCHEDULED
 * but no WORKFLOW_TASK_STARTED. A worker that has not cached the journey replays it to answer the query,
 * and core hands the trailing timer or signal to the workflow with the clock of the previous workflow
 * task (the clock moves only on WORKFLOW_TASK_STARTED). The journey decides on that stale time (nothing
 * due yet: wait again), the run stays cached, and the next real workflow task sends the stale command;
 * a replay at the right time decides otherwise, and every later workflow task fails on nondeterminism.
 *
 * How it tells: every real workflow task that brings a timer or a signal has new history events, so its
 * `historySize` (bytes, from WORKFLOW_TASK_STARTED) is larger than the previous activation's. The stale
 * activation has the previous size. Throwing here, before the jobs run, fails the legacy query (the caller
 * retries it) and makes core evict the run; the next workflow task then replays from the start at the
 * right time. Nothing is recorded in history. A size of 0 means the server does not report sizes: no check.
 */
import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** The error that refuses a stale activation (visible in the worker's log as a failed legacy query). */
export class StaleActivationError extends Error {
  override name = 'StaleActivationError';
}

/** Jobs that exist only because a new event reached the history. */
const EVENT_JOBS = new Set(['fireTimer', 'signalWorkflow']);

type Job = { variant?: string; resolveActivity?: { isLocal?: boolean | null } | null };

/**
 * Jobs that come without a new history event: a query, and a local activity's result (journey facts): core
 * runs a local activity while the workflow task that started it is still open, and hands back its result in
 * another activation of that same task, with the same history size. Such an activation is never refused
 * (it brings no timer or signal), and it does not count as the previous activation: the stale one to catch
 * carries the size of the last workflow task, whatever local activities ran in it.
 */
function bringsNoNewEvent(job: Job): boolean {
  return job.variant === 'queryWorkflow' || (job.variant === 'resolveActivity' && job.resolveActivity?.isLocal === true);
}

/** Called once per workflow run: the size seen last is this run's own, even in a shared V8 context. */
export const interceptors: WorkflowInterceptorsFactory = () => {
  let lastSize: number | undefined;
  return {
    internals: [
      {
        activate(input, next) {
          const activationJobs = (input.activation.jobs ?? []) as Job[];
          const jobs = activationJobs.map((job) => job.variant ?? '');
          // Queries run on the state as it is; later batches of one activation share its size.
          if (input.batchIndex === 0 && jobs.length > 0 && !activationJobs.every(bringsNoNewEvent)) {
            const size = workflowInfo().historySize;
            const stale = size > 0 && size === lastSize && jobs.some((job) => EVENT_JOBS.has(job));
            lastSize = size;
            if (stale) throw new StaleActivationError(`activation with ${jobs.join(', ')} on a stale clock (history size ${size} unchanged): evicted, replayed on the next task`);
          }
          return next(input);
        },
      },
    ],
  };
};
