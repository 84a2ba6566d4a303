import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { parse } from 'yaml';
import { PgSessionCalendar } from '../../src/delivery/session-calendar';
import { testDatabase } from '../helpers/database';
import { verifyWebhookSignature } from '../../src/delivery/webhooks';
import type { Customer } from '../../src/journeys/customer';
import { parseMap } from '../../src/maps/catalog';
import type { JourneyState } from '../../workflows/journey';
import { completeTaskUpdate, contactUnsubscribedSignal, migrateMapUpdate, productEventSignal, reassignOwnerUpdate } from '../../contracts/messages';
import { DAY_MS, productEvent, templates } from '../helpers/fixtures';
import { createTimeSkippingEnv, recordedActivities, runJourney, type JourneyStory } from '../helpers/time-skipping';

/**
 * The map language's touchpoint rules, each played out under time skipping with the real activity code:
 * delivery windows, the frequency cap, unsubscribes, overdue tasks, no-shows, webhooks, and the stage and
 * milestone rules (counts, event exits, entry conditions, timing from a milestone, escalation levels).
 */
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

const recorded = recordedActivities;
type Story = JourneyStory<ReturnType<typeof recorded>>;

/** A map from YAML, validated as a map author's would be. */
const mapOf = (yaml: string) => parseMap(parse(yaml), templates);

const journey = (yaml: string, story: (ctx: Story) => Promise<void>, options: { customer?: Partial<Customer> } = {}) =>
  runJourney(env, recorded, story, { ...options, map: mapOf(yaml) });

const records = (s: JourneyState, id: string) => s.touchpoints.filter((t) => t.touchpointId === id);
const dayOf = (iso: string | undefined, purchasedAt: number) =>
  iso === undefined ? undefined : (Date.parse(iso) - purchasedAt) / DAY_MS;

/** One stage that lasts until renewal, holding the touchpoints and milestones given (YAML, indented 4). */
const oneStage = (body: string, extra = '') => `
id: test
version: 1
name: Test map
${extra}
stages:
  - id: onboarding
    name: Onboarding
    owner: successManager
${body}
renewal: { nextTermStage: onboarding }
`;

test('an email due at 03:00 in the contact’s time zone goes out when the delivery window opens at 09:00', async () => {
  const map = oneStage(
    `    touchpoints:
      - { id: tip, action: email, template: monthly-tips, owner: successManager, at: { days: 1 } }
      - { id: lunch-tip, action: email, template: monthly-tips, owner: successManager, at: { days: 1 }, window: { days: [mon, tue, wed, thu, fri, sat, sun], from: '12:00', to: '13:00' } }`,
    `delivery: { window: { days: [mon, tue, wed, thu, fri, sat, sun], from: '09:00', to: '17:00' } }`,
  );
  // A time zone where the tip falls due at 03:xx local: whatever hour the test server's clock shows now.
  const purchasedAt = await env.currentTimeMs();
  const utcHour = new Date(purchasedAt + DAY_MS).getUTCHours();
  const offset = ((3 - utcHour + 36) % 24) - 12; // local = UTC + offset, in -12..+11
  const timeZone = offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
  await journey(
    map,
    async ({ purchasedAt, activities, state, untilDay }) => {
      await untilDay(1.1);
      let tip = records(await state(), 'tip')[0]!;
      expect(tip).toMatchObject({ status: 'pending', heldBack: "outside the contact's delivery window" });
      expect(activities.sendTouchpointEmail).not.toHaveBeenCalled();
      const due = DateTime.fromMillis(Date.parse(tip.dueAt), { zone: timeZone });
      expect(due.hour).toBe(3);

      await untilDay(2);
      tip = records(await state(), 'tip')[0]!;
      expect(tip.status).toBe('done');
      const sent = DateTime.fromISO(tip.doneAt!, { zone: timeZone });
      expect(sent.toFormat('yyyy-MM-dd HH:mm')).toBe(due.set({ hour: 9, minute: 0 }).toFormat('yyyy-MM-dd HH:mm'));
      expect(dayOf(tip.doneAt, purchasedAt)).toBeLessThan(1.5);
      // A touchpoint's own window wins over the map's.
      const lunch = DateTime.fromISO(records(await state(), 'lunch-tip')[0]!.doneAt!, { zone: timeZone });
      expect(lunch.toFormat('yyyy-MM-dd HH:mm')).toBe(due.set({ hour: 12, minute: 0 }).toFormat('yyyy-MM-dd HH:mm'));
    },
    { customer: { timeZone } },
  );
});

test('the frequency cap delays what does not fit, drops what the map says to drop, and lets transactional email through', async () => {
  const map = oneStage(
    `    touchpoints:
      - { id: tip-1, action: email, template: monthly-tips, owner: successManager, at: { days: 1 } }
      - { id: tip-2, action: email, template: monthly-tips, owner: successManager, at: { days: 2 } }
      - { id: tip-3, action: email, template: monthly-tips, owner: successManager, at: { days: 3 } }
      - { id: tip-4, action: email, template: monthly-tips, owner: successManager, at: { days: 4 }, whenCapped: drop }
      - { id: notice, action: email, template: monthly-tips, owner: successManager, at: { days: 5 }, transactional: true }`,
    `delivery: { emailCap: { max: 2, perDays: 7 } }`,
  );
  await journey(map, async ({ purchasedAt, activities, state, untilDay }) => {
    await untilDay(6);
    let s = await state();
    expect(records(s, 'tip-3')[0]).toMatchObject({ status: 'pending', heldBack: 'frequency cap: 2 emails in 7 days' });
    expect(dayOf(records(s, 'tip-3')[0]!.sendAt, purchasedAt)).toBeCloseTo(8, 3); // a week after tip-1
    expect(records(s, 'tip-4')[0]).toMatchObject({ status: 'skipped', result: 'frequency cap: 2 emails in 7 days' });
    expect(records(s, 'notice')[0]!.status).toBe('done');
    expect(activities.sendTouchpointEmail.mock.calls.map(([input]) => input.key.split('/').at(-1))).toEqual(['tip-1#1', 'tip-2#1', 'notice#1']);

    await untilDay(9);
    s = await state();
    expect(records(s, 'tip-3')[0]!.status).toBe('done');
    expect(dayOf(records(s, 'tip-3')[0]!.doneAt, purchasedAt)).toBeCloseTo(8, 3);
  });
});

test('an unsubscribed contact gets no more email; a session becomes a task for its owner to arrange', async () => {
  const map = oneStage(`    touchpoints:
      - { id: welcome, action: email, template: welcome, owner: successManager, at: { days: 0 } }
      - { id: tips, action: email, template: monthly-tips, owner: successManager, at: { days: 3 } }
      - { id: kickoff, action: call, topic: Kickoff, owner: successManager, at: { days: 4 } }
      - { id: check, action: task, title: Check the account, owner: successManager, at: { days: 5 } }`);
  await journey(map, async ({ handle, activities, state, untilDay }) => {
    await untilDay(1);
    await handle.signal(contactUnsubscribedSignal, { email: 'ANA@acme.example', at: new Date().toISOString() });
    await untilDay(6);
    const s = await state();
    expect(s.unsubscribed).toMatchObject({ email: 'ANA@acme.example' });
    expect(activities.sendTouchpointEmail).toHaveBeenCalledTimes(1); // the welcome, before the unsubscribe
    expect(records(s, 'tips')[0]).toMatchObject({ status: 'skipped', result: 'contact unsubscribed from journey emails' });
    expect(records(s, 'kickoff')[0]).toMatchObject({ status: 'skipped' });
    expect(activities.bookMeeting).not.toHaveBeenCalled();
    expect(records(s, 'kickoff-direct')[0]).toMatchObject({ status: 'done', action: 'task', owner: { email: 'sam.rivera@success.example' } });
    expect(records(s, 'check')[0]!.status).toBe('done');
    expect(s.tasks.map((t) => t.title)).toEqual([
      expect.stringContaining('Arrange "kickoff" with Ana Lopez directly'),
      'Check the account',
    ]);
  });
});

test('a call its owner has no free hour for within two weeks becomes a task for the owner, not endless retries', async () => {
  // Few owners, many customers: Sam's next month is booked solid.
  // The owner is booked for weeks in this file's calendar, until the test is over.
  const calendar = new PgSessionCalendar(await testDatabase());
  const from = await env.currentTimeMs();
  await calendar.reserve('all-booked', 'sam.rivera@success.example', new Date(from), new Date(from + 40 * DAY_MS));
  const map = oneStage(`    touchpoints:
      - { id: kickoff, action: call, topic: Kickoff, owner: successManager, at: { days: 1 } }`);
  try {
  await journey(
    map,
    async ({ activities, state, untilDay }) => {
      await untilDay(2);
      const s = await state();
      expect(activities.bookMeeting).toHaveBeenCalledTimes(1);
      expect(records(s, 'kickoff')[0]).toMatchObject({
        status: 'failed',
        result: expect.stringMatching(/^Sam Rivera has no free business-hours slot of 30 minutes within 14 days/),
      });
      expect(s.tasks.map((t) => t.title)).toEqual([expect.stringMatching(/^Do it by hand: kickoff for Acme.*no free business-hours slot/)]);
      expect(s.tasks[0]!.owner.email).toBe('sam.rivera@success.example');
    },
  );
  } finally {
    await calendar.release('all-booked');
  }
});

test('an overdue task escalates level by level to the owner’s manager, and completing it stops the escalation', async () => {
  const map = oneStage(`    touchpoints:
      - id: review
        action: task
        title: Review the account plan
        owner: successManager
        dueInDays: 2
        at: { days: 1 }
        onOverdue:
          - { afterDays: 1, notify: manager }
          - { afterDays: 4, markAtRisk: true }`);
  const manager = { name: 'Mia Manager', email: 'mia@success.example' };
  const owners = { successManager: { name: 'Sam Rivera', email: 'sam.rivera@success.example', manager } };
  await journey(
    map,
    async ({ handle, purchasedAt, state, untilDay }) => {
      await untilDay(4.5);
      let s = await state();
      const [review, escalation] = s.tasks;
      expect(review).toMatchObject({ title: 'Review the account plan', status: 'open', owner: { email: 'sam.rivera@success.example' } });
      expect(dayOf(review!.dueAt, purchasedAt)).toBeCloseTo(3, 3);
      expect(escalation).toMatchObject({ owner: manager, status: 'open' });
      expect(escalation!.title).toMatch(/task "Review the account plan" overdue \(owner Sam Rivera\)/);
      expect(s.atRisk).toBe(false);

      const completion = { taskId: review!.taskId, outcome: 'plan reviewed', notes: 'all good' };
      const done = await handle.executeUpdate(completeTaskUpdate, { args: [completion] });
      expect(done).toMatchObject({ status: 'done', outcome: 'plan reviewed', notes: 'all good' });
      const again = await handle.executeUpdate(completeTaskUpdate, { args: [{ ...completion, outcome: 'changed my mind' }] });
      expect(again).toEqual(done);
      await expect(handle.executeUpdate(completeTaskUpdate, { args: [{ ...completion, taskId: 'task-nobody-000000000000' }] })).rejects.toMatchObject({
        cause: { message: 'this journey has no task "task-nobody-000000000000"' },
      });

      await untilDay(10);
      s = await state();
      expect(s.atRisk).toBe(false); // the second level never ran
      expect(s.tasks).toHaveLength(2);
    },
    { customer: { owners } },
  );
});

test('without completion the second level marks the customer at risk', async () => {
  const map = oneStage(`    touchpoints:
      - id: review
        action: task
        title: Review the account plan
        owner: successManager
        dueInDays: 2
        at: { days: 1 }
        onOverdue:
          - { afterDays: 4, markAtRisk: true }`);
  await journey(map, async ({ purchasedAt, state, untilDay }) => {
    await untilDay(8);
    const s = await state();
    expect(s.atRisk).toBe(true);
    expect(s.atRiskReasons[0]!.reason).toMatch(/task "Review the account plan" overdue/);
    expect(dayOf(s.atRiskReasons[0]!.at, purchasedAt)).toBeCloseTo(7, 3);
  });
});

test('a no-show is booked again once, then the owner gets a follow-up task; a follow-up only for those who attended waits for that', async () => {
  const map = oneStage(`    touchpoints:
      - { id: training, action: training, topic: Reports, owner: successManager, at: { days: 1 }, onNoShow: { rebook: 1, task: Call about the missed training } }
      - { id: recap, action: email, template: monthly-tips, owner: successManager, at: { days: 20 }, audience: { stepOutcome: { touchpoint: training, is: attended } } }
      - { id: second-chance, action: email, template: monthly-tips, owner: successManager, at: { days: 20 }, audience: { stepOutcome: { touchpoint: training, is: no-show } } }`);
  await journey(map, async ({ handle, purchasedAt, activities, state, untilDay }) => {
    await untilDay(10);
    let s = await state();
    const first = s.bookings[0]!;
    expect(first.kind).toBe('training');
    await handle.signal(productEventSignal, { ...productEvent('training.no_show', {}, purchasedAt + 10 * DAY_MS), bookingId: first.bookingId });
    await untilDay(12);
    s = await state();
    expect(records(s, 'training').map((r) => r.trigger)).toEqual(['scheduled by the map', 'rebooked after a no-show']);
    expect(s.bookings).toHaveLength(2);
    expect(activities.bookMeeting).toHaveBeenCalledTimes(2);

    await handle.signal(productEventSignal, { ...productEvent('training.no_show', {}, purchasedAt + 12 * DAY_MS), bookingId: s.bookings[1]!.bookingId });
    await untilDay(21);
    s = await state();
    expect(activities.bookMeeting).toHaveBeenCalledTimes(2);
    expect(s.tasks.map((t) => t.title)).toEqual(['Call about the missed training: Acme Analytics missed "Reports"']);
    expect(records(s, 'recap')[0]).toMatchObject({ status: 'skipped', result: 'not for this customer (training was no-show, not attended)' });
    expect(records(s, 'second-chance')[0]!.status).toBe('done');
  });
});

test('a webhook is signed, retried with backoff while the receiver fails, and carries the same idempotency key each time', async () => {
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(received.length < 3 ? 503 : 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/journeys`;
  const map = oneStage(`    touchpoints:
      - { id: crm-sync, action: webhook, url: '${url}', event: journey.onboarding_started, owner: successManager, at: { days: 0 } }`);
  try {
    await journey(map, async ({ state, untilDay }) => {
      await untilDay(1);
      const s = await state();
      expect(records(s, 'crm-sync')[0]).toMatchObject({ status: 'done', result: expect.stringContaining('(200)') });
      expect(received).toHaveLength(3);
      const keys = new Set(received.map((r) => r.headers['idempotency-key']));
      expect(keys.size).toBe(1);
      expect(new Set(received.map((r) => r.body)).size).toBe(1);
      for (const { headers, body } of received) {
        const signed = { signature: headers['journey-signature'] as string, timestamp: headers['journey-timestamp'] as string, body };
        expect(verifyWebhookSignature({ secret: 'test-webhook-secret', ...signed, nowSeconds: Number(signed.timestamp) })).toBe(true);
        expect(verifyWebhookSignature({ secret: 'another-secret-value', ...signed, nowSeconds: Number(signed.timestamp) })).toBe(false);
      }
      expect(JSON.parse(received[0]!.body)).toMatchObject({ event: 'journey.onboarding_started', customer: { company: 'Acme Analytics' }, data: { stage: 'onboarding' } });
    });
  } finally {
    receiver.close();
  }
});

test('milestone rules: a count within a window, timing from a milestone, escalation levels, an exit on an event, and a stage passed over', async () => {
  const map = readFileSync(path.join(__dirname, '..', 'fixtures', 'maps', 'rules.yaml'), 'utf8');
  await journey(map, async ({ handle, purchasedAt, state, untilDay }) => {
    const login = (day: number) => handle.signal(productEventSignal, productEvent('user.login', {}, purchasedAt + day * DAY_MS));
    await login(0.5);
    await untilDay(9); // missed on day 5, still missed on day 8: both levels ran
    let s = await state();
    const regular = s.milestones[0]!;
    expect(regular).toMatchObject({ status: 'missed', escalations: 1 });
    expect(s.tasks.map((t) => t.title)).toEqual(['Escalation for Acme Analytics: missed milestone: Three logins in a week']);
    expect(s.atRisk).toBe(true);
    expect(records(s, 'congrats')).toEqual([]);

    await login(9); // the login on day 0.5 is out of the week by now
    await login(9.5);
    await untilDay(10);
    expect((await state()).milestones[0]!.status).toBe('missed');
    await login(10);
    await untilDay(13);
    s = await state();
    expect(s.milestones[0]).toMatchObject({ status: 'reached' });
    expect(dayOf(s.milestones[0]!.reachedAt, purchasedAt)).toBeCloseTo(10, 3);
    expect(records(s, 'congrats')[0]).toMatchObject({ status: 'done', trigger: 'milestone "regular-use" reached' });
    expect(dayOf(records(s, 'congrats')[0]!.doneAt, purchasedAt)).toBeCloseTo(12, 3);

    await handle.signal(productEventSignal, productEvent('plan.upgraded', { plan: 'team' }, purchasedAt + 13 * DAY_MS));
    await untilDay(14);
    expect((await state()).stage).toBe('onboarding');
    await handle.signal(productEventSignal, productEvent('plan.upgraded', { plan: 'enterprise' }, purchasedAt + 14 * DAY_MS));
    await untilDay(15);
    s = await state();
    // The customer's plan (pro) keeps them out of expansion: straight on to adoption.
    expect(s.stage).toBe('adoption');
    expect(s.goals).toEqual([
      expect.objectContaining({ id: 'quick-start', status: 'missed' }),
      expect.objectContaining({ id: 'adopted', status: 'met', at: s.milestones[0]!.reachedAt }),
    ]);
    expect(dayOf(s.goals![0]!.at, purchasedAt)).toBeCloseTo(5, 3);
    expect(dayOf(s.goals![1]!.dueAt, purchasedAt)).toBeCloseTo(44, 1); // adoption entered on day 14
    expect(s.stageHistory.map((h) => [h.stage, h.reason])).toEqual([
      ['onboarding', 'event plan.upgraded'],
      ['expansion', 'passed over: plan pro'],
      ['adoption', undefined],
    ]);
  });
});

test('each stage’s event exit works in turn; an email waiting for its window outlives the stage it fell due in', async () => {
  const map = `
id: events
version: 1
name: Events
delivery: { window: { days: [mon, tue, wed, thu, fri, sat, sun], from: '09:00', to: '10:00' } }
stages:
  - id: one
    name: One
    owner: successManager
    touchpoints:
      - { id: hello, action: email, template: monthly-tips, owner: successManager, at: { days: 0 } }
    exit: { event: { type: step.one } }
  - id: two
    name: Two
    owner: successManager
    exit: { event: { type: step.two } }
  - id: three
    name: Three
    owner: successManager
renewal: { nextTermStage: three }
`;
  // A zone where the purchase falls outside 09:00-10:00, so the welcome waits for the window.
  const now = await env.currentTimeMs();
  const offset = ((14 - new Date(now).getUTCHours() + 36) % 24) - 12;
  const timeZone = offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
  await journey(
    map,
    async ({ handle, purchasedAt, state, untilDay }) => {
      await untilDay(0.01);
      expect(records(await state(), 'hello')[0]).toMatchObject({ status: 'pending', heldBack: "outside the contact's delivery window" });
      await handle.signal(productEventSignal, productEvent('step.one', {}, purchasedAt + 0.01 * DAY_MS));
      await untilDay(0.02);
      await handle.signal(productEventSignal, productEvent('step.two', {}, purchasedAt + 0.02 * DAY_MS));
      await untilDay(1.1);
      const s = await state();
      expect(s.stageHistory.map((h) => [h.stage, h.reason])).toEqual([
        ['one', 'event step.one'],
        ['two', 'event step.two'],
        ['three', undefined],
      ]);
      expect(records(s, 'hello')[0]!.status).toBe('done');
    },
    { customer: { timeZone } },
  );
});

test('a count milestone is reached when enough matches fall in one window, whatever order they arrive in', async () => {
  const map = oneStage(`    milestones:
      - { id: regular, name: Three logins in a week, event: { type: user.login, count: { times: 3, withinDays: 7 } }, due: { days: 30 } }`);
  await journey(map, async ({ handle, purchasedAt, state, untilDay }) => {
    await untilDay(10);
    for (const day of [5, 6, 4]) await handle.signal(productEventSignal, productEvent('user.login', {}, purchasedAt + day * DAY_MS));
    await untilDay(10.5);
    const regular = (await state()).milestones[0]!;
    expect(regular.status).toBe('reached');
    expect(dayOf(regular.reachedAt, purchasedAt)).toBeCloseTo(6, 3); // the third login of the window
  });
});

test('reassigning a role moves the previous holder’s open work, not what an escalation sent to their manager', async () => {
  const map = oneStage(`    touchpoints:
      - { id: review, action: task, title: Review the account plan, owner: successManager, dueInDays: 1, at: { days: 1 }, onOverdue: [{ afterDays: 1, notify: manager }] }
      - { id: later, action: task, title: Quarterly check, owner: successManager, at: { days: 20 } }`);
  await journey(map, async ({ handle, state, untilDay }) => {
    await untilDay(4);
    const riley = { name: 'Riley Park', email: 'riley.park@success.example' };
    const moved = await handle.executeUpdate(reassignOwnerUpdate, { args: [{ role: 'successManager', owner: riley }] });
    const s = await state();
    const [review, escalation] = s.tasks;
    expect(moved.movedTasks).toEqual([review!.taskId]);
    expect(moved.movedTouchpoints).toEqual(['later#1']);
    expect(review!.owner).toEqual(riley);
    expect(escalation!.owner.email).toBe('jordan.lee@success.example');
    await expect(handle.executeUpdate(reassignOwnerUpdate, { args: [{ role: 'sucessManager', owner: riley }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/^this journey has no role "sucessManager" \(roles: .*successManager/) },
    });
    await untilDay(21);
    expect(records(await state(), 'later')[0]).toMatchObject({ status: 'done', owner: riley, result: 'task created for riley.park@success.example' });
  });
});

test('a rebooked session and the cadence’s next session are booked apart', async () => {
  const map = oneStage(`    touchpoints:
      - { id: checkin, action: call, topic: Check-in, owner: successManager, at: { days: 1 }, every: 7 }`);
  await journey(map, async ({ handle, purchasedAt, activities, state, untilDay }) => {
    await untilDay(3);
    const first = (await state()).bookings[0]!;
    await handle.signal(productEventSignal, { ...productEvent('training.no_show', {}, purchasedAt + 3 * DAY_MS), bookingId: first.bookingId });
    await untilDay(16);
    const s = await state();
    expect(records(s, 'checkin').map((r) => [r.key, r.status])).toEqual([
      ['checkin#1', 'done'],
      ['checkin#2', 'done'], // scheduled when the first was booked, before its no-show
      ['checkin#1/rebook-1', 'done'],
      ['checkin#3', 'done'],
      ['checkin#4', 'pending'],
    ]);
    expect(new Set(s.bookings.map((b) => b.bookingId)).size).toBe(4);
    expect(activities.bookMeeting).toHaveBeenCalledTimes(4);
  });
});

test('after a migration renames the stage, what was pending in it still happens', async () => {
  const v1 = oneStage(`    touchpoints:
      - { id: check, action: task, title: Check the account, owner: successManager, at: { days: 5 } }`);
  const v2 = mapOf(v1.replace('version: 1', 'version: 2').replace('id: onboarding', 'id: welcome').replace('nextTermStage: onboarding', 'nextTermStage: welcome'));
  await journey(v1, async ({ handle, state, untilDay }) => {
    await untilDay(1);
    const plan = await handle.executeUpdate(migrateMapUpdate, { args: [{ map: v2, stageMapping: { onboarding: 'welcome' } }] });
    expect(plan.stage).toEqual({ from: 'onboarding', to: 'welcome' });
    await untilDay(6);
    const s = await state();
    expect(s.stage).toBe('welcome');
    expect(records(s, 'check')[0]).toMatchObject({ status: 'done', stage: 'welcome' });
  });
});

test('a migration while a touchpoint’s activity is under way does not drop it: it happens, and the plan says so', async () => {
  const v1 = oneStage(`    touchpoints:
      - { id: welcome, action: email, template: welcome, owner: successManager, at: { days: 0 } }
      - { id: tips, action: email, template: monthly-tips, owner: successManager, at: { days: 3 } }`);
  const v2 = mapOf(oneStage('    touchpoints: []').replace('version: 1', 'version: 2'));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let sending!: () => void;
  const sendingStarted = new Promise<void>((resolve) => (sending = resolve));
  const slowWelcome = (real: Parameters<typeof recorded>[0]) => ({
    ...recorded(real),
    // The welcome email is on its way (the SMTP server is slow) when the migration arrives.
    sendTouchpointEmail: jest.fn(async (input: Parameters<typeof real.sendTouchpointEmail>[0]) => {
      sending();
      await released;
      return real.sendTouchpointEmail(input);
    }),
  });
  await runJourney(env, slowWelcome, async ({ handle, state }) => {
    await sendingStarted;
    const plan = await handle.executeUpdate(migrateMapUpdate, { args: [{ map: v2 }] }).finally(release);
    expect(plan.droppedTouchpoints).toEqual(['tips#1']);
    await eventuallyDone(state, 'welcome');
    const s = await state();
    expect(records(s, 'welcome')[0]).toMatchObject({ status: 'done', result: 'email sent to ana@acme.example' });
    expect(records(s, 'tips')[0]).toMatchObject({ status: 'skipped', result: 'removed by the migration to test@2' });
  }, { map: mapOf(v1) });
});

async function eventuallyDone(state: () => Promise<JourneyState>, touchpointId: string): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    if (records(await state(), touchpointId)[0]?.status !== 'pending') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('signals sent straight to Temporal with malformed payloads are refused and recorded; the journey stays healthy', async () => {
  const map = oneStage(`    milestones:
      - { id: first-login, name: First login, event: { type: user.login }, due: { days: 7 } }`);
  await journey(map, async ({ handle, state, untilDay }) => {
    await untilDay(1);
    for (const payload of [null, {}, 'login', { eventId: 7, type: 'user.login' }, { eventId: 'no-time', type: 'user.login' }]) {
      await handle.signal(productEventSignal, payload as never);
    }
    await handle.signal('productEvent'); // no payload at all
    await handle.signal(contactUnsubscribedSignal, null as never);
    await untilDay(2);
    let s = await state();
    expect(s.refusedSignals?.map((r) => `${r.signal}: ${r.reason}`)).toEqual([
      'productEvent: the payload must be an event object, not null',
      'productEvent: eventId: must be a string of 1 to 200 characters',
      'productEvent: the payload must be an event object, not string',
      'productEvent: eventId: must be a string of 1 to 200 characters',
      'productEvent: occurredAt: must be an ISO date-time',
      'productEvent: the payload must be an event object, not undefined',
      'contactUnsubscribed: the payload must be an object with email and at, not null',
    ]);
    expect(s).toMatchObject({ eventsReceived: 0, seenEventIds: [] });
    expect(s.unsubscribed).toBeUndefined();
    // A well-formed event after them still counts.
    await handle.signal(productEventSignal, productEvent('user.login'));
    await untilDay(3);
    s = await state();
    expect(s.milestones[0]).toMatchObject({ id: 'first-login', status: 'reached' });
  });
});
