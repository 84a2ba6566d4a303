import path from 'node:path';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { z } from 'zod';
import { loadConfig } from '../config';
import { loadTrainers } from '../delivery/availability';
import { EmailTemplates } from '../delivery/templates';
import { customerSchema, type Customer } from '../journeys/customer';
import { loadMapFile, MapCatalog, parseFile, TRAINERS_FILE } from '../maps/catalog';
import { createTimeSkippingEnv } from '../rehearsal/environment';
import { rehearse, type ScriptedEvent } from '../rehearsal/rehearse';
import { describeMap, UsageError } from './usage';

const scriptedEventsSchema = z.array(
  z.looseObject({ day: z.number().int().min(0), type: z.string().min(1) }).catchall(z.union([z.string(), z.number()])),
);

/** `journeys maps rehearse`: the map for a scripted customer on a skipped clock, printed as a timeline. */
export async function rehearseCommand(file: string, options: { customer?: string; events?: string; days?: string }) {
  const config = loadConfig();
  const templates = EmailTemplates.load(config.TEMPLATES_DIR);
  const team = MapCatalog.load(config.MAPS_DIR, templates).team;
  const map = loadMapFile(file, templates, team);
  const today = new Date().toISOString();
  const customer: Customer = options.customer
    ? parseFile(options.customer, customerSchema)
    : customerSchema.parse({
        customerId: 'rehearsal',
        company: 'Rehearsal Inc',
        contact: { name: 'Riley Rehearsal', email: 'riley@rehearsal.example' },
        plan: 'pro',
        segment: map.segments[0] ?? 'scaling',
        timeZone: 'Europe/Berlin',
        purchaseDate: today,
        renewalDate: new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString(),
      });
  const events: ScriptedEvent[] = options.events ? parseFile(options.events, scriptedEventsSchema) : [];
  const days = options.days === undefined ? 400 : Number(options.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError('--days: must be a whole number from 1 to 3650');

  // The SDK's progress lines (bundling, worker states) would bury the timeline.
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
  const trace = process.env.JOURNEYS_TRACE ? (line: string) => console.error(`${new Date().toISOString()} ${line}`) : undefined;
  trace?.('starting the time-skipping test server');
  const env = await createTimeSkippingEnv();
  trace?.('test server up');
  try {
    const started = Date.now();
    const { timeline, final } = await rehearse({
      env,
      map,
      templates,
      customer: { ...customer, owners: { ...team, ...customer.owners } },
      events,
      days,
      trainers: loadTrainers(path.join(config.MAPS_DIR, TRAINERS_FILE)),
      trace,
      // As the worker does: compiled, the bundle `npm run build` made; from the sources, bundled now (seconds).
      usePrebuiltBundle: __filename.endsWith('.js'),
      workflowBundlePath: config.WORKFLOW_BUNDLE,
    });
    console.log(`Rehearsal of ${describeMap(map)} for ${customer.company} (${customer.segment}), bought on a Monday at 10:00 ${customer.timeZone}, ${days} days:\n`);
    for (const entry of timeline) {
      const date = entry.at.slice(0, 10);
      console.log(`day ${String(entry.day).padStart(4)}  ${date}  ${entry.what}${entry.owner ? `  [owner: ${entry.owner}]` : ''}`);
    }
    console.log(
      `\nAfter ${days} days: term ${final.term}, stage ${final.stage}, ${final.atRisk ? 'AT RISK' : 'not at risk'}` +
        `${final.outcome ? `, outcome ${final.outcome.type}` : ''}. Rehearsed in ${((Date.now() - started) / 1000).toFixed(1)} s; nothing was sent.`,
    );
  } finally {
    trace?.('stopping the test server');
    // The timeline is printed by now: a server slow to stop must not hold the author's terminal.
    await Promise.race([env.teardown(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  }
}
