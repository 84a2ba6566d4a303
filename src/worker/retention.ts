import type { Logger } from '../logger';
import type { Database } from '../db/database';
import { PgDeliveryLedger } from '../delivery/ledger';
import { PgSessionCalendar } from '../delivery/session-calendar';

/**
 * How long the ledger remembers a delivery, and the calendar a past session: longer than any activity retries
 * (a term and its renewal), short enough that the tables do not grow forever. Journey facts and suppressions
 * are kept: they are the journeys' record and the customers' wishes.
 */
export const RETENTION_DAYS = 400;
const PRUNE_EVERY_MS = 6 * 3600_000;

/** Prunes now and every six hours (every worker does; deleting twice is harmless); returns how to stop. */
export function pruneOldRecords(db: Database, log: Pick<Logger, 'info' | 'warn'>): () => void {
  const ledger = new PgDeliveryLedger(db);
  const calendar = new PgSessionCalendar(db);
  const prune = async () => {
    try {
      const [deliveries, bookings] = [await ledger.prune(RETENTION_DAYS), await calendar.prune(RETENTION_DAYS)];
      if (deliveries + bookings > 0) log.info(`pruned ${deliveries} deliveries and ${bookings} bookings older than ${RETENTION_DAYS} days`);
    } catch (err) {
      log.warn({ err }, 'could not prune old deliveries and bookings; trying again later');
    }
  };
  void prune();
  const timer = setInterval(() => void prune(), PRUNE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
