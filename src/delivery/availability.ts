import { DateTime } from 'luxon';
import { z } from 'zod';
import { personSchema, timeZoneSchema } from '../journeys/customer';
import { parseFile } from '../maps/catalog';
import '../zod-messages';
import { BUSINESS_HOURS, firstSlot, withinHours, type DayHours, type WeeklyHours } from './scheduling';

/** Training sessions start on the hour or the half hour (of UTC, so of every local clock but the few :45 zones). */
export const SLOT_MINUTES = 30;

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** "09:00-17:00" as minutes after midnight; 24:00 closes at midnight. */
const dayHoursSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be HH:MM-HH:MM')
  .transform((range): DayHours => ({ opens: minutesOf(range.slice(0, 5)), closes: minutesOf(range.slice(6)) }))
  .refine((day) => day.opens < day.closes, 'must close after it opens');

const day = dayHoursSchema.optional();
const weeklyHoursSchema = z
  .strictObject({ mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day })
  .refine((hours: WeeklyHours) => Object.values(hours).some(Boolean), 'must open on at least one day');

const dateOrInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'must be an ISO date (2026-12-24) or date-time with offset (2026-12-24T13:00:00+01:00)',
});

/**
 * An absence as an interval of instants. A plain date is read in the trainer's time zone, and a plain
 * `to` date includes that whole day: `{ from: 2026-12-24, to: 2026-12-26 }` is three days off.
 */
function absenceInterval(entry: { from: string; to: string }, timeZone: string): { from: DateTime; to: DateTime } {
  const from = DateTime.fromISO(entry.from, { zone: timeZone });
  const to = DateTime.fromISO(entry.to, { zone: timeZone });
  return { from, to: z.iso.date().safeParse(entry.to).success ? to.plus({ days: 1 }) : to };
}

const trainerSchema = personSchema
  .extend({
    timeZone: timeZoneSchema,
    /** What the trainer teaches; without topics, anything. */
    topics: z.array(z.string().trim().min(1)).min(1).optional(),
    /** Weekly working hours in the trainer's time zone. */
    hours: weeklyHoursSchema,
    /** Holidays and other absences. */
    unavailable: z.array(z.strictObject({ from: dateOrInstant, to: dateOrInstant, reason: z.string().optional() })).default([]),
  })
  .superRefine((trainer, ctx) => {
    trainer.unavailable.forEach((entry, i) => {
      const { from, to } = absenceInterval(entry, trainer.timeZone);
      if (to <= from) ctx.addIssue({ code: 'custom', path: ['unavailable', i, 'to'], message: 'must be after from' });
    });
  })
  .transform((trainer) => ({
    ...trainer,
    unavailable: trainer.unavailable.map((entry) => {
      const { from, to } = absenceInterval(entry, trainer.timeZone);
      return { ...entry, from: from.toUTC().toISO()!, to: to.toUTC().toISO()! };
    }),
  }));

/** The emails the file lists, whether or not each trainer is valid otherwise. */
function listedEmails(value: unknown): unknown[] {
  const trainers = (value as { trainers?: unknown } | undefined)?.trainers;
  return Array.isArray(trainers) ? trainers.map((t: unknown) => (t as { email?: unknown } | null)?.email) : [];
}

const trainersFileSchema = z.strictObject({ trainers: z.array(trainerSchema).min(1) }).superRefine(
  (_, ctx) => {
    const seen = new Set<string>();
    listedEmails(ctx.value).forEach((email, i) => {
      if (typeof email !== 'string') return;
      if (seen.has(email.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['trainers', i, 'email'], message: `duplicate trainer email "${email}"` });
      seen.add(email.toLowerCase());
    });
  },
  // Also when trainers have other mistakes, so the file's problems are all reported at once.
  { when: ({ value }) => listedEmails(value).length > 1 },
);

/** A trainer as the trainers file describes them; absences are kept as UTC ISO instants. */
export type Trainer = z.infer<typeof trainerSchema>;

/** Reads the trainers file; every problem names the file and the path inside it. */
export function loadTrainers(file: string): Trainer[] {
  return parseFile(file, trainersFileSchema).trainers;
}

/** Whether a trainer teaches a topic: no topics means anything; otherwise one names the other, ignoring case. */
export function teaches(trainer: Trainer, topic: string): boolean {
  if (!trainer.topics) return true;
  const wanted = topic.toLowerCase();
  return trainer.topics.some((t) => t.toLowerCase().includes(wanted) || wanted.includes(t.toLowerCase()));
}

export interface TrainingSlot {
  trainer: Trainer;
  /** In the customer's time zone. */
  start: DateTime;
  end: DateTime;
}

/**
 * The earliest training slot: on the half hour, at least an hour after `notBefore`, within the
 * trainer's hours and the customer's business hours, outside the trainer's absences, and not taken.
 * The earliest start wins; at the same start, the trainer listed first in the file.
 */
export function findTrainingSlot(options: {
  trainers: Trainer[];
  topic: string;
  customerTimeZone: string;
  notBefore: string;
  durationMinutes: number;
  isTaken: (trainerEmail: string, start: DateTime, end: DateTime) => boolean;
  searchDays?: number;
}): TrainingSlot | undefined {
  const candidates = options.trainers.filter((trainer) => teaches(trainer, options.topic));
  if (candidates.length === 0) return undefined;
  const step = SLOT_MINUTES * 60_000;
  const earliest = DateTime.fromISO(options.notBefore).toMillis() + 60 * 60_000;
  const from = DateTime.fromMillis(Math.ceil(earliest / step) * step, { zone: options.customerTimeZone });
  const isFree = (trainer: Trainer, start: DateTime, end: DateTime) =>
    withinHours(start, end, trainer.timeZone, trainer.hours) &&
    !trainer.unavailable.some((absence) => start < DateTime.fromISO(absence.to) && end > DateTime.fromISO(absence.from)) &&
    !options.isTaken(trainer.email, start, end);
  const slot = firstSlot({
    from,
    stepMinutes: SLOT_MINUTES,
    durationMinutes: options.durationMinutes,
    days: options.searchDays ?? 21,
    match: (start, end) =>
      withinHours(start, end, options.customerTimeZone, BUSINESS_HOURS) ? candidates.find((t) => isFree(t, start, end)) : undefined,
  });
  return slot && { trainer: slot.match, start: slot.start, end: slot.end };
}
