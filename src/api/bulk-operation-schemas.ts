/**
 * What the bulk operation routes (bulk-operation-routes.ts) read and answer, as zod schemas: the routes parse with
 * the request schemas, the API description (openapi.ts) reads both. The checks at the end fail to compile until the
 * schemas agree with the contracts' and the service's types.
 */
import { z } from 'zod';
import { BULK_ACTIONS, type BulkJourneyResult, type BulkOrder } from '../../contracts/bulk-operations';
import type { BulkOperationReport, BulkOperationSummary, StartedBulkOperation } from '../journeys/bulk-operations';
import { roleName } from '../journeys/customer';
import type { Same } from '../type-checks';
import { migrationOrder, pauseRequest } from './request-schemas';

const selection = {
  query: z.string().trim().min(1).max(2000).describe('a visibility query over the journeys\' search attributes, e.g. CustomerSegment = "startup"; ANDed with "running journeys"'),
  by: pauseRequest.shape.by.describe('who asks for it: recorded in each journey with the operation id'),
};
const reason = pauseRequest.shape.reason;

/** One object per action, so each names only what it needs: a reason to pause or cancel, whom to reassign, where to migrate. */
export const bulkOrder = z
  .discriminatedUnion(
    'action',
    [
      z.strictObject({ action: z.literal('pause'), ...selection, reason }),
      z.strictObject({ action: z.literal('resume'), ...selection }),
      z.strictObject({ action: z.literal('cancel'), ...selection, reason }),
      z.strictObject({
        action: z.literal('reassign'),
        ...selection,
        reassign: z.strictObject({ role: roleName, ownerId: z.email().describe('the email of the team member (maps/team.yaml) who holds the role from now on') }),
      }),
      z.strictObject({ action: z.literal('migrate'), ...selection, migrate: migrationOrder.pick({ mapId: true, toVersion: true, stageMapping: true, milestoneMapping: true }) }),
    ],
    { error: (issue) => (issue.code === 'invalid_union' ? `must be one of ${BULK_ACTIONS.join(', ')}` : undefined) },
  )
  .meta({ id: 'BulkOrder', description: 'One action for every running journey the query selects (migrate also needs the scope maps:write).' });

export const bulkOperationParams = z.object({ operationId: z.string().regex(/^bulk-[0-9a-f-]{36}$/, 'must be a bulk operation id (bulk-<uuid>)') });
export const bulkOperationFilter = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

const instant = z.string().describe('an ISO instant');
const counts = {
  operationId: z.string(),
  action: z.string(),
  query: z.string(),
  startedAt: instant,
  total: z.number().int().describe('journeys selected, once, at the start'),
  done: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  finished: z.boolean(),
  finishedAt: instant.optional(),
  refused: z.string().optional().describe('why the operation acted on nothing (its order or selection was refused)'),
  status: z.string().describe("its workflow's status: RUNNING, COMPLETED, ..."),
};
const bulkJourneyResult = z.object({
  customerId: z.string(),
  workflowId: z.string(),
  outcome: z.enum(['done', 'skipped', 'failed']),
  reason: z.string().optional(),
});
const self = z.object({ self: z.string() });

export const bulkOperationStarted = z.object({ operationId: z.string(), total: z.number().int(), links: self });
export const bulkOperationReport = z
  .object({ ...counts, results: z.array(bulkJourneyResult).describe('one per journey acted on so far'), links: self })
  .meta({ id: 'BulkOperation', description: 'Where a bulk operation stands, and what happened to each journey.' });
export const bulkOperationSummary = z.object(counts);

const answersMatchTheirTypes: [
  Same<z.infer<typeof bulkOrder>['action'], BulkOrder['action']>,
  Same<z.infer<typeof bulkJourneyResult>, BulkJourneyResult>,
  Same<z.infer<typeof bulkOperationStarted>, StartedBulkOperation>,
  Same<z.infer<typeof bulkOperationSummary>, BulkOperationSummary>,
  Same<z.infer<typeof bulkOperationReport>, BulkOperationReport>,
] = [true, true, true, true, true];
void answersMatchTheirTypes;
