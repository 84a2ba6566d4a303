/**
 * What a signal must carry before the journey acts on it. Signals can reach Temporal without the API
 * (its CLI, another service): a malformed one is refused and recorded, never a failed workflow task that
 * would jam the journey. The API's zod schemas say the same, with messages for people; these say why here.
 */
import { iso, type Journey } from './journey';

/** How many refused signals a journey keeps on record. */
const REFUSED_KEPT = 20;
const EVENT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isInstant = (value: unknown) => typeof value === 'string' && value.length <= 40 && !Number.isNaN(Date.parse(value));

/** Why a productEvent signal's payload cannot be an event, or undefined when it can. */
export function productEventProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return `the payload must be an event object, not ${value === null ? 'null' : typeof value}`;
  if (typeof value.eventId !== 'string' || value.eventId.trim() === '' || value.eventId.length > 200) return 'eventId: must be a string of 1 to 200 characters';
  if (typeof value.type !== 'string' || !EVENT_TYPE.test(value.type)) return 'type: must be a dotted event name such as "feature.used"';
  if (!isInstant(value.occurredAt)) return 'occurredAt: must be an ISO date-time';
  if (value.renewsOn !== undefined && !isInstant(value.renewsOn)) return 'renewsOn: must be an ISO date-time';
  for (const [field, detail] of Object.entries(value)) {
    if (!['string', 'number', 'boolean'].includes(typeof detail)) return `${field}: must be a string, a number or a boolean`;
    if (typeof detail === 'string' && detail.length > 500) return `${field}: must be at most 500 characters`;
  }
  return undefined;
}

/** Why a contactUnsubscribed signal's payload is malformed, or undefined when it is well formed. */
export function unsubscribeProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return `the payload must be an object with email and at, not ${value === null ? 'null' : typeof value}`;
  if (typeof value.email !== 'string' || !value.email.includes('@')) return 'email: must be an email address';
  if (!isInstant(value.at)) return 'at: must be an ISO date-time';
  return undefined;
}

/** Records a refused signal; the journey goes on as it was. */
export function refuseSignal(j: Journey, signal: string, reason: string): void {
  j.env.log.warn('Signal refused', { signal, reason });
  j.s.refusedSignals = [...(j.s.refusedSignals ?? []), { signal, reason, at: iso(j.env.now()) }].slice(-REFUSED_KEPT);
}
