import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=<hex>`: the HMAC of the timestamp and the body (see verifyWebhookSignature). */
export const SIGNATURE_HEADER = 'Journey-Signature';
/** Unix seconds when this attempt was sent; part of the signed content. */
export const TIMESTAMP_HEADER = 'Journey-Timestamp';
/** The touchpoint's idempotency key: the same on every re-delivery of the same touchpoint. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** The event name, also in the body, so a receiver can route before parsing. */
export const EVENT_HEADER = 'Journey-Event';

/** How far a timestamp may be from the receiver's clock before the request counts as a replay. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The Journey-Signature value for a body sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Checks a webhook as its receiver (a CRM) must, before trusting it. The scheme:
 *
 * 1. Read the `Journey-Timestamp` header (unix seconds) and the raw request body, as bytes, before
 *    any JSON parsing (re-serialising changes the bytes and breaks the signature).
 * 2. Compute HMAC-SHA256 with the shared secret over `<timestamp>.<body>` (the timestamp, a dot,
 *    the body) and hex-encode it; the `Journey-Signature` header must equal `sha256=<that hex>`.
 *    Compare in constant time.
 * 3. Reject a timestamp more than `toleranceSeconds` (default 300) from your clock, either way:
 *    it is signed, so an old request cannot be replayed with a fresh one.
 * 4. Deduplicate by the `Idempotency-Key` header (also the body's `id` is derived from it): a
 *    delivery is retried with the same key and the same body until it gets a 2xx, so answer 2xx to
 *    a key you have already processed. Answer 4xx (not 408/425/429) only for a request that will
 *    never be acceptable: it is not retried. 5xx, 408, 425 and 429 are retried with backoff.
 */
export function verifyWebhookSignature(options: {
  secret: string;
  /** The Journey-Signature header; missing fails. */
  signature: string | undefined;
  /** The Journey-Timestamp header; missing or not a whole number of seconds fails. */
  timestamp: string | number | undefined;
  body: string;
  nowSeconds?: number;
  toleranceSeconds?: number;
}): boolean {
  const { secret, signature, timestamp, body } = options;
  const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  // An empty secret would make every signature forgeable: a misconfigured receiver verifies nothing.
  if (!secret || signature === undefined || timestamp === undefined) return false;
  if (!/^\d{1,15}$/.test(String(timestamp))) return false;
  const seconds = Number(timestamp);
  if (Math.abs(nowSeconds - seconds) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, seconds, body));
  const given = Buffer.from(signature);
  // timingSafeEqual throws on different lengths; the length of our signature is public anyway.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
