import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { JourneyResult } from '../../contracts/journey';
import { JourneyService, type JourneySummary } from '../journeys/service';
import { MapCatalog } from '../maps/catalog';
import { MapRegistry } from '../maps/registry';
import { connectClient } from '../temporal/client';
import { UsageError } from './usage';

export const LIST_USAGE = `  journeys list [--all] [--stage S] [--segment S] [--owner EMAIL] [--json]
                                                 running journeys; with --all (or --status all) ended ones too,
                                                 their status saying how they ended (churned, cancelled)
  journeys maps list [--json]                    published map versions: owner, last review, review overdue`;

interface ListOptions {
  all?: boolean;
  status?: string;
  stage?: string;
  segment?: string;
  owner?: string;
  json?: boolean;
}

/** `journeys list`: the journeys as GET /v1/journeys lists them, with how each ended one ended. */
export async function listCommand(config: Config, values: ListOptions): Promise<number> {
  if (values.status !== undefined && values.status !== 'running' && values.status !== 'all') throw new UsageError('--status: must be running or all');
  const all = values.all === true || values.status === 'all';
  return withClient(config, async (client) => {
    const service = new JourneyService(client, new MapRegistry(client, config.TEMPORAL_TASK_QUEUE), MapCatalog.load(config.MAPS_DIR).team, config.TEMPORAL_TASK_QUEUE);
    const journeys = await service.listJourneys({ status: all ? 'all' : 'running', stage: values.stage, segment: values.segment, owner: values.owner });
    const listed = await Promise.all(journeys.map(async (journey) => ({ ...journey, status: await statusOf(client, journey) })));
    if (values.json) {
      console.log(JSON.stringify(listed, null, 2));
      return 0;
    }
    console.log(['customer'.padEnd(24), 'status'.padEnd(10), 'stage'.padEnd(14), 'segment'.padEnd(12), 'term', 'map'.padEnd(16), 'started'].join(' '));
    for (const j of listed) {
      console.log([j.customerId.padEnd(24), j.status.padEnd(10), (j.stage ?? '').padEnd(14), (j.segment ?? '').padEnd(12), String(j.term ?? '').padEnd(4), (j.map ?? '').padEnd(16), j.startedAt].join(' '));
    }
    console.log(`${listed.length} journeys${all ? '' : ' running (--all lists ended ones too)'}`);
    return 0;
  });
}

/** running, or how the journey ended: churned or cancelled from its result, else Temporal's word (terminated, failed...). */
async function statusOf(client: Client, journey: JourneySummary): Promise<string> {
  if (journey.status !== 'COMPLETED') return journey.status.toLowerCase();
  const result = (await client.workflow.getHandle(journey.workflowId).result()) as JourneyResult | undefined;
  return result?.outcome ?? 'completed';
}

/** `journeys maps list`: every published version, with who reviews it and whether its review is overdue. */
export async function mapsListCommand(config: Config, values: { json?: boolean }): Promise<number> {
  return withClient(config, async (client) => {
    const versions = await new MapRegistry(client, config.TEMPORAL_TASK_QUEUE).versions();
    if (values.json) {
      console.log(JSON.stringify(versions, null, 2));
      return 0;
    }
    console.log(['map'.padEnd(16), 'version', 'owner'.padEnd(18), 'last reviewed', 'review'.padEnd(7), 'published'].join(' '));
    for (const v of versions) {
      const review = v.reviewOverdue ? 'OVERDUE' : 'ok';
      console.log([v.id.padEnd(16), String(v.version).padEnd(7), (v.owner ?? '-').padEnd(18), (v.lastReviewed ?? 'never').padEnd(13), review.padEnd(7), v.publishedAt].join(' '));
    }
    return 0;
  });
}

async function withClient(config: Config, work: (client: Client) => Promise<number>): Promise<number> {
  const client = await connectClient(config);
  try {
    return await work(client);
  } finally {
    await client.connection.close();
  }
}
