import { ApplicationFailure } from '@temporalio/activity';
import type { BulkOperationSteps, BulkSelectionInput, BulkStepInput, BulkStepResult } from '../contracts/bulk-operations';
import { InvalidInputError } from '../src/errors';

/** The failure type of a selection Temporal refuses: retrying the same query cannot fix it. */
export const BAD_SELECTION = 'BadSelection';

/**
 * The bulk operation's activities, bound to the worker's steps (src/journeys/bulk-steps.ts): none without them, so a
 * worker that runs no bulk operations needs no Temporal client of its own. Workflows proxy the type of what this returns.
 */
export function createBulkOperationActivities(steps: BulkOperationSteps) {
  return {
    /** Lists the running journeys a bulk operation's query selects, paging through Temporal's visibility. */
    selectJourneys: async (input: BulkSelectionInput): Promise<{ customerIds: string[] }> => {
      try {
        return await steps.selectJourneys(input);
      } catch (err) {
        if (err instanceof InvalidInputError) throw ApplicationFailure.create({ type: BAD_SELECTION, message: err.message, nonRetryable: true });
        throw err;
      }
    },
    /** Applies a bulk operation's action to one journey: done, skipped (with why) or failed (with why). */
    applyToJourney: (input: BulkStepInput): Promise<BulkStepResult> => steps.applyToJourney(input),
  };
}
