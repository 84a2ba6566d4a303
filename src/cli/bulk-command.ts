/** `journeys bulk ACTION --query Q ...` starts a bulk operation (src/journeys/bulk-operations.ts); `journeys bulk status ID` reports on one. */
import type { Config } from '../config';
import { DomainError, InvalidInputError } from '../errors';
import { BulkOperations } from '../journeys/bulk-operations';
import { MapCatalog } from '../maps/catalog';
import { MapRegistry } from '../maps/registry';
import { connectClient } from '../temporal/client';
import { BULK_ACTIONS, type BulkOrder } from '../../contracts/bulk-operations';
import { UsageError } from './usage';

export const BULK_USAGE = `  journeys bulk pause|resume|cancel|reassign|migrate --query Q [--reason R] [--by WHO]
               [--role ROLE --owner EMAIL] [--map ID --to VERSION]
                                                 one action for every running journey the visibility query
                                                 selects, run by the engine as a Temporal workflow
  journeys bulk status ID                        where an operation stands, one line per journey`;

export interface BulkFlags {
  query?: string;
  reason?: string;
  by?: string;
  role?: string;
  owner?: string;
  map?: string;
  to?: string;
}

/** The flags as an order; the service checks it as the API does. */
function orderOf(action: string, flags: BulkFlags): BulkOrder {
  if (!(BULK_ACTIONS as readonly string[]).includes(action)) throw new UsageError(`bulk: the action must be one of ${BULK_ACTIONS.join(', ')}, or status ID`);
  return {
    action: action as BulkOrder['action'],
    query: flags.query ?? '',
    ...(flags.reason ? { reason: flags.reason } : {}),
    ...(flags.by ? { by: flags.by } : {}),
    ...(action === 'reassign' ? { reassign: { role: flags.role ?? '', ownerId: flags.owner ?? '' } } : {}),
    ...(action === 'migrate' ? { migrate: { mapId: flags.map ?? '', toVersion: Number(flags.to) } } : {}),
  };
}

export async function bulkCommand(config: Config, command: string | undefined, rest: string[], flags: BulkFlags): Promise<number> {
  if (!command) throw new UsageError(BULK_USAGE);
  const client = await connectClient(config);
  try {
    const operations = new BulkOperations(client, new MapRegistry(client, config.TEMPORAL_TASK_QUEUE), MapCatalog.load(config.MAPS_DIR).team, config.TEMPORAL_TASK_QUEUE);
    if (command === 'status') {
      if (rest.length !== 1) throw new UsageError('bulk status: name one operation id');
      const report = await operations.progress(rest[0]!);
      for (const r of report.results) console.log(`${r.customerId.padEnd(24)} ${r.outcome.padEnd(8)} ${r.reason ?? ''}`.trimEnd());
      console.log(
        `${report.action} of ${report.total} journeys: ${report.done} done, ${report.skipped} skipped, ${report.failed} failed` +
          `${report.finished ? ', finished' : ', under way'}${report.refused ? ` (refused: ${report.refused})` : ''}`,
      );
      return report.failed > 0 || report.refused ? 1 : 0;
    }
    const started = await operations.start(orderOf(command, flags));
    console.log(`started ${started.operationId}: ${started.total} journeys selected; follow it with journeys bulk status ${started.operationId}`);
    return 0;
  } catch (err) {
    if (err instanceof InvalidInputError) throw new UsageError(err.issues.map((issue) => `bulk: ${issue.field}: ${issue.message}`).join('\n'));
    if (err instanceof DomainError) throw new UsageError(`bulk: ${err.message}`);
    throw err;
  } finally {
    await client.connection.close();
  }
}
