import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { createActivities, type ActivityDeps } from '../../activities';
import type { WebhookDelivery, WebhookInput } from '../../activities/webhooks';
import { journeyWorkflow, type JourneyState } from '../../workflows/journey';
import { JOURNEY_REVISION } from '../../contracts/journey';
import { journeyStateQuery, productEventSignal } from '../../contracts/messages';
import type { Trainer } from '../delivery/availability';
import type { EmailTemplates } from '../delivery/templates';
import { PROJECT_ROOT } from '../config';
import type { Customer } from '../journeys/customer';
import { TRAINERS_FILE } from '../maps/catalog';
import type { JourneyMap } from '../maps/schema';
import { buildActivityDeps, nonSendingMailer } from '../worker/activity-deps';
import { journeyWorkflowCode, type WorkflowCodeSource } from '../worker/create-worker';
import { rehearsalStores } from './rehearsal-stores';

import { DAY_MS } from '../../contracts/time';

/** A product event the rehearsal sends on a given day after the purchase. */
export interface ScriptedEvent {
  day: number;
  type: string;
  [field: string]: string | number;
}

export interface TimelineEntry {
  at: string;
  day: number;
  term: number;
  what: string;
  owner?: string;
}

/**
 * Runs a map for one scripted customer on the time-skipping test server with the real activity code,
 * except that emails are built and never sent: a year of a journey, rehearsed in seconds.
 */
export async function rehearse(options: WorkflowCodeSource & {
  env: TestWorkflowEnvironment;
  map: JourneyMap;
  templates: EmailTemplates;
  /** The customer; their purchase and renewal dates are moved to start now on the test clock. */
  customer: Customer;
  events: ScriptedEvent[];
  days: number;
  /** Who gives training sessions; the project's maps/trainers.yaml unless given. */
  trainers?: Trainer[];
  /** Progress as it happens (the CLI's --verbose). */
  trace?: (line: string) => void;
}): Promise<{ timeline: TimelineEntry[]; final: JourneyState }> {
  const { env, map } = options;
  const taskQueue = `rehearsal-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    ...journeyWorkflowCode(options),
    // Whatever the environment's client speaks (the tests encrypt; the CLI's rehearsals need not).
    dataConverter: env.options.client.dataConverter,
    activities: rehearsalActivities(
      buildActivityDeps({
        // In memory, so what it records (the sessions it books) is gone with it.
        stores: rehearsalStores(),
        mailer: nonSendingMailer(),
        templates: options.templates,
        // A rehearsal runs one journey, never the map registry that gives map owners their review tasks.
        team: {},
        mailFrom: 'Rehearsal <rehearsal@journeys.local>',
        trainers: options.trainers ?? path.join(PROJECT_ROOT, 'maps', TRAINERS_FILE),
        unsubscribeSecret: 'rehearsal-unsubscribe-secret',
        publicUrl: 'http://rehearsal.journeys.local',
        webhookSecret: 'rehearsal-webhook-secret',
      }),
    ),
  });
  // Every rehearsal buys on a Monday at 10:00 in the customer's time zone, so delivery windows and
  // business hours fall the same way on every run.
  const now = await env.currentTimeMs();
  const monday = DateTime.fromMillis(now, { zone: options.customer.timeZone }).startOf('week').set({ hour: 10 });
  const purchasedAt = (monday.toMillis() >= now ? monday : monday.plus({ weeks: 1 })).toMillis();
  await env.sleep(purchasedAt - now);
  const termMs = Date.parse(options.customer.renewalDate) - Date.parse(options.customer.purchaseDate);
  const customer: Customer = {
    ...options.customer,
    purchaseDate: new Date(purchasedAt).toISOString(),
    renewalDate: new Date(purchasedAt + termMs).toISOString(),
  };
  const snapshots = new Map<string, JourneyState>();
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(journeyWorkflow, {
      taskQueue,
      workflowId: `rehearsal-${customer.customerId}-${taskQueue}`,
      args: [{ customer, map, revision: JOURNEY_REVISION }],
    });
    // Each term is its own run, so the state is kept at every step to see every term whole.
    const snapshot = async () => {
      const state = await handle.query(journeyStateQuery);
      snapshots.set(`${state.term}`, state);
      return state;
    };
    // A week at a time, so a term that ends on the way is seen before its run closes.
    const untilDay = async (day: number) => {
      for (;;) {
        const now = await env.currentTimeMs();
        const target = Math.min(now + 7 * DAY_MS, purchasedAt + day * DAY_MS);
        if (target <= now) return;
        const from = ((now - purchasedAt) / DAY_MS).toFixed(1);
        options.trace?.(`day ${from}: skipping to day ${((target - purchasedAt) / DAY_MS).toFixed(1)}`);
        await withStallGuard(env.sleep(target - now), async () => {
          const { raw } = await handle.describe();
          return `the time-skipping server stopped skipping its clock at day ${from} (workflow ${raw.workflowExecutionInfo?.status ?? '?'}, ${raw.pendingActivities?.length ?? 0} activities pending)`;
        });
        await snapshot();
      }
    };
    // Events scripted past the rehearsal's last day do not happen in it.
    const events = options.events.filter((event) => event.day <= options.days).sort((a, b) => a.day - b.day);
    for (const [i, { day, ...event }] of events.entries()) {
      await untilDay(day);
      await env.sleep(SIGNAL_OFFSET_MS);
      await snapshot();
      await handle.signal(productEventSignal, {
        ...event,
        eventId: `rehearsal-${i}`,
        occurredAt: new Date(purchasedAt + day * DAY_MS).toISOString(),
      });
    }
    await untilDay(options.days);
    const final = await snapshot().catch(() => [...snapshots.values()].at(-1)!);
    await env.client.workflow.getHandle(handle.workflowId).terminate('rehearsal over').catch(() => undefined);
    return { timeline: timelineOf([...snapshots.values()], purchasedAt, events), final };
  });
}

/** The real activity code, except what would reach the world: emails are built and never sent, webhooks not called. */
function rehearsalActivities(deps: ActivityDeps) {
  return {
    ...createActivities(deps),
    callWebhook: (input: WebhookInput): Promise<WebhookDelivery> =>
      Promise.resolve({ url: input.url, event: input.event, status: 0, deliveryId: 'not sent in a rehearsal' }),
  };
}

/**
 * Events are sent a moment after the day they are scripted for. Sent at the very instant a journey timer
 * fires (a touchpoint due that day), the journey cancels a timer the time-skipping server has just fired,
 * the server refuses that and never hands the journey another task (temporalio/sdk-java#3088): the
 * rehearsal would hang. By a moment later, what fell due that day has run (time stands still until it has).
 */
export const SIGNAL_OFFSET_MS = 1_337;

/** A skip of the test server's clock returns in well under a second; one that hangs is reported, not waited on forever. */
const STALL_MS = 30_000;

async function withStallGuard<T>(work: Promise<T>, diagnose: () => Promise<string>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => void diagnose().then((why) => reject(new Error(why)), reject), STALL_MS);
  });
  try {
    return await Promise.race([work, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

/** Everything that happened, in order: stages entered, touchpoints, milestones, risk, the customer's events. */
export function timelineOf(states: JourneyState[], purchasedAt: number, events: ScriptedEvent[]): TimelineEntry[] {
  const entries: Omit<TimelineEntry, 'day'>[] = [];
  for (const s of states) {
    for (const h of s.stageHistory) entries.push({ at: h.enteredAt, term: s.term, what: `stage ${h.stage} begins` });
    for (const t of s.touchpoints) {
      if (t.status === 'pending') continue;
      const why = t.trigger === 'scheduled by the map' ? '' : ` (${t.trigger})`;
      entries.push({
        at: t.doneAt ?? t.dueAt, // a skipped touchpoint shows when it would have been due
        term: s.term,
        what: `${t.action} "${t.name}" ${t.status}: ${t.result ?? ''}${why}`,
        owner: `${t.owner.name} (${t.ownerRole})`,
      });
    }
    for (const m of s.milestones) {
      if (m.missedAt) entries.push({ at: m.missedAt, term: s.term, what: `milestone "${m.name}" missed` });
      if (m.reachedAt && m.status === 'reached') entries.push({ at: m.reachedAt, term: s.term, what: `milestone "${m.name}" reached` });
    }
    for (const r of s.atRiskReasons) entries.push({ at: r.at, term: s.term, what: `at risk: ${r.reason}` });
    for (const g of s.goals ?? []) {
      if (g.at) entries.push({ at: g.at, term: s.term, what: `goal "${g.name}" ${g.status}` });
    }
  }
  for (const { day, type, ...fields } of events) {
    const details = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ');
    entries.push({ at: new Date(purchasedAt + day * DAY_MS).toISOString(), term: 0, what: `event ${type}${details ? ` ${details}` : ''}` });
  }
  const unique = [...new Map(entries.map((e) => [`${e.at}|${e.what}`, e])).values()];
  return unique
    .sort((a, b) => a.at.localeCompare(b.at))
    .map((e) => ({ ...e, day: Math.floor((Date.parse(e.at) - purchasedAt) / DAY_MS) }));
}
