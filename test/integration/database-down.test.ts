import { newKey } from '../../src/auth/api-keys';
import { freshDatabaseUrl } from '../helpers/database';
import { eventually, freePort } from '../helpers/eventually';
import { purchaseBody } from '../helpers/fixtures';
import { LocalStack } from '../helpers/stack';
import { TcpProxy } from '../helpers/tcp-proxy';

/**
 * The engine database goes off the network under a running engine and comes back: the API says so (503
 * naming the database, /readyz naming it), a purchase still starts its journey, and its welcome email, whose
 * ledger entry cannot be written meanwhile, is retried by Temporal and sent exactly once when the database is back.
 */
let proxy: TcpProxy;
let stack: LocalStack;

beforeAll(async () => {
  // The stack reaches its (real) database only through the proxy, which the test cuts and restores.
  const real = new URL(await freshDatabaseUrl());
  proxy = await TcpProxy.start(await freePort(), { host: real.hostname, port: Number(real.port) });
  const throughProxy = new URL(real);
  throughProxy.port = String(proxy.port);
  stack = new LocalStack({ databaseUrl: throughProxy.toString() });
  await stack.startAll();
});

afterAll(async () => {
  await stack?.stopAll();
  await proxy?.cut();
});

test('with the database down the API answers 503 naming it, and the journey’s email waits for it and goes out once', async () => {
  expect((await stack.get('/readyz')).status).toBe(200);
  expect((await stack.get('/v1/journeys')).status).toBe(200); // the stack's key, checked once
  await proxy.cut();

  const ready = await stack.get('/readyz');
  expect(ready.status).toBe(503);
  expect(ready.body.checks.database).toMatchObject({ ok: false, detail: expect.stringMatching(/^unreachable/) });
  expect(ready.body.checks.temporal).toMatchObject({ ok: true });
  // The API key cannot be checked either: 503 before any route runs.
  const response = await fetch(`${stack.apiUrl}/v1/suppressions`, { headers: stack.headers });
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('5');
  expect(await response.json()).toEqual({ error: expect.stringMatching(/cannot reach its database/), dependency: 'database' });

  // A key never seen cannot be checked now: 503, nothing done.
  const unseen = await fetch(`${stack.apiUrl}/v1/journeys`, { headers: { authorization: `Bearer ${newKey()}` } });
  expect([unseen.status, ((await unseen.json()) as { dependency: string }).dependency]).toEqual([503, 'database']);

  // Temporal is up, and the key was checked a moment ago: the purchase is accepted, and its journey starts.
  const purchase = purchaseBody('db-down');
  expect((await stack.post('/v1/purchases', purchase)).status).toBe(201);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect(await stack.catcher!.mailbox.list({ to: purchase.contact.email })).toEqual([]);
  // The journeys list is Temporal's: it still answers, by customer id, without the companies the database holds.
  await eventually(async () => {
    const listed = await stack.get('/v1/journeys');
    expect([listed.status, listed.body.journeys]).toEqual([200, [expect.objectContaining({ customerId: 'db-down', stage: 'onboarding' })]]);
    expect(listed.body.journeys[0].company).toBeUndefined();
  });

  await proxy.restore();
  await eventually(async () => expect((await stack.get('/readyz')).status).toBe(200), 30_000);
  await eventually(async () => expect(await stack.catcher!.mailbox.list({ to: purchase.contact.email })).not.toEqual([]), 60_000);
  // Any later attempt finds the ledger entry: never a second welcome.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const mail = await stack.catcher!.mailbox.list({ to: purchase.contact.email });
  expect(mail.map((m) => m.subject)).toEqual([expect.stringMatching(/^Welcome/)]);
}, 120_000);
