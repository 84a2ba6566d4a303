/**
 * A bulk operation: one action (pause, resume, cancel, reassign an owner, migrate to a map version) applied to every
 * running journey a visibility query selects, as one workflow (workflows/bulk-operation.ts) that the API starts and
 * reports on. Shared by the workflow, its activities and the services.
 */

export const BULK_ACTIONS = ['pause', 'resume', 'cancel', 'reassign', 'migrate'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Journeys one operation takes at most: its results travel in one payload (well under Temporal's 2 MB). */
export const MAX_BULK_SELECTION = 5_000;
/** Journeys acted on at once: enough to be quick, few enough not to crowd the workers' other work. */
export const BULK_CONCURRENCY = 10;
/** The workflow ids of bulk operations begin so (bulk-<uuid>); nothing else does. */
export const BULK_OPERATION_PREFIX = 'bulk-';

export interface BulkOrder {
  action: BulkAction;
  /** A visibility query over the journeys' search attributes (`CustomerSegment = "startup"`): ANDed with "running journeys". */
  query: string;
  /** Why: required to pause and to cancel; recorded in each journey. */
  reason?: string;
  /** Who asked for it (a name or address), recorded in each journey with the operation's id. */
  by?: string;
  /** For `reassign`: the role, and the team member (by email) who holds it from now on. */
  reassign?: { role: string; ownerId: string };
  /** For `migrate`: the published map version to move to, and where renamed stages and milestones went. */
  migrate?: { mapId: string; toVersion: number; stageMapping?: Record<string, string>; milestoneMapping?: Record<string, string> };
}

/** What happened to one journey: done; skipped (nothing to do: already so, ended, no such role); failed (refused, or an error). */
export type BulkOutcome = 'done' | 'skipped' | 'failed';

export interface BulkJourneyResult {
  customerId: string;
  workflowId: string;
  outcome: BulkOutcome;
  reason?: string;
}

/** Where an operation stands: what the progress query and the workflow's result answer. */
export interface BulkOperationProgress {
  operationId: string;
  /** A BulkAction; as the order gave it when the order was refused. */
  action: string;
  query: string;
  startedAt: string;
  /** Journeys selected: taken once, at the start (journeys that start later are not included). */
  total: number;
  done: number;
  skipped: number;
  failed: number;
  finished: boolean;
  finishedAt?: string;
  /** Set when the operation acted on nothing because its order (or selection) was refused. */
  refused?: string;
  /** One per journey acted on so far, in the order they finished. */
  results: BulkJourneyResult[];
}

/** A bulk operation's step for one journey: the order, the operation (its workflow id) and the customer. */
export interface BulkStepInput {
  order: BulkOrder;
  operationId: string;
  customerId: string;
}

export interface BulkStepResult {
  outcome: BulkOutcome;
  reason?: string;
}

/** The selection step: the order's query, the operation's start (journeys started later are not selected), and how many at most. */
export interface BulkSelectionInput {
  query: string;
  startedBefore: string;
  limit: number;
}

/** What a bulk operation's activities act with: on a worker, src/journeys/bulk-steps.ts, through the journey service. */
export interface BulkOperationSteps {
  selectJourneys(input: BulkSelectionInput): Promise<{ customerIds: string[] }>;
  applyToJourney(input: BulkStepInput): Promise<BulkStepResult>;
}
