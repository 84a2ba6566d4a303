import { mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { type createApp, type AppDeps } from '../../src/api/app';
import { SCOPES, type Scope } from '../../src/auth/scopes';
import { PROJECT_ROOT } from '../../src/config';
import { Mailbox } from '../../src/mail/mailbox';
import { appRoutes, appWithoutTemporal, serveOnLoopback } from '../helpers/app-routes';

/**
 * The API description: /openapi.json is an OpenAPI 3.1 document that lists every route the app has, with the
 * scope its key needs (checked against what the app enforces) and the request schemas the routes parse with;
 * /docs is a page whose files all load. The real app, with services that are never reached: no Temporal here.
 */
let server: Server;
let url: string;
let app: ReturnType<typeof createApp>;
let doc: any;

/** A key is its scopes ("scopes:journeys:read,maps:write"): the app's own guard decides what it may do. */
const keyWith = (...scopes: Scope[]) => `scopes:${scopes.join(',')}`;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

beforeAll(async () => {
  app = appWithoutTemporal({
    mailbox: new Mailbox(mkdtempSync(path.join(os.tmpdir(), 'openapi-test-mail-'))),
    inboundWebhookSecrets: ['openapi-test-inbound-secret-0123456789'],
    analytics: {} as AppDeps['analytics'],
    bulkOperations: {} as AppDeps['bulkOperations'],
    keys: {
      verify: (presented) =>
        Promise.resolve(
          presented.startsWith('scopes:') ? { id: 'k', name: 'test', scopes: presented.slice(7).split(',').filter(Boolean) as Scope[], createdAt: new Date().toISOString() } : undefined,
        ),
    },
  });
  ({ server, url } = await serveOnLoopback(app));
  const answer = await fetch(`${url}/openapi.json`); // no key
  expect([answer.status, answer.headers.get('content-type')]).toEqual([200, expect.stringContaining('application/json')]);
  doc = await answer.json();
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Every operation of the document, as [method, OpenAPI path, operation]. */
const operations = (): [string, string, any][] =>
  Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]): [string, string, any] => [method, p, op]),
  );

/** Every route the app has, in OpenAPI's style (`{param}`). */
const appOperations = () => [...new Set(appRoutes(app).map((route) => route.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')))].sort();

/** Resolves a local $ref (#/components/...). */
const resolve = (schema: any): any => (schema?.$ref ? (schema.$ref as string).slice(2).split('/').reduce((node: any, key: string) => node?.[key], doc) : schema);

test('an OpenAPI 3.1 document, titled and versioned as the package, every operation with its answers', () => {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
  expect(doc.openapi).toBe('3.1.0');
  expect(doc.info).toMatchObject({ title: pkg.name, version: pkg.version });
  expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'stripeSignature']);
  expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  for (const [method, p, op] of operations()) {
    const where = `${method.toUpperCase()} ${p}`;
    expect([where, p.startsWith('/')]).toEqual([where, true]);
    expect([where, Object.keys(op.responses ?? {}).length > 0]).toEqual([where, true]);
    for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
      expect([where, status, /^[1-5]\d\d$/.test(status), typeof response.description]).toEqual([where, status, true, 'string']);
      for (const media of Object.values<any>(response.content ?? {})) expect([where, status, resolve(media.schema)]).toEqual([where, status, expect.any(Object)]);
    }
    // Each {param} of the path is a required path parameter, and no other.
    const templated = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    const declared = (op.parameters ?? []).filter((param: any) => param.in === 'path');
    expect([where, declared.map((param: any) => param.name).sort()]).toEqual([where, templated]);
    for (const param of declared) expect([where, param.name, param.required]).toEqual([where, param.name, true]);
    for (const requirement of op.security ?? []) for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes[scheme]).toBeDefined();
  }
  // Every reference anywhere in the document points at something.
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
  expect(refs.length).toBeGreaterThan(10);
  for (const ref of new Set(refs)) expect([ref, resolve({ $ref: ref }) !== undefined]).toEqual([ref, true]);
});

test('every route the app has is in the document with its method, and nothing else is (a new route must be described)', () => {
  const described = operations().map(([method, p]) => `${method.toUpperCase()} ${p}`).sort();
  expect(described).toEqual(appOperations());
});

/** The route's path with sample values for its params; the codec's path key is the key given. */
const sample = (p: string, key: string) =>
  p
    .replace('{customerId}', 'acme')
    .replace('{role}', 'successManager')
    .replace('{bookingId}', 'b-1')
    .replace('{change}', 'cancel')
    .replace('{taskId}', 'task-acme-0123456789ab')
    .replace('{mapId}', 'default')
    .replace('{id}', 'x')
    .replace('{token}', 'not-a-token')
    .replace('{operation}', 'decode')
    .replace('{key}', encodeURIComponent(key));

async function call(method: string, p: string, key?: string): Promise<{ status: number; error?: string }> {
  const withBody = !['get', 'options'].includes(method);
  const inPath = p.includes('{key}');
  const response = await fetch(`${url}${sample(p, key ?? 'none')}`, {
    method: method.toUpperCase(),
    headers: { ...(key && !inPath ? { authorization: `Bearer ${key}` } : {}), ...(withBody ? { 'content-type': 'application/json' } : {}) },
    ...(withBody ? { body: '{}' } : {}),
  });
  const text = await response.text();
  return { status: response.status, error: text.startsWith('{') ? JSON.parse(text).error : undefined };
}

test('each operation names the scope the app enforces (x-required-scope and its security), and the public ones need no key', async () => {
  let keyed = 0;
  for (const [method, p, op] of operations()) {
    const where = `${method.toUpperCase()} ${p}`;
    const scope = op['x-required-scope'] as Scope | undefined;
    if (!scope) {
      expect([where, op.security]).toEqual([where, expect.not.arrayContaining([expect.objectContaining({ apiKey: expect.anything() })])]);
      expect([where, [401, 403].includes((await call(method, p)).status)]).toEqual([where, p.startsWith('/v1/inbound/')]); // inbound: the signature's 401
      continue;
    }
    keyed += 1;
    expect([where, op.security]).toEqual([where, [{ apiKey: [scope] }]]);
    expect(op.description).toContain(`\`${scope}\``);
    const others = SCOPES.filter((s) => s !== scope);
    expect([where, await call(method, p, keyWith(...others))]).toEqual([where, { status: 403, error: `this API key ("test") lacks the scope ${scope}` }]);
    const allowed = await call(method, p, keyWith(scope));
    expect([where, [401, 403].includes(allowed.status)]).toEqual([where, false]);
  }
  expect(keyed).toBeGreaterThanOrEqual(18);
});

test('the request schemas are those the routes parse with: what they require, the route refuses without', async () => {
  const key = keyWith(...SCOPES);
  const post = async (p: string, body: unknown): Promise<any> =>
    (await fetch(`${url}${p}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
  const bodySchema = (p: string) => resolve(doc.paths[p].post.requestBody.content['application/json'].schema);
  for (const p of ['/v1/purchases', '/v1/migrations', '/v1/tasks/{taskId}/complete']) {
    const required = [...bodySchema(p).required].sort();
    expect(required.length).toBeGreaterThan(0);
    const refused = await post(sample(p, key), {});
    expect([p, refused.error, refused.issues.map((issue: { field: string }) => issue.field).sort()]).toEqual([p, 'invalid request', required]);
  }
  expect(bodySchema('/v1/purchases').required).toEqual(expect.arrayContaining(['customerId', 'company', 'contact', 'timeZone', 'purchaseDate', 'renewalDate']));
  expect(bodySchema('/v1/purchases').additionalProperties).toBe(false); // strict: the route refuses unknown fields too
  // A query: GET /v1/tasks needs its owner, as an email.
  const owner = doc.paths['/v1/tasks'].get.parameters.find((param: any) => param.name === 'owner');
  expect(owner).toMatchObject({ in: 'query', required: true, schema: { format: 'email' } });
  const tasks: any = await (await fetch(`${url}/v1/tasks`, { headers: { authorization: `Bearer ${key}` } })).json();
  expect(tasks.issues.map((issue: { field: string }) => issue.field)).toEqual(['owner']);
  // A 400 is described with the error handler's shape.
  expect(resolve(doc.paths['/v1/purchases'].post.responses['400'].content['application/json'].schema)).toMatchObject({ required: ['error', 'issues'] });
});

test('/docs is a page without inline script whose scripts and stylesheets all load, under the API\'s Content-Security-Policy', async () => {
  const page = await fetch(`${url}/docs`);
  expect([page.status, page.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/html')]);
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp).toMatch(/script-src 'self'/);
  expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  const html = await page.text();
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  expect(scripts.length).toBeGreaterThanOrEqual(2);
  for (const [, attributes, body] of scripts) expect([attributes, body!.trim()]).toEqual([expect.stringMatching(/\bsrc="[^"]+"/), '']);
  const styles = [...html.matchAll(/<link\b[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1]!);
  expect(styles.length).toBeGreaterThanOrEqual(1);
  const files = [
    ...scripts.map(([, attributes]) => [/src="([^"]+)"/.exec(attributes!)![1]!, 'javascript'] as const),
    ...styles.map((href) => [href, 'text/css'] as const),
  ];
  for (const [file, type] of files) {
    const answer = await fetch(new URL(file, `${url}/docs`));
    expect([file, answer.status, answer.headers.get('content-type')]).toEqual([file, 200, expect.stringContaining(type)]);
    expect((await answer.text()).length).toBeGreaterThan(100);
  }
  // Our initializer loads the engine's document; swagger-ui-dist's demo initializer (the Petstore's) is not served.
  expect(await (await fetch(`${url}/docs/docs.js`)).text()).toContain("url: '/openapi.json'");
  expect((await fetch(`${url}/docs/swagger-initializer.js`)).status).toBe(404);
  expect(await (await fetch(`${url}/docs/`)).text()).toBe(html);
});
