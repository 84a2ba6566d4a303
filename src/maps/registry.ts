import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import type { PublishedMap } from '../../contracts/journey';
import { mapRegistryWorkflow } from '../../workflows/map-registry';
import { isReviewOverdue } from '../../contracts/map-review';
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
  /** The team role that keeps the map up to date, and when it last reviewed it (YYYY-MM-DD); absent when the map names none. */
  owner?: string;
  lastReviewed?: string;
  /** A year or more since the last review, or never reviewed (no lastReviewed): the owner has a review task once it is due. */
  reviewOverdue: boolean;
}

/**
 * How long a read waits for the registry when an earlier answer is at hand. A query to a workflow whose
 * worker was just killed waits about 30 s for the worker that replaces it; purchases should not.
 */
const REGISTRY_PATIENCE_MS = 3_000;

/**
 * How old the registry's answer may be for a purchase. Maps change seldom, and a purchase should not cost a
 * query (a workflow task on a worker) and a validation of every published map: a map published through this
 * API is seen at once, one published by another API or the CLI within this time.
 */
export const PUBLISHED_MAPS_CACHE_MS = 5_000;

/** The published maps, kept by the registry workflow: new journeys start on the latest published version. */
export class MapRegistry {
  /** The registry's last answer: it stands in while the registry cannot answer (its worker restarting). */
  private lastAnswer?: { published: Record<string, PublishedMap[]>; at: number; publications: number };
  /** Each version as read today, validated once: a published version never changes. */
  private readonly validated = new Map<string, JourneyMap>();
  /** The registry query under way, which concurrent purchases share. */
  private asking?: Promise<Record<string, PublishedMap[]>>;
  /** Publications through this registry so far: an answer asked for before the latest is not recent. */
  private publications = 0;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly now: () => number = Date.now,
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
    } finally {
      // The next read asks again, and an answer asked for before this publication is not kept as recent.
      this.publications += 1;
      this.asking = undefined;
    }
  }

  /**
   * Every published version, asked of the registry each time (another API or the CLI may have published
   * since); while it cannot answer within REGISTRY_PATIENCE_MS, its last answer, as maps change seldom.
   */
  async published(): Promise<Record<string, PublishedMap[]>> {
    if (!this.asking) {
      const asking = this.ask().finally(() => {
        if (this.asking === asking) this.asking = undefined;
      });
      this.asking = asking;
    }
    return this.asking;
  }

  /** The published versions for a purchase: the registry's answer of the last PUBLISHED_MAPS_CACHE_MS. */
  private async recentlyPublished(): Promise<Record<string, PublishedMap[]>> {
    const last = this.lastAnswer;
    const recent = last && last.publications === this.publications && this.now() - last.at < PUBLISHED_MAPS_CACHE_MS;
    return recent ? last.published : this.published();
  }

  private async ask(): Promise<Record<string, PublishedMap[]>> {
    const publications = this.publications;
    let published: Record<string, PublishedMap[]>;
    const query = () => this.client.workflow.getHandle(MAP_REGISTRY_WORKFLOW_ID).query(publishedMapsQuery);
    const fallback = this.lastAnswer?.published;
    try {
      published = fallback ? await this.client.connection.withDeadline(this.now() + REGISTRY_PATIENCE_MS, query) : await query();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return {};
      if (fallback) return fallback;
      throw err;
    }
    const answer = Object.fromEntries(
      Object.entries(published).map(([id, versions]) => [id, versions.map((v) => ({ ...v, map: this.asToday(v.map) }))]),
    );
    this.lastAnswer = { published: answer, at: this.now(), publications };
    return answer;
  }

  /**
   * A version published before the map language grew lacks the newer fields: their defaults fill them in,
   * so it reads as any map does today (the journeys that pinned it keep their own copy).
   */
  private asToday(map: JourneyMap): JourneyMap {
    const key = `${map.id}@${map.version}`;
    let current = this.validated.get(key);
    if (!current) {
      const parsed = journeyMapSchema.safeParse(map);
      current = parsed.success ? parsed.data : map;
      this.validated.set(key, current);
    }
    return current;
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
        ...(map.owner ? { owner: map.owner } : {}),
        ...(map.lastReviewed ? { lastReviewed: map.lastReviewed } : {}),
        reviewOverdue: isReviewOverdue(map, publishedAt, this.now()),
      })),
    );
  }

  /** The latest published version of a map, or a given version while the registry still keeps it. */
  async get(id: string, version?: number): Promise<JourneyMap | undefined> {
    return findVersion(await this.published(), id, version);
  }

  /**
   * The map a purchase starts on: the one it names, else the latest published for its segment, else the latest
   * `default`. Read from the registry's recent answer (PUBLISHED_MAPS_CACHE_MS); a named map it lacks is asked
   * for afresh, as it may have been published a moment ago elsewhere.
   */
  async forPurchase(purchase: { mapId?: string; segment: string }): Promise<JourneyMap | undefined> {
    const recent = await this.recentlyPublished();
    if (purchase.mapId) return findVersion(recent, purchase.mapId) ?? this.get(purchase.mapId);
    const latest = Object.values(recent).map((versions) => versions.at(-1)!.map);
    return latest.find((map) => map.segments.includes(purchase.segment)) ?? latest.find((map) => map.id === 'default');
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

function findVersion(published: Record<string, PublishedMap[]>, id: string, version?: number): JourneyMap | undefined {
  // An own property only: a map id such as "constructor" must not find Object's.
  const versions = Object.hasOwn(published, id) ? published[id]! : [];
  return (version === undefined ? versions.at(-1) : versions.find((v) => v.map.version === version))?.map;
}
