import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DELIVERY_UNCONFIRMED } from '../../contracts/failures';
import { checkWritable, createRecord, readRecord, writeRecord } from './record-files';

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
 * One file per delivery in a folder (the data folder locally, a shared volume for several workers),
 * in two steps: an intent, written before the delivery starts, and the result, written when it is done,
 * the intent created only if there is none (atomically), the result written over it by an atomic rename.
 *
 * - A retry that finds the result returns it: nothing is sent again.
 * - A retry that finds only the intent means the worker died during the delivery, perhaps after the SMTP
 *   server accepted the message. Sending again could duplicate it, so the delivery fails for good as
 *   DeliveryUnconfirmed; the journey records it and asks the owner to check. At most once, never silently.
 * - A delivery that fails in the worker (SMTP down) removes its intent, so Temporal's retry sends it.
 */
export class FileDeliveryLedger implements DeliveryLedger {
  constructor(private readonly dir: string) {}

  /** Creates the folder and proves a record can be written there. */
  checkWritable(): Promise<void> {
    return checkWritable(this.dir);
  }

  async once<T>(key: string, deliver: () => Promise<T>): Promise<T> {
    const file = path.join(this.dir, `${stableId(key)}.json`);
    const startedAt = new Date().toISOString();
    // Taking the intent is atomic: an attempt still running (a worker cut off, not dead) and its retry
    // never both deliver.
    if (!(await createRecord(file, { key, startedAt } satisfies LedgerRecord<T>))) {
      const recorded = await readRecord<LedgerRecord<T>>(file);
      if (!recorded) throw new Error('another attempt of this delivery failed just now; Temporal retries it'); // it cleared its intent
      if (recorded.deliveredAt) return recorded.result as T;
      throw ApplicationFailure.create({
        type: DELIVERY_UNCONFIRMED,
        nonRetryable: true,
        message: `the worker stopped during this delivery (started ${recorded.startedAt}); it may have gone out, so it is not repeated`,
      });
    }
    let result: T;
    try {
      result = await deliver();
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
    await writeRecord(file, { key, startedAt, result, deliveredAt: new Date().toISOString() } satisfies LedgerRecord<T>);
    return result;
  }
}

interface LedgerRecord<T> {
  key: string;
  startedAt: string;
  result?: T;
  deliveredAt?: string;
}
