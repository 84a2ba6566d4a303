import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createText, readRecord, readRecords, readText, writeRecord } from './record-files';

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
  bookingsOf(personEmail: string): Promise<SessionBooking[]>;
}

/** Whether any of the bookings (but `exceptBookingId`) overlaps start..end. */
export function clashes(bookings: SessionBooking[], start: Date, end: Date, exceptBookingId?: string): boolean {
  return bookings.some(
    (b) => b.bookingId !== exceptBookingId && Date.parse(b.start) < end.getTime() && Date.parse(b.end) > start.getTime(),
  );
}

/** A booking's file: its slot, and every claim it may hold (more than its slot's while a change is under way). */
interface BookingRecord {
  bookingId: string;
  slot?: Omit<SessionBooking, 'bookingId'>;
  claims: string[];
}

const CLAIM_MS = 30 * 60_000;

/**
 * The session calendar in a folder (a shared volume for several workers): one JSON file per booking,
 * written atomically (temporary file + rename, see record-files), and one claim file per
 * person and half hour the booking covers.
 *
 * Why claim files: creating a file with the `wx` flag is atomic on every local file system: of two
 * workers claiming the same half hour, exactly one succeeds, with no lock to hold. A lock per person
 * (mkdir around check-and-write) would need breaking when a worker dies holding it, and breaking a
 * lock safely is the hard part; a claim left behind by a crash instead belongs to a booking whose
 * file lists it, and the booking's next reserve or release (Temporal retries the activity) clears it.
 * Claims are taken in time order, so of two overlapping reservations at least one succeeds.
 * Half hours, because sessions start on them; an odd slot (a reschedule to 10:15) claims
 * the half hours it touches, which may refuse a neighbour that only touches the same half hour.
 */
export class FileSessionCalendar implements SessionCalendar {
  constructor(private readonly dir: string) {}

  async reserve(bookingId: string, personEmail: string, start: Date, end: Date): Promise<boolean> {
    if (!(end > start)) throw new Error(`reserve ${bookingId}: the end (${end.toISOString()}) must be after the start`);
    const slot = { personEmail: personEmail.toLowerCase(), start: start.toISOString(), end: end.toISOString() };
    const wanted = claimsOf(slot);
    const before = await this.read(bookingId);
    if (before?.slot && sameSlot(before.slot, slot) && sameSet(before.claims, wanted)) return true;
    // The file lists the claims before they are made, so none is ever held without a record of it.
    const claims = [...new Set([...(before?.claims ?? []), ...wanted])];
    await this.write({ bookingId, slot: before?.slot, claims });
    let won = true;
    for (const claim of wanted) {
      if (!(await this.claim(claim, bookingId))) {
        won = false;
        break;
      }
    }
    await this.settle({ bookingId, slot: won ? slot : before?.slot, claims });
    return won;
  }

  async release(bookingId: string): Promise<void> {
    const record = await this.read(bookingId);
    if (record) await this.settle({ bookingId, claims: record.claims });
  }

  async isTaken(personEmail: string, start: Date, end: Date, exceptBookingId?: string): Promise<boolean> {
    return clashes(await this.bookingsOf(personEmail), start, end, exceptBookingId);
  }

  async bookingsOf(personEmail: string): Promise<SessionBooking[]> {
    const records = await readRecords<BookingRecord>(this.bookingsDir);
    const email = personEmail.toLowerCase();
    return records
      .flatMap((r) => (r.slot?.personEmail === email ? [{ bookingId: r.bookingId, ...r.slot }] : []))
      .sort((a, b) => a.start.localeCompare(b.start));
  }

  /** Writes the outcome (the slot the booking now holds, if any), then lets go of every other claim. */
  private async settle(record: BookingRecord): Promise<void> {
    await this.write(record);
    const keep = record.slot ? claimsOf(record.slot) : [];
    for (const claim of record.claims) if (!keep.includes(claim)) await this.unclaim(claim, record.bookingId);
    if (record.slot) await this.write({ ...record, claims: keep });
    else await rm(this.recordFile(record.bookingId), { force: true });
  }

  /** True if the booking holds the claim now, whether it just made it or already had it. */
  private async claim(claim: string, bookingId: string): Promise<boolean> {
    const file = path.join(this.claimsDir, claim);
    await mkdir(path.dirname(file), { recursive: true });
    return (await createText(file, bookingId)) || (await readText(file)) === bookingId;
  }

  private async unclaim(claim: string, bookingId: string): Promise<void> {
    const file = path.join(this.claimsDir, claim);
    // Only the booking's own claim: the half hour may have been claimed by another booking since.
    if ((await readText(file)) === bookingId) await rm(file, { force: true });
  }

  private get bookingsDir() {
    return path.join(this.dir, 'bookings');
  }

  private get claimsDir() {
    return path.join(this.dir, 'claims');
  }

  private recordFile(bookingId: string) {
    return path.join(this.bookingsDir, `${encodeURIComponent(bookingId)}.json`);
  }

  private read(bookingId: string) {
    return readRecord<BookingRecord>(this.recordFile(bookingId));
  }

  private write(record: BookingRecord): Promise<void> {
    return writeRecord(this.recordFile(record.bookingId), record);
  }
}

/** The claim files a slot needs: `<person>/<half hour, UTC>` for every half hour it touches. */
function claimsOf(slot: { personEmail: string; start: string; end: string }): string[] {
  const claims: string[] = [];
  const end = Date.parse(slot.end);
  for (let at = Math.floor(Date.parse(slot.start) / CLAIM_MS) * CLAIM_MS; at < end; at += CLAIM_MS) {
    const stamp = new Date(at).toISOString().replace(/[-:]/g, '').slice(0, 13); // 20261124T0930
    claims.push(`${encodeURIComponent(slot.personEmail)}/${stamp}Z`);
  }
  return claims;
}

function sameSlot(a: NonNullable<BookingRecord['slot']>, b: NonNullable<BookingRecord['slot']>): boolean {
  return a.personEmail === b.personEmail && a.start === b.start && a.end === b.end;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && b.every((item) => a.includes(item));
}
