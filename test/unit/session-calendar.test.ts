import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSessionCalendar } from '../../src/delivery/session-calendar';

const LENA = 'lena@trainers.example';
const JONAS = 'jonas@trainers.example';
const at = (hhmm: string) => new Date(`2026-11-23T${hhmm}:00Z`);
const freshDir = () => mkdtempSync(path.join(os.tmpdir(), 'session-calendar-'));

/** Every claim file left in the calendar folder, as "<trainer>/<half hour>". */
function claimsIn(dir: string): string[] {
  const claims = path.join(dir, 'claims');
  return readdirSync(claims).flatMap((trainer) => readdirSync(path.join(claims, trainer)).map((name) => `${decodeURIComponent(trainer)}/${name}`));
}

test('a reservation holds, and reserving it again for the same booking is a yes, not a second booking', async () => {
  const calendar = new FileSessionCalendar(freshDir());
  expect(await calendar.reserve('booking-a', LENA, at('09:00'), at('10:00'))).toBe(true);
  expect(await calendar.reserve('booking-a', LENA, at('09:00'), at('10:00'))).toBe(true);
  expect(await calendar.bookingsOf(LENA)).toEqual([
    { bookingId: 'booking-a', personEmail: LENA, start: '2026-11-23T09:00:00.000Z', end: '2026-11-23T10:00:00.000Z' },
  ]);
  expect(await calendar.bookingsOf('LENA@trainers.example')).toHaveLength(1);
  expect(await calendar.bookingsOf(JONAS)).toEqual([]);
});

test('time overlapping another booking is refused; the neighbours and other trainers are not', async () => {
  const calendar = new FileSessionCalendar(freshDir());
  await calendar.reserve('booking-a', LENA, at('09:00'), at('10:00'));
  expect(await calendar.reserve('booking-b', LENA, at('09:30'), at('10:30'))).toBe(false);
  expect(await calendar.reserve('booking-b', LENA, at('08:00'), at('09:30'))).toBe(false);
  expect(await calendar.reserve('booking-b', LENA, at('10:00'), at('11:00'))).toBe(true);
  expect(await calendar.reserve('booking-c', LENA, at('08:00'), at('09:00'))).toBe(true);
  expect(await calendar.reserve('booking-d', JONAS, at('09:00'), at('10:00'))).toBe(true);
  expect((await calendar.bookingsOf(LENA)).map((b) => b.bookingId)).toEqual(['booking-c', 'booking-a', 'booking-b']);
  expect(await calendar.isTaken(LENA, at('09:45'), at('10:15'))).toBe(true);
  expect(await calendar.isTaken(LENA, at('11:00'), at('12:00'))).toBe(false);
  expect(await calendar.isTaken(LENA, at('09:00'), at('10:00'), 'booking-a')).toBe(false);
  expect(await calendar.isTaken(LENA, at('09:00'), at('10:01'), 'booking-a')).toBe(true);
});

test('a refused reservation leaves nothing behind', async () => {
  const dir = freshDir();
  const calendar = new FileSessionCalendar(dir);
  await calendar.reserve('booking-a', LENA, at('10:00'), at('11:00'));
  // booking-b claims 09:00 and 09:30 before it finds 10:00 taken: those claims must go again.
  expect(await calendar.reserve('booking-b', LENA, at('09:00'), at('10:30'))).toBe(false);
  expect(claimsIn(dir).sort()).toEqual([`${LENA}/20261123T1000Z`, `${LENA}/20261123T1030Z`]);
  expect(readdirSync(path.join(dir, 'bookings'))).toEqual(['booking-a.json']);
  expect(await calendar.reserve('booking-c', LENA, at('09:00'), at('10:00'))).toBe(true);
});

test('release frees the time; reserving another time moves the booking', async () => {
  const dir = freshDir();
  const calendar = new FileSessionCalendar(dir);
  await calendar.reserve('booking-a', LENA, at('09:00'), at('10:00'));
  await calendar.release('booking-a');
  await calendar.release('booking-a'); // again: nothing to free
  expect(await calendar.bookingsOf(LENA)).toEqual([]);
  expect(await calendar.reserve('booking-b', LENA, at('09:00'), at('10:00'))).toBe(true);

  // A reschedule overlapping its own old time is no conflict, and the old time is free afterwards.
  expect(await calendar.reserve('booking-b', LENA, at('09:30'), at('10:30'))).toBe(true);
  expect(await calendar.bookingsOf(LENA)).toEqual([
    { bookingId: 'booking-b', personEmail: LENA, start: '2026-11-23T09:30:00.000Z', end: '2026-11-23T10:30:00.000Z' },
  ]);
  expect(await calendar.reserve('booking-c', LENA, at('09:00'), at('09:30'))).toBe(true);
  expect(claimsIn(dir).sort()).toEqual([`${LENA}/20261123T0900Z`, `${LENA}/20261123T0930Z`, `${LENA}/20261123T1000Z`]);
});

test('of two workers reserving the same or overlapping time at once, exactly one gets it', async () => {
  for (let round = 0; round < 10; round += 1) {
    const dir = freshDir();
    // Separate instances on one folder, as two worker processes would be.
    const workers = Array.from({ length: 6 }, () => new FileSessionCalendar(dir));
    const results = await Promise.all(
      workers.map((calendar, i) => calendar.reserve(`booking-${i}`, LENA, at(i % 2 ? '09:30' : '09:00'), at(i % 2 ? '10:30' : '10:00'))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = `booking-${results.indexOf(true)}`;
    expect((await workers[0]!.bookingsOf(LENA)).map((b) => b.bookingId)).toEqual([winner]);
    expect(new Set(claimsIn(dir))).toEqual(
      new Set(results.indexOf(true) % 2 ? [`${LENA}/20261123T0930Z`, `${LENA}/20261123T1000Z`] : [`${LENA}/20261123T0900Z`, `${LENA}/20261123T0930Z`]),
    );
  }
});

test('a reservation must end after it starts', async () => {
  const calendar = new FileSessionCalendar(freshDir());
  await expect(calendar.reserve('booking-a', LENA, at('10:00'), at('10:00'))).rejects.toThrow(/must be after the start/);
});
