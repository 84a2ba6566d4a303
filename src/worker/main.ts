import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { ConfigError, loadConfig, requireDatabaseUrl, requirePayloadKeys, requireSecret, runMain } from '../config';
import { EmailTemplates } from '../delivery/templates';
import { createLogger } from '../logger';
import { loadTeamFile, MapCatalog, TEAM_FILE, TRAINERS_FILE } from '../maps/catalog';
import { MissingSearchAttributes, registerJourneySearchAttributes } from '../temporal/search-attributes';
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
  // Checked now, so a missing one is the error the worker stops with, before the database or Temporal is tried.
  requireDatabaseUrl(config);
  const unsubscribeSecret = requireSecret(config, 'UNSUBSCRIBE_SECRET');
  const webhookSecret = requireSecret(config, 'WEBHOOK_SECRET');
  // A worker's start is mostly waiting, so it does what it can at once: Temporal connects, then the workflow threads
  // load the bundle (a third of a second) while this thread opens the database (the ledger, calendar, suppressions and
  // facts every worker on every machine shares), reads the templates and checks the maps.
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const team = loadTeamFile(path.join(config.MAPS_DIR, TEAM_FILE));
  // Made after one turn of the event loop: the turn in which Worker.create, called below, starts its workflow threads
  // (it reads nothing more first).
  const prepared = (async () => {
    await new Promise((resolve) => setImmediate(resolve));
    // The database client and its migrator load here, beside the workflow threads rather than before them.
    const { openEngineDatabase } = await import('../db/open-engine-database');
    const databaseOpening = openEngineDatabase(config, log);
    databaseOpening.catch(() => undefined); // awaited below, once the maps are checked
    const templates = EmailTemplates.load(config.TEMPLATES_DIR);
    // The maps are checked here too, so a map naming a template this worker lacks, or a role nobody holds, stops it at start.
    MapCatalog.load(config.MAPS_DIR, templates);
    const db = await databaseOpening;
    const deps = buildActivityDeps({
      stores: databaseStores(db),
      smtpUrl: config.smtpUrl,
      templates,
      team,
      mailFrom: config.MAIL_FROM,
      // So is the trainers file: a mistake in it stops the worker with the file and path, not a booking later.
      trainers: path.join(config.MAPS_DIR, TRAINERS_FILE),
      unsubscribeSecret,
      publicUrl: config.publicUrl,
      webhookSecret,
      webhookAllowedHosts: config.WEBHOOK_ALLOWED_HOSTS,
      factsRecorded: metrics?.countFacts,
    });
    return { db, deps };
  })();
  prepared.catch(() => undefined); // awaited before the worker polls
  // Bulk operations' activities steer journeys through the journey service, as the API does: its client connects
  // when the first one runs, not at every worker's start.
  const client = lazyClient(config);
  const journeys = new JourneyService(client, new MapRegistry(client, config.TEMPORAL_TASK_QUEUE), team, config.TEMPORAL_TASK_QUEUE);
  const workerCreating = createJourneyWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    // Compiled (npm start, the image): the bundle `npm run build` made with it. From the TypeScript sources
    // (tsx, tests): bundled now, so the worker never runs workflow code older than its own.
    usePrebuiltBundle: __filename.endsWith('.js'),
    workflowBundlePath: config.WORKFLOW_BUNDLE,
    deps: prepared.then(({ deps }) => deps),
    payloadKeys,
    bulkSteps: new BulkSteps(client, journeys, team),
  });
  workerCreating.catch(() => undefined); // awaited before the worker polls
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
  const [{ db }, worker] = await Promise.all([prepared, workerCreating]);
  const stopPruning = pruneOldRecords(db, log);
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
