/**
 * Did the touchpoint help? Over the population (first terms of the cohort purchased in the period): the
 * journeys that had the touchpoint in their first term against those that did not, and how many of each
 * reached the milestone by each day since purchase. "Had it": done; for a call or training session, attended.
 * An observed difference, not a proven effect: who gets a touchpoint is not random (audiences, step outcomes).
 */
import { z } from 'zod';
import '../zod-messages';
import type { Queryable } from '../db/database';
import { CURVE_DAYS } from './attainment';
import { analyticsName, type AnalyticsScope } from './filters';
import { daysBetween, percentiles, rate, SCOPE_SQL, scopeParams, spread } from './scope';

/** What is compared: a milestone id and a touchpoint id of the map (as the facts name them). */
export const touchpointEffectSchema = z.object({ milestone: analyticsName, touchpoint: analyticsName });
export type TouchpointEffectQuery = z.output<typeof touchpointEffectSchema>;

export interface EffectGroup {
  journeys: number;
  /** Reached the milestone in the first term (at any time), and the share. */
  reached: number;
  rate: number | null;
  /** Days from purchase to the milestone, of those who reached it. */
  daysToMilestone: { median: number | null; p90: number | null };
  /** Of those with the touchpoint: how many reached the milestone before they had it (the touchpoint could not have helped them). */
  reachedBeforeTouchpoint?: number;
}

export interface TouchpointEffect {
  milestone: string;
  touchpoint: string;
  withTouchpoint: EffectGroup;
  withoutTouchpoint: EffectGroup;
  /** withTouchpoint.rate − withoutTouchpoint.rate: the difference in attainment, in shares. */
  difference: number | null;
  /** From day 0 to the last day either group reached it: each group's count and share reached within that many days. */
  curve: { day: number; withTouchpoint: { reached: number; rate: number | null }; withoutTouchpoint: { reached: number; rate: number | null } }[];
}

const EFFECT_ROWS = `
  had AS (
    SELECT p.journey_id, min(x.at) AS at
    FROM population p
    JOIN LATERAL (
      SELECT t.at FROM journey_facts t
      WHERE t.journey_id = p.journey_id AND t.term = 1 AND t.kind = 'touchpoint.done' AND t.detail ->> 'touchpointId' = $9
        AND coalesce(t.detail ->> 'action', '') NOT IN ('call', 'training')
      UNION ALL
      SELECT m.at FROM journey_facts m
      JOIN journey_facts t ON t.journey_id = m.journey_id AND t.term = m.term AND t.subject = m.detail ->> 'touchpointKey'
        AND t.kind = 'touchpoint.done' AND t.detail ->> 'touchpointId' = $9
      WHERE m.journey_id = p.journey_id AND m.term = 1 AND m.kind = 'meeting.attended'
    ) x ON true
    GROUP BY p.journey_id
  ),
  reach AS (
    SELECT p.journey_id, min(r.at) AS at
    FROM population p
    JOIN journey_facts r ON r.journey_id = p.journey_id AND r.term = 1 AND r.kind = 'milestone.reached' AND r.subject = $10
    GROUP BY p.journey_id
  ),
  effect AS (
    SELECT h.at IS NOT NULL AS had, h.at AS had_at, r.at AS reached_at, ${daysBetween('r.at', 'p.purchased_at', 'p.day_ms')} AS days
    FROM population p LEFT JOIN had h USING (journey_id) LEFT JOIN reach r USING (journey_id)
  )`;

const GROUPS_SQL = `
  WITH ${SCOPE_SQL}, ${EFFECT_ROWS}
  SELECT had, count(*)::int AS journeys, count(reached_at)::int AS reached,
    count(*) FILTER (WHERE reached_at < had_at)::int AS reached_before, ${percentiles('days', 'days')}
  FROM effect GROUP BY had`;

const CURVE_SQL = `
  WITH ${SCOPE_SQL}, ${EFFECT_ROWS},
  per_day AS (SELECT had, greatest(0, ceil(days))::int AS day, count(*)::int AS n FROM effect WHERE days IS NOT NULL GROUP BY 1, 2),
  horizon AS (SELECT least($11::integer, max(day)) AS last_day FROM per_day)
  SELECT d.day,
    coalesce(sum(pd.n) FILTER (WHERE pd.had AND pd.day <= d.day), 0)::int AS with_reached,
    coalesce(sum(pd.n) FILTER (WHERE NOT pd.had AND pd.day <= d.day), 0)::int AS without_reached
  FROM horizon h
  CROSS JOIN LATERAL generate_series(0, h.last_day) AS d(day)
  CROSS JOIN per_day pd
  GROUP BY d.day ORDER BY d.day`;

interface GroupRow {
  had: boolean;
  journeys: number;
  reached: number;
  reached_before: number;
  days_median: number | null;
  days_p90: number | null;
}

export async function touchpointEffect(db: Queryable, scope: AnalyticsScope, query: TouchpointEffectQuery): Promise<TouchpointEffect> {
  const params = [...scopeParams(scope), query.touchpoint, query.milestone];
  // One after another: on one snapshot (one connection) queries cannot overlap.
  const groups = await db.query<GroupRow>(GROUPS_SQL, params);
  const curve = await db.query<{ day: number; with_reached: number; without_reached: number }>(CURVE_SQL, [...params, CURVE_DAYS]);
  const group = (had: boolean): EffectGroup => {
    const row = groups.rows.find((r) => r.had === had);
    const journeys = row?.journeys ?? 0;
    const reached = row?.reached ?? 0;
    return {
      journeys,
      reached,
      rate: rate(reached, journeys),
      daysToMilestone: row ? spread(row as unknown as Record<string, unknown>, 'days') : { median: null, p90: null },
      ...(had ? { reachedBeforeTouchpoint: row?.reached_before ?? 0 } : {}),
    };
  };
  const withTouchpoint = group(true);
  const withoutTouchpoint = group(false);
  const difference =
    withTouchpoint.journeys === 0 || withoutTouchpoint.journeys === 0
      ? null
      : Math.round((withTouchpoint.reached / withTouchpoint.journeys - withoutTouchpoint.reached / withoutTouchpoint.journeys) * 1000) / 1000;
  return {
    milestone: query.milestone,
    touchpoint: query.touchpoint,
    withTouchpoint,
    withoutTouchpoint,
    difference,
    curve: curve.rows.map((row) => ({
      day: row.day,
      withTouchpoint: { reached: row.with_reached, rate: rate(row.with_reached, withTouchpoint.journeys) },
      withoutTouchpoint: { reached: row.without_reached, rate: rate(row.without_reached, withoutTouchpoint.journeys) },
    })),
  };
}
