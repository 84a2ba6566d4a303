import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { parse } from 'yaml';
import { createActivities } from '../../activities';
import { firstReviewDue, isReviewOverdue, type MapReviewTask, type MapReviewTaskInput } from '../../contracts/map-review';
import { PgMapReviewTasks } from '../../src/facts/map-review-tasks';
import { startMailCatcher, type MailCatcher } from '../../src/mail/catcher';
import { MapProblems, parseMap } from '../../src/maps/catalog';
import { testDatabase } from '../helpers/database';
import { catalog, MAPS_DIR, templates, testActivityDeps } from '../helpers/fixtures';

/** Maps name their owner and when they were last reviewed; the owner reviews them at least yearly. */
const defaultMapData = () => parse(readFileSync(path.join(MAPS_DIR, 'default.yaml'), 'utf8'));

/** The problems parseMap reports for a variant of the shipped default map, checked against the shipped team. */
function problemsOf(change: (map: any) => void): { path: string; message: string }[] {
  const map = defaultMapData();
  change(map);
  try {
    parseMap(map, templates, catalog.team);
  } catch (err) {
    if (err instanceof MapProblems) return err.problems;
    throw err;
  }
  return [];
}

test('every shipped map names its owner and when it was last reviewed', () => {
  for (const map of catalog.all()) {
    expect(catalog.team[map.owner!]).toBeDefined();
    expect(map.lastReviewed).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  }
});

test('an owner the team lacks is refused at owner, naming the team', () => {
  expect(problemsOf((map) => (map.owner = 'mapCurator'))).toEqual([
    { path: 'owner', message: 'no one on the team is "mapCurator" (the team has: successManager, accountManager, executiveSponsor, digitalSuccess)' },
  ]);
});

test('a review date that is no date, or in the future, is refused at lastReviewed', () => {
  for (const bad of ['2026-02-30', '15.03.2026', '2026-3-15', 20260315]) {
    expect(problemsOf((map) => (map.lastReviewed = bad))).toEqual([{ path: 'lastReviewed', message: expect.stringMatching(/YYYY-MM-DD|expected string/) }]);
  }
  const nextWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
  expect(problemsOf((map) => (map.lastReviewed = nextWeek))).toEqual([{ path: 'lastReviewed', message: 'must not be in the future' }]);
});

test('a map without an owner or a review date is valid, as maps published before them are', () => {
  expect(problemsOf((map) => {
    delete map.owner;
    delete map.lastReviewed;
  })).toEqual([]);
});

test('a review falls due a year after the last one, at 00:00 UTC; a map never reviewed is due from its publication', () => {
  const published = '2026-06-01T10:00:00.000Z';
  expect(new Date(firstReviewDue({ lastReviewed: '2025-12-02' }, published)).toISOString()).toBe('2026-12-02T00:00:00.000Z');
  // 29 February has no anniversary: due on 1 March.
  expect(new Date(firstReviewDue({ lastReviewed: '2024-02-29' }, published)).toISOString()).toBe('2025-03-01T00:00:00.000Z');
  expect(isReviewOverdue({ lastReviewed: '2025-12-02' }, published, Date.parse('2026-12-01T23:59:59Z'))).toBe(false);
  expect(isReviewOverdue({ lastReviewed: '2025-12-02' }, published, Date.parse('2026-12-02T00:00:00Z'))).toBe(true);
  expect(isReviewOverdue({}, published, Date.parse(published))).toBe(true);
});


describe("the owner's review task, by email over real SMTP", () => {
  let catcher: MailCatcher;
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => undefined) });
  const SAM = 'sam.rivera@success.example';

  beforeAll(async () => {
    catcher = await startMailCatcher({ dir: mkdtempSync(path.join(os.tmpdir(), 'mail-')) });
  });

  afterAll(async () => {
    await catcher.close();
  });

  const open = async (input: MapReviewTaskInput) => {
    const activities = createActivities(testActivityDeps(await testDatabase(), { smtpUrl: `smtp://127.0.0.1:${catcher.port}` }));
    return env.run<[MapReviewTaskInput], MapReviewTask, typeof activities.openMapReviewTask>(activities.openMapReviewTask, input);
  };
  const reviewMail = async (mapId: string) => (await catcher.mailbox.list({ to: SAM })).filter((mail) => mail.text.includes(`(${mapId}, version`));

  test('opening the task emails its owner once, however often it is asked for (a retry, a registry restarted)', async () => {
    const input = { mapId: `emailed-${Date.now().toString(36)}`, mapVersion: 3, mapName: 'Emailed journey', ownerRole: 'successManager', dueAt: '2026-11-01T00:00:00.000Z' };
    const task = await open(input);
    expect(await open(input)).toEqual(task);
    const mail = await reviewMail(input.mapId);
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ to: [SAM], subject: 'Review the journey map Emailed journey', journeyKey: `${task.taskId}/email` });
    expect(mail[0]!.text).toContain('Hello Sam Rivera,');
    expect(mail[0]!.text).toContain(`Emailed journey (${input.mapId}, version 3)`);
    expect(mail[0]!.text).toContain(`Task id: ${task.taskId}`);
    expect(mail[0]!.text).toContain('Due: 2026-11-01T00:00:00.000Z');
  });

  test('a task its owner completed before a retry came is not emailed', async () => {
    const input = { mapId: `done-${Date.now().toString(36)}`, mapVersion: 1, mapName: 'Done journey', ownerRole: 'successManager', dueAt: '2026-11-01T00:00:00.000Z' };
    const store = new PgMapReviewTasks(await testDatabase());
    const opened = await store.open({ title: 'Review the journey map Done journey', owner: { name: 'Sam Rivera', email: SAM }, dueAt: input.dueAt, mapId: input.mapId, mapVersion: 1 });
    await store.complete({ taskId: opened.taskId, outcome: 'reviewed' });
    expect(await open(input)).toMatchObject({ taskId: opened.taskId, status: 'done' });
    expect(await reviewMail(input.mapId)).toEqual([]);
  });
});
