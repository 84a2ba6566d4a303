import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { ConfigError, loadConfig, requirePayloadKeys, requireSecret, runMain } from '../config';
import { EmailTemplates } from '../delivery/templates';
import { createLogger } from '../logger';
import { MapCatalog, TRAINERS_FILE } from '../maps/catalog';
import { MissingSearchAttributes, registerJourneySearchAttributes } from '../temporal/search-attributes';
import { openEngineDatabase } from '../db/open-engine-database';
import { pruneOldRecords } from './retention';
import { buildActivityDeps, databaseStores } from './activity-deps';
import { createJourneyWorker } from './create-worker';
import { lazyClient } from '../temporal/client';
import { JourneyService } from '../journeys/service';
import { BulkSteps } from '../journeys/bulk-steps';
import { MapRegistry } from '../maps/registry';
import { freeLoopbackPort, serveWorkerMetrics, workerMetrics } from './metrics';

/** The worker process: runs journeys and their touchpoints until SIGINT/SIGTERM, then drains and stops. */
runMain(async () => {
  const config = loadConfig();
  const payloadKeys = requirePayloadKeys(config);
  const log = createLogger('worker', config.LOG_LEVEL);
  // The SDK's own log lines go through the same JSON logger as ours.
  const sdkLevel = ({ fatal: 'ERROR', error: 'ERROR', warn: 'WARN', info: 'INFO', debug: 'DEBUG', trace: 'TRACE' } as const)[
    config.LOG_LEVEL
  ] satisfies LogLevel;
  // With WORKER_METRICS_PORT, Temporal Core's own metrics too: its Prometheus exporter on a loopback port that only
  // the worker's metrics server reads (Runtime.install runs once per process, before any connection).
  const metrics =
    config.WORKER_METRICS_PORT === undefined ? undefined : { ...workerMetrics(), port: config.WORKER_METRICS_PORT, corePort: await freeLoopbackPort() };
  Runtime.install({
    ...(metrics ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${metrics.corePort}` } } } } : {}),
    logger: new DefaultLogger(sdkLevel, ({ level, message, meta }) => {
      const method = ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[level];
      log[method]({ ...meta, sdk: true }, message);
    }),
  });
  // The ledger, calendar, suppressions and facts every worker on every machine shares; the database and Temporal are
  // reached at once, and while they answer, the templates and maps are read (a worker's start is mostly waiting).
  const connecting = Promise.all([openEngineDatabase(config, log), NativeConnection.connect({ address: config.temporalAddress })]);
  connecting.catch(() => undefined); // awaited below; a map's mistake found first is the error the worker stops with
  const templates = EmailTemplates.load(config.TEMPLATES_DIR);
  // The maps are checked here too, so a map naming a template this worker lacks stops it at start.
  const catalog = MapCatalog.load(config.MAPS_DIR, templates);
  const [db, connection] = await connecting;
  // Bulk operations' activities steer journeys through the journey service, as the API does: its client connects
  // when the first one runs, not at every worker's start.
  const client = lazyClient(config);
  const journeys = new JourneyService(client, new MapRegistry(client, config.TEMPORAL_TASK_QUEUE), catalog.team, config.TEMPORAL_TASK_QUEUE);
  const stopPruning = pruneOldRecords(db, log);
  const deps = buildActivityDeps({
    stores: databaseStores(db),
    smtpUrl: config.smtpUrl,
    templates,
    team: catalog.team,
    mailFrom: config.MAIL_FROM,
    // So is the trainers file: a mistake in it stops the worker with the file and path, not a booking later.
    trainers: path.join(config.MAPS_DIR, TRAINERS_FILE),
    unsubscribeSecret: requireSecret(config, 'UNSUBSCRIBE_SECRET'),
    publicUrl: config.publicUrl,
    webhookSecret: requireSecret(config, 'WEBHOOK_SECRET'),
    webhookAllowedHosts: config.WEBHOOK_ALLOWED_HOSTS,
    factsRecorded: metrics?.countFacts,
  });
  const searchAttributesChecked = (async () => {
    try {
      const added = await registerJourneySearchAttributes(connection, config.TEMPORAL_NAMESPACE);
      if (added.length > 0) log.info(`registered search attributes ${added.join(', ')}`);
    } catch (err) {
      // Known missing: a journey would fail each time it sets one, so the worker does not start.
      if (err instanceof MissingSearchAttributes) throw new ConfigError(err.message);
      // Not even listable (no operator rights, e.g. Temporal Cloud): an admin registers them once, up front.
      log.warn({ err }, 'could not check the journey search attributes: make sure they are registered (temporal operator search-attribute create)');
    }
  })();
  searchAttributesChecked.catch(() => undefined); // awaited before the worker polls
  // The workflow bundle loads while the search attributes are checked; the worker polls only once they are.
  const worker = await createJourneyWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    // Compiled (npm start, the image): the bundle `npm run build` made with it. From the TypeScript sources
    // (tsx, tests): bundled now, so the worker never runs workflow code older than its own.
    usePrebuiltBundle: __filename.endsWith('.js'),
    workflowBundlePath: config.WORKFLOW_BUNDLE,
    deps,
    payloadKeys,
    bulkSteps: new BulkSteps(client, journeys, catalog.team),
  });
  const metricsServer =
    metrics &&
    (await serveWorkerMetrics({
      registry: metrics.registry,
      host: config.WORKER_METRICS_HOST,
      port: metrics.port,
      coreMetricsUrl: `http://127.0.0.1:${metrics.corePort}/metrics`,
      log,
    }));
  if (metricsServer) log.info(`worker metrics at ${metricsServer.url}`);
  await searchAttributesChecked;
  log.info(`worker polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.temporalAddress}`);
  await worker.run();
  await metricsServer?.close();
  stopPruning();
  await connection.close();
  await client.connection.close();
  await db.end();
  log.info('worker stopped');
});
