import { DateTime } from 'luxon';
import { WEEKDAYS, type Weekday } from '../../contracts/map';

export { WEEKDAYS, type Weekday };

/** When a day's hours open and close, in minutes after local midnight (09:00 is 540, 24:00 is 1440). */
export interface DayHours {
  opens: number;
  closes: number;
}

/** Opening hours for each day of the week, in some time zone; a day that is missing is closed. */
export type WeeklyHours = Partial<Record<Weekday, DayHours>>;

const NINE_TO_FIVE: DayHours = { opens: 9 * 60, closes: 17 * 60 };
/** A customer's business hours: Monday to Friday, 09:00 to 17:00 in their time zone. */
export const BUSINESS_HOURS: WeeklyHours = { mon: NINE_TO_FIVE, tue: NINE_TO_FIVE, wed: NINE_TO_FIVE, thu: NINE_TO_FIVE, fri: NINE_TO_FIVE };

/** Whether the meeting from `start` to `end` lies within one day's opening hours in `timeZone`. */
export function withinHours(start: DateTime, end: DateTime, timeZone: string, hours: WeeklyHours): boolean {
  const local = start.setZone(timeZone);
  const day = hours[WEEKDAYS[local.weekday - 1]!];
  if (!day) return false;
  // Set as wall-clock times (not midnight plus minutes), so a day with a daylight-saving change keeps 09:00 at 09:00.
  const at = (minutes: number) =>
    minutes >= 24 * 60
      ? local.plus({ days: 1 }).startOf('day')
      : local.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 });
  return start >= at(day.opens) && end <= at(day.closes);
}

/**
 * The first start on a grid (every `stepMinutes` from `from`, for `days` days) where a meeting of
 * `durationMinutes` fits, with what `match` found for it (e.g. who is free): the one search behind
 * calls (whole hours) and training sessions (half hours).
 */
export function firstSlot<T>(options: {
  from: DateTime;
  stepMinutes: number;
  durationMinutes: number;
  days: number;
  match: (start: DateTime, end: DateTime) => T | undefined;
}): { start: DateTime; end: DateTime; match: T } | undefined {
  const until = options.from.plus({ days: options.days });
  for (let start = options.from; start < until; start = start.plus({ minutes: options.stepMinutes })) {
    const end = start.plus({ minutes: options.durationMinutes });
    const match = options.match(start, end);
    if (match !== undefined) return { start, end, match };
  }
  return undefined;
}

/** How many days ahead a call is looked for: a call that cannot happen within two weeks needs a person. */
export const CALL_SEARCH_DAYS = 14;

/**
 * The first meeting slot on a weekday within business hours in the customer's time zone, on the
 * next full hour at least one hour after `notBefore`, so an invitation never lands for "right now";
 * undefined when none is free within CALL_SEARCH_DAYS.
 */
export function firstMeetingSlot(
  notBefore: string,
  timeZone: string,
  durationMinutes: number,
  hours: WeeklyHours = BUSINESS_HOURS,
  /** Slots someone already holds (the owner's other calls) are passed over. */
  isTaken: (start: DateTime, end: DateTime) => boolean = () => false,
): { start: DateTime; end: DateTime } | undefined {
  const from = DateTime.fromISO(notBefore, { zone: timeZone }).plus({ hours: 1 }).startOf('hour').plus({ hours: 1 });
  const slot = firstSlot({
    from,
    stepMinutes: 60,
    durationMinutes,
    days: CALL_SEARCH_DAYS,
    match: (start, end) => (withinHours(start, end, timeZone, hours) && !isTaken(start, end) ? true : undefined),
  });
  return slot && { start: slot.start, end: slot.end };
}
