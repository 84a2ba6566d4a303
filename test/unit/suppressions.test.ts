import { createHash, createHmac } from 'node:crypto';
import { openDatabase } from '../../src/db/database';
import { freshDatabaseUrl } from '../helpers/database';
import {
  PgSuppressionList,
  readUnsubscribeToken,
  UNSUBSCRIBE_LINK_DAYS,
  unsubscribeKeyId,
  unsubscribeToken,
  unsubscribeUrl,
} from '../../src/delivery/suppressions';

const SECRET = 'test-unsubscribe-secret';
const PREVIOUS = 'previous-unsubscribe-secret';
const ana = { customerId: 'acme', email: 'Ana.Lopez@acme.example' };
const NOW = new Date('2026-12-01T10:00:00.000Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const daysAfter = (date: Date, days: number) => new Date(date.getTime() + days * DAY_MS);
/** Made by the engine before tokens had a key id and an expiry, with SECRET and with PREVIOUS: links in emails already sent. */
const LEGACY = 'WyJhY21lIiwiQW5hLkxvcGV6QGFjbWUuZXhhbXBsZSJd.QpkbuzEX81zAwsn4B_MFnjTDmFVH7xJzpGoCufMvjIQ';
const LEGACY_PREVIOUS = 'WyJhY21lIiwiQW5hLkxvcGV6QGFjbWUuZXhhbXBsZSJd.aXaesIDiqaZb67PI-XGSRpdHYgv_hseH8DE__Vh52IQ';
const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('base64url');
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

test('an unsubscribe token is URL-safe and short, names its key, and reads back as whom it was made for until it expires', () => {
  const token = unsubscribeToken(SECRET, ana, NOW);
  const keyId = createHash('sha256').update(SECRET).digest('hex').slice(0, 8);
  expect(unsubscribeKeyId(SECRET)).toBe(keyId);
  expect(token).toMatch(new RegExp(`^${keyId}\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}$`));
  expect(token.length).toBeLessThan(120);
  expect(encodeURIComponent(token)).toBe(token);
  const expiresAt = daysAfter(NOW, UNSUBSCRIBE_LINK_DAYS).toISOString();
  expect(UNSUBSCRIBE_LINK_DAYS).toBe(400);
  expect(readUnsubscribeToken(SECRET, token, NOW)).toEqual({ status: 'valid', subject: ana, expiresAt });
  // A year and a month later the link in the email still works; after 400 days it has expired.
  expect(readUnsubscribeToken(SECRET, token, daysAfter(NOW, 399))).toMatchObject({ status: 'valid', subject: ana });
  expect(readUnsubscribeToken(SECRET, token, daysAfter(NOW, 400))).toEqual({ status: 'expired', expiredAt: expiresAt });
  expect(readUnsubscribeToken([SECRET, PREVIOUS], token, daysAfter(NOW, 401))).toEqual({ status: 'expired', expiredAt: expiresAt });
  // Made at the same instant, the same token (an email built again has the same link).
  expect(unsubscribeToken(SECRET, ana, NOW)).toBe(token);
  expect(unsubscribeUrl('https://journeys.acme.example/', token)).toBe(`https://journeys.acme.example/unsubscribe/${token}`);
  // Without a clock given, the token expires 400 days from now.
  const fresh = readUnsubscribeToken(SECRET, unsubscribeToken(SECRET, ana));
  expect(fresh.status === 'valid' && Date.parse(fresh.expiresAt!) - Date.now()).toBeGreaterThan((UNSUBSCRIBE_LINK_DAYS - 1) * DAY_MS);
});

test('after a rotation, links signed with a previous secret still work; once it is dropped, they do not', () => {
  const old = unsubscribeToken(PREVIOUS, ana, NOW);
  expect(old.split('.')[0]).toBe(unsubscribeKeyId(PREVIOUS));
  expect(old.split('.')[0]).not.toBe(unsubscribeKeyId(SECRET));
  expect(readUnsubscribeToken([SECRET, PREVIOUS], old, NOW)).toMatchObject({ status: 'valid', subject: ana });
  expect(readUnsubscribeToken([SECRET, PREVIOUS], unsubscribeToken(SECRET, ana, NOW), NOW)).toMatchObject({ status: 'valid', subject: ana });
  expect(readUnsubscribeToken([SECRET], old, NOW)).toEqual({ status: 'invalid' });
  expect(readUnsubscribeToken([], old, NOW)).toEqual({ status: 'invalid' });
  // The key id only picks the secret: put the current one's on an old token and it verifies with neither.
  const [, payload, signature] = old.split('.') as [string, string, string];
  expect(readUnsubscribeToken([SECRET, PREVIOUS], `${unsubscribeKeyId(SECRET)}.${payload}.${signature}`, NOW)).toEqual({ status: 'invalid' });
});

test('tokens of the old format (no key id, no expiry) still work with any configured secret, and never expire', () => {
  expect(readUnsubscribeToken(SECRET, LEGACY, NOW)).toEqual({ status: 'valid', subject: ana });
  expect(readUnsubscribeToken([SECRET, PREVIOUS], LEGACY_PREVIOUS, daysAfter(NOW, 3650))).toEqual({ status: 'valid', subject: ana });
  expect(readUnsubscribeToken([SECRET], LEGACY_PREVIOUS, NOW)).toEqual({ status: 'invalid' });
  const [payload, signature] = LEGACY.split('.') as [string, string];
  expect(readUnsubscribeToken(SECRET, `${payload}.${flip(signature, 5)}`, NOW)).toEqual({ status: 'invalid' });
  expect(readUnsubscribeToken(SECRET, `${encode(['acme', 'boss@acme.example'])}.${signature}`, NOW)).toEqual({ status: 'invalid' });
  // A new-format payload under an old-format signature is not a token either.
  const threePart = encode(['acme', ana.email, 9_999_999_999]);
  expect(readUnsubscribeToken(SECRET, `${threePart}.${hmac(SECRET, threePart)}`, NOW)).toEqual({ status: 'invalid' });
});

test('a tampered, truncated, foreign or made-up token reads as invalid, its key id and expiry included', () => {
  const token = unsubscribeToken(SECRET, ana, NOW);
  const [keyId, payload, signature] = token.split('.') as [string, string, string];
  const invalid = { status: 'invalid' };
  const read = (t: string) => readUnsubscribeToken(SECRET, t, NOW);

  expect(readUnsubscribeToken('another-secret-of-16', token, NOW)).toEqual(invalid);
  // A later expiry (or none) with the same signature.
  const [, email, expiresAt] = JSON.parse(Buffer.from(payload, 'base64url').toString()) as [string, string, number];
  expect(read(`${keyId}.${encode(['acme', email, expiresAt + 365 * 86_400])}.${signature}`)).toEqual(invalid);
  expect(read(`${keyId}.${encode(['acme', email])}.${signature}`)).toEqual(invalid);
  // An expired token made to look fresh is invalid, not expired: only genuine tokens are said to expire.
  const expired = unsubscribeToken(SECRET, ana, daysAfter(NOW, -401));
  expect(read(expired)).toMatchObject({ status: 'expired' });
  const [, oldPayload, oldSignature] = expired.split('.') as [string, string, string];
  const [, , oldExpiry] = JSON.parse(Buffer.from(oldPayload, 'base64url').toString()) as [string, string, number];
  expect(read(`${keyId}.${encode(['acme', email, oldExpiry + 400 * 86_400])}.${oldSignature}`)).toEqual(invalid);
  // Another key id, a changed one, or none.
  expect(read(`${keyId[0] === '0' ? '1' : '0'}${keyId.slice(1)}.${payload}.${signature}`)).toEqual(invalid);
  expect(read(`${unsubscribeKeyId(PREVIOUS)}.${payload}.${signature}`)).toEqual(invalid);
  expect(read(`xyz12345.${payload}.${signature}`)).toEqual(invalid);
  expect(read(`${keyId}0.${payload}.${signature}`)).toEqual(invalid);
  expect(read(`${payload}.${signature}`)).toEqual(invalid);
  // Someone else's address with Ana's signature, and Ana's token with one character changed.
  const other = unsubscribeToken(SECRET, { customerId: 'acme', email: 'boss@acme.example' }, NOW);
  expect(read(`${keyId}.${other.split('.')[1]}.${signature}`)).toEqual(invalid);
  expect(read(`${keyId}.${flip(payload, 3)}.${signature}`)).toEqual(invalid);
  for (let i = 0; i < signature.length; i++) expect(read(`${keyId}.${payload}.${flip(signature, i)}`)).toEqual(invalid);
  // The last character carries two spare bits: another spelling of the same bytes is still not the token.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const respelled = signature.slice(0, -1) + alphabet[alphabet.indexOf(signature.at(-1)!) ^ 1]!;
  expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
  expect(read(`${keyId}.${payload}.${respelled}`)).toEqual(invalid);
  expect(read(`${keyId}.${payload}.${signature.slice(0, -1)}`)).toEqual(invalid);
  expect(read(`${token}.x`)).toEqual(invalid);
  for (const garbage of ['', '.', '..', 'abc', 'a.b', 'a.b.c', `${keyId}.${payload}.`, `.${payload}.${signature}`, `${token}=`, 'not base64!.x']) {
    expect(read(garbage)).toEqual(invalid);
  }
  // Signed by us, but not a token's payload: still nothing.
  expect(read(unsubscribeToken(SECRET, { customerId: '', email: 'x' }, NOW))).toEqual(invalid);
  const junk = `${keyId}.${encode(['acme', email, 'soon'])}`;
  expect(read(`${junk}.${hmac(SECRET, junk)}`)).toEqual(invalid);
  expect(() => unsubscribeToken('', ana)).toThrow(/secret is empty/);
});

test('a suppression is kept in the database, found whatever the case of the address, and the first one stands', async () => {
  const url = await freshDatabaseUrl();
  const db = await openDatabase(url);
  const list = new PgSuppressionList(db);
  expect(await list.find(ana.email)).toBeUndefined();
  expect(await list.list()).toEqual([]);

  const first = await list.add({ ...ana, at: '2026-12-01T10:00:00.000Z', source: 'one-click' });
  expect(first).toEqual({ customerId: 'acme', email: 'ana.lopez@acme.example', at: '2026-12-01T10:00:00.000Z', source: 'one-click' });
  const again = await list.add({ ...ana, email: 'ANA.LOPEZ@ACME.EXAMPLE', at: '2026-12-05T10:00:00.000Z', source: 'link' });
  expect(again).toEqual(first);

  // Another process (a worker elsewhere, the API after a restart) sees the same record.
  const other = await openDatabase(url, { max: 1 });
  const reopened = new PgSuppressionList(other);
  expect(await reopened.find('ana.lopez@acme.example')).toEqual(first);
  expect(await reopened.find(' Ana.Lopez@ACME.example ')).toEqual(first);
  expect(await reopened.find('boss@acme.example')).toBeUndefined();

  await reopened.add({ customerId: 'globex', email: 'bo@globex.example', at: '2026-11-30T08:00:00.000Z', source: 'api' });
  expect((await reopened.list()).map((s) => s.email)).toEqual(['bo@globex.example', 'ana.lopez@acme.example']);
  // One row per address, whoever writes it at once.
  const racing = await Promise.all(
    ['Cy@Initech.example', 'cy@initech.example', 'CY@INITECH.EXAMPLE'].map((email, i) =>
      (i % 2 ? reopened : list).add({ customerId: 'initech', email, at: `2026-12-0${i + 1}T08:00:00.000Z`, source: 'link' }),
    ),
  );
  expect(new Set(racing.map((s) => s.at)).size).toBe(1);
  expect(await db.query('SELECT count(*)::int AS n FROM suppressions')).toMatchObject({ rows: [{ n: 3 }] });
  await Promise.all([db.end(), other.end()]);
});
