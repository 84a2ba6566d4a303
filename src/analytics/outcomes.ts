/**
 * Outcomes: who is at risk now and why (the risk marks of their current term), goals met or missed in the
 * period, and renewals and churn in the period by the term they ended.
 */
import type { Queryable } from '../db/database';
import type { AnalyticsScope } from './filters';
import { rate, SCOPE_SQL, scopeParams } from './scope';

/** How many at-risk journeys are listed by name; the counts cover them all. */
export const AT_RISK_LISTED = 100;

export interface Outcomes {
  /** As the journeys stand (the period does not apply): running journeys, those at risk, and why. */
  atRisk: {
    running: number;
    atRisk: number;
    rate: number | null;
    /** Each reason with how many at-risk journeys were marked with it this term, most first. */
    reasons: { reason: string; journeys: number }[];
    /** The at-risk journeys (the first AT_RISK_LISTED by customer id), with their reasons and first mark. */
    journeys: { customerId: string; company: string; stage: string; term: number; since: string | null; reasons: string[] }[];
  };
  /** Goals met or missed in the period. */
  goals: { goal: string; name: string | null; met: number; missed: number; rate: number | null }[];
  /** Outcomes in the period by the term they ended: renewal rate = renewed / (renewed + churned). */
  renewals: { term: number; renewed: number; churned: number; rate: number | null }[];
}

const AT_RISK_NOW = `
  at_risk AS (
    SELECT * FROM cohort
    WHERE status = 'running' AND at_risk AND ($2::integer IS NULL OR current_version = $2::integer)
  ),
  marks AS (
    SELECT a.journey_id, f.subject AS reason, f.at
    FROM at_risk a JOIN journey_facts f ON f.journey_id = a.journey_id AND f.kind = 'risk.marked' AND f.term = a.current_term
  )`;

const COUNTS_SQL = `
  WITH ${SCOPE_SQL}
  SELECT count(*)::int AS running, count(*) FILTER (WHERE at_risk)::int AS at_risk
  FROM cohort WHERE status = 'running' AND ($2::integer IS NULL OR current_version = $2::integer)`;

const REASONS_SQL = `
  WITH ${SCOPE_SQL}, ${AT_RISK_NOW}
  SELECT reason, count(DISTINCT journey_id)::int AS journeys FROM marks GROUP BY reason ORDER BY journeys DESC, reason`;

const AT_RISK_JOURNEYS_SQL = `
  WITH ${SCOPE_SQL}, ${AT_RISK_NOW}
  SELECT a.customer_id, a.company, a.stage, a.current_term AS term, min(m.at) AS since,
    coalesce(array_agg(DISTINCT m.reason) FILTER (WHERE m.reason IS NOT NULL), '{}') AS reasons
  FROM at_risk a LEFT JOIN marks m ON m.journey_id = a.journey_id
  GROUP BY a.journey_id, a.customer_id, a.company, a.stage, a.current_term
  ORDER BY a.customer_id, a.journey_id
  LIMIT $9::integer`;

const GOALS_SQL = `
  WITH ${SCOPE_SQL}
  SELECT subject AS goal, max(detail ->> 'name') AS name,
    count(*) FILTER (WHERE kind = 'goal.met')::int AS met, count(*) FILTER (WHERE kind = 'goal.missed')::int AS missed
  FROM scoped_facts WHERE kind IN ('goal.met', 'goal.missed')
  GROUP BY subject ORDER BY subject`;

const RENEWALS_SQL = `
  WITH ${SCOPE_SQL}
  SELECT term, count(*) FILTER (WHERE kind = 'outcome.renewed')::int AS renewed, count(*) FILTER (WHERE kind = 'outcome.churned')::int AS churned
  FROM scoped_facts WHERE kind IN ('outcome.renewed', 'outcome.churned')
  GROUP BY term ORDER BY term`;

export async function outcomes(db: Queryable, scope: AnalyticsScope): Promise<Outcomes> {
  const params = scopeParams(scope);
  // One after another: on one snapshot (one connection) queries cannot overlap.
  const counts = await db.query<{ running: number; at_risk: number }>(COUNTS_SQL, params);
  const reasons = await db.query<{ reason: string; journeys: number }>(REASONS_SQL, params);
  const listed = await db.query<{ customer_id: string; company: string; stage: string; term: number; since: Date | null; reasons: string[] }>(AT_RISK_JOURNEYS_SQL, [
    ...params,
    AT_RISK_LISTED,
  ]);
  const goals = await db.query<{ goal: string; name: string | null; met: number; missed: number }>(GOALS_SQL, params);
  const renewals = await db.query<{ term: number; renewed: number; churned: number }>(RENEWALS_SQL, params);
  const { running = 0, at_risk: atRisk = 0 } = counts.rows[0] ?? {};
  return {
    atRisk: {
      running,
      atRisk,
      rate: rate(atRisk, running),
      reasons: reasons.rows,
      journeys: listed.rows.map((row) => ({
        customerId: row.customer_id,
        company: row.company,
        stage: row.stage,
        term: row.term,
        since: row.since ? row.since.toISOString() : null,
        reasons: [...row.reasons].sort(),
      })),
    },
    goals: goals.rows.map((row) => ({ ...row, rate: rate(row.met, row.met + row.missed) })),
    renewals: renewals.rows.map((row) => ({ ...row, rate: rate(row.renewed, row.renewed + row.churned) })),
  };
}
