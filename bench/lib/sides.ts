import type { Client } from '@temporalio/client';
import { rawJourney, productEventSignal, type RawJourneyInput } from '../raw/workflow';
import { nowMs } from './clock';
import { treeCpuSeconds, type Metered } from './processes';
import { contactEmail } from './smtp-sink';
import { RAW_TASK_QUEUE, type BenchStack } from './stack';

const DAY_MS = 86_400_000;
const TERM_DAYS = 365;
/** The team's successManager (maps/team.yaml): the raw workflow's owner, as the engine's default owner. */
const OWNER = { name: 'Sam Rivera', email: 'sam.rivera@success.example' };

export type SideName = 'engine' | 'raw';

/**
 * One side of the comparison, as the benchmark drives it: start a journey (resolves when the side accepted it),
 * deliver an event (resolves at the moment it counts as accepted), and where its journey and processes are.
 */
export interface Side {
  name: SideName;
  /** Customer ids of each side start with its letter, so the SMTP sink knows whose email arrived. */
  prefix: string;
  workflowId(customerId: string): string;
  start(customerId: string, options?: { secondsPerDay?: number }): Promise<void>;
  event(customerId: string, type: string): Promise<number>;
  /** Processes by role (worker, api, server), for memory. */
  pids(): Record<string, number>;
  /** What CPU is metered of: the processes, and the engine's database (PostgreSQL and its backends). */
  metered(): Record<string, Metered>;
  workerPid(): number;
  client: Client;
}

async function ensureOk(answer: Response, what: string): Promise<void> {
  if (answer.ok) {
    await answer.arrayBuffer(); // read to the end, so the connection goes back to the pool
    return;
  }
  throw new Error(`${what} answered ${answer.status}: ${await answer.text()}`);
}

/** The engine through its API, as billing and the product reach it: POST /v1/purchases and /v1/customers/:id/events. */
export function engineSide(stack: BenchStack): Side {
  const post = (route: string, body: object) =>
    fetch(`${stack.apiUrl}${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return {
    name: 'engine',
    prefix: 'e',
    workflowId: (customerId) => `journey-${customerId}`,
    async start(customerId, options = {}) {
      const now = Date.now();
      const answer = await post('/v1/purchases', {
        customerId,
        company: `Bench ${customerId}`,
        contact: { name: 'Bench Contact', email: contactEmail(customerId) },
        plan: 'pro',
        segment: 'bench',
        timeZone: 'UTC',
        purchaseDate: new Date(now).toISOString(),
        renewalDate: new Date(now + TERM_DAYS * DAY_MS).toISOString(),
        mapId: 'bench-first-weeks',
        ...(options.secondsPerDay ? { demoClock: { secondsPerDay: options.secondsPerDay } } : {}),
      });
      await ensureOk(answer, `purchase of ${customerId}`);
    },
    async event(customerId, type) {
      const answer = await post(`/v1/customers/${customerId}/events`, { eventId: `${customerId}-${type}`, type });
      // Accepted when the API's answer arrives (its signal to Temporal returned before it answered).
      const accepted = nowMs();
      await ensureOk(answer, `${type} of ${customerId}`);
      return accepted;
    },
    pids: () => ({ worker: stack.engineWorker!.pid, api: stack.api!.pid, server: stack.serverPid }),
    metered: () => ({ worker: stack.engineWorker!.pid, api: stack.api!.pid, server: stack.serverPid, database: () => treeCpuSeconds(stack.postgresPid()) }),
    workerPid: () => stack.engineWorker!.pid,
    client: stack.client!,
  };
}

/** The raw baseline straight through @temporalio/client, in the benchmark's own process (it has no API). */
export function rawSide(stack: BenchStack): Side {
  const client = stack.client!;
  return {
    name: 'raw',
    prefix: 'r',
    workflowId: (customerId) => `raw-${customerId}`,
    async start(customerId, options = {}) {
      const input: RawJourneyInput = {
        customer: { customerId, company: `Bench ${customerId}`, plan: 'pro', contact: { name: 'Bench Contact', email: contactEmail(customerId) }, owner: OWNER },
        dayMs: options.secondsPerDay ? options.secondsPerDay * 1000 : DAY_MS,
        termDays: TERM_DAYS,
      };
      await client.workflow.start(rawJourney, { workflowId: `raw-${customerId}`, taskQueue: RAW_TASK_QUEUE, args: [input] });
    },
    async event(customerId, type) {
      await client.workflow.getHandle(`raw-${customerId}`).signal(productEventSignal, { eventId: `${customerId}-${type}`, type, occurredAt: new Date().toISOString() });
      return nowMs(); // accepted when signal() returns
    },
    pids: () => ({ worker: stack.rawWorker!.pid, server: stack.serverPid }),
    metered: () => ({ worker: stack.rawWorker!.pid, server: stack.serverPid }),
    workerPid: () => stack.rawWorker!.pid,
    client,
  };
}
