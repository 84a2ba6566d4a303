/**
 * GET /v1/analytics/{funnel,milestones,touchpoints,outcomes,touchpoint-effect,experiment,journeys}: figures over journey facts
 * (src/analytics), filtered by the query string (mapId required; mapVersion, segment, plan, cohort, from,
 * to), for keys with journeys:read. A bad filter is a 400 naming the field.
 */
import type express from 'express';
import { ZodError, type z } from 'zod';
import { analyticsFilterSchema, type AnalyticsFilter } from '../analytics/filters';
import type { JourneyAnalytics } from '../analytics/journey-analytics';
import { experimentQuerySchema } from '../analytics/experiments';
import { mapJourneysQuerySchema } from '../analytics/map-journeys';
import { touchpointEffectSchema } from '../analytics/touchpoint-effect';
import type { Scope } from '../auth/scopes';

export const ANALYTICS_ROUTES = ['funnel', 'milestones', 'touchpoints', 'outcomes', 'touchpoint-effect', 'experiment', 'journeys'] as const;

/** The filter and the comparison together: every bad field of both named in one 400. */
function withComparison<T>(query: unknown, comparison: z.ZodType<T>): { filter: AnalyticsFilter; compare: T } {
  const filter = analyticsFilterSchema.safeParse(query);
  const compare = comparison.safeParse(query);
  if (!filter.success || !compare.success) throw new ZodError([...(filter.error?.issues ?? []), ...(compare.error?.issues ?? [])]);
  return { filter: filter.data, compare: compare.data };
}

/** Adds the analytics routes to the app itself (not a sub-router), so they stand in its route table with the others. */
export function addAnalyticsRoutes(app: express.Express, allow: (scope: Scope) => express.RequestHandler, analytics: JourneyAnalytics): void {
  app.get('/v1/analytics/funnel', allow('journeys:read'), async (req, res) => {
    res.json(await analytics.funnel(analyticsFilterSchema.parse(req.query)));
  });
  app.get('/v1/analytics/milestones', allow('journeys:read'), async (req, res) => {
    res.json(await analytics.milestones(analyticsFilterSchema.parse(req.query)));
  });
  app.get('/v1/analytics/touchpoints', allow('journeys:read'), async (req, res) => {
    res.json(await analytics.touchpoints(analyticsFilterSchema.parse(req.query)));
  });
  app.get('/v1/analytics/outcomes', allow('journeys:read'), async (req, res) => {
    res.json(await analytics.outcomes(analyticsFilterSchema.parse(req.query)));
  });
  app.get('/v1/analytics/touchpoint-effect', allow('journeys:read'), async (req, res) => {
    const { filter, compare } = withComparison(req.query, touchpointEffectSchema);
    res.json(await analytics.touchpointEffect(filter, compare));
  });
  app.get('/v1/analytics/experiment', allow('journeys:read'), async (req, res) => {
    const { filter, compare } = withComparison(req.query, experimentQuerySchema);
    res.json(await analytics.experiment(filter, compare));
  });
  app.get('/v1/analytics/journeys', allow('journeys:read'), async (req, res) => {
    const { filter, compare } = withComparison(req.query, mapJourneysQuerySchema);
    res.json(await analytics.journeys(filter, compare));
  });
}
