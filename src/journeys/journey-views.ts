/** What the journey service answers and takes besides the contracts' own types: started journeys, listings, migrations. */
import type { MigrationPlan } from '../../contracts/journey';

export interface StartedJourney {
  workflowId: string;
  /** False when the customer already had a journey: the purchase was delivered before. */
  created: boolean;
  map: { id: string; version: number };
}

export interface JourneySummary {
  customerId: string;
  workflowId: string;
  status: string;
  stage?: string;
  segment?: string;
  atRisk?: boolean;
  term?: number;
  map?: string;
  owners?: string[];
  startedAt: string;
  /** From the engine database (Temporal's visibility store holds no names): absent until the journey first recorded its facts. */
  company?: string;
}

/** A migration of journeys in flight to a published map version. */
export interface MigrationOrder {
  mapId: string;
  toVersion: number;
  /** A visibility query narrowing the journeys (e.g. `CustomerSegment = "enterprise"`); all running ones otherwise. */
  query?: string;
  dryRun?: boolean;
  stageMapping?: Record<string, string>;
  milestoneMapping?: Record<string, string>;
}

export interface MigrationResult {
  customerId: string;
  workflowId: string;
  outcome: 'migrated' | 'would migrate' | 'refused';
  plan?: MigrationPlan;
  reason?: string;
}

/** Filters for GET /v1/journeys, turned into a Temporal visibility query. */
export interface JourneyFilter {
  /** Running journeys unless `all`, which adds ended ones (each customer's latest run). */
  status?: 'running' | 'all';
  stage?: string;
  segment?: string;
  owner?: string;
  atRisk?: boolean;
}
