import { openDatabase } from '../../src/db/database';
import { freshDatabaseUrl } from '../helpers/database';
import {
  PgSuppressionList,
  readUnsubscribeToken,
  unsubscribeToken,
  unsubscribeUrl,
} from '../../src/delivery/suppressions';

const SECRET = 'test-unsubscribe-secret';
const ana = { customerId: 'acme', email: 'Ana.Lopez@acme.example' };

test('an unsubscribe token is URL-safe and reads back as the customer and address it was made for', () => {
  const token = unsubscribeToken(SECRET, ana);
  expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  expect(readUnsubscribeToken(SECRET, token)).toEqual(ana);
  expect(unsubscribeToken(SECRET, ana)).toBe(token);
  expect(unsubscribeUrl('https://journeys.acme.example/', token)).toBe(`https://journeys.acme.example/unsubscribe/${token}`);
});

test('a tampered, truncated, foreign or made-up token reads as nothing', () => {
  const token = unsubscribeToken(SECRET, ana);
  const [payload, signature] = token.split('.') as [string, string];
  const other = unsubscribeToken(SECRET, { customerId: 'acme', email: 'boss@acme.example' });
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

  expect(readUnsubscribeToken('another-secret', token)).toBeUndefined();
  // Someone else's address with Ana's signature, and Ana's address with one character changed.
  expect(readUnsubscribeToken(SECRET, `${other.split('.')[0]}.${signature}`)).toBeUndefined();
  expect(readUnsubscribeToken(SECRET, `${flip(payload, 3)}.${signature}`)).toBeUndefined();
  for (let i = 0; i < signature.length; i++) expect(readUnsubscribeToken(SECRET, `${payload}.${flip(signature, i)}`)).toBeUndefined();
  // The last character carries two spare bits: another spelling of the same bytes is still not the token.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const respelled = signature.slice(0, -1) + alphabet[alphabet.indexOf(signature.at(-1)!) ^ 1]!;
  expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
  expect(readUnsubscribeToken(SECRET, `${payload}.${respelled}`)).toBeUndefined();
  expect(readUnsubscribeToken(SECRET, `${payload}.${signature.slice(0, -1)}`)).toBeUndefined();
  expect(readUnsubscribeToken(SECRET, `${token}.x`)).toBeUndefined();
  for (const garbage of ['', '.', 'abc', 'a.b', `${payload}.`, `.${signature}`, `${payload}.${signature}=`, 'not base64!.x']) {
    expect(readUnsubscribeToken(SECRET, garbage)).toBeUndefined();
  }
  // Signed by us, but not a token's payload: still nothing.
  const signedJunk = unsubscribeToken(SECRET, { customerId: '', email: 'x' });
  expect(readUnsubscribeToken(SECRET, signedJunk)).toBeUndefined();
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
