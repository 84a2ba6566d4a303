import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** How big a journey's history is: what the server stores and replays (events, and bytes as encoded protobuf). */
export interface HistorySize {
  events: number;
  bytes: number;
  /** The same by event type (ACTIVITY_TASK_SCHEDULED, MARKER_RECORDED, ...): where the bytes are, for whoever closes the gap. */
  byType?: Record<string, { events: number; bytes: number }>;
  /**
   * Bytes of the payloads in it, by what they carry (encoded, as stored: compressed, encrypted). What is left of
   * `bytes` is Temporal's own: ids, task queues, timeouts, times.
   */
  byPayload?: Partial<Record<PayloadRole, number>>;
}

/** What a payload in a history carries. */
export type PayloadRole =
  | 'workflow inputs (start, continue-as-new)'
  | 'workflow summary'
  | 'activity inputs'
  | 'activity summaries'
  | 'activity results'
  | 'local activity markers'
  | 'signals'
  | 'search attributes';

type Payloads = { payloads?: temporal.api.common.v1.IPayload[] | null } | null | undefined;
const oneBytes = (payload: temporal.api.common.v1.IPayload | null | undefined) => (payload ? temporal.api.common.v1.Payload.encode(payload).finish().length : 0);
const payloadBytes = (payloads: Payloads) => (payloads?.payloads ?? []).reduce((sum, p) => sum + oneBytes(p), 0);

/** The payloads of one event, by role. */
function payloadsOf(event: HistoryEvent): [PayloadRole, number][] {
  const parts: [PayloadRole, number][] = [];
  const started = event.workflowExecutionStartedEventAttributes;
  if (started) parts.push(['workflow inputs (start, continue-as-new)', payloadBytes(started.input)]);
  const continued = event.workflowExecutionContinuedAsNewEventAttributes;
  if (continued) parts.push(['workflow inputs (start, continue-as-new)', payloadBytes(continued.input)]);
  const summary = oneBytes(event.userMetadata?.summary);
  if (summary > 0) parts.push([event.activityTaskScheduledEventAttributes ? 'activity summaries' : 'workflow summary', summary]);
  if (event.activityTaskScheduledEventAttributes) parts.push(['activity inputs', payloadBytes(event.activityTaskScheduledEventAttributes.input)]);
  if (event.activityTaskCompletedEventAttributes) parts.push(['activity results', payloadBytes(event.activityTaskCompletedEventAttributes.result)]);
  const marker = event.markerRecordedEventAttributes;
  if (marker) parts.push(['local activity markers', Object.values(marker.details ?? {}).reduce((sum, d) => sum + payloadBytes(d), 0)]);
  if (event.workflowExecutionSignaledEventAttributes) parts.push(['signals', payloadBytes(event.workflowExecutionSignaledEventAttributes.input)]);
  const upserted = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
  if (upserted) parts.push(['search attributes', Object.values(upserted).reduce((sum, p) => sum + oneBytes(p), 0)]);
  return parts;
}

function eventMs(event: HistoryEvent): number {
  const time = event.eventTime;
  return time ? Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6 : Number.NaN;
}

export async function fetchEvents(client: Client, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return history.events ?? [];
}

export function sizeOf(events: HistoryEvent[]): HistorySize {
  const byType: NonNullable<HistorySize['byType']> = {};
  const byPayload: NonNullable<HistorySize['byPayload']> = {};
  for (const event of events) {
    for (const [role, bytes] of payloadsOf(event)) byPayload[role] = (byPayload[role] ?? 0) + bytes;
    const type = (EventType[event.eventType ?? 0] ?? 'UNKNOWN').replace(/^EVENT_TYPE_/, '');
    const entry = (byType[type] ??= { events: 0, bytes: 0 });
    entry.events += 1;
    entry.bytes += temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
  }
  return { events: events.length, bytes: temporal.api.history.v1.History.encode({ events }).finish().length, byType, byPayload };
}

/** Adds sizes up, their breakdowns by event type too. */
function added(sizes: readonly HistorySize[], scale = 1): HistorySize {
  const byType: NonNullable<HistorySize['byType']> = {};
  const byPayload: NonNullable<HistorySize['byPayload']> = {};
  for (const size of sizes) {
    for (const [type, { events, bytes }] of Object.entries(size.byType ?? {})) {
      const entry = (byType[type] ??= { events: 0, bytes: 0 });
      entry.events += events / scale;
      entry.bytes += bytes / scale;
    }
    for (const [role, bytes] of Object.entries(size.byPayload ?? {}) as [PayloadRole, number][]) byPayload[role] = (byPayload[role] ?? 0) + bytes / scale;
  }
  return { events: sizes.reduce((sum, s) => sum + s.events, 0) / scale, bytes: sizes.reduce((sum, s) => sum + s.bytes, 0) / scale, byType, byPayload };
}

/**
 * Every run of a workflow id (a renewal continues as new): their histories added up, oldest run first. With `keepIn`,
 * each run's history is also written there as JSON (payloads as the server holds them: compressed, encrypted).
 */
export async function allRunsSize(client: Client, workflowId: string, keepIn?: string): Promise<HistorySize & { runs: number }> {
  const runIds: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runIds.push(execution.runId);
  if (keepIn) mkdirSync(keepIn, { recursive: true });
  const sizes = await Promise.all(runIds.map(async (runId) => {
    const events = await fetchEvents(client, workflowId, runId);
    if (keepIn) {
      writeFileSync(join(keepIn, `${workflowId}-${runId}.json`), JSON.stringify(temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.create({ events }), { longs: String, bytes: String }), null, 1));
    }
    return sizeOf(events);
  }));
  return { runs: runIds.length, ...added(sizes) };
}

/**
 * When the activity that the first signal led to started, by the server's clock (same machine as the
 * benchmark's): the first activity scheduled after the signal, and its ActivityTaskStarted event. Local
 * activities (the engine's facts) are markers, never scheduled, so they do not count.
 */
export function activityStartedAfterSignal(events: HistoryEvent[]): number {
  const signalled = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  if (signalled < 0) return Number.NaN;
  const scheduled = events.slice(signalled).find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  if (!scheduled) return Number.NaN;
  const started = events.find(
    (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled.eventId),
  );
  return started ? eventMs(started) : Number.NaN;
}

/** Per-journey means of a cohort's history sizes. */
export function meanSize(sizes: readonly HistorySize[]): HistorySize {
  return added(sizes, Math.max(1, sizes.length));
}
