/**
 * Running journeys by map, stage and risk, read from the engine database's journeys table when Prometheus
 * scrapes: a whole-engine figure (every worker's journeys), not this process's. Its labels are the maps' own
 * ids and stage ids, so their number is bounded by the maps published.
 */
import { Gauge, type Registry } from 'prom-client';
import type { JourneyStageReader } from '../facts/journey-facts';
import type { Logger } from '../logger';

export const JOURNEYS_BY_STAGE = 'journeys_by_stage';

export function journeysByStageGauge(registry: Registry, reader: JourneyStageReader, log?: Logger): void {
  new Gauge({
    name: JOURNEYS_BY_STAGE,
    help:
      'Running journeys by map, stage and at-risk mark, read from the engine database at each scrape: a whole-engine figure ' +
      '(every worker\'s journeys), the same from every API instance, so take one instance\'s value (max), never a sum',
    labelNames: ['map', 'stage', 'at_risk'] as const,
    registers: [registry],
    async collect() {
      try {
        const counts = await reader.journeysByStage();
        this.reset();
        for (const { mapId, stage, atRisk, journeys } of counts) this.set({ map: mapId, stage, at_risk: String(atRisk) }, journeys);
      } catch (err) {
        // The database is down: no figure rather than a stale one, and the rest of the scrape still answers.
        this.reset();
        log?.warn({ err }, `${JOURNEYS_BY_STAGE}: could not read the journeys table`);
      }
    },
  });
}
