import { productEventProblem, unsubscribeProblem } from '../../workflows/interpreter/signal-inputs';

/** The checks a journey makes of a signal's payload before acting on it (signals can bypass the API). */
const event = { eventId: 'evt-1', type: 'feature.used', occurredAt: '2026-12-01T10:00:00.000Z', feature: 'reports', seats: 3, trial: false };

test('a well-formed event passes, with the details milestones match on', () => {
  expect(productEventProblem(event)).toBeUndefined();
  expect(productEventProblem({ ...event, type: 'renewal.renewed', renewsOn: '2027-12-01T00:00:00.000Z' })).toBeUndefined();
});

test.each([
  [null, 'the payload must be an event object, not null'],
  [undefined, 'the payload must be an event object, not undefined'],
  ['login', 'the payload must be an event object, not string'],
  [[event], 'the payload must be an event object, not object'],
  [{}, 'eventId: must be a string of 1 to 200 characters'],
  [{ ...event, eventId: 123 }, 'eventId: must be a string of 1 to 200 characters'],
  [{ ...event, eventId: 'x'.repeat(201) }, 'eventId: must be a string of 1 to 200 characters'],
  [{ ...event, type: 'login' }, 'type: must be a dotted event name such as "feature.used"'],
  [{ ...event, occurredAt: undefined }, 'occurredAt: must be an ISO date-time'],
  [{ ...event, occurredAt: 'yesterday' }, 'occurredAt: must be an ISO date-time'],
  [{ ...event, renewsOn: 12 }, 'renewsOn: must be an ISO date-time'],
  [{ ...event, feature: { nested: true } }, 'feature: must be a string, a number or a boolean'],
  [{ ...event, note: 'x'.repeat(501) }, 'note: must be at most 500 characters'],
])('%j is refused: %s', (payload, reason) => {
  expect(productEventProblem(payload)).toBe(reason);
});

test('an unsubscribe needs an address and a time', () => {
  expect(unsubscribeProblem({ email: 'ana@acme.example', at: '2026-12-01T10:00:00Z' })).toBeUndefined();
  expect(unsubscribeProblem(null)).toBe('the payload must be an object with email and at, not null');
  expect(unsubscribeProblem({ email: 'nobody', at: '2026-12-01T10:00:00Z' })).toBe('email: must be an email address');
  expect(unsubscribeProblem({ email: 'ana@acme.example' })).toBe('at: must be an ISO date-time');
});
