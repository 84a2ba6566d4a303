/** Temporal's failures as the journey service reads them: a caller's bad query, why a journey refused an update. */
import { status as grpcStatus } from '@grpc/grpc-js';
import { type QueryNotRegisteredError, WorkflowUpdateFailedError } from '@temporalio/client';
import { InvalidInputError } from '../errors';

/** The executions a visibility query lists; a query Temporal cannot parse is the caller's mistake (the order's `query`), not a failure. */
export async function* refusingBadQuery<T>(executions: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* executions;
  } catch (err) {
    throw asBadQuery(err);
  }
}

/** What a visibility call (a list, a count) failed with: the caller's InvalidInputError for a query Temporal cannot parse, else the error as it is. */
export function asBadQuery(err: unknown): unknown {
  for (let e = err as { code?: unknown; details?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth += 1) {
    if (e.code === grpcStatus.INVALID_ARGUMENT) {
      return new InvalidInputError('query', `is not a visibility query Temporal accepts (${typeof e.details === 'string' ? e.details : 'invalid query'})`);
    }
  }
  return err;
}

/** Why an update or a preview was refused: the innermost cause (an activity's own failure, not "Activity task failed"). */
export function reasonOf(err: WorkflowUpdateFailedError | QueryNotRegisteredError): string {
  return err instanceof WorkflowUpdateFailedError ? rootCause(err).message : err.message;
}

export function rootCause(err: Error): Error & { type?: string } {
  let cause: Error & { type?: string } = err;
  while (cause.cause instanceof Error) cause = cause.cause;
  return cause;
}
