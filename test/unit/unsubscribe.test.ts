import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import express from 'express';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createActivities, type ActivityDeps } from '../../activities';
import type { SentEmail, TouchpointEmailInput } from '../../activities/email';
import { CONTACT_UNSUBSCRIBED } from '../../contracts/failures';
import { errorHandler } from '../../src/api/errors';
import { unsubscribeRouter } from '../../src/api/unsubscribe';
import type { Database } from '../../src/db/database';
import { PgSuppressionList, unsubscribeKeyId, unsubscribeToken, unsubscribeUrl } from '../../src/delivery/suppressions';
import { EmailTemplates } from '../../src/delivery/templates';
import { isTouchpointVariable, type Customer } from '../../src/journeys/customer';
import { startMailCatcher, type MailCatcher } from '../../src/mail/catcher';
import { testDatabase } from '../helpers/database';
import { catalog, customerFixture, TEMPLATES_DIR, testActivityDeps } from '../helpers/fixtures';

const SECRET = 'test-unsubscribe-secret';
/** The secret links were signed with before the last rotation (UNSUBSCRIBE_PREVIOUS_SECRETS). */
const PREVIOUS = 'previous-unsubscribe-secret';
/** A link token made before tokens had a key id and an expiry (signed with PREVIOUS): in emails already sent. */
const LEGACY_TOKEN = 'WyJhY21lIiwiQW5hLkxvcGV6QGFjbWUuZXhhbXBsZSJd.aXaesIDiqaZb67PI-XGSRpdHYgv_hseH8DE__Vh52IQ';
const DAY_MS = 24 * 60 * 60 * 1000;
const silent = { error: () => undefined };

let server: Server;
let baseUrl: string;
/** The engine database the API and the worker share: the worker's suppression list is the one the API's unsubscribe page fills. */
let db: Database;
let suppressions: PgSuppressionList;
const told: { customerId: string; email: string }[] = [];
let failTelling = false;

beforeAll(async () => {
  db = await testDatabase();
  suppressions = new PgSuppressionList(db);
  const app = express();
  app.use(
    unsubscribeRouter({
      secret: SECRET,
      previousSecrets: [PREVIOUS],
      suppressions,
      onUnsubscribed: (subject) => {
        told.push(subject);
        return failTelling ? Promise.reject(new Error('journey unreachable')) : Promise.resolve();
      },
      log: silent,
    }),
  );
  app.use(errorHandler(silent));
  await new Promise<void>((resolve) => {
    server = app.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  told.length = 0;
  failTelling = false;
});

const linkFor = (email: string, customerId = 'acme') => unsubscribeUrl(baseUrl, unsubscribeToken(SECRET, { customerId, email }));
const oneClick = (url: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });

describe('the unsubscribe link', () => {
  test('GET shows a page that asks, and does not unsubscribe (mail scanners follow links)', async () => {
    const response = await fetch(linkFor('ana@page.example'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await response.text();
    expect(html).toContain('Unsubscribe ana@page.example from customer success emails?');
    expect(html).toMatch(/<form method="post">/);
    expect(await suppressions.find('ana@page.example')).toBeUndefined();
    expect(told).toEqual([]);
  });

  test('a one-click POST unsubscribes, tells the journey, and a repeat keeps the first record', async () => {
    const url = linkFor('Bo@OneClick.example', 'globex');
    const response = await oneClick(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Bo@OneClick.example is unsubscribed');
    const first = await suppressions.find('bo@oneclick.example');
    expect(first).toMatchObject({ email: 'bo@oneclick.example', customerId: 'globex', source: 'one-click' });
    expect(told).toEqual([{ customerId: 'globex', email: 'Bo@OneClick.example' }]);

    expect((await oneClick(url)).status).toBe(200);
    expect(await suppressions.find('bo@oneclick.example')).toEqual(first);
    // Now the page says so instead of asking.
    expect(await (await fetch(url)).text()).toContain('is unsubscribed');
  });

  test("the page's button unsubscribes (source link), even when telling the journey fails", async () => {
    failTelling = true;
    const response = await fetch(linkFor('cy@button.example'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'confirm=yes',
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('cy@button.example is unsubscribed');
    expect(await suppressions.find('cy@button.example')).toMatchObject({ source: 'link', customerId: 'acme' });
    expect(told).toHaveLength(1);
  });

  test('a tampered or made-up token is a 400: a page for people, JSON for one-click', async () => {
    const good = linkFor('dee@tamper.example');
    const tampered = good.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const page = await fetch(tampered);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('is not an unsubscribe link this engine made');

    const form = await fetch(`${baseUrl}/unsubscribe/garbage`, { method: 'POST', body: new URLSearchParams({ confirm: 'yes' }) });
    expect(form.status).toBe(400);
    expect(form.headers.get('content-type')).toMatch(/^text\/html/);

    const machine = await oneClick(tampered);
    expect(machine.status).toBe(400);
    expect(await machine.json()).toEqual({
      error: 'invalid request',
      issues: [{ field: 'token', message: expect.stringContaining('is not an unsubscribe link') }],
    });
    expect(await suppressions.find('dee@tamper.example')).toBeUndefined();
    expect(told).toEqual([]);
  });
});

describe('links across secret rotations, old formats and expiry', () => {
  const tokenFor = (email: string, options: { secret?: string; madeAt?: Date } = {}) =>
    unsubscribeToken(options.secret ?? SECRET, { customerId: 'acme', email }, options.madeAt);
  const urlOf = (token: string) => unsubscribeUrl(baseUrl, token);

  test('a link of the old format (no key id, no expiry), in emails already sent, still asks and unsubscribes', async () => {
    const page = await fetch(urlOf(LEGACY_TOKEN));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Unsubscribe Ana.Lopez@acme.example from customer success emails?');
    expect((await oneClick(urlOf(LEGACY_TOKEN))).status).toBe(200);
    expect(await suppressions.find('ana.lopez@acme.example')).toMatchObject({ customerId: 'acme', source: 'one-click' });
    expect(told).toEqual([{ customerId: 'acme', email: 'Ana.Lopez@acme.example' }]);
  });

  test('a link signed with the previous secret still unsubscribes, by the page and by one click', async () => {
    const page = await fetch(urlOf(tokenFor('eve@rotated.example', { secret: PREVIOUS })));
    expect(await page.text()).toContain('Unsubscribe eve@rotated.example');
    expect((await oneClick(urlOf(tokenFor('eve@rotated.example', { secret: PREVIOUS })))).status).toBe(200);
    expect(await suppressions.find('eve@rotated.example')).toMatchObject({ source: 'one-click' });
    // One signed with a secret the API no longer holds is not ours.
    const dropped = await oneClick(urlOf(tokenFor('fay@dropped.example', { secret: 'a-secret-long-since-dropped' })));
    expect(dropped.status).toBe(400);
    expect(await suppressions.find('fay@dropped.example')).toBeUndefined();
  });

  test('an expired link says so: a page that points to a newer email, JSON for one-click; nothing is recorded', async () => {
    const expired = urlOf(tokenFor('gus@expired.example', { madeAt: new Date(Date.now() - 401 * DAY_MS) }));
    const page = await fetch(expired);
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('This unsubscribe link has expired');
    expect(html).toContain('Use the unsubscribe link in a more recent email from us, or reply to any of our emails');
    expect(html).not.toContain('gus@expired.example');

    const button = await fetch(expired, { method: 'POST', body: new URLSearchParams({ confirm: 'yes' }) });
    expect(button.status).toBe(400);
    expect(await button.text()).toContain('has expired');

    const machine = await oneClick(expired);
    expect(machine.status).toBe(400);
    expect(await machine.json()).toEqual({
      error: 'invalid request',
      issues: [{ field: 'token', message: expect.stringMatching(/^has expired \(a link works for 400 days after its email was sent\): it expired on \d{4}-\d{2}-\d{2}$/) }],
    });
    expect(await suppressions.find('gus@expired.example')).toBeUndefined();
    expect(told).toEqual([]);
    // A link made 399 days ago still works.
    expect((await oneClick(urlOf(tokenFor('gus@expired.example', { madeAt: new Date(Date.now() - 399 * DAY_MS) })))).status).toBe(200);
  });

  test('a link whose key id or expiry was changed is not ours', async () => {
    const [keyId, payload, signature] = tokenFor('hal@tamper.example', { madeAt: new Date(Date.now() - 401 * DAY_MS) }).split('.') as [string, string, string];
    const [customerId, email, expiresAt] = JSON.parse(Buffer.from(payload, 'base64url').toString()) as [string, string, number];
    const extended = Buffer.from(JSON.stringify([customerId, email, expiresAt + 800 * 86_400])).toString('base64url');
    for (const token of [`${keyId}.${extended}.${signature}`, `${unsubscribeKeyId(PREVIOUS)}.${payload}.${signature}`]) {
      const page = await fetch(urlOf(token));
      expect(page.status).toBe(400);
      expect(await page.text()).toContain('is not an unsubscribe link this engine made');
      const machine = await oneClick(urlOf(token));
      expect(machine.status).toBe(400);
      expect(((await machine.json()) as { issues: unknown }).issues).toEqual([{ field: 'token', message: expect.stringContaining('is not an unsubscribe link') }]);
    }
    expect(await suppressions.find('hal@tamper.example')).toBeUndefined();
  });
});

describe('journey emails over real SMTP', () => {
  let catcher: MailCatcher;
  let deps: ActivityDeps;
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => undefined) });
  let sequence = 0;

  beforeAll(async () => {
    catcher = await startMailCatcher({ dir: mkdtempSync(path.join(os.tmpdir(), 'mail-')) });
    // The shipped templates plus one that places the link itself.
    const templatesDir = mkdtempSync(path.join(os.tmpdir(), 'templates-'));
    for (const name of ['welcome', 'login-help']) copyFileSync(path.join(TEMPLATES_DIR, `${name}.yaml`), path.join(templatesDir, `${name}.yaml`));
    writeFileSync(path.join(templatesDir, 'own-link.yaml'), 'subject: "Tips"\ntext: "Stop these here: {{unsubscribeUrl}}"\n');
    deps = testActivityDeps(db, {
      smtpUrl: `smtp://127.0.0.1:${catcher.port}`,
      templates: EmailTemplates.load(templatesDir),
      trainers: [],
      unsubscribeSecret: SECRET,
      publicUrl: baseUrl,
    });
  });

  afterAll(async () => {
    await catcher.close();
  });

  const send = (customer: Customer, template: string, extra: Partial<TouchpointEmailInput> = {}, activities = createActivities(deps)): Promise<SentEmail> =>
    env.run(activities.sendTouchpointEmail, {
      key: `journey-${customer.customerId}/term-1/${template}#${++sequence}`,
      customer,
      owner: catalog.team.successManager!,
      ownerRole: 'successManager',
      touchpointName: template,
      template,
      ...extra,
    });

  /** The one message caught for this address, parsed. */
  async function received(email: string): Promise<ParsedMail[]> {
    const caught = await catcher.mailbox.list({ to: email });
    return Promise.all(caught.map(async (mail) => simpleParser((await catcher.mailbox.raw(mail.id))!)));
  }

  /** A header as it is on the wire, unfolded: what a mail client reads. */
  const rawHeader = (mail: ParsedMail, name: string) =>
    mail.headerLines
      .find((h) => h.key === name.toLowerCase())
      ?.line.replace(/\r?\n(?=[ \t])/g, '')
      .slice(name.length + 1)
      .trim();

  test('carries the one-click headers and a footer whose link unsubscribes; then nothing more is sent', async () => {
    const customer = customerFixture(Date.now(), {
      customerId: 'acme-smtp',
      company: 'Acme & <Sons>',
      contact: { name: 'Ana Lopez', email: 'ana@smtp.example' },
    });
    const sent = await send(customer, 'welcome');
    expect(sent.to).toEqual(['ana@smtp.example']);

    const [mail, ...more] = await received('ana@smtp.example');
    expect(more).toEqual([]);
    const header = rawHeader(mail!, 'List-Unsubscribe');
    // Signed with the current secret only, and naming it.
    expect(header).toMatch(new RegExp(`^<http://127\\.0\\.0\\.1:\\d+/unsubscribe/${unsubscribeKeyId(SECRET)}\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}>$`));
    expect(rawHeader(mail!, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(rawHeader(mail!, 'X-Journey-Key')).toBe(`journey-acme-smtp/term-1/welcome#${sequence}`);
    expect(mail!.messageId).toBe(sent.messageId);

    const link = header!.slice(1, -1);
    expect(mail!.text).toContain(`You receive this because Acme & <Sons> uses our pro plan. Unsubscribe: ${link}`);
    expect(mail!.html).toContain(`You receive this because Acme &amp; &lt;Sons&gt; uses our pro plan. <a href="${link}">Unsubscribe</a>`);

    // The mail client's one-click unsubscribe, to the link exactly as the header gives it.
    expect((await oneClick(link)).status).toBe(200);
    expect(await suppressions.find('ana@smtp.example')).toMatchObject({ customerId: 'acme-smtp', source: 'one-click' });

    const refused = await send(customer, 'welcome').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: CONTACT_UNSUBSCRIBED, nonRetryable: true });
    expect((refused as Error).message).toMatch(/^ana@smtp\.example unsubscribed from journey emails on \d{4}-\d{2}-\d{2}$/);
    // A transactional email is refused the same way.
    await expect(send(customer, 'login-help', { transactional: true })).rejects.toMatchObject({ type: CONTACT_UNSUBSCRIBED });
    expect(await received('ana@smtp.example')).toHaveLength(1);
  });

  test("an email asked for while a starting worker's dependencies are still being made waits for them, then goes once", async () => {
    let ready!: (made: ActivityDeps) => void;
    const activities = createActivities(new Promise<ActivityDeps>((resolve) => (ready = resolve)));
    const customer = customerFixture(Date.now(), { customerId: 'early', contact: { name: 'Eve', email: 'eve@early.example' } });
    const sending = send(customer, 'welcome', {}, activities);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await received('eve@early.example')).toEqual([]);
    ready(deps);
    const sent = await sending;
    expect((await received('eve@early.example')).map((mail) => mail.messageId)).toEqual([sent.messageId]);
  });

  test('a transactional email carries no unsubscribe headers or footer', async () => {
    const customer = customerFixture(Date.now(), { customerId: 'tx', contact: { name: 'Tom', email: 'tom@tx.example' } });
    await send(customer, 'login-help', { transactional: true });
    const [mail] = await received('tom@tx.example');
    expect(rawHeader(mail!, 'X-Journey-Key')).toMatch(/^journey-tx\//);
    expect(rawHeader(mail!, 'List-Unsubscribe')).toBeUndefined();
    expect(rawHeader(mail!, 'List-Unsubscribe-Post')).toBeUndefined();
    expect(mail!.text).not.toContain('Unsubscribe');
  });

  test('a template may place the unsubscribe link itself ({{unsubscribeUrl}})', async () => {
    expect(isTouchpointVariable('unsubscribeUrl')).toBe(true);
    const customer = customerFixture(Date.now(), { customerId: 'own', contact: { name: 'Oona', email: 'oona@own.example' } });
    await send(customer, 'own-link');
    const [mail] = await received('oona@own.example');
    const link = rawHeader(mail!, 'List-Unsubscribe')!.slice(1, -1);
    expect(mail!.text).toContain(`Stop these here: ${link}`);
  });
});
