import { execFileSync } from 'node:child_process';
import { inboundSignature, INBOUND_TOLERANCE_SECONDS, signInbound, verifyInboundSignature } from '../../src/auth/webhook-signatures';

const SECRET = 'whsec-current-0123456789';
const OLD_SECRET = 'whsec-previous-0123456789';
const NOW = 1_790_000_000;
const body = '{"customerId":"acme","event":{"eventId":"evt-1","type":"user.login"}}';

const verify = (header: string | undefined, options: { body?: string | Buffer; secrets?: string[]; nowSeconds?: number } = {}) =>
  verifyInboundSignature({ header, body: options.body ?? body, secrets: options.secrets ?? [SECRET], nowSeconds: options.nowSeconds ?? NOW });
const refusedFor = (reason: RegExp) => ({ ok: false, reason: expect.stringMatching(reason) });

test('a body signed with the secret just now verifies, as a string or as the bytes received', () => {
  const header = signInbound(SECRET, body, NOW);
  expect(header).toMatch(/^t=1790000000,v1=[0-9a-f]{64}$/);
  expect(verify(header)).toEqual({ ok: true });
  expect(verify(header, { body: Buffer.from(body) })).toEqual({ ok: true });
  // Stripe's own format, spaces and all, and upper-case hex.
  const v1 = inboundSignature(SECRET, NOW, body);
  expect(verify(`t=${NOW}, v1=${v1.toUpperCase()}`)).toEqual({ ok: true });
});

test('what openssl computes, as the README shows, is the v1 value', () => {
  const script = 'printf \'%s.%s\' "$T" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed \'s/^.* //\'';
  const hex = execFileSync('sh', ['-c', script], { env: { PATH: process.env.PATH, T: String(NOW), BODY: body, SECRET } }).toString().trim();
  expect(hex).toBe(inboundSignature(SECRET, NOW, body));
});

test('a wrong secret, an altered body or a re-serialised one matches nothing', () => {
  const header = signInbound(SECRET, body, NOW);
  const noMatch = refusedFor(/^no signature matches/);
  expect(verify(signInbound('someone-elses-secret-0000', body, NOW))).toEqual(noMatch);
  expect(verify(header, { body: body.replace('evt-1', 'evt-2') })).toEqual(noMatch);
  // The same JSON spelled differently is other bytes: the signature covers the bytes as sent.
  expect(verify(header, { body: JSON.stringify(JSON.parse(body), null, 1) })).toEqual(noMatch);
  expect(verify(header, { body: `${body}\n` })).toEqual(noMatch);
  // The timestamp is signed too: a fresh t on an old signature is no signature.
  expect(verify(header.replace(`t=${NOW}`, `t=${NOW + 1}`), { nowSeconds: NOW + 1 })).toEqual(noMatch);
});

test('several v1 values: one that matches is enough, and other schemes (v0) are skipped', () => {
  const good = inboundSignature(SECRET, NOW, body);
  const wrong = inboundSignature('someone-elses-secret-0000', NOW, body);
  expect(verify(`t=${NOW},v1=${wrong},v1=${good}`)).toEqual({ ok: true });
  expect(verify(`t=${NOW},v1=${good},v1=${wrong}`)).toEqual({ ok: true });
  expect(verify(`t=${NOW},v0=${'0'.repeat(64)},v1=${good}`)).toEqual({ ok: true });
  expect(verify(`t=${NOW},v1=${wrong},v1=${wrong}`)).toEqual(refusedFor(/^no signature matches/));
  // A v0 alone is not a v1 (Stripe's v0 is its test-mode scheme, not ours).
  expect(verify(`t=${NOW},v0=${good}`)).toEqual(refusedFor(/malformed: it has no v1/));
});

test('while secrets rotate, the engine takes either, and a sender may sign with both', () => {
  const rotating = [SECRET, OLD_SECRET];
  expect(verify(signInbound(OLD_SECRET, body, NOW), { secrets: rotating })).toEqual({ ok: true });
  expect(verify(signInbound(SECRET, body, NOW), { secrets: rotating })).toEqual({ ok: true });
  expect(verify(signInbound([SECRET, OLD_SECRET], body, NOW), { secrets: rotating })).toEqual({ ok: true });
  // Once the old secret is dropped, what it signed is refused.
  expect(verify(signInbound(OLD_SECRET, body, NOW), { secrets: [SECRET] })).toEqual(refusedFor(/^no signature matches/));
  expect(verify(signInbound([OLD_SECRET, SECRET], body, NOW), { secrets: [SECRET] })).toEqual({ ok: true });
});

test('a timestamp more than five minutes off the clock, either way, is refused; five minutes exactly is taken', () => {
  expect(INBOUND_TOLERANCE_SECONDS).toBe(300);
  expect(verify(signInbound(SECRET, body, NOW - 300))).toEqual({ ok: true });
  expect(verify(signInbound(SECRET, body, NOW + 300))).toEqual({ ok: true });
  expect(verify(signInbound(SECRET, body, NOW - 301))).toEqual(refusedFor(/timestamp is 301 s old \(at most 300 s either way\)/));
  expect(verify(signInbound(SECRET, body, NOW + 301))).toEqual(refusedFor(/timestamp is 301 s in the future/));
  expect(verify(signInbound(SECRET, body, NOW - 86_400 * 365))).toEqual(refusedFor(/s old/));
  // Stale and forged: said to be forged (no match), so "too old" is only ever said of a genuine request.
  expect(verify(signInbound('someone-elses-secret-0000', body, NOW - 301))).toEqual(refusedFor(/^no signature matches/));
});

test('a missing or malformed header is refused, saying what is wrong', () => {
  const good = inboundSignature(SECRET, NOW, body);
  expect(verify(undefined)).toEqual(refusedFor(/^the Stripe-Signature header is missing/));
  expect(verify('  ')).toEqual(refusedFor(/^the Stripe-Signature header is missing/));
  const malformed: [string, RegExp][] = [
    [`v1=${good}`, /has no t=/],
    [`t=${NOW}`, /has no v1=/],
    [`t=soon,v1=${good}`, /t must be unix seconds/],
    [`t=-${NOW},v1=${good}`, /t must be unix seconds/],
    [`t=${NOW},t=${NOW},v1=${good}`, /t is given twice/],
    [`t=${NOW},v1=${good.slice(1)}`, /64 hex digits/],
    [`t=${NOW},v1=${good}00`, /64 hex digits/],
    [`t=${NOW},v1=${'z'.repeat(64)}`, /64 hex digits/],
    [`t=${NOW},v1=`, /64 hex digits/],
    [`sha256=${good}`, /has no t=/],
    [`Bearer cjk_abc`, /is not key=value/],
    [`t=${NOW},,v1=${good}`, /is not key=value/],
    [`t=${NOW};v1=${good}`, /t must be unix seconds/],
  ];
  for (const [header, reason] of malformed) {
    expect([header, verify(header)]).toEqual([header, refusedFor(new RegExp(`^the Stripe-Signature header is malformed: .*${reason.source}`))]);
  }
});

test('without a secret nothing verifies, and nothing can be signed', () => {
  expect(verify(signInbound(SECRET, body, NOW), { secrets: [] })).toEqual(refusedFor(/no inbound webhook secret is configured/));
  expect(verify(signInbound(SECRET, body, NOW), { secrets: [''] })).toEqual(refusedFor(/no inbound webhook secret is configured/));
  expect(() => inboundSignature('', NOW, body)).toThrow(/secret is empty/);
});
