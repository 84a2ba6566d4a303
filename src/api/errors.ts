import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import { formatPath, MapProblems } from '../maps/catalog';
import { isTemporalUnavailable } from '../temporal/client';

/** An error with an HTTP status that the error handler answers as is. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const notFound = (message: string) => new HttpError(404, message);
export const conflict = (message: string, details: Record<string, unknown> = {}) => new HttpError(409, message, details);
/** A 400 for one field, shaped like a validation error so clients handle one form. */
export const invalidField = (field: string, message: string) =>
  new HttpError(400, 'invalid request', { issues: [{ field, message }] });

/** How long a client should wait before retrying while a dependency is down. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The one place errors become HTTP answers: 400 names each bad field, 404/409 say what, 503 says which
 * dependency is down and when to retry, 500 says little.
 */
export function errorHandler(log: { error: (obj: object, msg: string) => void }): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof ZodError) {
      res.status(400).json({
        error: 'invalid request',
        issues: err.issues.map((issue) => ({ field: formatPath(issue.path), message: issue.message })),
      });
      return;
    }
    if (err instanceof MapProblems) {
      res.status(400).json({
        error: 'invalid map',
        issues: err.problems.map((problem) => ({ field: problem.path, message: problem.message })),
      });
      return;
    }
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: err.message, ...err.details });
      return;
    }
    const bodyError = err as { type?: string; status?: number; message?: string };
    if (bodyError.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'invalid request', issues: [{ field: '(body)', message: 'is not valid JSON' }] });
      return;
    }
    if (bodyError.status && bodyError.status >= 400 && bodyError.status < 500) {
      res.status(bodyError.status).json({ error: bodyError.message ?? 'bad request' });
      return;
    }
    if (isTemporalUnavailable(err)) {
      log.error({ err }, 'Temporal is unreachable');
      res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      res.status(503).json({ error: 'the journey engine cannot reach Temporal right now; nothing was changed, try again shortly', dependency: 'temporal' });
      return;
    }
    log.error({ err }, 'request failed');
    res.status(500).json({ error: 'internal error' });
  };
}
