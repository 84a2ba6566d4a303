import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../db/database';

/** Who an unsubscribe link is for: the customer whose journey sent it and the address it went to. */
export interface UnsubscribeSubject {
  customerId: string;
  email: string;
}

/** An address that asked for no more journey emails, and how: the page's button, a mail client's one-click, the API. */
export interface Suppression {
  /** Lower-case: addresses are compared without regard to case. */
  email: string;
  customerId: string;
  /** ISO instant of the first unsubscribe; later ones do not move it. */
  at: string;
  source: 'link' | 'one-click' | 'api';
}

/** The addresses journey emails must not go to; adding is durable and idempotent. */
export interface SuppressionList {
  /** Records the suppression unless the address is already suppressed; returns the record kept (the first). */
  add(suppression: Suppression): Promise<Suppression>;
  find(email: string): Promise<Suppression | undefined>;
  list(): Promise<Suppression[]>;
}

/** How long an unsubscribe link works: long enough for someone unsubscribing from a year-old email. */
export const UNSUBSCRIBE_LINK_DAYS = 400;
const DAY_SECONDS = 24 * 60 * 60;

// The payloads are JSON arrays rather than objects: the token rides in every email's link, so short matters.
const payloadSchema = z.tuple([z.string().min(1), z.string().min(1), z.number().int().positive().max(253_402_300_799)]);
/** Tokens made before links carried a key id and an expiry: `payload.signature`, the payload a pair. */
const legacyPayloadSchema = z.tuple([z.string().min(1), z.string().min(1)]);
const base64url = /^[A-Za-z0-9_-]+$/;
const KEY_ID = /^[0-9a-f]{8}$/;

function signature(secret: string, signed: string): string {
  // An empty secret would let anyone sign links for any address.
  if (!secret) throw new Error('the unsubscribe secret is empty');
  return createHmac('sha256', secret).update(signed).digest('base64url');
}

/**
 * Which secret signed a token: the first 8 hex digits of the secret's SHA-256, so rotating needs no key
 * names in the configuration. It tells nothing of use about the secret: every token's HMAC already is a
 * value an attacker could test guesses of the secret against.
 */
export function unsubscribeKeyId(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 8);
}

/** Whether `given` is the signature of `signed` under `secret`, in constant time. */
function signs(secret: string, signed: string, given: string): boolean {
  // Compared as text, not decoded bytes: base64url has several spellings of the same last byte, and a
  // token must have exactly one valid form.
  const expected = Buffer.from(signature(secret, signed));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function decoded(payload: string): unknown {
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A link token that names the customer and address, says which secret signed it and until when it works, and
 * proves the engine made it, so nobody can unsubscribe someone else by editing a link:
 * `keyId.base64url([customerId, email, expiresAt unix seconds]).base64url(HMAC-SHA256 of "keyId.payload")`.
 * The key id lets the API check a link made before a secret was rotated against the secret that made it.
 */
export function unsubscribeToken(secret: string, { customerId, email }: UnsubscribeSubject, now = new Date()): string {
  const expiresAt = Math.floor(now.getTime() / 1000) + UNSUBSCRIBE_LINK_DAYS * DAY_SECONDS;
  const payload = Buffer.from(JSON.stringify([customerId, email, expiresAt])).toString('base64url');
  const signed = `${unsubscribeKeyId(secret)}.${payload}`;
  return `${signed}.${signature(secret, signed)}`;
}

/** What a token says: whom it unsubscribes; that it was ours but has expired; or that it is not one of ours at all. */
export type UnsubscribeTokenReading =
  | { status: 'valid'; subject: UnsubscribeSubject; /** Absent for tokens of the old format, which never expire. */ expiresAt?: string }
  | { status: 'expired'; expiredAt: string }
  | { status: 'invalid' };

const INVALID: UnsubscribeTokenReading = { status: 'invalid' };

/**
 * Reads a token signed by one of `secrets` (the current one and those it replaced). A token is "expired" only
 * once its signature verified: an altered one, its expiry included, is "invalid". Tokens of the old format
 * (no key id, no expiry), in emails sent before links had them, are taken from any of the secrets and do
 * not expire; they stop working when the secret that made them is no longer configured.
 */
export function readUnsubscribeToken(secrets: string | readonly string[], token: string, now = new Date()): UnsubscribeTokenReading {
  const keyring = (typeof secrets === 'string' ? [secrets] : secrets).filter(Boolean);
  const parts = token.split('.');
  if (!parts.every((part) => base64url.test(part))) return INVALID;

  if (parts.length === 2) {
    const [payload, given] = parts as [string, string];
    if (!keyring.some((secret) => signs(secret, payload, given))) return INVALID;
    const legacy = legacyPayloadSchema.safeParse(decoded(payload));
    return legacy.success ? { status: 'valid', subject: { customerId: legacy.data[0], email: legacy.data[1] } } : INVALID;
  }

  if (parts.length !== 3) return INVALID;
  const [keyId, payload, given] = parts as [string, string, string];
  if (!KEY_ID.test(keyId)) return INVALID;
  const signed = `${keyId}.${payload}`;
  // Two secrets may share a key id (one chance in four billion): each is tried.
  if (!keyring.some((secret) => unsubscribeKeyId(secret) === keyId && signs(secret, signed, given))) return INVALID;
  const parsed = payloadSchema.safeParse(decoded(payload));
  if (!parsed.success) return INVALID;
  const [customerId, email, expiresAtSeconds] = parsed.data;
  const expiresAt = new Date(expiresAtSeconds * 1000).toISOString();
  if (expiresAtSeconds * 1000 <= now.getTime()) return { status: 'expired', expiredAt: expiresAt };
  return { status: 'valid', subject: { customerId, email }, expiresAt };
}

/** The page an unsubscribe link opens, served by the API at `publicUrl`. */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/unsubscribe/${token}`;
}

/** How an address is kept and looked up in the suppression list: one row per mailbox, whatever its spelling's case. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

interface SuppressionRow {
  email: string;
  customer_id: string;
  at: Date;
  source: Suppression['source'];
}

const fromRow = (row: SuppressionRow): Suppression => ({ email: row.email, customerId: row.customer_id, at: row.at.toISOString(), source: row.source });

/** The suppression list in the engine database: one row per lower-case address, the first unsubscribe kept. */
export class PgSuppressionList implements SuppressionList {
  constructor(private readonly db: Database) {}

  async add(suppression: Suppression): Promise<Suppression> {
    const email = normaliseEmail(suppression.email);
    // The address is the primary key: of two unsubscribes at once, one inserts and both read its row.
    await this.db.query('INSERT INTO suppressions (email, customer_id, at, source) VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING', [
      email,
      suppression.customerId,
      suppression.at,
      suppression.source,
    ]);
    return (await this.find(email)) as Suppression;
  }

  async find(email: string): Promise<Suppression | undefined> {
    const found = await this.db.query<SuppressionRow>('SELECT email, customer_id, at, source FROM suppressions WHERE email = $1', [normaliseEmail(email)]);
    return found.rows[0] && fromRow(found.rows[0]);
  }

  /** Oldest first. */
  async list(): Promise<Suppression[]> {
    const all = await this.db.query<SuppressionRow>('SELECT email, customer_id, at, source FROM suppressions ORDER BY at, email');
    return all.rows.map(fromRow);
  }
}
