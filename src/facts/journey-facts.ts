/**
 * Journey facts in the engine database: what each journey did (append-only, once per fact key), each
 * journey as it stands, and every open task by owner.
 *
 * Safe however batches arrive: a fact's key is its primary key (a retried or replayed batch adds nothing),
 * and a journey's row and open tasks change only with a batch of a higher sequence (one that arrives late,
 * after a newer one, leaves them as they are). Both hold under concurrent writers: the constraint decides,
 * not a read before the write.
 */
import type { FactBatch, FactKind, JourneyFact } from '../../contracts/facts';
import type { OwnerTask } from '../../contracts/journey';
import type { MapReviewTask } from '../../contracts/map-review';
import { DAY_MS } from '../../contracts/time';
import type { Database } from '../db/database';

/** Where journeys record what they did; written by the recordJourneyFacts activity. */
export interface JourneyFactStore {
  /**
   * Records a batch in one transaction: facts already recorded are left as they are. Returns the facts this batch
   * added (committed), none of those recorded before: what the worker's metrics count.
   */
  record(batch: FactBatch): Promise<JourneyFact[]>;
}

/** How many running journeys stand in one stage of one map, at risk or not. */
export interface StageCount {
  mapId: string;
  stage: string;
  atRisk: boolean;
  journeys: number;
}

/** What the API's metrics read: running journeys by map, stage and risk, from the journeys table (every worker's). */
export interface JourneyStageReader {
  journeysByStage(): Promise<StageCount[]>;
}

/** An owner's task as the worklist shows it: a journey's task and whose journey it is, or a map's review (src/facts/map-review-tasks.ts). */
export type ListedTask = (OwnerTask & { customerId: string }) | MapReviewTask;

/** What the API reads: owners' worklists, from the open tasks and the task.completed facts. */
export interface TaskReader {
  /** Open tasks of one owner (any case), or of everybody, by due date. */
  openTasks(owner?: string): Promise<ListedTask[]>;
  /** Tasks the owner completed, by due date. */
  doneTasks(owner: string): Promise<ListedTask[]>;
}

/** What the journeys list reads beside Temporal's visibility store, which holds no company names. */
export interface CompanyReader {
  /** Each customer's company as their latest journey recorded it; a customer whose journey has recorded nothing yet is absent. */
  companiesOf(customerIds: readonly string[]): Promise<Map<string, string>>;
}

/** What a customer's timeline reads: the facts of their latest journey. */
export interface JourneyHistoryReader {
  /** The facts of the customer's latest journey (a returning customer's earlier journey is another), oldest first. */
  factsOfLatestJourney(customerId: string): Promise<RecordedFact[]>;
}

export type RecordedFact = JourneyFact & { journeyId: string; customerId: string; segment: string; plan: string; recordedAt: string };

interface FactRow {
  fact_key: string;
  journey_id: string;
  customer_id: string;
  kind: FactKind;
  subject: string;
  at: Date;
  term: number;
  map_id: string;
  map_version: number;
  segment: string;
  plan: string;
  detail: Record<string, unknown>;
  recorded_at: Date;
}

const factFromRow = (row: FactRow): RecordedFact => ({
  key: row.fact_key,
  journeyId: row.journey_id,
  customerId: row.customer_id,
  kind: row.kind,
  subject: row.subject,
  at: row.at.toISOString(),
  term: row.term,
  mapId: row.map_id,
  mapVersion: row.map_version,
  segment: row.segment,
  plan: row.plan,
  detail: row.detail,
  recordedAt: row.recorded_at.toISOString(),
});

export class PgJourneyFacts implements JourneyFactStore, TaskReader, JourneyStageReader, JourneyHistoryReader, CompanyReader {
  constructor(private readonly db: Database) {}

  async record(batch: FactBatch): Promise<JourneyFact[]> {
    const { journeyId, customerId, segment, plan, sequence, snapshot, openTasks } = batch;
    // One round trip: the statements are in the database's record_journey_batch (src/db/migrations.ts, 0007).
    // Facts, snapshot and tasks go as one JSON parameter each, however many rows.
    const { rows } = await this.db.query<{ added: string[] }>('SELECT record_journey_batch($1, $2, $3, $4, $5, $6, $7, $8) AS added', [
      JSON.stringify(batch.facts),
      journeyId,
      customerId,
      segment,
      plan,
      sequence,
      // A batch from a worker older than journey day lengths: a real day.
      snapshot ? JSON.stringify({ ...snapshot, dayMs: snapshot.dayMs ?? DAY_MS }) : null,
      openTasks ? JSON.stringify(openTasks) : null,
    ]);
    const keys = new Set(rows[0]!.added);
    return batch.facts.filter((fact) => keys.has(fact.key));
  }

  async journeysByStage(): Promise<StageCount[]> {
    const { rows } = await this.db.query<{ map_id: string; stage: string; at_risk: boolean; journeys: number }>(
      `SELECT map_id, stage, at_risk, count(*)::int AS journeys FROM journeys WHERE status = 'running'
       GROUP BY map_id, stage, at_risk ORDER BY map_id, stage, at_risk`,
    );
    return rows.map((row) => ({ mapId: row.map_id, stage: row.stage, atRisk: row.at_risk, journeys: row.journeys }));
  }

  async openTasks(owner?: string): Promise<ListedTask[]> {
    const { rows } = await this.db.query<{ task: OwnerTask; customer_id: string }>(
      `SELECT task, customer_id FROM open_tasks WHERE ($1::text IS NULL OR owner_email = lower($1)) ORDER BY due_at, task_id`,
      [owner ?? null],
    );
    return rows.map((row) => ({ ...row.task, customerId: row.customer_id }));
  }

  async doneTasks(owner: string): Promise<ListedTask[]> {
    // A task.completed fact holds the task as it was completed (see workflows/interpreter/facts.ts).
    const { rows } = await this.db.query<{ detail: OwnerTask; customer_id: string }>(
      `SELECT detail, customer_id FROM journey_facts
       WHERE kind = 'task.completed' AND lower(detail -> 'owner' ->> 'email') = lower($1)
       ORDER BY (detail ->> 'dueAt')::timestamptz, subject`,
      [owner],
    );
    return rows.map((row) => ({ ...row.detail, customerId: row.customer_id }));
  }

  async factsOfLatestJourney(customerId: string): Promise<RecordedFact[]> {
    const { rows } = await this.db.query<FactRow>(
      `SELECT f.* FROM journey_facts f
        WHERE f.journey_id = (SELECT journey_id FROM journeys WHERE customer_id = $1 ORDER BY started_at DESC LIMIT 1)
        ORDER BY f.at, f.fact_key`,
      [customerId],
    );
    return rows.map(factFromRow);
  }

  async companiesOf(customerIds: readonly string[]): Promise<Map<string, string>> {
    if (customerIds.length === 0) return new Map();
    const { rows } = await this.db.query<{ customer_id: string; company: string }>(
      'SELECT DISTINCT ON (customer_id) customer_id, company FROM journeys WHERE customer_id = ANY($1::text[]) ORDER BY customer_id, started_at DESC',
      [customerIds],
    );
    return new Map(rows.map((row) => [row.customer_id, row.company]));
  }

  /** Every fact of one journey, in the order they happened. */
  async factsOfJourney(journeyId: string): Promise<RecordedFact[]> {
    const { rows } = await this.db.query<FactRow>('SELECT * FROM journey_facts WHERE journey_id = $1 ORDER BY at, fact_key', [journeyId]);
    return rows.map(factFromRow);
  }
}
