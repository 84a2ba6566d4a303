import { DateTime } from 'luxon';

export interface BusinessHours {
  /** Local hour the working day starts and ends, in the customer's time zone. */
  opens: number;
  closes: number;
}

const DEFAULT_HOURS: BusinessHours = { opens: 9, closes: 17 };

/**
 * The first meeting slot on a weekday within business hours in the customer's time zone, on the
 * next full hour at least one hour after `notBefore`, so an invitation never lands for "right now".
 */
export function firstMeetingSlot(
  notBefore: string,
  timeZone: string,
  durationMinutes: number,
  hours: BusinessHours = DEFAULT_HOURS,
): { start: DateTime; end: DateTime } {
  let start = DateTime.fromISO(notBefore, { zone: timeZone }).plus({ hours: 1 }).startOf('hour').plus({ hours: 1 });
  for (let day = 0; day < 14; day += 1) {
    const opens = start.set({ hour: hours.opens, minute: 0, second: 0, millisecond: 0 });
    const closes = start.set({ hour: hours.closes, minute: 0, second: 0, millisecond: 0 });
    if (start < opens) start = opens;
    const end = start.plus({ minutes: durationMinutes });
    if (start.weekday <= 5 && end <= closes) return { start, end };
    start = opens.plus({ days: 1 });
  }
  throw new Error(`no business-hours slot of ${durationMinutes} minutes within 14 days of ${notBefore}`);
}
