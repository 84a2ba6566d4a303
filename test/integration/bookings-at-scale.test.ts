import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { BookedMeeting } from '../../contracts/journey';
import { PgSessionCalendar } from '../../src/delivery/session-calendar';
import { testDatabase } from '../helpers/database';
import { catalog, customerFixture, testActivityDeps, trainers } from '../helpers/fixtures';

const BOOKINGS = 5000;
const TRAININGS = 10;
const HOUR_MS = 3600_000;

/**
 * A calendar holding a year of sessions (5,000) still books at once: ten trainings at the same moment through
 * the real bookMeeting activity, each looking only at the weeks it searches, every one booked, none overlapping.
 * (The file calendar read every booking file per lookup, and opened them all at once until that was bounded.)
 */
test('10 trainings booked at once over 5,000 bookings all succeed, and nobody is booked twice at once', async () => {
  const db = await testDatabase();
  const calendar = new PgSessionCalendar(db);
  // A year of past and future sessions spread over the trainers and the owner, an hour each, two hours apart.
  const people = [...trainers.map((t) => t.email), catalog.team.successManager!.email];
  const firstHour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 200 * 24 * HOUR_MS;
  await db.query(
    `INSERT INTO bookings (booking_id, person, during)
     SELECT 'old-' || n, ($1::text[])[n % $2 + 1], tstzrange(first + (n / $2) * interval '2 hours', first + (n / $2) * interval '2 hours' + interval '1 hour', '[)')
     FROM generate_series(0, $4 - 1) AS n, to_timestamp($3::bigint / 1000.0) AS first`,
    [people, people.length, firstHour, BOOKINGS],
  );
  const activities = createActivities(testActivityDeps(db));
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => undefined) });
  const results = await Promise.allSettled(
    Array.from({ length: TRAININGS }, (_, i) =>
      env.run(activities.bookMeeting, {
        key: `journey-scale-${i}/run-1/term-1/reports-training#1`,
        customer: customerFixture(Date.now(), { customerId: `scale-${i}`, contact: { name: 'Ana Lopez', email: `ana-${i}@acme.example` } }),
        owner: catalog.team.successManager!,
        ownerRole: 'successManager',
        touchpointName: 'Reports training',
        kind: 'training' as const,
        topic: 'Getting value from reports',
        durationMinutes: 60,
        // Customers a few days apart, as trainings fall due in a real cohort.
        notBefore: new Date(Date.now() + (30 + (i % 3)) * 24 * HOUR_MS).toISOString(),
      }),
    ),
  );
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
  expect(failures).toEqual([]);
  const booked = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value as BookedMeeting] : []));
  expect(booked).toHaveLength(TRAININGS);
  const held = (await Promise.all(trainers.map((t) => calendar.bookingsOf(t.email)))).flat();
  // 3/4 of the 5,000 went to the three trainers, plus the new sessions.
  expect(held).toHaveLength((BOOKINGS * 3) / 4 + TRAININGS);
  const overlapping = held.filter((a, i) => held.some((b, j) => i !== j && a.personEmail === b.personEmail && a.start < b.end && b.start < a.end));
  expect(overlapping).toEqual([]);
}, 120_000);
