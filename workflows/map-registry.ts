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
  // Own properties only: a map id such as "constructor" must not find Object's.
  const versionsOf = (id: string) => (Object.hasOwn(published, id) ? published[id] : undefined);

  setHandler(publishedMapsQuery, () => published);
  setHandler(
    publishMapUpdate,
    (map) => {
      const versions = versionsOf(map.id) ?? (published[map.id] = []);
      versions.push({ map, publishedAt: new Date(Date.now()).toISOString() });
      if (versions.length > VERSIONS_KEPT) versions.shift();
      return { id: map.id, version: map.version };
    },
    {
      validator: (map: JourneyMap) => {
        // Checked here too: an update can reach the registry without the API.
        if (typeof map !== 'object' || map === null || typeof map.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(map.id)) {
          throw new Error('a map needs an id of lower-case letters, digits and dashes');
        }
        const latest = versionsOf(map.id)?.at(-1)?.map.version ?? 0;
        if (!Number.isInteger(map.version) || map.version <= latest) {
          throw new Error(`map "${map.id}" version ${map.version} is not newer than the published version ${latest}`);
        }
      },
    },
  );

  await condition(() => workflowInfo().continueAsNewSuggested);
  await continueAsNew<typeof mapRegistryWorkflow>({ published });
}
