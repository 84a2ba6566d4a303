/**
 * The raw baseline: what a developer would hand-write on Temporal for the bench map's journey
 * (bench/maps/bench-first-weeks.yaml), with no engine in between. An email at start; a login awaited with
 * a seven-day deadline, then a follow-up email (or a login-help email when it never came); a renewal
 * reminder thirty days before the renewal; the renewal awaited until its date, then the next term as a new
 * run. The same activity options as the engine's touchpoints (workflows/perform.ts).
 */
import { condition, continueAsNew, defineSignal, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { RawEmailInput, RawCustomer } from './activities';

// Type-only import of the activities (workflow code never loads them); the names must match raw/activities.ts.
const { sendRawEmail } = proxyActivities<{ sendRawEmail(input: RawEmailInput): Promise<string> }>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** The engine's signal name and shape, so both sides receive the same message. */
export const productEventSignal = defineSignal<[{ eventId: string; type: string; occurredAt?: string }]>('productEvent');

export interface RawJourneyInput {
  customer: RawCustomer;
  /** A day's length in ms: 86,400,000 for real customers, less for a compressed year. */
  dayMs: number;
  termDays: number;
  term?: number;
}

const LOGIN_DEADLINE_DAYS = 7;
const REMINDER_DAYS_BEFORE_RENEWAL = 30;

export async function rawJourney(input: RawJourneyInput): Promise<string> {
  const term = input.term ?? 1;
  const seen = new Set<string>();
  setHandler(productEventSignal, (event) => void seen.add(event.type));
  const { workflowId } = workflowInfo();
  const startedAt = Date.now();
  const renewalAt = startedAt + input.termDays * input.dayMs;
  const email = (template: string, touchpoint: string) =>
    sendRawEmail({ key: `${workflowId}/t${term}/${touchpoint}`, template, customer: input.customer, renewalDate: new Date(renewalAt).toISOString() });

  await email('welcome', 'welcome-email');
  const loggedIn = await condition(() => seen.has('user.login'), LOGIN_DEADLINE_DAYS * input.dayMs);
  await (loggedIn ? email('monthly-tips', 'follow-up-email') : email('login-help', 'login-help-email'));

  const untilReminder = renewalAt - REMINDER_DAYS_BEFORE_RENEWAL * input.dayMs - Date.now();
  if (untilReminder > 0) await sleep(untilReminder);
  await email('renewal-reminder', 'renewal-reminder');
  const renewed = await condition(() => seen.has('renewal.renewed'), Math.max(1, renewalAt - Date.now()));
  if (!renewed) return 'churned';
  // The next term starts at the renewal date, as the engine's does.
  if (renewalAt > Date.now()) await sleep(renewalAt - Date.now());
  return continueAsNew<typeof rawJourney>({ ...input, term: term + 1 });
}
