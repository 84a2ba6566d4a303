import fc from 'fast-check';
import { DateTime } from 'luxon';
import { WEEKDAYS, type Delivery } from '../../contracts/map';
import { windowOpening } from '../../workflows/interpreter/email-pacing';

type Window = NonNullable<Delivery['window']>;

/** The delivery window as luxon computed it before the workflow bundle dropped luxon: the oracle. */
function luxonWindowOpening(at: number, timeZone: string, window: Window): number {
  const [fromHour, fromMinute] = window.from.split(':').map(Number) as [number, number];
  const [toHour, toMinute] = window.to.split(':').map(Number) as [number, number];
  const local = DateTime.fromMillis(at, { zone: timeZone });
  for (let day = 0; day < 8; day += 1) {
    const date = local.plus({ days: day });
    if (!window.days.includes(WEEKDAYS[date.weekday - 1]!)) continue;
    const opens = date.set({ hour: fromHour, minute: fromMinute, second: 0, millisecond: 0 });
    const closes = date.set({ hour: toHour, minute: toMinute, second: 0, millisecond: 0 });
    if (day === 0 && local >= opens && local < closes) return at;
    if (opens > local) return opens.toMillis();
  }
  return at;
}

const weekdays: Window['days'] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const berlinHours: Window = { from: '09:00', to: '17:00', days: weekdays };

test('an email due on Friday evening in Berlin waits for Monday 09:00 Berlin time', () => {
  const fridayEvening = Date.parse('2026-12-04T18:30:00Z'); // 19:30 in Berlin
  expect(new Date(windowOpening(fridayEvening, 'Europe/Berlin', berlinHours)).toISOString()).toBe('2026-12-07T08:00:00.000Z');
  const tuesdayNoon = Date.parse('2026-12-08T11:00:00Z');
  expect(windowOpening(tuesdayNoon, 'Europe/Berlin', berlinHours)).toBe(tuesdayNoon);
});

test('across a change to summer time, the window opens at the new offset', () => {
  // Sunday 29 March 2026, 01:00 UTC: Berlin moved from +01:00 to +02:00 that night.
  const sundayNight = Date.parse('2026-03-29T01:30:00Z');
  expect(new Date(windowOpening(sundayNight, 'Europe/Berlin', berlinHours)).toISOString()).toBe('2026-03-30T07:00:00.000Z');
});

test('the window opening equals what luxon computed, in any zone, at any moment, through daylight saving changes', () => {
  const zones = ['Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/Sao_Paulo', 'UTC', 'Asia/Tokyo', 'Europe/London'];
  const time = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  const window = fc
    .record({ from: time, to: time, days: fc.subarray([...WEEKDAYS], { minLength: 1 }) })
    .filter((w) => w.from < w.to);
  // Instants between 2020 and 2030, many of them near the hours clocks change.
  const instant = fc.oneof(
    fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2030-01-01T00:00:00Z') }),
    fc.constantFrom('2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z', '2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z', '2026-04-05T02:00:00Z').chain((edge) =>
      fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }).map((delta) => Date.parse(edge) + delta),
    ),
  );
  fc.assert(
    fc.property(instant, fc.constantFrom(...zones), window, (at, zone, w) => {
      expect(windowOpening(at, zone, w)).toBe(luxonWindowOpening(at, zone, w));
    }),
    { numRuns: 3000 },
  );
});
