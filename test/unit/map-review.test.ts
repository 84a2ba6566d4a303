import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { firstReviewDue, isReviewOverdue } from '../../contracts/map-review';
import { MapProblems, parseMap } from '../../src/maps/catalog';
import { catalog, MAPS_DIR, templates } from '../helpers/fixtures';

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
