import type { Request, RequestHandler } from 'express';
import type { ApiKey, ApiKeyVerifier } from '../auth/api-keys';
import type { Scope } from '../auth/scopes';
import { ForbiddenError, UnauthenticatedError } from '../errors';

const HOW_TO_SEND = 'send "Authorization: Bearer <key>" (journeys keys create makes one)';

/**
 * The guard every route but health, readiness and the unsubscribe pages puts first: `allow(scope)` lets a
 * request through only with `Authorization: Bearer <API key>` of a live key that holds the scope.
 */
export function authorizer(keys: ApiKeyVerifier): (scope: Scope) => RequestHandler {
  return (scope) => async (req, _res, next) => {
    const presented = bearerKey(req);
    if (!presented) throw new UnauthenticatedError(`an API key is required: ${HOW_TO_SEND}`);
    await keyWithScope(keys, presented, scope);
    next();
  };
}

/** The key of `Authorization: Bearer <key>`; undefined without the header; UnauthenticatedError when it is not of that form. */
export function bearerKey(req: Request): string | undefined {
  const header = req.get('authorization')?.trim();
  if (!header) return undefined;
  const [kind, presented, ...rest] = header.split(/\s+/);
  if (kind?.toLowerCase() !== 'bearer' || !presented || rest.length > 0) {
    throw new UnauthenticatedError(`an API key is required: ${HOW_TO_SEND}`);
  }
  return presented;
}

/** The live key presented, if it holds the scope: UnauthenticatedError if it is not a live key, ForbiddenError without the scope. */
export async function keyWithScope(keys: ApiKeyVerifier, presented: string, scope: Scope): Promise<ApiKey> {
  const key = await keys.verify(presented);
  if (!key) throw new UnauthenticatedError('this API key is not valid (unknown, mistyped or revoked)');
  if (!key.scopes.includes(scope)) throw new ForbiddenError(`this API key ("${key.name}") lacks the scope ${scope}`);
  return key;
}
