import { purchaseBody } from '../helpers/fixtures';
import { eventually } from '../helpers/eventually';
import { LocalStack, startedForTheseTests } from '../helpers/stack';

/**
 * The analytics of a small cohort driven through the real engine (dev server, worker, journey facts in PostgreSQL,
 * HTTP API): every count is known from what the customers did, and the API answers exactly those.
 *
 * Default map (segment scaling), on a demo clock of half a second a day:
 *   adopt-1, adopt-2   log in and use reports at once: both onboarding milestones on time, on to adoption
 *   login-only         logs in at once, not reports: first-login on time, still in onboarding
 *   silent             never logs in: first-login missed on day 7, the login-help email and task
 *   late               the same, then logs in after the miss: first-login reached late, seven-plus journey days in
 *                      (segment emerging, the others scaling)
 * Tech-touch map (segment startup), with its getting-started-webinar experiment: six customers, the first three use
 * reports at once; each arm's figures must match the arms the journeys themselves say they fell in.
 */
const SECONDS_PER_DAY = 0.5;
const stack = new LocalStack({ allowDemoClock: true });
startedForTheseTests(stack);

const DEFAULT_COHORT = ['adopt-1', 'adopt-2', 'login-only', 'silent', 'late'];
const TECH_TOUCH_COHORT = ['tt-1', 'tt-2', 'tt-3', 'tt-4', 'tt-5', 'tt-6'];

async function event(customerId: string, type: string, fields: object = {}): Promise<void> {
  const answer = await stack.post(`/v1/customers/${customerId}/events`, { eventId: `${customerId}-${type}`, type, ...fields });
  expect(answer.status).toBe(202);
}

beforeAll(async () => {
  const demoClock = { secondsPerDay: SECONDS_PER_DAY };
  for (const id of DEFAULT_COHORT) {
    const segment = id === 'late' ? 'emerging' : 'scaling';
    expect((await stack.post('/v1/purchases', purchaseBody(id, { segment, demoClock }))).status).toBe(201);
  }
  for (const id of TECH_TOUCH_COHORT) expect((await stack.post('/v1/purchases', purchaseBody(id, { segment: 'startup', demoClock }))).status).toBe(201);
  for (const id of ['adopt-1', 'adopt-2', 'login-only']) await event(id, 'user.login');
  for (const id of ['adopt-1', 'adopt-2', 'tt-1', 'tt-2', 'tt-3']) await event(id, 'feature.used', { feature: 'reports' });
  // Day 7 has passed for the silent ones when both have missed their first login; then the late one logs in.
  await eventually(async () => {
    for (const id of ['silent', 'late']) {
      const { body } = await stack.get(`/v1/customers/${id}/journey`);
      expect(body.milestones.find((m: { id: string }) => m.id === 'first-login').status).toBe('missed');
    }
  }, 30_000);
  await event('late', 'user.login');
}, 90_000);

test('the funnel, milestone attainment and touchpoints of the default map count exactly what the customers did', async () => {
  await eventually(async () => {
    const { status, body } = await stack.get('/v1/analytics/funnel?mapId=default');
    expect(status).toBe(200);
    const stage = (id: string) => body.stages.find((s: { stage: string }) => s.stage === id);
    expect(stage('onboarding')).toMatchObject({ entered: { journeys: 5, entries: 5 }, now: { journeys: 3 } });
    expect(stage('adoption')).toMatchObject({ entered: { journeys: 2, entries: 2 }, now: { journeys: 2, atRisk: 0 } });
    expect(stage('onboarding').daysSpent.stays).toBe(2);
  }, 20_000);

  const milestones = await eventually(async () => {
    const { body } = await stack.get('/v1/analytics/milestones?mapId=default');
    const firstLogin = body.milestones.find((m: { milestone: string }) => m.milestone === 'first-login');
    expect(firstLogin).toMatchObject({ reached: { total: 4, onTime: 3, late: 1 }, missed: 1, rates: { onTime: 0.6, late: 0.2, missed: 0.2 }, curve: { population: 5 } });
    return body.milestones as { milestone: string }[];
  });
  const milestone = (id: string): any => milestones.find((m) => m.milestone === id);
  expect(milestone('key-feature-used')).toMatchObject({ reached: { total: 2, onTime: 2, late: 0 }, missed: 0, curve: { population: 5 } });
  // Counted in the journeys' own days (half a second each here), not in real ones: the late login came after day 7.
  const curve = milestone('first-login').curve.points as { day: number; reached: number; rate: number }[];
  expect(curve.at(-1)).toMatchObject({ reached: 4, rate: 0.8 });
  expect(curve.at(-1)!.day).toBeGreaterThanOrEqual(7);
  expect(milestone('first-login').daysFromPurchase.p90).toBeGreaterThan(1);

  await eventually(async () => {
    const touchpoints = (await stack.get('/v1/analytics/touchpoints?mapId=default')).body.touchpoints;
    const figures = (id: string) => touchpoints.find((t: { touchpoint: string }) => t.touchpoint === id);
    expect(figures('welcome-email')).toMatchObject({ action: 'email', done: 5, failed: 0 });
    expect(figures('login-help-email')).toMatchObject({ action: 'email', done: 2, failed: 0 });
    expect(figures('login-help-task')).toMatchObject({ action: 'task', done: 2 });
  }, 20_000);

  // The same numbers the CLI report and the console read: the segment filter narrows them, a bad one is a 400.
  const bySegment = async (segment: string) =>
    (await stack.get(`/v1/analytics/milestones?mapId=default&segment=${segment}`)).body.milestones.find((m: { milestone: string }) => m.milestone === 'first-login');
  expect(await bySegment('scaling')).toMatchObject({ reached: { total: 3, onTime: 3, late: 0 }, missed: 1, curve: { population: 4 } });
  expect(await bySegment('emerging')).toMatchObject({ reached: { total: 1, onTime: 0, late: 1 }, missed: 0, curve: { population: 1 } });
  const bad = await stack.get('/v1/analytics/milestones?mapId=default&cohort=2026-13');
  expect([bad.status, bad.body.issues[0].field]).toEqual([400, 'cohort']);
});

test("the tech-touch experiment's arms are the arms the journeys fell in, and the reports use of each", async () => {
  const armOf = new Map<string, string>();
  for (const id of TECH_TOUCH_COHORT) armOf.set(id, (await stack.get(`/v1/customers/${id}/journey`)).body.experimentArms['getting-started-webinar'].arm);
  const expected = ['control', 'webinar']
    .map((arm) => {
      const members = TECH_TOUCH_COHORT.filter((id) => armOf.get(id) === arm);
      const reached = members.filter((id) => ['tt-1', 'tt-2', 'tt-3'].includes(id)).length;
      return { arm, journeys: members.length, reached, attainment: members.length ? reached / members.length : null, renewed: 0, churned: 0, renewalRate: null };
    })
    .filter((a) => a.journeys > 0);
  await eventually(async () => {
    const { status, body } = await stack.get('/v1/analytics/experiment?mapId=tech-touch&experiment=getting-started-webinar&milestone=key-feature-used');
    expect(status).toBe(200);
    expect(body.arms).toEqual(expected);
    expect(body.comparisons.map((c: { verdict: string }) => c.verdict)).toEqual(
      expected.length === 2 ? [expect.stringMatching(/^webinar against control: .*not yet significant$/)] : [],
    );
  }, 20_000);
  // Only the webinar arm is invited to the webinar; the control arm is told why it was not.
  for (const id of TECH_TOUCH_COHORT) {
    const { body } = await stack.get(`/v1/customers/${id}/journey`);
    const webinar = body.touchpoints.find((t: { touchpointId: string }) => t.touchpointId === 'getting-started-webinar');
    if (armOf.get(id) === 'control') expect(webinar).toMatchObject({ status: 'skipped' });
    else expect(webinar?.status).not.toBe('skipped');
  }
});
