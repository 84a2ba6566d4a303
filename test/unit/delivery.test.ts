import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DELIVERY_UNCONFIRMED } from '../../contracts/failures';
import { FileDeliveryLedger } from '../../src/delivery/ledger';
import { isTouchpointVariable } from '../../src/journeys/customer';
import { catalog, customerFixture, templates } from '../helpers/fixtures';

test('the ledger delivers once per key and returns the first result to a retry', async () => {
  const ledger = new FileDeliveryLedger(mkdtempSync(path.join(os.tmpdir(), 'ledger-')));
  const deliver = jest.fn(() => Promise.resolve({ messageId: '<1@x>' }));
  expect(await ledger.once('journey-a/term-1/welcome#1', deliver)).toEqual({ messageId: '<1@x>' });
  expect(await ledger.once('journey-a/term-1/welcome#1', deliver)).toEqual({ messageId: '<1@x>' });
  expect(await ledger.once('journey-a/term-1/welcome#2', deliver)).toEqual({ messageId: '<1@x>' });
  expect(deliver).toHaveBeenCalledTimes(2);
});

test('a failed delivery is not recorded, so the retry delivers', async () => {
  const ledger = new FileDeliveryLedger(mkdtempSync(path.join(os.tmpdir(), 'ledger-')));
  await expect(ledger.once('k', () => Promise.reject(new Error('smtp down')))).rejects.toThrow('smtp down');
  expect(await ledger.once('k', () => Promise.resolve('sent'))).toBe('sent');
});

test('templates render the customer and owner, and refuse variables that do not exist', () => {
  const customer = customerFixture(Date.parse('2026-11-24T10:00:00Z'));
  const email = templates.render('welcome', { customer, contact: customer.contact, owner: catalog.team.successManager });
  expect(email.subject).toBe('Welcome to your pro plan, Acme Analytics');
  expect(email.text).toContain('Hello Ana Lopez');
  expect(email.html).toContain('<strong>pro</strong>');
  expect(() => templates.render('welcome', { customer, contact: customer.contact })).toThrow(/email template "welcome": "name" not defined/);
  expect(() => templates.render('nope', {})).toThrow(/no email template "nope"/);
});

test('a delivery whose worker died after it began is not repeated: it fails for good as unconfirmed', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
  // A worker that dies mid-send never finishes its delivery: what it leaves behind is the intent alone.
  let handedOver!: () => void;
  const sending = new Promise<void>((resolve) => (handedOver = resolve));
  void new FileDeliveryLedger(dir).once('journey-a/term-1/welcome#1', () => {
    handedOver();
    return new Promise(() => undefined);
  });
  await sending;
  const deliver = jest.fn(() => Promise.resolve('sent again'));
  await expect(new FileDeliveryLedger(dir).once('journey-a/term-1/welcome#1', deliver)).rejects.toMatchObject({
    type: DELIVERY_UNCONFIRMED,
    nonRetryable: true,
  });
  expect(deliver).not.toHaveBeenCalled();
  expect(readdirSync(dir)).toHaveLength(1);
});

test('templates may use where the journey stands, and nothing else about it', () => {
  expect(['journey.stageName', 'journey.term', 'journey.mapName', 'journey.stage'].every(isTouchpointVariable)).toBe(true);
  expect(isTouchpointVariable('journey.atRisk')).toBe(false);
  expect(isTouchpointVariable('journey')).toBe(false);
});

test('every email has an HTML part: a template without one gets its text, escaped, with paragraphs and links', () => {
  const email = templates.render('monthly-tips', {
    customer: customerFixture(Date.now(), { plan: 'Pro & <Max>' }),
    contact: { name: 'Ana Lopez', email: 'ana@acme.example' },
    owner: { name: 'Sam Rivera', email: 'sam@success.example' },
    unsubscribeUrl: 'http://localhost:3000/unsubscribe/x',
    journey: { stage: 'adoption', stageName: 'Adoption', term: 1, mapName: 'Default' },
  });
  expect(email.text).toContain('Pro & <Max> plan');
  expect(email.html).toContain('Pro &amp; &lt;Max&gt; plan');
  expect(email.html).toMatch(/^<p>Hello Ana Lopez,<\/p>/);
});

test('two attempts of one delivery at the same time deliver once: the other is refused as unconfirmed', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
  const deliver = jest.fn(() => new Promise<string>((resolve) => setTimeout(() => resolve('sent'), 50)));
  const results = await Promise.allSettled([
    new FileDeliveryLedger(dir).once('journey-a/term-1/welcome#1', deliver),
    new FileDeliveryLedger(dir).once('journey-a/term-1/welcome#1', deliver),
  ]);
  expect(deliver).toHaveBeenCalledTimes(1);
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { type: DELIVERY_UNCONFIRMED } });
});
