import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { localSecrets } from './local-secrets';

/**
 * `npm run demo` (with `npm start` running): a cohort of customers across segments, on a compressed
 * clock, each with scripted behaviour, so that within minutes the Temporal UI and the mail catcher show
 * journeys in every stage, escalations, training invitations, renewals and churn.
 */
interface Behaviour {
  name: string;
  /** Product events by journey day; `renewal` days count back from the end of the term. */
  events: { day: number; type: string; feature?: string }[];
  outcome?: { daysBeforeRenewal: number; type: 'renewal.renewed' | 'renewal.churned' };
}

const BEHAVIOURS: Behaviour[] = [
  { name: 'adopts on time and renews', events: [{ day: 1, type: 'user.login' }, { day: 3, type: 'feature.used', feature: 'reports' }], outcome: { daysBeforeRenewal: 20, type: 'renewal.renewed' } },
  { name: 'late starter', events: [{ day: 9, type: 'user.login' }, { day: 25, type: 'feature.used', feature: 'reports' }], outcome: { daysBeforeRenewal: 10, type: 'renewal.renewed' } },
  { name: 'never logs in, churns', events: [], outcome: { daysBeforeRenewal: 5, type: 'renewal.churned' } },
  { name: 'skips the key feature', events: [{ day: 2, type: 'user.login' }, { day: 30, type: 'user.login' }] },
  // The reports training is booked on day 21; missed twice, it is booked again once, then the owner follows up.
  { name: 'misses the training twice', events: [{ day: 1, type: 'user.login' }, { day: 24, type: 'training.no_show' }, { day: 30, type: 'training.no_show' }] },
  { name: 'adopts, then churns', events: [{ day: 1, type: 'user.login' }, { day: 6, type: 'feature.used', feature: 'reports' }], outcome: { daysBeforeRenewal: 15, type: 'renewal.churned' } },
];
const SEGMENTS = ['startup', 'emerging', 'scaling', 'enterprise'];
const TIME_ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney', 'America/Sao_Paulo'];
const TERM_DAYS = [60, 90, 120, 180, 365];
const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Cyberdyne', 'Soylent', 'Tyrell'];

async function post(api: string, key: string, route: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${api}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function get(api: string, key: string, route: string): Promise<unknown> {
  return (await fetch(`${api}${route}`, { headers: { authorization: `Bearer ${key}` } })).json();
}

/**
 * The tech-touch map (segment startup) invites only its experiment's webinar arm to the getting-started webinar.
 * The demo plays a webinar that works: in that arm, a customer who logs in but would never have used reports
 * does on day 8, so the arms compared show a difference (significant with enough customers: try --customers 300).
 */
const WEBINAR_EXPERIMENT = 'getting-started-webinar';
const EXPERIMENT_REPORT = `npm run journeys -- report --map tech-touch --experiment ${WEBINAR_EXPERIMENT} --milestone key-feature-used`;

async function webinarArm(api: string, key: string, customerId: string): Promise<string | undefined> {
  const journey = (await get(api, key, `/v1/customers/${customerId}/journey`)) as { experimentArms?: Record<string, { arm: string }> };
  return journey.experimentArms?.[WEBINAR_EXPERIMENT]?.arm;
}

function afterTheWebinar(events: Behaviour['events']): Behaviour['events'] {
  const logsIn = events.some((e) => e.type === 'user.login');
  const usesReports = events.some((e) => e.type === 'feature.used' && e.feature === 'reports');
  return logsIn && !usesReports ? [...events, { day: 8, type: 'feature.used', feature: 'reports' }] : events;
}

async function main() {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '50' },
      'seconds-per-day': { type: 'string', default: '1' },
      api: { type: 'string', default: process.env.API_URL ?? `http://localhost:${process.env.API_PORT ?? 3000}` },
      // The local stack's development key unless given.
      key: { type: 'string', default: process.env.JOURNEYS_API_KEY },
    },
  });
  const key = values.key ?? localSecrets(loadConfig().DATA_DIR).DEV_API_KEY;
  const count = Number(values.customers);
  const secondsPerDay = Number(values['seconds-per-day']);
  if (!Number.isInteger(count) || count < 1 || count > 500) throw new Error('--customers: a whole number from 1 to 500');
  if (!(secondsPerDay >= 0.1 && secondsPerDay <= 60)) throw new Error('--seconds-per-day: a number from 0.1 to 60');
  const api = values.api;
  const health = await fetch(`${api}/healthz`).catch(() => undefined);
  if (!health?.ok) throw new Error(`no engine answers at ${api}: start it with \`npm start\` first`);
  // The engine knows where its Temporal UI is (TEMPORAL_UI_URL or TEMPORAL_UI_PORT).
  const { temporalUiUrl } = (await get(api, key, '/v1/console/settings')) as { temporalUiUrl: string };

  const tag = Date.now().toString(36);
  const timers: Promise<void>[] = [];
  const at = (day: number, send: () => Promise<unknown>) =>
    timers.push(new Promise((resolve) => setTimeout(() => void send().finally(resolve), day * secondsPerDay * 1000)));

  for (let i = 0; i < count; i += 1) {
    const behaviour = BEHAVIOURS[i % BEHAVIOURS.length]!;
    const termDays = TERM_DAYS[Math.floor(i / BEHAVIOURS.length) % TERM_DAYS.length]!;
    const customerId = `demo-${tag}-${String(i + 1).padStart(2, '0')}`;
    const company = `${COMPANIES[i % COMPANIES.length]} ${i + 1}`;
    const now = Date.now();
    const started = await post(api, key, '/v1/purchases', {
      customerId,
      company,
      contact: { name: `Contact ${i + 1}`, email: `contact${i + 1}@${customerId}.example` },
      plan: i % 3 === 0 ? 'enterprise' : 'pro',
      segment: SEGMENTS[i % SEGMENTS.length],
      timeZone: TIME_ZONES[i % TIME_ZONES.length],
      purchaseDate: new Date(now).toISOString(),
      renewalDate: new Date(now + termDays * 24 * 3600 * 1000).toISOString(),
      demoClock: { secondsPerDay },
    });
    if (started.status !== 201) throw new Error(`purchase of ${customerId} answered ${started.status}: ${JSON.stringify(started.body)}`);
    const arm = await webinarArm(api, key, customerId);
    const events = arm === 'webinar' ? afterTheWebinar(behaviour.events) : behaviour.events;
    const said = arm && events !== behaviour.events ? ', then the webinar brings them to reports' : '';
    console.log(`${customerId}  ${company.padEnd(14)} ${String(termDays).padStart(3)}-day term  ${behaviour.name}${said}${arm ? ` (experiment arm: ${arm})` : ''}`);
    const event = (type: string, day: number, fields: object = {}) =>
      post(api, key, `/v1/customers/${customerId}/events`, { eventId: `${customerId}-${type}-${day}`, type, ...fields });
    for (const { day, type, feature } of events) at(day, () => event(type, day, feature ? { feature } : {}));
    if (behaviour.outcome) {
      const day = termDays - behaviour.outcome.daysBeforeRenewal;
      at(day, () => event(behaviour.outcome!.type, day));
    }
  }
  const lastDay = Math.max(...TERM_DAYS);
  console.log(`\n${count} journeys started on a ${secondsPerDay}-second day. Watch them in the Temporal UI (${temporalUiUrl}),`);
  console.log(`the console (${api}) and the mail catcher (${api}/v1/mail). Scripted events run for about`);
  console.log(`${Math.ceil((lastDay * secondsPerDay) / 60)} minutes; Ctrl-C stops sending them (the journeys go on).`);
  console.log(`The tech-touch map's experiment holds half of its customers out of the getting-started webinar: see the`);
  console.log(`arms compared in the console or with \`${EXPERIMENT_REPORT}\`.`);
  await Promise.all(timers);
  console.log('All scripted events sent.');
  const compared = await get(api, key, `/v1/analytics/experiment?mapId=tech-touch&experiment=${WEBINAR_EXPERIMENT}&milestone=key-feature-used`);
  for (const { verdict } of (compared as { comparisons?: { verdict: string }[] }).comparisons ?? []) console.log(`Experiment: ${verdict}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
