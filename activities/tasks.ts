import { stableId } from '../src/delivery/ledger';
import type { CreatedTask } from '../contracts/journey';
import type { ActivityDeps, TouchpointInput } from './deps';
import { address, renderEmail, sendMail } from './mail';

export interface OwnerTaskInput extends TouchpointInput {
  title: string;
  dueAt: string;
}


/** A task id names its customer, so `POST /v1/tasks/:taskId/complete` finds the journey without a lookup. */
export function taskIdFor(customerId: string, key: string): string {
  return `task-${customerId}-${stableId(key).slice(0, 12)}`;
}

/** The customer a task id belongs to, or undefined for something that is not a task id. */
export function customerOfTask(taskId: string): string | undefined {
  return /^task-(.+)-[0-9a-f]{12}$/.exec(taskId)?.[1];
}

/** Creates a task for the person who owns the moment and emails it to them. */
export async function createOwnerTask(deps: ActivityDeps, input: OwnerTaskInput): Promise<CreatedTask> {
  return deps.ledger.once(input.key, async () => {
    const { customer, owner } = input;
    const task: CreatedTask = {
      taskId: taskIdFor(customer.customerId, input.key),
      title: input.title,
      owner,
      dueAt: input.dueAt,
    };
    const email = renderEmail(deps, 'owner-task', customer, owner, { task });
    await sendMail(deps, input.key, { to: address(owner), ...email });
    return task;
  });
}
