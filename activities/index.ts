import type { ActivityDeps } from './deps';
import { sendTouchpointEmail, type TouchpointEmailInput } from './email';
import { bookMeeting, type MeetingInput } from './meetings';
import { createOwnerTask, type OwnerTaskInput } from './tasks';

export type { ActivityDeps, TouchpointInput } from './deps';

/** The touchpoint activities, bound to their dependencies; workflows proxy the type of what this returns. */
export function createActivities(deps: ActivityDeps) {
  return {
    /** Sends a touchpoint's templated email to the customer's contact. */
    sendTouchpointEmail: (input: TouchpointEmailInput) => sendTouchpointEmail(deps, input),
    /** Books a call or training session and emails the calendar invitation. */
    bookMeeting: (input: MeetingInput) => bookMeeting(deps, input),
    /** Creates a task for the owner of the moment and notifies them. */
    createOwnerTask: (input: OwnerTaskInput) => createOwnerTask(deps, input),
  };
}
