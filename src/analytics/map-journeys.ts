/**
 * Who stands behind a number of the live map: the journeys in a stage now (the funnel's `now`), or each journey's
 * standing on a milestone in its current term (reached on time, late, without a due time; missed; pending while
 * it runs undecided). Read from the engine database's journeys as they stand, with their companies, so the
 * console lists names without asking Temporal once per journey.
 */
import { z } from 'zod';
import '../zod-messages';
import type { Queryable } from '../db/database';
import { analyticsName, type AnalyticsScope } from './filters';
import { SCOPE_SQL, scopeParams } from './scope';

/** How many journeys one answer lists at most: a page a person reads, not an export. */
export const LISTED_JOURNEYS = 500;

/** A stage or a milestone of the map (as the facts name them): exactly one. */
export const mapJourneysQuerySchema = z
  .object({ stage: analyticsName.optional(), milestone: analyticsName.optional() })
  .superRefine((query, ctx) => {
    if ((query.stage === undefined) === (query.milestone === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['stage'], message: 'name either a stage or a milestone (one of them)' });
    }
  });
export type MapJourneysQuery = z.output<typeof mapJourneysQuerySchema>;

export type MilestoneStanding = 'onTime' | 'late' | 'reached' | 'missed' | 'pending';

export interface ListedJourney {
  customerId: string;
  company: string;
  mapVersion: number;
  term: number;
  stage: string;
  atRisk: boolean;
  /** running, churned or cancelled. */
  status: string;
  /** With `milestone`: where the journey stands on it, and since when (absent while pending). */
  milestone?: { status: MilestoneStanding; at: string | null };
}

export interface MapJourneys {
  stage?: string;
  milestone?: string;
  journeys: ListedJourney[];
  /** More journeys matched than are listed. */
  truncated: boolean;
}

interface Row {
  customer_id: string;
  company: string;
  current_version: number;
  current_term: number;
  stage: string;
  at_risk: boolean;
  status: string;
  kind: string | null;
  on_time: string | null;
  at: Date | null;
}

// The journeys of the cohort on the version asked (as they stand): the same ones the funnel's `now` counts.
const LISTED_SQL = `listed AS (SELECT * FROM cohort WHERE $2::integer IS NULL OR current_version = $2::integer)`;
const COLUMNS = 'l.customer_id, l.company, l.current_version, l.current_term, l.stage, l.at_risk, l.status';

const IN_STAGE_SQL = `
  WITH ${SCOPE_SQL}, ${LISTED_SQL}
  SELECT ${COLUMNS}, NULL AS kind, NULL AS on_time, NULL::timestamptz AS at
  FROM listed l WHERE l.status = 'running' AND l.stage = $9
  ORDER BY l.customer_id LIMIT $10`;

// A reach wins over a miss (reached late after missing it); the latest of each kind. Ended undecided journeys are left out.
const ON_MILESTONE_SQL = `
  WITH ${SCOPE_SQL}, ${LISTED_SQL}
  SELECT ${COLUMNS}, m.kind, m.detail ->> 'onTime' AS on_time, m.at
  FROM listed l
  LEFT JOIN LATERAL (
    SELECT f.kind, f.detail, f.at FROM journey_facts f
    WHERE f.journey_id = l.journey_id AND f.term = l.current_term AND f.subject = $9
      AND f.kind IN ('milestone.reached', 'milestone.missed')
    ORDER BY (f.kind = 'milestone.reached') DESC, f.at DESC LIMIT 1
  ) m ON true
  WHERE m.kind IS NOT NULL OR l.status = 'running'
  ORDER BY l.customer_id LIMIT $10`;

function standing(row: Row): MilestoneStanding {
  if (row.kind === 'milestone.missed') return 'missed';
  if (row.kind !== 'milestone.reached') return 'pending';
  return row.on_time === 'true' ? 'onTime' : row.on_time === 'false' ? 'late' : 'reached';
}

export async function mapJourneys(db: Queryable, scope: AnalyticsScope, query: MapJourneysQuery): Promise<MapJourneys> {
  const subject = query.stage ?? query.milestone;
  const { rows } = await db.query<Row>(query.stage !== undefined ? IN_STAGE_SQL : ON_MILESTONE_SQL, [...scopeParams(scope), subject, LISTED_JOURNEYS + 1]);
  const journeys = rows.slice(0, LISTED_JOURNEYS).map(
    (row): ListedJourney => ({
      customerId: row.customer_id,
      company: row.company,
      mapVersion: row.current_version,
      term: row.current_term,
      stage: row.stage,
      atRisk: row.at_risk,
      status: row.status,
      ...(query.milestone !== undefined ? { milestone: { status: standing(row), at: row.at?.toISOString() ?? null } } : {}),
    }),
  );
  return { ...(query.stage !== undefined ? { stage: query.stage } : { milestone: query.milestone }), journeys, truncated: rows.length > LISTED_JOURNEYS };
}
