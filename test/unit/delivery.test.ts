import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DELIVERY_UNCONFIRMED, FileDeliveryLedger } from '../../src/delivery/ledger';
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
