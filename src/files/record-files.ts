import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Semaphore } from 'async-mutex';

/**
 * Records kept as one JSON file each in a folder, which several processes (the API, the workers,
 * the mail catcher) may read while another writes. A record appears whole, by rename of a temporary
 * file, so a reader never sees half of one; a temporary file ends in `.tmp`, never `.json`, so a
 * listing passes over it too.
 */

/**
 * How many record files this process holds open at once, whatever the number of records and of activities
 * reading them: a lookup over thousands of bookings, three at a time per training, must never exhaust the
 * process's file descriptors (past the limit, libuv aborts the whole worker).
 */
const MAX_OPEN_RECORD_FILES = 64;
const openFiles = new Semaphore(MAX_OPEN_RECORD_FILES);
const READ_CHUNK = 32;

/** Runs a file operation once one of the open-file slots is free. */
function withOpenFile<T>(operation: () => Promise<T>): Promise<T> {
  return openFiles.runExclusive(operation);
}

/** Writes the record to `file` (making its folder if need be) so that it appears whole. */
export async function writeRecord(file: string, record: unknown, options: { indent?: number } = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  // Unique per process and write: two writers of one record must not share (and half-write) a temporary file.
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await withOpenFile(() => writeFile(temporary, JSON.stringify(record, null, options.indent)));
  await rename(temporary, file);
}

/**
 * Writes the record to `file` only if there is none yet, whole (a hard link of a temporary file, which
 * fails if the name exists); says whether it did. Of two processes racing to create one record, one wins.
 */
export async function createRecord(file: string, record: unknown): Promise<boolean> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await withOpenFile(() => writeFile(temporary, JSON.stringify(record)));
  try {
    await link(temporary, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(temporary, { force: true });
  }
}

/** The record in `file`; undefined if there is none. */
export async function readRecord<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await withOpenFile(() => readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

/** Every record (`*.json`) in the folder, in no particular order; none if the folder does not exist. */
export async function readRecords<T>(dir: string): Promise<T[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  // A record removed between the listing and its reading is left out, as if listed a moment later.
  // Read a chunk at a time (each read through the open-file slots): a folder of any size queues at most
  // one chunk of reads per listing.
  const records: T[] = [];
  for (let i = 0; i < names.length; i += READ_CHUNK) {
    const chunk = await Promise.all(names.slice(i, i + READ_CHUNK).map((name) => readRecord<T>(path.join(dir, name))));
    for (const record of chunk) if (record !== undefined) records.push(record);
  }
  return records;
}

/** Reads a small text file (a claim) through the open-file slots; undefined if there is none. */
export async function readText(file: string): Promise<string | undefined> {
  try {
    return await withOpenFile(() => readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Creates a small text file only if there is none yet (`wx`), through the open-file slots; says whether it did. */
export async function createText(file: string, text: string): Promise<boolean> {
  try {
    await withOpenFile(() => writeFile(file, text, { flag: 'wx' }));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Creates the folder and proves a record can be written there. */
export async function checkWritable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const probe = path.join(dir, `.probe-${process.pid}`);
  await withOpenFile(() => writeFile(probe, 'ok'));
  await rm(probe);
}
