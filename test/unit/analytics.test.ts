import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import path from 'node:path';
import type { JourneyFact, JourneySnapshot } from '../../contracts/facts';
import { scopeOf, parseAnalyticsFilter, type AnalyticsFilter } from '../../src/analytics/filters';
import { JourneyAnalytics } from '../../src/analytics/journey-analytics';
import { ApiKeys } from '../../src/auth/api-keys';
import { formatReport, reportFilter } from '../../src/cli/report-command';
import { PROJECT_ROOT } from '../../src/config';
import { onOneSnapshot, openDatabase, type Database } from '../../src/db/database';
import { PgJourneyFacts } from '../../src/facts/journey-facts';
import { freshDatabaseUrl } from '../helpers/database';
import { DAY_MS } from '../helpers/fixtures';
import { appWithoutTemporal, serveOnLoopback } from '../helpers/app-routes';

/**
 * Analytics over journey facts on a real PostgreSQL, seeded through the real write path (PgJourneyFacts) with a
 * cohort whose every figure is worked out by hand below; the routes over HTTP; the CLI report.
 *
 * The cohort (map "default"; days are since each one's purchase, the first stage entry of term 1):
 *
 *   acme   scaling/growth   bought 02-27 (its journey started 03-01: the purchase was reported late), in adoption
 *          onboarding 0-10, adoption 10-; first-login day 2 (due 3: on time); reports-used day 12 (due 20);
 *          welcome-email done 0; reports-training done 5, attended 6; goal activation met 12
 *   beta   scaling/starter  bought 03-05, in adoption, at risk (missed milestone: First login, day 3)
 *          onboarding 0-20, adoption 20-; first-login missed 3, reached 5 (late); reports-used 30 (due 40);
 *          welcome done 0; reports-training done 5, no-show 6; checkin-email failed 8; activation missed 30
 *   cargo  enterprise/growth bought 03-10, in onboarding, at risk (missed milestone: First login 3, no logins for 7 days 7)
 *          first-login missed 3; welcome-email skipped 0; kickoff-call done 1, attended 2; checkin-email unconfirmed 8
 *   delta  scaling/growth   bought 02-15, renewed (term 2, in adoption; its term-1 risk mark does not count now)
 *          t1: onboarding 0-7, adoption 7-30, expansion passed over 30; t2: adoption 30-; first-login 1 (due 3);
 *          reports-used 9; welcome 0; reports-training done 4, attended 5; activation met 9; renewed 29
 *   echo   scaling/growth   bought 03-20, churned day 15 (onboarding 0-15); first-login 4 (no due time); welcome 0
 *   fox    enterprise/growth bought 03-25 on version 2, in onboarding; first-login 1 (due 3); welcome 0
 *   golf   on another map ("enterprise"): never counted
 *
 * Arms of the onboarding-training experiment: training acme, cargo, delta, fox; control beta, echo.
 */
let db: Database;
let databaseUrl: string;
let analytics: JourneyAnalytics;

const DAY = DAY_MS;
const plus = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY).toISOString();

class SeededJourney {
  readonly journeyId: string;
  readonly facts: JourneyFact[] = [];
  private readonly entries = new Map<number, number>();
  private risks = new Map<number, number>();

  constructor(
    readonly customerId: string,
    readonly purchase: string,
    readonly who: { segment: string; plan: string; mapId?: string; mapVersion?: number },
  ) {
    this.journeyId = `journey-${customerId}/run-${customerId}`;
  }

  private add(key: string, kind: JourneyFact['kind'], subject: string, day: number, detail: Record<string, unknown>, term = 1): this {
    const mapId = this.who.mapId ?? 'default';
    this.facts.push({ key: `${this.journeyId}/${key}`, kind, subject, at: plus(this.purchase, day), term, mapId, mapVersion: this.who.mapVersion ?? 1, detail });
    return this;
  }

  /** The nth stage entry of the term, and its leaving if it ended. */
  stay(stage: string, from: number, to?: number, options: { term?: number; passedOver?: boolean } = {}): this {
    const term = options.term ?? 1;
    const n = (this.entries.get(term) ?? 0) + 1;
    this.entries.set(term, n);
    const passedOver = options.passedOver ? { passedOver: true } : {};
    this.add(`t${term}/stage.entered/${n}`, 'stage.entered', stage, from, passedOver, term);
    if (to !== undefined) this.add(`t${term}/stage.left/${n}`, 'stage.left', stage, to, { reason: 'exit', enteredAt: plus(this.purchase, from), ...passedOver }, term);
    return this;
  }

  milestone(kind: 'reached' | 'missed', id: string, day: number, stage: string, dueDay?: number): this {
    const dueAt = dueDay === undefined ? undefined : plus(this.purchase, dueDay);
    const reachedAt = kind === 'reached' ? plus(this.purchase, day) : undefined;
    const onTime = dueAt && reachedAt ? { onTime: reachedAt <= dueAt } : {};
    const at = plus(this.purchase, day);
    return this.add(`milestone.${kind}/${id}/${at}`, `milestone.${kind}`, id, day, { name: id.replace('-', ' '), stage, dueAt, reachedAt, ...onTime });
  }

  touchpoint(status: 'done' | 'failed' | 'skipped' | 'unconfirmed', touchpointId: string, action: string, day: number, stage = 'onboarding'): this {
    const key = `${touchpointId}#1`;
    const detail = { touchpointId, action, name: touchpointId, stage, result: status, trigger: 'schedule', dueAt: plus(this.purchase, day), owner: 'sam.rivera@success.example' };
    return this.add(`t1/touchpoint.${status}/${key}`, `touchpoint.${status}`, key, day, detail);
  }

  meeting(attendance: 'attended' | 'no-show', touchpointId: string, kind: 'call' | 'training', day: number): this {
    const bookingId = `b-${this.customerId}-${touchpointId}`;
    return this.add(`t1/meeting.${attendance}/${bookingId}`, `meeting.${attendance}`, bookingId, day, { kind, topic: touchpointId, touchpointKey: `${touchpointId}#1`, owner: 'sam.rivera@success.example' });
  }

  risk(reason: string, day: number, term = 1): this {
    const n = (this.risks.get(term) ?? 0) + 1;
    this.risks.set(term, n);
    return this.add(`t${term}/risk.marked/${n}`, 'risk.marked', reason, day, { reason }, term);
  }

  goal(status: 'met' | 'missed', id: string, day: number): this {
    return this.add(`goal.${status}/${id}`, `goal.${status}`, id, day, { name: 'Activation', dueAt: plus(this.purchase, 30) });
  }

  /** Its arm of the onboarding-training experiment, assigned at the purchase. */
  arm(arm: string): this {
    return this.add('experiment.assigned/onboarding-training', 'experiment.assigned', 'onboarding-training', 0, { arm });
  }

  outcome(type: 'renewed' | 'churned', day: number, term = 1): this {
    return this.add(`t${term}/outcome.${type}`, `outcome.${type}`, `evt-${this.customerId}-${type}`, day, { eventId: `evt-${this.customerId}-${type}` }, term);
  }

  snapshot(now: Partial<JourneySnapshot> & { stage: string }): JourneySnapshot {
    return {
      customerId: this.customerId,
      company: `${this.customerId[0]!.toUpperCase()}${this.customerId.slice(1)} Inc`,
      mapId: this.who.mapId ?? 'default',
      mapVersion: this.who.mapVersion ?? 1,
      segment: this.who.segment,
      plan: this.who.plan,
      term: 1,
      atRisk: false,
      status: 'running',
      startedAt: this.purchase,
      ...now,
    };
  }
}

const FIRST_LOGIN_DUE = 3;
const cohort = {
  acme: new SeededJourney('acme', '2026-02-27T00:00:00.000Z', { segment: 'scaling', plan: 'growth' })
    .arm('training')
    .stay('onboarding', 0, 10)
    .stay('adoption', 10)
    .milestone('reached', 'first-login', 2, 'onboarding', FIRST_LOGIN_DUE)
    .milestone('reached', 'reports-used', 12, 'adoption', 20)
    .touchpoint('done', 'welcome-email', 'email', 0)
    .touchpoint('done', 'reports-training', 'training', 5)
    .meeting('attended', 'reports-training', 'training', 6)
    .goal('met', 'activation', 12),
  beta: new SeededJourney('beta', '2026-03-05T00:00:00.000Z', { segment: 'scaling', plan: 'starter' })
    .arm('control')
    .stay('onboarding', 0, 20)
    .stay('adoption', 20)
    .milestone('missed', 'first-login', 3, 'onboarding', FIRST_LOGIN_DUE)
    .risk('missed milestone: First login', 3)
    .milestone('reached', 'first-login', 5, 'onboarding', FIRST_LOGIN_DUE)
    .milestone('reached', 'reports-used', 30, 'adoption', 40)
    .touchpoint('done', 'welcome-email', 'email', 0)
    .touchpoint('done', 'reports-training', 'training', 5)
    .meeting('no-show', 'reports-training', 'training', 6)
    .touchpoint('failed', 'checkin-email', 'email', 8)
    .goal('missed', 'activation', 30),
  cargo: new SeededJourney('cargo', '2026-03-10T00:00:00.000Z', { segment: 'enterprise', plan: 'growth' })
    .arm('training')
    .stay('onboarding', 0)
    .touchpoint('skipped', 'welcome-email', 'email', 0)
    .touchpoint('done', 'kickoff-call', 'call', 1)
    .meeting('attended', 'kickoff-call', 'call', 2)
    .milestone('missed', 'first-login', 3, 'onboarding', FIRST_LOGIN_DUE)
    .risk('missed milestone: First login', 3)
    .risk('no logins for 7 days', 7)
    .touchpoint('unconfirmed', 'checkin-email', 'email', 8),
  delta: new SeededJourney('delta', '2026-02-15T00:00:00.000Z', { segment: 'scaling', plan: 'growth' })
    .arm('training')
    .stay('onboarding', 0, 7)
    .stay('adoption', 7, 30)
    .stay('expansion', 30, 30, { passedOver: true })
    .stay('adoption', 30, undefined, { term: 2 })
    .milestone('reached', 'first-login', 1, 'onboarding', FIRST_LOGIN_DUE)
    .milestone('reached', 'reports-used', 9, 'adoption', 27)
    .touchpoint('done', 'welcome-email', 'email', 0)
    .touchpoint('done', 'reports-training', 'training', 4)
    .meeting('attended', 'reports-training', 'training', 5)
    .risk('no logins for 7 days', 8)
    .goal('met', 'activation', 9)
    .outcome('renewed', 29),
  echo: new SeededJourney('echo', '2026-03-20T00:00:00.000Z', { segment: 'scaling', plan: 'growth' })
    .arm('control')
    .stay('onboarding', 0, 15)
    .milestone('reached', 'first-login', 4, 'onboarding')
    .touchpoint('done', 'welcome-email', 'email', 0)
    .outcome('churned', 15),
  fox: new SeededJourney('fox', '2026-03-25T00:00:00.000Z', { segment: 'enterprise', plan: 'growth', mapVersion: 2 })
    .arm('training')
    .stay('onboarding', 0)
    .milestone('reached', 'first-login', 1, 'onboarding', FIRST_LOGIN_DUE)
    .touchpoint('done', 'welcome-email', 'email', 0),
  golf: new SeededJourney('golf', '2026-03-02T00:00:00.000Z', { segment: 'scaling', plan: 'growth', mapId: 'enterprise' })
    .stay('onboarding', 0)
    .milestone('reached', 'first-login', 1, 'onboarding', FIRST_LOGIN_DUE)
    .touchpoint('done', 'welcome-email', 'email', 0),
};
const snapshots: Record<keyof typeof cohort, Partial<JourneySnapshot> & { stage: string }> = {
  acme: { stage: 'adoption', startedAt: '2026-03-01T09:00:00.000Z' },
  beta: { stage: 'adoption', atRisk: true },
  cargo: { stage: 'onboarding', atRisk: true },
  delta: { stage: 'adoption', term: 2 },
  echo: { stage: 'onboarding', status: 'churned' },
  fox: { stage: 'onboarding' },
  golf: { stage: 'onboarding', atRisk: true },
};

beforeAll(async () => {
  databaseUrl = await freshDatabaseUrl();
  db = await openDatabase(databaseUrl, { max: 5, idleMs: 1_000 });
  analytics = new JourneyAnalytics(db);
  const store = new PgJourneyFacts(db);
  for (const [name, journey] of Object.entries(cohort) as [keyof typeof cohort, SeededJourney][]) {
    // Two batches, as a journey sends them: the second, later one moves the snapshot.
    const half = Math.ceil(journey.facts.length / 2);
    const base = { journeyId: journey.journeyId, customerId: journey.customerId, segment: journey.who.segment, plan: journey.who.plan };
    await store.record({ ...base, sequence: 1, facts: journey.facts.slice(0, half), snapshot: journey.snapshot({ stage: 'onboarding', startedAt: snapshots[name].startedAt ?? journey.purchase }), openTasks: [] });
    await store.record({ ...base, sequence: 2, facts: journey.facts.slice(half), snapshot: journey.snapshot(snapshots[name]), openTasks: [] });
  }
});

afterAll(async () => {
  await db?.end();
});

const filter = (given: Record<string, string>): AnalyticsFilter => parseAnalyticsFilter({ mapId: 'default', ...given });
/** Reached by day 0..n: counts over the population, and their shares. */
const curve = (population: number, reached: number[]) => ({ population, points: reached.map((n, day) => ({ day, reached: n, rate: Math.round((n / population) * 1000) / 1000 })) });
/** Reached counts by day, 0..last, from the day each reached it. */
const reachedBy = (last: number, days: number[]) => Array.from({ length: last + 1 }, (_, day) => days.filter((d) => d <= day).length);

describe('the whole cohort', () => {
  test('the stage funnel: entered, in it now, days spent (median and p90 of finished stays)', async () => {
    expect(await analytics.funnel(filter({}))).toEqual({
      filter: { mapId: 'default' },
      stages: [
        // Stays of onboarding: 7, 10, 15, 20 days → median 12.5, p90 15 + 0.7 × 5 = 18.5. Now: cargo, fox (echo churned).
        { stage: 'onboarding', entered: { journeys: 6, entries: 6 }, passedOver: 0, now: { journeys: 2, atRisk: 1 }, daysSpent: { stays: 4, median: 12.5, p90: 18.5 } },
        // delta entered adoption in both terms; only its term-1 stay (7-30) has ended.
        { stage: 'adoption', entered: { journeys: 3, entries: 4 }, passedOver: 0, now: { journeys: 3, atRisk: 1 }, daysSpent: { stays: 1, median: 23, p90: 23 } },
        { stage: 'expansion', entered: { journeys: 0, entries: 0 }, passedOver: 1, now: { journeys: 0, atRisk: 0 }, daysSpent: { stays: 0, median: null, p90: null } },
      ],
    });
  });

  test('milestone attainment: on time, late, missed; days from purchase and stage entry; the curve by day', async () => {
    const { milestones } = await analytics.milestones(filter({}));
    expect(milestones).toEqual([
      {
        milestone: 'first-login',
        name: 'first login',
        // acme, delta, fox on time; beta late (missed first, then reached: late, not missed); echo had no due time; cargo missed.
        reached: { total: 5, onTime: 3, late: 1, withoutDueTime: 1 },
        missed: 1,
        rates: { onTime: 0.5, late: 0.167, missed: 0.167 },
        // Days 1, 1, 2, 4, 5: median 2, p90 4 + 0.6 × 1 = 4.6 (onboarding is entered at the purchase).
        daysFromPurchase: { median: 2, p90: 4.6 },
        daysFromStageEntry: { median: 2, p90: 4.6 },
        curve: curve(6, reachedBy(5, [2, 5, 1, 4, 1])),
      },
      {
        milestone: 'reports-used',
        name: 'reports used',
        reached: { total: 3, onTime: 3, late: 0, withoutDueTime: 0 },
        missed: 0,
        rates: { onTime: 1, late: 0, missed: 0 },
        // From purchase 9, 12, 30: median 12, p90 12 + 0.8 × 18 = 26.4; from entering adoption 2, 2, 10: median 2, p90 8.4.
        daysFromPurchase: { median: 12, p90: 26.4 },
        daysFromStageEntry: { median: 2, p90: 8.4 },
        curve: curve(6, reachedBy(30, [12, 30, 9])),
      },
    ]);
  });

  test('touchpoints: done, failed, skipped, unconfirmed; meetings attended and no-shows', async () => {
    expect((await analytics.touchpoints(filter({}))).touchpoints).toEqual([
      { touchpoint: 'checkin-email', name: 'checkin-email', action: 'email', done: 0, failed: 1, skipped: 0, unconfirmed: 1, doneRate: 0 },
      { touchpoint: 'kickoff-call', name: 'kickoff-call', action: 'call', done: 1, failed: 0, skipped: 0, unconfirmed: 0, doneRate: 1, meetings: { attended: 1, noShow: 0, attendanceRate: 1 } },
      { touchpoint: 'reports-training', name: 'reports-training', action: 'training', done: 3, failed: 0, skipped: 0, unconfirmed: 0, doneRate: 1, meetings: { attended: 2, noShow: 1, attendanceRate: 0.667 } },
      { touchpoint: 'welcome-email', name: 'welcome-email', action: 'email', done: 5, failed: 0, skipped: 1, unconfirmed: 0, doneRate: 1 },
    ]);
  });

  test('outcomes: at risk now and why, goals, renewals and the renewal rate per term', async () => {
    const { filter: _, ...answer } = await analytics.outcomes(filter({}));
    expect(answer).toEqual({
      atRisk: {
        // Running: acme, beta, cargo, delta, fox; delta's mark was in its first term and golf is another map's.
        running: 5,
        atRisk: 2,
        rate: 0.4,
        reasons: [
          { reason: 'missed milestone: First login', journeys: 2 },
          { reason: 'no logins for 7 days', journeys: 1 },
        ],
        journeys: [
          { customerId: 'beta', company: 'Beta Inc', stage: 'adoption', term: 1, since: '2026-03-08T00:00:00.000Z', reasons: ['missed milestone: First login'] },
          { customerId: 'cargo', company: 'Cargo Inc', stage: 'onboarding', term: 1, since: '2026-03-13T00:00:00.000Z', reasons: ['missed milestone: First login', 'no logins for 7 days'] },
        ],
      },
      goals: [{ goal: 'activation', name: 'Activation', met: 2, missed: 1, rate: 0.667 }],
      renewals: [{ term: 1, renewed: 1, churned: 1, rate: 0.5 }],
    });
  });

  test('did the reports training help reach reports-used? attended against not, by day since purchase', async () => {
    const effect = await analytics.touchpointEffect(filter({}), { milestone: 'reports-used', touchpoint: 'reports-training' });
    // With (attended): acme (12 days), delta (9). Without: beta (a no-show: booked is not had; 30 days), cargo, echo, fox.
    const withDays = [12, 9];
    const withoutDays = [30];
    expect(effect).toEqual({
      filter: { mapId: 'default' },
      milestone: 'reports-used',
      touchpoint: 'reports-training',
      withTouchpoint: { journeys: 2, reached: 2, rate: 1, daysToMilestone: { median: 10.5, p90: 11.7 }, reachedBeforeTouchpoint: 0 },
      withoutTouchpoint: { journeys: 4, reached: 1, rate: 0.25, daysToMilestone: { median: 30, p90: 30 } },
      difference: 0.75,
      curve: reachedBy(30, withDays).map((reached, day) => {
        const without = reachedBy(30, withoutDays)[day]!;
        return { day, withTouchpoint: { reached, rate: reached / 2 }, withoutTouchpoint: { reached: without, rate: without / 4 } };
      }),
    });
    // A touchpoint nobody had: everyone is without it, and there is no difference to tell.
    const none = await analytics.touchpointEffect(filter({}), { milestone: 'first-login', touchpoint: 'no-such-touchpoint' });
    expect([none.withTouchpoint.journeys, none.withoutTouchpoint, none.difference]).toEqual([0, { journeys: 6, reached: 5, rate: 0.833, daysToMilestone: { median: 2, p90: 4.6 } }, null]);
  });
});

describe('filters', () => {
  test('segment and plan (as the journey stands)', async () => {
    const scaling = await analytics.outcomes(filter({ segment: 'scaling' }));
    expect([scaling.atRisk.running, scaling.atRisk.atRisk, scaling.atRisk.reasons]).toEqual([3, 1, [{ reason: 'missed milestone: First login', journeys: 1 }]]);
    expect(scaling.renewals).toEqual([{ term: 1, renewed: 1, churned: 1, rate: 0.5 }]);
    expect((await analytics.touchpoints(filter({ plan: 'starter' }))).touchpoints).toEqual([
      { touchpoint: 'checkin-email', name: 'checkin-email', action: 'email', done: 0, failed: 1, skipped: 0, unconfirmed: 0, doneRate: 0 },
      { touchpoint: 'reports-training', name: 'reports-training', action: 'training', done: 1, failed: 0, skipped: 0, unconfirmed: 0, doneRate: 1, meetings: { attended: 0, noShow: 1, attendanceRate: 0 } },
      { touchpoint: 'welcome-email', name: 'welcome-email', action: 'email', done: 1, failed: 0, skipped: 0, unconfirmed: 0, doneRate: 1 },
    ]);
  });

  test('the purchase cohort is the month of the purchase, not of when the journey started (acme: bought in February, started in March)', async () => {
    const february = (await analytics.milestones(filter({ cohort: '2026-02' }))).milestones.find((m) => m.milestone === 'first-login')!;
    expect([february.reached, february.missed, february.curve.population]).toEqual([{ total: 2, onTime: 2, late: 0, withoutDueTime: 0 }, 0, 2]);
    const march = (await analytics.milestones(filter({ cohort: '2026-03' }))).milestones.find((m) => m.milestone === 'first-login')!;
    expect([march.reached, march.missed, march.curve.population]).toEqual([{ total: 3, onTime: 1, late: 1, withoutDueTime: 1 }, 1, 4]);
    expect((await analytics.funnel(filter({ cohort: '2026-04' }))).stages).toEqual([]);
  });

  test('the period: facts whose time falls in it (a date as "to" includes that day); curves over purchases in it', async () => {
    const period = { from: '2026-03-01', to: '2026-03-10' };
    const { milestones } = await analytics.milestones(filter(period));
    // first-login reached by acme on 03-01 (on time) and beta on 03-10 (late); beta's miss on 03-08 was made good, cargo's is on 03-13.
    // Bought in the period: beta and cargo; beta reached it on day 5.
    expect(milestones[0]).toMatchObject({ milestone: 'first-login', reached: { total: 2, onTime: 1, late: 1, withoutDueTime: 0 }, missed: 0, curve: curve(2, reachedBy(5, [5])) });
    // acme reached reports-used on 03-11 at midnight: after the period. It is there for beta's curve (day 30) only.
    expect(milestones[1]).toMatchObject({ milestone: 'reports-used', name: null, reached: { total: 0, onTime: 0, late: 0, withoutDueTime: 0 }, curve: curve(2, reachedBy(30, [30])) });
    const touchpoints = (await analytics.touchpoints(filter(period))).touchpoints;
    expect(touchpoints.map((t) => [t.touchpoint, t.done, t.skipped, t.meetings?.attended, t.meetings?.noShow])).toEqual([
      ['reports-training', 2, 0, 1, 0], // acme done 03-04 and attended 03-05, beta done 03-10 (its no-show is 03-11)
      ['welcome-email', 1, 1, undefined, undefined], // beta 03-05, cargo skipped 03-10
    ]);
  });

  test('a map version: facts recorded under it, journeys on it now, curves of journeys that started on it', async () => {
    const v2 = filter({ mapVersion: '2' });
    expect((await analytics.funnel(v2)).stages).toEqual([
      { stage: 'onboarding', entered: { journeys: 1, entries: 1 }, passedOver: 0, now: { journeys: 1, atRisk: 0 }, daysSpent: { stays: 0, median: null, p90: null } },
    ]);
    expect((await analytics.milestones(v2)).milestones).toMatchObject([{ milestone: 'first-login', reached: { total: 1, onTime: 1 }, curve: curve(1, [0, 1]) }]);
  });

  test('another map, and a map without journeys', async () => {
    expect((await analytics.milestones(parseAnalyticsFilter({ mapId: 'enterprise' }))).milestones).toMatchObject([{ milestone: 'first-login', reached: { total: 1 }, curve: { population: 1 } }]);
    const none = await analytics.report(parseAnalyticsFilter({ mapId: 'nope' }));
    expect(none).toEqual({ filter: { mapId: 'nope' }, stages: [], milestones: [], touchpoints: [], outcomes: { atRisk: { running: 0, atRisk: 0, rate: null, reasons: [], journeys: [] }, goals: [], renewals: [] } });
  });

  test('bad filters name their field; periods and cohorts become half-open ranges', () => {
    const issues = (input: Record<string, unknown>) => {
      try {
        parseAnalyticsFilter(input);
        return [];
      } catch (err) {
        return (err as { issues: { path: PropertyKey[]; message: string }[] }).issues.map((i) => [i.path.join('.'), i.message]);
      }
    };
    expect(issues({})).toEqual([['mapId', 'is required']]);
    expect(issues({ mapId: 'default', cohort: '2026-13' })).toEqual([['cohort', 'must be a purchase month as YYYY-MM (2026-03), years 2000-9999']]);
    expect(issues({ mapId: 'default', from: '2026-02-30' })[0]![0]).toBe('from');
    expect(issues({ mapId: 'default', from: '2026-02-03T10:00:00' })[0]![0]).toBe('from'); // no offset
    expect(issues({ mapId: 'default', from: '2026-03-02', to: '2026-03-01' })).toEqual([['to', 'must be after from']]);
    expect(issues({ mapId: 'a\u0000b', mapVersion: '0', segment: '' }).map(([field]) => field)).toEqual(['mapId', 'mapVersion', 'segment']);
    expect(issues({ mapId: ['a', 'b'] })[0]![0]).toBe('mapId');
    expect(scopeOf(filter({ cohort: '2026-12', from: '2026-03-01', to: '2026-03-31T12:00:00+02:00' }))).toEqual({
      mapId: 'default',
      cohort: { start: new Date('2026-12-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z') },
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-03-31T10:00:00.001Z'),
    });
  });
});

describe('over HTTP', () => {
  let server: Server;
  let url: string;
  let reader = '';
  let writer = '';

  beforeAll(async () => {
    const keys = new ApiKeys(db);
    reader = (await keys.create('analyst', ['journeys:read'])).key;
    writer = (await keys.create('billing', ['purchases:write'])).key;
    const app = appWithoutTemporal({ tasks: new PgJourneyFacts(db), analytics, keys });
    ({ server, url } = await serveOnLoopback(app));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const get = async (route: string, key: string | undefined = reader) => {
    const response = await fetch(`${url}${route}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return { status: response.status, body: (await response.json()) as any };
  };

  test('each route answers what the analytics compute, as JSON', async () => {
    const query = 'mapId=default&segment=scaling';
    const f = filter({ segment: 'scaling' });
    const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
    expect(await get(`/v1/analytics/funnel?${query}`)).toEqual({ status: 200, body: json(await analytics.funnel(f)) });
    expect(await get(`/v1/analytics/milestones?${query}`)).toEqual({ status: 200, body: json(await analytics.milestones(f)) });
    expect(await get(`/v1/analytics/touchpoints?${query}`)).toEqual({ status: 200, body: json(await analytics.touchpoints(f)) });
    expect(await get(`/v1/analytics/outcomes?${query}`)).toEqual({ status: 200, body: json(await analytics.outcomes(f)) });
    const effect = await get(`/v1/analytics/touchpoint-effect?${query}&milestone=reports-used&touchpoint=reports-training`);
    expect(effect).toEqual({ status: 200, body: json(await analytics.touchpointEffect(f, { milestone: 'reports-used', touchpoint: 'reports-training' })) });
    // scaling: acme and delta attended; beta (no-show) and echo did not have it.
    expect([effect.body.withTouchpoint.journeys, effect.body.withoutTouchpoint.journeys, effect.body.difference]).toEqual([2, 2, 0.5]);
  });

  test('a bad filter is a 400 naming the field; no key is a 401; a key without journeys:read a 403', async () => {
    expect(await get('/v1/analytics/funnel?mapId=default&cohort=2026-13')).toEqual({
      status: 400,
      body: { error: 'invalid request', issues: [{ field: 'cohort', message: 'must be a purchase month as YYYY-MM (2026-03), years 2000-9999' }] },
    });
    expect((await get('/v1/analytics/outcomes')).body.issues).toEqual([{ field: 'mapId', message: 'is required' }]);
    expect((await get('/v1/analytics/milestones?mapId=default&mapId=other')).body.issues.map((i: { field: string }) => i.field)).toEqual(['mapId']);
    expect((await get('/v1/analytics/touchpoints?mapId=default&from=2026-04-01&to=2026-03-01')).body.issues).toEqual([{ field: 'to', message: 'must be after from' }]);
    expect((await get('/v1/analytics/touchpoint-effect?mapVersion=x&touchpoint=reports-training')).body.issues.map((i: { field: string }) => i.field)).toEqual(['mapId', 'mapVersion', 'milestone']);
    for (const route of ['funnel', 'milestones', 'touchpoints', 'outcomes', 'touchpoint-effect']) {
      const anonymous = await get(`/v1/analytics/${route}?mapId=default`, '');
      expect([route, anonymous.status]).toEqual([route, 401]);
      const billing = await get(`/v1/analytics/${route}?mapId=default`, writer);
      expect([route, billing.status, billing.body.error]).toEqual([route, 403, 'this API key ("billing") lacks the scope journeys:read']);
    }
  });
  test('hostile query values are refused by name or answered, never a 500', async () => {
    const values = ['\u0000', 'a%00b', '%', 'x'.repeat(10_000), '__proto__', '1e309', '-1', '0000-01-01', '9999-12-31T23:59:59+14:00', '2026-02-29', "' OR '1'='1", '\ud800'];
    const fields = ['mapId', 'mapVersion', 'segment', 'plan', 'cohort', 'from', 'to', 'milestone', 'touchpoint'];
    for (const route of ['funnel', 'touchpoint-effect']) {
      for (const field of fields) {
        for (const value of values) {
          const raw = value === '%' || value === 'a%00b' ? value : encodeURIComponent(value.replace(/\p{Cs}/gu, '\ufffd'));
          const answer = await get(`/v1/analytics/${route}?mapId=default&milestone=first-login&touchpoint=welcome-email&${field}=${raw}`);
          expect([route, field, value.slice(0, 20), answer.status < 500]).toEqual([route, field, value.slice(0, 20), true]);
          if (answer.status === 400) expect(answer.body.issues.every((i: { field: string }) => i.field !== '' && i.field !== '(top level)')).toBe(true);
        }
      }
    }
  });
});

describe('journeys report', () => {
  test('bad flags name the flag', () => {
    expect(() => reportFilter({})).toThrow('report: --map: is required');
    expect(() => reportFilter({ map: 'default', cohort: '2026-13', 'map-version': 'two' })).toThrow(
      'report: --map-version: must be a whole number from 1\nreport: --cohort: must be a purchase month as YYYY-MM (2026-03), years 2000-9999',
    );
    expect(() => reportFilter({ map: 'default', milestone: 'reports-used' })).toThrow('report: --touchpoint: is required');
    expect(() => reportFilter({ map: 'default', experiment: 'onboarding-training' })).toThrow('report: --milestone: is required');
    expect(() => reportFilter({ map: 'default', experiment: 'onboarding-training', milestone: 'first-login', touchpoint: 'welcome-email' })).toThrow(
      'report: --experiment: compares arms, --touchpoint compares with and without it: give one',
    );
  });

  test("prints an experiment's arms against the control, with the verdict in words", async () => {
    const { filter: asked, compare } = reportFilter({ map: 'default', experiment: 'onboarding-training', milestone: 'first-login' });
    expect(compare).toEqual({ experiment: { experiment: 'onboarding-training', milestone: 'first-login' } });
    const lines = formatReport(await analytics.report(asked), undefined, await analytics.experiment(asked, { experiment: 'onboarding-training', milestone: 'first-login' })).split('\n');
    expect(lines).toContain('Experiment onboarding-training: its arms on first-login and on renewal (first terms), against control');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}control +2 +2 +100\.0 % +0 +1 +0\.0 %$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}training +4 +3 +75\.0 % +1 +0 +100\.0 %$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}training against control: −25\.0 points reaching first-login .*: not yet significant$/));
  });

  test('prints readable tables', async () => {
    const text = formatReport(await analytics.report(filter({})), await analytics.touchpointEffect(filter({}), { milestone: 'reports-used', touchpoint: 'reports-training' }));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Journeys report: map default (all versions)');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}onboarding +6 +6 +0 +2 +1 +4 +12\.5 +18\.5$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}first-login +5 +3 +1 +1 +1 +50\.0 % +2 +4\.6 +2 +4\.6 +83\.3 % +83\.3 % +83\.3 %$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}reports-training +training +3 +0 +0 +0 +2 +1 +66\.7 %$/));
    expect(lines).toContain('At risk now: 2 of 5 running journeys (40.0 %)');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}1 +1 +1 +50\.0 %$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}with reports-training +2 +2 +100\.0 % +10\.5 +11\.7$/));
  });

  test('the command reads DATABASE_URL and prints the report, or JSON; a bad flag exits 1 naming it', async () => {
    const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
    // Both at once: each spends most of its time compiling the CLI.
    const run = (...args: string[]) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve, reject) => {
        execFile(tsx, [path.join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), 'report', ...args], { cwd: PROJECT_ROOT, timeout: 60_000, env: { ...process.env, DATABASE_URL: databaseUrl } }, (err, stdout, stderr) => {
          if (err && typeof err.code !== 'number') reject(new Error(err.message));
          else resolve({ status: err ? Number(err.code) : 0, stdout, stderr });
        });
      });
    const [json, bad] = await Promise.all([run('--map', 'default', '--cohort', '2026-03', '--json'), run('--map', 'default', '--from', 'yesterday')]);
    expect([json.status, json.stderr]).toEqual([0, '']);
    const report = JSON.parse(json.stdout);
    expect([report.filter, report.outcomes.atRisk.running, report.stages[0].entered]).toEqual([{ mapId: 'default', cohort: '2026-03' }, 3, { journeys: 4, entries: 4 }]);
    expect([bad.status, bad.stderr.trim()]).toEqual([1, 'report: --from: must be an ISO date (2026-11-24) or date-time with offset (2026-11-24T09:30:00Z), years 2000-9999']);
  });
});


test('an experiment compares its arms on a milestone and on renewal against the control, and says the difference is not yet significant', async () => {
  const answer = await analytics.experiment(filter({ mapId: 'default' }), { experiment: 'onboarding-training', milestone: 'first-login' });
  // First login in term 1: training acme, delta, fox (not cargo) 3 of 4; control beta (late) and echo, 2 of 2.
  // The first term ended: delta renewed (training), echo churned (control).
  expect(answer.arms).toEqual([
    { arm: 'control', journeys: 2, reached: 2, attainment: 1, renewed: 0, churned: 1, renewalRate: 0 },
    { arm: 'training', journeys: 4, reached: 3, attainment: 0.75, renewed: 1, churned: 0, renewalRate: 1 },
  ]);
  const [training] = answer.comparisons;
  expect(training).toMatchObject({ arm: 'training', attainment: { difference: -0.25, significant: false }, renewal: { difference: 1, significant: false } });
  expect(training!.attainment!.low).toBeLessThan(-0.25);
  expect(training!.attainment!.high).toBeGreaterThan(0);
  expect(training!.verdict).toMatch(/^training against control: −25\.0 points reaching first-login \(95 % CI −\d+\.\d to \+\d+\.\d\): not yet significant$/);
  // A control arm nobody is in: nothing to compare with.
  const none = await analytics.experiment(filter({ mapId: 'default' }), { experiment: 'onboarding-training', milestone: 'first-login', control: 'holdout' });
  expect(none.comparisons.map((c) => c.verdict)).toEqual(['control against holdout: no journeys in the control arm yet', 'training against holdout: no journeys in the control arm yet']);
});

test("an answer's queries read one snapshot: a row committed between two of them is seen by neither, and by the next answer", async () => {
  await db.query('CREATE TABLE snapshot_probe (n integer)');
  const count = async (on: Pick<Database, 'query'>) => (await on.query<{ n: number }>('SELECT count(*)::int AS n FROM snapshot_probe')).rows[0]!.n;
  const seen = await onOneSnapshot(db, async (snapshot) => {
    const first = await count(snapshot);
    await db.query('INSERT INTO snapshot_probe VALUES (1)'); // another connection, committed at once
    return [first, await count(snapshot)];
  });
  expect(seen).toEqual([0, 0]);
  expect(await onOneSnapshot(db, count)).toBe(1);
  // Read only: an answer never writes.
  await expect(onOneSnapshot(db, (snapshot) => snapshot.query('INSERT INTO snapshot_probe VALUES (2)'))).rejects.toThrow(/read-only transaction/);
});
