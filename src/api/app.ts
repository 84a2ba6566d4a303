import path from 'node:path';
import express, { type Request } from 'express';
import { PROJECT_ROOT } from '../config';
import { ownerSchema, purchaseSchema } from '../journeys/customer';
import type { SuppressionList } from '../delivery/suppressions';
import { unsubscribeRouter } from './unsubscribe';
import { inboundWebhookRouter } from './inbound-webhooks';
import { CODEC_BASE_PATH, codecEndpoint } from './codec-endpoint';
import type { PayloadCodec } from '@temporalio/common';
import { productEventSchema } from '../journeys/events';
import type { JourneyService, JourneySummary } from '../journeys/service';
import type { JourneyTimelines } from '../journeys/timeline';
import type { EmailTemplates } from '../delivery/templates';
import { parseMap, type Team } from '../maps/catalog';
import type { MapRegistry } from '../maps/registry';
import { renderSvg } from '../maps/render/svg';
import type { Logger } from '../logger';
import type { Mailbox } from '../mail/mailbox';
import type { CompanyReader, JourneyStageReader, TaskReader } from '../facts/journey-facts';
import { isDatabaseUnavailable } from '../db/database';
import { completeMapReviewTask, isMapReviewTaskId, withMapReviewTasks, type MapReviewTaskStore } from '../facts/map-review-tasks';
import { NotFoundError } from '../errors';
import type { ApiKeyVerifier } from '../auth/api-keys';
import { authorizer } from './authorize';
import { errorHandler } from './errors';
import { hardening, MAX_BODY_BYTES, type HardeningOptions } from './hardening';
import { apiMetrics } from './metrics';
import { addAnalyticsRoutes } from './analytics-routes';
import { addBulkOperationRoutes } from './bulk-operation-routes';
import type { BulkOperations } from '../journeys/bulk-operations';
import type { JourneyAnalytics } from '../analytics/journey-analytics';
import { apiDescription } from './api-description';
import {
  bookingChangeBody,
  bookingParams,
  cancelRequest,
  customerParams,
  journeyFilter,
  mailFilter,
  mapQuery,
  meetingChange,
  migrationOrder,
  ownerParams,
  pauseRequest,
  resumeRequest,
  taskCompletion,
  taskFilter,
} from './request-schemas';

export interface AppDeps {
  journeys: JourneyService;
  maps: MapRegistry;
  /** Maps are checked against the templates the workers have, and the team that staffs their roles, before they are published. */
  templates: EmailTemplates;
  team: Team;
  /** The local mail catcher's folder; absent when the engine sends through a real SMTP relay. */
  mailbox?: Mailbox;
  /** Where unsubscribes are recorded, and the secret the workers sign unsubscribe links with. */
  suppressions: SuppressionList;
  unsubscribeSecret: string;
  /** Secrets unsubscribe links were signed with before the current one: their links still work. */
  unsubscribePreviousSecrets?: readonly string[];
  /** The secrets signed inbound webhooks (/v1/inbound/*) are checked with; none, and those routes answer 503. */
  inboundWebhookSecrets?: readonly string[];
  /** Owners' worklists, read from the engine database (the journeys keep their open tasks and completions there). */
  tasks: TaskReader;
  /** The company of each journey the journeys list names, from the engine database; without it, the list has customer ids only. */
  companies?: CompanyReader;
  /** Map owners' yearly review tasks, in the same worklists; none without it. */
  mapReviewTasks?: MapReviewTaskStore;
  /** Running journeys by stage, from the engine database, for GET /metrics; without it, /metrics has no journeys_by_stage. */
  journeyStages?: JourneyStageReader;
  /** Each customer's timeline (GET /v1/customers/:customerId/timeline); without it, that route is absent. */
  timelines?: JourneyTimelines;
  /** Funnels, attainment, touchpoints and outcomes over journey facts (GET /v1/analytics/*); without it, those routes are absent. */
  analytics?: JourneyAnalytics;
  /** Bulk operations over journeys a visibility query selects (/v1/bulk-operations); without it, those routes are absent. */
  bulkOperations?: BulkOperations;
  /** The API keys requests must carry (all routes but health, readiness, the API description, the unsubscribe pages and the signed inbound webhooks). */
  keys: ApiKeyVerifier;
  /** The allowed Host names and the rate limits. */
  http: HardeningOptions;
  /** Whether each dependency answers now (Temporal, ...): what /readyz reports. */
  readiness: () => Promise<Record<string, { ok: boolean; detail: string }>>;
  /** What the console links to: the Temporal UI, and the namespace the journeys run in. */
  console: { temporalUiUrl: string; namespace: string };
  /** The payload codec of the engine's clients and workers: the codec endpoint (/v1/codec) decodes with it for the Temporal UI. */
  payloadCodec: PayloadCodec;
  log: Logger;
}

/** Chart.js's browser build (UMD: it defines window.Chart), the one file of its package the console loads. */
const CHART_JS_FILE = '/chart.umd.min.js';
const chartJs = express.static(path.dirname(require.resolve('chart.js')), { index: false, redirect: false });

/** The HTTP API and the console, without listening: main.ts listens, tests call it directly. */
export function createApp(deps: AppDeps): express.Express {
  const { journeys, maps, templates, team, mailbox, suppressions, unsubscribeSecret, tasks, readiness, console: consoleSettings, log } = deps;
  const allow = authorizer(deps.keys);
  const app = express();
  app.disable('x-powered-by');
  // First: every answer is counted, those the hardening refuses too.
  const metrics = apiMetrics({ journeyStages: deps.journeyStages, log });
  app.use(metrics.middleware);
  app.use(hardening(deps.http, CODEC_BASE_PATH));
  // Before the JSON parser: a webhook's signature covers its body as sent, so that router reads it raw.
  app.use(inboundWebhookRouter({ secrets: deps.inboundWebhookSecrets ?? [], journeys, log }));
  // Before the JSON parser too: the Temporal UI's decode requests may be larger than the API's body limit.
  app.use(codecEndpoint({ codec: deps.payloadCodec, keys: deps.keys, temporalUiUrl: consoleSettings.temporalUiUrl, requestsPerMinute: deps.http.requestsPerMinute }));
  app.use(express.json({ limit: MAX_BODY_BYTES }));
  app.use(
    unsubscribeRouter({
      secret: unsubscribeSecret,
      previousSecrets: deps.unsubscribePreviousSecrets,
      suppressions,
      onUnsubscribed: ({ customerId, email }) => journeys.contactUnsubscribed(customerId, email),
      log,
    }),
  );

  // Liveness: the process answers. Readiness: it can do its work (a load balancer sends traffic only then).
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await readiness();
    const ready = Object.values(checks).every((check) => check.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  // The API described (OpenAPI 3.1, from the routes' zod schemas) and its page: no key, they hold no customer data.
  const description = apiDescription({ mail: Boolean(mailbox), analytics: Boolean(deps.analytics), timeline: Boolean(deps.timelines), bulkOperations: Boolean(deps.bulkOperations) });
  app.get('/openapi.json', description.document);
  app.get('/docs', description.page);
  app.use('/docs', description.files);
  // Prometheus scrapes with a bearer token of a key that holds journeys:read.
  app.get('/metrics', allow('journeys:read'), metrics.handler);

  app.get('/v1/console/settings', allow('journeys:read'), (_req, res) => {
    res.json(consoleSettings);
  });

  app.post('/v1/purchases', allow('purchases:write'), async (req, res) => {
    const started = await journeys.startJourney(purchaseSchema.parse(req.body));
    res.status(started.created ? 201 : 200).json(started);
  });

  app.post('/v1/customers/:customerId/events', allow('events:write'), async (req: Request<{ customerId: string }>, res) => {
    const { customerId } = customerParams.parse(req.params);
    const delivered = await journeys.deliverEvent(customerId, productEventSchema.parse(req.body));
    res.status(202).json(delivered);
  });

  app.get('/v1/customers/:customerId/journey', allow('journeys:read'), async (req: Request<{ customerId: string }>, res) => {
    const { customerId } = customerParams.parse(req.params);
    res.json(await journeys.journeyState(customerId));
  });

  const { timelines } = deps;
  if (timelines) {
    app.get('/v1/customers/:customerId/timeline', allow('journeys:read'), async (req: Request<{ customerId: string }>, res) => {
      const { customerId } = customerParams.parse(req.params);
      res.json(await timelines.timeline(customerId));
    });
  }

  app.put('/v1/customers/:customerId/owners/:role', allow('journeys:write'), async (req: Request<{ customerId: string; role: string }>, res) => {
    const { customerId, role } = ownerParams.parse(req.params);
    res.json(await journeys.reassignOwner(customerId, role, ownerSchema.parse(req.body)));
  });

  app.post('/v1/customers/:customerId/pause', allow('journeys:write'), async (req: Request<{ customerId: string }>, res) => {
    const { customerId } = customerParams.parse(req.params);
    res.json(await journeys.pauseJourney(customerId, pauseRequest.parse(req.body ?? {})));
  });

  app.post('/v1/customers/:customerId/resume', allow('journeys:write'), async (req: Request<{ customerId: string }>, res) => {
    const { customerId } = customerParams.parse(req.params);
    res.json(await journeys.resumeJourney(customerId, resumeRequest.parse(req.body ?? {})));
  });

  app.post('/v1/customers/:customerId/cancel', allow('journeys:write'), async (req: Request<{ customerId: string }>, res) => {
    const { customerId } = customerParams.parse(req.params);
    res.json(await journeys.cancelJourney(customerId, cancelRequest.parse(req.body ?? {})));
  });

  app.post('/v1/customers/:customerId/bookings/:bookingId/:change', allow('journeys:write'), async (req: Request<{ customerId: string; bookingId: string; change: string }>, res) => {
    const { customerId, bookingId, change } = bookingParams.parse(req.params);
    const body = bookingChangeBody.parse(req.body ?? {});
    res.json(await journeys.changeMeeting(customerId, { bookingId, change: meetingChange.parse({ ...body, type: change }) }));
  });

  app.get('/v1/tasks', allow('journeys:read'), async (req, res) => {
    const { owner, status } = taskFilter.parse(req.query);
    res.json({ tasks: await journeys.listTasks(deps.mapReviewTasks ? withMapReviewTasks(tasks, deps.mapReviewTasks) : tasks, owner, status) });
  });

  app.post('/v1/tasks/:taskId/complete', allow('journeys:write'), async (req: Request<{ taskId: string }>, res) => {
    const { outcome, notes } = taskCompletion.parse(req.body);
    const completion = { taskId: req.params.taskId, outcome, ...(notes ? { notes } : {}) };
    // A map's review task is the engine database's alone; any other task is a journey's.
    res.json(await (isMapReviewTaskId(completion.taskId) ? completeMapReviewTask(deps.mapReviewTasks, completion) : journeys.completeTask(completion)));
  });

  app.get('/v1/maps', allow('journeys:read'), async (_req, res) => {
    res.json({ maps: await maps.versions() });
  });

  // The console's live map: the CLI's drawing, whose stage and milestone cards carry data-stage and data-milestone.
  app.get('/v1/maps/:mapId/diagram.svg', allow('journeys:read'), async (req: Request<{ mapId: string }>, res) => {
    const { version } = mapQuery.parse(req.query);
    const map = await maps.get(req.params.mapId, version);
    if (!map) throw new NotFoundError(`no published map "${req.params.mapId}"${version ? ` version ${version}` : ''}`);
    res.type('image/svg+xml').send(renderSvg(map));
  });

  app.get('/v1/maps/:mapId', allow('journeys:read'), async (req: Request<{ mapId: string }>, res) => {
    const { version } = mapQuery.parse(req.query);
    const map = await maps.get(req.params.mapId, version);
    if (!map) throw new NotFoundError(`no published map "${req.params.mapId}"${version ? ` version ${version}` : ''}`);
    res.json(map);
  });

  app.post('/v1/maps', allow('maps:write'), async (req, res) => {
    res.status(201).json(await maps.publish(parseMap(req.body, templates, team)));
  });

  app.post('/v1/migrations', allow('maps:write'), async (req, res) => {
    const results = await journeys.migrate(migrationOrder.parse(req.body));
    const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
    res.json({ migrated: count('migrated'), wouldMigrate: count('would migrate'), refused: count('refused'), results });
  });

  /** For operations: every suppressed address, oldest first. */
  app.get('/v1/suppressions', allow('journeys:read'), async (_req, res) => {
    res.json({ suppressions: await suppressions.list() });
  });

  app.get('/v1/journeys', allow('journeys:read'), async (req, res) => {
    const listed = await journeys.listJourneys(journeyFilter.parse(req.query));
    res.json({ journeys: await withCompanies(listed, deps.companies, log) });
  });

  if (deps.analytics) addAnalyticsRoutes(app, allow, deps.analytics);
  if (deps.bulkOperations) addBulkOperationRoutes(app, allow, deps.keys, deps.bulkOperations);

  if (mailbox) {
    app.get('/v1/mail', allow('journeys:read'), async (req, res) => {
      const filter = mailFilter.parse(req.query);
      res.json({ mail: await mailbox.list(filter) });
    });
    app.get('/v1/mail/:id.eml', allow('journeys:read'), async (req: Request<{ id: string }>, res) => {
      const raw = await mailbox.raw(req.params.id);
      if (!raw) throw new NotFoundError(`no caught mail "${req.params.id}"`);
      res.type('message/rfc822').send(raw);
    });
  }

  // The console's charting library, from its npm package as installed (no CDN: the CSP allows scripts from 'self' only).
  app.use('/vendor', (req, res, next) => (req.path === CHART_JS_FILE ? chartJs(req, res, next) : next()));
  app.use('/', express.static(path.join(PROJECT_ROOT, 'src', 'api', 'console')));
  app.use((req, _res, next) => next(new NotFoundError(`no route ${req.method} ${req.path}`)));
  app.use(errorHandler(log));
  return app;
}

/**
 * The listed journeys with their companies. The list itself is Temporal's: with the engine database unreachable
 * it is still answered, by customer id only, rather than refused for want of the names.
 */
async function withCompanies(listed: JourneySummary[], companies: CompanyReader | undefined, log: Logger): Promise<JourneySummary[]> {
  if (!companies) return listed;
  try {
    const named = await companies.companiesOf([...new Set(listed.map((journey) => journey.customerId))]);
    return listed.map((journey) => (named.has(journey.customerId) ? { ...journey, company: named.get(journey.customerId) } : journey));
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    log.warn({ err }, 'journeys listed without their companies: the engine database is unreachable');
    return listed;
  }
}
