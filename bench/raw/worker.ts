import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig, requirePayloadKeys, runMain } from '../../src/config';
import { EmailTemplates } from '../../src/delivery/templates';
import { journeyDataConverter } from '../../src/temporal/payload-codec';
import { createRawActivities } from './activities';

/**
 * The raw baseline's worker process, compiled like the engine's (bench/tsconfig.raw.json) and run with plain
 * node. Worker options are the engine's (createJourneyWorker): the SDK's defaults for cache and concurrency
 * (both sides get the same NODE_OPTIONS heap limit, from which the SDK sizes the cache), the journey data
 * converter with the same PAYLOAD_KEYS, and a prebuilt bundle made with the same bundler options.
 */
runMain(async () => {
  const config = loadConfig();
  const bundle = process.env.RAW_WORKFLOW_BUNDLE;
  if (!bundle) throw new Error('RAW_WORKFLOW_BUNDLE: the raw workflow bundle to run (bench/raw/bundle.ts makes it)');
  // As the engine's worker logs at LOG_LEVEL=warn (what the benchmark gives it).
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const templates = EmailTemplates.load(config.TEMPLATES_DIR);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    dataConverter: journeyDataConverter(requirePayloadKeys(config)),
    activities: createRawActivities({ smtpUrl: config.smtpUrl, mailFrom: config.MAIL_FROM, templates, publicUrl: config.publicUrl }),
    workflowBundle: { codePath: bundle },
  });
  // The engine worker's ready line, word for word after "raw", so the benchmark times both alike.
  console.log(`raw worker polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.temporalAddress}`);
  await worker.run();
  await connection.close();
});
