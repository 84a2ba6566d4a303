/**
 * The engine's own database: PostgreSQL, shared by the API and every worker on every machine. Temporal stays
 * the source of truth for each journey; here live what the engine needs across journeys and processes (the
 * delivery ledger, suppressions, the session calendar, journey facts and open tasks).
 */
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations';

export type Database = pg.Pool;
/** What a query runs on: the pool, or one connection of it (a transaction, a snapshot). */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** How long a caller waits for a connection before the database counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;
/** No statement of the engine's runs long; one that does is cut off rather than holding an activity or a request. */
const STATEMENT_TIMEOUT_MS = 15_000;

/** A pool of connections to the database at `url`, with its tables brought up to date (versioned migrations). */
export async function openDatabase(url: string, options: { max?: number; idleMs?: number } = {}): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    idleTimeoutMillis: options.idleMs ?? 30_000,
    // Idle connections never keep a process alive that has nothing else to do.
    allowExitOnIdle: true,
  });
  // An idle connection that the server drops (a restart) must not crash the process: the pool replaces it.
  pool.on('error', () => undefined);
  try {
    await migrate(url);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return pool;
}

/**
 * Runs every migration not yet run, in order, in one transaction. Kysely's migrator holds an advisory lock
 * meanwhile, so the API and several workers starting at once migrate once.
 */
async function migrate(url: string): Promise<void> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: CONNECT_TIMEOUT_MS }) }) });
  try {
    const { error, results } = await new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } }).migrateToLatest();
    if (error) {
      const failed = results?.find((result) => result.status === 'Error')?.migrationName;
      throw new Error(`the database migration${failed ? ` "${failed}"` : 's'} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
    }
  } finally {
    await db.destroy();
  }
}

/** Creates the database `name` on the server behind `adminUrl` unless it exists; returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** PostgreSQL error classes and node errors that mean the database is unreachable or restarting, not that a statement was wrong. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', '57P01', '57P02', '57P03', '53300']);

/** Whether an error (or what caused it) says the engine database cannot be reached right now. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth += 1) {
    if (typeof e.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true;
    if (typeof e.message === 'string' && /timeout exceeded when trying to connect|Connection terminated/.test(e.message)) return true;
    if (Array.isArray((e as { errors?: unknown }).errors)) return ((e as { errors: unknown[] }).errors).some(isDatabaseUnavailable);
  }
  return false;
}

/** Whether the database answers now: what /readyz reports. */
export async function databaseReachable(db: Database): Promise<{ ok: boolean; detail: string }> {
  try {
    await db.query('SELECT 1');
    return { ok: true, detail: 'ok' };
  } catch (err) {
    return { ok: false, detail: `unreachable (${(err as Error).message.split('\n')[0]})` };
  }
}

/** Runs `work` in one transaction on one connection: committed if it returns, rolled back if it throws. */
export async function inTransaction<T>(db: Database, work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await db.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Runs `read` on one connection in one read-only snapshot: its queries all see the same committed rows, so the
 * figures of one answer agree with each other even while facts keep arriving (on separate connections, a fact
 * committed between two queries would be counted by one and not the other).
 */
export function onOneSnapshot<T>(db: Database, read: (snapshot: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(db, read, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
}
