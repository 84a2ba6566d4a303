/**
 * Refuses an activation that delivers a timer, a signal or an activity result on a stale clock, before any
 * workflow code runs, so that a journey never records a decision its replay would not make.
 *
 * Why (sdk-core 1.24 defect, root cause of the histories in test/fixtures/nondeterministic-histories):
 * a query that reaches the server while no workflow task is pending is sent straight to a worker (a
 * "legacy query"), with the history as it is when a worker picks it up. When the last worker was
 * killed, the query first waits about ten seconds on that worker's sticky queue; if a timer fires (or
 * a signal arrives, or an activity completes) meanwhile, the history ends with TIMER_FIRED (or SIGNALED,
 * ACTIVITY_TASK_COMPLETED) and WORKFLOW_TASK_SCHEDULED
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

type Job = { variant?: string; resolveActivity?: { isLocal?: boolean | null } | null; fireTimer?: { seq?: number | null } | null };

/**
 * Jobs that exist only because a new event reached the history: a timer fired, a signal, an activity's
 * result (ACTIVITY_TASK_COMPLETED, FAILED, ...: the same defect, seen in test/integration/chaos-replay.test.ts,
 * where a touchpoint's result applied on the previous task's clock left a timer for a time already past).
 * Not a local activity's result (journey facts), which comes within the workflow task that asked for it.
 */
function isEventJob(job: Job): boolean {
  return job.variant === 'fireTimer' || job.variant === 'signalWorkflow' || (job.variant === 'resolveActivity' && job.resolveActivity?.isLocal !== true);
}

/**
 * Called once per workflow run: the size seen last and the timers' due times are this run's own, even in a
 * shared V8 context.
 *
 * A second check, for timers, that needs no history size: a timer never fires before it is due by the
 * workflow's clock (the task that delivers it starts after the server fired it, which is after it was due).
 * A stale activation's clock is the previous task's, so its timer comes early. This catches the stale timer
 * after a workflow task the worker was never activated for (one core makes to hand back a local activity's
 * result, with a history size of its own), where the size check cannot tell.
 */
export const interceptors: WorkflowInterceptorsFactory = () => {
  let lastSize: number | undefined;
  const timersDue = new Map<number, number>();
  return {
    outbound: [
      {
        startTimer(input, next) {
          timersDue.set(input.seq, Date.now() + input.durationMs);
          return next(input);
        },
      },
    ],
    internals: [
      {
        activate(input, next) {
          const activationJobs = (input.activation.jobs ?? []) as Job[];
          const jobs = activationJobs.map((job) => job.variant ?? '');
          // Queries run on the state as it is; later batches of one activation share its size. Every other
          // activation counts, a local activity's result too: a workflow task made only to hand one back has
          // a size of its own, and a stale timer after it carries that size (seen in chaos-replay).
          if (input.batchIndex === 0 && jobs.length > 0 && !jobs.every((job) => job === 'queryWorkflow')) {
            const size = workflowInfo().historySize;
            const now = Date.now();
            const early = activationJobs.some((job) => job.variant === 'fireTimer' && now < (timersDue.get(job.fireTimer?.seq ?? -1) ?? 0));
            const stale = early || (size > 0 && size === lastSize && activationJobs.some(isEventJob));
            lastSize = size;
            for (const job of activationJobs) if (job.variant === 'fireTimer') timersDue.delete(job.fireTimer?.seq ?? -1);
            if (stale) throw new StaleActivationError(`activation with ${jobs.join(', ')} on a stale clock (history size ${size} unchanged): evicted, replayed on the next task`);
          }
          return next(input);
        },
      },
    ],
  };
};
