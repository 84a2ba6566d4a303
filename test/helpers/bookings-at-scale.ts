/**
 * Run by test/integration/bookings-at-scale.test.ts in a child process whose open-file limit is low:
 * fills a session calendar with BOOKINGS sessions, then books TRAININGS training sessions at once
 * through the real bookMeeting activity, and prints one JSON line with what happened.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { BookedMeeting } from '../../contracts/journey';
import { FileSessionCalendar } from '../../src/delivery/session-calendar';
import { catalog, customerFixture, testActivityDeps, trainers } from './fixtures';

const BOOKINGS = Number(process.env.BOOKINGS ?? 5000);
const TRAININGS = Number(process.env.TRAININGS ?? 10);
const HOUR_MS = 3600_000;

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bookings-at-scale-'));
  const calendar = new FileSessionCalendar(path.join(dir, 'calendar'));
  // A year of past and future sessions spread over the trainers and the owner, an hour each.
  const people = [...trainers.map((t) => t.email), catalog.team.successManager!.email];
  const firstHour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 200 * 24 * HOUR_MS;
  const filling = Date.now();
  const batch = 50;
  for (let i = 0; i < BOOKINGS; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, BOOKINGS - i) }, (_, j) => {
        const n = i + j;
        const start = new Date(firstHour + Math.floor(n / people.length) * 2 * HOUR_MS);
        return calendar.reserve(`old-${n}`, people[n % people.length]!, start, new Date(start.getTime() + HOUR_MS));
      }),
    );
  }
  const activities = createActivities(testActivityDeps({ dataDir: dir, sessionCalendar: calendar }));
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => undefined) });
  const filledIn = (Date.now() - filling) / 1000;
  const started = Date.now();
  const results = await Promise.allSettled(
    Array.from({ length: TRAININGS }, (_, i) => {
      const customer = customerFixture(Date.now(), { customerId: `scale-${i}`, contact: { name: 'Ana Lopez', email: `ana-${i}@acme.example` } });
      return env.run(activities.bookMeeting, {
        key: `journey-scale-${i}/run-1/term-1/reports-training#1`,
        customer,
        owner: catalog.team.successManager!,
        ownerRole: 'successManager',
        touchpointName: 'Reports training',
        kind: 'training' as const,
        topic: 'Getting value from reports',
        durationMinutes: 60,
        // Customers a few days apart, as trainings fall due in a real cohort.
        notBefore: new Date(Date.now() + (30 + 2 * i) * 24 * HOUR_MS).toISOString(),
      });
    }),
  );
  const booked = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value as BookedMeeting] : []));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
  const held = (await Promise.all(trainers.map((t) => calendar.bookingsOf(t.email)))).flat();
  process.stdout.write(
    `${JSON.stringify({ bookings: held.length, booked: booked.length, failures, filledIn, seconds: (Date.now() - started) / 1000, trainings: booked.map((b) => ({ trainer: b.trainer?.email, startsAt: b.startsAt, endsAt: b.endsAt })) })}\n`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
