/**
 * What every analytics figure is taken over: one map (and version), a segment, a plan, a purchase cohort
 * (month) and a period. Validated once here, for the API's query strings and the CLI's flags alike; the
 * figures turn it into SQL parameters (src/analytics/scope.ts), never into SQL text.
 */
import { z } from 'zod';
import '../zod-messages';
import { DAY_MS } from '../../contracts/time';

/** Ids and names as the facts hold them: no control characters (PostgreSQL text cannot hold NUL), not overlong. */
export const analyticsName = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters or unpaired surrogates');

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const PERIOD_MESSAGE = 'must be an ISO date (2026-11-24) or date-time with offset (2026-11-24T09:30:00Z), years 2000-9999';

/** A day or an instant of a period's bound: a date means the whole day (UTC), so `to=2026-03-31` includes the 31st. */
const periodBound = z.string().refine((value) => boundOf(value, 'from') !== undefined, PERIOD_MESSAGE);

export const analyticsFilterSchema = z
  .object({
    mapId: analyticsName,
    mapVersion: z
      .string()
      .regex(/^[1-9]\d{0,8}$/, 'must be a whole number from 1')
      .transform(Number)
      .optional(),
    segment: analyticsName.optional(),
    plan: analyticsName.optional(),
    cohort: z
      .string()
      .regex(/^(2\d{3}|[3-9]\d{3})-(0[1-9]|1[0-2])$/, 'must be a purchase month as YYYY-MM (2026-03), years 2000-9999')
      .optional(),
    from: periodBound.optional(),
    to: periodBound.optional(),
  })
  .superRefine((filter, ctx) => {
    const from = filter.from === undefined ? undefined : boundOf(filter.from, 'from');
    const to = filter.to === undefined ? undefined : boundOf(filter.to, 'to');
    if (from && to && to <= from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  });

/** The filter as given (the API's query, the CLI's flags): mapId required, everything else narrows it. */
export type AnalyticsFilter = z.output<typeof analyticsFilterSchema>;

/** The filter as the queries take it: the cohort and the period as half-open ranges of instants. */
export interface AnalyticsScope {
  mapId: string;
  mapVersion?: number;
  segment?: string;
  plan?: string;
  /** The purchase month [start, end). */
  cohort?: { start: Date; end: Date };
  /** Facts whose `at` falls in [from, to). */
  from?: Date;
  to?: Date;
}

/** Parses a query string or flags (strings); a ZodError naming each bad field otherwise. */
export function parseAnalyticsFilter(input: unknown): AnalyticsFilter {
  return analyticsFilterSchema.parse(input);
}

export function scopeOf(filter: AnalyticsFilter): AnalyticsScope {
  const { mapId, mapVersion, segment, plan, cohort } = filter;
  return {
    mapId,
    ...(mapVersion !== undefined ? { mapVersion } : {}),
    ...(segment !== undefined ? { segment } : {}),
    ...(plan !== undefined ? { plan } : {}),
    ...(cohort !== undefined ? { cohort: monthOf(cohort) } : {}),
    ...(filter.from !== undefined ? { from: boundOf(filter.from, 'from')! } : {}),
    ...(filter.to !== undefined ? { to: boundOf(filter.to, 'to')! } : {}),
  };
}

/** The instants of a purchase month (UTC): 2026-03 is [2026-03-01, 2026-04-01). */
function monthOf(cohort: string): { start: Date; end: Date } {
  const [year, month] = cohort.split('-').map(Number) as [number, number];
  return { start: new Date(Date.UTC(year, month - 1, 1)), end: new Date(Date.UTC(year, month, 1)) };
}

/**
 * A period's bound as an instant: `from` a date is its first moment, `to` a date the first moment after it
 * (the day is included), `to` an instant the moment just after it. Undefined when it is not a real date.
 */
function boundOf(value: string, side: 'from' | 'to'): Date | undefined {
  const date = ISO_DATE.exec(value);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const start = Date.UTC(year, month - 1, day);
    const real = new Date(start);
    if (year < 2000 || real.getUTCMonth() !== month - 1 || real.getUTCDate() !== day) return undefined;
    return new Date(side === 'from' ? start : start + DAY_MS);
  }
  if (!ISO_INSTANT.test(value)) return undefined;
  const instant = Date.parse(value);
  const year = Number(value.slice(0, 4));
  if (Number.isNaN(instant) || year < 2000 || !sameCalendarDay(value, instant)) return undefined;
  return new Date(side === 'from' ? instant : instant + 1);
}

/** Date.parse rolls 2026-02-30 over to March: the written day must be a real one. */
function sameCalendarDay(value: string, instant: number): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const written = new Date(Date.UTC(year, month - 1, day));
  return written.getUTCMonth() === month - 1 && Math.abs(instant - written.getTime()) < 2 * DAY_MS;
}
