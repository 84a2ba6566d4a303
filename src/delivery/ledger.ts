import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

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
 * One file per delivery in a folder (the data folder locally, a shared volume for several workers).
 * Written after the delivery succeeds, by an atomic rename: a worker that dies between the send and
 * the write sends once more on retry (at-least-once; the stable Message-ID lets mail systems drop it).
 */
export class FileDeliveryLedger implements DeliveryLedger {
  constructor(private readonly dir: string) {}

  /** Creates the folder and proves a record can be written there. */
  async checkWritable(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const probe = path.join(this.dir, `.probe-${process.pid}`);
    await writeFile(probe, 'ok');
    await rm(probe);
  }

  async once<T>(key: string, deliver: () => Promise<T>): Promise<T> {
    const file = path.join(this.dir, `${stableId(key)}.json`);
    const recorded = await readRecord<T>(file);
    if (recorded) return recorded.result;
    const result = await deliver();
    await mkdir(this.dir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ key, result, deliveredAt: new Date().toISOString() }));
    await rename(temporary, file);
    return result;
  }
}

async function readRecord<T>(file: string): Promise<{ result: T } | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { result: T };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
