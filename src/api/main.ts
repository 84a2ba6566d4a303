import { ApiKeys } from '../auth/api-keys';
import { loadConfig, requirePayloadKeys, requireSecret, runMain } from '../config';
import { databaseReachable } from '../db/database';
import { openEngineDatabase } from '../db/open-engine-database';
import { PgSuppressionList } from '../delivery/suppressions';
import { PgJourneyFacts } from '../facts/journey-facts';
import { PgMapReviewTasks } from '../facts/map-review-tasks';
import { JourneyAnalytics } from '../analytics/journey-analytics';
import { JourneyService } from '../journeys/service';
import { BulkOperations } from '../journeys/bulk-operations';
import { EmailTemplates } from '../delivery/templates';
import { createLogger } from '../logger';
import { Mailbox } from '../mail/mailbox';
import { MapCatalog } from '../maps/catalog';
import { MapRegistry } from '../maps/registry';
import { connectClient, temporalReachable } from '../temporal/client';
import { journeyPayloadCodec } from '../temporal/payload-codec';
import { JourneyTimelines } from '../journeys/timeline';
import { createApp } from './app';
import { serve } from './serve';

/** The API process: purchases, product events and journey state over HTTP, and the console. */
runMain(async () => {
  const config = loadConfig();
  const payloadKeys = requirePayloadKeys(config);
  const log = createLogger('api', config.LOG_LEVEL);
  const templates = EmailTemplates.load(config.TEMPLATES_DIR);
  const catalog = MapCatalog.load(config.MAPS_DIR, templates);
  const client = await connectClient(config);
  const maps = new MapRegistry(client, config.TEMPORAL_TASK_QUEUE);
  const journeys = new JourneyService(client, maps, catalog.team, config.TEMPORAL_TASK_QUEUE, config.ALLOW_DEMO_CLOCK);
  const mailbox = config.MAIL_CATCHER_DIR ? new Mailbox(config.MAIL_CATCHER_DIR) : undefined;
  const unsubscribeSecret = requireSecret(config, 'UNSUBSCRIBE_SECRET');
  const db = await openEngineDatabase(config, log);
  const suppressions = new PgSuppressionList(db);
  const facts = new PgJourneyFacts(db);
  const temporalUi = { url: config.temporalUiUrl, namespace: config.TEMPORAL_NAMESPACE };
  const app = createApp({
    journeys,
    maps,
    templates,
    team: catalog.team,
    mailbox,
    suppressions,
    unsubscribeSecret,
    unsubscribePreviousSecrets: config.UNSUBSCRIBE_PREVIOUS_SECRETS ?? [],
    inboundWebhookSecrets: config.INBOUND_WEBHOOK_SECRETS ?? [],
    tasks: facts,
    companies: facts,
    mapReviewTasks: new PgMapReviewTasks(db),
    journeyStages: facts,
    analytics: new JourneyAnalytics(db),
    bulkOperations: new BulkOperations(client, maps, catalog.team, config.TEMPORAL_TASK_QUEUE),
    timelines: new JourneyTimelines(client, journeys, maps, facts, temporalUi),
    keys: new ApiKeys(db),
    http: { allowedHosts: config.allowedHosts, requestsPerMinute: config.API_RATE_LIMIT },
    readiness: async () => ({ temporal: await temporalReachable(client), database: await databaseReachable(db) }),
    console: { temporalUiUrl: temporalUi.url, namespace: temporalUi.namespace },
    payloadCodec: journeyPayloadCodec(payloadKeys),
    log,
  });
  const server = await serve(app, config.API_PORT, config.API_HOST);
  log.info(`API listening on http://${config.API_HOST}:${config.API_PORT}`);
  // A new installation gets the shipped maps; it completes once a worker serves the registry.
  maps.publishFirstVersions(catalog.all()).then(
    (published) => published.forEach((map) => log.info(`published shipped map "${map.id}" version ${map.version}`)),
    (err: unknown) => log.error({ err }, 'could not publish the shipped maps'),
  );
  const stop = () => {
    log.info('API stopping');
    server.close(() => void Promise.allSettled([client.connection.close(), db.end()]).finally(() => process.exit(0)));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});
