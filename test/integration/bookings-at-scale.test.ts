import { execFile } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

/**
 * A worker whose calendar holds thousands of bookings keeps running: trainings booked at once (three
 * trainer lookups each, over 5,000 bookings) in a process allowed only 400 open files. Before the lookups
 * were bounded, they opened every booking file at once (60,000 here), and past the limit libuv aborted
 * the process. The file calendar reads every booking per lookup, so this takes a while; PostgreSQL replaces it.
 */
test('4 trainings booked at once over 5,000 bookings, with 400 open files allowed, all succeed without overlap', async () => {
  const script = path.join(PROJECT_ROOT, 'test', 'helpers', 'bookings-at-scale.ts');
  const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('bash', ['-c', `ulimit -n 400 && exec "${tsx}" "${script}"`], { cwd: PROJECT_ROOT, timeout: 240_000, env: { ...process.env, BOOKINGS: '5000', TRAININGS: '4' } }, (err, out, errOut) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout: out, stderr: errOut }),
    );
  });
  expect(stderr).not.toMatch(/EMFILE|Assertion failed/);
  expect(code).toBe(0);
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    bookings: number;
    booked: number;
    failures: string[];
    trainings: { trainer: string; startsAt: string; endsAt: string }[];
  };
  expect(result.failures).toEqual([]);
  expect(result.booked).toBe(4);
  // 3/4 of the 5,000 went to the three trainers, plus the 4 new sessions.
  expect(result.bookings).toBe(3750 + 4);
  // Nobody is booked twice at once.
  const overlapping = result.trainings.filter((a, i) =>
    result.trainings.some((b, j) => i !== j && a.trainer === b.trainer && a.startsAt < b.endsAt && b.startsAt < a.endsAt),
  );
  expect(overlapping).toEqual([]);
}, 300_000);
