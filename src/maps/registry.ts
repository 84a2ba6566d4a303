import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import type { PublishedMap } from '../../contracts/journey';
import { mapRegistryWorkflow } from '../../workflows/map-registry';
import { publishedMapsQuery, publishMapUpdate } from '../../contracts/messages';
import { ConflictError } from '../errors';
import { journeyMapSchema, type JourneyMap } from './schema';

export const MAP_REGISTRY_WORKFLOW_ID = 'journey-maps';

export interface MapVersionSummary {
  id: string;
  version: number;
  name: string;
  segments: string[];
  publishedAt: string;
}

/**
 * How long a read waits for the registry when an earlier answer is at hand. A query to a workflow whose
 * worker was just killed waits about 30 s for the worker that replaces it; purchases should not.
 */
const REGISTRY_PATIENCE_MS = 3_000;

/** The published maps, kept by the registry workflow: new journeys start on the latest published version. */
export class MapRegistry {
  /** The registry's last answer: it stands in while the registry cannot answer (its worker restarting). */
  private lastAnswer?: Record<string, PublishedMap[]>;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /** Publishes a validated map; a version that is not newer than the published one is a conflict. */
  async publish(map: JourneyMap): Promise<{ id: string; version: number }> {
    try {
      return await this.client.workflow.executeUpdateWithStart(publishMapUpdate, {
        args: [map],
        startWorkflowOperation: new WithStartWorkflowOperation(mapRegistryWorkflow, {
          workflowId: MAP_REGISTRY_WORKFLOW_ID,
          taskQueue: this.taskQueue,
          args: [{}],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: 'The published journey maps',
        }),
      });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new ConflictError(err.cause?.message ?? err.message);
      throw err;
    }
  }

  /**
   * Every published version, asked of the registry each time (another API or the CLI may have published
   * since); while it cannot answer within REGISTRY_PATIENCE_MS, its last answer, as maps change seldom.
   */
  async published(): Promise<Record<string, PublishedMap[]>> {
    let published: Record<string, PublishedMap[]>;
    const ask = () => this.client.workflow.getHandle(MAP_REGISTRY_WORKFLOW_ID).query(publishedMapsQuery);
    const fallback = this.lastAnswer;
    try {
      published = fallback ? await this.client.connection.withDeadline(Date.now() + REGISTRY_PATIENCE_MS, ask) : await ask();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return {};
      if (fallback) return fallback;
      throw err;
    }
    // A version published before the map language grew lacks the newer fields: their defaults fill them
    // in, so it reads as any map does today (the journeys that pinned it keep their own copy).
    const current = (map: JourneyMap) => {
      const parsed = journeyMapSchema.safeParse(map);
      return parsed.success ? parsed.data : map;
    };
    this.lastAnswer = Object.fromEntries(
      Object.entries(published).map(([id, versions]) => [id, versions.map((v) => ({ ...v, map: current(v.map) }))]),
    );
    return this.lastAnswer;
  }

  /** Every published version, newest last per map. */
  async versions(): Promise<MapVersionSummary[]> {
    return Object.values(await this.published()).flatMap((versions) =>
      versions.map(({ map, publishedAt }) => ({
        id: map.id,
        version: map.version,
        name: map.name,
        segments: map.segments,
        publishedAt,
      })),
    );
  }

  /** The latest published version of a map, or a given version while the registry still keeps it. */
  async get(id: string, version?: number): Promise<JourneyMap | undefined> {
    const published = await this.published();
    // An own property only: a map id such as "constructor" must not find Object's.
    const versions = Object.hasOwn(published, id) ? published[id]! : [];
    const found = version === undefined ? versions.at(-1) : versions.find((v) => v.map.version === version);
    return found?.map;
  }

  /** The latest published map for a segment, else the latest published `default`. */
  async forSegment(segment: string): Promise<JourneyMap | undefined> {
    const latest = Object.values(await this.published()).map((versions) => versions.at(-1)!.map);
    return latest.find((map) => map.segments.includes(segment)) ?? latest.find((map) => map.id === 'default');
  }

  /**
   * Publishes the shipped maps whose id the registry has never seen, so a new installation works out
   * of the box. A newer version of a map already published is never published behind anyone's back.
   */
  async publishFirstVersions(maps: JourneyMap[]): Promise<JourneyMap[]> {
    const published = await this.published();
    const fresh = maps.filter((map) => !Object.hasOwn(published, map.id));
    for (const map of fresh) await this.publish(map);
    return fresh;
  }
}
