import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ApiKeys } from '../../src/auth/api-keys';
import { SCOPES, type Scope } from '../../src/auth/scopes';
import { PROJECT_ROOT } from '../../src/config';
import { openDatabase } from '../../src/db/database';
import { freshDatabaseUrl } from '../helpers/database';
import { purchaseBody } from '../helpers/fixtures';
import { LocalStack } from '../helpers/stack';
import { appRoutes } from '../helpers/app-routes';

/** Nobody gets in who should not: every route but health, readiness and the unsubscribe pages needs a key with its scope. */
const stack = new LocalStack();
let keys: ApiKeys;

beforeAll(async () => {
  await stack.startAll();
  keys = new ApiKeys(await stack.database());
}, 120_000);

afterAll(async () => {
  await stack.stopAll();
});

/** The scope each route needs: what billing, the product, ops and map authors are given. */
const NEEDS: Record<string, Scope> = {
  'POST /v1/purchases': 'purchases:write',
  'POST /v1/customers/:customerId/events': 'events:write',
  'GET /metrics': 'journeys:read',
  'GET /v1/console/settings': 'journeys:read',
  'GET /v1/customers/:customerId/journey': 'journeys:read',
  'GET /v1/customers/:customerId/timeline': 'journeys:read',
  'GET /v1/tasks': 'journeys:read',
  'GET /v1/maps': 'journeys:read',
  'GET /v1/maps/:mapId': 'journeys:read',
  'GET /v1/maps/:mapId/diagram.svg': 'journeys:read',
  'GET /v1/suppressions': 'journeys:read',
  'GET /v1/journeys': 'journeys:read',
  'GET /v1/analytics/funnel': 'journeys:read',
  'GET /v1/analytics/milestones': 'journeys:read',
  'GET /v1/analytics/touchpoints': 'journeys:read',
  'GET /v1/analytics/outcomes': 'journeys:read',
  'GET /v1/analytics/touchpoint-effect': 'journeys:read',
  'GET /v1/analytics/experiment': 'journeys:read',
  'GET /v1/analytics/journeys': 'journeys:read',
  'GET /v1/mail': 'journeys:read',
  'GET /v1/mail/:id.eml': 'journeys:read',
  'PUT /v1/customers/:customerId/owners/:role': 'journeys:write',
  'POST /v1/customers/:customerId/bookings/:bookingId/:change': 'journeys:write',
  'POST /v1/tasks/:taskId/complete': 'journeys:write',
  'POST /v1/customers/:customerId/pause': 'journeys:write',
  'POST /v1/customers/:customerId/resume': 'journeys:write',
  'POST /v1/customers/:customerId/cancel': 'journeys:write',
  'POST /v1/maps': 'maps:write',
  'POST /v1/migrations': 'maps:write',
  'POST /v1/bulk-operations': 'journeys:write',
  'GET /v1/bulk-operations': 'journeys:read',
  'GET /v1/bulk-operations/:operationId': 'journeys:read',
};
const PUBLIC = ['GET /healthz', 'GET /readyz', 'GET /openapi.json', 'GET /docs'];
/** Routes that check a credential of their own, tested in their own files: a link's signed token, the codec's key, a webhook's signature. */
const OWN_CHECKS = [
  'GET /unsubscribe/:token',
  'POST /unsubscribe/:token',
  'POST /v1/codec/:operation',
  'POST /v1/codec/:key/:operation',
  'OPTIONS /v1/codec/:operation',
  'OPTIONS /v1/codec/:key/:operation',
  'POST /v1/inbound/events',
  'POST /v1/inbound/segment',
  'POST /v1/inbound/stripe',
];

/** Every route the API has: a route added without a guard fails here. */
const routes = () => appRoutes(stack.app!);

const sample = (route: string) =>
  route
    .split(' ')[1]!
    .replace(':customerId', 'nobody')
    .replace(':role', 'successManager')
    .replace(':bookingId', 'b-1')
    .replace(':change', 'cancel')
    .replace(':taskId', 't-1')
    .replace(':mapId', 'default')
    .replace(':id', 'x');

async function call(route: string, key?: string): Promise<{ status: number; body: { error?: string }; authenticate: string | null }> {
  const method = route.split(' ')[0]!;
  const response = await fetch(`${stack.apiUrl}${sample(route)}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
    ...(method === 'GET' ? {} : { body: '{}' }),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : {}, authenticate: response.headers.get('www-authenticate') };
}

test('every route refuses a request without a key (401), and each opens to exactly the scope it needs', async () => {
  const all = routes();
  expect(all.filter((route) => !PUBLIC.includes(route) && !OWN_CHECKS.includes(route)).sort()).toEqual(Object.keys(NEEDS).sort());
  for (const route of PUBLIC) expect((await call(route)).status).not.toBe(401);
  // The unsubscribe pages open from an email, with no key: a bad link is a 400 page, not a 401.
  expect((await fetch(`${stack.apiUrl}/unsubscribe/not-a-token`)).status).toBe(400);
  expect((await fetch(`${stack.apiUrl}/`)).status).toBe(200); // the console page itself asks for a key

  const single = Object.fromEntries(await Promise.all(SCOPES.map(async (scope) => [scope, (await keys.create(`only ${scope}`, [scope])).key] as const)));
  for (const [route, needed] of Object.entries(NEEDS)) {
    const anonymous = await call(route);
    expect([route, anonymous.status, anonymous.authenticate]).toEqual([route, 401, 'Bearer realm="journeys"']);
    expect(anonymous.body.error).toMatch(/an API key is required/);
    for (const scope of SCOPES) {
      const answer = await call(route, single[scope]);
      if (scope === needed) expect([route, scope, [401, 403].includes(answer.status)]).toEqual([route, scope, false]);
      else expect([route, scope, answer.status, answer.body.error]).toEqual([route, scope, 403, `this API key ("only ${scope}") lacks the scope ${needed}`]);
    }
  }
}, 120_000);

test('billing may start journeys and nothing else; a mistyped or revoked key is refused from the next request on', async () => {
  const billing = await keys.create('billing', ['purchases:write']);
  const post = (key: string, body: unknown) =>
    fetch(`${stack.apiUrl}/v1/purchases`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
  expect((await post(billing.key, purchaseBody('keyed'))).status).toBe(201);
  expect((await call('GET /v1/journeys', billing.key)).status).toBe(403);

  const mistyped = `${billing.key.slice(0, -1)}${billing.key.endsWith('A') ? 'B' : 'A'}`;
  expect((await post(mistyped, purchaseBody('mistyped'))).status).toBe(401);
  expect((await post('cjk_nonsense', purchaseBody('nonsense'))).status).toBe(401);
  expect(await keys.revoke(billing.apiKey.id)).toBe(true);
  const revoked = await post(billing.key, purchaseBody('revoked'));
  expect(revoked.status).toBe(401);
  expect(await revoked.json()).toEqual({ error: 'this API key is not valid (unknown, mistyped or revoked)' });
  // Refused requests changed nothing: no journey for those customers.
  for (const customer of ['mistyped', 'nonsense', 'revoked']) expect((await stack.get(`/v1/customers/${customer}/journey`)).status).toBe(404);
});

test('the CLI makes, lists and revokes keys; the database keeps only a hash of the secret', async () => {
  const url = await freshDatabaseUrl();
  const cli = (...args: string[]) =>
    spawnSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), 'keys', ...args], {
      env: { ...process.env, DATABASE_URL: url },
      encoding: 'utf8',
      timeout: 60_000,
    });
  const made = cli('create', '--name', 'product analytics', '--scopes', 'events:write');
  expect(made.status).toBe(0);
  const key = made.stdout.trim();
  expect(key).toMatch(/^cjk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
  const id = key.split('_')[1]!;
  expect(made.stderr).toContain(`API key ${id} "product analytics" with events:write; it is shown only now`);

  const db = await openDatabase(url, { max: 1 });
  const stored = await db.query('SELECT * FROM api_keys');
  expect(JSON.stringify(stored.rows)).not.toContain(key.split('_').slice(2).join('_'));
  expect(await new ApiKeys(db).verify(key)).toMatchObject({ id, name: 'product analytics', scopes: ['events:write'] });

  expect(cli('list').stdout).toMatch(new RegExp(`^${id}  product analytics  events:write  made \\S+$`, 'm'));
  expect(cli('revoke', id).stdout).toContain(`API key ${id} revoked`);
  expect(await new ApiKeys(db).verify(key)).toBeUndefined();
  expect(cli('list').stdout).toMatch(/revoked \S+$/m);
  await db.end();

  const wrong = cli('create', '--name', 'x', '--scopes', 'events:write,everything');
  expect([wrong.status, wrong.stderr.trim()]).toEqual([1, expect.stringContaining('keys create: --scopes: no scope "everything" (the scopes are purchases:write, ')]);
  expect(cli('revoke', 'nosuchkey123').stderr).toContain('keys revoke: no API key "nosuchkey123"');
  expect(cli('create', '--scopes', 'events:write').stderr).toContain('keys create: --name: say whose key it is');
}, 120_000);
