/**
 * The steps of a bulk operation, as its activities run them on a worker: take the selection from Temporal's
 * visibility, and apply the action to one journey through the journey service's own single-journey methods (the very
 * code the API's pause, resume, cancel, reassign and migrate routes run). Each step is idempotent: a journey this
 * operation already paused (a retried step) counts as done; one paused by somebody else is skipped, with the reason.
 */
import type { Client } from '@temporalio/client';
import type { BulkOperationSteps, BulkOrder, BulkSelectionInput, BulkStepInput, BulkStepResult } from '../../contracts/bulk-operations';
import type { JourneyState } from '../../contracts/journey';
import { journeySelectionQuery } from '../../workflows/bulk-order';
import { ConflictError, InvalidInputError, NotFoundError, RefusedError } from '../errors';
import type { Team } from '../maps/catalog';
import type { Owner } from './customer';
import { journeyWorkflowId, type JourneyService } from './service';
import { refusingBadQuery } from './temporal-answers';

/** The team member an order names by email (a role's holder), or undefined. */
export function teamMember(team: Team, ownerId: string): Owner | undefined {
  return Object.values(team).find((owner) => owner.email.toLowerCase() === ownerId.trim().toLowerCase());
}

export class BulkSteps implements BulkOperationSteps {
  constructor(
    private readonly client: Client,
    private readonly journeys: JourneyService,
    private readonly team: Team,
  ) {}

  /** The customers whose journeys the query selects now (running, started before the operation), at most `limit`. */
  async selectJourneys(input: BulkSelectionInput): Promise<{ customerIds: string[] }> {
    const customerIds: string[] = [];
    const executions = this.client.workflow.list({ query: journeySelectionQuery(input.query, input.startedBefore), pageSize: 500 });
    for await (const execution of refusingBadQuery(executions)) {
      // Journeys only, whatever the query said: their workflow ids are journey-<customerId>.
      if (execution.type !== 'journeyWorkflow' || !execution.workflowId.startsWith('journey-')) continue;
      customerIds.push(execution.workflowId.slice('journey-'.length));
      if (customerIds.length >= input.limit) break;
    }
    return { customerIds: [...new Set(customerIds)] };
  }

  /** Applies the order's action to one journey; a journey with nothing to do is skipped, one that refuses failed. */
  async applyToJourney({ order, operationId, customerId }: BulkStepInput): Promise<BulkStepResult> {
    const by = `${order.by ? `${order.by}, ` : ''}${operationId}`;
    try {
      await this.apply(order, customerId, by);
      return { outcome: 'done' };
    } catch (err) {
      if (err instanceof MigrationRefused) return { outcome: 'failed', reason: err.message };
      if (!(err instanceof ConflictError || err instanceof NotFoundError || err instanceof RefusedError || err instanceof InvalidInputError)) throw err;
      // Refused because an earlier attempt of this very step already did it (its answer was lost): done.
      if (order.action !== 'reassign' && order.action !== 'migrate' && (await this.doneBefore(order, customerId, by))) return { outcome: 'done' };
      return { outcome: 'skipped', reason: err.message };
    }
  }

  private async apply(order: BulkOrder, customerId: string, by: string): Promise<void> {
    const steering = { by, ...(order.reason ? { reason: order.reason } : {}) };
    if (order.action === 'pause') await this.journeys.pauseJourney(customerId, steering);
    else if (order.action === 'resume') await this.journeys.resumeJourney(customerId, { by });
    else if (order.action === 'cancel') await this.journeys.cancelJourney(customerId, steering);
    else if (order.action === 'reassign') {
      const { role, ownerId } = order.reassign!;
      const owner = teamMember(this.team, ownerId);
      if (!owner) throw new InvalidInputError('reassign.ownerId', `"${ownerId}" is not in the team`);
      await this.journeys.reassignOwner(customerId, role, owner);
    } else await this.migrate(order, customerId);
  }

  /** The service's migration, narrowed to this one journey: it moves it, refuses it, or does not select it (nothing to do). */
  private async migrate(order: BulkOrder, customerId: string): Promise<void> {
    const { mapId, toVersion, stageMapping, milestoneMapping } = order.migrate!;
    const query = `WorkflowId = "${journeyWorkflowId(customerId)}"`;
    const [result] = await this.journeys.migrate({ mapId, toVersion, query, stageMapping, milestoneMapping });
    if (!result) throw new ConflictError(`not running on an older version of map "${mapId}" (already on version ${toVersion}, on another map, or ended)`);
    if (result.outcome === 'refused') throw new MigrationRefused(result.reason ?? 'the journey refused the migration');
  }

  /** Whether the journey already is as this operation (`by`) left it: paused, resumed or cancelled by it. */
  private async doneBefore(order: BulkOrder, customerId: string, by: string): Promise<boolean> {
    let state: JourneyState;
    try {
      state = await this.journeys.journeyState(customerId);
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
    if (order.action === 'pause') return state.paused?.by === by;
    if (order.action === 'resume') return !state.paused && state.pauses?.at(-1)?.resumedBy === by;
    return state.outcome?.type === 'cancelled' && state.outcome.by === by;
  }
}

/** A journey refused to move (its migration validator): the step failed for it, with the journey's reason. */
class MigrationRefused extends Error {}
