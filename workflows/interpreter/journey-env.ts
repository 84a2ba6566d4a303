/** What the interpreter needs from Temporal: the workflow hands in the real thing, unit tests a recorder. */
import type { JourneyRefusal } from '../../contracts/failures';

export type JourneyFailure = JourneyRefusal;

/** The journey's search attributes, by what they mean; the workflow maps them to Temporal's keys. */
export interface JourneySearchAttributes {
  stage?: string;
  atRisk?: boolean;
  term?: number;
  map?: string;
  owners?: string[];
  taskOwners?: string[];
}

export interface JourneyEnv {
  /** The workflow's clock (Date.now() in workflow code is Temporal's deterministic time). */
  now(): number;
  /** Temporal's patched(): whether this journey runs the code behind a change made since it started. */
  patched(patchId: string): boolean;
  /** Upserts the given attributes, in the order the rules call it (each upsert is a command in history). */
  upsertSearchAttributes(attributes: JourneySearchAttributes): void;
  log: { info(message: string, attrs?: Record<string, unknown>): void; warn(message: string, attrs?: Record<string, unknown>): void };
}
