/**
 * The stage funnel: how many journeys entered each stage in the period, how many are in it now, and how long
 * those who left it in the period had spent in it.
 */
import type { Queryable } from '../db/database';
import type { AnalyticsScope } from './filters';
import { daysBetween, percentiles, SCOPE_SQL, scopeParams, spread } from './scope';

export interface FunnelStage {
  stage: string;
  /** Entries in the period: journeys (each once), entries (a stage entered again in a later term counts again). */
  entered: { journeys: number; entries: number };
  /** Entries that passed the stage over (its entry conditions did not hold): not counted in `entered`. */
  passedOver: number;
  /** Running journeys in the stage as they stand (the period does not apply). */
  now: { journeys: number; atRisk: number };
  /** Stays that ended in the period (passed over ones aside): how many, and their median and p90 in days. */
  daysSpent: { stays: number; median: number | null; p90: number | null };
}

interface FunnelRow {
  stage: string;
  journeys: number | null;
  entries: number | null;
  passed_over: number | null;
  in_now: number | null;
  at_risk_now: number | null;
  stays: number | null;
  spent_median: number | null;
  spent_p90: number | null;
}

const FUNNEL_SQL = `
  WITH ${SCOPE_SQL},
  entries AS (
    SELECT subject AS stage,
      count(DISTINCT journey_id) FILTER (WHERE NOT passed_over)::int AS journeys,
      count(*) FILTER (WHERE NOT passed_over)::int AS entries,
      count(*) FILTER (WHERE passed_over)::int AS passed_over,
      avg(place) AS place
    FROM (
      SELECT subject, journey_id, coalesce(detail ->> 'passedOver', '') = 'true' AS passed_over,
        substring(fact_key FROM '/([0-9]+)$')::int AS place
      FROM scoped_facts WHERE kind = 'stage.entered'
    ) e
    GROUP BY subject
  ),
  stays AS (
    SELECT subject AS stage, count(*)::int AS stays,
      ${percentiles(daysBetween('at', "(detail ->> 'enteredAt')::timestamptz", 'day_ms'), 'spent')}
    FROM scoped_facts
    WHERE kind = 'stage.left' AND coalesce(detail ->> 'passedOver', '') <> 'true'
    GROUP BY subject
  ),
  now AS (
    SELECT stage, count(*)::int AS in_now, count(*) FILTER (WHERE at_risk)::int AS at_risk_now
    FROM cohort
    WHERE status = 'running' AND ($2::integer IS NULL OR current_version = $2::integer)
    GROUP BY stage
  ),
  stages AS (SELECT stage FROM entries UNION SELECT stage FROM stays UNION SELECT stage FROM now)
  SELECT s.stage, e.journeys, e.entries, e.passed_over, n.in_now, n.at_risk_now, st.stays, st.spent_median, st.spent_p90
  FROM stages s
  LEFT JOIN entries e ON e.stage = s.stage
  LEFT JOIN stays st ON st.stage = s.stage
  LEFT JOIN now n ON n.stage = s.stage
  ORDER BY e.place NULLS LAST, s.stage`;

/** Stages in the order journeys go through them (their average place among a term's entries), then by id. */
export async function stageFunnel(db: Queryable, scope: AnalyticsScope): Promise<FunnelStage[]> {
  const { rows } = await db.query<FunnelRow>(FUNNEL_SQL, scopeParams(scope));
  return rows.map((row) => ({
    stage: row.stage,
    entered: { journeys: row.journeys ?? 0, entries: row.entries ?? 0 },
    passedOver: row.passed_over ?? 0,
    now: { journeys: row.in_now ?? 0, atRisk: row.at_risk_now ?? 0 },
    daysSpent: { stays: row.stays ?? 0, ...spread(row as unknown as Record<string, unknown>, 'spent') },
  }));
}
