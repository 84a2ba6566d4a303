import type { CreatedTask } from '../contracts/journey';
import { taskIdFor } from '../src/journeys/tasks';
import type { ActivityDeps, TouchpointInput } from './deps';
import { address, renderEmail, sendMail, smtpRefused } from './mail';

export interface OwnerTaskInput extends TouchpointInput {
  title: string;
  dueAt: string;
}


/** Creates a task for the person who owns the moment and emails it to them. */
export async function createOwnerTask(deps: ActivityDeps, input: OwnerTaskInput): Promise<CreatedTask> {
  return deps.ledger.onceWithPointOfNoReturn(input.key, async (pointOfNoReturn) => {
    const { customer, owner } = input;
    const task: CreatedTask = {
      taskId: taskIdFor(customer.customerId, input.key),
      title: input.title,
      owner,
      dueAt: input.dueAt,
    };
    const email = renderEmail(deps, 'owner-task', customer, owner, { task });
    await sendMail(deps, input.key, { to: address(owner), ...email }, pointOfNoReturn);
    return task;
  }, smtpRefused);
}
