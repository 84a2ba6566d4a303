import { createHash, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { DELIVERY_UNCONFIRMED } from '../../contracts/failures';
import type { Database } from '../db/database';

/**
 * Remembers what was delivered under an idempotency key, so an activity that Temporal retries
 * returns the first delivery's result instead of emailing or booking a second time.
 */
export interface DeliveryLedger {
  /** A delivery that may have reached the other side as soon as it starts: one cut short is never repeated. */
  once<T>(key: string, deliver: () => Promise<T>): Promise<T>;
  /**
   * A delivery with a point of no return, such as an email's end of data: `deliver` awaits
   * `pointOfNoReturn()` right before it, and one cut short before it is delivered again by the retry.
   * A failure after it counts as not delivered only when `refused(err)` says the other side answered no.
   */
  onceWithPointOfNoReturn<T>(key: string, deliver: (pointOfNoReturn: () => Promise<void>) => Promise<T>, refused: (err: unknown) => boolean): Promise<T>;
}

/** A stable, opaque id derived from an idempotency key (for Message-IDs, booking and task ids). */
export function stableId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

interface DeliveryRow<T> {
  started_at: Date;
  committed_at: Date | null;
  delivered_at: Date | null;
  result: { value: T } | null;
}

/**
 * The ledger in the engine database, shared by every worker on every machine. A delivery is a row: its
 * intent, inserted before the delivery starts by the one attempt that holds it (`attempt`); the moment it
 * passed its point of no return (`committed_at`); its result, written when it is done.
 *
 * - A retry that finds the result returns it: nothing is sent again.
 * - A retry that finds an intent not yet committed means the attempt before it stopped before anything could
 *   have reached the other side (an SMTP server keeps no message without its end of data): the retry takes the
 *   row over and delivers. The attempt it took over, if still alive, can no longer commit, so it stops.
 * - A retry that finds a committed intent without a result means a worker died after the point of no return,
 *   perhaps after the SMTP server accepted the message. Sending again could duplicate it, so the delivery fails
 *   for good as DeliveryUnconfirmed; the journey records it and asks the owner to check. At most once, never silently.
 * - A delivery that fails before its point of no return, or that the other side refused, removes its intent,
 *   so Temporal's retry delivers it.
 * - A database that is down fails the attempt before anything is sent; Temporal retries it.
 */
export class PgDeliveryLedger implements DeliveryLedger {
  constructor(private readonly db: Database) {}

  once<T>(key: string, deliver: () => Promise<T>): Promise<T> {
    // As before points of no return: a delivery that fails in the worker (SMTP down) counts as not delivered.
    return this.deliverOnce(key, { committedFromStart: true }, () => deliver(), () => true);
  }

  onceWithPointOfNoReturn<T>(key: string, deliver: (pointOfNoReturn: () => Promise<void>) => Promise<T>, refused: (err: unknown) => boolean): Promise<T> {
    return this.deliverOnce(key, { committedFromStart: false }, deliver, refused);
  }

  private async deliverOnce<T>(
    key: string,
    { committedFromStart }: { committedFromStart: boolean },
    deliver: (pointOfNoReturn: () => Promise<void>) => Promise<T>,
    refused: (err: unknown) => boolean,
  ): Promise<T> {
    const attempt = randomUUID();
    const recorded = await this.takeIntent<T>(key, attempt, committedFromStart);
    if (recorded) return recorded.value;
    let committed = committedFromStart;
    const pointOfNoReturn = async () => {
      const taken = await this.db.query('UPDATE deliveries SET committed_at = now() WHERE key = $1 AND attempt = $2 AND committed_at IS NULL', [key, attempt]);
      if (taken.rowCount !== 1) throw new Error('a newer attempt of this delivery took it over; this one stops before its point of no return');
      committed = true;
    };
    let result: T;
    try {
      result = await deliver(pointOfNoReturn);
    } catch (err) {
      // Past the point of no return, only a refusal from the other side says nothing arrived; anything else
      // (a connection cut before the answer) leaves the intent committed, and the retry reports it unconfirmed.
      if (!committed || refused(err)) await this.db.query('DELETE FROM deliveries WHERE key = $1 AND attempt = $2 AND delivered_at IS NULL', [key, attempt]);
      throw err;
    }
    // Wrapped, so a delivery that returns nothing still records a result. If this write fails (the database
    // went down just now), the retry finds the committed intent and reports the delivery unconfirmed, never sends again.
    await this.db.query('UPDATE deliveries SET delivered_at = now(), committed_at = coalesce(committed_at, now()), result = $2 WHERE key = $1', [
      key,
      JSON.stringify({ value: result }),
    ]);
    return result;
  }

  /** Takes the delivery's intent for this attempt; returns the recorded result when it was delivered already. */
  private async takeIntent<T>(key: string, attempt: string, committed: boolean): Promise<{ value: T } | undefined> {
    const inserted = await this.db.query(
      `INSERT INTO deliveries (key, attempt, committed_at) VALUES ($1, $2, CASE WHEN $3::boolean THEN now() END)
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [key, attempt, committed],
    );
    if (inserted.rowCount === 1) return undefined;
    // Taken over only when its attempt stopped before the point of no return (never for a committed intent).
    const takenOver = await this.db.query(
      `UPDATE deliveries SET attempt = $2, started_at = now(), committed_at = CASE WHEN $3::boolean THEN now() END
       WHERE key = $1 AND committed_at IS NULL AND delivered_at IS NULL RETURNING key`,
      [key, attempt, committed],
    );
    if (takenOver.rowCount === 1) return undefined;
    const found = await this.db.query<DeliveryRow<T>>('SELECT started_at, committed_at, delivered_at, result FROM deliveries WHERE key = $1', [key]);
    const row = found.rows[0];
    if (!row) throw new Error('another attempt of this delivery failed just now; Temporal retries it'); // it cleared its intent
    if (row.delivered_at && row.result) return row.result;
    throw ApplicationFailure.create({
      type: DELIVERY_UNCONFIRMED,
      nonRetryable: true,
      message: `the worker stopped during this delivery (started ${row.started_at.toISOString()}); it may have gone out, so it is not repeated`,
    });
  }

  /** Forgets deliveries done more than `days` ago: no activity retries that long after its delivery. */
  async prune(days: number): Promise<number> {
    const pruned = await this.db.query("DELETE FROM deliveries WHERE delivered_at < now() - make_interval(days => $1)", [days]);
    return pruned.rowCount ?? 0;
  }
}
