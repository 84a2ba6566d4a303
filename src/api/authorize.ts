import type { RequestHandler } from 'express';
import type { ApiKeyVerifier } from '../auth/api-keys';
import type { Scope } from '../auth/scopes';
import { ForbiddenError, UnauthenticatedError } from '../errors';

/**
 * The guard every route but health, readiness and the unsubscribe pages puts first: `allow(scope)` lets a
 * request through only with `Authorization: Bearer <API key>` of a live key that holds the scope.
 */
export function authorizer(keys: ApiKeyVerifier): (scope: Scope) => RequestHandler {
  return (scope) => async (req, _res, next) => {
    const [kind, presented, ...rest] = (req.get('authorization') ?? '').trim().split(/\s+/);
    if (kind?.toLowerCase() !== 'bearer' || !presented || rest.length > 0) {
      throw new UnauthenticatedError('an API key is required: send "Authorization: Bearer <key>" (journeys keys create makes one)');
    }
    const key = await keys.verify(presented);
    if (!key) throw new UnauthenticatedError('this API key is not valid (unknown, mistyped or revoked)');
    if (!key.scopes.includes(scope)) throw new ForbiddenError(`this API key ("${key.name}") lacks the scope ${scope}`);
    next();
  };
}
