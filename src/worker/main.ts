import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import nodemailer from 'nodemailer';
import { loadConfig, runMain } from '../config';
import { FileDeliveryLedger } from '../delivery/ledger';
import { EmailTemplates } from '../delivery/templates';
import { createLogger } from '../logger';
import { MapCatalog } from '../maps/catalog';
import { createJourneyWorker } from './create-worker';

/** The worker process: runs journeys and their touchpoints until SIGINT/SIGTERM, then drains and stops. */
runMain(async () => {
  const config = loadConfig();
  const log = createLogger('worker', config.LOG_LEVEL);
  const templates = EmailTemplates.load(config.TEMPLATES_DIR);
  // The maps are checked here too, so a map naming a template this worker lacks stops it at start.
  MapCatalog.load(config.MAPS_DIR, templates);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createJourneyWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    usePrebuiltBundle: true,
    deps: {
      mailer: nodemailer.createTransport(config.smtpUrl),
      ledger: new FileDeliveryLedger(path.join(config.DATA_DIR, 'deliveries')),
      templates,
      mailFrom: config.MAIL_FROM,
    },
  });
  log.info(`worker polling task queue "${config.TEMPORAL_TASK_QUEUE}" on ${config.temporalAddress}`);
  await worker.run();
  await connection.close();
  log.info('worker stopped');
});
