import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  QueryNotRegisteredError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { customerOfTask } from './tasks';
import { reasonOf, refusingBadQuery, rootCause } from './temporal-answers';
import type {
  Booking,
  JourneyPause,
  JourneyState,
  MeetingChangeRequest,
  OwnerReassignment,
  OwnerTask,
  SteeringRequest,
  TaskCompletion,
} from '../../contracts/journey';
import { journeyWorkflow } from '../../workflows/journey';
import { JOURNEY_REVISION } from '../../contracts/journey';
import {
  changeMeetingUpdate,
  completeTaskUpdate,
  contactUnsubscribedSignal,
  journeyStateQuery,
  migrateMapUpdate,
  migrationPreviewQuery,
  productEventSignal,
  reassignOwnerUpdate,
  cancelJourneyUpdate,
  pauseJourneyUpdate,
  resumeJourneyUpdate,
} from '../../contracts/messages';
import {
  customerIdKey,
  customerSegmentKey,
  journeyAtRiskKey,
  journeyMapKey,
  journeyOwnersKey,
  journeyStageKey,
  journeyTermKey,
} from '../../contracts/search-attributes';
import { ConflictError, InvalidInputError, NotFoundError, RefusedError, type DomainError } from '../errors';
import { rolesOf, type Team } from '../maps/catalog';
import type { MapRegistry } from '../maps/registry';
import type { Owner, Purchase } from './customer';
import type { ProductEventInput } from './events';
import type { ListedTask, TaskReader } from '../facts/journey-facts';

export const journeyWorkflowId = (customerId: string) => `journey-${customerId}`;

export type { JourneyFilter, JourneySummary, MigrationOrder, MigrationResult, StartedJourney } from './journey-views';
import type { JourneyFilter, JourneySummary, MigrationOrder, MigrationResult, StartedJourney } from './journey-views';

/**
 * What the API and the CLI do with journeys, in business terms; the routes only parse and answer. One short
 * method per operation over the Temporal client; what it answers is in ./journey-views, how it reads Temporal's
 * failures in ./temporal-answers.
 */
export class JourneyService {
  constructor(
    private readonly client: Client,
    private readonly maps: MapRegistry,
    /** Who holds each role when a purchase names nobody for it. */
    private readonly team: Team,
    private readonly taskQueue: string,
    /** Demo clocks compress a journey's days: for the local stack and demos, never for real customers by accident. */
    private readonly allowDemoClock = false,
  ) {}

  /**
   * Starts the customer's journey once: the same purchase again finds the running journey. A customer
   * whose journey ended (churned) and who buys again starts a new one.
   */
  async startJourney(purchase: Purchase): Promise<StartedJourney> {
    const { mapId, demoClock, ...customerFields } = purchase;
    if (demoClock && !this.allowDemoClock) {
      throw new InvalidInputError('demoClock', 'demo clocks are switched off on this engine (ALLOW_DEMO_CLOCK=true switches them on)');
    }
    const map = await this.maps.forPurchase({ mapId, segment: purchase.segment });
    if (!map && mapId) {
      const published = (await this.maps.versions()).map((v) => v.id);
      throw new InvalidInputError('mapId', `no published map "${mapId}" (published: ${[...new Set(published)].join(', ') || 'none'})`);
    }
    if (!map) throw new ConflictError(`no published map for segment "${purchase.segment}" and no default map: publish one first`);
    const customer = { ...customerFields, owners: { ...this.team, ...customerFields.owners } };
    const unstaffed = [...rolesOf(map)].filter((role) => !customer.owners[role]);
    if (unstaffed.length > 0) {
      throw new InvalidInputError(`owners.${unstaffed[0]}`, `map "${map.id}" needs someone in this role and the team has no default`);
    }
    const workflowId = journeyWorkflowId(customer.customerId);
    try {
      await this.client.workflow.start(journeyWorkflow, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [{ customer, map, revision: JOURNEY_REVISION, ...(demoClock ? { clock: { dayMs: demoClock.secondsPerDay * 1000 } } : {}) }],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        staticSummary: `${customer.company}: ${map.name} (${customer.segment}, ${customer.plan})`,
        typedSearchAttributes: [
          { key: customerIdKey, value: customer.customerId },
          { key: customerSegmentKey, value: customer.segment },
          { key: journeyOwnersKey, value: [...new Set(Object.values(customer.owners).map((owner) => owner.email))] },
          { key: journeyMapKey, value: `${map.id}@${map.version}` },
          { key: journeyStageKey, value: map.stages[0]!.id },
          { key: journeyAtRiskKey, value: false },
          { key: journeyTermKey, value: 1 },
        ],
      });
      return { workflowId, created: true, map: { id: map.id, version: map.version } };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await this.describe(customer.customerId);
      const [id, version] = String(existing.typedSearchAttributes.get(journeyMapKey) ?? '@').split('@');
      return { workflowId, created: false, map: { id: id!, version: Number(version) } };
    }
  }

  /**
   * Delivers a product event to a running journey; an unknown customer is not found, an ended journey a
   * conflict. Signalled straight away: only a signal that finds no running journey asks Temporal which it is.
   */
  async deliverEvent(customerId: string, event: ProductEventInput): Promise<{ workflowId: string; eventId: string }> {
    const handle = this.client.workflow.getHandle(journeyWorkflowId(customerId));
    try {
      await handle.signal(productEventSignal, { ...event, occurredAt: event.occurredAt ?? new Date().toISOString() });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const description = await this.describe(customerId); // no journey at all: NotFoundError
      throw new ConflictError(`the journey of customer "${customerId}" has ended (${description.status.name.toLowerCase()})`);
    }
    return { workflowId: handle.workflowId, eventId: event.eventId };
  }

  /** The journey's live state, from the workflow itself. */
  async journeyState(customerId: string): Promise<JourneyState & { workflowId: string; status: string }> {
    const description = await this.describe(customerId);
    const handle = this.client.workflow.getHandle(journeyWorkflowId(customerId));
    const state = await handle.query(journeyStateQuery);
    return { workflowId: handle.workflowId, status: description.status.name, ...state };
  }

  /** The newest journeys matching the filter, from Temporal's visibility store. */
  async listJourneys(filter: JourneyFilter, limit = 100): Promise<JourneySummary[]> {
    // A renewal continues the journey as a new run: earlier terms' runs are closed and never listed.
    const clauses = ['WorkflowType = "journeyWorkflow"', 'ExecutionStatus != "ContinuedAsNew"'];
    if (filter.status !== 'all') clauses.push('ExecutionStatus = "Running"');
    const quote = (value: string) => `"${value.replace(/["\\]/g, '')}"`;
    if (filter.stage) clauses.push(`${journeyStageKey.name} = ${quote(filter.stage)}`);
    if (filter.segment) clauses.push(`${customerSegmentKey.name} = ${quote(filter.segment)}`);
    if (filter.owner) clauses.push(`${journeyOwnersKey.name} = ${quote(filter.owner)}`);
    if (filter.atRisk !== undefined) clauses.push(`${journeyAtRiskKey.name} = ${filter.atRisk}`);
    const journeys: JourneySummary[] = [];
    for await (const execution of this.client.workflow.list({ query: clauses.join(' AND ') })) {
      const attributes = execution.typedSearchAttributes;
      journeys.push({
        customerId: String(attributes.get(customerIdKey) ?? execution.workflowId.replace(/^journey-/, '')),
        workflowId: execution.workflowId,
        status: execution.status.name,
        stage: attributes.get(journeyStageKey),
        segment: attributes.get(customerSegmentKey),
        atRisk: attributes.get(journeyAtRiskKey),
        term: attributes.get(journeyTermKey),
        map: attributes.get(journeyMapKey),
        owners: attributes.get(journeyOwnersKey),
        startedAt: execution.startTime.toISOString(),
      });
      if (journeys.length >= limit) break;
    }
    return journeys;
  }

  /**
   * Moves running journeys to a published map version, one Temporal update per journey (or, for a dry
   * run, one query): each journey answers for itself, so one refusal never blocks the others.
   */
  async migrate(order: MigrationOrder): Promise<MigrationResult[]> {
    const map = await this.maps.get(order.mapId, order.toVersion);
    if (!map) throw new InvalidInputError('toVersion', `map "${order.mapId}" version ${order.toVersion} is not published`);
    const request = { map, stageMapping: order.stageMapping, milestoneMapping: order.milestoneMapping };
    const clauses = ['WorkflowType = "journeyWorkflow"', 'ExecutionStatus = "Running"', `${journeyMapKey.name} != "${map.id}@${map.version}"`];
    if (order.query) clauses.push(`(${order.query})`);
    const results: MigrationResult[] = [];
    for await (const execution of refusingBadQuery(this.client.workflow.list({ query: clauses.join(' AND ') }))) {
      const onMap = String(execution.typedSearchAttributes.get(journeyMapKey) ?? '');
      if (!onMap.startsWith(`${map.id}@`)) continue; // journeys on other maps move only when named by the query's map
      const customerId = String(execution.typedSearchAttributes.get(customerIdKey) ?? execution.workflowId);
      const handle = this.client.workflow.getHandle(execution.workflowId);
      const result = { customerId, workflowId: execution.workflowId };
      try {
        if (order.dryRun) {
          const preview = await handle.query(migrationPreviewQuery, request);
          results.push('plan' in preview ? { ...result, outcome: 'would migrate', plan: preview.plan } : { ...result, outcome: 'refused', reason: preview.refused });
        } else {
          results.push({ ...result, outcome: 'migrated', plan: await handle.executeUpdate(migrateMapUpdate, { args: [request] }) });
        }
      } catch (err) {
        // A refused update fails its validator (a refused preview says so in its answer, above); a preview that
        // fails anyway fails its query (the SDK names every query failure "not registered").
        if (!(err instanceof WorkflowUpdateFailedError || err instanceof QueryNotRegisteredError)) throw err;
        results.push({ ...result, outcome: 'refused', reason: reasonOf(err) });
      }
    }
    return results;
  }

  /**
   * An owner's tasks (or everybody's open ones), by due date, from the engine database: open ones from the open
   * tasks the journeys keep there, done ones from their task.completed facts. One query each.
   */
  async listTasks(tasks: TaskReader, owner: string | undefined, status: 'open' | 'done' | 'all' = 'open'): Promise<ListedTask[]> {
    if (owner === undefined && status !== 'open') throw new InvalidInputError('owner', 'is required for done tasks');
    const open = status === 'done' ? [] : await tasks.openTasks(owner);
    const done = status === 'open' || owner === undefined ? [] : await tasks.doneTasks(owner);
    return [...open, ...done].sort((a, b) => a.dueAt.localeCompare(b.dueAt));
  }

  /** Completes a task in its journey; completing it again answers the first completion. */
  async completeTask(completion: TaskCompletion): Promise<OwnerTask> {
    const customerId = customerOfTask(completion.taskId);
    if (!customerId) throw new NotFoundError(`no task "${completion.taskId}"`);
    return this.update(customerId, completeTaskUpdate, completion);
  }

  /** Someone else holds an owner role for this customer from now on; open tasks move to them. */
  async reassignOwner(customerId: string, role: string, owner: Owner): Promise<OwnerReassignment> {
    return this.update(customerId, reassignOwnerUpdate, { role, owner }, (reason) => new InvalidInputError('role', reason));
  }

  /** Pauses a running journey: nothing is performed and no stage moves until it is resumed. */
  async pauseJourney(customerId: string, request: SteeringRequest): Promise<JourneyPause> {
    return this.update(customerId, pauseJourneyUpdate, request);
  }

  /** Resumes a paused journey: what fell due meanwhile happens now, and the events held are acted on. */
  async resumeJourney(customerId: string, request: SteeringRequest): Promise<JourneyPause & { resumedAt: string; eventsHeld: number }> {
    return this.update(customerId, resumeJourneyUpdate, request);
  }

  /** Ends a journey for a reason someone on the team gives; the customer did not churn. */
  async cancelJourney(customerId: string, request: SteeringRequest): Promise<{ cancelledAt: string; reason: string }> {
    return this.update(customerId, cancelJourneyUpdate, request);
  }

  /** Reschedules or cancels a booked call or training session. */
  async changeMeeting(customerId: string, request: MeetingChangeRequest): Promise<Booking> {
    return this.update(customerId, changeMeetingUpdate, request);
  }

  /** The contact unsubscribed through a link: their journey stops emailing them. An ended journey has nothing to stop. */
  async contactUnsubscribed(customerId: string, email: string): Promise<void> {
    try {
      await this.client.workflow.getHandle(journeyWorkflowId(customerId)).signal(contactUnsubscribedSignal, { email, at: new Date().toISOString() });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  /** Runs an update on a running journey; a refusal by its validator becomes the error `refused` makes (a RefusedError unless told). */
  private async update<Ret, Arg>(
    customerId: string,
    update: UpdateDefinition<Ret, [Arg]>,
    arg: Arg,
    refused: (reason: string) => DomainError = (reason) => new RefusedError(reason),
  ): Promise<Ret> {
    const description = await this.describe(customerId);
    if (description.status.name !== 'RUNNING') throw new ConflictError(`the journey of customer "${customerId}" has ended`);
    try {
      return await this.client.workflow.getHandle(journeyWorkflowId(customerId)).executeUpdate(update, { args: [arg] });
    } catch (err) {
      // The run ended (or continued into the next term) while the update waited: the caller may try again.
      if (err instanceof WorkflowNotFoundError) throw new ConflictError(`the journey of customer "${customerId}" moved on; try again`);
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      throw rootCause(err).type === 'NotFound' ? new NotFoundError(reasonOf(err)) : refused(reasonOf(err));
    }
  }

  private async describe(customerId: string): Promise<WorkflowExecutionDescription> {
    try {
      return await this.client.workflow.getHandle(journeyWorkflowId(customerId)).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no journey for customer "${customerId}"`);
      throw err;
    }
  }
}
