import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { status } from '@grpc/grpc-js';
import { requirePayloadKeys, type Config } from '../config';
import { journeyDataConverter } from './payload-codec';

/**
 * Retries of a call while the Temporal server does not answer: seven attempts with backoff, about three
 * seconds in all (the SDK's default, ten, holds a caller for about nineteen). Past that the API answers
 * 503 with Retry-After, and the caller (billing, the product) retries, as it would after any 503.
 */
const CALL_ATTEMPTS = 7;

/** A Temporal client for the configured server and namespace, encrypting with PAYLOAD_KEYS (required: a ConfigError without them). */
export async function connectClient(config: ClientConfig): Promise<Client> {
  return clientOver(await Connection.connect(connectionOptions(config)), config);
}

/** A client that connects on its first call: for a process that may never need one, nothing is spent at its start. */
export function lazyClient(config: ClientConfig): Client {
  return clientOver(Connection.lazy(connectionOptions(config)), config);
}

type ClientConfig = Pick<Config, 'temporalAddress' | 'TEMPORAL_NAMESPACE' | 'PAYLOAD_KEYS'>;

const connectionOptions = (config: ClientConfig) => ({
  address: config.temporalAddress,
  interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: CALL_ATTEMPTS }))],
});

function clientOver(connection: Connection, config: ClientConfig): Client {
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: journeyDataConverter(requirePayloadKeys(config)) });
}

/** gRPC codes that mean the server could not be reached or did not answer in time, not that the call was wrong. */
const UNREACHABLE = new Set<number>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);

/** Whether an error (or what caused it) says the Temporal server is unreachable right now. */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth += 1) {
    if (typeof e.code === 'number' && UNREACHABLE.has(e.code) && 'details' in e) return true;
  }
  return false;
}

/** Asks the server whether it answers, within `timeoutMs`: what /readyz reports. */
export async function temporalReachable(client: Client, timeoutMs = 2000): Promise<{ ok: boolean; detail: string }> {
  try {
    await client.connection.withDeadline(Date.now() + timeoutMs, () => client.connection.workflowService.getSystemInfo({}));
    return { ok: true, detail: 'ok' };
  } catch (err) {
    return { ok: false, detail: `unreachable (${(err as Error).message.split('\n')[0]})` };
  }
}
