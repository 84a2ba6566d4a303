import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { DELIVERY_UNCONFIRMED } from '../../contracts/failures';
import type { Database } from '../db/database';

/**
 * Remembers what was delivered under an idempotency key, so an activity that Temporal retries
 * returns the first delivery's result instead of emailing or booking a second time.
 */
export interface DeliveryLedger {
  once<T>(key: string, deliver: () => Promise<T>): Promise<T>;
}

/** A stable, opaque id derived from an idempotency key (for Message-IDs, booking and task ids). */
export function stableId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}


/**
 * The ledger in the engine database, shared by every worker on every machine, in two steps: an intent,
 * inserted before the delivery starts (the key is the primary key, so of two attempts exactly one inserts
 * it), and the result, written when the delivery is done.
 *
 * - A retry that finds the result returns it: nothing is sent again.
 * - A retry that finds only the intent means a worker died during the delivery, perhaps after the SMTP
 *   server accepted the message. Sending again could duplicate it, so the delivery fails for good as
 *   DeliveryUnconfirmed; the journey records it and asks the owner to check. At most once, never silently.
 * - A delivery that fails in the worker (SMTP down) removes its intent, so Temporal's retry sends it.
 * - A database that is down fails the attempt before anything is sent; Temporal retries it.
 */
export class PgDeliveryLedger implements DeliveryLedger {
  constructor(private readonly db: Database) {}

  async once<T>(key: string, deliver: () => Promise<T>): Promise<T> {
    const taken = await this.db.query('INSERT INTO deliveries (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING started_at', [key]);
    if (taken.rowCount === 0) {
      const recorded = await this.db.query<{ started_at: Date; delivered_at: Date | null; result: { value: T } | null }>(
        'SELECT started_at, delivered_at, result FROM deliveries WHERE key = $1',
        [key],
      );
      const row = recorded.rows[0];
      if (!row) throw new Error('another attempt of this delivery failed just now; Temporal retries it'); // it cleared its intent
      if (row.delivered_at && row.result) return row.result.value;
      throw ApplicationFailure.create({
        type: DELIVERY_UNCONFIRMED,
        nonRetryable: true,
        message: `the worker stopped during this delivery (started ${row.started_at.toISOString()}); it may have gone out, so it is not repeated`,
      });
    }
    let result: T;
    try {
      result = await deliver();
    } catch (err) {
      await this.db.query('DELETE FROM deliveries WHERE key = $1 AND delivered_at IS NULL', [key]);
      throw err;
    }
    // Wrapped, so a delivery that returns nothing still records a result. If this write fails (the database
    // went down just now), the retry finds the intent and reports the delivery unconfirmed, never sends again.
    await this.db.query('UPDATE deliveries SET delivered_at = now(), result = $2 WHERE key = $1', [key, JSON.stringify({ value: result })]);
    return result;
  }

  /** Forgets deliveries done more than `days` ago: no activity retries that long after its delivery. */
  async prune(days: number): Promise<number> {
    const pruned = await this.db.query("DELETE FROM deliveries WHERE delivered_at < now() - make_interval(days => $1)", [days]);
    return pruned.rowCount ?? 0;
  }
}
