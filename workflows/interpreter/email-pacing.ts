import { WEEKDAYS, type Delivery } from '../../contracts/map';
import { instantOf, plusDays, zoneOffset } from './zoned-time';

/**
 * When an email that falls due may actually go out: not before the contact has room under the frequency
 * cap, and inside the delivery window in the contact's time zone. Pure and deterministic (time zones come
 * from Intl, the same on replay), so the workflow can call it directly.
 */
export function emailSendTime(options: {
  dueAt: number;
  /** When this contact's earlier journey emails went out. */
  sentAt: number[];
  delivery: Delivery;
  timeZone: string;
  /** How long a journey day lasts: a demo clock compresses days, and then local hours mean nothing. */
  dayMs: number;
  realDayMs: number;
}): number {
  const { delivery } = options;
  const capped = delivery.emailCap ? roomUnderCap(options.dueAt, options.sentAt, delivery.emailCap.max, delivery.emailCap.perDays * options.dayMs) : options.dueAt;
  if (!delivery.window || options.dayMs !== options.realDayMs) return capped;
  return windowOpening(capped, options.timeZone, delivery.window);
}

/** The first moment at or after `at` when fewer than `max` emails went out in the `periodMs` before it. */
export function roomUnderCap(at: number, sentAt: number[], max: number, periodMs: number): number {
  const recent = sentAt.filter((t) => t > at - periodMs).sort((a, b) => a - b);
  if (recent.length < max) return at;
  // The cap frees up when the oldest email that still counts leaves the period.
  return recent[recent.length - max]! + periodMs;
}

/** `at` if it falls inside the window, else the window's next opening, in the contact's time zone. */
export function windowOpening(at: number, timeZone: string, window: NonNullable<Delivery['window']>): number {
  const [fromHour, fromMinute] = window.from.split(':').map(Number) as [number, number];
  const [toHour, toMinute] = window.to.split(':').map(Number) as [number, number];
  for (let day = 0; day < 8; day += 1) {
    const date = plusDays(at, day, timeZone);
    if (!window.days.includes(WEEKDAYS[date.local.weekday - 1]!)) continue;
    const offset = zoneOffset(date.at, timeZone);
    const opens = instantOf({ ...date.local, hour: fromHour, minute: fromMinute }, timeZone, offset);
    const closes = instantOf({ ...date.local, hour: toHour, minute: toMinute }, timeZone, offset);
    if (day === 0 && at >= opens && at < closes) return at;
    if (opens > at) return opens;
  }
  return at; // unreachable with at least one day in the window
}
