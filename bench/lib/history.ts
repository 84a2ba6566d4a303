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
  for (const event of events) {
    const type = (EventType[event.eventType ?? 0] ?? 'UNKNOWN').replace(/^EVENT_TYPE_/, '');
    const entry = (byType[type] ??= { events: 0, bytes: 0 });
    entry.events += 1;
    entry.bytes += temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
  }
  return { events: events.length, bytes: temporal.api.history.v1.History.encode({ events }).finish().length, byType };
}

/** Adds sizes up, their breakdowns by event type too. */
function added(sizes: readonly HistorySize[], scale = 1): HistorySize {
  const byType: NonNullable<HistorySize['byType']> = {};
  for (const size of sizes) {
    for (const [type, { events, bytes }] of Object.entries(size.byType ?? {})) {
      const entry = (byType[type] ??= { events: 0, bytes: 0 });
      entry.events += events / scale;
      entry.bytes += bytes / scale;
    }
  }
  return { events: sizes.reduce((sum, s) => sum + s.events, 0) / scale, bytes: sizes.reduce((sum, s) => sum + s.bytes, 0) / scale, byType };
}

/**
 * Every run of a workflow id (a renewal continues as new): their histories added up, oldest run first. With `keepIn`,
 * each run's history is also written there as JSON (payloads as the server holds them: compressed, encrypted).
 */
export async function allRunsSize(client: Client, workflowId: string, keepIn?: string): Promise<HistorySize & { runs: number }> {
  const runIds: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runIds.push(execution.runId);
  const sizes = await Promise.all(runIds.map(async (runId) => {
    const events = await fetchEvents(client, workflowId, runId);
    if (keepIn) {
      mkdirSync(keepIn, { recursive: true });
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
