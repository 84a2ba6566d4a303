/**
 * Milestone attainment: reached on time, late or without a due time, and missed (and not reached since), in
 * the period; the median and p90 days from the purchase (the term's start: the purchase, or the renewal that
 * began the term) and from entering the milestone's stage; and the attainment curve by day since purchase.
 */
import type { Queryable } from '../db/database';
import type { AnalyticsScope } from './filters';
import { daysBetween, percentiles, rate, SCOPE_SQL, scopeParams, spread } from './scope';

/** How far a curve goes: a year of days at most. */
export const CURVE_DAYS = 365;

export interface CurvePoint {
  day: number;
  /** Journeys of the population that reached it within `day` days of their purchase, and their share of it. */
  reached: number;
  rate: number | null;
}

export interface MilestoneAttainment {
  milestone: string;
  name: string | null;
  /** Reached in the period: by its due time, after it, and reached where it had no due time. */
  reached: { total: number; onTime: number; late: number; withoutDueTime: number };
  /** Missed in the period and not reached since. */
  missed: number;
  /** Shares of reached + missed (the milestones decided in the period). */
  rates: { onTime: number | null; late: number | null; missed: number | null };
  daysFromPurchase: { median: number | null; p90: number | null };
  /** From the last entry into the milestone's stage before it was reached (those reached before entering it aside). */
  daysFromStageEntry: { median: number | null; p90: number | null };
  /**
   * Over the population (first terms of the cohort purchased in the period): the share that reached it
   * within each day since purchase, from day 0 to the last day one reached it.
   */
  curve: { population: number; points: CurvePoint[] };
}

interface AttainmentRow {
  milestone: string;
  name: string | null;
  reached: number | null;
  on_time: number | null;
  late: number | null;
  without_due: number | null;
  missed: number | null;
  purchase_median: number | null;
  purchase_p90: number | null;
  stage_median: number | null;
  stage_p90: number | null;
}

const ATTAINMENT_SQL = `
  WITH ${SCOPE_SQL},
  reached AS (
    SELECT f.subject AS milestone, f.detail, f.at, f.day_ms,
      coalesce(ts.started_at, CASE WHEN f.term = 1 THEN f.purchased_at END) AS term_started_at,
      (SELECT max(e.at) FROM journey_facts e
       WHERE e.journey_id = f.journey_id AND e.term = f.term AND e.kind = 'stage.entered'
         AND e.subject = f.detail ->> 'stage' AND e.at <= f.at) AS stage_entered_at
    FROM scoped_facts f
    LEFT JOIN term_starts ts ON ts.journey_id = f.journey_id AND ts.term = f.term
    WHERE f.kind = 'milestone.reached'
  ),
  reached_by_milestone AS (
    SELECT milestone, max(detail ->> 'name') AS name, count(*)::int AS reached,
      count(*) FILTER (WHERE detail ->> 'onTime' = 'true')::int AS on_time,
      count(*) FILTER (WHERE detail ->> 'onTime' = 'false')::int AS late,
      count(*) FILTER (WHERE detail ->> 'onTime' IS NULL)::int AS without_due,
      ${percentiles(daysBetween('at', 'term_started_at', 'day_ms'), 'purchase')},
      ${percentiles(daysBetween('at', 'stage_entered_at', 'day_ms'), 'stage')}
    FROM reached GROUP BY milestone
  ),
  missed_by_milestone AS (
    SELECT f.subject AS milestone, max(f.detail ->> 'name') AS name, count(*)::int AS missed
    FROM scoped_facts f
    WHERE f.kind = 'milestone.missed' AND NOT EXISTS (
      SELECT 1 FROM journey_facts r
      WHERE r.journey_id = f.journey_id AND r.kind = 'milestone.reached' AND r.subject = f.subject AND r.at >= f.at)
    GROUP BY f.subject
  )
  SELECT coalesce(r.milestone, m.milestone) AS milestone, coalesce(r.name, m.name) AS name,
    r.reached, r.on_time, r.late, r.without_due, m.missed, r.purchase_median, r.purchase_p90, r.stage_median, r.stage_p90
  FROM reached_by_milestone r FULL JOIN missed_by_milestone m ON m.milestone = r.milestone
  ORDER BY 1`;

/** The first reach of each milestone by each journey of the population, in days since its purchase; counted by day. */
const CURVES_SQL = `
  WITH ${SCOPE_SQL},
  first_reach AS (
    SELECT r.subject AS milestone, min(${daysBetween('r.at', 'p.purchased_at', 'p.day_ms')}) AS days
    FROM population p
    JOIN journey_facts r ON r.journey_id = p.journey_id AND r.kind = 'milestone.reached' AND r.term = 1
    GROUP BY p.journey_id, r.subject
  ),
  per_day AS (
    SELECT milestone, greatest(0, ceil(days))::int AS day, count(*)::int AS n FROM first_reach GROUP BY 1, 2
  ),
  horizon AS (SELECT milestone, least($9::integer, max(day)) AS last_day FROM per_day GROUP BY milestone)
  SELECT h.milestone, d.day, coalesce(sum(pd.n) FILTER (WHERE pd.day <= d.day), 0)::int AS reached
  FROM horizon h
  CROSS JOIN LATERAL generate_series(0, h.last_day) AS d(day)
  LEFT JOIN per_day pd ON pd.milestone = h.milestone
  GROUP BY h.milestone, d.day
  ORDER BY h.milestone, d.day`;

const POPULATION_SQL = `WITH ${SCOPE_SQL} SELECT count(*)::int AS population FROM population`;

export async function milestoneAttainment(db: Queryable, scope: AnalyticsScope): Promise<MilestoneAttainment[]> {
  const params = scopeParams(scope);
  // One after another: on one snapshot (one connection) queries cannot overlap.
  const attained = await db.query<AttainmentRow>(ATTAINMENT_SQL, params);
  const curves = await db.query<{ milestone: string; day: number; reached: number }>(CURVES_SQL, [...params, CURVE_DAYS]);
  const counted = await db.query<{ population: number }>(POPULATION_SQL, params);
  const population = counted.rows[0]?.population ?? 0;
  const points = new Map<string, CurvePoint[]>();
  for (const row of curves.rows) {
    const curve = points.get(row.milestone) ?? [];
    curve.push({ day: row.day, reached: row.reached, rate: rate(row.reached, population) });
    points.set(row.milestone, curve);
  }
  const byId = new Map(attained.rows.map((row) => [row.milestone, row]));
  // A milestone the population reached before the period's facts (or under another version) still has its curve.
  for (const milestone of points.keys()) if (!byId.has(milestone)) byId.set(milestone, emptyRow(milestone));
  return [...byId.values()]
    .sort((a, b) => (a.milestone < b.milestone ? -1 : a.milestone > b.milestone ? 1 : 0))
    .map((row) => {
      const reached = row.reached ?? 0;
      const missed = row.missed ?? 0;
      const decided = reached + missed;
      const record = row as unknown as Record<string, unknown>;
      return {
        milestone: row.milestone,
        name: row.name,
        reached: { total: reached, onTime: row.on_time ?? 0, late: row.late ?? 0, withoutDueTime: row.without_due ?? 0 },
        missed,
        rates: { onTime: rate(row.on_time ?? 0, decided), late: rate(row.late ?? 0, decided), missed: rate(missed, decided) },
        daysFromPurchase: spread(record, 'purchase'),
        daysFromStageEntry: spread(record, 'stage'),
        curve: { population, points: points.get(row.milestone) ?? [] },
      };
    });
}

function emptyRow(milestone: string): AttainmentRow {
  return {
    milestone,
    name: null,
    reached: null,
    on_time: null,
    late: null,
    without_due: null,
    missed: null,
    purchase_median: null,
    purchase_p90: null,
    stage_median: null,
    stage_p90: null,
  };
}
