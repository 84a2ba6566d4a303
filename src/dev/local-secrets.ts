import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newKey } from '../auth/api-keys';

interface LocalSecrets {
  UNSUBSCRIBE_SECRET: string;
  WEBHOOK_SECRET: string;
  /** One secret (the variable takes a list) for signing inbound webhooks sent to this machine's API. */
  INBOUND_WEBHOOK_SECRETS: string;
  /** The key ring journeys are encrypted with in Temporal: one key, kept, since without it the local histories are unreadable. */
  PAYLOAD_KEYS: string;
  POSTGRES_PASSWORD: string;
  /** The local stack's API key, with every scope (payloads:decode too: the dev server's Temporal UI decodes with it). */
  DEV_API_KEY: string;
}

/**
 * The secrets that sign unsubscribe links, webhooks and inbound webhooks, the local PostgreSQL's password and the development
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
    INBOUND_WEBHOOK_SECRETS: kept.INBOUND_WEBHOOK_SECRETS ?? make(),
    PAYLOAD_KEYS: kept.PAYLOAD_KEYS ?? `local-1:${randomBytes(32).toString('base64')}`,
    POSTGRES_PASSWORD: kept.POSTGRES_PASSWORD ?? make(),
    DEV_API_KEY: kept.DEV_API_KEY ?? newKey(),
  };
  if (Object.keys(kept).length !== Object.keys(secrets).length) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
