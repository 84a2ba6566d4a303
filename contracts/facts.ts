/**
 * Journey facts: what each journey did, recorded once each in the engine database beside Temporal, so
 * funnels, attainment and worklists are read from one table instead of by querying journeys one by one.
 */
import type { OwnerTask } from './journey';

export const FACT_KINDS = [
  'stage.entered',
  'stage.left',
  'milestone.reached',
  'milestone.missed',
  'touchpoint.done',
  'touchpoint.failed',
  'touchpoint.skipped',
  'touchpoint.unconfirmed',
  'meeting.attended',
  'meeting.no-show',
  'task.opened',
  'task.completed',
  'risk.marked',
  'goal.met',
  'goal.missed',
  'outcome.renewed',
  'outcome.churned',
  'migration',
  'outcome.cancelled',
  'journey.paused',
  'journey.resumed',
  'experiment.assigned',
] as const;

export type FactKind = (typeof FACT_KINDS)[number];

/** One thing a journey did. */
export interface JourneyFact {
  /**
   * Deterministic: the same fact always has the same key, however often an activity retries or a worker
   * replays the journey, so it is stored once (the table's primary key).
   */
  key: string;
  kind: FactKind;
  /** What it is about: the stage, milestone, goal or task id, the touchpoint occurrence key, the map version moved to. */
  subject: string;
  /** When it happened (ISO instant, on the journey's clock). */
  at: string;
  term: number;
  mapId: string;
  mapVersion: number;
  /** What else a reader needs: a stage's exit reason, a touchpoint's result, a task's title and owner. */
  detail: Record<string, unknown>;
}

/** The journey as it stands, for "how many are in each stage now" without querying every journey. */
export interface JourneySnapshot {
  customerId: string;
  company: string;
  mapId: string;
  mapVersion: number;
  segment: string;
  plan: string;
  term: number;
  stage: string;
  atRisk: boolean;
  status: 'running' | 'churned' | 'cancelled';
  startedAt: string;
  /** How long a journey day lasts (less on a demo clock): analytics count days on the journey's own clock. Absent from older workers' batches. */
  dayMs?: number;
}

/** What one workflow task hands the engine database: new facts, and the snapshot and open tasks if they changed. */
export interface FactBatch {
  /** One journey of one customer: its workflow id and first run id (a returning customer's next journey is another). */
  journeyId: string;
  /** Stored with every fact, so attainment by segment or plan needs no join. */
  customerId: string;
  segment: string;
  plan: string;
  /** One more with each batch of this journey: an older batch arriving late never overwrites a newer snapshot. */
  sequence: number;
  facts: JourneyFact[];
  snapshot?: JourneySnapshot;
  /** Every open task of the journey now, when they changed (opened, completed, moved to another owner). */
  openTasks?: OwnerTask[];
}
