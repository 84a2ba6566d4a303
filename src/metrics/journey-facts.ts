/**
 * Touchpoints and milestones counted from the journey facts a worker records (the recordJourneyFacts activity):
 * only the facts a batch added to the engine database, so a retried or replayed batch counts nothing again. Each
 * worker counts what it recorded; Prometheus sums the workers.
 */
import { Counter, type Registry } from 'prom-client';
import type { JourneyFact } from '../../contracts/facts';
import type { Touchpoint } from '../../contracts/map';

/** Every touchpoint action (the compiler insists a new action is named here): any other value in a fact is 'other'. */
const ACTIONS: Record<Touchpoint['action'], true> = { email: true, call: true, training: true, task: true, webhook: true };

export type TouchpointSample = { metric: 'touchpoint'; labels: { map: string; action: string; result: string } };
export type MilestoneSample = { metric: 'milestone'; labels: { map: string; milestone: string; result: 'reached' | 'missed' } };

/**
 * What one fact adds to the counters, if anything. A touchpoint's fact names its action in its detail
 * (`touchpoint.done` and the like: email, call, training, task, webhook); an attended or missed meeting names
 * its kind (call or training). A milestone's fact names no action (a milestone has none): it is counted by id.
 */
export function factSample(fact: JourneyFact): TouchpointSample | MilestoneSample | undefined {
  const [family, result] = fact.kind.split('.') as [string, string | undefined];
  if (family === 'touchpoint' && result) return { metric: 'touchpoint', labels: { map: fact.mapId, action: actionOf(fact.detail.action), result } };
  if (family === 'meeting' && result) return { metric: 'touchpoint', labels: { map: fact.mapId, action: actionOf(fact.detail.kind), result } };
  if (fact.kind === 'milestone.reached' || fact.kind === 'milestone.missed') {
    return { metric: 'milestone', labels: { map: fact.mapId, milestone: fact.subject, result: fact.kind === 'milestone.reached' ? 'reached' : 'missed' } };
  }
  return undefined;
}

function actionOf(value: unknown): string {
  return typeof value === 'string' && Object.hasOwn(ACTIONS, value) ? value : 'other';
}

/** The counters, in `registry`; `count` takes the facts a batch added. */
export function journeyFactCounters(registry: Registry): { count: (facts: readonly JourneyFact[]) => void } {
  const touchpoints = new Counter({
    name: 'journey_touchpoints_total',
    help:
      'Touchpoints this worker recorded, by map, action (email, call, training, task, webhook) and result (done, failed, skipped, ' +
      'unconfirmed; attended and no-show for meetings); from the journey facts it added, so a retried or replayed batch counts once',
    labelNames: ['map', 'action', 'result'] as const,
    registers: [registry],
  });
  const milestones = new Counter({
    name: 'journey_milestones_total',
    help: 'Milestones this worker recorded reached or missed, by map and milestone id; from the journey facts it added',
    labelNames: ['map', 'milestone', 'result'] as const,
    registers: [registry],
  });
  return {
    count(facts) {
      for (const fact of facts) {
        const sample = factSample(fact);
        if (sample?.metric === 'touchpoint') touchpoints.inc(sample.labels);
        else if (sample?.metric === 'milestone') milestones.inc(sample.labels);
      }
    },
  };
}
