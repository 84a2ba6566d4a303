import { createHmac, timingSafeEqual } from 'node:crypto';
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

// The payload is a JSON pair rather than an object: the token rides in every email's link, so short matters.
const payloadSchema = z.tuple([z.string().min(1), z.string().min(1)]);
const base64url = /^[A-Za-z0-9_-]+$/;

function signature(secret: string, payload: string): string {
  // An empty secret would let anyone sign links for any address.
  if (!secret) throw new Error('the unsubscribe secret is empty');
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/**
 * A link token that names the customer and address and proves the engine made it, so nobody can
 * unsubscribe someone else by editing a link: base64url(payload) + '.' + base64url(HMAC-SHA256).
 */
export function unsubscribeToken(secret: string, { customerId, email }: UnsubscribeSubject): string {
  const payload = Buffer.from(JSON.stringify([customerId, email])).toString('base64url');
  return `${payload}.${signature(secret, payload)}`;
}

/** The customer and address of a token this secret signed; undefined for anything tampered, truncated or made up. */
export function readUnsubscribeToken(secret: string, token: string): UnsubscribeSubject | undefined {
  const [payload, given, ...rest] = token.split('.');
  if (!payload || !given || rest.length > 0 || !base64url.test(payload) || !base64url.test(given)) return undefined;
  // The signatures are compared as text, not decoded bytes: base64url has several spellings of the
  // same last byte, and a token must have exactly one valid form.
  const expected = Buffer.from(signature(secret, payload));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  try {
    const parsed = payloadSchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return parsed.success ? { customerId: parsed.data[0], email: parsed.data[1] } : undefined;
  } catch {
    return undefined;
  }
}

/** The page an unsubscribe link opens, served by the API at `publicUrl`. */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/unsubscribe/${token}`;
}

const normalise = (email: string) => email.trim().toLowerCase();

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
    const email = normalise(suppression.email);
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
    const found = await this.db.query<SuppressionRow>('SELECT email, customer_id, at, source FROM suppressions WHERE email = $1', [normalise(email)]);
    return found.rows[0] && fromRow(found.rows[0]);
  }

  /** Oldest first. */
  async list(): Promise<Suppression[]> {
    const all = await this.db.query<SuppressionRow>('SELECT email, customer_id, at, source FROM suppressions ORDER BY at, email');
    return all.rows.map(fromRow);
  }
}
