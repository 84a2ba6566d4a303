/**
 * An experiment's arms compared (the map's `experiments`, each customer's arm an experiment.assigned fact): over
 * the population (first terms of the cohort purchased in the period), per arm, the journeys in it, how many
 * reached the milestone in their first term, and how the first term ended (renewed, churned); each arm against the
 * control arm with the difference and its 95 % confidence interval (./proportions), and whether it is significant
 * yet. Arms are assigned at random (by a hash of the customer id), so unlike the touchpoint effect a significant
 * difference here is evidence of an effect.
 */
import { z } from 'zod';
import '../zod-messages';
import type { Queryable } from '../db/database';
import { analyticsName, type AnalyticsScope } from './filters';
import { shareDifference, type ShareDifference } from './proportions';
import { rate, SCOPE_SQL, scopeParams } from './scope';

/** The experiment and the milestone its arms are compared on; the control arm is `control` unless named. */
export const experimentQuerySchema = z.object({ experiment: analyticsName, milestone: analyticsName, control: analyticsName.optional() });
export type ExperimentQuery = z.output<typeof experimentQuerySchema>;

export interface ArmFigures {
  arm: string;
  journeys: number;
  reached: number;
  attainment: number | null;
  renewed: number;
  churned: number;
  /** Renewed of the first terms that ended (renewed or churned). */
  renewalRate: number | null;
}

export interface ArmComparison {
  arm: string;
  /** Differences in shares (0.12 = twelve points), rounded to three decimals. */
  attainment?: ShareDifference;
  renewal?: ShareDifference;
  /** In words: the difference, its interval, and whether it is significant yet. */
  verdict: string;
}

export interface ExperimentComparison {
  experiment: string;
  milestone: string;
  control: string;
  arms: ArmFigures[];
  /** Every other arm against the control. */
  comparisons: ArmComparison[];
}

const ARMS_SQL = `
  WITH ${SCOPE_SQL},
  assigned AS (
    SELECT p.journey_id, a.detail ->> 'arm' AS arm FROM population p
    JOIN journey_facts a ON a.journey_id = p.journey_id AND a.kind = 'experiment.assigned' AND a.subject = $9
  ),
  reached AS (
    SELECT DISTINCT r.journey_id FROM journey_facts r JOIN assigned USING (journey_id)
    WHERE r.term = 1 AND r.kind = 'milestone.reached' AND r.subject = $10
  ),
  ended AS (
    SELECT DISTINCT ON (o.journey_id) o.journey_id, o.kind FROM journey_facts o JOIN assigned USING (journey_id)
    WHERE o.term = 1 AND o.kind IN ('outcome.renewed', 'outcome.churned')
    ORDER BY o.journey_id, o.at
  )
  SELECT a.arm, count(*)::int AS journeys, count(r.journey_id)::int AS reached,
    count(*) FILTER (WHERE e.kind = 'outcome.renewed')::int AS renewed,
    count(*) FILTER (WHERE e.kind = 'outcome.churned')::int AS churned
  FROM assigned a LEFT JOIN reached r USING (journey_id) LEFT JOIN ended e USING (journey_id)
  GROUP BY a.arm ORDER BY a.arm`;

const round = (value: number) => Math.round(value * 1000) / 1000;
const rounded = (d: ShareDifference | undefined) => d && { difference: round(d.difference), low: round(d.low), high: round(d.high), significant: d.significant };
const points = (share: number) => `${share >= 0 ? '+' : '−'}${Math.abs(share * 100).toFixed(1)}`;

export async function compareArms(db: Queryable, scope: AnalyticsScope, query: ExperimentQuery): Promise<ExperimentComparison> {
  const { rows } = await db.query<{ arm: string; journeys: number; reached: number; renewed: number; churned: number }>(ARMS_SQL, [
    ...scopeParams(scope),
    query.experiment,
    query.milestone,
  ]);
  const arms: ArmFigures[] = rows.map((row) => ({
    ...row,
    attainment: rate(row.reached, row.journeys),
    renewalRate: rate(row.renewed, row.renewed + row.churned),
  }));
  const control = query.control ?? 'control';
  const base = arms.find((a) => a.arm === control);
  const comparisons = arms
    .filter((a) => a.arm !== control)
    .map((arm): ArmComparison => {
      if (!base) return { arm: arm.arm, verdict: `${arm.arm} against ${control}: no journeys in the control arm yet` };
      const attainment = shareDifference(arm.reached, arm.journeys, base.reached, base.journeys);
      const renewal = shareDifference(arm.renewed, arm.renewed + arm.churned, base.renewed, base.renewed + base.churned);
      const said = attainment
        ? `${points(attainment.difference)} points reaching ${query.milestone} (95 % CI ${points(attainment.low)} to ${points(attainment.high)}): ${attainment.significant ? 'significant' : 'not yet significant'}`
        : 'no journeys to compare yet';
      return { arm: arm.arm, attainment: rounded(attainment), renewal: rounded(renewal), verdict: `${arm.arm} against ${control}: ${said}` };
    });
  return { experiment: query.experiment, milestone: query.milestone, control, arms, comparisons };
}
