/**
 * The owners' map review tasks in the engine database: opened by the map registry's activity when a map's
 * review falls due, listed in the owner's worklist beside their journeys' tasks, completed over the API.
 * A task's id comes from its map and due date, and is the table's key: opening it again (a retry, a replay,
 * a registry restarted) finds the task that is there.
 */
import type { TaskCompletion } from '../../contracts/journey';
import type { MapReviewTask } from '../../contracts/map-review';
import type { Person } from '../../contracts/customer';
import type { Database } from '../db/database';
import { stableId } from '../delivery/ledger';
import { NotFoundError } from '../errors';
import type { ListedTask, TaskReader } from './journey-facts';

/** A review task as opened: what it is about and for whom; open until completed. */
export type NewMapReviewTask = Omit<MapReviewTask, 'kind' | 'taskId' | 'status' | 'completedAt' | 'outcome' | 'notes'>;

export interface MapReviewTaskStore {
  /** Opens the task once: a task with its id already there (open or done) is answered as it is. */
  open(task: NewMapReviewTask): Promise<MapReviewTask>;
  /** Open review tasks of one owner (any case), or of everybody, by due date. */
  openTasks(owner?: string): Promise<MapReviewTask[]>;
  /** Review tasks the owner completed, by due date. */
  doneTasks(owner: string): Promise<MapReviewTask[]>;
  /** Completes an open task; a done one answers its first completion; undefined when there is no such task. */
  complete(completion: TaskCompletion): Promise<MapReviewTask | undefined>;
}

/** One review task per map and due date (a new version of a map not reviewed since makes no second one that year). */
export function mapReviewTaskId(mapId: string, dueAt: string): string {
  return `map-review-${mapId}-${stableId(`${mapId}@${dueAt}`).slice(0, 12)}`;
}

export const isMapReviewTaskId = (taskId: string) => /^map-review-[a-z0-9][a-z0-9-]*-[0-9a-f]{12}$/.test(taskId);

interface Row {
  task_id: string;
  map_id: string;
  map_version: number;
  title: string;
  owner: Person;
  due_at: Date;
  completed_at: Date | null;
  outcome: string | null;
  notes: string | null;
}

const fromRow = (row: Row): MapReviewTask => ({
  kind: 'map-review',
  taskId: row.task_id,
  title: row.title,
  owner: row.owner,
  dueAt: row.due_at.toISOString(),
  mapId: row.map_id,
  mapVersion: row.map_version,
  status: row.completed_at ? 'done' : 'open',
  ...(row.completed_at ? { completedAt: row.completed_at.toISOString() } : {}),
  ...(row.outcome !== null ? { outcome: row.outcome } : {}),
  ...(row.notes !== null ? { notes: row.notes } : {}),
});

export class PgMapReviewTasks implements MapReviewTaskStore {
  constructor(private readonly db: Database) {}

  async open(task: NewMapReviewTask): Promise<MapReviewTask> {
    const taskId = mapReviewTaskId(task.mapId, task.dueAt);
    await this.db.query(
      `INSERT INTO map_review_tasks (task_id, map_id, map_version, title, owner, owner_email, due_at)
       VALUES ($1, $2, $3, $4, $5, lower($6), $7) ON CONFLICT (task_id) DO NOTHING`,
      [taskId, task.mapId, task.mapVersion, task.title, JSON.stringify(task.owner), task.owner.email, task.dueAt],
    );
    return (await this.find(taskId))!;
  }

  async openTasks(owner?: string): Promise<MapReviewTask[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM map_review_tasks WHERE completed_at IS NULL AND ($1::text IS NULL OR owner_email = lower($1)) ORDER BY due_at, task_id`,
      [owner ?? null],
    );
    return rows.map(fromRow);
  }

  async doneTasks(owner: string): Promise<MapReviewTask[]> {
    const { rows } = await this.db.query<Row>(
      'SELECT * FROM map_review_tasks WHERE completed_at IS NOT NULL AND owner_email = lower($1) ORDER BY due_at, task_id',
      [owner],
    );
    return rows.map(fromRow);
  }

  async complete(completion: TaskCompletion): Promise<MapReviewTask | undefined> {
    // Only an open task changes, so two completions at once leave the first one's outcome.
    await this.db.query('UPDATE map_review_tasks SET completed_at = now(), outcome = $2, notes = $3 WHERE task_id = $1 AND completed_at IS NULL', [
      completion.taskId,
      completion.outcome,
      completion.notes ?? null,
    ]);
    return this.find(completion.taskId);
  }

  private async find(taskId: string): Promise<MapReviewTask | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM map_review_tasks WHERE task_id = $1', [taskId]);
    return rows[0] && fromRow(rows[0]);
  }
}

/** An owner's whole worklist: their journeys' tasks and their map reviews, by due date. */
export function withMapReviewTasks(journeyTasks: TaskReader, reviews: MapReviewTaskStore): TaskReader {
  const byDueDate = (tasks: ListedTask[]) => tasks.sort((a, b) => a.dueAt.localeCompare(b.dueAt));
  return {
    openTasks: async (owner) => byDueDate([...(await journeyTasks.openTasks(owner)), ...(await reviews.openTasks(owner))]),
    doneTasks: async (owner) => byDueDate([...(await journeyTasks.doneTasks(owner)), ...(await reviews.doneTasks(owner))]),
  };
}

/** Completes a map review task over the API; without a store (an API with no database), or no such task, it is not found. */
export async function completeMapReviewTask(reviews: MapReviewTaskStore | undefined, completion: TaskCompletion): Promise<MapReviewTask> {
  const task = await reviews?.complete(completion);
  if (!task) throw new NotFoundError(`no task "${completion.taskId}"`);
  return task;
}
