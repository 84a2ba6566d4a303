import { condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PublishedMap } from '../contracts/journey';
import type { JourneyMap } from '../contracts/map';
import { publishedMapsQuery, publishMapUpdate } from '../contracts/messages';

/** Older versions kept per map: journeys pin their own copy, so the registry needs only recent ones. */
const VERSIONS_KEPT = 10;


export interface MapRegistryInput {
  published?: Record<string, PublishedMap[]>;
}

/**
 * The published journey maps, one registry per namespace (workflow id `journey-maps`). Publishing is an
 * update, so every version ever published is in this workflow's history: who published what, and when.
 * Maps arrive validated (the API and CLI run the full schema); the update validator guards the versioning.
 */
export async function mapRegistryWorkflow(input: MapRegistryInput = {}): Promise<void> {
  const published: Record<string, PublishedMap[]> = input.published ?? {};

  setHandler(publishedMapsQuery, () => published);
  setHandler(
    publishMapUpdate,
    (map) => {
      const versions = (published[map.id] ??= []);
      versions.push({ map, publishedAt: new Date(Date.now()).toISOString() });
      if (versions.length > VERSIONS_KEPT) versions.shift();
      return { id: map.id, version: map.version };
    },
    {
      validator: (map: JourneyMap) => {
        const latest = published[map.id]?.at(-1)?.map.version ?? 0;
        if (!Number.isInteger(map.version) || map.version <= latest) {
          throw new Error(`map "${map.id}" version ${map.version} is not newer than the published version ${latest}`);
        }
      },
    },
  );

  await condition(() => workflowInfo().continueAsNewSuggested);
  await continueAsNew<typeof mapRegistryWorkflow>({ published });
}
