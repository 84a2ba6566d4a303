/**
 * Installations from before the engine database kept the delivery ledger, the suppression list and the
 * session calendar as JSON files in DATA_DIR. At start, each folder still there is imported into the
 * database once (rows already there are kept), then renamed `<folder>.imported`, so no delivery is
 * repeated and no unsubscribe forgotten after an upgrade, and the files stay for the operator to remove.
 */
import { rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { normaliseEmail } from '../delivery/suppressions';
import { readRecords } from '../files/record-files';
import type { Logger } from '../logger';
import { inTransaction, type Database } from './database';
import type pg from 'pg';

interface LedgerFile {
  key: string;
  startedAt: string;
  result?: unknown;
  deliveredAt?: string;
}

interface SuppressionFile {
  email: string;
  customerId: string;
  at: string;
  source: string;
}

interface BookingFile {
  bookingId: string;
  slot?: { personEmail: string; start: string; end: string };
}

/**
 * Each store's folder, where in it its records are, what they are, and how one becomes a row
 * (ON CONFLICT DO NOTHING: a row already in the database wins).
 */
const FOLDERS: { folder: string; recordsIn?: string; records: string; insert: (client: pg.PoolClient, record: never) => Promise<unknown> }[] = [
  {
    folder: 'deliveries',
    records: 'deliveries',
    insert: (client, r: LedgerFile) =>
      // The file ledger knew no point of no return: each of its intents counts as past it.
      client.query('INSERT INTO deliveries (key, started_at, committed_at, delivered_at, result) VALUES ($1, $2, $2, $3, $4) ON CONFLICT DO NOTHING', [
        r.key,
        r.startedAt,
        r.deliveredAt ?? null,
        r.deliveredAt ? JSON.stringify({ value: r.result ?? null }) : null,
      ]),
  },
  {
    folder: 'suppressions',
    records: 'suppressions',
    insert: (client, r: SuppressionFile) =>
      client.query('INSERT INTO suppressions (email, customer_id, at, source) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
        normaliseEmail(r.email),
        r.customerId,
        r.at,
        r.source,
      ]),
  },
  {
    // Only bookings holding a slot; claim files were the old calendar's locking, nothing to keep.
    folder: 'session-calendar',
    recordsIn: 'bookings',
    records: 'bookings',
    insert: (client, r: BookingFile) =>
      r.slot
        ? client.query(`INSERT INTO bookings (booking_id, person, during) VALUES ($1, $2, tstzrange($3, $4, '[)')) ON CONFLICT DO NOTHING`, [
            r.bookingId,
            r.slot.personEmail.toLowerCase(),
            r.slot.start,
            r.slot.end,
          ])
        : Promise.resolve(),
  },
];

export async function importFileStores(db: Database, dataDir: string, log: Pick<Logger, 'info'>): Promise<void> {
  for (const { folder, recordsIn, records, insert } of FOLDERS) {
    const dir = path.join(dataDir, folder);
    if (!(await isFolder(dir))) continue;
    const found = await readRecords<never>(recordsIn ? path.join(dir, recordsIn) : dir);
    await inTransaction(db, async (client) => {
      for (const record of found) await insert(client, record);
    });
    // Another process starting at the same moment may have imported and renamed it first: that is as good.
    const imported = await rename(dir, `${dir}.imported`).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
    if (imported) log.info(`imported ${found.length} ${records} from ${dir} into the engine database (the files are kept in ${dir}.imported)`);
  }
}

async function isFolder(dir: string): Promise<boolean> {
  return stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
