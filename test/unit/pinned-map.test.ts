import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JourneyInput } from '../../contracts/journey';
import type { JourneyMap, Touchpoint } from '../../contracts/map';
import { allTouchpoints } from '../../workflows/interpreter/map-lookups';
import { readPinnedMap, type PinnedMap } from '../../workflows/interpreter/pinned-map';
import { defaultMap } from '../helpers/fixtures';

/** Each map shape journeys have pinned, as the replay fixtures hold it, read as today's language. */
function pinnedIn(fixture: string): PinnedMap {
  const history = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'histories', fixture), 'utf8'));
  const payload = history.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
  return (JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as JourneyInput).map;
}
const ofAction = <A extends Touchpoint['action']>(map: JourneyMap, ...actions: A[]) =>
  allTouchpoints(map).filter((t): t is Extract<Touchpoint, { action: A }> => (actions as string[]).includes(t.action));

test('a map of 2026-11-17 (session 1) gets the values that keep what its journeys did', () => {
  const pinned = pinnedIn('default-v1-adopts-and-renews-run1.json');
  expect(pinned).not.toHaveProperty('goals');
  expect(pinned).not.toHaveProperty('delivery');
  const map = readPinnedMap(pinned);
  expect(map.goals).toEqual([]);
  expect(map.delivery).toEqual({});
  expect(ofAction(map, 'email').map((t) => [t.transactional, t.whenCapped])).toEqual(ofAction(map, 'email').map(() => [false, 'delay']));
  // A no-show was recorded and nothing more: no rebooking, no follow-up task.
  expect(ofAction(map, 'call', 'training').map((t) => t.onNoShow)).toEqual(ofAction(map, 'call', 'training').map(() => ({ rebook: 0 })));
  expect(map.stages.flatMap((s) => s.milestones).map((m) => m.onMissed.then)).toEqual(map.stages.flatMap((s) => s.milestones).map(() => []));
  expect(ofAction(map, 'task').every((t) => Array.isArray(t.onOverdue))).toBe(true);
});

test('an early map of 2026-11-24 keeps its goals and gets the rest', () => {
  const pinned = pinnedIn('default-v1-no-show-old-interpreter-20261124-run1.json');
  const map = readPinnedMap(pinned);
  expect(map.goals).toEqual(pinned.goals);
  expect(map.goals.length).toBeGreaterThan(0);
  expect(map.delivery).toEqual({});
  expect(ofAction(map, 'call', 'training').filter((t) => t.action === 'training').map((t) => t.onNoShow)).toEqual([{ rebook: 0 }]);
});

test('a map of today’s shape is read as it is; one from before experiments has none', () => {
  const pinned = pinnedIn('default-v1-adopts-and-renews-20261202-run1.json');
  expect(readPinnedMap(pinned)).toEqual(pinned);
  const beforeExperiments = pinnedIn('default-v1-adopts-and-renews-20261124-run1.json');
  expect(beforeExperiments.experiments).toBeUndefined();
  expect(readPinnedMap(beforeExperiments)).toEqual({ ...beforeExperiments, experiments: [] });
  expect(readPinnedMap(defaultMap)).toEqual(defaultMap);
});
