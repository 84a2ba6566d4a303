import { parsePayloadKeys, journeyDataConverter, journeyPayloadCodec } from '../../src/temporal/payload-codec';

/**
 * The tests' key ring (PAYLOAD_KEYS): every client, worker, worker process and test environment of the tests
 * encrypts with it, as the engine does with its own. Two keys, so decoding with the older one is exercised too.
 */
export const TEST_PAYLOAD_KEYS = `test-2:${Buffer.alloc(32, 2).toString('base64')},test-1:${Buffer.alloc(32, 1).toString('base64')}`;
export const testPayloadKeys = parsePayloadKeys(TEST_PAYLOAD_KEYS);
export const testDataConverter = journeyDataConverter(testPayloadKeys);
export const testPayloadCodec = journeyPayloadCodec(testPayloadKeys);

/** A payload as protobuf JSON (historyToJSON, the codec endpoint): base64 metadata values and data. */
export interface JsonPayload {
  metadata: Record<string, string>;
  data?: string;
}

/** Every payload in a protobuf-JSON value (a history from historyToJSON): each object with metadata.encoding. */
export function payloadsIn(value: unknown, found: JsonPayload[] = []): JsonPayload[] {
  if (Array.isArray(value)) {
    for (const item of value) payloadsIn(item, found);
  } else if (value && typeof value === 'object') {
    const metadata = (value as { metadata?: unknown }).metadata;
    if (metadata && typeof metadata === 'object' && typeof (metadata as Record<string, unknown>).encoding === 'string') {
      found.push(value as JsonPayload);
    } else {
      for (const item of Object.values(value)) payloadsIn(item, found);
    }
  }
  return found;
}

/** The encoding a JSON payload names (`json/plain`, `binary/encrypted`, ...). */
export const encodingOf = (payload: JsonPayload) => Buffer.from(payload.metadata.encoding!, 'base64').toString();
