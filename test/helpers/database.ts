import { randomBytes } from 'node:crypto';
import { ensureDatabase, openDatabase, type Database } from '../../src/db/database';

/** The run's PostgreSQL (started by global-setup.ts). */
export function testPostgresUrl(): string {
  const url = process.env.TEST_POSTGRES_URL;
  if (!url) throw new Error('TEST_POSTGRES_URL is not set: run the tests through jest (test/global-setup.ts starts PostgreSQL)');
  return url;
}

/** A new, empty engine database of its own (migrated), so tests never see each other's rows; its URL for processes. */
export async function freshDatabaseUrl(): Promise<string> {
  return ensureDatabase(testPostgresUrl(), `test_${randomBytes(6).toString('hex')}`);
}

/**
 * A new, empty engine database, opened. Its connections close themselves a second after they were last
 * used, so a test file that is done holds none.
 */
export async function freshDatabase(): Promise<Database> {
  return openDatabase(await freshDatabaseUrl(), { max: 5, idleMs: 1_000 });
}

let shared: Promise<Database> | undefined;

/** This test file's engine database (each file has its own module registry): made on first use. */
export function testDatabase(): Promise<Database> {
  shared ??= freshDatabase();
  return shared;
}
