import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newKey } from '../auth/api-keys';

interface LocalSecrets {
  UNSUBSCRIBE_SECRET: string;
  WEBHOOK_SECRET: string;
  POSTGRES_PASSWORD: string;
  /** The local stack's API key, with every scope. */
  DEV_API_KEY: string;
}

/**
 * The secrets that sign unsubscribe links and webhooks, the local PostgreSQL's password and the development
 * API key, made once for this machine and kept in the data folder, so links in emails already sent keep
 * working after a restart. Real deployments set their own. A secret a folder from an older version lacks is added.
 */
export function localSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'local-secrets.json');
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>) : {};
  const make = () => randomBytes(32).toString('hex');
  const secrets: LocalSecrets = {
    UNSUBSCRIBE_SECRET: kept.UNSUBSCRIBE_SECRET ?? make(),
    WEBHOOK_SECRET: kept.WEBHOOK_SECRET ?? make(),
    POSTGRES_PASSWORD: kept.POSTGRES_PASSWORD ?? make(),
    DEV_API_KEY: kept.DEV_API_KEY ?? newKey(),
  };
  if (Object.keys(kept).length !== Object.keys(secrets).length) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
