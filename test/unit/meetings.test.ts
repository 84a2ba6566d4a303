import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createActivities, type ActivityDeps } from '../../activities';
import { INVALID_MEETING_CHANGE, NO_FREE_SLOT, NO_TRAINER_AVAILABLE, SLOT_TAKEN } from '../../contracts/failures';
import type { BookedMeeting, MeetingChange } from '../../contracts/journey';
import type { Database } from '../../src/db/database';
import { PgSessionCalendar } from '../../src/delivery/session-calendar';
import { startMailCatcher, type MailCatcher } from '../../src/mail/catcher';
import { freshDatabase } from '../helpers/database';
import { catalog, customerFixture, testActivityDeps, trainers } from '../helpers/fixtures';

/** bookMeeting and changeMeeting as a worker runs them, against a real SMTP server on loopback. */
const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => undefined) });
const owner = catalog.team.successManager!;
const [lena, , priya] = trainers;
const BERLIN = 'Europe/Berlin';

let catcher: MailCatcher;
let deps: ActivityDeps;
let db: Database;
let calendar: PgSessionCalendar;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  catcher = await startMailCatcher({ dir: mkdtempSync(path.join(os.tmpdir(), 'mail-')) });
});

afterAll(async () => {
  await catcher.close();
});

beforeEach(async () => {
  // A fresh engine database for every test: the trainers start each one free.
  db = await freshDatabase();
  calendar = new PgSessionCalendar(db);
  deps = testActivityDeps(db, { smtpUrl: `smtp://127.0.0.1:${catcher.port}` });
  activities = createActivities(deps);
});

afterEach(async () => {
  await db.end();
});

/** A Monday a few weeks ahead (bookings are never in the past) in a week none of the shipped trainers is away. */
function quietMonday(): DateTime {
  let monday = DateTime.now().setZone(BERLIN).plus({ days: 35 }).startOf('week');
  const away = (from: DateTime) =>
    trainers.some((t) => t.unavailable.some((a) => DateTime.fromISO(a.from) < from.plus({ weeks: 1 }) && DateTime.fromISO(a.to) > from));
  while (away(monday)) monday = monday.plus({ weeks: 1 });
  return monday;
}

let customers = 0;
const customer = (timeZone = BERLIN) =>
  customerFixture(Date.now(), { customerId: `meetings-${++customers}`, contact: { name: 'Ana Lopez', email: `ana-${customers}@acme.example` }, timeZone });

function book(
  who: ReturnType<typeof customer>,
  notBefore: DateTime,
  options: { kind?: 'call' | 'training'; durationMinutes?: number } = {},
): Promise<BookedMeeting> {
  const kind = options.kind ?? 'training';
  return env.run(activities.bookMeeting, {
    key: `journey-${who.customerId}/run-1/term-1/reports-${kind}#1`,
    customer: who,
    owner,
    ownerRole: 'successManager',
    touchpointName: `Reports ${kind}`,
    kind,
    topic: 'Getting value from reports',
    durationMinutes: options.durationMinutes ?? 60,
    notBefore: notBefore.toISO()!,
  });
}

let changes = 0;
const change = (
  who: ReturnType<typeof customer>,
  booking: BookedMeeting,
  what: MeetingChange,
  key = `${booking.bookingId}/change-${++changes}`,
): Promise<BookedMeeting> =>
  env.run(activities.changeMeeting, { key, customer: who, booking, change: what });

/** The one message sent under an idempotency key, parsed, with its calendar part unfolded into lines. */
async function sentUnder(key: string): Promise<{ mail: ParsedMail; to: string[]; ics: string[] }> {
  const caught = (await catcher.mailbox.list()).filter((m) => m.journeyKey === key);
  expect(caught).toHaveLength(1);
  const mail = await simpleParser((await catcher.mailbox.raw(caught[0]!.id))!);
  const calendarPart = mail.attachments.find((a) => a.contentType.startsWith('text/calendar'));
  expect(calendarPart).toBeDefined();
  const ics = calendarPart!.content.toString('utf8').replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  return { mail, to: caught[0]!.to, ics };
}

/** The values of an iCalendar property, e.g. prop(ics, 'ATTENDEE') → ['...:mailto:ana@...', ...]. */
const prop = (ics: string[], name: string) => ics.filter((line) => line.startsWith(`${name}:`) || line.startsWith(`${name};`)).map((line) => line.slice(name.length));
const utcStamp = (iso: string) => DateTime.fromISO(iso).toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'");
const mailtos = (ics: string[], name: string) => prop(ics, name).map((value) => value.replace(/^.*:mailto:/i, '').toLowerCase());

test('a training goes to the first free trainer, who organizes it; everyone gets a REQUEST at SEQUENCE:0', async () => {
  const monday = quietMonday();
  const who = customer();
  const booking = await book(who, monday.set({ hour: 7 }));
  const nine = monday.set({ hour: 9 });
  expect(booking).toEqual({
    bookingId: expect.stringMatching(/^booking-[0-9a-f]{16}$/),
    kind: 'training',
    topic: 'Getting value from reports',
    startsAt: nine.toUTC().toISO(),
    endsAt: nine.plus({ hours: 1 }).toUTC().toISO(),
    timeZone: BERLIN,
    owner,
    trainer: { name: lena!.name, email: lena!.email },
    sequence: 0,
    status: 'booked',
  });
  expect(await calendar.bookingsOf(lena!.email)).toEqual([
    { bookingId: booking.bookingId, personEmail: lena!.email, start: booking.startsAt, end: booking.endsAt },
  ]);

  const { mail, to, ics } = await sentUnder(`journey-${who.customerId}/run-1/term-1/reports-training#1`);
  expect(to.sort()).toEqual([who.contact.email, owner.email, lena!.email].sort());
  expect(mail.subject).toBe('Training session booked: Getting value from reports');
  expect(mail.text).toContain(`led by\n${lena!.name}`);
  expect(prop(ics, 'METHOD')).toEqual([':REQUEST']);
  expect(prop(ics, 'UID')).toEqual([`:${booking.bookingId}@journeys.local`]);
  expect(prop(ics, 'SEQUENCE')).toEqual([':0']);
  expect(prop(ics, 'STATUS')).toEqual([':CONFIRMED']);
  expect(prop(ics, 'DTSTART')).toEqual([`:${utcStamp(booking.startsAt)}`]);
  expect(mailtos(ics, 'ORGANIZER')).toEqual([lena!.email]);
  expect(mailtos(ics, 'ATTENDEE').sort()).toEqual([who.contact.email, owner.email, lena!.email].sort());

  // Lena is taken at nine now: the next customer gets Priya (Singapore's afternoon), the one after Lena at ten.
  const second = await book(customer(), monday.set({ hour: 7 }));
  expect([second.trainer?.email, second.startsAt]).toEqual([priya!.email, booking.startsAt]);
  const third = await book(customer(), monday.set({ hour: 7 }));
  expect([third.trainer?.email, third.startsAt]).toEqual([lena!.email, nine.plus({ hours: 1 }).toUTC().toISO()]);
  // A retry of the first booking (its ledger entry lost, say) books nothing more.
  await db.query('DELETE FROM deliveries');
  expect(await book(who, monday.set({ hour: 7 }))).toEqual(booking);
  expect((await calendar.bookingsOf(lena!.email)).map((b) => b.bookingId)).toEqual([booking.bookingId, third.bookingId]);
});

test('a reschedule sends the same event at SEQUENCE:1 with the new start; a cancellation sends METHOD:CANCEL', async () => {
  const monday = quietMonday();
  const who = customer();
  const booking = await book(who, monday.set({ hour: 7 }));
  const uid = `:${booking.bookingId}@journeys.local`;

  const tuesdayTwo = monday.plus({ days: 1 }).set({ hour: 14 });
  const moved = await change(who, booking, { type: 'reschedule', startsAt: tuesdayTwo.toISO()! });
  expect(moved).toEqual({
    ...booking,
    startsAt: tuesdayTwo.toUTC().toISO(),
    endsAt: tuesdayTwo.plus({ hours: 1 }).toUTC().toISO(),
    sequence: 1,
    status: 'booked',
  });
  const rescheduled = await sentUnder(`${booking.bookingId}/change-${changes}`);
  expect(rescheduled.mail.subject).toMatch(/^Moved: Getting value from reports is now Tuesday/);
  expect(rescheduled.mail.text).toContain(`Was: Monday ${monday.toFormat('d LLLL yyyy')} at 09:00`);
  expect(rescheduled.to.sort()).toEqual([who.contact.email, owner.email, lena!.email].sort());
  expect(prop(rescheduled.ics, 'METHOD')).toEqual([':REQUEST']);
  expect(prop(rescheduled.ics, 'UID')).toEqual([uid]);
  expect(prop(rescheduled.ics, 'SEQUENCE')).toEqual([':1']);
  expect(prop(rescheduled.ics, 'DTSTART')).toEqual([`:${utcStamp(moved.startsAt)}`]);
  expect(prop(rescheduled.ics, 'DTSTART')).not.toEqual([`:${utcStamp(booking.startsAt)}`]);
  expect(mailtos(rescheduled.ics, 'ATTENDEE')).toContain(lena!.email);
  // The trainer's time moved with it.
  expect(await calendar.bookingsOf(lena!.email)).toEqual([
    { bookingId: booking.bookingId, personEmail: lena!.email, start: moved.startsAt, end: moved.endsAt },
  ]);

  // The same change delivered again (a retry) returns the same booking and sends nothing more.
  const key = `${booking.bookingId}/change-${changes}`;
  expect(await change(who, booking, { type: 'reschedule', startsAt: tuesdayTwo.toISO()! }, key)).toEqual(moved);
  await sentUnder(key);

  const cancelled = await change(who, moved, { type: 'cancel', reason: 'The customer asked to postpone until their new team starts.' });
  expect(cancelled).toEqual({ ...moved, sequence: 2, status: 'cancelled' });
  const cancellation = await sentUnder(`${booking.bookingId}/change-${changes}`);
  expect(cancellation.mail.subject).toMatch(/^Cancelled: Getting value from reports on Tuesday/);
  expect(cancellation.mail.text).toContain('Why: The customer asked to postpone until their new team starts.');
  expect(prop(cancellation.ics, 'METHOD')).toEqual([':CANCEL']);
  expect(prop(cancellation.ics, 'STATUS')).toEqual([':CANCELLED']);
  expect(prop(cancellation.ics, 'UID')).toEqual([uid]);
  expect(prop(cancellation.ics, 'SEQUENCE')).toEqual([':2']);
  expect(mailtos(cancellation.ics, 'ATTENDEE').sort()).toEqual([who.contact.email, owner.email, lena!.email].sort());
  expect(await calendar.bookingsOf(lena!.email)).toEqual([]);

  await expect(change(who, cancelled, { type: 'reschedule', startsAt: tuesdayTwo.toISO()! })).rejects.toMatchObject({
    type: INVALID_MEETING_CHANGE,
    nonRetryable: true,
  });
});

test("a reschedule onto the trainer's other session is refused with SlotTaken and changes nothing", async () => {
  const monday = quietMonday();
  const first = customer();
  const booking = await book(first, monday.set({ hour: 7 }));
  await book(customer(), monday.set({ hour: 7 })); // Priya at nine
  const other = await book(customer(), monday.set({ hour: 7 })); // Lena at ten
  expect(other.trainer?.email).toBe(lena!.email);

  await expect(change(first, booking, { type: 'reschedule', startsAt: monday.set({ hour: 10, minute: 30 }).toISO()! })).rejects.toMatchObject({
    type: SLOT_TAKEN,
    nonRetryable: true,
    message: expect.stringContaining(lena!.name),
  });
  expect(await calendar.bookingsOf(lena!.email)).toEqual([
    { bookingId: booking.bookingId, personEmail: lena!.email, start: booking.startsAt, end: booking.endsAt },
    { bookingId: other.bookingId, personEmail: lena!.email, start: other.startsAt, end: other.endsAt },
  ]);
  expect((await catcher.mailbox.list()).filter((m) => m.journeyKey === `${booking.bookingId}/change-${changes}`)).toEqual([]);
  await expect(change(first, booking, { type: 'reschedule', startsAt: 'next tuesday' })).rejects.toMatchObject({ type: INVALID_MEETING_CHANGE });
});

test('a training no trainer has time for within 21 days fails for good with NoTrainerAvailable', async () => {
  await expect(book(customer(), quietMonday(), { durationMinutes: 9 * 60 })).rejects.toMatchObject({
    type: NO_TRAINER_AVAILABLE,
    nonRetryable: true,
    message: expect.stringMatching(/no trainer for "Getting value from reports" has 540 free minutes within 21 days/),
  });
});

test('a call the owner has no free hour for within 14 days fails for good with NoFreeSlot, holding no time', async () => {
  // Two weeks of the owner's business hours are taken, one call after another.
  const monday = quietMonday();
  for (let day = 0; day < 21; day += 1) {
    await calendar.reserve(`busy-${day}`, owner.email, monday.plus({ days: day }).set({ hour: 0 }).toJSDate(), monday.plus({ days: day }).set({ hour: 23 }).toJSDate());
  }
  await expect(book(customer(), monday.set({ hour: 7 }), { kind: 'call' })).rejects.toMatchObject({
    type: NO_FREE_SLOT,
    nonRetryable: true,
    message: expect.stringMatching(/^Sam Rivera has no free business-hours slot of 60 minutes within 14 days after /),
  });
  expect((await calendar.bookingsOf(owner.email)).map((b) => b.bookingId).filter((id) => !id.startsWith('busy-'))).toEqual([]);
});

test('a New York customer is trained by someone whose day overlaps theirs', async () => {
  const monday = quietMonday();
  const booking = await book(customer('America/New_York'), monday.setZone('America/New_York').set({ hour: 7 }));
  // Lena works until 17:00 Berlin, which is 11:00 in New York; she is first in the file.
  expect(booking.trainer?.email).toBe(lena!.email);
  expect(DateTime.fromISO(booking.startsAt, { zone: 'America/New_York' }).toFormat('ccc HH:mm')).toBe('Mon 09:00');
});

test('a call is the owner’s, on the first business hour the owner has free, and holds that time', async () => {
  const monday = quietMonday();
  const who = customer();
  const booking = await book(who, monday.set({ hour: 7 }), { kind: 'call' });
  expect(booking).toMatchObject({ kind: 'call', owner, sequence: 0, status: 'booked', startsAt: monday.set({ hour: 9 }).toUTC().toISO() });
  expect(booking.trainer).toBeUndefined();
  const { ics, to } = await sentUnder(`journey-${who.customerId}/run-1/term-1/reports-call#1`);
  expect(to.sort()).toEqual([who.contact.email, owner.email].sort());
  expect(mailtos(ics, 'ORGANIZER')).toEqual([owner.email]);
  expect(prop(ics, 'SEQUENCE')).toEqual([':0']);

  // A start without an offset is the customer's local time.
  const moved = await change(who, booking, { type: 'reschedule', startsAt: `${monday.plus({ days: 2 }).toISODate()}T15:30` });
  expect(DateTime.fromISO(moved.startsAt, { zone: BERLIN }).toFormat('ccc HH:mm')).toBe('Wed 15:30');
  expect(prop((await sentUnder(`${booking.bookingId}/change-${changes}`)).ics, 'SEQUENCE')).toEqual([':1']);
  expect(await calendar.bookingsOf(lena!.email)).toEqual([]);
  expect(await calendar.bookingsOf(owner.email)).toEqual([
    { bookingId: booking.bookingId, personEmail: owner.email, start: moved.startsAt, end: moved.endsAt },
  ]);

  // Another customer's call due then goes to the owner's next free hour: 15:00 and 16:00 would overlap
  // the call moved to 15:30, so the next morning.
  const other = await book(customer(), monday.plus({ days: 2 }).set({ hour: 13 }), { kind: 'call' });
  expect(DateTime.fromISO(other.startsAt, { zone: BERLIN }).toFormat('ccc HH:mm')).toBe('Thu 09:00');
});
