import { DELIVERY_UNCONFIRMED } from '../../contracts/failures';
import { openDatabase, type Database } from '../../src/db/database';
import { PgDeliveryLedger } from '../../src/delivery/ledger';
import { isTouchpointVariable } from '../../src/journeys/customer';
import { freshDatabaseUrl } from '../helpers/database';
import { catalog, customerFixture, templates } from '../helpers/fixtures';

// The ledger in a real PostgreSQL; each test uses keys of its own.
let url: string;
let db: Database;
let ledger: PgDeliveryLedger;

beforeAll(async () => {
  url = await freshDatabaseUrl();
  db = await openDatabase(url);
  ledger = new PgDeliveryLedger(db);
});

afterAll(async () => {
  await db.end();
});

test('the ledger delivers once per key and returns the first result to a retry', async () => {
  const deliver = jest.fn(() => Promise.resolve({ messageId: '<1@x>' }));
  expect(await ledger.once('journey-a/term-1/welcome#1', deliver)).toEqual({ messageId: '<1@x>' });
  expect(await ledger.once('journey-a/term-1/welcome#1', deliver)).toEqual({ messageId: '<1@x>' });
  expect(await ledger.once('journey-a/term-1/welcome#2', deliver)).toEqual({ messageId: '<1@x>' });
  expect(deliver).toHaveBeenCalledTimes(2);
  // A delivery that returns nothing is recorded too.
  const nothing = jest.fn(() => Promise.resolve(undefined));
  expect(await ledger.once('journey-a/term-1/notice#1', nothing)).toBeUndefined();
  expect(await ledger.once('journey-a/term-1/notice#1', nothing)).toBeUndefined();
  expect(nothing).toHaveBeenCalledTimes(1);
});

test('a failed delivery is not recorded, so the retry delivers', async () => {
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
  // A worker that dies mid-send never finishes its delivery: what it leaves behind is the intent alone.
  let handedOver!: () => void;
  const sending = new Promise<void>((resolve) => (handedOver = resolve));
  void ledger.once('journey-b/term-1/welcome#1', () => {
    handedOver();
    return new Promise(() => undefined);
  });
  await sending;
  const deliver = jest.fn(() => Promise.resolve('sent again'));
  // Another worker's retry, on a connection of its own.
  const other = await openDatabase(url, { max: 1 });
  try {
    await expect(new PgDeliveryLedger(other).once('journey-b/term-1/welcome#1', deliver)).rejects.toMatchObject({
      type: DELIVERY_UNCONFIRMED,
      nonRetryable: true,
    });
  } finally {
    await other.end();
  }
  expect(deliver).not.toHaveBeenCalled();
  const rows = await db.query("SELECT delivered_at FROM deliveries WHERE key = 'journey-b/term-1/welcome#1'");
  expect(rows.rows).toEqual([{ delivered_at: null }]);
});

test('templates may use where the journey stands, and nothing else about it', () => {
  expect(['journey.stageName', 'journey.term', 'journey.mapName', 'journey.stage'].every(isTouchpointVariable)).toBe(true);
  expect(isTouchpointVariable('journey.atRisk')).toBe(false);
  expect(isTouchpointVariable('journey')).toBe(false);
  // The purchase's owners go stale with a reassignment, and are not in an activity's input: owner.* is the owner of the moment.
  expect(isTouchpointVariable('customer.owners.successManager.name')).toBe(false);
  expect(isTouchpointVariable('customer.attributes.seats')).toBe(true);
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

test('Markdown in customer data stays text in the HTML part: no disguised link, no tracking image', () => {
  // A template with no HTML part of its own (monthly-tips), and customer data where Markdown would act.
  const plan = '[Verify your account](http://phish.example) ![](http://tracker.example/p.gif) **urgent** <b>bold</b>';
  const email = templates.render('monthly-tips', {
    customer: customerFixture(Date.now(), { plan }),
    contact: { name: 'Ana Lopez', email: 'ana@acme.example' },
    owner: { name: 'Sam Rivera', email: 'sam@success.example' },
    unsubscribeUrl: 'http://localhost:3000/unsubscribe/x',
    journey: { stage: 'adoption', stageName: 'Adoption', term: 1, mapName: 'Default' },
  });
  expect(email.text).toContain(plan);
  expect(email.html).not.toMatch(/<img|<strong|<b>|>Verify your account</);
  expect(email.html).toContain('[Verify your account](');
  expect(email.html).toContain('**urgent** &lt;b&gt;bold&lt;/b&gt;');
  // A bare address still becomes a link, showing where it goes.
  expect(email.html).toContain('<a href="http://phish.example">http://phish.example</a>');
});

test('two attempts of one delivery at the same time deliver once: the other is refused as unconfirmed', async () => {
  const workers = await Promise.all([openDatabase(url, { max: 1 }), openDatabase(url, { max: 1 })]);
  const deliver = jest.fn(() => new Promise<string>((resolve) => setTimeout(() => resolve('sent'), 50)));
  const results = await Promise.allSettled(workers.map((pool) => new PgDeliveryLedger(pool).once('journey-c/term-1/welcome#1', deliver)));
  await Promise.all(workers.map((pool) => pool.end()));
  expect(deliver).toHaveBeenCalledTimes(1);
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { type: DELIVERY_UNCONFIRMED } });
});

test('a database that is down fails the attempt before anything is sent, so Temporal retries it', async () => {
  const down = await openDatabase(url, { max: 1 });
  await down.end();
  const deliver = jest.fn(() => Promise.resolve('sent'));
  await expect(new PgDeliveryLedger(down).once('journey-d/term-1/welcome#1', deliver)).rejects.toThrow();
  expect(deliver).not.toHaveBeenCalled();
  expect(await ledger.once('journey-d/term-1/welcome#1', deliver)).toBe('sent');
});

test('the ledger forgets deliveries done longer ago than it keeps them, and nothing newer', async () => {
  await ledger.once('journey-e/term-1/old#1', () => Promise.resolve('old'));
  await ledger.once('journey-e/term-1/new#1', () => Promise.resolve('new'));
  await db.query("UPDATE deliveries SET delivered_at = now() - interval '401 days' WHERE key = 'journey-e/term-1/old#1'");
  expect(await ledger.prune(400)).toBe(1);
  const kept = await db.query("SELECT key FROM deliveries WHERE key LIKE 'journey-e/%'");
  expect(kept.rows).toEqual([{ key: 'journey-e/term-1/new#1' }]);
});

describe('a delivery with a point of no return (an email: its end of data)', () => {
  const refused = (err: unknown) => (err as { responseCode?: number }).responseCode !== undefined;
  /** An attempt that reaches `step` and then never goes on, as a worker SIGKILLed there. */
  async function attemptStoppedAt(key: string, step: 'before the point' | 'past the point'): Promise<void> {
    let stopped!: () => void;
    const reached = new Promise<void>((resolve) => (stopped = resolve));
    void ledger.onceWithPointOfNoReturn(
      key,
      async (pointOfNoReturn) => {
        if (step === 'past the point') await pointOfNoReturn();
        stopped();
        return new Promise<string>(() => undefined);
      },
      refused,
    );
    await reached;
  }

  test('cut short before it, it is delivered again by the retry, and the attempt it took over cannot pass it any more', async () => {
    let overtaken!: () => Promise<void>;
    const first = ledger.onceWithPointOfNoReturn(
      'journey-f/term-1/welcome#1',
      (pointOfNoReturn) => {
        overtaken = pointOfNoReturn;
        return new Promise<string>(() => undefined);
      },
      refused,
    );
    void first;
    await eventuallyDefined(() => overtaken);
    const deliver = jest.fn((pointOfNoReturn: () => Promise<void>) => pointOfNoReturn().then(() => 'sent by the retry'));
    expect(await ledger.onceWithPointOfNoReturn('journey-f/term-1/welcome#1', deliver, refused)).toBe('sent by the retry');
    expect(deliver).toHaveBeenCalledTimes(1);
    await expect(overtaken()).rejects.toThrow(/a newer attempt of this delivery took it over/);
    expect(await ledger.onceWithPointOfNoReturn('journey-f/term-1/welcome#1', deliver, refused)).toBe('sent by the retry');
    expect(deliver).toHaveBeenCalledTimes(1);
  });

  test('cut short past it, it is not repeated: the retry fails for good as unconfirmed', async () => {
    await attemptStoppedAt('journey-g/term-1/welcome#1', 'past the point');
    const deliver = jest.fn(() => Promise.resolve('sent again'));
    await expect(ledger.onceWithPointOfNoReturn('journey-g/term-1/welcome#1', deliver, refused)).rejects.toMatchObject({
      type: DELIVERY_UNCONFIRMED,
      nonRetryable: true,
    });
    expect(deliver).not.toHaveBeenCalled();
  });

  test('a failure past it counts as not delivered only when the other side refused', async () => {
    const answered = Object.assign(new Error('451 try again later'), { responseCode: 451 });
    await expect(ledger.onceWithPointOfNoReturn('journey-h/term-1/welcome#1', (p) => p().then(() => Promise.reject(answered)), refused)).rejects.toBe(answered);
    expect(await ledger.onceWithPointOfNoReturn('journey-h/term-1/welcome#1', () => Promise.resolve('sent'), refused)).toBe('sent');

    const cut = Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' });
    await expect(ledger.onceWithPointOfNoReturn('journey-h/term-1/tips#1', (p) => p().then(() => Promise.reject(cut)), refused)).rejects.toBe(cut);
    await expect(ledger.onceWithPointOfNoReturn('journey-h/term-1/tips#1', () => Promise.resolve('sent'), refused)).rejects.toMatchObject({ type: DELIVERY_UNCONFIRMED });
  });

  test('a failure before it removes the intent, so the retry delivers', async () => {
    await attemptStoppedAt('journey-i/term-1/welcome#1', 'before the point');
    await expect(ledger.onceWithPointOfNoReturn('journey-i/term-1/tips#1', () => Promise.reject(new Error('smtp down')), refused)).rejects.toThrow('smtp down');
    const rows = await db.query("SELECT key FROM deliveries WHERE key = 'journey-i/term-1/tips#1'");
    expect(rows.rows).toEqual([]);
    expect(await ledger.onceWithPointOfNoReturn('journey-i/term-1/tips#1', (p) => p().then(() => 'sent'), refused)).toBe('sent');
  });
});

async function eventuallyDefined<T>(read: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i += 1) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('never defined');
}
