import { stableId } from '../delivery/ledger';

/** A task id names its customer, so `POST /v1/tasks/:taskId/complete` finds the journey without a lookup. */
export function taskIdFor(customerId: string, key: string): string {
  return `task-${customerId}-${stableId(key).slice(0, 12)}`;
}

/** The customer a task id belongs to, or undefined for something that is not a task id. */
export function customerOfTask(taskId: string): string | undefined {
  return /^task-(.+)-[0-9a-f]{12}$/.exec(taskId)?.[1];
}
