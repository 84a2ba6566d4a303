import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DELIVERY_UNCONFIRMED } from '../../contracts/failures';
import { importFileStores } from '../../src/db/import-file-stores';
import { PgDeliveryLedger } from '../../src/delivery/ledger';
import { PgSessionCalendar } from '../../src/delivery/session-calendar';
import { PgSuppressionList } from '../../src/delivery/suppressions';
import { freshDatabase } from '../helpers/database';

/** A data folder as the file stores of the version before the engine database left it. */
function oldDataFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'journeys-old-data-'));
  const write = (file: string, record: unknown) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), JSON.stringify(record));
  };
  write('deliveries/a.json', {
    key: 'journey-acme/run-1/term-1/welcome-email#1',
    startedAt: '2026-11-20T10:00:00.000Z',
    result: { messageId: '<a@journeys.local>', to: 'ana@acme.example' },
    deliveredAt: '2026-11-20T10:00:01.000Z',
  });
  // A worker died mid-send: the intent alone.
  write('deliveries/b.json', { key: 'journey-acme/run-1/term-1/login-help#1', startedAt: '2026-11-22T10:00:00.000Z' });
  write('deliveries/c.json.123.tmp', { key: 'half-written' });
  write('suppressions/x.json', { email: 'Bo@Globex.example', customerId: 'globex', at: '2026-11-21T09:00:00.000Z', source: 'link' });
  write('session-calendar/bookings/kickoff.json', {
    bookingId: 'kickoff',
    slot: { personEmail: 'lena@trainers.example', start: '2026-12-07T09:00:00.000Z', end: '2026-12-07T10:00:00.000Z' },
    claims: ['lena%40trainers.example/20261207T0900Z', 'lena%40trainers.example/20261207T0930Z'],
  });
  write('session-calendar/bookings/released.json', { bookingId: 'released', claims: [] });
  writeFileSync(path.join(dir, 'temporal.sqlite'), 'not ours');
  return dir;
}

test('the file stores of an older installation are imported once: no delivery repeated, no unsubscribe forgotten, no booking lost', async () => {
  const db = await freshDatabase();
  const dataDir = oldDataFolder();
  const log = { info: jest.fn() };
  await importFileStores(db, dataDir, log);

  const ledger = new PgDeliveryLedger(db);
  const deliver = jest.fn(() => Promise.resolve({ messageId: '<again@journeys.local>', to: 'ana@acme.example' }));
  // Delivered before the upgrade: the retry gets the first result; begun and never finished: not repeated.
  expect(await ledger.once('journey-acme/run-1/term-1/welcome-email#1', deliver)).toEqual({ messageId: '<a@journeys.local>', to: 'ana@acme.example' });
  await expect(ledger.once('journey-acme/run-1/term-1/login-help#1', deliver)).rejects.toMatchObject({ type: DELIVERY_UNCONFIRMED });
  expect(deliver).not.toHaveBeenCalled();
  expect(await new PgSuppressionList(db).find('bo@globex.example')).toEqual({
    email: 'bo@globex.example',
    customerId: 'globex',
    at: '2026-11-21T09:00:00.000Z',
    source: 'link',
  });
  expect(await new PgSessionCalendar(db).bookingsOf('lena@trainers.example')).toEqual([
    { bookingId: 'kickoff', personEmail: 'lena@trainers.example', start: '2026-12-07T09:00:00.000Z', end: '2026-12-07T10:00:00.000Z' },
  ]);
  expect((await db.query('SELECT count(*)::int AS n FROM deliveries')).rows).toEqual([{ n: 2 }]);

  // The folders are kept, renamed, so the next start imports nothing again; the rest of the folder is untouched.
  for (const folder of ['deliveries', 'suppressions', 'session-calendar']) {
    expect(existsSync(path.join(dataDir, folder))).toBe(false);
    expect(existsSync(path.join(dataDir, `${folder}.imported`))).toBe(true);
  }
  expect(existsSync(path.join(dataDir, 'temporal.sqlite'))).toBe(true);
  expect(log.info.mock.calls.map(([line]) => line)).toEqual([
    expect.stringMatching(/^imported 2 deliveries from /),
    expect.stringMatching(/^imported 1 suppressions from /),
    expect.stringMatching(/^imported 2 bookings from /),
  ]);
  await importFileStores(db, dataDir, log);
  expect(log.info).toHaveBeenCalledTimes(3);
  await db.end();
});
