/**
 * One customer's timeline: everything their journey did, in time order (the product events it received, stage
 * changes, touchpoints with their results, meetings and attendance, tasks, risk, goals, migrations, pauses,
 * experiment arms, the term's outcome), who owns the moment now, what is next and when, and where the journey
 * is in the Temporal UI. Facts come from the engine database (every term of the journey); the events received
 * from the journey's current run in Temporal (signals, decrypted by the client); the present from the journey.
 */
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { Client } from '@temporalio/client';
import type { Owner } from '../../contracts/customer';
import type { ProductEvent } from '../../contracts/events';
import type { JourneyPause, JourneyState } from '../../contracts/journey';
import { productEventSignal } from '../../contracts/messages';
import type { JourneyHistoryReader, RecordedFact } from '../facts/journey-facts';
import type { MapRegistry } from '../maps/registry';
import type { JourneyService } from './service';

export interface TimelineEntry {
  at: string;
  /** A fact kind (contracts/facts.ts), or `event.received`. */
  kind: string;
  /** The entry in words, as a person reads the timeline. */
  title: string;
  term?: number;
  detail: Record<string, unknown>;
}

export interface JourneyTimeline {
  customerId: string;
  workflowId: string;
  status: string;
  map: string;
  term: number;
  stage: string;
  atRisk: boolean;
  paused?: JourneyPause;
  /** Who owns the moment: the owner of the stage the journey is in. */
  owner?: Owner;
  /** The next touchpoint due, and when. */
  next?: { name: string; action: string; at: string; owner: Owner };
  /** The journey's page in the Temporal UI. */
  temporalUi: string;
  entries: TimelineEntry[];
}

export class JourneyTimelines {
  constructor(
    private readonly client: Client,
    private readonly journeys: JourneyService,
    private readonly maps: MapRegistry,
    private readonly facts: JourneyHistoryReader,
    private readonly temporalUi: { url: string; namespace: string },
  ) {}

  async timeline(customerId: string): Promise<JourneyTimeline> {
    const state = await this.journeys.journeyState(customerId); // NotFoundError for a customer without a journey
    const [facts, events, map] = await Promise.all([
      this.facts.factsOfLatestJourney(customerId),
      this.eventsReceived(state.workflowId),
      this.maps.get(state.mapId, state.mapVersion),
    ]);
    // At the same moment, an event comes before what it caused (the sort keeps that order).
    const entries = [...events.map(eventEntry), ...facts.map(factEntry)].sort((a, b) => a.at.localeCompare(b.at));
    const stageOwnerRole = map?.stages.find((stage) => stage.id === state.stage)?.owner;
    const next = nextTouchpoint(state);
    return {
      customerId,
      workflowId: state.workflowId,
      status: state.status,
      map: `${state.mapId}@${state.mapVersion}`,
      term: state.term,
      stage: state.stage,
      atRisk: state.atRisk,
      ...(state.paused ? { paused: state.paused } : {}),
      ...((stageOwnerRole && state.owners?.[stageOwnerRole]) || next ? { owner: (stageOwnerRole && state.owners?.[stageOwnerRole]) || next!.owner } : {}),
      ...(next ? { next } : {}),
      temporalUi: `${this.temporalUi.url.replace(/\/$/, '')}/namespaces/${encodeURIComponent(this.temporalUi.namespace)}/workflows/${encodeURIComponent(state.workflowId)}`,
      entries,
    };
  }

  /** The product events the journey's current run received, as it received them (earlier terms' runs keep theirs). */
  private async eventsReceived(workflowId: string): Promise<ProductEvent[]> {
    const history = await this.client.workflow.getHandle(workflowId).fetchHistory();
    const converter = this.client.options.loadedDataConverter;
    const events: ProductEvent[] = [];
    for (const event of history.events ?? []) {
      const signal = event.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName !== productEventSignal.name) continue;
      const received = await decodeFromPayloadsAtIndex<ProductEvent>(converter, 0, signal.input?.payloads);
      if (received && typeof received === 'object' && typeof received.type === 'string') events.push(received);
    }
    return events;
  }
}

function nextTouchpoint(state: JourneyState): JourneyTimeline['next'] {
  const pending = state.touchpoints.filter((t) => t.status === 'pending').sort((a, b) => a.dueAt.localeCompare(b.dueAt))[0];
  return pending ? { name: pending.name, action: pending.action, at: pending.dueAt, owner: pending.owner } : undefined;
}

function eventEntry(event: ProductEvent): TimelineEntry {
  const { eventId, type, occurredAt, ...fields } = event;
  const shown = Object.entries(fields).map(([name, value]) => `${name}=${String(value)}`);
  return { at: occurredAt, kind: 'event.received', title: `Event ${type}${shown.length ? ` (${shown.join(', ')})` : ''}`, detail: { eventId, type, ...fields } };
}

/** A fact in words. */
function factEntry(fact: RecordedFact): TimelineEntry {
  // The detail each fact kind holds: workflows/interpreter/facts.ts.
  const d = fact.detail as Record<string, string | number | boolean | undefined> & { owner?: string | { name?: string; email?: string } };
  const titles: Record<string, () => string> = {
    'stage.entered': () => `Entered ${fact.subject}${d.passedOver ? ' (passed over)' : ''}`,
    'stage.left': () => `Left ${fact.subject}: ${d.reason ?? ''}`,
    'milestone.reached': () => `Milestone "${d.name ?? fact.subject}" reached${d.onTime === undefined ? '' : d.onTime ? ' on time' : ' late'}`,
    'milestone.missed': () => `Milestone "${d.name ?? fact.subject}" missed`,
    'meeting.attended': () => `${d.kind ?? 'Meeting'} "${d.topic ?? ''}" attended`,
    'meeting.no-show': () => `${d.kind ?? 'Meeting'} "${d.topic ?? ''}": no-show`,
    'task.opened': () => `Task for ${typeof d.owner === 'object' ? (d.owner.name ?? d.owner.email) : (d.owner ?? 'an owner')}: ${d.title ?? fact.subject}`,
    'task.completed': () => `Task done: ${d.title ?? fact.subject}${d.outcome ? ` (${d.outcome})` : ''}`,
    'risk.marked': () => `Marked at risk: ${fact.subject}`,
    'goal.met': () => `Goal "${d.name ?? fact.subject}" met`,
    'goal.missed': () => `Goal "${d.name ?? fact.subject}" missed`,
    'outcome.renewed': () => 'Renewed: the next term begins',
    'outcome.churned': () => 'Churned',
    'outcome.cancelled': () => `Cancelled: ${fact.subject}`,
    migration: () => `Moved to ${fact.subject}`,
    'journey.paused': () => `Paused${d.by ? ` by ${d.by}` : ''}: ${fact.subject}`,
    'journey.resumed': () => `Resumed after ${d.pausedDays} days${d.by ? ` by ${d.by}` : ''}`,
    'experiment.assigned': () => `In arm "${d.arm}" of experiment ${fact.subject}`,
  };
  const touchpoint = () => `${d.name ?? fact.subject} (${d.action ?? 'touchpoint'}): ${fact.kind.replace('touchpoint.', '')}${d.result ? `, ${d.result}` : ''}`;
  const title = fact.kind.startsWith('touchpoint.') ? touchpoint() : (titles[fact.kind]?.() ?? `${fact.kind} ${fact.subject}`);
  return { at: fact.at, kind: fact.kind, title, term: fact.term, detail: fact.detail };
}
