import { ConfigError, requireDatabaseUrl, type Config } from '../config';
import type { Logger } from '../logger';
import { isDatabaseUnavailable, openDatabase, type Database } from './database';
import { importFileStores } from './import-file-stores';

/** How long a starting API or worker waits for the database (it may be starting beside it) before giving up. */
const STARTUP_WAIT_MS = 60_000;

/**
 * The engine database of an API or worker process: opened (waiting while it starts up), its schema brought
 * up to date, and the file stores of an installation from before imported into it once.
 */
export async function openEngineDatabase(config: Config, log: Logger): Promise<Database> {
  const url = requireDatabaseUrl(config);
  const deadline = Date.now() + STARTUP_WAIT_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const db = await openDatabase(url);
      await importFileStores(db, config.DATA_DIR, log);
      return db;
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw new ConfigError(`DATABASE_URL: the engine database at ${redacted(url)} cannot be used: ${(err as Error).message}`);
      if (Date.now() > deadline) throw new ConfigError(`DATABASE_URL: the engine database at ${redacted(url)} did not answer within ${STARTUP_WAIT_MS / 1000} s (${(err as Error).message})`);
      if (attempt === 1) log.warn(`waiting for the engine database at ${redacted(url)} (${(err as Error).message})`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/** The URL without its password, for messages and logs. */
export function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
