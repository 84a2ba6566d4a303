import type { Database } from '../db/database';

/** One session holding a person's time: a trainer's training session, or an owner's call. */
export interface SessionBooking {
  bookingId: string;
  personEmail: string;
  /** ISO instants (UTC). */
  start: string;
  end: string;
}

/** Who holds which person's time, shared by every worker that books sessions, so nobody is booked twice at once. */
export interface SessionCalendar {
  /**
   * Holds start..end of the person for the booking: true if it now does (also when it already did),
   * false if another booking holds time overlapping it. A booking holds one slot: reserving another
   * moves it there and frees the old one.
   */
  reserve(bookingId: string, personEmail: string, start: Date, end: Date): Promise<boolean>;
  /** Frees the booking's slot; nothing happens for a booking that holds none. */
  release(bookingId: string): Promise<void>;
  isTaken(personEmail: string, start: Date, end: Date, exceptBookingId?: string): Promise<boolean>;
  /** The person's bookings, in time order: all of them, or those overlapping a window. */
  bookingsOf(personEmail: string, window?: { from: Date; to: Date }): Promise<SessionBooking[]>;
}

/** Whether any of the bookings (but `exceptBookingId`) overlaps start..end. */
export function clashes(bookings: SessionBooking[], start: Date, end: Date, exceptBookingId?: string): boolean {
  return bookings.some(
    (b) => b.bookingId !== exceptBookingId && Date.parse(b.start) < end.getTime() && Date.parse(b.end) > start.getTime(),
  );
}

interface BookingRow {
  booking_id: string;
  person: string;
  starts: Date;
  ends: Date;
}

/** PostgreSQL's code for a row that an exclusion constraint refuses (here: an overlapping booking). */
const EXCLUSION_VIOLATION = '23P01';

/**
 * The session calendar in the engine database: one row per booking holding a person's time as a range,
 * start included, end excluded (a session may begin the minute another ends). The table's exclusion
 * constraint refuses two overlapping bookings of one person, whichever workers on whichever machines
 * write them at once: no check-then-write in code, nothing to clean up after a crash.
 */
export class PgSessionCalendar implements SessionCalendar {
  constructor(private readonly db: Database) {}

  async reserve(bookingId: string, personEmail: string, start: Date, end: Date): Promise<boolean> {
    if (!(end > start)) throw new Error(`reserve ${bookingId}: the end (${end.toISOString()}) must be after the start`);
    try {
      // Reservations of one person's time take turns: the statement first takes a lock on the person, held until
      // it ends. Left to race, two inserts of overlapping time each wait on the other's uncommitted row in the
      // exclusion index and the server aborts one as a deadlock; in turn, the second finds the first's row. One
      // statement, so no connection is held between round trips. Moving a booking replaces its row's range: it
      // never holds two slots, and its own old slot never blocks the new one.
      await this.db.query(
        `WITH turn AS (SELECT pg_advisory_xact_lock(hashtext('booking:' || $2::text)))
         INSERT INTO bookings (booking_id, person, during) SELECT $1, $2, tstzrange($3, $4, '[)') FROM turn
         ON CONFLICT (booking_id) DO UPDATE SET person = EXCLUDED.person, during = EXCLUDED.during`,
        [bookingId, personEmail.toLowerCase(), start, end],
      );
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === EXCLUSION_VIOLATION) return false;
      throw err;
    }
  }

  async release(bookingId: string): Promise<void> {
    await this.db.query('DELETE FROM bookings WHERE booking_id = $1', [bookingId]);
  }

  async isTaken(personEmail: string, start: Date, end: Date, exceptBookingId?: string): Promise<boolean> {
    const found = await this.db.query(
      `SELECT 1 FROM bookings WHERE person = $1 AND during && tstzrange($2, $3, '[)') AND booking_id IS DISTINCT FROM $4 LIMIT 1`,
      [personEmail.toLowerCase(), start, end, exceptBookingId ?? null],
    );
    return (found.rowCount ?? 0) > 0;
  }

  async bookingsOf(personEmail: string, window?: { from: Date; to: Date }): Promise<SessionBooking[]> {
    const found = await this.db.query<BookingRow>(
      `SELECT booking_id, person, lower(during) AS starts, upper(during) AS ends FROM bookings
       WHERE person = $1 AND ($2::timestamptz IS NULL OR during && tstzrange($2, $3, '[)'))
       ORDER BY lower(during)`,
      [personEmail.toLowerCase(), window?.from ?? null, window?.to ?? null],
    );
    return found.rows.map((row) => ({ bookingId: row.booking_id, personEmail: row.person, start: row.starts.toISOString(), end: row.ends.toISOString() }));
  }

  /** Forgets sessions that ended more than `days` ago. */
  async prune(days: number): Promise<number> {
    const pruned = await this.db.query('DELETE FROM bookings WHERE upper(during) < now() - make_interval(days => $1)', [days]);
    return pruned.rowCount ?? 0;
  }
}
