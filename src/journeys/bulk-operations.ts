/**
 * Bulk operations as the API and the CLI see them: start one (its order checked here first, so a mistake is the
 * caller's 400 and not a refused operation), read where one stands, list recent ones. The work itself is the
 * bulkOperationWorkflow's (workflows/bulk-operation.ts), with the steps of ./bulk-steps on the workers.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  BULK_OPERATION_PREFIX,
  MAX_BULK_SELECTION,
  type BulkOperationProgress,
  type BulkOrder,
} from '../../contracts/bulk-operations';
import { bulkOperationProgressQuery } from '../../contracts/messages';
import { bulkOperationWorkflow } from '../../workflows/bulk-operation';
import { bulkOrderProblem, journeySelectionQuery } from '../../workflows/bulk-order';
import { InvalidInputError, NotFoundError } from '../errors';
import type { Team } from '../maps/catalog';
import type { MapRegistry } from '../maps/registry';
import { teamMember } from './bulk-steps';
import { asBadQuery } from './temporal-answers';

const WORKFLOW_TYPE = 'bulkOperationWorkflow';

export interface StartedBulkOperation {
  operationId: string;
  /** Journeys the query selected when the operation was started (the operation's own selection follows at once). */
  total: number;
  links: { self: string };
}

/** An operation as the listing shows it: its counts as of its last progress report (its memo). */
export type BulkOperationSummary = Omit<BulkOperationProgress, 'results'> & { status: string };

/** Where an operation stands, with the status of its workflow (RUNNING, COMPLETED, or how it ended otherwise). */
export type BulkOperationReport = BulkOperationProgress & { status: string; links: { self: string } };

const selfLink = (operationId: string) => `/v1/bulk-operations/${operationId}`;

export class BulkOperations {
  constructor(
    private readonly client: Client,
    private readonly maps: MapRegistry,
    /** Whom a reassignment may name: the team's members, by email. */
    private readonly team: Team,
    private readonly taskQueue: string,
  ) {}

  /** Checks the order, counts its selection and starts the operation; it runs on without the caller. */
  async start(order: BulkOrder): Promise<StartedBulkOperation> {
    const problem = bulkOrderProblem(order);
    if (problem) throw new InvalidInputError(problem.field, problem.message);
    await this.checkTargets(order);
    const total = await this.count(order.query);
    if (total > MAX_BULK_SELECTION) throw new InvalidInputError('query', `selects ${total} journeys; one operation takes at most ${MAX_BULK_SELECTION}: narrow it`);
    const operationId = `${BULK_OPERATION_PREFIX}${randomUUID()}`;
    await this.client.workflow.start(bulkOperationWorkflow, {
      workflowId: operationId,
      taskQueue: this.taskQueue,
      args: [{ order }],
      workflowIdConflictPolicy: 'FAIL',
      staticSummary: `${order.action} of the journeys where ${order.query}`.slice(0, 200),
      memo: { progress: { operationId, action: order.action, query: order.query, startedAt: new Date().toISOString(), total, done: 0, skipped: 0, failed: 0, finished: false } },
    });
    return { operationId, total, links: { self: selfLink(operationId) } };
  }

  /** The operation's progress and one result per journey acted on: from the workflow while it runs, its result once done. */
  async progress(operationId: string): Promise<BulkOperationReport> {
    const handle = this.client.workflow.getHandle<typeof bulkOperationWorkflow>(operationId);
    let status: string;
    let memo: Record<string, unknown> | undefined;
    try {
      const description = await handle.describe();
      if (description.type !== WORKFLOW_TYPE) throw new NotFoundError(`no bulk operation "${operationId}"`);
      status = description.status.name;
      memo = description.memo;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no bulk operation "${operationId}"`);
      throw err;
    }
    const progress =
      status === 'RUNNING' ? await handle.query(bulkOperationProgressQuery)
      : status === 'COMPLETED' ? await handle.result()
      // Terminated or timed out: what its last report said, and that it ended so.
      : { ...(memo?.progress as BulkOperationProgress), finished: true, refused: `the operation's workflow ended: ${status.toLowerCase()}`, results: [] };
    return { ...progress, status, links: { self: selfLink(operationId) } };
  }

  /** The newest operations first, at most `limit`, each as its last progress report. */
  async list(limit = 50): Promise<BulkOperationSummary[]> {
    const operations: BulkOperationSummary[] = [];
    const query = `WorkflowType = "${WORKFLOW_TYPE}" AND ExecutionStatus != "ContinuedAsNew"`;
    for await (const execution of this.client.workflow.list({ query })) {
      const progress = execution.memo?.progress as Omit<BulkOperationProgress, 'results'> | undefined;
      operations.push({
        ...(progress ?? { action: '', query: '', total: 0, done: 0, skipped: 0, failed: 0, finished: false }),
        operationId: execution.workflowId,
        startedAt: progress?.startedAt ?? execution.startTime.toISOString(),
        status: execution.status.name,
      });
      if (operations.length >= limit) break;
    }
    return operations;
  }

  /** What only the engine can tell about an order: that its owner is in the team, its map version published. */
  private async checkTargets(order: BulkOrder): Promise<void> {
    if (order.action === 'reassign') {
      const { role, ownerId } = order.reassign!;
      if (!Object.hasOwn(this.team, role)) throw new InvalidInputError('reassign.role', `is not a role of the team (roles: ${Object.keys(this.team).join(', ')})`);
      if (!teamMember(this.team, ownerId)) {
        throw new InvalidInputError('reassign.ownerId', `is not in the team (members: ${Object.values(this.team).map((owner) => owner.email).join(', ')})`);
      }
    }
    if (order.action === 'migrate') {
      const { mapId, toVersion } = order.migrate!;
      if (!(await this.maps.get(mapId, toVersion))) throw new InvalidInputError('migrate.toVersion', `map "${mapId}" version ${toVersion} is not published`);
    }
  }

  /** Journeys the query selects now; a query Temporal refuses is the caller's mistake. */
  private async count(query: string): Promise<number> {
    try {
      return (await this.client.workflow.count(journeySelectionQuery(query, new Date().toISOString()))).count;
    } catch (err) {
      throw asBadQuery(err);
    }
  }
}
