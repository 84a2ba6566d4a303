import { atRate, mapConcurrent, nowMs, sleep } from './clock';
import { activityStartedAfterSignal, fetchEvents, meanSize, sizeOf, type HistorySize } from './history';
import { cpuMeter } from './processes';
import type { Side } from './sides';
import type { SmtpSink } from './smtp-sink';

/** After the last email of a phase, the workflow tasks that record it still run: counted in the phase's CPU. */
const SETTLE_MS = 1_500;
const EMAIL_TIMEOUT_MS = 180_000;

let cohortCount = 0;
/** Fresh customer ids for a cohort: `<side letter><cohort>-<n>`, unique within the run. */
export function cohort(side: Side, size: number, label: string): string[] {
  cohortCount += 1;
  return Array.from({ length: size }, (_, i) => `${side.prefix}${label}${cohortCount}-${String(i).padStart(5, '0')}`);
}

function sum(values: Record<string, number>): number {
  return Object.values(values).reduce((total, value) => total + value, 0);
}

/** Fails the phase when any journey's email never came: a benchmark of journeys that got lost measures nothing. */
export function lost(what: string, missing: string[]): void {
  if (missing.length > 0) throw new Error(`${missing.length} ${what} never arrived (e.g. ${missing.slice(0, 3).join(', ')})`);
}

export interface SaturationResult {
  journeys: number;
  startedPerSecond: number;
  /** Follow-up emails arrived per second while login events went in as fast as the side takes them. */
  completedPerSecond: number;
  eventsAcceptedPerSecond: number;
  /**
   * CPU seconds from the first purchase until every welcome email arrived, per journey, of each process; total is
   * worker + API + server (the figure), the engine's database apart.
   */
  cpuPerStarted: Record<string, number> & { total: number };
  /** Worker CPU seconds from the first login event until every follow-up arrived, per event. */
  workerCpuPerEvent: number;
  cpuPerEvent: Record<string, number> & { total: number };
}

/**
 * Saturation: `journeys` purchases with `concurrency` in flight (as many as the side takes), until every
 * welcome email arrived; then a login event for each, as fast, until every follow-up email arrived.
 */
export async function saturation(side: Side, sink: SmtpSink, journeys: number, concurrency: number): Promise<SaturationResult> {
  const ids = cohort(side, journeys, 's');
  const startMeter = cpuMeter(side.metered());
  const t0 = nowMs();
  await mapConcurrent(ids, concurrency, (id) => side.start(id));
  const allStarted = nowMs();
  lost('welcome emails', (await sink.waitForAll(ids, 'welcome', EMAIL_TIMEOUT_MS)).missing);
  await sleep(SETTLE_MS);
  const startCpu = startMeter();

  const eventMeter = cpuMeter(side.metered());
  const e0 = nowMs();
  await mapConcurrent(ids, concurrency, (id) => side.event(id, 'user.login'));
  const allAccepted = nowMs();
  lost('follow-up emails', (await sink.waitForAll(ids, 'followUp', EMAIL_TIMEOUT_MS)).missing);
  const lastFollowUp = Math.max(...ids.map((id) => sink.first(id, 'followUp')!.at));
  await sleep(SETTLE_MS);
  const eventCpu = eventMeter();

  const per = (cpu: Record<string, number>) => ({
    ...Object.fromEntries(Object.entries(cpu).map(([name, seconds]) => [name, seconds / journeys])),
    total: (sum(cpu) - (cpu.database ?? 0)) / journeys,
  });
  return {
    journeys,
    startedPerSecond: journeys / ((allStarted - t0) / 1000),
    completedPerSecond: journeys / ((lastFollowUp - e0) / 1000),
    eventsAcceptedPerSecond: journeys / ((allAccepted - e0) / 1000),
    cpuPerStarted: per(startCpu),
    workerCpuPerEvent: eventCpu.worker! / journeys,
    cpuPerEvent: per(eventCpu),
  };
}

export interface LatencyResult {
  events: number;
  perSecond: number;
  /** ms from the event's acceptance to the follow-up activity's ActivityTaskStarted (server clock). */
  toActivityStarted: number[];
  /** ms from the event's acceptance to the follow-up email's arrival at the SMTP sink. */
  toEmailReceived: number[];
  /** A journey's history after start, welcome email, login, follow-up email. */
  history: HistorySize;
}

/**
 * Latency at a steady rate below saturation: a cohort of journeys waits for its login (welcome email sent, the
 * journey idle); login events then go in at `perSecond`, open loop, and each one's follow-up is timed.
 */
export async function latency(side: Side, sink: SmtpSink, events: number, perSecond: number): Promise<LatencyResult> {
  const ids = cohort(side, events, 'l');
  await mapConcurrent(ids, 16, (id) => side.start(id));
  lost('welcome emails', (await sink.waitForAll(ids, 'welcome', EMAIL_TIMEOUT_MS)).missing);
  await sleep(SETTLE_MS);
  const accepted = await atRate(ids, perSecond, (id) => side.event(id, 'user.login'));
  lost('follow-up emails', (await sink.waitForAll(ids, 'followUp', EMAIL_TIMEOUT_MS)).missing);
  await sleep(SETTLE_MS);
  const histories = await mapConcurrent(ids, 8, (id) => fetchEvents(side.client, side.workflowId(id)));
  return {
    events,
    perSecond,
    toActivityStarted: histories.map((events, i) => activityStartedAfterSignal(events) - accepted[i]!),
    toEmailReceived: ids.map((id, i) => sink.first(id, 'followUp')!.at - accepted[i]!),
    history: meanSize(histories.map(sizeOf)),
  };
}
