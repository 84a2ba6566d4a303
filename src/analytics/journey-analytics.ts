/**
 * Analytics over journey facts (docs/ARCHITECTURE.md, "Journey facts"): what the API's /v1/analytics routes
 * and `journeys report` answer, each figure one query (or a few) over the engine database. An answer made of
 * several queries reads them all from one snapshot, so its numbers agree with each other.
 */
import { onOneSnapshot, type Database } from '../db/database';
import { milestoneAttainment, type MilestoneAttainment } from './attainment';
import { compareArms, type ExperimentComparison, type ExperimentQuery } from './experiments';
import { scopeOf, type AnalyticsFilter } from './filters';
import { stageFunnel, type FunnelStage } from './funnel';
import { mapJourneys, type MapJourneys, type MapJourneysQuery } from './map-journeys';
import { outcomes, type Outcomes } from './outcomes';
import { touchpointEffect, type TouchpointEffect, type TouchpointEffectQuery } from './touchpoint-effect';
import { touchpointFigures, type TouchpointFigures } from './touchpoints';

/** Every answer says what it was taken over: the filter as given. */
export type Answer<T> = { filter: AnalyticsFilter } & T;

export interface Report {
  filter: AnalyticsFilter;
  stages: FunnelStage[];
  milestones: MilestoneAttainment[];
  touchpoints: TouchpointFigures[];
  outcomes: Outcomes;
}

export class JourneyAnalytics {
  constructor(private readonly db: Database) {}

  async funnel(filter: AnalyticsFilter): Promise<Answer<{ stages: FunnelStage[] }>> {
    return { filter, stages: await stageFunnel(this.db, scopeOf(filter)) };
  }

  async milestones(filter: AnalyticsFilter): Promise<Answer<{ milestones: MilestoneAttainment[] }>> {
    return { filter, milestones: await onOneSnapshot(this.db, (snapshot) => milestoneAttainment(snapshot, scopeOf(filter))) };
  }

  async touchpoints(filter: AnalyticsFilter): Promise<Answer<{ touchpoints: TouchpointFigures[] }>> {
    return { filter, touchpoints: await touchpointFigures(this.db, scopeOf(filter)) };
  }

  async outcomes(filter: AnalyticsFilter): Promise<Answer<Outcomes>> {
    return { filter, ...(await onOneSnapshot(this.db, (snapshot) => outcomes(snapshot, scopeOf(filter)))) };
  }

  async touchpointEffect(filter: AnalyticsFilter, query: TouchpointEffectQuery): Promise<Answer<TouchpointEffect>> {
    return { filter, ...(await onOneSnapshot(this.db, (snapshot) => touchpointEffect(snapshot, scopeOf(filter), query))) };
  }

  async experiment(filter: AnalyticsFilter, query: ExperimentQuery): Promise<Answer<ExperimentComparison>> {
    return { filter, ...(await compareArms(this.db, scopeOf(filter), query)) };
  }

  /** The journeys behind a stage's or a milestone's number on the live map. */
  async journeys(filter: AnalyticsFilter, query: MapJourneysQuery): Promise<Answer<MapJourneys>> {
    return { filter, ...(await mapJourneys(this.db, scopeOf(filter), query)) };
  }

  /** Everything but the touchpoint effect (which needs a milestone and a touchpoint), at once. */
  async report(filter: AnalyticsFilter): Promise<Report> {
    const scope = scopeOf(filter);
    return onOneSnapshot(this.db, async (snapshot) => ({
      filter,
      stages: await stageFunnel(snapshot, scope),
      milestones: await milestoneAttainment(snapshot, scope),
      touchpoints: await touchpointFigures(snapshot, scope),
      outcomes: await outcomes(snapshot, scope),
    }));
  }
}
