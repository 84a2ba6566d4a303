import { DateTime } from 'luxon';
import { firstMeetingSlot } from '../../src/delivery/scheduling';

const local = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toFormat('ccc yyyy-MM-dd HH:mm');

test('a meeting due on a Saturday goes to Monday morning in the customer time zone', () => {
  // Saturday 2026-11-28 10:00 in Tokyo.
  const slot = firstMeetingSlot('2026-11-28T01:00:00Z', 'Asia/Tokyo', 30);
  expect(local(slot!.start.toISO()!, 'Asia/Tokyo')).toBe('Mon 2026-11-30 09:00');
});

test('a meeting due late in the afternoon goes to the next business morning', () => {
  // Tuesday 2026-11-24 16:10 in New York: an hour-long call would end after 17:00.
  const slot = firstMeetingSlot('2026-11-24T21:10:00Z', 'America/New_York', 60);
  expect(local(slot!.start.toISO()!, 'America/New_York')).toBe('Wed 2026-11-25 09:00');
  expect(slot!.end.diff(slot!.start, 'minutes').minutes).toBe(60);
});

test('a meeting due in the morning is booked on the next full hour, an hour ahead at least', () => {
  const slot = firstMeetingSlot('2026-11-24T09:20:00+01:00', 'Europe/Berlin', 30);
  expect(local(slot!.start.toISO()!, 'Europe/Berlin')).toBe('Tue 2026-11-24 11:00');
});

test('a meeting nobody has a free hour for within 14 days has no slot', () => {
  expect(firstMeetingSlot('2026-11-24T09:20:00+01:00', 'Europe/Berlin', 30, undefined, () => true)).toBeUndefined();
});
