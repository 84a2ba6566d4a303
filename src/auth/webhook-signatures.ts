/**
 * Signatures of inbound webhooks (product and billing systems calling the engine), in Stripe's scheme so a
 * sender can reuse Stripe's libraries or a two-line openssl command:
 *
 *   Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=<hex>...]
 *
 * where the HMAC is keyed with a shared secret and taken over `<t>.<raw body>`: the timestamp, a dot and the
 * body's bytes exactly as sent (any re-serialising changes them). Several v1 values may come at once (a sender
 * signing with an old and a new secret while it rotates), and the engine takes several secrets (while the
 * senders move to a new one): any v1 made with any of them will do. A timestamp more than five minutes from
 * the server's clock, either way, is refused, so a request caught on the wire cannot be replayed later.
 * Pure functions: the API's router (src/api/inbound-webhooks.ts) reads the header and the body.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const INBOUND_SIGNATURE_HEADER = 'Stripe-Signature';
/** How far the signed timestamp may be from the server's clock, in seconds, before the request counts as a replay. */
export const INBOUND_TOLERANCE_SECONDS = 300;

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

/** The hex HMAC-SHA256 of `<timestamp>.<body>`: one v1 value. */
export function inboundSignature(secret: string, timestamp: number, body: Buffer | string): string {
  // An empty secret would let anyone sign.
  if (!secret) throw new Error('the inbound webhook secret is empty');
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** A whole Stripe-Signature header, with one v1 per secret: what a sender (or a test) sends. */
export function signInbound(secrets: string | readonly string[], body: Buffer | string, timestamp = Math.floor(Date.now() / 1000)): string {
  const all = typeof secrets === 'string' ? [secrets] : secrets;
  return [`t=${timestamp}`, ...all.map((secret) => `v1=${inboundSignature(secret, timestamp, body)}`)].join(',');
}

interface ParsedHeader {
  timestamp: number;
  signatures: Buffer[];
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** The header's timestamp and v1 values, or what is wrong with it. Other schemes (Stripe's v0) are skipped, as Stripe does. */
function parseHeader(header: string): ParsedHeader | string {
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const element of header.split(',')) {
    const at = element.indexOf('=');
    if (at <= 0) return `"${element.trim().slice(0, 20)}" is not key=value`;
    const key = element.slice(0, at).trim();
    const value = element.slice(at + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined) return 't is given twice';
      if (!/^\d{1,12}$/.test(value)) return 't must be unix seconds';
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value)) return 'each v1 must be 64 hex digits (an HMAC-SHA256)';
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined) return 'it has no t=<unix seconds>';
  if (signatures.length === 0) return 'it has no v1=<hex HMAC-SHA256>';
  return { timestamp, signatures };
}

/**
 * Whether a request's Stripe-Signature header proves one of `secrets` signed this body lately. The signature
 * is checked before the timestamp, so "too old" is said only of a request that was genuinely signed: a
 * sender's clock or queue problem, not a forgery. The reasons name no secret and no expected value.
 */
export function verifyInboundSignature(options: {
  header: string | undefined;
  body: Buffer | string;
  secrets: readonly string[];
  nowSeconds?: number;
  toleranceSeconds?: number;
}): SignatureVerdict {
  const { header, body } = options;
  const secrets = options.secrets.filter(Boolean);
  const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const toleranceSeconds = options.toleranceSeconds ?? INBOUND_TOLERANCE_SECONDS;
  if (secrets.length === 0) return { ok: false, reason: 'no inbound webhook secret is configured' };
  if (!header?.trim()) return { ok: false, reason: `the ${INBOUND_SIGNATURE_HEADER} header is missing: sign the request (t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">)` };
  const parsed = parseHeader(header);
  if (typeof parsed === 'string') return { ok: false, reason: `the ${INBOUND_SIGNATURE_HEADER} header is malformed: ${parsed}` };

  const expected = secrets.map((secret) => Buffer.from(inboundSignature(secret, parsed.timestamp, body), 'hex'));
  // Every pair is compared, in constant time each (all are 32 bytes: the parser let no other length through).
  let matched = false;
  for (const given of parsed.signatures) {
    for (const candidate of expected) matched = timingSafeEqual(given, candidate) || matched;
  }
  if (!matched) return { ok: false, reason: 'no signature matches: the body was altered, or it was signed with a secret this engine does not hold' };

  const skew = nowSeconds - parsed.timestamp;
  if (Math.abs(skew) > toleranceSeconds) {
    const how = skew > 0 ? `${skew} s old` : `${-skew} s in the future`;
    return { ok: false, reason: `the signature's timestamp is ${how} (at most ${toleranceSeconds} s either way): sign each request when it is sent` };
  }
  return { ok: true };
}
