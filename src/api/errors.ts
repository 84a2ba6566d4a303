import type { ErrorRequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import { BadSignatureError, ConflictError, ForbiddenError, InvalidInputError, NotFoundError, RefusedError, UnauthenticatedError, type FieldIssue } from '../errors';
import { formatPath, MapProblems } from '../maps/catalog';
import { isDatabaseUnavailable } from '../db/database';
import { isTemporalUnavailable } from '../temporal/client';

/** How long a client should wait before retrying while a dependency is down. */
const RETRY_AFTER_SECONDS = 5;

/** A 400 that names each bad field: one form for the schema's findings and the domain's. */
function invalidRequest(res: Response, issues: readonly FieldIssue[]): void {
  res.status(400).json({ error: 'invalid request', issues });
}

/**
 * The one place errors become HTTP answers: 400 names each bad field, 404/409 say what, 503 says which
 * dependency is down and when to retry, 500 says little.
 */
export function errorHandler(log: { error: (obj: object, msg: string) => void }): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof ZodError) {
      invalidRequest(res, err.issues.map((issue) => ({ field: formatPath(issue.path), message: issue.message })));
      return;
    }
    if (err instanceof MapProblems) {
      res.status(400).json({
        error: 'invalid map',
        issues: err.problems.map((problem) => ({ field: problem.path, message: problem.message })),
      });
      return;
    }
    if (err instanceof InvalidInputError) {
      invalidRequest(res, err.issues);
      return;
    }
    if (err instanceof UnauthenticatedError) {
      // A signed webhook proves itself with its Stripe-Signature header, not with an API key.
      res.set('WWW-Authenticate', err instanceof BadSignatureError ? 'Stripe-Signature realm="journeys inbound webhooks"' : 'Bearer realm="journeys"');
      res.status(401).json({ error: err.message });
      return;
    }
    if (err instanceof ForbiddenError) {
      res.status(403).json({ error: err.message });
      return;
    }
    if (err instanceof NotFoundError) {
      res.status(404).json({ error: err.message });
      return;
    }
    // A journey that refuses a change conflicts with it as much as one that has ended.
    if (err instanceof ConflictError || err instanceof RefusedError) {
      res.status(409).json({ error: err.message });
      return;
    }
    const bodyError = err as { type?: string; status?: number; message?: string };
    if (bodyError.type === 'entity.parse.failed') {
      invalidRequest(res, [{ field: '(body)', message: 'is not valid JSON' }]);
      return;
    }
    // The router's: a path segment that is not valid percent-encoded UTF-8 (such as "%" or "%E0%A4%A").
    if (err instanceof URIError && bodyError.status === 400) {
      invalidRequest(res, [{ field: '(path)', message: 'is not valid percent-encoding (a "%" must start UTF-8 bytes as %XX)' }]);
      return;
    }
    // The body parser's other 400s: a body it could not read as sent (a Content-Encoding that does not match it).
    if (bodyError.status === 400) {
      invalidRequest(res, [{ field: '(body)', message: 'could not be read as sent (check its Content-Encoding)' }]);
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
    if (isDatabaseUnavailable(err)) {
      log.error({ err }, 'the engine database is unreachable');
      res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      res.status(503).json({ error: 'the journey engine cannot reach its database right now; nothing was changed, try again shortly', dependency: 'database' });
      return;
    }
    log.error({ err }, 'request failed');
    res.status(500).json({ error: 'internal error' });
  };
}
