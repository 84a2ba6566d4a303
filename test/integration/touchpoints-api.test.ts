import { simpleParser, type ParsedMail } from 'mailparser';
import { catalog, DAY_MS, purchaseBody } from '../helpers/fixtures';
import { eventually } from '../helpers/eventually';
import { type HttpAnswer, LocalStack, startedForTheseTests } from '../helpers/stack';

/**
 * What a success manager and an ops person do with touchpoints once journeys run, against the real
 * engine on loopback: the Temporal dev server, a real SMTP mail catcher, the worker and the HTTP API.
 * Purchases carry a demo clock (a journey day lasts a second or two), so day 7 comes in seconds.
 */
const stack = new LocalStack({ allowDemoClock: true });
/** The team's default success manager (maps/team.yaml), who owns every journey here until reassigned. */
const SAM = catalog.team.successManager!;
const LOGIN_HELP_TASK = 'Nobody has logged in after 7 days; call the contact and unblock them';
const UNSUBSCRIBED = 'contact unsubscribed from journey emails';
const DEBUG = process.env.TOUCHPOINTS_DEBUG === '1';

startedForTheseTests(stack);

/** Real HTTP against the API; JSON answers parsed, anything else (the unsubscribe pages) as text. */
async function call(method: string, route: string, body?: unknown, init: RequestInit = {}): Promise<HttpAnswer> {
  const response = await fetch(route.startsWith('http') ? route : `${stack.apiUrl}${route}`, {
    method,
    ...init,
    headers: { ...stack.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(init.headers as Record<string, string> | undefined) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('application/json');
  const answer = { status: response.status, body: json ? JSON.parse(text) : text, headers: response.headers };
  if (DEBUG) console.log(method, route, answer.status, JSON.stringify(answer.body, null, 2));
  return answer;
}

const purchase = (customerId: string, secondsPerDay: number) => purchaseBody(customerId, { demoClock: { secondsPerDay } });

async function buy(customerId: string, secondsPerDay: number): Promise<void> {
  const started = await call('POST', '/v1/purchases', purchase(customerId, secondsPerDay));
  expect(started.status).toBe(201);
  expect(started.body).toEqual({ workflowId: `journey-${customerId}`, created: true, map: { id: 'default', version: 1 } });
}

async function journey(customerId: string): Promise<any> {
  const { status, body } = await call('GET', `/v1/customers/${customerId}/journey`);
  expect(status).toBe(200);
  return body;
}

const touchpoint = (state: any, key: string) => state.touchpoints.find((t: { key: string }) => t.key === key);

/** The owner's tasks (open unless told) for one customer: other journeys in this file share the default owner. */
async function tasksOf(owner: string, customerId: string, status?: 'open' | 'done' | 'all'): Promise<any[]> {
  const { status: code, body } = await call('GET', `/v1/tasks?owner=${encodeURIComponent(owner)}${status ? `&status=${status}` : ''}`);
  expect(code).toBe(200);
  return body.tasks.filter((task: { customerId: string }) => task.customerId === customerId);
}

/** Caught mail to one address, newest first, as the API lists it. */
async function mailTo(address: string): Promise<any[]> {
  const { status, body } = await call('GET', `/v1/mail?to=${encodeURIComponent(address)}`);
  expect(status).toBe(200);
  return body.mail;
}

/** The message exactly as the SMTP server received it, parsed. */
async function rawMail(id: string): Promise<{ raw: string; parsed: ParsedMail }> {
  const response = await fetch(`${stack.apiUrl}/v1/mail/${id}.eml`, { headers: stack.headers });
  expect(response.status).toBe(200);
  const raw = Buffer.from(await response.arrayBuffer());
  return { raw: raw.toString('utf8'), parsed: await simpleParser(raw) };
}

/** One header of a raw message, unfolded (RFC 5322 folds long header lines). */
function rawHeader(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** A message's calendar parts (text/calendar, and the application/ics copy nodemailer adds), unfolded. */
function calendarParts(parsed: ParsedMail): { contentType: string; ics: string }[] {
  return parsed.attachments
    .filter((a) => a.contentType === 'text/calendar' || a.contentType === 'application/ics')
    .map((a) => ({ contentType: a.contentType, ics: a.content.toString('utf8').replace(/\r?\n[ \t]/g, '') }));
}

/** Every calendar part of the message says the same: this method, this event, this sequence (and start). */
function expectCalendar(parts: { contentType: string; ics: string }[], expected: { method: string; uid: string; sequence: number; startsAt?: string }) {
  expect(parts.map((p) => p.contentType)).toContain('text/calendar');
  for (const { ics } of parts) {
    expect(icsField(ics, 'METHOD')).toBe(expected.method);
    expect(icsField(ics, 'UID')).toBe(expected.uid);
    expect(icsField(ics, 'SEQUENCE')).toBe(String(expected.sequence));
    if (expected.startsAt) expect(icsInstant(icsField(ics, 'DTSTART')!)).toBe(expected.startsAt);
  }
}

function icsField(ics: string, name: string): string | undefined {
  return new RegExp(`^${name}(?:;[^:\\r\\n]*)?:(.*)$`, 'm').exec(ics)?.[1]?.trim();
}

/** An iCalendar UTC date-time (20261124T143000Z) as an ISO instant. */
function icsInstant(value: string): string {
  return new Date(value.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')).toISOString();
}

test('a missed first login gives the success manager a task, listed by owner and completed once through the API', async () => {
  const customerId = 'tasks-co';
  await buy(customerId, 1);

  // Day 7 without a login: the default map's escalation gives Sam a task.
  const [task] = await eventually(async () => {
    const open = await tasksOf(SAM.email, customerId);
    expect(open).toHaveLength(1);
    return open;
  }, 30_000, 500);
  expect(task).toEqual({
    taskId: expect.stringMatching(new RegExp(`^task-${customerId}-[0-9a-f]{12}$`)),
    title: LOGIN_HELP_TASK,
    owner: SAM,
    dueAt: expect.any(String),
    touchpointKey: 'login-help-task#1',
    ownerRole: 'successManager',
    status: 'open',
    customerId,
  });
  const state = await journey(customerId);
  expect(state.milestones.find((m: { id: string }) => m.id === 'first-login')).toMatchObject({ status: 'missed' });
  // Due three journey days after it was made (the map's default), on the demo clock.
  const made = Date.parse(touchpoint(state, 'login-help-task#1').doneAt);
  expect(Date.parse(task.dueAt) - made).toBeGreaterThanOrEqual(3 * state.dayMs - 1000);
  expect(Date.parse(task.dueAt) - made).toBeLessThanOrEqual(3 * state.dayMs + 1000);
  // Sam hears of it by email, with the task id to complete it by.
  const [notice] = await eventually(async () => {
    const mail = (await mailTo(SAM.email)).filter((m) => m.subject === `Task for ${customerId} Ltd: ${LOGIN_HELP_TASK}`);
    expect(mail).toHaveLength(1);
    return mail;
  });
  expect(notice.text).toContain(`Task id: ${task.taskId}`);

  const completion = { outcome: 'reached the customer', notes: 'SSO was misconfigured; fixed on the call' };
  const done = await call('POST', `/v1/tasks/${task.taskId}/complete`, completion);
  expect(done.status).toBe(200);
  const { customerId: _listedFor, ...recorded } = task;
  expect(done.body).toEqual({
    ...recorded,
    status: 'done',
    completedAt: expect.any(String),
    outcome: completion.outcome,
    notes: completion.notes,
  });
  expect(Math.abs(Date.parse(done.body.completedAt) - Date.now())).toBeLessThan(30_000);

  // Completing again (a double click, a retry) answers the first completion unchanged.
  const again = await call('POST', `/v1/tasks/${task.taskId}/complete`, { outcome: 'something else' });
  expect(again).toMatchObject({ status: 200, body: done.body });

  expect(await tasksOf(SAM.email, customerId)).toEqual([]);
  expect(await tasksOf(SAM.email, customerId, 'done')).toEqual([{ ...done.body, customerId }]);
  expect(await tasksOf(SAM.email, customerId, 'all')).toEqual([{ ...done.body, customerId }]);
  expect((await journey(customerId)).tasks).toEqual([done.body]);

  // Bad input names the field; unknown tasks are 404.
  const noOutcome = await call('POST', `/v1/tasks/${task.taskId}/complete`, { notes: 'forgot the outcome' });
  expect(noOutcome.status).toBe(400);
  expect(noOutcome.body).toEqual({ error: 'invalid request', issues: [{ field: 'outcome', message: 'is required' }] });
  const blankOutcome = await call('POST', `/v1/tasks/${task.taskId}/complete`, { outcome: '   ' });
  expect(blankOutcome.status).toBe(400);
  expect(blankOutcome.body.issues).toEqual([expect.objectContaining({ field: 'outcome' })]);

  const otherTask = `task-${customerId}-0123456789ab`;
  const unknown = await call('POST', `/v1/tasks/${otherTask}/complete`, { outcome: 'done' });
  expect(unknown.status).toBe(404);
  expect(unknown.body.error).toContain(otherTask);
  const unknownCustomer = await call('POST', '/v1/tasks/task-nobody-0123456789ab/complete', { outcome: 'done' });
  expect(unknownCustomer.status).toBe(404);
  const notATask = await call('POST', '/v1/tasks/not-a-task/complete', { outcome: 'done' });
  expect(notATask).toMatchObject({ status: 404, body: { error: 'no task "not-a-task"' } });

  const noOwner = await call('GET', '/v1/tasks');
  expect(noOwner.status).toBe(400);
  expect(noOwner.body.issues).toEqual([expect.objectContaining({ field: 'owner' })]);
  const badStatus = await call('GET', `/v1/tasks?owner=${SAM.email}&status=closed`);
  expect(badStatus.status).toBe(400);
  expect(badStatus.body.issues).toEqual([expect.objectContaining({ field: 'status' })]);
}, 60_000);

test('reassigning the success manager moves the open task and what the role does from then on', async () => {
  const customerId = 'reassign-co';
  const riley = { name: 'Riley Park', email: 'riley.park@success.example' };
  await buy(customerId, 0.5);
  const [task] = await eventually(async () => {
    const open = await tasksOf(SAM.email, customerId);
    expect(open).toHaveLength(1);
    return open;
  }, 30_000, 300);

  const badEmail = await call('PUT', `/v1/customers/${customerId}/owners/successManager`, { name: riley.name, email: 'riley at success' });
  expect(badEmail.status).toBe(400);
  expect(badEmail.body.issues).toEqual([expect.objectContaining({ field: 'email' })]);
  const noName = await call('PUT', `/v1/customers/${customerId}/owners/successManager`, { email: riley.email });
  expect(noName.body.issues).toEqual([{ field: 'name', message: 'is required' }]);
  const badRole = await call('PUT', `/v1/customers/${customerId}/owners/success%20manager`, riley);
  expect(badRole.status).toBe(400);
  expect(badRole.body.issues).toEqual([expect.objectContaining({ field: 'role' })]);
  expect((await call('PUT', '/v1/customers/nobody/owners/successManager', riley)).status).toBe(404);

  const before = await journey(customerId);
  const pendingBefore = before.touchpoints.filter((t: any) => t.status === 'pending' && t.ownerRole === 'successManager').map((t: any) => t.key);
  const moved = await call('PUT', `/v1/customers/${customerId}/owners/successManager`, riley);
  expect(moved.status).toBe(200);
  expect(moved.body).toEqual({
    role: 'successManager',
    owner: riley,
    previous: SAM,
    movedTasks: [task.taskId],
    movedTouchpoints: expect.arrayContaining(pendingBefore),
  });

  // The task is Riley's now, and no longer on Sam's list (the owner search attribute follows).
  const [rileys] = await eventually(async () => {
    const open = await tasksOf(riley.email, customerId);
    expect(open).toHaveLength(1);
    return open;
  });
  expect(rileys).toEqual({ ...task, owner: riley });
  expect(await tasksOf(SAM.email, customerId, 'all')).toEqual([]);

  const after = await journey(customerId);
  expect(after.owners.successManager).toEqual(riley);
  expect(after.tasks).toEqual([expect.objectContaining({ taskId: task.taskId, owner: riley, status: 'open' })]);
  for (const record of after.touchpoints.filter((t: any) => t.status === 'pending' && t.ownerRole === 'successManager')) {
    expect(record.owner).toEqual(riley);
  }
  // What the role does later is Riley's too: day 21 without reports books a training session with Riley.
  const trained = await eventually(async () => {
    const state = await journey(customerId);
    expect(touchpoint(state, 'reports-training#1')).toMatchObject({ status: 'done', owner: riley, ownerRole: 'successManager' });
    return state;
  }, 30_000, 500);
  const session = trained.bookings.find((b: { touchpointKey: string }) => b.touchpointKey === 'reports-training#1');
  expect(session).toMatchObject({ kind: 'training', owner: riley, status: 'booked' });
  const subject = 'Training session booked: Getting value from reports';
  await eventually(async () => expect((await mailTo(riley.email)).map((m) => m.subject)).toContain(subject));
  expect((await mailTo(SAM.email)).filter((m) => m.journeyKey?.startsWith(`journey-${customerId}/`) && m.subject === subject)).toEqual([]);
}, 60_000);

test('a booked kickoff call is rescheduled and cancelled through the API, as updates of the same calendar event', async () => {
  const customerId = 'meetings-co';
  const contact = `jo@${customerId}.example`;
  await buy(customerId, 1);

  // Day 2: the kickoff call is booked and the invitation goes out.
  const booking = await eventually(async () => {
    const state = await journey(customerId);
    expect(state.bookings).toHaveLength(1);
    return state.bookings[0];
  }, 20_000, 300);
  expect(booking).toMatchObject({ kind: 'call', topic: 'Kickoff', status: 'booked', sequence: 0, touchpointKey: 'kickoff-call#1' });
  const uid = `${booking.bookingId}@journeys.local`;
  const invitation = await eventually(async () => {
    const found = (await mailTo(contact)).find((m) => m.subject === `Invitation: Kickoff with ${SAM.name}`);
    expect(found).toBeDefined();
    return found;
  });
  expectCalendar(calendarParts((await rawMail(invitation.id)).parsed), { method: 'REQUEST', uid, sequence: 0, startsAt: booking.startsAt });

  // A week later, same time of day.
  const startsAt = new Date(Date.parse(booking.startsAt) + 7 * DAY_MS).toISOString();
  const endsAt = new Date(Date.parse(booking.endsAt) + 7 * DAY_MS).toISOString();
  const moved = await call('POST', `/v1/customers/${customerId}/bookings/${booking.bookingId}/reschedule`, { startsAt });
  expect(moved.status).toBe(200);
  expect(moved.body).toEqual({ ...booking, startsAt, endsAt, sequence: 1, status: 'booked' });
  const movedMail = await eventually(async () => {
    const found = (await mailTo(contact)).filter((m) => m.subject.startsWith('Moved: Kickoff is now'));
    expect(found).toHaveLength(1);
    return found[0];
  });
  expect(movedMail.to).toEqual(expect.arrayContaining([contact, SAM.email]));
  expectCalendar(calendarParts((await rawMail(movedMail.id)).parsed), { method: 'REQUEST', uid, sequence: 1, startsAt });

  const cancelled = await call('POST', `/v1/customers/${customerId}/bookings/${booking.bookingId}/cancel`, { reason: 'customer asked' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toEqual({ ...moved.body, sequence: 2, status: 'cancelled' });
  const cancelMail = await eventually(async () => {
    const found = (await mailTo(contact)).filter((m) => m.subject.startsWith('Cancelled: Kickoff on'));
    expect(found).toHaveLength(1);
    return found[0];
  });
  expect(cancelMail.text).toContain('Why: customer asked');
  expect(cancelMail.to).toEqual(expect.arrayContaining([contact, SAM.email]));
  expectCalendar(calendarParts((await rawMail(cancelMail.id)).parsed), { method: 'CANCEL', uid, sequence: 2 });
  expect((await journey(customerId)).bookings).toEqual([cancelled.body]);

  // A cancelled meeting stays cancelled: cancelling or moving it again is a conflict, and sends nothing.
  const twice = await call('POST', `/v1/customers/${customerId}/bookings/${booking.bookingId}/cancel`, { reason: 'again' });
  expect(twice.status).toBe(409);
  expect(twice.body.error).toContain('cancelled');
  const revive = await call('POST', `/v1/customers/${customerId}/bookings/${booking.bookingId}/reschedule`, { startsAt });
  expect(revive.status).toBe(409);

  // Bad bodies name the field.
  const noReason = await call('POST', `/v1/customers/${customerId}/bookings/${booking.bookingId}/cancel`, {});
  expect(noReason.status).toBe(400);
  expect(noReason.body.issues).toEqual([expect.objectContaining({ field: 'reason' })]);
  const badStart = await call('POST', `/v1/customers/${customerId}/bookings/${booking.bookingId}/reschedule`, { startsAt: 'next tuesday' });
  expect(badStart.status).toBe(400);
  expect(badStart.body.issues).toEqual([expect.objectContaining({ field: 'startsAt' })]);
  // An unknown booking is refused, naming it (409 today, like every refused meeting change; 404 would match tasks).
  const unknownBooking = await call('POST', `/v1/customers/${customerId}/bookings/booking-nope/cancel`, { reason: 'x' });
  expect([404, 409]).toContain(unknownBooking.status);
  expect(unknownBooking.body.error).toBe('this journey has no booking "booking-nope"');

  await new Promise((resolve) => setTimeout(resolve, 500));
  const meetingMail = (await mailTo(contact)).filter((m) => /^(Invitation|Moved|Cancelled): Kickoff/.test(m.subject));
  expect(meetingMail).toHaveLength(3);
}, 60_000);

test('unsubscribing from a journey email stops journey emails to the contact; the owner still gets tasks', async () => {
  const customerId = 'unsub-co';
  const contact = `jo@${customerId}.example`;
  await buy(customerId, 2);

  const welcome = await eventually(async () => {
    const mail = await mailTo(contact);
    expect(mail).toHaveLength(1);
    return mail[0];
  }, 10_000, 100);
  expect(welcome.subject).toBe(`Welcome to your pro plan, ${customerId} Ltd`);
  const { raw } = await rawMail(welcome.id);
  const header = rawHeader(raw, 'List-Unsubscribe');
  expect(header).toMatch(/^<[^>]+>$/);
  const link = header!.slice(1, -1);
  expect(rawHeader(raw, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
  expect(link.startsWith(`${stack.apiUrl}/unsubscribe/`)).toBe(true);
  expect(/Unsubscribe: (\S+)/.exec(welcome.text)?.[1]).toBe(link);

  // Opening the link (or a mail scanner opening it) only asks.
  const page = await call('GET', link);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toContain('text/html');
  expect(page.body).toContain(`Unsubscribe ${contact} from customer success emails?`);
  expect(page.body).toContain('<form method="post">');
  const suppressed = async () => ((await call('GET', '/v1/suppressions')).body.suppressions as any[]).filter((s) => s.email === contact);
  expect(await suppressed()).toEqual([]);
  expect((await journey(customerId)).unsubscribed).toBeUndefined();

  // The mail client's one-click unsubscribe (RFC 8058).
  const oneClick = await call('POST', link, undefined, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(oneClick.status).toBe(200);
  expect(oneClick.body).toContain(`${contact} is unsubscribed`);
  expect(await suppressed()).toEqual([{ email: contact, customerId, at: expect.any(String), source: 'one-click' }]);
  const state = await eventually(async () => {
    const current = await journey(customerId);
    expect(current.unsubscribed).toEqual({ email: contact, at: expect.any(String) });
    return current;
  }, 5_000, 100);
  // Unsubscribed before the kickoff call (day 2) was booked.
  expect(state.bookings).toEqual([]);
  expect((await call('GET', link)).body).toContain(`${contact} is unsubscribed`);

  // Day 7 without a login: the help email is skipped, the owner's task is made.
  const later = await eventually(async () => {
    const current = await journey(customerId);
    expect(touchpoint(current, 'login-help-email#1')).toMatchObject({ status: 'skipped', result: UNSUBSCRIBED });
    expect(touchpoint(current, 'login-help-task#1')).toMatchObject({ status: 'done' });
    return current;
  }, 30_000, 500);
  expect(touchpoint(later, 'kickoff-call#1')).toMatchObject({ status: 'skipped', result: UNSUBSCRIBED });
  expect(later.bookings).toEqual([]);
  const tasks = await tasksOf(SAM.email, customerId);
  expect(tasks.map((t) => t.title).sort()).toEqual(
    [`Arrange "Kickoff call" with Jo Bloggs directly: they unsubscribed from journey emails`, LOGIN_HELP_TASK].sort(),
  );
  await eventually(async () => {
    const toOwner = (await mailTo(SAM.email)).filter((m) => m.subject.startsWith(`Task for ${customerId} Ltd:`));
    expect(toOwner).toHaveLength(2);
  });

  // Nothing but the welcome ever reached the contact.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect((await mailTo(contact)).map((m) => m.id)).toEqual([welcome.id]);
}, 60_000);

test('an ops person pauses a journey, events sent meanwhile are kept, and the resume acts on them; a cancellation ends it', async () => {
  await buy('pausedco', 2);
  expect((await call('POST', '/v1/customers/pausedco/pause', {})).body.issues).toEqual([{ field: 'reason', message: expect.any(String) }]);
  const paused = await call('POST', '/v1/customers/pausedco/pause', { reason: 'contract under review', by: 'ops@success.example' });
  expect(paused).toMatchObject({ status: 200, body: { reason: 'contract under review', by: 'ops@success.example' } });
  expect((await call('POST', '/v1/customers/pausedco/pause', { reason: 'twice' })).status).toBe(409);

  // Accepted while paused: held, not lost, and not acted on yet.
  const login = { eventId: 'pausedco-login', type: 'user.login', occurredAt: new Date().toISOString() };
  expect((await call('POST', '/v1/customers/pausedco/events', login)).status).toBe(202);
  await eventually(async () => expect((await journey('pausedco')).heldEvents).toEqual([expect.objectContaining({ eventId: 'pausedco-login' })]));
  expect((await journey('pausedco')).milestones.find((m: { id: string }) => m.id === 'first-login').status).toBe('pending');

  const resumed = await call('POST', '/v1/customers/pausedco/resume', {});
  expect(resumed).toMatchObject({ status: 200, body: { eventsHeld: 1, reason: 'contract under review' } });
  await eventually(async () => {
    const state = await journey('pausedco');
    expect(state.milestones.find((m: { id: string }) => m.id === 'first-login')).toMatchObject({ status: 'reached', eventId: 'pausedco-login' });
    expect(state.pauses).toEqual([expect.objectContaining({ reason: 'contract under review', resumedAt: expect.any(String) })]);
  });
  expect((await call('POST', '/v1/customers/pausedco/resume', {})).status).toBe(409);

  // The customer's timeline tells it in order, with who owns the moment, what is next and the Temporal UI link.
  const timeline = await eventually(async () => {
    const answer = await call('GET', '/v1/customers/pausedco/timeline');
    expect(answer.status).toBe(200);
    expect(answer.body.entries.map((e: { title: string }) => e.title)).toEqual(expect.arrayContaining([expect.stringMatching(/^Resumed after [\d.]+ days$/)]));
    return answer.body;
  });
  const titles: string[] = timeline.entries.map((e: { title: string }) => e.title);
  expect(titles.indexOf('Entered onboarding')).toBeLessThan(titles.indexOf('Paused by ops@success.example: contract under review'));
  expect(titles).toEqual(expect.arrayContaining(['Welcome email (email): done, email sent to jo@pausedco.example', 'Milestone "First login" reached on time']));
  // The login held during the pause, and the milestone it reached when the journey resumed, as of when it happened.
  expect(titles.indexOf('Event user.login')).toBe(titles.indexOf('Milestone "First login" reached on time') - 1);
  expect(timeline).toMatchObject({ stage: 'onboarding', owner: { email: SAM.email }, next: { action: expect.any(String), at: expect.any(String) } });
  expect(timeline.temporalUi).toBe('http://temporal-ui.test:8080/namespaces/default/workflows/journey-pausedco');
  expect((await call('GET', '/v1/customers/nobody/timeline')).status).toBe(404);

  expect(await call('POST', '/v1/customers/pausedco/cancel', { reason: 'duplicate account' })).toMatchObject({ status: 200, body: { reason: 'duplicate account' } });
  await eventually(async () => expect((await journey('pausedco')).status).toBe('COMPLETED'));
  const listed = await call('GET', '/v1/journeys?status=all');
  expect(listed.body.journeys).toEqual(expect.arrayContaining([expect.objectContaining({ customerId: 'pausedco', stage: 'cancelled' })]));
  expect((await call('POST', '/v1/customers/pausedco/events', { ...login, eventId: 'late' })).status).toBe(409);
});
