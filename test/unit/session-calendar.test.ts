import { PgSessionCalendar } from '../../src/delivery/session-calendar';
import { openDatabase, type Database } from '../../src/db/database';
import { freshDatabaseUrl } from '../helpers/database';

/** The session calendar in a real PostgreSQL: each test books its own trainers, so the tests share one database. */
const JONAS = 'jonas@trainers.example';
const at = (hhmm: string) => new Date(`2026-11-23T${hhmm}:00Z`);
let url: string;
let db: Database;
let calendar: PgSessionCalendar;
let trainers = 0;
const trainer = () => `Lena-${++trainers}@Trainers.example`;

beforeAll(async () => {
  url = await freshDatabaseUrl();
  db = await openDatabase(url);
  calendar = new PgSessionCalendar(db);
});

afterAll(async () => {
  await db.end();
});

test('a reservation holds, and reserving it again for the same booking is a yes, not a second booking', async () => {
  const lena = trainer();
  expect(await calendar.reserve(`${lena}-a`, lena, at('09:00'), at('10:00'))).toBe(true);
  expect(await calendar.reserve(`${lena}-a`, lena, at('09:00'), at('10:00'))).toBe(true);
  expect(await calendar.bookingsOf(lena)).toEqual([
    { bookingId: `${lena}-a`, personEmail: lena.toLowerCase(), start: '2026-11-23T09:00:00.000Z', end: '2026-11-23T10:00:00.000Z' },
  ]);
  expect(await calendar.bookingsOf(lena.toUpperCase())).toHaveLength(1);
  expect(await calendar.bookingsOf(JONAS)).toEqual([]);
});

test('time overlapping another booking is refused, to the minute; the neighbours and other trainers are not', async () => {
  const lena = trainer();
  const jonas = trainer();
  await calendar.reserve('overlap-a', lena, at('09:00'), at('10:00'));
  expect(await calendar.reserve('overlap-b', lena, at('09:30'), at('10:30'))).toBe(false);
  expect(await calendar.reserve('overlap-b', lena, at('08:00'), at('09:01'))).toBe(false);
  expect(await calendar.reserve('overlap-b', lena, at('10:00'), at('11:00'))).toBe(true);
  expect(await calendar.reserve('overlap-c', lena, at('08:00'), at('09:00'))).toBe(true);
  // A session that begins the minute a neighbour's half hour ends is no clash (the file calendar refused these).
  expect(await calendar.reserve('overlap-d', lena, at('11:00'), at('11:15'))).toBe(true);
  expect(await calendar.reserve('overlap-e', lena, at('11:15'), at('11:45'))).toBe(true);
  expect(await calendar.reserve('overlap-f', jonas, at('09:00'), at('10:00'))).toBe(true);
  expect((await calendar.bookingsOf(lena)).map((b) => b.bookingId)).toEqual(['overlap-c', 'overlap-a', 'overlap-b', 'overlap-d', 'overlap-e']);
  expect(await calendar.isTaken(lena, at('09:45'), at('10:15'))).toBe(true);
  expect(await calendar.isTaken(lena, at('12:00'), at('13:00'))).toBe(false);
  expect(await calendar.isTaken(lena, at('09:00'), at('10:00'), 'overlap-a')).toBe(false);
  expect(await calendar.isTaken(lena, at('09:00'), at('10:01'), 'overlap-a')).toBe(true);
  // A window lists only the bookings overlapping it.
  expect((await calendar.bookingsOf(lena, { from: at('09:30'), to: at('10:30') })).map((b) => b.bookingId)).toEqual(['overlap-a', 'overlap-b']);
});

test('a refused reservation leaves the booking where it was', async () => {
  const lena = trainer();
  await calendar.reserve('refused-a', lena, at('10:00'), at('11:00'));
  await calendar.reserve('refused-b', lena, at('08:00'), at('09:00'));
  expect(await calendar.reserve('refused-b', lena, at('09:00'), at('10:30'))).toBe(false);
  expect((await calendar.bookingsOf(lena)).map((b) => [b.bookingId, b.start])).toEqual([
    ['refused-b', '2026-11-23T08:00:00.000Z'],
    ['refused-a', '2026-11-23T10:00:00.000Z'],
  ]);
});

test('release frees the time; reserving another time moves the booking', async () => {
  const lena = trainer();
  await calendar.reserve('moving-a', lena, at('09:00'), at('10:00'));
  await calendar.release('moving-a');
  await calendar.release('moving-a'); // again: nothing to free
  expect(await calendar.bookingsOf(lena)).toEqual([]);
  expect(await calendar.reserve('moving-b', lena, at('09:00'), at('10:00'))).toBe(true);

  // A reschedule overlapping its own old time is no conflict, and the old time is free afterwards.
  expect(await calendar.reserve('moving-b', lena, at('09:30'), at('10:30'))).toBe(true);
  expect(await calendar.bookingsOf(lena)).toEqual([
    { bookingId: 'moving-b', personEmail: lena.toLowerCase(), start: '2026-11-23T09:30:00.000Z', end: '2026-11-23T10:30:00.000Z' },
  ]);
  expect(await calendar.reserve('moving-c', lena, at('09:00'), at('09:30'))).toBe(true);
});

test('of six workers reserving the same or overlapping time at once, exactly one gets it', async () => {
  // Separate pools on one database, as worker processes on separate machines would be.
  const workers = await Promise.all(Array.from({ length: 6 }, () => openDatabase(url, { max: 1 })));
  try {
    for (let round = 0; round < 25; round += 1) {
      const lena = trainer();
      const results = await Promise.all(
        workers.map((pool, i) => new PgSessionCalendar(pool).reserve(`race-${round}-${i}`, lena, at(i % 2 ? '09:30' : '09:00'), at(i % 2 ? '10:30' : '10:00'))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await calendar.bookingsOf(lena)).map((b) => b.bookingId)).toEqual([`race-${round}-${results.indexOf(true)}`]);
    }
  } finally {
    await Promise.all(workers.map((pool) => pool.end()));
  }
});

test('the table itself refuses an overlap, whoever writes it', async () => {
  const lena = trainer().toLowerCase();
  await calendar.reserve('direct-a', lena, at('09:00'), at('10:00'));
  await expect(
    db.query(`INSERT INTO bookings (booking_id, person, during) VALUES ('direct-b', $1, tstzrange($2, $3, '[)'))`, [lena, at('09:59'), at('11:00')]),
  ).rejects.toMatchObject({ code: '23P01' });
});

test('a reservation must end after it starts', async () => {
  await expect(calendar.reserve('empty', trainer(), at('10:00'), at('10:00'))).rejects.toThrow(/must be after the start/);
});
