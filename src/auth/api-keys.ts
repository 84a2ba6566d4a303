/**
 * API keys: who may call the API, and for what. A key reads `cjk_<id>_<secret>`. The engine database keeps
 * its id, name, scopes and the SHA-256 of its secret, never the secret, which is shown once, when the key is
 * made (the secret is 32 random bytes: a slow password hash would add nothing). Made, listed and revoked with
 * the CLI (`journeys keys ...`); a revoked key is refused from the next request on.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isDatabaseUnavailable, type Database } from '../db/database';
import type { Scope } from './scopes';

export interface ApiKey {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  revokedAt?: string;
}

/** Whether a presented key is a live one, and which. */
export interface ApiKeyVerifier {
  verify(presented: string): Promise<ApiKey | undefined>;
}

const KEY_FORMAT = /^cjk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

const hashOf = (secret: string) => createHash('sha256').update(secret).digest();

/** A new key, not yet stored: what `create` stores, and what the local stack keeps for its development key. */
export function newKey(): string {
  const id = Array.from(randomBytes(12), (byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join('');
  return `cjk_${id}_${randomBytes(32).toString('base64url')}`;
}

interface KeyRow {
  id: string;
  name: string;
  scopes: Scope[];
  secret_hash: Buffer;
  created_at: Date;
  revoked_at: Date | null;
}

const fromRow = (row: KeyRow): ApiKey => ({
  id: row.id,
  name: row.name,
  scopes: row.scopes,
  createdAt: row.created_at.toISOString(),
  ...(row.revoked_at ? { revokedAt: row.revoked_at.toISOString() } : {}),
});

function parts(key: string): { id: string; secret: string } | undefined {
  const match = KEY_FORMAT.exec(key);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/**
 * How long a key checked against the database is still taken while the database cannot be reached: billing
 * and the product keep starting journeys and sending events through a short outage (Temporal has them).
 * While the database answers, every request is checked against it, so a revoked key is refused at once.
 */
const OUTAGE_GRACE_MS = 10 * 60_000;

export class ApiKeys implements ApiKeyVerifier {
  /** Keys verified lately, by the SHA-256 of the whole presented key. */
  private readonly verified = new Map<string, { key: ApiKey; at: number }>();

  constructor(private readonly db: Database) {}

  /**
   * Stores a key (a new one unless given) under a name with its scopes; returns the key whole, the only time
   * its secret is seen. A given key already stored is left as it is.
   */
  async create(name: string, scopes: readonly Scope[], key = newKey()): Promise<{ key: string; apiKey: ApiKey }> {
    const { id, secret } = parts(key) ?? {};
    if (!id || !secret) throw new Error('not an API key (cjk_<id>_<secret>)');
    await this.db.query('INSERT INTO api_keys (id, name, scopes, secret_hash) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [
      id,
      name,
      [...new Set(scopes)],
      hashOf(secret),
    ]);
    const stored = await this.db.query<KeyRow>('SELECT * FROM api_keys WHERE id = $1', [id]);
    return { key, apiKey: fromRow(stored.rows[0]!) };
  }

  async verify(presented: string): Promise<ApiKey | undefined> {
    const { id, secret } = parts(presented) ?? {};
    if (!id || !secret) return undefined;
    const cacheKey = hashOf(presented).toString('base64');
    let found;
    try {
      found = await this.db.query<KeyRow>('SELECT * FROM api_keys WHERE id = $1 AND revoked_at IS NULL', [id]);
    } catch (err) {
      const recent = this.verified.get(cacheKey);
      if (isDatabaseUnavailable(err) && recent && Date.now() - recent.at < OUTAGE_GRACE_MS) return recent.key;
      throw err;
    }
    const row = found.rows[0];
    if (!row || !timingSafeEqual(row.secret_hash, hashOf(secret))) {
      this.verified.delete(cacheKey);
      return undefined;
    }
    const key = fromRow(row);
    this.verified.set(cacheKey, { key, at: Date.now() });
    return key;
  }

  /** Adds scopes a key lacks (the local stack's development key gains those added since it was made); false if there is no such key. */
  async grant(id: string, scopes: readonly Scope[]): Promise<boolean> {
    const result = await this.db.query('UPDATE api_keys SET scopes = scopes || ARRAY(SELECT s FROM unnest($2::text[]) AS s WHERE s <> ALL (scopes)) WHERE id = $1', [
      id,
      [...new Set(scopes)],
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Every key, revoked ones too, oldest first. */
  async list(): Promise<ApiKey[]> {
    return (await this.db.query<KeyRow>('SELECT * FROM api_keys ORDER BY created_at, id')).rows.map(fromRow);
  }

  /** Revokes a key from now on; false if there is no such key. Revoking again keeps the first time. */
  async revoke(id: string): Promise<boolean> {
    const result = await this.db.query('UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1', [id]);
    return (result.rowCount ?? 0) > 0;
  }
}
