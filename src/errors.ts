/**
 * The errors the domain throws when it cannot do what it was asked. They say what went wrong in the
 * domain's terms only: the API (src/api/errors.ts) turns them into HTTP answers, the CLI prints them.
 */

/** What every domain error shares, so an adapter can tell them from failures nobody foresaw. */
export abstract class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Thrown when what the caller names does not exist: no journey for the customer, no such task, no published map. */
export class NotFoundError extends DomainError {}

/** Thrown when the request is sound but the state forbids it: the journey ended or moved on, a map version is not newer, no map to start on. */
export class ConflictError extends DomainError {}

/** Thrown when a running journey refuses a change to itself (its update validator says no): a task completed twice, a cancelled meeting. */
export class RefusedError extends DomainError {}

/** One field of a request that is wrong: its path (e.g. `owners.successManager`) and why. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** Thrown when fields of a request are wrong in a way only the domain can tell: an unpublished map, an unstaffed role, demo clocks off. */
export class InvalidInputError extends DomainError {
  readonly issues: readonly FieldIssue[];

  constructor(field: string, message: string);
  constructor(issues: readonly FieldIssue[]);
  constructor(fieldOrIssues: string | readonly FieldIssue[], message = '') {
    const issues = typeof fieldOrIssues === 'string' ? [{ field: fieldOrIssues, message }] : fieldOrIssues;
    super(issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '));
    this.issues = issues;
  }
}

/** Thrown when a request carries no API key, or one that is not (or no longer) valid. */
export class UnauthenticatedError extends DomainError {}

/** Thrown when a signed request (an inbound webhook) carries no signature that verifies, or one made too long ago. */
export class BadSignatureError extends UnauthenticatedError {}

/** Thrown when a valid API key lacks the scope the request needs. */
export class ForbiddenError extends DomainError {}
