import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { JourneyState } from '../../workflows/journey';
import { cancelJourneyUpdate, pauseJourneyUpdate, productEventSignal, resumeJourneyUpdate } from '../../contracts/messages';
import { DAY_MS, productEvent } from '../helpers/fixtures';
import { createTimeSkippingEnv, recordedActivities, runJourney, type JourneyStory } from '../helpers/time-skipping';

/** Whole journeys under time skipping: a year of a customer's life in seconds, real activity code. */
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

const recorded = recordedActivities;

const journey = (story: (ctx: JourneyStory<ReturnType<typeof recorded>>) => Promise<void>) =>
  runJourney(env, recorded, story);

const dayOf = (iso: string | undefined, purchasedAt: number) =>
  iso === undefined ? undefined : Math.floor((Date.parse(iso) - purchasedAt) / DAY_MS);
const touchpoint = (s: JourneyState, id: string) => s.touchpoints.filter((t) => t.touchpointId === id);
const milestone = (s: JourneyState, id: string) => s.milestones.find((m) => m.id === id)!;
/** Why the journey refused an update (its validator's reason), or undefined when it took it. */
const refusal = (update: Promise<unknown>) => update.then(() => undefined, (err: Error) => (err.cause as Error | undefined)?.message);

test('a customer who logs in and uses reports on time gets no escalation and moves to adoption', async () => {
  await journey(async ({ handle, purchasedAt, activities, state, untilDay }) => {
    await untilDay(1);
    await handle.signal(productEventSignal, productEvent('user.login', {}, purchasedAt + DAY_MS));
    await untilDay(3);
    await handle.signal(productEventSignal, productEvent('feature.used', { feature: 'reports' }, purchasedAt + 3 * DAY_MS));
    await untilDay(40);

    const s = await state();
    expect(s.stage).toBe('adoption');
    expect(s.atRisk).toBe(false);
    expect(milestone(s, 'first-login')).toMatchObject({ status: 'reached' });
    expect(milestone(s, 'key-feature-used')).toMatchObject({ status: 'reached' });
    expect(s.stageHistory[0]).toMatchObject({ stage: 'onboarding', reason: 'milestones met' });
    expect(dayOf(s.stageHistory[0]!.leftAt, purchasedAt)).toBe(3);

    const welcome = activities.sendTouchpointEmail.mock.calls.map(([input]) => input.template);
    expect(welcome).toEqual(['welcome']);
    expect(touchpoint(s, 'welcome-email')[0]).toMatchObject({ status: 'done', owner: { email: 'sam.rivera@success.example' } });
    expect(activities.bookMeeting.mock.calls.map(([input]) => input.topic)).toEqual(['Kickoff', 'Check-in']);
    expect(activities.createOwnerTask).not.toHaveBeenCalled();
    // Adoption's first check-in, 30 days after adoption began on day 3.
    expect(dayOf(touchpoint(s, 'check-in-call')[0]!.doneAt, purchasedAt)).toBe(33);
    expect(touchpoint(s, 'check-in-call')[1]).toMatchObject({ status: 'pending', occurrence: 2 });

    // The Temporal UI shows where the journey stands, in words, without a query by hand.
    const { currentDetails } = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(currentDetails).toContain('**Acme Analytics** · Default success journey v1 · term 1 · Adoption');
    expect(currentDetails).toContain('Next: Check-in call (call, Sam Rivera) at ');
  });
});

test('a customer who neither logs in nor uses reports gets the help email and task on day 7, training on day 21, and is at risk at day 90', async () => {
  await journey(async ({ purchasedAt, activities, state, untilDay }) => {
    await untilDay(6);
    expect(activities.sendTouchpointEmail.mock.calls.map(([input]) => input.template)).toEqual(['welcome']);

    await untilDay(22);
    let s = await state();
    expect(milestone(s, 'first-login')).toMatchObject({ status: 'missed' });
    expect(dayOf(milestone(s, 'first-login').missedAt, purchasedAt)).toBe(7);
    const help = touchpoint(s, 'login-help-email')[0]!;
    expect(help).toMatchObject({ status: 'done', trigger: 'milestone "First login" missed' });
    expect(dayOf(help.doneAt, purchasedAt)).toBe(7);
    expect(dayOf(touchpoint(s, 'login-help-task')[0]!.doneAt, purchasedAt)).toBe(7);
    expect(s.tasks).toHaveLength(2);
    expect(s.tasks[0]).toMatchObject({ owner: { email: 'sam.rivera@success.example' }, status: 'open' });
    // Nobody completed the login task: two days past its due date (day 10) the success manager's manager hears of it.
    expect(s.tasks[1]).toMatchObject({ owner: { email: 'jordan.lee@success.example' }, title: expect.stringContaining('overdue (owner Sam Rivera)') });
    expect(dayOf(touchpoint(s, 'notify-manager')[0]!.doneAt, purchasedAt)).toBe(12);

    const training = touchpoint(s, 'reports-training')[0]!;
    expect(dayOf(training.doneAt, purchasedAt)).toBe(21);
    const booking = s.bookings.find((b) => b.kind === 'training')!;
    expect(booking.topic).toBe('Getting value from reports');
    // Booked within Berlin business hours, after the miss.
    expect(Date.parse(booking.startsAt)).toBeGreaterThan(purchasedAt + 21 * DAY_MS);
    const localHour = Number(new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hour12: false, timeZone: 'Europe/Berlin' }).format(new Date(booking.startsAt)));
    expect(localHour).toBeGreaterThanOrEqual(9);
    expect(localHour).toBeLessThan(17);
    expect(s.stage).toBe('onboarding');
    expect(s.atRisk).toBe(false);

    await untilDay(91);
    s = await state();
    expect(s.stage).toBe('adoption');
    expect(s.atRisk).toBe(true);
    expect(s.atRiskReasons[0]!.reason).toContain('first-login, key-feature-used');
    expect(s.stageHistory[0]).toMatchObject({ stage: 'onboarding', reason: 'time limit' });
  });
});

test('a full year: renewal opens 90 days before the renewal date, and renewal.renewed starts term 2', async () => {
  await journey(async ({ handle, purchasedAt, activities, state, untilDay }) => {
    await handle.signal(productEventSignal, productEvent('user.login', {}, purchasedAt));
    await handle.signal(productEventSignal, productEvent('feature.used', { feature: 'reports' }, purchasedAt));
    await untilDay(280);
    let s = await state();
    expect(s.stage).toBe('renewal');
    expect(dayOf(s.stageHistory.find((h) => h.stage === 'renewal')!.enteredAt, purchasedAt)).toBe(275);
    // Onboarding ended at once (both milestones on day 0), yet the kickoff call it promised still happened on day 2.
    expect(s.stageHistory[0]).toMatchObject({ stage: 'onboarding', reason: 'milestones met' });
    expect(dayOf(touchpoint(s, 'kickoff-call')[0]!.doneAt, purchasedAt)).toBe(2);
    // Nine check-ins every 30 days from day 30 of adoption until the renewal window opened at day 275.
    expect(touchpoint(s, 'check-in-call').filter((t) => t.status === 'done')).toHaveLength(9);

    await untilDay(340);
    s = await state();
    expect(touchpoint(s, 'renewal-reminder-60')[0]).toMatchObject({ status: 'done' });
    expect(dayOf(touchpoint(s, 'renewal-reminder-60')[0]!.doneAt, purchasedAt)).toBe(305);
    expect(dayOf(touchpoint(s, 'renewal-reminder-30')[0]!.doneAt, purchasedAt)).toBe(335);
    expect(s.bookings.some((b) => b.topic === 'Renewal' && b.owner.email === 'alex.chen@success.example')).toBe(true);

    await handle.signal(productEventSignal, productEvent('renewal.renewed', {}, purchasedAt + 340 * DAY_MS));
    await untilDay(341);
    s = await state();
    expect(s.term).toBe(2);
    expect(s.stage).toBe('adoption');
    expect(Date.parse(s.renewalDate)).toBe(purchasedAt + 730 * DAY_MS);
    expect(s.previousTerms).toEqual([expect.objectContaining({ term: 1, outcome: 'renewed' })]);
    expect(milestone(s, 'first-login').status).toBe('reached');
    expect(milestone(s, 'renewal-decided').status).toBe('pending');
    expect(activities.sendTouchpointEmail.mock.calls).toHaveLength(3); // welcome, two reminders: nothing repeated
    const term2Reminder = activities.sendTouchpointEmail.mock.calls.at(-1)![0];
    expect(term2Reminder.customer.renewalDate).toBe(new Date(purchasedAt + 365 * DAY_MS).toISOString());

    // A billing retry about term 1 (it occurred before term 2 began) does not renew again.
    await handle.signal(productEventSignal, productEvent('renewal.renewed', {}, purchasedAt + 340 * DAY_MS));
    await untilDay(341.5);
    expect((await state()).term).toBe(2);
    // Nor does the same renewal sent again without its time (stamped on arrival, just after term 2 began).
    const now = Date.parse((await state()).termStartedAt) + DAY_MS / 2;
    await handle.signal(productEventSignal, productEvent('renewal.renewed', {}, now));
    await untilDay(345);
    expect((await state()).term).toBe(2);
  });
});

test('renewal.churned ends the journey with that outcome; a duplicate event counts once', async () => {
  await journey(async ({ handle, purchasedAt, state, untilDay }) => {
    const login = productEvent('user.login', {}, purchasedAt);
    await handle.signal(productEventSignal, login);
    await handle.signal(productEventSignal, login);
    await untilDay(10);
    expect((await state()).eventsReceived).toBe(1);

    await handle.signal(productEventSignal, productEvent('renewal.churned', {}, purchasedAt + 10 * DAY_MS));
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'churned', terms: 1 });
  });
});

test('on a demo clock a journey day lasts what the input says: day 7 escalations arrive after 7 minutes', async () => {
  const minute = 60_000;
  await runJourney(
    env,
    recorded,
    async ({ state }) => {
      await env.sleep(6 * minute);
      expect((await state()).milestones.find((m) => m.id === 'first-login')!.status).toBe('pending');
      await env.sleep(2 * minute);
      const s = await state();
      expect(s.dayMs).toBe(minute);
      const startedAt = Date.parse(s.termStartedAt); // a demo clock starts when the journey does
      expect(Date.parse(s.renewalDate)).toBe(startedAt + 365 * minute);
      expect(Math.round((Date.parse(touchpoint(s, 'login-help-email')[0]!.doneAt!) - startedAt) / minute)).toBe(7);
      expect(touchpoint(s, 'kickoff-call')[0]).toMatchObject({ status: 'done' });
    },
    { clock: { dayMs: minute } },
  );
});

test('a churn arriving with a renewal not yet acted on wins: the customer is not carried into a new term', async () => {
  await journey(async ({ handle, purchasedAt, untilDay }) => {
    await untilDay(300);
    await handle.signal(productEventSignal, productEvent('renewal.renewed', {}, purchasedAt + 300 * DAY_MS));
    await handle.signal(productEventSignal, productEvent('renewal.churned', {}, purchasedAt + 300 * DAY_MS));
    expect(await handle.result()).toMatchObject({ outcome: 'churned', terms: 1 });
  });
});

test('an event that changes nothing about when the journey wakes next leaves its timer running, and no upsert repeats a value', async () => {
  await journey(async ({ handle, purchasedAt, state, untilDay }) => {
    await untilDay(2);
    const before = (await state()).eventsReceived;
    for (let i = 1; i <= 3; i += 1) {
      await handle.signal(productEventSignal, productEvent('page.viewed', {}, purchasedAt + 2 * DAY_MS));
      while ((await state()).eventsReceived < before + i) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { events } = await handle.fetchHistory();
    const firstSignal = events!.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
    const afterSignals = events!.slice(firstSignal);
    expect(afterSignals.filter((e) => e.workflowExecutionSignaledEventAttributes)).toHaveLength(3);
    // Each event woke the journey, and it went back to the timer it had.
    expect(afterSignals.filter((e) => e.timerCanceledEventAttributes || e.timerStartedEventAttributes)).toEqual([]);
    // The stage, risk and term were upserted once, at the start, and never again with the same values.
    const upserts = events!.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes);
    expect(upserts).toHaveLength(1);
  });
});

test('a paused journey performs nothing; events sent meanwhile are acted on at the resume, and the pause is on record', async () => {
  await journey(async ({ handle, purchasedAt, activities, state, untilDay }) => {
    await untilDay(1);
    expect(await refusal(handle.executeUpdate(pauseJourneyUpdate, { args: [{ reason: '  ' }] }))).toMatch(/a reason is required/);
    expect(await refusal(handle.executeUpdate(resumeJourneyUpdate, { args: [{}] }))).toMatch(/not paused/);
    const paused = await handle.executeUpdate(pauseJourneyUpdate, { args: [{ reason: 'billing dispute', by: 'ops@success.example' }] });
    expect(paused).toMatchObject({ reason: 'billing dispute', by: 'ops@success.example' });
    expect(await refusal(handle.executeUpdate(pauseJourneyUpdate, { args: [{ reason: 'again' }] }))).toMatch(/already paused/);

    await untilDay(2);
    await handle.signal(productEventSignal, productEvent('user.login', {}, purchasedAt + 2 * DAY_MS));
    await untilDay(12);
    let s = await state();
    // The kickoff call (day 2) and the first-login deadline (day 7) passed while paused: nothing happened.
    expect(activities.bookMeeting).not.toHaveBeenCalled();
    expect(milestone(s, 'first-login')).toMatchObject({ status: 'pending' });
    expect(s.heldEvents).toHaveLength(1);
    const { currentDetails } = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(currentDetails).toContain('**Paused** since');

    const resumed = await handle.executeUpdate(resumeJourneyUpdate, { args: [{ by: 'ops@success.example' }] });
    expect(resumed).toMatchObject({ reason: 'billing dispute', eventsHeld: 1 });
    await untilDay(13);
    s = await state();
    // The login held since day 2 counts as of day 2: the milestone was reached on time, and no help email went.
    expect(milestone(s, 'first-login')).toMatchObject({ status: 'reached', reachedAt: new Date(purchasedAt + 2 * DAY_MS).toISOString() });
    expect(activities.sendTouchpointEmail.mock.calls.map(([input]) => input.template)).toEqual(['welcome']);
    expect(activities.bookMeeting.mock.calls.map(([input]) => input.topic)).toEqual(['Kickoff']); // what fell due, now
    expect(s.paused).toBeUndefined();
    expect(s.pauses).toEqual([expect.objectContaining({ reason: 'billing dispute', resumedBy: 'ops@success.example' })]);
    expect(dayOf(s.pauses![0]!.resumedAt, purchasedAt)).toBe(12);
  });
});

test('a cancelled journey ends with the reason given, and is not a churn', async () => {
  await journey(async ({ handle, untilDay }) => {
    await untilDay(3);
    expect(await refusal(handle.executeUpdate(cancelJourneyUpdate, { args: [null as never] }))).toMatch(/must be an object/);
    const cancelled = await handle.executeUpdate(cancelJourneyUpdate, { args: [{ reason: 'duplicate account', by: 'ops@success.example' }] });
    expect(cancelled.reason).toBe('duplicate account');
    expect(await handle.result()).toMatchObject({ outcome: 'cancelled', reason: 'duplicate account', terms: 1 });
  });
});
