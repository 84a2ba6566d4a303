/**
 * Calendar arithmetic in a named time zone with nothing but Intl (deterministic in workflow code: the
 * sandbox's Intl is the same on replay). The workflow bundle carries no date library: luxon alone added
 * about 110 KiB to every cached journey. Where a local time does not exist or exists twice (daylight
 * saving), it resolves as luxon does: a time in the gap moves forward by the gap, a repeated one takes the
 * offset the day had before.
 */

/** A local date and time of day in some zone; month 1-12, weekday 1 (Monday) to 7 (Sunday). */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The zone's offset from UTC at an instant, in milliseconds (whole seconds, as zones have them). */
export function zoneOffset(at: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(at)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The local date and time at an instant. */
export function localDateTime(at: number, timeZone: string): LocalDateTime {
  const local = new Date(at + zoneOffset(at, timeZone));
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    weekday: ((local.getUTCDay() + 6) % 7) + 1,
  };
}

/**
 * The instant of a local date and time. `offsetGuess` is the offset of the moment the time is set from
 * (luxon's `set` starts from it, which decides the repeated hour).
 */
export function instantOf(local: Omit<LocalDateTime, 'weekday'>, timeZone: string, offsetGuess: number): number {
  const localTs = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  // luxon's fixOffset: guess, correct once, and in a gap take the later offset.
  let guess = localTs - offsetGuess;
  const o2 = zoneOffset(guess, timeZone);
  if (o2 === offsetGuess) return guess;
  guess -= o2 - offsetGuess;
  const o3 = zoneOffset(guess, timeZone);
  if (o2 === o3) return guess;
  return localTs - Math.min(o2, o3);
}

/** The same local time of day `days` calendar days later, as luxon's `plus({ days })`. */
export function plusDays(at: number, days: number, timeZone: string): { at: number; local: LocalDateTime } {
  const offset = zoneOffset(at, timeZone);
  const local = localDateTime(at, timeZone);
  const date = new Date(Date.UTC(local.year, local.month - 1, local.day + days));
  const moved = instantOf(
    { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour: local.hour, minute: local.minute },
    timeZone,
    offset,
  ) + (at - Math.floor(at / 60_000) * 60_000);
  return { at: moved, local: localDateTime(moved, timeZone) };
}
