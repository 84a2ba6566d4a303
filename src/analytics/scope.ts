/**
 * The journeys and facts a figure is taken over, as SQL every analytics query starts with, and the numbers
 * as a person reads them. The filter reaches PostgreSQL as parameters $1-$8 only; each query's own
 * parameters follow from $9.
 *
 * - scoped:       journeys of the map (segment and plan as the journey stands), with their purchase: the first
 *                 stage entry of term 1 (a journey begins at its purchase), else the journey's start
 * - cohort:       those purchased in the cohort month
 * - scoped_facts: their facts recorded under the map (and version), whose `at` falls in the period
 * - term_starts:  when each term of each journey began (its first stage entry: the purchase, or the renewal)
 * - population:   what curves are taken over: first terms of the cohort, started on the version asked,
 *                 purchased in the period
 */
import type { AnalyticsScope } from './filters';

export const SCOPE_SQL = `
  scoped AS (
    SELECT j.journey_id, j.customer_id, j.company, j.term AS current_term, j.stage, j.at_risk, j.status,
           j.map_version AS current_version, j.day_ms,
           coalesce(p.purchased_at, j.started_at) AS purchased_at,
           coalesce(p.started_version, j.map_version) AS started_version
    FROM journeys j
    LEFT JOIN LATERAL (
      SELECT f.at AS purchased_at, f.map_version AS started_version FROM journey_facts f
      WHERE f.journey_id = j.journey_id AND f.kind = 'stage.entered' AND f.term = 1
      ORDER BY f.at, f.fact_key LIMIT 1
    ) p ON true
    WHERE j.map_id = $1 AND ($3::text IS NULL OR j.segment = $3) AND ($4::text IS NULL OR j.plan = $4)
  ),
  cohort AS (
    SELECT * FROM scoped
    WHERE $5::timestamptz IS NULL OR (purchased_at >= $5::timestamptz AND purchased_at < $6::timestamptz)
  ),
  scoped_facts AS (
    SELECT f.*, c.purchased_at, c.day_ms FROM journey_facts f JOIN cohort c USING (journey_id)
    WHERE f.map_id = $1 AND ($2::integer IS NULL OR f.map_version = $2::integer)
      AND ($7::timestamptz IS NULL OR f.at >= $7::timestamptz) AND ($8::timestamptz IS NULL OR f.at < $8::timestamptz)
  ),
  term_starts AS (
    SELECT f.journey_id, f.term, min(f.at) AS started_at
    FROM journey_facts f JOIN cohort c USING (journey_id)
    WHERE f.kind = 'stage.entered'
    GROUP BY f.journey_id, f.term
  ),
  population AS (
    SELECT * FROM cohort
    WHERE ($2::integer IS NULL OR started_version = $2::integer)
      AND ($7::timestamptz IS NULL OR purchased_at >= $7::timestamptz) AND ($8::timestamptz IS NULL OR purchased_at < $8::timestamptz)
  )`;

/** The filter as $1-$8 of SCOPE_SQL. */
export function scopeParams(scope: AnalyticsScope): unknown[] {
  return [
    scope.mapId,
    scope.mapVersion ?? null,
    scope.segment ?? null,
    scope.plan ?? null,
    scope.cohort?.start.toISOString() ?? null,
    scope.cohort?.end.toISOString() ?? null,
    scope.from?.toISOString() ?? null,
    scope.to?.toISOString() ?? null,
  ];
}

/**
 * Days between two instants in SQL, as a number of days on the journey's clock: `dayMs` names the column holding
 * its day length (86 400 000 ms, or less on a demo clock), so a demo's journeys read as the days they played.
 */
export const daysBetween = (later: string, earlier: string, dayMs: string): string =>
  `(extract(epoch FROM (${later}) - (${earlier})) * 1000 / ${dayMs})::float8`;

/** The median and 90th percentile of a days expression, as columns `<name>_median` and `<name>_p90`. */
export const percentiles = (days: string, name: string, filter = 'true'): string =>
  `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${days}) FILTER (WHERE ${filter}) AS ${name}_median,
   percentile_cont(0.9) WITHIN GROUP (ORDER BY ${days}) FILTER (WHERE ${filter}) AS ${name}_p90`;

/** Days as people read them: one decimal; null when there is nothing to measure. */
export function days(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  return Math.round(Number(value) * 10) / 10;
}

/** A share 0..1 with three decimals; null when there is nothing to divide by. */
export function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 1000) / 1000;
}

/** The median and p90 of a row's `<name>_median` and `<name>_p90` columns, in days. */
export function spread(row: Record<string, unknown>, name: string): { median: number | null; p90: number | null } {
  return { median: days(row[`${name}_median`] as number | null), p90: days(row[`${name}_p90`] as number | null) };
}
