/** Time constants shared by the interpreter, the activities and the services (contracts import nothing). */

export const DAY_MS = 24 * 60 * 60 * 1000;

/** An instant as the journey records it: ISO 8601 in UTC. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
