/**
 * What a rehearsal keeps while it runs, in memory and gone with it: a rehearsal books nobody's real time,
 * records no facts or deliveries in the engine database, and no address is suppressed in it, so it needs no
 * database and takes seconds. The rules are the real ones: a delivery happens once per key, and a person's
 * sessions never overlap (the calendar's own clash rule).
 */
import type { ActivityStores } from '../worker/activity-deps';
import type { FactBatch } from '../../contracts/facts';
import { clashes, type SessionBooking, type SessionCalendar } from '../delivery/session-calendar';
import { normaliseEmail, type Suppression } from '../delivery/suppressions';

export function rehearsalStores(): ActivityStores & { factBatches: FactBatch[] } {
  const deliveries = new Map<string, Promise<unknown>>();
  const suppressed = new Map<string, Suppression>();
  const factBatches: FactBatch[] = [];
  return {
    ledger: {
      once<T>(key: string, deliver: () => Promise<T>): Promise<T> {
        if (!deliveries.has(key)) deliveries.set(key, deliver());
        return deliveries.get(key) as Promise<T>;
      },
      // Nothing in a rehearsal stops half way: its point of no return is passed at once.
      onceWithPointOfNoReturn<T>(key: string, deliver: (pointOfNoReturn: () => Promise<void>) => Promise<T>): Promise<T> {
        return this.once(key, () => deliver(() => Promise.resolve()));
      },
    },
    sessionCalendar: new RehearsalCalendar(),
    suppressions: {
      add: (s) => {
        const email = normaliseEmail(s.email);
        if (!suppressed.has(email)) suppressed.set(email, { ...s, email });
        return Promise.resolve(suppressed.get(email)!);
      },
      find: (email) => Promise.resolve(suppressed.get(normaliseEmail(email))),
      list: () => Promise.resolve([...suppressed.values()]),
    },
    facts: {
      record: (batch) => {
        factBatches.push(batch);
        // Nothing added to the engine database: nothing for metrics to count.
        return Promise.resolve([]);
      },
    },
    // A rehearsal runs one journey, never the map registry that opens review tasks.
    mapReviews: {
      open: () => Promise.reject(new Error('a rehearsal opens no map review tasks')),
      openTasks: () => Promise.resolve([]),
      doneTasks: () => Promise.resolve([]),
      complete: () => Promise.resolve(undefined),
    },
    factBatches,
  };
}

class RehearsalCalendar implements SessionCalendar {
  private readonly bookings = new Map<string, SessionBooking>();

  async reserve(bookingId: string, personEmail: string, start: Date, end: Date): Promise<boolean> {
    const email = personEmail.toLowerCase();
    if (clashes(await this.bookingsOf(email), start, end, bookingId)) return false;
    this.bookings.set(bookingId, { bookingId, personEmail: email, start: start.toISOString(), end: end.toISOString() });
    return true;
  }

  release(bookingId: string): Promise<void> {
    this.bookings.delete(bookingId);
    return Promise.resolve();
  }

  async isTaken(personEmail: string, start: Date, end: Date, exceptBookingId?: string): Promise<boolean> {
    return clashes(await this.bookingsOf(personEmail), start, end, exceptBookingId);
  }

  bookingsOf(personEmail: string): Promise<SessionBooking[]> {
    const email = personEmail.toLowerCase();
    return Promise.resolve([...this.bookings.values()].filter((b) => b.personEmail === email).sort((a, b) => a.start.localeCompare(b.start)));
  }
}
