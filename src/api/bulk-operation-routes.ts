/**
 * POST /v1/bulk-operations (start one: journeys:write, and maps:write too for a migration), GET /v1/bulk-operations
 * (the newest) and GET /v1/bulk-operations/:operationId (progress and one result per journey), for keys with
 * journeys:read. Thin: the order is parsed here and checked by the service (src/journeys/bulk-operations.ts).
 */
import type express from 'express';
import type { Request } from 'express';
import type { ApiKeyVerifier } from '../auth/api-keys';
import type { Scope } from '../auth/scopes';
import type { BulkOperations } from '../journeys/bulk-operations';
import { bearerKey, keyWithScope } from './authorize';
import { bulkOperationFilter, bulkOperationParams, bulkOrder } from './bulk-operation-schemas';

/** Adds the routes to the app itself (not a sub-router), so they stand in its route table with the others. */
export function addBulkOperationRoutes(
  app: express.Express,
  allow: (scope: Scope) => express.RequestHandler,
  keys: ApiKeyVerifier,
  bulkOperations: BulkOperations,
): void {
  app.post('/v1/bulk-operations', allow('journeys:write'), async (req, res) => {
    const order = bulkOrder.parse(req.body);
    // Moving journeys to another map version is the map owners' call, as POST /v1/migrations is.
    if (order.action === 'migrate') await keyWithScope(keys, bearerKey(req)!, 'maps:write');
    res.status(202).json(await bulkOperations.start(order));
  });
  app.get('/v1/bulk-operations', allow('journeys:read'), async (req, res) => {
    const { limit } = bulkOperationFilter.parse(req.query);
    res.json({ operations: await bulkOperations.list(limit) });
  });
  app.get('/v1/bulk-operations/:operationId', allow('journeys:read'), async (req: Request<{ operationId: string }>, res) => {
    const { operationId } = bulkOperationParams.parse(req.params);
    res.json(await bulkOperations.progress(operationId));
  });
}
